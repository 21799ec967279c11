// /admin/v1/tenants and their SCIM tokens. Each change writes its audit entry and its events in its
// own transaction (provisioning/tenants/tenant-records.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createTenant, deleteTenant, renameTenant, TenantError } from '../../../provisioning/tenants/tenants.ts';
import { listPresets, PRESET_NAMES } from '../../../provisioning/policies/presets.ts';
import { issueToken, parseDuration, revokeToken, rotateToken } from '../../../provisioning/tenants/tokens.ts';
import type { Tenant } from '../../../store/store.ts';
import type { AdminDeps } from '../index.ts';
import { actorOf, tenantIn } from '../index.ts';
import { decodeCursor, page, pageOf, pagingQuery } from '../paging.ts';
import { tenantJson, tokenJson } from '../render.ts';
import { idParam, issuedTokenSchema, problems, slugParam, tenantSchema, tokenSchema } from '../schemas.ts';

const tenantParams = { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } as const;
const tokenParams = { type: 'object', required: ['tenant', 'tokenId'], properties: { tenant: slugParam, tokenId: idParam } } as const;
const expiresIn = { type: 'string', maxLength: 20, description: 'Lifetime: 365d, 12h, 30m or never (default: the server\'s ROLLCALL_TOKEN_TTL_DAYS)' } as const;

export function tenantRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { provisioning, config } = deps;
  const { store, clock } = provisioning;
  const json = (t: Tenant) => tenantJson(t, provisioning.scimBaseUrl(t.slug));
  const tenantOf = (request: FastifyRequest) => tenantIn(store, request);
  const ttl = (text: string | undefined) => (text === undefined ? config.tokenTtlDays * 86_400_000 : parseDuration(text));

  app.get('/tenants', {
    schema: {
      operationId: 'listTenants', tags: ['tenants'], summary: 'List tenants in slug order, optionally searching slug and name',
      querystring: { type: 'object', additionalProperties: false, properties: { search: { type: 'string', maxLength: 200 }, ...pagingQuery } },
      response: { 200: pageOf(tenantSchema), ...problems(400, 401) },
    },
  }, async (request) => {
    const q = request.query as { search?: string; after?: string; limit: number };
    const after = decodeCursor<string>(q.after, 'string');
    return page(q.limit, (n) => store.scanTenants(q.search, { after, limit: n }), (t) => t.slug, json);
  });

  app.post('/tenants', {
    schema: {
      operationId: 'createTenant', tags: ['tenants'], summary: 'Create a tenant (then give it a SCIM token with createToken)',
      description: 'With `preset`, the tenant is created with that preset\'s settings (listPresets), in the same transaction: an unknown preset is refused (400, the known ones named) and no tenant is created. The settings can be replaced afterwards as usual.',
      body: {
        type: 'object', additionalProperties: false, required: ['slug'],
        properties: {
          slug: { type: 'string', maxLength: 100 },
          name: { type: 'string', maxLength: 1000 },
          preset: { type: 'string', maxLength: 100, description: `A settings preset: ${PRESET_NAMES.join(', ')} (docs/policies.md, Presets)` },
          welcomeLink: { type: 'string', maxLength: 2000, description: 'The welcome email\'s link, for the presets that send one (teams): given, the welcome email is enabled with it' },
        },
      },
      response: { 201: tenantSchema, ...problems(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const body = request.body as { slug: string; name?: string; preset?: string; welcomeLink?: string };
    if (body.welcomeLink !== undefined && body.preset === undefined) throw new TenantError('A welcome link is given only with a preset that sends the welcome email (teams); without a preset, set welcomeEmail in the tenant\'s settings.', 400, 'welcomeLink');
    const preset = body.preset === undefined ? undefined : { name: body.preset, ...(body.welcomeLink === undefined ? {} : { welcomeLink: body.welcomeLink }) };
    const t = await createTenant(store, body.slug, body.name, clock, actorOf(request), preset);
    return reply.code(201).send(json(t));
  });

  app.get('/presets', {
    schema: {
      operationId: 'listPresets', tags: ['tenants'], summary: 'The settings presets a tenant can be created with, and the settings each writes',
      response: {
        200: {
          type: 'object', required: ['data'],
          properties: {
            data: {
              type: 'array',
              items: {
                type: 'object', required: ['name', 'pattern', 'description', 'options', 'settings'],
                properties: {
                  name: { type: 'string' },
                  pattern: { type: 'string', description: 'The vendor pattern it reproduces' },
                  description: { type: 'string' },
                  options: { type: 'array', items: { type: 'string' }, description: 'Options of createTenant it takes (welcomeLink)' },
                  settings: { type: 'object', additionalProperties: true, description: 'The settings document it writes, without options (as PUT …/settings takes it)' },
                },
              },
            },
          },
        },
        ...problems(401),
      },
    },
  }, async () => ({ data: listPresets() }));

  app.get('/tenants/:tenant', {
    config: { setup: 'read' },
    schema: { operationId: 'getTenant', tags: ['tenants'], params: tenantParams, response: { 200: tenantSchema, ...problems(401, 404) } },
  }, async (request) => json(await tenantOf(request)));

  app.patch('/tenants/:tenant', {
    schema: {
      operationId: 'updateTenant', tags: ['tenants'], summary: "Rename a tenant (its settings have their own endpoint)", params: tenantParams,
      body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: 1000 } } },
      response: { 200: tenantSchema, ...problems(400, 401, 403, 404) },
    },
  }, async (request) => {
    const t = await tenantOf(request);
    const renamed = await renameTenant(store, t, (request.body as { name: string }).name, clock, actorOf(request));
    return json(renamed);
  });

  app.delete('/tenants/:tenant', {
    schema: {
      operationId: 'deleteTenant', tags: ['tenants'], summary: 'Delete a tenant with all its users, groups, tokens and settings (confirm=<slug> required)', params: tenantParams,
      querystring: { type: 'object', additionalProperties: false, properties: { confirm: { type: 'string', maxLength: 100 } } },
      response: { 200: { type: 'object', required: ['deleted', 'users', 'groups'], properties: { deleted: { type: 'string' }, users: { type: 'integer' }, groups: { type: 'integer' } } }, ...problems(400, 401, 403, 404) },
    },
  }, async (request) => {
    const t = await tenantOf(request);
    const gone = await deleteTenant(store, t, (request.query as { confirm?: string }).confirm, clock, actorOf(request));
    return { deleted: t.slug, ...gone };
  });

  app.get('/tenants/:tenant/tokens', {
    config: { setup: 'scim' },
    schema: {
      operationId: 'listTokens', tags: ['tokens'], summary: "A tenant's SCIM tokens, all of them (never the secrets)", params: tenantParams,
      querystring: { type: 'object', additionalProperties: false, properties: {} },
      response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: tokenSchema } } }, ...problems(401, 404) },
    },
  }, async (request) => {
    const t = await tenantOf(request);
    const now = clock.now();
    return { data: (await store.listTokens(t.id)).map((r) => tokenJson(r, now)) };
  });

  app.post('/tenants/:tenant/tokens', {
    config: { setup: 'scim' },
    schema: {
      operationId: 'createToken', tags: ['tokens'], summary: 'Issue a SCIM token; the response holds it, shown this once', params: tenantParams,
      body: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 }, expiresIn } },
      response: { 201: issuedTokenSchema, ...problems(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const t = await tenantOf(request);
    const body = (request.body ?? {}) as { name?: string; expiresIn?: string };
    const { token, record } = await issueToken(store, t, ttl(body.expiresIn), clock, body.name?.trim() || null, actorOf(request));
    return reply.code(201).send({ ...tokenJson(record, clock.now()), token, scimUrl: provisioning.scimBaseUrl(t.slug) });
  });

  app.post('/tenants/:tenant/tokens/:tokenId/rotate', {
    schema: {
      operationId: 'rotateToken', tags: ['tokens'], params: tokenParams,
      summary: 'Issue a new token and let the old one keep working until oldExpiresAt (default: 7 days from now), then refuse it as expired',
      body: { type: ['object', 'null'], additionalProperties: false, properties: { oldExpiresAt: { type: 'string', format: 'date-time' }, expiresIn } },
      response: {
        201: { type: 'object', required: ['token', 'previous'], properties: { ...issuedTokenSchema.properties, previous: tokenSchema }, },
        ...problems(400, 401, 403, 404, 409),
      },
    },
  }, async (request, reply) => {
    const t = await tenantOf(request);
    const { tokenId } = request.params as { tokenId: string };
    const body = (request.body ?? {}) as { oldExpiresAt?: string; expiresIn?: string };
    const rotated = await rotateToken(store, t, tokenId, { ttlMs: ttl(body.expiresIn), oldUntil: body.oldExpiresAt }, clock, actorOf(request));
    const now = clock.now();
    return reply.code(201).send({ ...tokenJson(rotated.record, now), token: rotated.token, scimUrl: provisioning.scimBaseUrl(t.slug), previous: tokenJson(rotated.previous, now) });
  });

  app.delete('/tenants/:tenant/tokens/:tokenId', {
    schema: { operationId: 'revokeToken', tags: ['tokens'], summary: 'Revoke a token: requests using it fail from the next one on', params: tokenParams, response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    const t = await tenantOf(request);
    const { tokenId } = request.params as { tokenId: string };
    await revokeToken(store, t, tokenId, clock, actorOf(request));
    return reply.code(204).send();
  });
}
