// A tenant's SCIM bearer tokens: issue (the clear token is returned once, never stored), revoke,
// rotate (a new token, the old one kept working for an overlap so the IdP can be updated).
import { randomBytes } from 'node:crypto';
import type { Store, Tenant, TokenRecord } from '../../store/store.ts';
import { LIBRARY_ADMIN_ACTOR, type Actor } from '../admin/audit.ts';
import { isoNow, systemClock, type Clock } from '../clock.ts';
import { actionRecord, tokenData } from './tenant-records.ts';
import { TenantError } from './tenants.ts';
import { generateToken, hashToken } from './token-format.ts';

/**
 * The longest lifetime a token or key may be given: 100 years. Longer ones are "never" in all but
 * name, and past year 9999 an expiry has no ISO 8601 form to store (toISOString throws) nor one
 * that compares correctly as text.
 */
export const MAX_LIFETIME_MS = 100 * 365 * 86_400_000;

/** Parses "365d", "12h", "30m", "never". Returns milliseconds or null for never. */
export function parseDuration(text: string): number | null {
  if (text === 'never') return null;
  const m = /^(\d{1,9})\s*(d|h|m)$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new TenantError(`"${text}" is not a duration: use e.g. 365d, 12h, 30m or never.`, 400, 'expiresIn');
  return checkLifetime(Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'], text);
}

/** A lifetime in milliseconds within bounds (at most 100 years), or a TenantError naming expiresIn. */
export function checkLifetime(ms: number, shown: string = String(ms)): number {
  if (ms > MAX_LIFETIME_MS) throw new TenantError(`"${shown}" is longer than the 100 years a token or key may live: give a shorter lifetime, or never.`, 400, 'expiresIn');
  return ms;
}

export interface IssuedToken { token: string; record: TokenRecord }

// Each action below writes its change, its audit entry and its events (token.created, …) in one
// transaction (store.ts ActionRecord), naming `by`: the admin key, the CLI, or the vendor's code.

/** Issues a token; the clear token is returned once and never stored. */
export async function issueToken(store: Store, tenant: Tenant, ttlMs: number | null, clock: Clock = systemClock, name: string | null = null, by: Actor = LIBRARY_ADMIN_ACTOR): Promise<IssuedToken> {
  // SCIM mode (policies/scim-mode.ts): a disabled tenant gets its next token by enabling SCIM,
  // which starts clean. A token issued in a race with disabling authenticates nothing anyway.
  if (!tenant.scimEnabled) {
    throw new TenantError(`SCIM is disabled for tenant "${tenant.slug}": enable it (POST /admin/v1/tenants/${tenant.slug}/scim/enable, or \`rollcall tenant scim-enable ${tenant.slug}\`), which issues its new token.`, 409);
  }
  const issued = newToken(tenant, ttlMs, clock.now(), name);
  const r = issued.record;
  await store.createToken(r, actionRecord({
    at: r.createdAt, by, tenant, action: 'token.create', target: 'token', targetId: r.id,
    summary: { name: r.name, expiresAt: r.expiresAt }, events: [['token.created', { token: tokenData(r) }]],
  }));
  return issued;
}

/** A new token for the tenant (not yet stored). */
export function newToken(tenant: Tenant, ttlMs: number | null, now: number, name: string | null): IssuedToken {
  const token = generateToken();
  const record: TokenRecord = {
    id: 'tok_' + randomBytes(6).toString('hex'),
    tenantId: tenant.id,
    name,
    hash: hashToken(token),
    hint: token.slice(-4),
    createdAt: new Date(now).toISOString(),
    expiresAt: ttlMs === null ? null : new Date(now + ttlMs).toISOString(),
    revokedAt: null,
    lastUsedAt: null,
  };
  return { token, record };
}

/** How long a rotated token keeps working by default: a week to paste the new one into the IdP. */
export const DEFAULT_ROTATION_OVERLAP_MS = 7 * 86_400_000;

/**
 * Rotation: a new token (same name, the given lifetime) and the old one made to expire at
 * `oldUntil` (unless it expires earlier anyway). Refused for a token that is not live.
 */
export async function rotateToken(store: Store, tenant: Tenant, tokenId: string, opts: { ttlMs: number | null; oldUntil?: string }, clock: Clock = systemClock, by: Actor = LIBRARY_ADMIN_ACTOR): Promise<IssuedToken & { previous: TokenRecord }> {
  const now = clock.now();
  const oldUntil = opts.oldUntil ?? new Date(now + DEFAULT_ROTATION_OVERLAP_MS).toISOString();
  if (Number.isNaN(Date.parse(oldUntil))) throw new TenantError(`"${oldUntil}" is not a time: give the end of the overlap as an ISO 8601 time, e.g. 2026-12-31T00:00:00Z.`, 400, 'oldExpiresAt');
  if (Date.parse(oldUntil) < now) throw new TenantError(`The old token would expire in the past (${oldUntil}); to stop it now, revoke it.`, 400, 'oldExpiresAt');
  const current = (await store.listTokens(tenant.id)).find((t) => t.id === tokenId);
  if (!current) throw new TenantError(`Tenant "${tenant.slug}" has no token ${tokenId}.`, 404);
  if (!tenant.scimEnabled) throw new TenantError(`SCIM is disabled for tenant "${tenant.slug}": its tokens were revoked; enable SCIM (POST /admin/v1/tenants/${tenant.slug}/scim/enable) for a new one.`, 409);
  const issued = newToken(tenant, opts.ttlMs, now, current.name);
  const until = new Date(Date.parse(oldUntil)).toISOString();
  const at = new Date(now).toISOString();
  // The old token as it now stands (its expiry is the overlap's end, or its own earlier one), read
  // inside the rotation's transaction.
  let previous: TokenRecord | undefined;
  const rotated = await store.rotateToken(tenant.id, tokenId, issued.record, until, at, (old) => {
    previous = old;
    return actionRecord({
      at, by, tenant, action: 'token.rotate', target: 'token', targetId: tokenId,
      summary: { newTokenId: issued.record.id, oldExpiresAt: old.expiresAt },
      events: [['token.rotated', { token: tokenData(issued.record), previous: tokenData(old) }]],
    });
  });
  if (!rotated || !previous) {
    throw new TenantError(current.revokedAt ? `Token ${tokenId} was revoked on ${current.revokedAt}; issue a new token instead.` : `Token ${tokenId} has expired; issue a new token instead.`, 409);
  }
  return { ...issued, previous };
}

export async function revokeToken(store: Store, tenant: Tenant, tokenId: string, clock: Clock = systemClock, by: Actor = LIBRARY_ADMIN_ACTOR): Promise<void> {
  // Read first for the event's token data; the revocation itself is conditional (still unrevoked),
  // so a concurrent revoke of the same token writes one record, not two.
  const known = (await store.listTokens(tenant.id)).find((t) => t.id === tokenId);
  if (!known) throw new TenantError(`Tenant "${tenant.slug}" has no token ${tokenId}.`, 404);
  const at = isoNow(clock);
  const record = actionRecord({
    at, by, tenant, action: 'token.revoke', target: 'token', targetId: tokenId,
    events: [['token.revoked', { token: tokenData({ ...known, revokedAt: at }) }]],
  });
  if (!(await store.revokeToken(tenant.id, tokenId, at, record))) throw new TenantError(`Token ${tokenId} was already revoked.`, 409);
}
