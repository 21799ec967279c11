// What the SCIM edge hands the request log (provisioning/request-log/recorder.ts) of each request of
// a tenant: captured in onSend, as the answer leaves, for every answer the tenant's routes give —
// successes, SCIM errors, 401s of a wrong token, 404s of unknown endpoints. Capturing costs the
// request a few property reads and one array push: the bodies are kept as the strings they already
// are (the raw request text the body parser read, the serialised reply), and redacted, cut to size
// and written later, off the request path. Headers are never kept but the User-Agent: never the
// Authorization header.
//
// Captured in onSend rather than onResponse so that the request is in the log's buffer before the
// client has its answer: a flush after a response has that request (the tests rely on it). A
// streamed answer (a group with its members) is captured as it ends, through a pass-through that
// keeps its start.
import { Transform, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../provisioning/clock.ts';
import type { CapturedRequest, RequestLog } from '../../provisioning/request-log/recorder.ts';
import { tenantOf } from '../request-log.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body as received, before parsing (set by the SCIM body parser), for the request log. */
    scimRawBody?: string;
  }
}

const RESOURCE = /\/scim\/v2\/[^/?]+\/(Users|Groups)(?:\/([^/?]+))?/i;

/** Installs the capture on the SCIM tenant plugin (http/scim/routes.ts) when the log is on. */
export function installRequestCapture(app: FastifyInstance, log: RequestLog, clock: Clock): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    let next: unknown = payload;
    try {
      next = capture(request, reply, payload, log, clock);
    } catch (err) {
      // The log must never fail a request: the answer goes as it was.
      request.log.warn({ err: err instanceof Error ? err.message : String(err), req: request }, 'SCIM request log: capture failed');
    }
    done(null, next);
  });
}

function capture(request: FastifyRequest, reply: FastifyReply, payload: unknown, log: RequestLog, clock: Clock): unknown {
  const url = request.url;
  const q = url.indexOf('?');
  const pathOnly = q < 0 ? url : url.slice(0, q);
  const params = request.params as { tenant?: string; id?: string } | undefined;
  const slug = params?.tenant?.toLowerCase() ?? tenantOf(pathOnly);
  if (slug === undefined) return payload;
  const scim = request.scim;
  const err = reply.scimError;
  const query = request.query as Record<string, unknown> | undefined;
  const filter = typeof query?.filter === 'string' ? query.filter : null;
  const resource = RESOURCE.exec(pathOnly);
  const resourceType = resource ? (resource[1].toLowerCase() === 'users' ? 'User' : 'Group') : null;
  let resourceId: string | null = null;
  if (resource?.[2] && !resource[2].startsWith('.')) resourceId = decoded(resource[2]);
  else if (resource && request.method === 'POST' && reply.statusCode === 201) {
    // A creation's id is in the Location it answered with.
    const location = reply.getHeader('location');
    if (typeof location === 'string') resourceId = decoded(location.slice(location.lastIndexOf('/') + 1));
  }
  const raw = request.scimRawBody;
  const ua = request.headers['user-agent'];
  const c: CapturedRequest = {
    atMs: clock.now(), tenantId: scim?.tenant.id ?? null, tenantSlug: slug, method: request.method, path: url, filter,
    status: reply.statusCode, scimType: err?.scimType ?? null, detail: err ? err.message : null, reason: err?.reason?.code ?? null,
    latencyMs: reply.elapsedTime, requestId: request.id, tokenId: scim?.actor.type === 'token' ? scim.actor.id : null,
    userAgent: typeof ua === 'string' ? ua : null, resourceType, resourceId,
    requestBody: raw === undefined ? undefined : log.keep(raw), requestSize: raw?.length ?? 0,
    responseBody: undefined, responseSize: 0,
  };
  if (typeof payload === 'string') {
    c.responseBody = log.keep(payload);
    c.responseSize = payload.length;
  } else if (Buffer.isBuffer(payload)) {
    // At most 4 bytes a character: enough bytes for the characters kept.
    c.responseBody = log.keep(payload.subarray(0, log.maxKept * 4).toString());
    c.responseSize = payload.length;
  } else if (payload && typeof (payload as Readable).pipe === 'function') {
    return tap(payload as Readable, c, reply, log);
  }
  log.record(c);
  return payload;
}

/** A streamed answer passes through unchanged; its start is kept and the request recorded when it ends. */
function tap(stream: Readable, c: CapturedRequest, reply: FastifyReply, log: RequestLog): Readable {
  const parts: string[] = [];
  let kept = 0;
  let recorded = false;
  const finish = () => {
    if (recorded) return;
    recorded = true;
    c.responseBody = log.keep(parts.join(''));
    c.latencyMs = reply.elapsedTime;
    log.record(c);
  };
  const through = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      c.responseSize += chunk.length;
      if (kept < log.maxKept) {
        const text = typeof chunk === 'string' ? chunk : chunk.toString();
        parts.push(text);
        kept += text.length;
      }
      callback(null, chunk);
    },
    flush(callback) { finish(); callback(); },
  });
  stream.on('error', (err) => { finish(); through.destroy(err); });
  through.on('close', finish);
  return stream.pipe(through);
}

function decoded(segment: string): string {
  try { return decodeURIComponent(segment); } catch { return segment; }
}
