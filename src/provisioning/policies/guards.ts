// Guards (issue 11 item 3, docs/policies.md "Guards"): refusals that keep the app usable, checked on
// the Change after the write and before the outbox, inside the change's transaction, so a refusal
// rolls back the write and writes no event. They look at what a change did — a user going from
// active to inactive, a user deleted, members leaving a group (through a group request, a user's
// deletion, or a deprovisioning mode's leftGroups), a group deleted or renamed — never at which
// request or mode produced it, so they hold whichever deprovisioning mode (item 2) is set.
import { ScimError } from '../../scim/errors.ts';
import type { AttrDoc } from '../../scim/resource.ts';
import type { StoreTx } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';
import type { Change } from '../mutate.ts';
import { refMatches, type GroupRef } from './group-ref.ts';
import type { RoleDelta } from './roles.ts';
import { rolesOfGroups } from './roles.ts';
import { isActiveUser } from './user-active.ts';

/** A refusal: 409, the policy's reason code, one sentence naming the user or group and the fix. */
const refuse = (code: string, detail: string) => new ScimError(409, detail, undefined, {}, { code });
/** A rename of a required group: the displayName is not changeable in its current state (RFC 7644 §3.12 "mutability"). */
const renameRefused = (detail: string) => new ScimError(400, detail, 'mutability', {}, { code: 'requiredGroup', resourceType: 'Group', attribute: 'displayName' });

/** "Ada Lovelace (ada@acme.example)", or the userName alone when the user has no name. */
export function who(doc: AttrDoc): string {
  const name = doc.name as { formatted?: unknown; givenName?: unknown; familyName?: unknown } | undefined;
  const full = typeof doc.displayName === 'string' && doc.displayName.trim() ? doc.displayName
    : typeof name?.formatted === 'string' && name.formatted.trim() ? name.formatted
    : [name?.givenName, name?.familyName].filter((p) => typeof p === 'string' && p.trim()).join(' ');
  const emails = Array.isArray(doc.emails) ? doc.emails as { value?: unknown; primary?: unknown }[] : [];
  const email = (emails.find((e) => e?.primary === true) ?? emails[0])?.value;
  const contact = typeof email === 'string' ? email : String(doc.userName);
  return full ? `${full} (${contact})` : contact;
}

const quoted = (name: unknown) => `"${String(name)}"`;

const wasActive = (c: Change) => c.before !== undefined && isActiveUser(c.before);
const deprovisioned = (c: Change) => c.resourceType === 'User' && wasActive(c) && (c.kind === 'delete' || (c.after !== undefined && !isActiveUser(c.after)));

export async function checkGuards(tx: StoreTx, change: Change, ctx: ScimContext, deltas: readonly RoleDelta[]): Promise<void> {
  await lastActiveAdmin(tx, change, ctx, deltas);
  await requiredGroups(tx, change, ctx);
  await onlyMember(tx, change, ctx);
}

/** A role marked admin keeps at least one active holder. */
async function lastActiveAdmin(tx: StoreTx, change: Change, ctx: ScimContext, deltas: readonly RoleDelta[]): Promise<void> {
  const s = ctx.settings.policies.roles;
  const admin = new Set(s.roles.filter((r) => r.admin).map((r) => r.name));
  if (!admin.size || !s.mappings.length) return;
  // Who stopped being an active holder of which admin role: lost it while active, or was deactivated holding it.
  const losers = new Map<string, string>(); // role → user id
  for (const d of deltas) if (!d.granted && d.wasActive && admin.has(d.role) && !losers.has(d.role)) losers.set(d.role, d.userId);
  if (change.resourceType === 'User' && change.kind !== 'delete' && deprovisioned(change)) {
    const groups = (await tx.usersAndTheirGroups(ctx.tenant.id, [change.id])).get(change.id)?.groups ?? [];
    for (const r of rolesOfGroups(s, groups)) if (admin.has(r) && !losers.has(r)) losers.set(r, change.id);
  }
  if (!losers.size) return;
  await tx.serializePolicyChecks(ctx.tenant.id);
  for (const [role, userId] of losers) {
    const refs = s.mappings.filter((m) => m.role === role).map((m) => m.group);
    const byName = refs.flatMap((r) => ('displayName' in r ? [r.displayName] : []));
    const granting = [...refs.flatMap((r) => ('id' in r ? [r.id] : [])), ...(byName.length ? (await tx.groupsNamed(ctx.tenant.id, byName)).map((g) => g.id) : [])];
    if (await tx.activeMemberOf(ctx.tenant.id, granting)) continue;
    const doc = change.resourceType === 'User' && change.id === userId ? change.before!.doc : (await tx.getUser(ctx.tenant.id, userId))?.doc;
    throw refuse('lastAdmin', `${doc ? who(doc) : `User ${userId}`} is the last ${role} of this organization; give another user that role first.`);
  }
}

/** Required groups keep a member, and the identity provider may not delete or rename them. */
async function requiredGroups(tx: StoreTx, change: Change, ctx: ScimContext): Promise<void> {
  const required = ctx.settings.policies.guards.requiredGroups;
  if (!required.length) return;
  const isRequired = (id: string, name: unknown) => required.some((r: GroupRef) => refMatches(r, id, name));
  if (change.resourceType === 'Group') {
    if (!change.before) return; // a new group: nothing to keep yet
    const name = change.before.doc.displayName;
    if (!isRequired(change.id, name)) return;
    // The IdP (a SCIM token) may not delete or rename it; the app's own admin API may.
    if (ctx.actor.type === 'token') {
      if (change.kind === 'delete') throw refuse('requiredGroup', `The group ${quoted(name)} is required by this app and cannot be deleted from the identity provider; keep it assigned, or ask the app's administrator to stop requiring it.`);
      if (change.changedPaths.includes('displayName')) throw renameRefused(`The group ${quoted(name)} is required by this app and cannot be renamed from the identity provider; keep its name ${quoted(name)}, or ask the app's administrator to stop requiring it.`);
    }
    if (change.kind !== 'delete' && change.members?.removed.length) {
      await tx.serializePolicyChecks(ctx.tenant.id);
      if ((await tx.memberCounts(ctx.tenant.id, [change.id])).get(change.id) === 0) {
        throw refuse('requiredGroupEmpty', `The group ${quoted(name)} is required by this app and must keep at least one member; add another member to it first.`);
      }
    }
    return;
  }
  const left = change.leftGroups ?? [];
  if (!left.length) return;
  const names = await tx.namesOf(ctx.tenant.id, left);
  const kept = left.filter((id) => isRequired(id, names.get(id)?.name));
  if (!kept.length) return;
  await tx.serializePolicyChecks(ctx.tenant.id);
  const counts = await tx.memberCounts(ctx.tenant.id, kept);
  const emptied = kept.find((id) => counts.get(id) === 0);
  if (emptied) throw refuse('requiredGroupEmpty', `${who(change.before!.doc)} is the last member of ${quoted(names.get(emptied)?.name)}, a group this app requires to keep a member; add another member to it first.`);
}

/**
 * The on-call team rule: the only active member of a group cannot be deprovisioned. Active members
 * only: under the deactivate mode a deactivated user keeps its memberships, but covers no team.
 */
async function onlyMember(tx: StoreTx, change: Change, ctx: ScimContext): Promise<void> {
  if (!ctx.settings.policies.guards.protectOnlyMembers || !deprovisioned(change)) return;
  const left = change.leftGroups ?? [];
  const current = change.kind === 'delete' ? [] : (await tx.usersAndTheirGroups(ctx.tenant.id, [change.id])).get(change.id)?.groups.map((g) => g.id) ?? [];
  if (!left.length && !current.length) return;
  await tx.serializePolicyChecks(ctx.tenant.id);
  // Counted after the write: this user is no longer active (nor, when deleted or removed, a member),
  // so a group it was in with no active member now is one it was the only active member of.
  const active = await tx.memberCounts(ctx.tenant.id, [...current, ...left], { activeOnly: true });
  const alone = [...current, ...left].find((id) => active.get(id) === 0);
  if (!alone) return;
  const name = (await tx.namesOf(ctx.tenant.id, [alone])).get(alone)?.name ?? alone;
  // Other (deactivated) members left in it: say so, the IdP admin sees them in the group.
  const others = ((await tx.memberCounts(ctx.tenant.id, [alone])).get(alone) ?? 0) - (current.includes(alone) ? 1 : 0);
  if (others > 0) throw refuse('onlyMember', `${who(change.before!.doc)} is the only active member of ${quoted(name)} (its other members are deactivated); add an active member to that group before deprovisioning this user.`);
  throw refuse('onlyMember', `${who(change.before!.doc)} is the only member of ${quoted(name)}; add another member to that group before deprovisioning this user.`);
}

