// Console sessions (docs/console.md "Signing in and sessions"): an admin key exchanged for a cookie
// (POST /sessions), a setup link's token exchanged for one (POST /setup/sessions), the current
// session with its CSRF token, sign-out, and a setup link marked done. The cookie is HttpOnly,
// SameSite=Strict, Path=<mount prefix>/ and Secure when the console is reached over https; its
// value is a random secret whose SHA-256 names the stored session (provisioning/admin/console-sessions.ts).
// Answers that hold a CSRF token are no-store.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config/config.ts';
import { SessionEnded, sessionJson, type ConsoleAuth, type ConsoleSessions } from '../../../provisioning/admin/console-sessions.ts';
import { auditEntry } from '../../../provisioning/admin/audit.ts';
import { openSetupLink, setupLinkActor, SetupLinkRefused } from '../../../provisioning/tenants/setup-links.ts';
import { refuseCrossSite, SESSION_COOKIE, sessionCookie } from '../auth.ts';
import type { AdminDeps } from '../index.ts';
import { Problem } from '../problem.ts';
import type { SetupWriteLimit } from '../setup-limit.ts';
import { problems, time } from '../schemas.ts';

export const sessionSchema = {
  type: 'object',
  required: ['kind', 'csrfToken', 'expiresAt', 'idleExpiresAt'],
  properties: {
    kind: { type: 'string', enum: ['admin', 'setup'], description: 'admin: signed in with an admin key; setup: opened a setup link' },
    csrfToken: { type: 'string', description: 'Send it as X-CSRF-Token with every request that changes something' },
    expiresAt: { ...time, description: 'The session ends then, used or not' },
    idleExpiresAt: { ...time, description: 'The session ends then unless used before (each use moves it on)' },
    key: {
      type: 'object', required: ['id', 'name', 'scope'], description: 'An admin session: the key it acts as',
      properties: { id: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', enum: ['admin', 'read', 'sso'] } },
    },
    setup: {
      type: 'object', required: ['linkId', 'tenant', 'purposes', 'expiresAt'], description: 'A setup session: the link and the one tenant it opens',
      properties: {
        linkId: { type: 'string' },
        tenant: { type: 'object', required: ['id', 'slug', 'name'], properties: { id: { type: 'string' }, slug: { type: 'string' }, name: { type: 'string' } } },
        purposes: { type: 'array', items: { type: 'string', enum: ['scim', 'sso'] } },
        note: { type: ['string', 'null'] },
        expiresAt: { ...time, description: 'When the link itself expires' },
      },
    },
  },
} as const;

export interface SessionDeps extends AdminDeps {
  sessions: ConsoleSessions;
  /** Opening a setup link counts as one of its tenant's setup writes (setup-limit.ts). */
  setupWrites?: SetupWriteLimit;
}

/** The cookie's attributes: Path is the prefix the plugin is mounted under, so the console's pages and /admin/v1 both get it. */
function cookie(config: Readonly<Config>, request: FastifyRequest, path: string, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' || config.publicUrl.startsWith('https:');
  return `${SESSION_COOKIE}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * Signing in (with a key or a setup link) ends the session the browser held before: its cookie is
 * replaced, and a session nobody can use any more must not stay valid for whoever copied it.
 */
async function endPrevious(request: FastifyRequest, sessions: ConsoleSessions): Promise<void> {
  let secret: string | undefined;
  try { secret = sessionCookie(request.headers.cookie); } catch { return; }
  if (!secret) return;
  try {
    await sessions.end(await sessions.authenticate(secret));
  } catch (err) {
    if (!(err instanceof SessionEnded)) throw err;
  }
}

function currentSession(request: FastifyRequest): ConsoleAuth {
  if (!request.consoleSession) {
    throw new Problem(401, 'unauthorized', 'There is no console session: this operation reads the session cookie, and a request with an Authorization header ignores cookies.', { reason: 'session' });
  }
  return request.consoleSession;
}

/** The routes that need authentication (registered inside the admin plugin's authenticated scope). */
export function sessionRoutes(app: FastifyInstance, deps: SessionDeps): void {
  const { sessions, config } = deps;
  const path = cookiePath(app);
  const started = (request: FastifyRequest, reply: FastifyReply, s: { secret: string; auth: ConsoleAuth }) => {
    const seconds = Math.max(1, Math.floor((Date.parse(s.auth.session.expiresAt) - deps.provisioning.clock.now()) / 1000));
    return reply.code(201).header('set-cookie', cookie(config, request, path, s.secret, seconds)).header('cache-control', 'no-store')
      .send(sessionJson(s.auth, sessions.csrfToken(s.secret)));
  };

  app.post('/sessions', {
    config: { signIn: true },
    schema: {
      operationId: 'createSession', tags: ['console'], summary: 'Sign a browser in to the console: exchange an admin key (scope admin or read) for a session cookie',
      description: 'Send the key as `Authorization: Bearer rca_…`. Sets the `rollcall_session` cookie (HttpOnly, SameSite=Strict) and returns the session with its CSRF token. Keys of scope sso are refused.',
      body: { type: ['object', 'null'], additionalProperties: false, properties: {} },
      response: { 201: sessionSchema, ...problems(401, 403) },
    },
  }, async (request, reply) => {
    const key = request.adminKey;
    if (!key || request.consoleSession) throw new Problem(401, 'unauthorized', 'Sign in with an admin key: "Authorization: Bearer rca_…".');
    const s = await sessions.startAdmin(key);
    await endPrevious(request, sessions);
    return started(request, reply, s);
  });

  app.get('/sessions/current', {
    config: { setup: 'session' },
    schema: {
      operationId: 'getCurrentSession', tags: ['console'], summary: 'The console session the cookie names, with its CSRF token',
      response: { 200: sessionSchema, ...problems(401, 403) },
    },
  }, async (request, reply) => {
    const auth = currentSession(request);
    return reply.header('cache-control', 'no-store').send(sessionJson(auth, sessions.csrfToken(request.consoleSecret!)));
  });

  app.delete('/sessions/current', {
    config: { setup: 'session' },
    schema: { operationId: 'deleteCurrentSession', tags: ['console'], summary: 'Sign out: ends the session and clears the cookie', response: { 204: { type: 'null' }, ...problems(401, 403) } },
  }, async (request, reply) => {
    await sessions.end(currentSession(request));
    return reply.code(204).header('set-cookie', cookie(config, request, path, '', 0)).send();
  });

  app.post('/setup/complete', {
    config: { setup: 'session' },
    schema: {
      operationId: 'completeSetup', tags: ['console'], summary: 'The customer is done: the setup link is used up (opens nothing more) and the session ends',
      body: { type: ['object', 'null'], additionalProperties: false, properties: {} },
      response: { 204: { type: 'null' }, ...problems(401, 403, 410) },
    },
  }, async (request, reply) => {
    const auth = currentSession(request);
    if (auth.kind !== 'setup') throw new Problem(403, 'forbidden', 'Only a session opened with a setup link can complete a setup.');
    const { link, tenant } = auth.setup;
    const at = new Date(deps.provisioning.clock.now()).toISOString();
    const done = await deps.provisioning.store.completeSetupLink(link.id, at, {
      audit: auditEntry(at, setupLinkActor(link, request.id), 'setupLink.complete', { type: 'setupLink', id: link.id, tenantId: tenant.id }),
    });
    if (!done) throw new Problem(410, 'gone', 'The setup link was revoked or completed meanwhile.', { reason: 'revoked' });
    return reply.code(204).header('set-cookie', cookie(config, request, path, '', 0)).send();
  });
}

/** POST /setup/sessions: no authentication (the setup link's token is the credential). */
export function setupSignInRoute(app: FastifyInstance, deps: SessionDeps): void {
  const { sessions, config } = deps;
  const path = cookiePath(app);
  const publicOrigin = new URL(config.publicUrl).origin;
  app.post('/setup/sessions', {
    schema: {
      operationId: 'createSetupSession', tags: ['console'], security: [],
      summary: 'Open a setup link: exchange its token for a setup session cookie (no admin key needed)',
      description: 'Refused with 404 (reason unknown) for a token that opens nothing, 410 (reason expired, revoked or completed) for a link that no longer does.',
      body: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 200 } } },
      response: { 201: sessionSchema, ...problems(400, 403, 404, 410) },
    },
  }, async (request, reply) => {
    // A cross-site page must not sign a victim's browser in to a setup session of its choosing.
    refuseCrossSite(request, publicOrigin);
    let s;
    try {
      const opened = await openSetupLink(deps.provisioning.store, (request.body as { token: string }).token, deps.provisioning.clock);
      // Each opening is a new session: counted before it is made.
      deps.setupWrites?.take(opened.tenant.id);
      s = await sessions.startSetup(opened);
    } catch (err) {
      if (err instanceof SetupLinkRefused) throw new Problem(err.reason === 'unknown' ? 404 : 410, err.reason === 'unknown' ? 'not-found' : 'gone', err.message, { reason: err.reason });
      throw err;
    }
    await endPrevious(request, sessions);
    const seconds = Math.max(1, Math.floor((Date.parse(s.auth.session.expiresAt) - deps.provisioning.clock.now()) / 1000));
    return reply.code(201).header('set-cookie', cookie(config, request, path, s.secret, seconds)).header('cache-control', 'no-store')
      .send(sessionJson(s.auth, sessions.csrfToken(s.secret)));
  });
}

/** The mount prefix (what is before /admin/v1), with a trailing slash: "/" on the server, "/identity/" in a library mounted there. */
function cookiePath(app: FastifyInstance): string {
  return `${app.prefix.replace(/\/admin\/v1\/?$/i, '')}/`;
}
