// Errors of the admin API as RFC 9457 problem details (application/problem+json): a stable `type`
// per kind of error (a URN, so it never depends on where docs are hosted; docs/admin-api.md lists
// them), the HTTP status, a title, a `detail` saying what to fix, and for invalid input the field.
// Use-case errors (SCIM errors raised by the shared provisioning code, tenant errors) are mapped
// here by their typed reason, never by message text.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '../../scim/errors.ts';
import { StoreUnavailable } from '../../store/store.ts';
import { IdpManaged, InvitationsClosed } from '../../provisioning/admin/directory.ts';
import { SettingsError } from '../../provisioning/tenants/settings.ts';
import { TenantError } from '../../provisioning/tenants/tenants.ts';
import { EndpointError } from '../../events/endpoints.ts';
import { SamlConnectionError } from '../../provisioning/sso/connections.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
const TYPE_PREFIX = 'urn:rollcall:problem:';

/** Every problem type the admin API answers with, and its title. */
export const PROBLEM_TYPES = {
  'unauthorized': 'Authentication required',
  'forbidden': 'Not allowed with this key',
  'not-found': 'Not found',
  'invalid-request': 'The request is not valid',
  'invalid-value': 'A value is not valid',
  'conflict': 'Conflicts with the current state',
  'idp-managed': 'Managed by the identity provider',
  'version-mismatch': 'The resource has changed',
  'payload-too-large': 'The request body is too large',
  'unavailable': 'Temporarily unavailable',
  'internal': 'Internal server error',
  'csrf': 'Cross-site request refused',
  'gone': 'No longer available',
  'too-many-requests': 'Too many requests',
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

export class Problem extends Error {
  constructor(readonly status: number, readonly type: ProblemType, detail: string, readonly extra: { field?: string; [k: string]: unknown } = {}, readonly headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'Problem';
  }
  toBody(instance: string) {
    return { type: TYPE_PREFIX + this.type, title: PROBLEM_TYPES[this.type], status: this.status, detail: this.message, instance, ...this.extra };
  }
}

export const notFoundProblem = (detail: string) => new Problem(404, 'not-found', detail);
export const invalid = (field: string, detail: string) => new Problem(400, 'invalid-request', detail, { field });

/** The JSON schema of a problem body, for route responses and the OpenAPI document. */
export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'urn:rollcall:problem:<kind>; stable, for code to branch on' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'What is wrong and how to fix it, for people' },
    instance: { type: 'string', description: 'The request id' },
    field: { type: 'string', description: 'The offending field, for invalid input' },
    reason: { type: 'string', description: 'A finer machine-readable reason, where there is one' },
    problems: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string' }, message: { type: 'string' } } }, description: 'Every problem found in a settings document, each at its JSON pointer' },
    held: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'The custom attributes that still hold values, with how many resources hold them' },
    examples: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'A few of the resources a policy being turned on does not hold for (reason policyConflict)' },
  },
} as const;

export function sendProblem(reply: FastifyReply, request: FastifyRequest, p: Problem): FastifyReply {
  return reply.code(p.status).headers(p.headers).type(PROBLEM_CONTENT_TYPE).send(p.toBody(request.id));
}

/** A SCIM error from the shared use cases, in the admin API's terms. */
function fromScim(err: ScimError): Problem {
  const extra: { field?: string; reason?: string } = {};
  if (err.reason?.attribute) extra.field = err.reason.attribute;
  else if (err.scimType === 'invalidFilter') extra.field = 'filter';
  if (err.reason?.code) extra.reason = err.reason.code;
  if (err.status === 404) return new Problem(404, 'not-found', err.message, extra);
  if (err.status === 409) return new Problem(409, 'conflict', err.message, extra);
  if (err.status === 412) return new Problem(412, 'version-mismatch', err.message, extra);
  if (err.status === 413) return new Problem(413, 'payload-too-large', err.message, extra);
  if (err.status === 503) return new Problem(503, 'unavailable', err.message, extra, err.headers);
  if (err.status === 400) return new Problem(400, err.scimType === 'invalidFilter' || err.scimType === 'invalidSyntax' ? 'invalid-request' : 'invalid-value', err.message, extra);
  return new Problem(err.status, err.status === 401 ? 'unauthorized' : err.status === 403 ? 'forbidden' : 'invalid-request', err.message, extra);
}

function fromSettings(err: SettingsError): Problem {
  const r = err.reason;
  switch (r.code) {
    case 'unknownTenant': return new Problem(404, 'not-found', err.message);
    case 'invalidSettings': return new Problem(400, 'invalid-value', err.message, { field: r.problems[0]?.pointer, reason: r.code, problems: r.problems });
    case 'staleVersion': return new Problem(412, 'version-mismatch', err.message, { reason: r.code });
    case 'valuesHeld': return new Problem(409, 'conflict', err.message, { reason: r.code, held: r.held });
    case 'notUnique': return new Problem(409, 'conflict', err.message, { reason: r.code, field: `${r.schema}:${r.attribute}` });
    case 'policyConflict': return new Problem(409, 'conflict', err.message, { reason: r.code, field: r.pointer, examples: r.examples });
  }
}

/** Fastify's schema validation failure → which field, in words. */
function fromValidation(err: FastifyError): Problem {
  const first = err.validation?.[0];
  const where = err.validationContext ?? 'body';
  const path = first ? `${first.instancePath.replace(/^\//, '').replace(/\//g, '.')}` : '';
  const missing = first?.keyword === 'required' ? String((first.params as { missingProperty?: string }).missingProperty ?? '') : '';
  const extraProp = first?.keyword === 'additionalProperties' ? String((first.params as { additionalProperty?: string }).additionalProperty ?? '') : '';
  const field = [path, missing || extraProp].filter(Boolean).join('.') || where;
  const detail = missing ? `${field} is required.`
    : extraProp ? `${field} is not a known field here; check its spelling (docs/admin-api.md lists the fields).`
    : `${field} ${first?.message ?? 'is not valid'}.`;
  return new Problem(400, 'invalid-request', detail, { field });
}

export function translate(err: FastifyError, bodyLimit: number, retryAfter: number): Problem | undefined {
  if (err instanceof Problem) return err;
  if (err instanceof ScimError) return fromScim(err);
  if ((err as unknown) instanceof SettingsError) return fromSettings(err as unknown as SettingsError);
  if ((err as unknown) instanceof IdpManaged) return new Problem(409, 'idp-managed', err.message, { reason: (err as unknown as IdpManaged).reason });
  if ((err as unknown) instanceof InvitationsClosed) return new Problem(409, 'conflict', err.message, { field: 'status', reason: (err as unknown as InvitationsClosed).reason });
  if ((err as unknown) instanceof EndpointError) {
    const e = err as unknown as EndpointError;
    return new Problem(e.status, e.status === 404 ? 'not-found' : e.status === 409 ? 'conflict' : 'invalid-value', e.message, e.field ? { field: e.field } : {});
  }
  if ((err as unknown) instanceof SamlConnectionError) {
    const e = err as unknown as SamlConnectionError;
    return new Problem(e.status, e.status === 404 ? 'not-found' : e.status === 409 ? 'conflict' : 'invalid-value', e.message, { ...(e.field ? { field: e.field } : {}), ...(e.reason ? { reason: e.reason } : {}) });
  }
  if (err instanceof TenantError) return new Problem(err.status, err.status === 404 ? 'not-found' : err.status === 409 ? 'conflict' : 'invalid-value', err.message, err.field ? { field: err.field } : {});
  if ((err as unknown) instanceof StoreUnavailable) return new Problem(503, 'unavailable', 'The database is unavailable at the moment; retry after the number of seconds in Retry-After.', {}, { 'Retry-After': String(retryAfter) });
  if (err.validation) return fromValidation(err);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new Problem(413, 'payload-too-large', `The request body is larger than ${bodyLimit} bytes, the most this server accepts.`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new Problem(400, 'invalid-request', `The request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new Problem(415, 'invalid-request', 'The admin API takes JSON bodies: send Content-Type: application/json.');
  }
  if (err instanceof SyntaxError) return new Problem(400, 'invalid-request', `The request body is not valid JSON: ${err.message}`);
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return new Problem(err.statusCode, 'invalid-request', err.message);
  return undefined;
}

/** Errors Fastify raises before routing (bad percent-encoding, over-long path segments), for /admin URLs. */
export function frameworkProblem(err: FastifyError): Problem {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return new Problem(400, 'invalid-request', 'A path segment of the URL is too long (ids have at most 255 characters).');
  if (err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_ASYNC_CONSTRAINT') return new Problem(400, 'invalid-request', 'The request URL is malformed (bad percent-encoding?).');
  return new Problem(typeof err.statusCode === 'number' ? err.statusCode : 400, 'invalid-request', err.message);
}

/** The problem+json error handler and 404 of the admin plugin (Fastify encapsulates both). */
export function installProblemErrors(app: FastifyInstance, bodyLimit: number, retryAfter: number): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const p = translate(err, bodyLimit, retryAfter);
    if (p) return sendProblem(reply, request, p);
    request.log.error({ err, req: request }, 'unexpected failure');
    return sendProblem(reply, request, new Problem(500, 'internal', `Internal server error. Quote request id ${request.id} when reporting it.`));
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, notFoundProblem(
    `No such endpoint: ${request.method} ${request.url.split('?')[0]}. The admin API's operations are listed in /admin/v1/openapi.json.`)));
}
