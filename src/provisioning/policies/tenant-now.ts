// The tenant as committed now, for writes that a change of the tenant made during the request could
// make wrong (docs/policies.md "SCIM mode" and "Settings replaced during a request"). A request
// works with the tenant as it was when it authenticated: its SCIM mode and its settings version,
// kept by tenants/authentication.ts and provisioning/schemas.ts until the store says a tenant
// changed, so the next request sees any change without a query. Within one request that is not
// enough: a disable, or a settings replacement that turns a policy on after checking the data
// holds it, can commit between the authentication and the write. Then:
//   - a create (or a link) would leave an IdP-managed resource in a tenant whose SCIM is disabled;
//   - a membership added while "one group per user" is being turned on, or a primary email set
//     while the identifier is being switched to email, would break the rule the replacement has
//     just checked the data for.
// So such a write reads the tenant's row as committed now, holding it (store: tenantNow, FOR KEY
// SHARE on PostgreSQL; SQLite's writers run one at a time) against disableScim and the settings
// replacement, both of which lock it for update: either this write commits first and theirs sees it
// (the disable converts it, the replacement's check counts it), or theirs commits first and this
// write sees it here — refused as the next request would be (disabled), or checked against the
// settings that replaced its own. One primary-key read, only on the writes that could go wrong:
// creates and links, membership additions while one group per user is off, and new primary emails
// while the identifier is not the email. The settings document is read only when it changed.
import { unauthorized } from '../../scim/errors.ts';
import type { Origin } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';
import type { Change, ChangeHook } from '../mutate.ts';
import { readStoredSettings } from '../tenants/settings-document.ts';
import { groupRules } from './group-rules.ts';
import { isDefaultGroupName } from './group-rules-settings.ts';
import { identifierOf } from './identifier.ts';
import { SCIM_DISABLED_DETAIL } from './scim-mode.ts';
import { checkEmailIdentifier } from './user-rules.ts';

/** A create or link that gives the identity provider a resource (not the admin API's local ones). */
const takesForIdp = (c: Change) => c.linked === true || (c.kind === 'create' && ((c.after as { origin?: Origin } | undefined)?.origin ?? 'scim') === 'scim');

/** Members added to a group other than the default group, while the request's settings allow several groups per user. */
function mayBreakOneGroup(c: Change, ctx: ScimContext): boolean {
  const rules = ctx.settings.policies.groups;
  if (rules.oneGroupPerUser || c.resourceType !== 'Group' || !c.after || !c.members?.added.length) return false;
  return !isDefaultGroupName(rules, c.after.doc.displayName);
}

/** A user given a primary email it did not have, while the request's settings identify users by userName. */
function mayBreakEmails(c: Change, ctx: ScimContext): boolean {
  if (ctx.settings.policies.attributes.uniqueIdentifier === 'email' || c.resourceType !== 'User' || !c.after) return false;
  const email = identifierOf('email', c.after.doc);
  return email !== undefined && email !== (c.before ? identifierOf('email', c.before.doc) : undefined);
}

export const tenantNowHook: ChangeHook = async (tx, change, ctx) => {
  const takes = takesForIdp(change);
  const groups = mayBreakOneGroup(change, ctx);
  const emails = mayBreakEmails(change, ctx);
  if (!takes && !groups && !emails) return;
  const now = await tx.tenantNow(ctx.tenant.id, ctx.settingsVersion);
  if (!now) return; // deleted: the write fails on its own (TenantGone) or leaves nothing that outlives the tenant
  if (takes && !now.scimEnabled) throw unauthorized(SCIM_DISABLED_DETAIL);
  if (!now.settings || (!groups && !emails)) return;
  // Settings replaced since this request read them: the policies they turned on apply to this write.
  const settings = readStoredSettings(now.settings.document).settings;
  const current: ScimContext = { ...ctx, settings, settingsVersion: now.settings.version };
  if (groups && settings.policies.groups.oneGroupPerUser) await groupRules(tx, change, current);
  if (emails && settings.policies.attributes.uniqueIdentifier === 'email') {
    await checkEmailIdentifier(current, tx, change.before ?? { ...change.after!, doc: {} }, change.after!.doc);
  }
};
