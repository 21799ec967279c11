// Admin API keys: "rca_" secrets (token-format.ts), shown once, stored as their SHA-256, with a name,
// a scope ('admin' for everything, 'read' for GET only, 'sso' for the sign-in code exchange only),
// an optional expiry, last use, revocation.
// The operator creates the first one with `rollcall admin-key create`; keys can then manage keys.
import { randomBytes } from 'node:crypto';
import type { AdminKeyRecord, Store } from '../../store/store.ts';
import { isoNow, systemClock, type Clock } from '../clock.ts';
import { TenantError } from './tenants.ts';
import { ADMIN_KEY_PREFIX, checkTokenShape, generateToken, hashToken, sameHash } from './token-format.ts';

export type AdminScope = AdminKeyRecord['scope'];
export const ADMIN_SCOPES: readonly AdminScope[] = ['admin', 'read', 'sso'];

export interface IssuedAdminKey { key: string; record: AdminKeyRecord }

/** Creates a key; the clear key is returned once and never stored. */
export async function createAdminKey(store: Store, opts: { name: string; scope: AdminScope; ttlMs: number | null }, clock: Clock = systemClock): Promise<IssuedAdminKey> {
  const name = opts.name.trim();
  if (!name || name.length > 100) throw new TenantError('An admin key needs a name of 1–100 characters, saying who or what uses it (e.g. "billing service").', 400, 'name');
  if (!ADMIN_SCOPES.includes(opts.scope)) throw new TenantError(`"${String(opts.scope)}" is not a scope: use admin (everything), read (GET only) or sso (the sign-in code exchange only).`, 400, 'scope');
  const key = generateToken(ADMIN_KEY_PREFIX);
  const now = clock.now();
  const record: AdminKeyRecord = {
    id: 'ak_' + randomBytes(6).toString('hex'),
    name,
    scope: opts.scope,
    hash: hashToken(key),
    hint: key.slice(-4),
    createdAt: new Date(now).toISOString(),
    expiresAt: opts.ttlMs === null ? null : new Date(now + opts.ttlMs).toISOString(),
    revokedAt: null,
    lastUsedAt: null,
  };
  await store.createAdminKey(record);
  return { key, record };
}

export async function revokeAdminKey(store: Store, id: string, clock: Clock = systemClock): Promise<void> {
  if (!(await store.revokeAdminKey(id, isoNow(clock)))) {
    const known = (await store.listAdminKeys()).find((k) => k.id === id);
    throw new TenantError(known ? `Admin key ${id} was already revoked.` : `There is no admin key ${id}; \`rollcall admin-key list\` shows them.`, known ? 409 : 404);
  }
}

/** Why a presented admin key was refused: the detail of the 401. */
export class AdminKeyRefused extends Error {}

/**
 * The key a request presents, checked. Unknown, revoked and expired keys are refused with a
 * detail saying what is wrong with the presented key only, never anything about other keys.
 * Admin requests are few: each is looked up (one indexed read), so a revocation is immediate.
 */
export async function authenticateAdminKey(store: Store, presented: string, clock: Clock = systemClock): Promise<AdminKeyRecord> {
  const hash = hashToken(presented);
  const found = await store.findAdminKeyByHash(hash);
  if (!found || !sameHash(found.hash, hash)) {
    const shape = checkTokenShape(presented, ADMIN_KEY_PREFIX);
    throw new AdminKeyRefused(shape.ok ? 'The admin API key is not recognised.' : shape.reason);
  }
  const now = clock.now();
  if (found.revokedAt) throw new AdminKeyRefused(`The admin API key was revoked on ${found.revokedAt}.`);
  if (found.expiresAt && Date.parse(found.expiresAt) <= now) throw new AdminKeyRefused(`The admin API key expired on ${found.expiresAt}.`);
  // Best effort, at most once a minute per key (the store skips fresher records).
  store.touchAdminKey(found.id, new Date(now).toISOString()).catch(() => undefined);
  return found;
}

/** A key without its hash, as listings show it. */
export function publicAdminKey(k: AdminKeyRecord) {
  return { id: k.id, name: k.name, scope: k.scope, hint: k.hint, createdAt: k.createdAt, expiresAt: k.expiresAt, revokedAt: k.revokedAt, lastUsedAt: k.lastUsedAt };
}
