// /admin/v1/webhooks (global endpoints: every tenant's events) and /admin/v1/tenants/{tenant}/webhooks
// (one tenant's): Standard Webhooks endpoints, their secrets (shown once, rotated with an overlap),
// delivery attempts, dead letters and replay (docs/events.md "Webhooks"). The same handlers serve
// both trees; a tenant's tree reaches only that tenant's endpoints, the global tree only global ones.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Endpoint, EndpointScope, WebhookEndpoints } from '../../../events/endpoints.ts';
import { audit } from '../../../provisioning/admin/audit.ts';
import { parseDuration } from '../../../provisioning/tenants/tokens.ts';
import type { DeadLetter, DeliveryAttempt, DeliveryOutcomeName } from '../../../store/store.ts';
import type { AdminDeps } from '../index.ts';
import { actorOf, tenantIn } from '../index.ts';
import { decodeCursor, page, pageOf, pagingQuery } from '../paging.ts';
import { nullableTime, problems, slugParam, time } from '../schemas.ts';


const endpointSchema = {
  type: 'object',
  required: ['id', 'tenantId', 'url', 'description', 'types', 'enabled', 'state', 'stateReason', 'previousSecretUntil', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string', description: 'wh_…' },
    tenantId: { type: ['string', 'null'], description: "null: a global endpoint, receiving every tenant's events" },
    url: { type: 'string' },
    description: { type: ['string', 'null'] },
    types: { type: ['array', 'null'], items: { type: 'string' }, description: 'The event types it receives (patterns expanded); null: all' },
    enabled: { type: 'boolean' },
    state: { type: 'string', enum: ['ok', 'failing', 'gone'], description: 'failing: an event was dead-lettered and no delivery has succeeded since; gone: the receiver answered 410, deliveries stopped until re-enabled' },
    stateReason: { type: ['string', 'null'] },
    previousSecretUntil: { ...nullableTime, description: 'While a rotated-out secret still signs beside the new one: until when' },
    createdAt: time,
    updatedAt: time,
  },
} as const;

const withSecret = {
  type: 'object',
  required: [...endpointSchema.required, 'secret'],
  properties: { ...endpointSchema.properties, secret: { type: 'string', description: 'whsec_…: shown this once; verify deliveries with it (docs/events.md)' } },
} as const;

const attemptSchema = {
  type: 'object',
  required: ['id', 'at', 'tenantId', 'eventId', 'position', 'status', 'latencyMs', 'error', 'outcome'],
  properties: {
    id: { type: 'integer' }, at: time, tenantId: { type: 'string' }, eventId: { type: 'string' }, position: { type: 'integer', description: "The event's tenant position" },
    status: { type: ['integer', 'null'], description: 'The HTTP status the receiver answered; null when it did not answer' },
    latencyMs: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] },
    outcome: { type: 'string', enum: ['delivered', 'failed', 'dead', 'skipped'] },
  },
} as const;

const deadLetterSchema = {
  type: 'object',
  required: ['id', 'at', 'tenantId', 'eventId', 'position', 'tenantPosition', 'attempts', 'lastError', 'replayAt', 'replayAttempts', 'replayedAt'],
  properties: {
    id: { type: 'integer' }, at: time, tenantId: { type: 'string' }, eventId: { type: 'string' }, position: { type: 'integer' }, tenantPosition: { type: 'integer' },
    attempts: { type: 'integer' }, lastError: { type: ['string', 'null'] },
    replayAt: { ...nullableTime, description: 'A replay is pending, due then' }, replayAttempts: { type: 'integer' }, replayedAt: nullableTime,
  },
} as const;

const endpointBody = (required: string[]) => ({
  type: 'object', additionalProperties: false, required,
  properties: {
    url: { type: 'string', maxLength: 2048, description: 'https:// (http and private addresses only where the server allows them: docs/events.md)' },
    types: { type: ['array', 'null'], maxItems: 100, items: { type: 'string', maxLength: 100 }, description: 'Event types or patterns ("user.*"); null: every type' },
    description: { type: ['string', 'null'], maxLength: 1000 },
    enabled: { type: 'boolean' },
  },
});

const attemptJson = (a: DeliveryAttempt) => ({ id: a.seq, at: a.at, tenantId: a.tenantId, eventId: a.eventId, position: a.position, status: a.status, latencyMs: a.latencyMs, error: a.error, outcome: a.outcome });
const deadLetterJson = (d: DeadLetter) => ({ id: d.seq, at: d.at, tenantId: d.tenantId, eventId: d.eventId, position: d.position, tenantPosition: d.tenantPosition, attempts: d.attempts, lastError: d.lastError, replayAt: d.replayAt, replayAttempts: d.replayAttempts, replayedAt: d.replayedAt });

export function webhookRoutes(app: FastifyInstance, deps: AdminDeps & { webhooks: WebhookEndpoints }): void {
  const { store, clock } = deps.provisioning;
  const { webhooks } = deps;

  // Each route twice: under /tenants/{tenant} for one tenant's endpoints, at the root for global ones.
  for (const tree of ['tenant', 'global'] as const) {
    const base = tree === 'tenant' ? '/tenants/:tenant/webhooks' : '/webhooks';
    const tags = ['webhooks'];
    // Spread into a schema only where there is a path parameter (Fastify warns of an absent params schema).
    const baseParams = tree === 'tenant' ? { params: { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } } : {};
    const idParams = { type: 'object', required: tree === 'tenant' ? ['tenant', 'id'] : ['id'], properties: { ...(tree === 'tenant' ? { tenant: slugParam } : {}), id: { type: 'string', maxLength: 100 } } };
    /** The scope of a request, and the tenant id audit entries name (null for global endpoints). */
    const scopeOf = async (request: FastifyRequest): Promise<{ scope: EndpointScope; tenant: Awaited<ReturnType<typeof tenantIn>> | null }> => {
      if (tree === 'global') return { scope: null, tenant: null };
      const t = await tenantIn(store, request);
      return { scope: t.id, tenant: t };
    };
    const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
    const record = (request: FastifyRequest, action: string, id: string, tenantId: string | null, summary: Record<string, unknown> = {}) =>
      audit(store, clock, actorOf(request), action, { type: 'webhook', id, tenantId }, summary);

    app.get(base, {
      schema: { operationId: tree === 'tenant' ? 'listTenantWebhooks' : 'listGlobalWebhooks', tags, summary: tree === 'tenant' ? "A tenant's webhook endpoints (never their secrets)" : 'Global webhook endpoints, receiving every tenant\'s events', ...baseParams, querystring: { type: 'object', additionalProperties: false, properties: { ...pagingQuery } }, response: { 200: pageOf(endpointSchema), ...problems(400, 401, 404) } },
    }, async (request) => {
      const { scope } = await scopeOf(request);
      const q = request.query as { after?: string; limit: number };
      const after = decodeCursor<string>(q.after, 'string');
      return page(q.limit, (n) => webhooks.list(scope, { after, limit: n }), (e) => e.id, (e) => e);
    });

    app.post(base, {
      schema: { operationId: tree === 'tenant' ? 'createTenantWebhook' : 'createGlobalWebhook', tags, summary: 'Add a webhook endpoint; the response holds its signing secret, shown this once', ...baseParams, body: endpointBody(['url']), response: { 201: withSecret, ...problems(400, 401, 403, 404) } },
    }, async (request, reply) => {
      const { tenant } = await scopeOf(request);
      const created = await webhooks.create(tenant, request.body as Parameters<WebhookEndpoints['create']>[1]);
      await record(request, 'webhook.create', created.endpoint.id, tenant?.id ?? null, { url: created.endpoint.url, types: created.endpoint.types });
      return reply.code(201).send({ ...created.endpoint, secret: created.secret });
    });

    app.get(`${base}/:id`, {
      schema: { operationId: tree === 'tenant' ? 'getTenantWebhook' : 'getGlobalWebhook', tags, params: idParams, response: { 200: endpointSchema, ...problems(401, 404) } },
    }, async (request) => webhooks.get(idOf(request), (await scopeOf(request)).scope));

    app.patch(`${base}/:id`, {
      schema: { operationId: tree === 'tenant' ? 'updateTenantWebhook' : 'updateGlobalWebhook', tags, summary: 'Change url, types, description or enabled (re-enabling a gone endpoint resumes it)', params: idParams, body: endpointBody([]), response: { 200: endpointSchema, ...problems(400, 401, 403, 404) } },
    }, async (request) => {
      const { scope, tenant } = await scopeOf(request);
      const body = request.body as Parameters<WebhookEndpoints['update']>[1];
      const updated: Endpoint = await webhooks.update(idOf(request), body, scope);
      await record(request, 'webhook.update', updated.id, tenant?.id ?? null, { fields: Object.keys(body ?? {}) });
      return updated;
    });

    app.delete(`${base}/:id`, {
      schema: { operationId: tree === 'tenant' ? 'deleteTenantWebhook' : 'deleteGlobalWebhook', tags, summary: 'Remove an endpoint with its delivery history', params: idParams, response: { 204: { type: 'null' }, ...problems(401, 403, 404) } },
    }, async (request, reply) => {
      const { scope, tenant } = await scopeOf(request);
      await webhooks.delete(idOf(request), scope);
      await record(request, 'webhook.delete', idOf(request), tenant?.id ?? null);
      return reply.code(204).send();
    });

    app.post(`${base}/:id/rotate-secret`, {
      schema: {
        operationId: tree === 'tenant' ? 'rotateTenantWebhookSecret' : 'rotateGlobalWebhookSecret', tags, params: idParams,
        summary: 'A new signing secret, shown this once; the old one keeps signing beside it for the overlap (default 24h, at most 7d, 0 ends it now)',
        body: { type: ['object', 'null'], additionalProperties: false, properties: { overlap: { type: 'string', maxLength: 20, description: '24h (default), 7d, 30m, or 0' } } },
        response: { 200: withSecret, ...problems(400, 401, 403, 404) },
      },
    }, async (request) => {
      const { scope, tenant } = await scopeOf(request);
      const body = (request.body ?? {}) as { overlap?: string };
      const overlapMs = body.overlap === undefined ? undefined : body.overlap.trim() === '0' ? 0 : parseDuration(body.overlap);
      const rotated = await webhooks.rotateSecret(idOf(request), { overlapMs: overlapMs ?? undefined }, scope);
      await record(request, 'webhook.rotateSecret', rotated.endpoint.id, tenant?.id ?? null, { previousSecretUntil: rotated.endpoint.previousSecretUntil });
      return { ...rotated.endpoint, secret: rotated.secret };
    });

    app.get(`${base}/:id/attempts`, {
      schema: {
        operationId: tree === 'tenant' ? 'listTenantWebhookAttempts' : 'listGlobalWebhookAttempts', tags, params: idParams, summary: 'Delivery attempts, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: { eventId: { type: 'string', maxLength: 100 }, outcome: { type: 'string', enum: ['delivered', 'failed', 'dead', 'skipped'] }, ...pagingQuery } },
        response: { 200: pageOf(attemptSchema), ...problems(400, 401, 404) },
      },
    }, async (request) => {
      const { scope } = await scopeOf(request);
      const q = request.query as { eventId?: string; outcome?: DeliveryOutcomeName; after?: string; limit: number };
      const after = decodeCursor<number>(q.after, 'number');
      return page(q.limit, (n) => webhooks.listAttempts(idOf(request), { eventId: q.eventId, outcome: q.outcome }, { after: after === undefined ? undefined : String(after), limit: n }, scope), (a) => a.seq, attemptJson);
    });

    app.get(`${base}/:id/dead-letters`, {
      schema: {
        operationId: tree === 'tenant' ? 'listTenantWebhookDeadLetters' : 'listGlobalWebhookDeadLetters', tags, params: idParams, summary: 'Events given up on after the retry schedule, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: { pending: { type: 'boolean', description: 'Only those not delivered by a replay yet' }, ...pagingQuery } },
        response: { 200: pageOf(deadLetterSchema), ...problems(400, 401, 404) },
      },
    }, async (request) => {
      const { scope } = await scopeOf(request);
      const q = request.query as { pending?: boolean; after?: string; limit: number };
      const after = decodeCursor<number>(q.after, 'number');
      return page(q.limit, (n) => webhooks.listDeadLetters(idOf(request), { pending: q.pending }, { after: after === undefined ? undefined : String(after), limit: n }, scope), (d) => d.seq, deadLetterJson);
    });

    app.post(`${base}/:id/replay`, {
      schema: {
        operationId: tree === 'tenant' ? 'replayTenantWebhook' : 'replayGlobalWebhook', tags, params: idParams,
        summary: 'Deliver again: one dead letter ({"deadLetter": id}), or an event and every later one of its tenant, in order ({"fromEvent": "evt_…"})',
        body: {
          type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1,
          properties: { deadLetter: { type: 'integer', minimum: 1 }, fromEvent: { type: 'string', maxLength: 100 } },
        },
        response: { 202: { type: 'object', required: ['replayed'], properties: { replayed: { type: 'string', enum: ['deadLetter', 'fromEvent'] } } }, ...problems(400, 401, 403, 404) },
      },
    }, async (request, reply) => {
      const { scope, tenant } = await scopeOf(request);
      const body = request.body as { deadLetter: number } | { fromEvent: string };
      const done = await webhooks.replay(idOf(request), body, scope);
      await record(request, 'webhook.replay', idOf(request), tenant?.id ?? null, body);
      return reply.code(202).send(done);
    });
  }
}
