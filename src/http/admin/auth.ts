// Authentication of /admin/v1: an admin API key as a bearer token. A SCIM token here is refused
// saying which credential is expected (and an admin key on /scim is refused likewise, by
// provisioning/tenants/authentication.ts). A 'read' key may only read; an 'sso' key may only call the
// routes marked `config: { ssoScope: true }` (the sign-in code exchange, routes/sso.ts).
import type { FastifyRequest } from 'fastify';
import { AdminKeyRefused, authenticateAdminKey } from '../../provisioning/tenants/admin-keys.ts';
import type { Clock } from '../../provisioning/clock.ts';
import type { AdminKeyRecord, Store } from '../../store/store.ts';
import { Problem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest { adminKey: AdminKeyRecord | null }
  interface FastifyContextConfig {
    /** The route an admin key of scope 'sso' may call (and keys of scope 'admin'). */
    ssoScope?: boolean;
  }
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="rollcall-admin"' };
const READ_METHODS = new Set(['GET', 'HEAD']);

export function adminAuthentication(store: Store, clock: Clock) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') {
      throw new Problem(401, 'unauthorized', 'Authentication required: send an admin API key as "Authorization: Bearer rca_…". The operator creates one with `rollcall admin-key create`.', {}, CHALLENGE);
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
    if (key.scope === 'read' && !READ_METHODS.has(request.method)) {
      throw new Problem(403, 'forbidden', `Admin key "${key.name}" has the read scope: it can only read. Use a key with the admin scope to make changes.`);
    }
    if (key.scope === 'sso' && request.routeOptions.config?.ssoScope !== true) {
      throw new Problem(403, 'forbidden', `Admin key "${key.name}" has the sso scope: it can only exchange sign-in codes (POST /admin/v1/sso/token). Use a key with the admin scope for anything else.`);
    }
    request.adminKey = key;
  };
}
