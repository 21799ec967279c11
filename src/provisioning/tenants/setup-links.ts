// Customer setup links (issue 13, docs/console.md "Setup links"): the vendor makes a time-limited,
// single-tenant, revocable link for SCIM, SSO or both; the customer's IT admin opens it without an
// admin key and sees only their tenant's setup. The link carries an "rcl_" secret in the project's
// token format (token-format.ts: prefix + checksum), stored as its SHA-256 only; the secret travels
// in the URL's fragment (…/setup/#rcl_…), which browsers never send to a server, so it appears in
// no access log and no Referer.
import { randomBytes } from 'node:crypto';
import type { SetupLinkRecord, SetupLinkWithTenant, SetupPurpose, Store, Tenant } from '../../store/store.ts';
import { auditEntry, type Actor } from '../admin/audit.ts';
import { isoNow, type Clock } from '../clock.ts';
import { TenantError } from './tenants.ts';
import { generateToken, hashToken, sameHash } from './token-format.ts';

export const SETUP_LINK_PREFIX = 'rcl_';
export const SETUP_PURPOSES: readonly SetupPurpose[] = ['scim', 'sso'];
/** A link lives 7 days unless told otherwise, 30 at most: it is meant for one setup, soon. */
export const DEFAULT_SETUP_LINK_HOURS = 7 * 24;
export const MAX_SETUP_LINK_HOURS = 30 * 24;
/** Links are kept this long after they expire (their status still shows), then pruned. */
export const SETUP_LINK_RETENTION_MS = 30 * 86_400_000;
/** A tenant's list shows at most this many links (a tenant has a handful). */
export const SETUP_LINK_LIST_LIMIT = 200;

export type SetupLinkStatus = 'active' | 'expired' | 'revoked' | 'completed';

/** Where a link stands at `now`: used up and revoked win over expired (they say more). */
export function setupLinkStatus(l: SetupLinkRecord, now: number): SetupLinkStatus {
  if (l.completedAt) return 'completed';
  if (l.revokedAt) return 'revoked';
  return Date.parse(l.expiresAt) <= now ? 'expired' : 'active';
}

/** The actor of whatever a setup session does (audit entries, events). */
export const setupLinkActor = (l: SetupLinkRecord, requestId: string | null): Actor =>
  ({ type: 'setupLink', keyId: l.id, keyName: `setup link ${l.note ?? l.id}`, requestId });

export interface NewSetupLink { purposes?: readonly SetupPurpose[]; expiresInHours?: number; note?: string | null }
export interface IssuedSetupLink { token: string; record: SetupLinkRecord }

/** Makes a link for the tenant; the clear token is returned once and never stored. */
export async function createSetupLink(store: Store, tenant: Tenant, input: NewSetupLink, clock: Clock, by: Actor): Promise<IssuedSetupLink> {
  const purposes = [...new Set(input.purposes ?? SETUP_PURPOSES)];
  if (!purposes.length || purposes.some((p) => !SETUP_PURPOSES.includes(p))) {
    throw new TenantError('purposes must list what the link sets up: "scim", "sso" or both.', 400, 'purposes');
  }
  const hours = input.expiresInHours ?? DEFAULT_SETUP_LINK_HOURS;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_SETUP_LINK_HOURS) {
    throw new TenantError(`expiresInHours must be a whole number of hours from 1 to ${MAX_SETUP_LINK_HOURS} (30 days); the default is ${DEFAULT_SETUP_LINK_HOURS} (7 days).`, 400, 'expiresInHours');
  }
  const note = input.note?.trim() || null;
  const token = generateToken(SETUP_LINK_PREFIX);
  const now = clock.now();
  const record: SetupLinkRecord = {
    id: 'sl_' + randomBytes(8).toString('hex'), tenantId: tenant.id, hash: hashToken(token),
    purposes: SETUP_PURPOSES.filter((p) => purposes.includes(p)), note,
    createdByKeyId: by.keyId, createdByKeyName: by.keyName,
    createdAt: new Date(now).toISOString(), expiresAt: new Date(now + hours * 3_600_000).toISOString(),
    revokedAt: null, completedAt: null, lastUsedAt: null,
  };
  await store.createSetupLink(record, {
    audit: auditEntry(record.createdAt, by, 'setupLink.create', { type: 'setupLink', id: record.id, tenantId: tenant.id },
      { purposes: record.purposes, note, expiresAt: record.expiresAt }),
  });
  return { token, record };
}

/** Revokes a link of the tenant: it stops opening, and every session it opened ends. */
export async function revokeSetupLink(store: Store, tenant: Tenant, id: string, clock: Clock, by: Actor): Promise<void> {
  const at = isoNow(clock);
  const done = await store.revokeSetupLink(tenant.id, id, at, {
    audit: auditEntry(at, by, 'setupLink.revoke', { type: 'setupLink', id, tenantId: tenant.id }),
  });
  if (done) return;
  const found = await store.getSetupLink(id);
  if (!found || found.link.tenantId !== tenant.id) throw new TenantError(`Tenant "${tenant.slug}" has no setup link ${id}.`, 404);
  throw new TenantError(`Setup link ${id} was already ${setupLinkStatus(found.link, clock.now())}: there is nothing to revoke.`, 409);
}

/** Why a presented setup-link token opens nothing. */
export class SetupLinkRefused extends Error {
  constructor(readonly reason: 'unknown' | Exclude<SetupLinkStatus, 'active'>, message: string) { super(message); }
}

const REFUSALS: Record<Exclude<SetupLinkStatus, 'active'>, string> = {
  expired: 'This setup link has expired. Ask the person who sent it for a new one.',
  revoked: 'This setup link was revoked. Ask the person who sent it for a new one.',
  completed: 'This setup link was already used to finish the setup. Ask the person who sent it for a new one if there is more to do.',
};

/**
 * The link a presented token opens, or SetupLinkRefused. Right and wrong tokens cost the same one
 * indexed read of the token's hash; the refusal says only unknown, expired, revoked or completed.
 */
export async function openSetupLink(store: Store, presented: string, clock: Clock): Promise<SetupLinkWithTenant> {
  const hash = hashToken(presented.trim());
  const found = await store.findSetupLinkByHash(hash);
  if (!found || !sameHash(found.link.hash, hash)) {
    throw new SetupLinkRefused('unknown', 'This setup link is not recognised: check that the whole link was copied, or ask the person who sent it for a new one.');
  }
  const status = setupLinkStatus(found.link, clock.now());
  if (status !== 'active') throw new SetupLinkRefused(status, REFUSALS[status]);
  return found;
}

/** A link as the admin API lists it: never its hash. */
export function setupLinkJson(l: SetupLinkRecord, now: number) {
  return {
    id: l.id, purposes: l.purposes, note: l.note, status: setupLinkStatus(l, now), createdAt: l.createdAt, expiresAt: l.expiresAt,
    revokedAt: l.revokedAt, completedAt: l.completedAt, lastUsedAt: l.lastUsedAt,
  };
}
