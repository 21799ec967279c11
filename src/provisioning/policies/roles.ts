// Effective roles (issue 11 item 6, docs/policies.md "Roles"): derived, not stored. A user holds the
// roles its direct groups grant (settings policies.roles.mappings), so a role can never disagree with
// the memberships it comes from, and nothing is kept for a tenant without roles. What a change does
// to roles is worked out from the Change, inside its transaction, set-based: the users whose
// membership changed (or, on a rename of a mapped group, every member) are read with all their
// groups in one statement per 500 (StoreTx.usersAndTheirGroups), never one query per member.
import type { StoreTx } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';
import type { Change } from '../mutate.ts';
import { rolesOfGroup, type RolesSettings } from './roles-settings.ts';

interface GroupName { id: string; displayName: string }

/** One role one user gained or lost through a change, and the groups of the change it came through. */
export interface RoleDelta {
  userId: string;
  userName: string;
  role: string;
  granted: boolean;
  /** Whether the user was active before the change (the last-admin guard counts only active holders). */
  wasActive: boolean;
  via: GroupName[];
}

/** The roles a set of groups grants. */
export function rolesOfGroups(s: RolesSettings, groups: readonly GroupName[]): Set<string> {
  const out = new Set<string>();
  for (const g of groups) for (const r of rolesOfGroup(s, g.id, g.displayName)) out.add(r);
  return out;
}

const MEMBER_PAGE = 1000;

/** The roles each user gained and lost through this change (empty when no group of it grants a role). */
export async function roleDeltas(tx: StoreTx, change: Change, ctx: ScimContext): Promise<RoleDelta[]> {
  const s = ctx.settings.policies.roles;
  if (!s.mappings.length) return [];
  return change.resourceType === 'Group' ? groupDeltas(tx, change, ctx, s) : userDeltas(tx, change, ctx, s);
}

async function groupDeltas(tx: StoreTx, change: Change, ctx: ScimContext, s: RolesSettings): Promise<RoleDelta[]> {
  const g = change.id;
  const nameBefore = change.before?.doc.displayName;
  const nameAfter = change.after?.doc.displayName;
  const rolesBefore = change.before ? rolesOfGroup(s, g, nameBefore) : [];
  const rolesAfter = change.after ? rolesOfGroup(s, g, nameAfter) : [];
  if (!rolesBefore.length && !rolesAfter.length) return [];

  // Membership in this group before and after, per member whose membership the change touched: the
  // first step an id appears in says whether it was a member before, the last whether it is now.
  const wasMember = new Map<string, boolean>();
  const isMember = new Map<string, boolean>();
  for (const step of change.memberSteps ?? []) {
    for (const id of step.ids) {
      if (!wasMember.has(id)) wasMember.set(id, !step.added);
      isMember.set(id, step.added);
    }
  }
  const ids = [...wasMember.keys()].filter((id) => wasMember.get(id) !== isMember.get(id));
  // A rename that changes what the group grants (a mapping by displayName) reaches every member.
  const sameRoles = rolesBefore.length === rolesAfter.length && rolesBefore.every((r) => rolesAfter.includes(r));
  if (!sameRoles && change.after) {
    const touched = new Set(ids);
    for (let after: string | undefined; ;) {
      const page = await tx.membersPage(ctx.tenant.id, g, after, MEMBER_PAGE);
      for (const m of page) if (m.type === 'User' && !touched.has(m.value)) ids.push(m.value);
      if (page.length < MEMBER_PAGE) break;
      after = page[page.length - 1].value;
    }
  }
  if (!ids.length) return [];

  const via: GroupName[] = [{ id: g, displayName: String(nameAfter ?? nameBefore) }];
  const users = await tx.usersAndTheirGroups(ctx.tenant.id, ids);
  const out: RoleDelta[] = [];
  for (const id of ids) {
    const u = users.get(id);
    if (!u) continue; // a group nested as a member: roles are for users
    const others = u.groups.filter((x) => x.id !== g);
    const before = rolesOfGroups(s, (wasMember.get(id) ?? true) ? [...others, { id: g, displayName: String(nameBefore) }] : others);
    const after = rolesOfGroups(s, u.groups);
    diff(out, s, before, after, { userId: id, userName: u.userName, wasActive: u.active, via });
  }
  return out;
}

async function userDeltas(tx: StoreTx, change: Change, ctx: ScimContext, s: RolesSettings): Promise<RoleDelta[]> {
  // Roles change with a user's memberships only: a deleted user leaves all its groups, and a
  // deprovisioning mode that removes memberships (issue 11 item 2) says which in leftGroups.
  const left = change.leftGroups ?? [];
  if (!left.length) return [];
  const names = await tx.namesOf(ctx.tenant.id, left);
  const leftGroups = left.map((id) => ({ id, displayName: names.get(id)?.name ?? '' }));
  const current = change.kind === 'delete' ? [] : (await tx.usersAndTheirGroups(ctx.tenant.id, [change.id])).get(change.id)?.groups ?? [];
  const before = rolesOfGroups(s, [...current, ...leftGroups]);
  const after = rolesOfGroups(s, current);
  const out: RoleDelta[] = [];
  const via = leftGroups.filter((g) => rolesOfGroup(s, g.id, g.displayName).length);
  diff(out, s, before, after, { userId: change.id, userName: String(change.before!.doc.userName), wasActive: change.before!.doc.active !== false, via });
  return out;
}

function diff(out: RoleDelta[], s: RolesSettings, before: Set<string>, after: Set<string>, who: Omit<RoleDelta, 'role' | 'granted'>): void {
  // In settings order, so events come in a stable order.
  for (const r of s.roles) {
    const had = before.has(r.name);
    const has = after.has(r.name);
    if (had !== has) out.push({ ...who, role: r.name, granted: has });
  }
}

/** A user's effective roles from its direct groups, each with the groups that grant it (the admin API's user). */
export function effectiveRoles(s: RolesSettings, groups: readonly GroupName[]): { name: string; admin: boolean; groups: GroupName[] }[] {
  if (!s.mappings.length) return [];
  return s.roles.flatMap((r) => {
    const via = groups.filter((g) => rolesOfGroup(s, g.id, g.displayName).includes(r.name));
    return via.length ? [{ name: r.name, admin: r.admin, groups: via.map((g) => ({ id: g.id, displayName: g.displayName })) }] : [];
  });
}
