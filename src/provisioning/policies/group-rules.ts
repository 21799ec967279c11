// Group rules (tenant settings policies.groups, docs/policies.md), checked on every change of a
// group inside its transaction, before the outbox: a refusal throws a SCIM error, and the write and
// its events roll back with it.
//   - reserved names and the longest name apply to the names the identity provider gives: when it
//     creates a group or changes a displayName, of its own groups (origin 'scim') and of local
//     groups it linked to (Okta's Push Groups → Link group, then a rename in Okta: still a name the
//     IdP gives, a SCIM token acting). The app's own names (the admin API, its code) are exempt: a
//     local group may carry a reserved name, which is what reserving it is for (Split's "Administrators");
//   - one group per user applies to every group, local or not: it is the app's data model.
// A tenant with every rule off pays one property read per change. The one-group check reads only
// the members the change added, 500 per statement (store: usersInOtherGroups), never the group.
import { invalidValue, uniqueness } from '../../scim/errors.ts';
import type { Origin, StoreTx } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';
import type { Change } from '../mutate.ts';
import { isDefaultGroupName, nameLength } from './group-rules-settings.ts';

export async function groupRules(tx: StoreTx, change: Change, ctx: ScimContext): Promise<void> {
  if (change.resourceType !== 'Group' || change.kind === 'delete') return;
  const rules = ctx.settings.policies.groups;
  const group = change.after!;
  const name = String(group.doc.displayName);

  // The records mutate() reads and writes carry their origin (store: GroupRecord).
  const origin = ((change.kind === 'create' ? change.after : change.before) as { origin?: Origin } | undefined)?.origin ?? 'scim';
  const named = change.kind === 'create' || change.changedPaths.includes('displayName');
  if (named && (origin === 'scim' || ctx.actor.type === 'token')) {
    const folded = name.toLowerCase();
    const reserved = rules.reservedNames.find((r) => r.toLowerCase() === folded);
    if (reserved !== undefined) {
      throw uniqueness(`The group name ${JSON.stringify(name)} is reserved in this app; give the group another name in your identity provider and push it again.`,
        { code: 'reservedGroupName', resourceType: 'Group', attribute: 'displayName' });
    }
    const length = nameLength(name);
    if (rules.maxNameLength !== null && length > rules.maxNameLength) {
      throw invalidValue(`The group name ${JSON.stringify(name)} has ${length} characters and this app accepts at most ${rules.maxNameLength}; shorten it in your identity provider and push it again.`,
        { code: 'groupNameTooLong', resourceType: 'Group', attribute: 'displayName' });
    }
  }

  const added = change.members?.added ?? [];
  // The default group does not count: a user joining another group leaves it (default-group.ts),
  // and the app may put anyone into it.
  if (rules.oneGroupPerUser && added.length && !isDefaultGroupName(rules, name)) {
    // The members are already written in this transaction: any other membership of theirs is a second group.
    const [clash] = await tx.usersInOtherGroups(ctx.tenant.id, change.id, added, 1, rules.defaultGroup);
    if (clash) {
      throw uniqueness(`User ${JSON.stringify(clash.userName)} is already in group ${JSON.stringify(clash.groupName)} and this app allows one group per user; remove them from ${JSON.stringify(clash.groupName)} before adding them to ${JSON.stringify(name)}.`,
        { code: 'oneGroupPerUser', resourceType: 'Group', attribute: 'members' });
    }
  }
}
