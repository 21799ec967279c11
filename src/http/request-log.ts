// What the request log says. Fastify writes two lines per request ("incoming request", "request
// completed"); on their own they named only the status code, so a 409 told an operator nothing.
// Every line of a SCIM request now carries the tenant slug from its URL, and the completion line of
// an error carries its scimType, detail and reason code. The tenant is added by pino's mixin, which
// runs only for lines actually written: a per-request child logger bound to the tenant cost ~35 µs
// of CPU on every request even at level warn, when nothing is logged (npm run probe -- group: 84 →
// 128 µs per request). Never a body, never a token: the
// Authorization header is redacted wherever it could appear, and headers are not logged at all.
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from '../config/config.ts';
import type { ScimError } from '../scim/errors.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** The SCIM error this reply answers with (set by http/scim/errors.ts), for the log line. */
    scimError: ScimError | null;
  }
}

/** Pino options of the server's logger; `overrides` (a test's stream, say) are merged over them. */
export function loggerOptions(config: Readonly<Config>, overrides: object = {}): NonNullable<FastifyServerOptions['logger']> {
  return {
    level: config.logLevel,
    // Bearer tokens are secrets: never logged, even at trace level.
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    // The tenant of the request a line is about: "incoming request" carries the request, "request
    // completed" the reply, and Rollcall's own lines about a request pass it as `req`.
    mixin(merge: object) {
      const m = merge as { req?: { url?: string }; res?: { request?: { url?: string } } };
      const tenant = tenantOf(m.res?.request?.url ?? m.req?.url);
      return tenant === undefined ? {} : { tenant };
    },
    serializers: {
      // Fastify's own fields, with a setup link's token cut out of the URL should one be pasted into
      // the path (Rollcall puts it after "#", which never reaches a server): it opens a tenant's setup.
      req(request: FastifyRequest) {
        return { method: request.method, url: request.url.replace(/\/setup\/rcl_[^/?#]*/g, '/setup/[redacted]'), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
      },
      res(reply: Pick<FastifyReply, 'statusCode'> & Partial<FastifyReply>) {
        const err = reply.scimError;
        if (!err) return { statusCode: reply.statusCode };
        return { statusCode: reply.statusCode, scimType: err.scimType, detail: err.message, reason: err.reason?.code };
      },
    },
    ...overrides,
  };
}

/** Slugs are at most 63 characters; anything longer in a URL is cut (it names no tenant anyway). */
const MAX_LOGGED_SLUG = 64;

/** The tenant segment of /scim/v2/<tenant>/…, as the tenant lookup folds it. */
export function tenantOf(url: string | undefined): string | undefined {
  const segment = /^\/scim\/v2\/([^/?]+)/i.exec(url ?? '')?.[1];
  if (segment === undefined) return undefined;
  let slug = segment;
  try { slug = decodeURIComponent(segment); } catch { /* malformed escapes: logged as sent */ }
  return slug.slice(0, MAX_LOGGED_SLUG).toLowerCase();
}
