// /admin/v1/tenants/{tenant}/requests and /health: a tenant's SCIM request log (docs/request-log.md),
// for the vendor's support staff. The list is newest first with filters and cursors (a row's id is
// its cursor); one request shows its redacted bodies; health sums the log up with indexed counts
// (store/sql/request-log.ts). A tenant's tree reads only that tenant's rows.
import type { FastifyInstance } from 'fastify';
import { identityProviderOf } from '../../../provisioning/request-log/identity-provider.ts';
import type { RequestCounts, RequestLogEntry, RequestLogQuery } from '../../../store/store.ts';
import { tenantIn, type AdminDeps } from '../index.ts';
import { decodeCursor, page, pageOf, pagingQuery } from '../paging.ts';
import { invalid, notFoundProblem } from '../problem.ts';
import { nullableTime, problems, slugParam, time } from '../schemas.ts';

const nullableString = { type: ['string', 'null'] } as const;

const summaryProperties = {
  id: { type: 'integer', description: 'The row: pass to GET …/requests/{id} for its bodies' },
  at: { ...time, description: 'When the request was answered' },
  method: { type: 'string' },
  path: { type: 'string', description: 'The request target as received: path and query string' },
  filter: { ...nullableString, description: 'The `filter` query parameter, decoded' },
  status: { type: 'integer' },
  scimType: { ...nullableString, description: 'The SCIM error type of a failed request (RFC 7644 §3.12), e.g. uniqueness' },
  detail: { ...nullableString, description: 'The error detail the client was sent' },
  reason: { ...nullableString, description: "Rollcall's machine-readable reason for the error (docs/errors.md)" },
  latencyMs: { type: 'number' },
  requestId: { type: 'string', description: 'The x-request-id of the answer (the client may have sent it)' },
  tokenId: { ...nullableString, description: 'The SCIM token that authenticated it; null when authentication failed' },
  userAgent: nullableString,
  identityProvider: { ...nullableString, description: 'Okta, Microsoft Entra ID, … when the User-Agent names one' },
  resourceType: { type: ['string', 'null'], enum: ['User', 'Group', null] },
  resourceId: { ...nullableString, description: 'The user or group the request was about' },
} as const;

const requestSummarySchema = { type: 'object', required: Object.keys(summaryProperties), properties: summaryProperties } as const;

const bodySchema = {
  type: ['object', 'null'], required: ['text', 'size', 'truncated'],
  description: 'null when there was no body',
  properties: {
    text: { type: 'string', description: 'The body as JSON text, with redacted values replaced by "[redacted]"; cut when truncated' },
    size: { type: 'integer', description: "The original body's length, in characters" },
    truncated: { type: 'boolean' },
  },
} as const;

const requestSchema = {
  type: 'object',
  required: [...requestSummarySchema.required, 'requestBody', 'responseBody'],
  properties: { ...summaryProperties, requestBody: bodySchema, responseBody: bodySchema },
} as const;

const countsSchema = {
  type: 'object', required: ['requests', 'clientErrors', 'serverErrors', 'errorRate'],
  properties: {
    requests: { type: 'integer' }, clientErrors: { type: 'integer', description: 'Answered 4xx' }, serverErrors: { type: 'integer', description: 'Answered 5xx' },
    errorRate: { type: ['number', 'null'], description: '(clientErrors + serverErrors) / requests; null without requests' },
  },
} as const;

const healthSchema = {
  type: 'object',
  required: ['tenant', 'recording', 'lastRequestAt', 'lastHour', 'last24Hours', 'identityProvider', 'lastError', 'hourly'],
  properties: {
    tenant: { type: 'object', required: ['id', 'slug'], properties: { id: { type: 'string' }, slug: { type: 'string' } } },
    recording: { type: 'boolean', description: 'false when the server records no requests (ROLLCALL_REQUEST_LOG=off)' },
    lastRequestAt: nullableTime,
    lastHour: countsSchema,
    last24Hours: countsSchema,
    identityProvider: {
      type: ['object', 'null'], required: ['id', 'name', 'userAgent', 'lastSeenAt'],
      description: 'The client of the newest authenticated request; null before the first',
      properties: { id: nullableString, name: nullableString, userAgent: nullableString, lastSeenAt: time },
    },
    lastError: {
      type: ['object', 'null'], required: ['id', 'at', 'method', 'path', 'status', 'scimType', 'detail', 'reason', 'requestId'],
      description: 'The newest request answered 4xx or 5xx',
      properties: {
        id: summaryProperties.id, at: time, method: summaryProperties.method, path: summaryProperties.path, status: summaryProperties.status,
        scimType: nullableString, detail: nullableString, reason: nullableString, requestId: summaryProperties.requestId,
      },
    },
    hourly: {
      type: 'array', minItems: 24, maxItems: 24,
      description: 'The last 24 hours as 24 one-hour windows ending now, oldest first (for a chart); the last is lastHour, together they are last24Hours',
      items: {
        type: 'object', required: ['start', 'requests', 'errors'],
        properties: {
          start: { ...time, description: 'The first instant of the window; it ends an hour later' },
          requests: { type: 'integer' },
          errors: { type: 'integer', description: 'Answered 4xx or 5xx' },
        },
      },
    },
  },
} as const;

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

const summaryJson = (e: RequestLogEntry) => ({
  id: e.seq, at: e.at, method: e.method, path: e.path, filter: e.filter, status: e.status, scimType: e.scimType, detail: e.detail, reason: e.reason,
  latencyMs: e.latencyMs, requestId: e.requestId, tokenId: e.tokenId, userAgent: e.userAgent, identityProvider: identityProviderOf(e.userAgent)?.name ?? null,
  resourceType: e.resourceType, resourceId: e.resourceId,
});
const countsJson = (c: RequestCounts) => ({ ...c, errorRate: c.requests ? Math.round(((c.clientErrors + c.serverErrors) / c.requests) * 10_000) / 10_000 : null });

/** An ISO 8601 time as the log stores it (UTC, milliseconds), or a 400 naming the parameter. */
function timeParam(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (!Number.isFinite(t)) throw invalid(name, `${name} must be a date and time such as 2026-01-31T09:00:00Z.`);
  return new Date(t).toISOString();
}

interface ListQuery { status?: (typeof STATUS_CLASSES)[number]; method?: string; since?: string; until?: string; resourceId?: string; requestId?: string; after?: string; limit: number }

export function requestLogRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps.provisioning;
  const tags = ['request log'];
  const tenantParams = { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } as const;

  // Not for setup sessions: the bodies hold the tenant's directory, which a setup link must not open.
  app.get('/tenants/:tenant/requests', {
    schema: {
      operationId: 'listRequests', tags, summary: "A tenant's SCIM requests, newest first (bodies: GET one)", params: tenantParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          status: { type: 'string', enum: [...STATUS_CLASSES], description: 'Only this status class' },
          method: { type: 'string', maxLength: 10, pattern: '^[A-Za-z]+$', description: 'GET, POST, PUT, PATCH, DELETE' },
          since: { type: 'string', format: 'date-time', description: 'Answered at or after this time' },
          until: { type: 'string', format: 'date-time', description: 'Answered before this time' },
          resourceId: { type: 'string', maxLength: 255, description: 'Only the requests that created, changed or deleted this user or group, or failed on it (its id); successful reads of it are not selected' },
          requestId: { type: 'string', maxLength: 100, description: 'Only the request(s) with this request id' },
          ...pagingQuery,
        },
      },
      response: { 200: pageOf(requestSummarySchema), ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const tenant = await tenantIn(store, request);
    const q = request.query as ListQuery;
    const after = decodeCursor<number>(q.after, 'number');
    const filters: RequestLogQuery = {
      statusClass: q.status === undefined ? undefined : Number(q.status[0]), method: q.method?.toUpperCase(),
      since: timeParam('since', q.since), until: timeParam('until', q.until), resourceId: q.resourceId, requestId: q.requestId,
    };
    return page(q.limit, (n) => store.listRequestLog(tenant.id, filters, { after: after === undefined ? undefined : String(after), limit: n }), (e) => e.seq, summaryJson);
  });

  app.get('/tenants/:tenant/requests/:id', {
    schema: {
      operationId: 'getRequest', tags, summary: 'One SCIM request with its request and response bodies (redacted, cut at the configured size)',
      params: { type: 'object', required: ['tenant', 'id'], properties: { tenant: slugParam, id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
      response: { 200: requestSchema, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const tenant = await tenantIn(store, request);
    const id = (request.params as { id: number }).id;
    const entry = await store.getRequestLogEntry(tenant.id, id);
    if (!entry) throw notFoundProblem(`Tenant "${tenant.slug}" has no recorded request ${id} (it may be older than the retention).`);
    return { ...summaryJson(entry), requestBody: entry.requestBody, responseBody: entry.responseBody };
  });

  app.get('/tenants/:tenant/health', {
    config: { setup: 'read' },
    schema: {
      operationId: 'getTenantHealth', tags, params: tenantParams,
      summary: 'SCIM health from the request log: last request, requests and error rate over 1 hour and 24 hours, the 24 hours hour by hour, the identity provider seen, the last error',
      response: { 200: healthSchema, ...problems(401, 404) },
    },
  }, async (request) => {
    const tenant = await tenantIn(store, request);
    const h = await store.requestLogHealth(tenant.id, new Date(clock.now()).toISOString());
    const idp = h.lastClient ? identityProviderOf(h.lastClient.userAgent) : null;
    const e = h.lastError;
    return {
      tenant: { id: tenant.id, slug: tenant.slug },
      recording: deps.config.requestLog.enabled,
      lastRequestAt: h.lastRequestAt,
      lastHour: countsJson(h.lastHour),
      last24Hours: countsJson(h.lastDay),
      identityProvider: h.lastClient ? { id: idp?.id ?? null, name: idp?.name ?? null, userAgent: h.lastClient.userAgent, lastSeenAt: h.lastClient.at } : null,
      // The route's schema for lastError names the fields answered; the serializer leaves out the rest.
      // A setup session sees that requests arrive, not what they were about (a path may hold a userName).
      lastError: e && request.consoleSession?.kind !== 'setup' ? summaryJson(e) : null,
      hourly: h.hourly.map((b) => ({ start: b.start, requests: b.requests, errors: b.clientErrors + b.serverErrors })),
    };
  });
}
