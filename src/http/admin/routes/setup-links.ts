// /admin/v1/tenants/{tenant}/setup-links: the vendor's side of customer setup links (docs/console.md
// "Setup links"): create (the URL and token shown once), list with each link's status, revoke.
// Admin keys and admin console sessions only: a setup session cannot make or see links.
import type { FastifyInstance } from 'fastify';
import { createSetupLink, MAX_SETUP_LINK_HOURS, revokeSetupLink, SETUP_LINK_LIST_LIMIT, setupLinkJson } from '../../../provisioning/tenants/setup-links.ts';
import { actorOf, tenantIn, type AdminDeps } from '../index.ts';
import { idParam, problems, slugParam, time } from '../schemas.ts';

const tenantParams = { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } as const;
const linkParams = { type: 'object', required: ['tenant', 'id'], properties: { tenant: slugParam, id: idParam } } as const;
const purposes = { type: 'array', items: { type: 'string', enum: ['scim', 'sso'] }, description: 'What the link sets up: scim (SCIM tokens), sso (SAML connections)' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const setupLinkSchema = {
  type: 'object',
  required: ['id', 'purposes', 'note', 'status', 'createdAt', 'expiresAt', 'revokedAt', 'completedAt', 'lastUsedAt'],
  properties: {
    id: { type: 'string' },
    purposes,
    note: { type: ['string', 'null'], description: 'Who it is for ("Acme IT, Jane")' },
    status: { type: 'string', enum: ['active', 'expired', 'revoked', 'completed'], description: 'completed: the customer finished with it (used up)' },
    createdAt: time, expiresAt: time, revokedAt: nullableTime, completedAt: nullableTime,
    lastUsedAt: { ...nullableTime, description: 'When it was last opened' },
  },
} as const;

export function setupLinkRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps.provisioning;
  const tags = ['console'];

  app.post('/tenants/:tenant/setup-links', {
    schema: {
      operationId: 'createSetupLink', tags, params: tenantParams,
      summary: 'Make a setup link for the tenant\'s IT admin; the response holds its URL and token, shown this once',
      body: {
        type: ['object', 'null'], additionalProperties: false,
        properties: {
          purposes: { ...purposes, minItems: 1, maxItems: 2, uniqueItems: true, description: 'scim, sso or both (the default)' },
          expiresInHours: { type: 'integer', minimum: 1, maximum: MAX_SETUP_LINK_HOURS, description: 'Lifetime in hours: 168 (7 days) by default, 720 (30 days) at most' },
          note: { type: 'string', maxLength: 200, description: 'Who it is for, shown in the list and the audit log' },
        },
      },
      response: {
        201: {
          type: 'object', required: ['id', 'url', 'token', 'purposes', 'note', 'status', 'createdAt', 'expiresAt'],
          properties: {
            ...setupLinkSchema.properties,
            url: { type: 'string', description: 'The link to send: <public URL>/setup/#<token> (the token is in the fragment, which browsers never send to a server)' },
            token: { type: 'string', description: 'rcl_…: the link\'s secret, shown this once' },
          },
        },
        ...problems(400, 401, 403, 404),
      },
    },
  }, async (request, reply) => {
    const tenant = await tenantIn(store, request);
    const { token, record } = await createSetupLink(store, tenant, request.body ?? {}, clock, actorOf(request));
    return reply.code(201).header('cache-control', 'no-store')
      .send({ ...setupLinkJson(record, clock.now()), url: `${deps.config.publicUrl}/setup/#${token}`, token });
  });

  app.get('/tenants/:tenant/setup-links', {
    schema: {
      operationId: 'listSetupLinks', tags, params: tenantParams, summary: 'The tenant\'s setup links, newest first, with their status (never their tokens)',
      querystring: { type: 'object', additionalProperties: false, properties: {} },
      response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: setupLinkSchema } } }, ...problems(401, 403, 404) },
    },
  }, async (request) => {
    const tenant = await tenantIn(store, request);
    const now = clock.now();
    return { items: (await store.listSetupLinks(tenant.id, SETUP_LINK_LIST_LIMIT)).map((l) => setupLinkJson(l, now)) };
  });

  app.delete('/tenants/:tenant/setup-links/:id', {
    schema: {
      operationId: 'revokeSetupLink', tags, params: linkParams, summary: 'Revoke a setup link: it opens nothing more, and pages opened with it stop working at once',
      response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const tenant = await tenantIn(store, request);
    await revokeSetupLink(store, tenant, (request.params as { id: string }).id, clock, actorOf(request));
    return reply.code(204).send();
  });
}
