// SCIM mode (issue 11 item 7; the Split article "SCIM for Okta", docs/policies.md "SCIM mode").
//
// What "SCIM enabled" means: a state of the tenant (Tenant.scimEnabled, the tenants.scim_mode
// column), not the presence of a token. Tokens expire and get revoked one at a time during a
// rotation; a tenant whose last token lapsed is still provisioned by its IdP and must stay so until
// an admin says otherwise. The state changes only here, each change in one transaction:
//   - enable (a disabled tenant): a new token (shown once), every pending local invitation revoked
//     (status invited → deactivated), events tenant.scim_enabled, user.invitation_revoked (one per
//     invitation), token.created, and the audit entry "tenant.scim_enable".
//   - disable (confirmed by the word DISABLE): every IdP-managed user and group becomes local, every
//     token is revoked, events token.revoked (one per token) and tenant.scim_disabled (the counts),
//     audit "tenant.scim_disable". Set-based: a few statements whatever the tenant's size.
// New tenants start enabled (Rollcall is a SCIM server; every tenant before this mode existed was
// provisioned as soon as it had a token). While enabled: IdP-managed users and groups are read-only
// through the admin API (admin/directory.ts) and no local user may be invited. While disabled: no
// token can be issued (tokens.ts) and a token, should one exist, authenticates nothing
// (authentication.ts). Re-enabling starts clean: the new token, and account linking
// (policies.linking) applies again to the users the IdP pushes, all of them local by then.
import type { Store, Tenant, TokenRecord } from '../../store/store.ts';
import { LIBRARY_ADMIN_ACTOR, type Actor } from '../admin/audit.ts';
import { isoNow, systemClock, type Clock } from '../clock.ts';
import { actionRecord, tenantData, tokenData } from '../tenants/tenant-records.ts';
import { TenantError } from '../tenants/tenants.ts';
import { newToken } from '../tenants/tokens.ts';

/** The word an admin types to disable SCIM (the Split article: "Type DISABLE"). Case-sensitive. */
export const DISABLE_CONFIRMATION = 'DISABLE';

export interface ScimEnabled { token: string; record: TokenRecord; invitationsRevoked: number }

/** Enables SCIM for a tenant whose SCIM is disabled; returns its new token (the clear token, shown once). */
export async function enableScim(store: Store, tenant: Tenant, ttlMs: number | null, clock: Clock = systemClock, name: string | null = null, by: Actor = LIBRARY_ADMIN_ACTOR): Promise<ScimEnabled> {
  const issued = newToken(tenant, ttlMs, clock.now(), name);
  const at = issued.record.createdAt;
  const done = await store.enableScim(tenant.id, issued.record, at, (revoked) => actionRecord({
    at, by, tenant, action: 'tenant.scim_enable', target: 'tenant', targetId: tenant.id,
    summary: { tokenId: issued.record.id, invitationsRevoked: revoked.length },
    events: [
      ...revoked.map((user): [ 'user.invitation_revoked', Record<string, unknown>] => ['user.invitation_revoked', { user: { id: user.id, userName: user.userName, status: 'deactivated' } }]),
      ['token.created', { token: tokenData(issued.record) }],
      ['tenant.scim_enabled', { tenant: tenantData(tenant), token: tokenData(issued.record), invitationsRevoked: revoked.length }],
    ],
  }));
  if (!done) throw await notInMode(store, tenant, true);
  return { ...issued, invitationsRevoked: done.invitationsRevoked };
}

export interface ScimDisabledResult { users: number; groups: number; tokensRevoked: number }

/**
 * Disables SCIM for a tenant whose SCIM is enabled. `confirm` must be the word DISABLE: anything
 * else is refused before anything is read or written.
 */
export async function disableScim(store: Store, tenant: Tenant, confirm: string | undefined, clock: Clock = systemClock, by: Actor = LIBRARY_ADMIN_ACTOR): Promise<ScimDisabledResult> {
  if (confirm !== DISABLE_CONFIRMATION) {
    throw new TenantError(`Disabling SCIM for tenant "${tenant.slug}" makes every IdP-managed user and group local and revokes every SCIM token: confirm by typing the word ${DISABLE_CONFIRMATION} (confirm: "${DISABLE_CONFIRMATION}").`, 400, 'confirm');
  }
  const at = isoNow(clock);
  const done = await store.disableScim(tenant.id, at, (d) => actionRecord({
    at, by, tenant, action: 'tenant.scim_disable', target: 'tenant', targetId: tenant.id,
    summary: { usersConverted: d.users, groupsConverted: d.groups, tokensRevoked: d.tokens.map((t) => t.id) },
    events: [
      ...d.tokens.map((t): ['token.revoked', Record<string, unknown>] => ['token.revoked', { token: tokenData(t) }]),
      ['tenant.scim_disabled', { tenant: tenantData(tenant), usersConverted: d.users, groupsConverted: d.groups, tokensRevoked: d.tokens.length }],
    ],
  }));
  if (!done) throw await notInMode(store, tenant, false);
  return { users: done.users, groups: done.groups, tokensRevoked: done.tokens.length };
}

/** Why enable or disable wrote nothing: the tenant is gone, or already in that mode. */
async function notInMode(store: Store, tenant: Tenant, enabling: boolean): Promise<TenantError> {
  const now = await store.findTenantBySlug(tenant.slug);
  if (!now || now.id !== tenant.id) return new TenantError(`No tenant has the slug "${tenant.slug}".`, 404);
  return enabling
    ? new TenantError(`SCIM is already enabled for tenant "${tenant.slug}"; to give the identity provider another token, create one (POST /admin/v1/tenants/${tenant.slug}/tokens).`, 409)
    : new TenantError(`SCIM is already disabled for tenant "${tenant.slug}": its users and groups are all local. Enable it again with POST /admin/v1/tenants/${tenant.slug}/scim/enable.`, 409);
}


/** The detail a SCIM request for a disabled tenant answers (401: its tokens are revoked). */
export const SCIM_DISABLED_DETAIL = 'SCIM provisioning is disabled for this tenant. Ask the vendor to enable it again; it comes with a new token.';
