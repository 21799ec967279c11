// A tenant's SCIM bearer tokens: issue (the clear token is returned once, never stored), revoke.
import { randomBytes } from 'node:crypto';
import type { Store, Tenant, TokenRecord } from '../../store/store.ts';
import { isoNow, systemClock, type Clock } from '../clock.ts';
import { TenantError } from './tenants.ts';
import { generateToken, hashToken } from './token-format.ts';

/** Parses "365d", "12h", "30m", "never". Returns milliseconds or null for never. */
export function parseDuration(text: string): number | null {
  if (text === 'never') return null;
  const m = /^(\d+)\s*(d|h|m)$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new TenantError(`"${text}" is not a duration: use e.g. 365d, 12h, 30m or never.`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
}

export interface IssuedToken { token: string; record: TokenRecord }

/** Issues a token; the clear token is returned once and never stored. */
export async function issueToken(store: Store, tenant: Tenant, ttlMs: number | null, clock: Clock = systemClock): Promise<IssuedToken> {
  const token = generateToken();
  const now = clock.now();
  const record: TokenRecord = {
    id: 'tok_' + randomBytes(6).toString('hex'),
    tenantId: tenant.id,
    hash: hashToken(token),
    hint: token.slice(-4),
    createdAt: new Date(now).toISOString(),
    expiresAt: ttlMs === null ? null : new Date(now + ttlMs).toISOString(),
    revokedAt: null,
    lastUsedAt: null,
  };
  await store.createToken(record);
  return { token, record };
}

export async function revokeToken(store: Store, tenant: Tenant, tokenId: string, clock: Clock = systemClock): Promise<void> {
  if (!(await store.revokeToken(tenant.id, tokenId, isoNow(clock)))) {
    const known = (await store.listTokens(tenant.id)).find((t) => t.id === tokenId);
    throw new TenantError(known ? `Token ${tokenId} was already revoked.` : `Tenant "${tenant.slug}" has no token ${tokenId}.`);
  }
}
