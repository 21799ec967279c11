// Authentication of /admin/v1: an admin API key as a bearer token, or a console session cookie. A
// SCIM token here is refused saying which credential is expected (and an admin key on /scim is
// refused likewise, by provisioning/tenants/authentication.ts). A 'read' key may only read; an 'sso'
// key may only call the routes marked `config: { ssoScope: true }` (the sign-in code exchange,
// routes/sso.ts).
//
// The console's cookie (provisioning/admin/console-sessions.ts, docs/console.md "Security") counts
// only when the request has no Authorization header: a script with a key is never confused with a
// browser. A cookie-authenticated request must come from the server's own pages: refused when its
// Origin is another origin or its Sec-Fetch-Site says cross-site, and, unless it is a GET or HEAD,
// when it lacks the session's X-CSRF-Token. An admin session acts as its key, with its key's scope.
// A setup session (a customer's setup link) may call only the routes marked `config: { setup }` and
// only for its own tenant, and the 'scim' and 'sso' routes only when the link was made for them.
import type { FastifyRequest } from 'fastify';
import { AdminKeyRefused, authenticateAdminKey } from '../../provisioning/tenants/admin-keys.ts';
import type { Clock } from '../../provisioning/clock.ts';
import { SessionEnded, type ConsoleAuth, type ConsoleSessions } from '../../provisioning/admin/console-sessions.ts';
import type { AdminKeyRecord, Store } from '../../store/store.ts';
import { Problem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    adminKey: AdminKeyRecord | null;
    /** The console session that authenticated the request; null when an Authorization header did. */
    consoleSession: ConsoleAuth | null;
    /** The secret of that session's cookie (its CSRF token is derived from it). */
    consoleSecret: string | null;
  }
  interface FastifyContextConfig {
    /** The route an admin key of scope 'sso' may call (and keys of scope 'admin'). */
    ssoScope?: boolean;
    /** A write a 'read' key may make: exchanging itself for a console session (POST /sessions). */
    signIn?: boolean;
    /**
     * What a setup session may call: 'read' any setup session, for its own tenant; 'scim' or 'sso'
     * one whose link was made for that purpose, for its own tenant; 'session' its own session
     * (GET and DELETE /sessions/current, POST /setup/complete).
     */
    setup?: 'read' | 'scim' | 'sso' | 'session';
  }
}

export const SESSION_COOKIE = 'rollcall_session';
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="rollcall-admin"' };
const READ_METHODS = new Set(['GET', 'HEAD']);

/** The values of every cookie of that name in a Cookie header, in the order sent. */
export function cookieValues(header: string | undefined, name: string): string[] {
  const out: string[] = [];
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/**
 * The session cookie's secret, or undefined without one. Two cookies of that name are refused, not
 * chosen between: the browser sends the one with the longer Path first, so a cookie planted by a
 * sibling subdomain or over plain http (Path=/admin/v1) would otherwise win over the real one and
 * put the victim's console in the attacker's session (session fixation).
 */
export function sessionCookie(header: string | undefined): string | undefined {
  const values = cookieValues(header, SESSION_COOKIE);
  if (values.length > 1) {
    throw new Problem(401, 'unauthorized', `The browser sent ${values.length} Rollcall session cookies, which Rollcall never sets: one was planted by another site. Clear this site's cookies, then sign in again.`, { reason: 'session' });
  }
  return values[0];
}

/**
 * Refuses a browser request another site made: an Origin header that is neither the public URL's
 * origin nor the origin the request itself was addressed to, or Sec-Fetch-Site: cross-site. Both
 * headers are set by the browser, not by the page, so a cross-site page cannot forge them.
 */
export function refuseCrossSite(request: FastifyRequest, publicOrigin: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site') {
    throw new Problem(403, 'csrf', 'The request came from another site (Sec-Fetch-Site: cross-site): the console\'s session works only from the console\'s own pages.');
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== publicOrigin && origin !== `${request.protocol}://${request.host}`) {
    throw new Problem(403, 'csrf', `The request came from another origin (${JSON.stringify(origin.slice(0, 200))}): the console's session works only from ${publicOrigin}.`);
  }
}

export interface SessionAuthentication {
  sessions: ConsoleSessions;
  /** The origin of the server's public URL (config.publicUrl). */
  publicOrigin: string;
}

export function adminAuthentication(store: Store, clock: Clock, sessions?: SessionAuthentication) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') {
      const secret = sessions ? sessionCookie(request.headers.cookie) : undefined;
      if (sessions && secret !== undefined && secret !== '') return sessionAuthentication(request, secret, sessions);
      throw new Problem(401, 'unauthorized', 'Authentication required: send an admin API key as "Authorization: Bearer rca_…", or sign in to the console. The operator creates a key with `rollcall admin-key create`.', {}, CHALLENGE);
    }
    const m = /^\s*Bearer\s+(.*)$/i.exec(header);
    if (!m) throw new Problem(401, 'unauthorized', 'The Authorization header must use the Bearer scheme: "Authorization: Bearer rca_…".', {}, CHALLENGE);
    let key: AdminKeyRecord;
    try {
      key = await authenticateAdminKey(store, m[1].trim(), clock);
    } catch (err) {
      if (err instanceof AdminKeyRefused) throw new Problem(401, 'unauthorized', err.message, {}, CHALLENGE);
      throw err;
    }
    checkScope(request, key);
    request.adminKey = key;
  };
}

function checkScope(request: FastifyRequest, key: AdminKeyRecord): void {
  const config = request.routeOptions.config;
  // Signing in and out (signIn, and the 'session' routes) are not writes of the key's.
  if (key.scope === 'read' && !READ_METHODS.has(request.method) && config?.signIn !== true && config?.setup !== 'session') {
    throw new Problem(403, 'forbidden', `Admin key "${key.name}" has the read scope: it can only read. Use a key with the admin scope to make changes.`);
  }
  if (key.scope === 'sso' && config?.ssoScope !== true) {
    throw new Problem(403, 'forbidden', `Admin key "${key.name}" has the sso scope: it can only exchange sign-in codes (POST /admin/v1/sso/token). Use a key with the admin scope for anything else.`);
  }
}

async function sessionAuthentication(request: FastifyRequest, secret: string, c: SessionAuthentication): Promise<void> {
  refuseCrossSite(request, c.publicOrigin);
  let auth: ConsoleAuth;
  try {
    auth = await c.sessions.authenticate(secret);
  } catch (err) {
    if (err instanceof SessionEnded) throw new Problem(401, 'unauthorized', err.message, { reason: 'session' });
    throw err;
  }
  if (!READ_METHODS.has(request.method) && !c.sessions.csrfMatches(secret, request.headers['x-csrf-token'])) {
    throw new Problem(403, 'csrf', 'A console request that changes something must carry the session\'s CSRF token in the X-CSRF-Token header (GET /admin/v1/sessions/current returns it).');
  }
  const mark = request.routeOptions.config?.setup;
  if (auth.kind === 'admin') {
    // A session cannot make another session: that needs the key itself.
    if (request.routeOptions.config?.signIn === true) throw new Problem(403, 'forbidden', 'A console session cannot sign in again: send the admin key as "Authorization: Bearer rca_…".');
    checkScope(request, auth.key);
    request.adminKey = auth.key;
  } else {
    const { link, tenant } = auth.setup;
    // One answer for "not a setup route" and "not your tenant": nothing to learn about other tenants.
    const refused = () => new Problem(403, 'forbidden', `A setup link opens only the setup of tenant "${tenant.slug}": this operation is not part of it.`);
    if (mark === undefined) throw refused();
    if (mark !== 'session') {
      const named = (request.params as { tenant?: unknown } | undefined)?.tenant;
      if (typeof named !== 'string' || named.toLowerCase() !== tenant.slug) throw refused();
      if ((mark === 'scim' || mark === 'sso') && !link.purposes.includes(mark)) {
        throw new Problem(403, 'forbidden', `This setup link was made for ${link.purposes.map((p) => p.toUpperCase()).join(' and ')} only: ask for a link that includes ${mark.toUpperCase()}.`);
      }
    }
    request.adminKey = null;
  }
  request.consoleSession = auth;
  request.consoleSecret = secret;
}
