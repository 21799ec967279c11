// Tenants and their tokens: create, issue, list, revoke, and authenticate a SCIM request.
import { randomBytes, randomUUID } from 'node:crypto';
import { unauthorized } from '../scim/errors.ts';
import { UniquenessViolation, type Store, type Tenant, type TokenRecord } from '../store/store.ts';
import { checkTokenShape, generateToken, hashToken, sameHash } from './token-format.ts';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class TenantError extends Error {}

export async function createTenant(store: Store, slug: string, name?: string): Promise<Tenant> {
  if (!SLUG_PATTERN.test(slug)) {
    throw new TenantError(`"${slug}" cannot be a tenant slug: use 1–63 lower-case letters, digits and dashes, starting and ending with a letter or digit (it becomes part of the SCIM URL).`);
  }
  const tenant: Tenant = { id: randomUUID(), slug, name: name?.trim() || slug, createdAt: new Date().toISOString() };
  try {
    await store.createTenant(tenant);
  } catch (err) {
    if (err instanceof UniquenessViolation) throw new TenantError(`A tenant with the slug "${slug}" already exists.`);
    throw err;
  }
  return tenant;
}

export async function requireTenant(store: Store, slug: string): Promise<Tenant> {
  const tenant = await store.findTenantBySlug(slug);
  if (!tenant) throw new TenantError(`No tenant has the slug "${slug}". \`rollcall tenant list\` shows the tenants.`);
  return tenant;
}

/** Parses "365d", "12h", "30m", "never". Returns milliseconds or null for never. */
export function parseDuration(text: string): number | null {
  if (text === 'never') return null;
  const m = /^(\d+)\s*(d|h|m)$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new TenantError(`"${text}" is not a duration: use e.g. 365d, 12h, 30m or never.`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
}

export interface IssuedToken { token: string; record: TokenRecord }

/** Issues a token; the clear token is returned once and never stored. */
export async function issueToken(store: Store, tenant: Tenant, ttlMs: number | null): Promise<IssuedToken> {
  const token = generateToken();
  const now = new Date();
  const record: TokenRecord = {
    id: 'tok_' + randomBytes(6).toString('hex'),
    tenantId: tenant.id,
    hash: hashToken(token),
    hint: token.slice(-4),
    createdAt: now.toISOString(),
    expiresAt: ttlMs === null ? null : new Date(now.getTime() + ttlMs).toISOString(),
    revokedAt: null,
    lastUsedAt: null,
  };
  await store.createToken(record);
  return { token, record };
}

export async function revokeToken(store: Store, tenant: Tenant, tokenId: string): Promise<void> {
  if (!(await store.revokeToken(tenant.id, tokenId, new Date().toISOString()))) {
    const known = (await store.listTokens(tenant.id)).find((t) => t.id === tokenId);
    throw new TenantError(known ? `Token ${tokenId} was already revoked.` : `Tenant "${tenant.slug}" has no token ${tokenId}.`);
  }
}

/** When this process last recorded each token's use: at most one write a minute per token. */
const lastRecorded = new Map<string, number>();

/** Best effort, never failing a request: last use is for admins, not for access decisions. */
function recordUse(store: Store, tokenId: string, now: number): void {
  const last = lastRecorded.get(tokenId);
  if (last !== undefined && now - last < 60_000) return;
  if (lastRecorded.size > 10_000) lastRecorded.clear();
  lastRecorded.set(tokenId, now);
  store.touchToken(tokenId, new Date(now).toISOString()).catch(() => lastRecorded.delete(tokenId));
}

/** A successful authentication kept for reuse, with the store's authStamp when it was made. */
interface Kept { token: TokenRecord; tenant: Tenant; stamp: string; at: number }
/**
 * Successful authentications per store, by slug and token hash. An entry is reused only while the
 * store's authStamp is unchanged (no token or tenant changed anywhere), so revocation still takes
 * effect on the next request; expiry is checked on every request. Failures are never kept.
 */
const kept = new WeakMap<Store, Map<string, Kept>>();
const MAX_KEPT = 10_000;
/** Belt and braces: an entry is looked up again at least this often even if nothing was signalled. */
const MAX_KEPT_MS = 10_000;

/**
 * Authenticates a SCIM request for the tenant named in its URL. Every failure is a 401 whose
 * detail says what is wrong with the token, never whether another tenant exists: a token of
 * another tenant, and any token on an unknown tenant's URL, are simply "not recognised".
 */
export async function authenticate(store: Store, slug: string, authorization: string | undefined): Promise<Tenant> {
  if (authorization === undefined || authorization.trim() === '') {
    throw unauthorized('Authentication required: send the tenant token as "Authorization: Bearer <token>".');
  }
  const m = /^\s*Bearer\s+(.*)$/i.exec(authorization);
  if (!m) throw unauthorized('The Authorization header must use the Bearer scheme: "Authorization: Bearer <token>".');
  const presented = m[1].trim();
  const hash = hashToken(presented);
  const key = `${slug.toLowerCase()} ${hash}`;
  const now = Date.now();
  // Read before the lookup: a change that lands between the two leaves the entry under an old stamp.
  const stamp = store.authStamp();
  let byKey = kept.get(store);
  let entry = byKey?.get(key);
  if (!entry || entry.stamp !== stamp || now - entry.at > MAX_KEPT_MS) {
    entry = undefined;
    // The store finds a token only under its own tenant's slug: another tenant's token is "unknown" here.
    // A token that is found is well-formed by construction, so its shape (a checksum costing more
    // than the lookup) is diagnosed only for tokens that are not found, to say what is wrong with them.
    const found = await store.findTokenForTenant(hash, slug.toLowerCase());
    if (!found || !sameHash(found.token.hash, hash)) {
      const shape = checkTokenShape(presented);
      if (!shape.ok) throw unauthorized(shape.reason);
      throw unauthorized('The bearer token is not recognised for this SCIM endpoint. Check that the base URL and the token belong to the same tenant.');
    }
    if (found.token.revokedAt) throw unauthorized(`The bearer token was revoked on ${found.token.revokedAt}. Ask the vendor for a new token.`);
    entry = { ...found, stamp: stamp ?? '', at: now };
    // Without a stamp the store cannot tell us of a revocation: nothing is kept.
    if (stamp !== undefined) {
      if (!byKey) kept.set(store, (byKey = new Map()));
      if (byKey.size >= MAX_KEPT) byKey.clear();
      byKey.set(key, entry);
    }
  }
  const { token: record, tenant } = entry;
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) throw unauthorized(`The bearer token expired on ${record.expiresAt}. Ask the vendor for a new token.`);
  recordUse(store, record.id, now);
  return tenant;
}
