// Where errors of the SCIM surface become responses. ScimErrors render as they are; Fastify's own
// failures (body too large, bad JSON, bad URL) map to their SCIM equivalents; anything else is a
// logged 500 carrying the request id — never a disguised 404 or 200.
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidSyntax, notFound, payloadTooLarge, ScimError, badRequest, serviceUnavailable } from '../../scim/errors.ts';
import { StoreUnavailable } from '../../store/store.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export function sendScimError(reply: FastifyReply, err: ScimError): FastifyReply {
  reply.scimError = err; // for the request log line (http/request-log.ts)
  return reply.code(err.status).headers(err.headers).type(SCIM_CONTENT_TYPE).send(err.toBody());
}

const UNAVAILABLE = 'The database is unavailable at the moment; retry after the number of seconds in Retry-After.';

/**
 * The answer to a failure any SCIM handler may meet, the route's or a /Bulk operation's (bulk.ts):
 * a ScimError as it is; the database down or restarting, 503 telling the IdP to come back (Okta and
 * Entra honour Retry-After). Undefined: an unknown failure, a logged 500.
 */
export function knownFailure(err: unknown, retryAfter: number, unavailable = UNAVAILABLE): ScimError | undefined {
  if (err instanceof ScimError) return err;
  if (err instanceof StoreUnavailable) return serviceUnavailable(unavailable, retryAfter);
  return undefined;
}

function translate(err: FastifyError, limit: number, retryAfter: number): ScimError | undefined {
  const known = knownFailure(err, retryAfter);
  if (known) return known;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return payloadTooLarge(`The request body is larger than ${limit} bytes, the most this server accepts.`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return invalidSyntax(`The request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return badRequest('The Content-Length header does not match the body.');
  }
  if (err instanceof SyntaxError) return invalidSyntax(`The request body is not valid JSON: ${err.message}`);
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return new ScimError(err.statusCode, err.message);
  return undefined;
}

/** Errors Fastify raises before a route runs (passed to the frameworkErrors option). */
export function frameworkError(err: FastifyError): ScimError {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return badRequest('A path segment of the URL is too long (ids have at most 255 characters).');
  if (err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_ASYNC_CONSTRAINT') return badRequest('The request URL is malformed (bad percent-encoding?).');
  return new ScimError(typeof err.statusCode === 'number' ? err.statusCode : 400, err.message);
}

/** What Node's clientError codes mean to the client: status, reason phrase, detail. */
function clientErrorAnswer(code: string | undefined): [number, string, string] {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [431, 'Request Header Fields Too Large', 'The request line and headers are larger than 16 KiB. Send long filters in the body of POST /.search.'];
  }
  // Node's requestTimeout / headersTimeout (config.timeouts): the request did not arrive in time.
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, 'Request Timeout', 'The request did not arrive in time: its headers or body came too slowly, or the body was shorter than its Content-Length.'];
  }
  return [400, 'Bad Request', 'The request is not valid HTTP.'];
}

/** Node's clientError (malformed request, headers too large, too slow): a SCIM error written to the socket. */
export function writeClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) { socket.destroy(); return; }
  const [status, phrase, detail] = clientErrorAnswer(err.code);
  endWithScimError(socket, phrase, new ScimError(status, detail));
}

/** Answers on a raw socket, before or outside Fastify's routing, with a SCIM error, and closes it. */
export function endWithScimError(socket: Duplex, phrase: string, err: ScimError): void {
  const body = JSON.stringify(err.toBody());
  socket.end(`HTTP/1.1 ${err.status} ${phrase}\r\nContent-Type: ${SCIM_CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The SCIM error handler and 404, for the plugin they are installed in (Fastify encapsulates both). */
export function installScimErrors(app: FastifyInstance, bodyLimit: number, retryAfter: number): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const scim = translate(err, bodyLimit, retryAfter);
    if ((err as unknown) instanceof StoreUnavailable) request.log.warn({ cause: String((err as unknown as StoreUnavailable).cause), req: request }, 'database unavailable');
    if (scim) return sendScimError(reply, scim); // deliberate answers, not failures
    request.log.error({ err, req: request }, 'unexpected failure');
    return sendScimError(reply, new ScimError(500, `Internal server error. Quote request id ${request.id} when reporting it.`));
  });
  app.setNotFoundHandler((request, reply) => sendScimError(reply, notFound(noSuchEndpoint(request))));
}

function noSuchEndpoint(request: FastifyRequest): string {
  return `No such endpoint: ${request.method} ${request.url.split('?')[0]}. SCIM endpoints live under /scim/v2/<tenant>/ (Users, Groups, ServiceProviderConfig, ResourceTypes, Schemas).`;
}
