// /admin/v1/admin-keys and /admin/v1/audit.
import type { FastifyInstance } from 'fastify';
import { audit } from '../../../provisioning/admin/audit.ts';
import { createAdminKey, revokeAdminKey, type AdminScope } from '../../../provisioning/tenants/admin-keys.ts';
import { parseDuration } from '../../../provisioning/tenants/tokens.ts';
import type { AdminDeps } from '../index.ts';
import { actorOf, tenantIdFilter } from '../index.ts';
import { decodeCursor, page, pageOf, pagingQuery } from '../paging.ts';
import { invalid } from '../problem.ts';
import { adminKeyJson } from '../render.ts';
import { adminKeySchema, auditEntrySchema, idParam, issuedAdminKeySchema, problems } from '../schemas.ts';


export function keyRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps.provisioning;

  app.get('/admin-keys', {
    schema: { operationId: 'listAdminKeys', tags: ['admin keys'], summary: 'Every admin key (never the keys themselves)', querystring: { type: 'object', additionalProperties: false, properties: {} }, response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: adminKeySchema } } }, ...problems(401) } },
  }, async () => ({ data: (await store.listAdminKeys()).map(adminKeyJson) }));

  app.post('/admin-keys', {
    schema: {
      operationId: 'createAdminKey', tags: ['admin keys'], summary: 'Create an admin key; the response holds it, shown this once',
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'scope'],
        properties: { name: { type: 'string', maxLength: 100 }, scope: { type: 'string', enum: ['admin', 'read', 'sso'] }, expiresIn: { type: 'string', maxLength: 20, description: '365d, 12h, 30m or never (the default)' } },
      },
      response: { 201: issuedAdminKeySchema, ...problems(400, 401, 403) },
    },
  }, async (request, reply) => {
    const body = request.body as { name: string; scope: AdminScope; expiresIn?: string };
    const { key, record } = await createAdminKey(store, { name: body.name, scope: body.scope, ttlMs: body.expiresIn ? parseDuration(body.expiresIn) : null }, clock);
    await audit(store, clock, actorOf(request), 'adminKey.create', { type: 'adminKey', id: record.id, tenantId: null }, { name: record.name, scope: record.scope });
    return reply.code(201).send({ ...adminKeyJson(record), key });
  });

  app.delete('/admin-keys/:id', {
    schema: { operationId: 'revokeAdminKey', tags: ['admin keys'], params: { type: 'object', required: ['id'], properties: { id: idParam } }, response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409) } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    await revokeAdminKey(store, id, clock);
    await audit(store, clock, actorOf(request), 'adminKey.revoke', { type: 'adminKey', id, tenantId: null });
    return reply.code(204).send();
  });

  app.get('/audit', {
    schema: {
      operationId: 'listAudit', tags: ['audit'], summary: 'Admin actions, newest first',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          tenant: { type: 'string', maxLength: 63, description: 'Only actions on this tenant: its slug, or its id (which still works once the tenant is deleted)' },
          action: { type: 'string', maxLength: 100 }, targetId: { type: 'string', maxLength: 255 },
          since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' }, ...pagingQuery,
        },
      },
      response: { 200: pageOf(auditEntrySchema), ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const q = request.query as { tenant?: string; action?: string; targetId?: string; since?: string; until?: string; after?: string; limit: number };
    // A deleted tenant's record outlives it: its id still selects its entries once its slug is gone.
    const tenantId = await tenantIdFilter(store, q.tenant);
    const after = decodeCursor<string>(q.after, 'string');
    // ajv's date-time format admits a leap second (23:59:60), which Date cannot represent.
    const iso = (t: string | undefined, field: string) => {
      if (t === undefined) return undefined;
      const ms = Date.parse(t);
      if (Number.isNaN(ms)) throw invalid(field, `${field} must be an ISO 8601 time that exists, e.g. 2026-11-30T00:00:00Z.`);
      return new Date(ms).toISOString();
    };
    return page(q.limit, (n) => store.listAudit({ tenantId, action: q.action, targetId: q.targetId, since: iso(q.since, 'since'), until: iso(q.until, 'until') }, { after, limit: n }), (e) => e.id, (e) => e);
  });
}
