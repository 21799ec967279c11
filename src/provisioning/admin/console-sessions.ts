// Console sessions (issue 13, docs/console.md "Signing in and sessions", docs/design.md "Console
// sessions"). A browser signs in once with an admin key (or opens a setup link) and from then on
// presents a cookie holding a 32-byte random secret. Stored: the secret's SHA-256 only. The CSRF
// token the console sends in X-CSRF-Token is HMAC-SHA256(secret, "rollcall console csrf"): derived,
// so nothing more is stored, and computable only by whoever can read the cookie's secret, which a
// cross-site page cannot (HttpOnly, SameSite=Strict, and a secret of its own per session).
//
// Every request re-checks what the session stands on, one indexed read each: an admin session dies
// when its key is revoked or expires, a setup session when its link is revoked, used up or expired.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AdminKeyRecord, ConsoleSessionRecord, SetupLinkWithTenant, Store } from '../../store/store.ts';
import type { Clock } from '../clock.ts';
import { hashToken, secretState } from '../tenants/token-format.ts';
import { SETUP_LINK_RETENTION_MS, setupLinkStatus } from '../tenants/setup-links.ts';

export interface ConsoleSessionSettings { sessionHours: number; idleMinutes: number }

/** A request's live session: what it is, and what it acts as. */
export type ConsoleAuth =
  | { kind: 'admin'; session: ConsoleSessionRecord; key: AdminKeyRecord }
  | { kind: 'setup'; session: ConsoleSessionRecord; setup: SetupLinkWithTenant };

/** Why a cookie authenticates nothing: the detail of the 401. */
export class SessionEnded extends Error {}

/** A cookie secret: 32 random bytes, base64url (43 characters). */
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const CSRF_LABEL = 'rollcall console csrf';
const PRUNE_BATCH = 500;
const PRUNE_ROUNDS = 20;

export class ConsoleSessions {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly settings: ConsoleSessionSettings) {}

  /** The CSRF token of the session whose cookie holds `secret`. */
  csrfToken(secret: string): string {
    return createHmac('sha256', secret).update(CSRF_LABEL).digest('base64url');
  }

  /** Whether a presented X-CSRF-Token is the session's (constant-time). */
  csrfMatches(secret: string, presented: string | string[] | undefined): boolean {
    if (typeof presented !== 'string') return false;
    const want = Buffer.from(this.csrfToken(secret));
    const got = Buffer.from(presented.trim());
    return want.length === got.length && timingSafeEqual(want, got);
  }

  /** Signs a browser in with an admin key (already authenticated): the cookie's secret and the session. */
  async startAdmin(key: AdminKeyRecord): Promise<{ secret: string; auth: ConsoleAuth }> {
    const now = this.clock.now();
    // Never past the key's own expiry.
    const end = Math.min(now + this.settings.sessionHours * 3_600_000, key.expiresAt ? Date.parse(key.expiresAt) : Infinity);
    const { secret, session } = await this.start(now, end, { kind: 'admin', adminKeyId: key.id, setupLinkId: null, tenantId: null });
    return { secret, auth: { kind: 'admin', session, key } };
  }

  /** Opens a setup session for a link (already checked active by openSetupLink). */
  async startSetup(setup: SetupLinkWithTenant): Promise<{ secret: string; auth: ConsoleAuth }> {
    const now = this.clock.now();
    const end = Math.min(now + this.settings.sessionHours * 3_600_000, Date.parse(setup.link.expiresAt));
    const { secret, session } = await this.start(now, end, { kind: 'setup', adminKeyId: null, setupLinkId: setup.link.id, tenantId: setup.tenant.id });
    await this.store.touchSetupLink(setup.link.id, new Date(now).toISOString());
    return { secret, auth: { kind: 'setup', session, setup } };
  }

  private async start(now: number, end: number, who: Pick<ConsoleSessionRecord, 'kind' | 'adminKeyId' | 'setupLinkId' | 'tenantId'>) {
    const secret = randomBytes(32).toString('base64url');
    const session: ConsoleSessionRecord = {
      id: hashToken(secret), ...who, createdAt: new Date(now).toISOString(), expiresAt: new Date(end).toISOString(),
      idleExpiresAt: new Date(Math.min(end, now + this.settings.idleMinutes * 60_000)).toISOString(), revokedAt: null,
    };
    await this.store.createConsoleSession(session);
    return { secret, session };
  }

  /**
   * The live session a cookie's secret names, or SessionEnded saying why not. Slides the idle end
   * (the store writes at most once a minute per session).
   */
  async authenticate(secret: string): Promise<ConsoleAuth> {
    if (!SECRET.test(secret)) throw new SessionEnded('The console session cookie is malformed: sign in again.');
    const session = await this.store.getConsoleSession(hashToken(secret));
    const now = this.clock.now();
    if (!session) throw new SessionEnded('There is no such console session (it ended and was removed): sign in again.');
    if (session.revokedAt) throw new SessionEnded(`The console session ended on ${session.revokedAt} (signed out, or its setup link was revoked or used up): sign in again.`);
    if (Date.parse(session.expiresAt) <= now) throw new SessionEnded(`The console session expired on ${session.expiresAt}: sign in again.`);
    if (Date.parse(session.idleExpiresAt) <= now) throw new SessionEnded(`The console session was idle too long (more than ${this.settings.idleMinutes} minutes) and ended: sign in again.`);
    let auth: ConsoleAuth;
    if (session.kind === 'admin') {
      const key = session.adminKeyId ? await this.store.getAdminKey(session.adminKeyId) : undefined;
      const state = key ? secretState(key, now) : 'revoked';
      if (!key || state !== 'live') throw new SessionEnded(`The admin key this console session signed in with was ${state === 'expired' ? 'expired' : 'revoked'}: sign in with a key that works.`);
      auth = { kind: 'admin', session, key };
    } else {
      const setup = session.setupLinkId ? await this.store.getSetupLink(session.setupLinkId) : undefined;
      const status = setup ? setupLinkStatus(setup.link, now) : 'revoked';
      if (!setup || status !== 'active') throw new SessionEnded(`The setup link this page was opened with is ${status}: ask the person who sent it for a new one.`);
      auth = { kind: 'setup', session, setup };
    }
    // The idle end moves on with use; written only when it moves by more than a minute (the read
    // row says so; the store's condition holds the rule against racing requests), and awaited, so
    // the next request sees it.
    const idle = Math.min(Date.parse(session.expiresAt), now + this.settings.idleMinutes * 60_000);
    if (idle - Date.parse(session.idleExpiresAt) > 60_000) {
      const idleExpiresAt = new Date(idle).toISOString();
      await this.store.slideConsoleSession(session.id, idleExpiresAt);
      auth.session = { ...session, idleExpiresAt };
    }
    return auth;
  }

  /** Ends the session (sign out). */
  async end(auth: ConsoleAuth): Promise<void> {
    await this.store.revokeConsoleSession(auth.session.id, new Date(this.clock.now()).toISOString());
  }

  /** Deletes ended sessions and links 30 days past their expiry, in bounded batches. */
  async prune(): Promise<number> {
    const now = this.clock.now();
    const iso = new Date(now).toISOString();
    const linksBefore = new Date(now - SETUP_LINK_RETENTION_MS).toISOString();
    let total = 0;
    for (let i = 0; i < PRUNE_ROUNDS; i++) {
      const n = await this.store.pruneConsole(iso, linksBefore, PRUNE_BATCH);
      total += n;
      if (n < PRUNE_BATCH) break;
    }
    return total;
  }
}

/** The session as the admin API shows it (GET /sessions/current), with its CSRF token. */
export function sessionJson(auth: ConsoleAuth, csrfToken: string) {
  const base = { kind: auth.kind, csrfToken, expiresAt: auth.session.expiresAt, idleExpiresAt: auth.session.idleExpiresAt };
  if (auth.kind === 'admin') return { ...base, key: { id: auth.key.id, name: auth.key.name, scope: auth.key.scope } };
  const { link, tenant } = auth.setup;
  return { ...base, setup: { linkId: link.id, tenant, purposes: link.purposes, note: link.note, expiresAt: link.expiresAt } };
}

/** How often ended sessions and old links are pruned: they are few, and an ended session is refused whether pruned or not. */
export const CONSOLE_PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * Prunes now and then every `everyMs` on an unref'd timer (it never keeps the process alive), made
 * by main.ts and library.ts; stop() ends it and waits for a round in progress.
 */
export function startConsolePruning(sessions: ConsoleSessions, log: { warn(obj: object, msg: string): void }, everyMs = CONSOLE_PRUNE_INTERVAL_MS): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const round = () => {
    running = sessions.prune().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'console sessions: pruning failed; trying again later'));
  };
  round();
  const timer = setInterval(round, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
