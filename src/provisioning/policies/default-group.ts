// The default group (settings policies.groups.defaultGroup, docs/policies.md "Default group"): every
// user in no other group is a member of it, as on a Splashtop team, where a user Okta assigns
// without a pushed group lands in the team's default group.
//   - a new user (SCIM or admin API) joins it;
//   - a user added to another group leaves it;
//   - a user who leaves their last group (removed from it, or the group deleted) joins it again;
//   - changes to the default group itself are left as they are (the app's, or the IdP's once
//     linked): removing someone from it does not put them back.
// The group is the one with that displayName (case-insensitively); when a user needs it and there is
// none, it is created as a local group (origin 'local', as if through the admin API), by the change
// that needs it and with that change's actor.
//
// This hook runs AFTER the outbox, still in the change's transaction: it is a consequence of the
// change, not a check of it, and its events (group.created, group.member_added/_removed of the
// default group) must follow the change's own (user.created before the user joins a group). It
// writes them itself through the outbox, so nothing it does goes unrecorded; a failure rolls the
// whole change back. Each move into or out of the default group is a change like any other for the
// roles and the guards (policies/roles-and-guards.ts), run on it before its events: a default group
// mapped to a role grants and revokes it with events, and a move that would take away the last
// active admin, or empty a required default group, refuses the whole request. A tenant without a default group pays one property read per change; with one,
// the membership work is set-based (a few statements per 500 members).
import { randomUUID } from 'node:crypto';
import { outbox } from '../../events/outbox.ts';
import { GROUP_SCHEMA } from '../../scim/schemas/core.ts';
import { UniquenessViolation, type GroupRecord, type StoreTx } from '../../store/store.ts';
import { VersionConflict, type ScimContext } from '../context.ts';
import { groupDoc } from '../groups.ts';
import type { Change } from '../mutate.ts';
import { isDefaultGroupName } from './group-rules-settings.ts';
import { rolesAndGuards } from './roles-and-guards.ts';

export async function defaultGroup(tx: StoreTx, change: Change, ctx: ScimContext): Promise<void> {
  const rules = ctx.settings.policies.groups;
  const name = rules.defaultGroup;
  if (name === null) return;
  let join: string[] = [];
  let leave: string[] = [];
  if (change.resourceType === 'User') {
    if (change.kind !== 'create') return;
    join = [change.id];
  } else {
    if (isDefaultGroupName(rules, (change.after ?? change.before!).doc.displayName)) return;
    const added = change.members?.added ?? [];
    const removed = change.members?.removed ?? [];
    if (!added.length && !removed.length) return;
    // Leaving first: a user added and removed in one request is then in no group, and rejoins.
    leave = added;
    if (removed.length) {
      const groupless = new Set(await tx.usersInNoGroup(ctx.tenant.id, removed));
      // usersInNoGroup reads before the leave below; those leaving now are in a group, so not in it.
      join = [...new Set(removed)].filter((id) => groupless.has(id));
    }
  }
  if (!join.length && !leave.length) return;

  const t = ctx.tenant.id;
  const filter = { op: 'eq' as const, path: { attr: 'displayName', text: 'displayName' }, value: name };
  const [found] = (await tx.listGroups(t, ctx.schemas, { filter, sortOrder: 'ascending', offset: 0, limit: 1 })).rows;
  if (!found) {
    if (!join.length) return;
    await createWith(tx, ctx, name, join, change.at);
    return;
  }
  const current = await tx.lockGroup(t, found.id);
  if (!current) throw new VersionConflict(); // deleted since the read: run the change again
  const removed = leave.length ? await tx.removeMembers(t, current.id, leave, change.at) : [];
  const added = join.length ? await tx.addMembers(t, current.id, join.map((value) => ({ value })), change.at) : [];
  if (!added.length && !removed.length) return;
  const record: GroupRecord = { ...current, lastModified: change.at, version: current.version + 1 };
  if (!(await tx.updateGroup(t, ctx.schemas, record, current))) throw new VersionConflict();
  const memberSteps = [{ added: false, ids: removed }, { added: true, ids: added }].filter((s) => s.ids.length);
  await checkedThenRecorded(tx, { kind: 'patch', resourceType: 'Group', id: current.id, before: current, after: record, changedPaths: ['members'], members: { added, removed }, memberSteps, at: change.at }, ctx);
}

/** The roles and guards see the default group's change (a refusal rolls back the request), then the outbox records it and the role events it derived. */
async function checkedThenRecorded(tx: StoreTx, change: Change, ctx: ScimContext): Promise<void> {
  await rolesAndGuards(tx, change, ctx);
  await outbox(tx, change, ctx);
}

/** Creates the default group as a local group with its first members, and records it. */
async function createWith(tx: StoreTx, ctx: ScimContext, name: string, members: string[], at: string): Promise<void> {
  const { doc } = groupDoc(ctx, { schemas: [GROUP_SCHEMA], displayName: name });
  const record: GroupRecord = { id: randomUUID(), doc, created: at, lastModified: at, version: 1, origin: 'local' };
  try {
    await tx.insertGroup(ctx.tenant.id, ctx.schemas, record);
  } catch (err) {
    // Another transaction created it first (PostgreSQL): run the whole change again, and find it.
    if (err instanceof UniquenessViolation) throw new VersionConflict();
    throw err;
  }
  const added = await tx.addMembers(ctx.tenant.id, record.id, members.map((value) => ({ value })), at);
  const paths = [...Object.keys(doc).filter((k) => doc[k] !== undefined), ...(added.length ? ['members'] : [])].sort();
  await checkedThenRecorded(tx, { kind: 'create', resourceType: 'Group', id: record.id, after: record, changedPaths: paths, members: { added, removed: [] }, memberSteps: added.length ? [{ added: true, ids: added }] : [], at }, ctx);
}
