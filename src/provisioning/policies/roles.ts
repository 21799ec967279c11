// Effective roles (issue 11 item 6, docs/policies.md "Roles"): derived, not stored. A user holds the
// roles its direct groups grant (settings policies.roles.mappings), so a role can never disagree with
// the memberships it comes from, and nothing is kept for a tenant without roles. What a change does
// to roles is worked out from the Change, inside its transaction, set-based: the users whose
// membership changed (or, on a rename of a mapped group, every member) are read with all their
// groups in one statement per 500 (StoreTx.usersAndTheirGroups), never one query per member.
import type { StoreTx } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';
import type { Change } from '../mutate.ts';
import { isActiveUser } from './user-active.ts';
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
  diff(out, s, before, after, { userId: change.id, userName: String(change.before!.doc.userName), wasActive: isActiveUser(change.before!), via });
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

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * What replacing the roles settings does to every user's roles, inside the settings transaction
 * (provisioning/tenants/settings.ts): the groups whose granted roles differ between the two
 * settings are found (by the ids and names both mappings name), their user members read a page at a
 * time, and each such user's roles compared under the old and the new settings, with all its groups
 * read in one statement per 500 users. `via` is the groups that grant the role under the settings
 * that have it (the new ones for a grant, the old ones for a revocation).
 */
export async function mappingDeltas(tx: StoreTx, tenantId: string, before: RolesSettings, after: RolesSettings): Promise<RoleDelta[]> {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const refs = [...before.mappings, ...after.mappings].map((m) => m.group);
  const byId = refs.flatMap((r) => ('id' in r ? [r.id] : []));
  const byName = refs.flatMap((r) => ('displayName' in r ? [r.displayName] : []));
  const groups = new Map<string, string>();
  if (byName.length) for (const g of await tx.groupsNamed(tenantId, byName)) groups.set(g.id, g.displayName);
  if (byId.length) for (const [id, n] of await tx.namesOf(tenantId, byId)) if (n.type === 'Group') groups.set(id, n.name);
  const affected = [...groups.keys()].filter((id) => !sameSet(rolesOfGroup(before, id, groups.get(id)), rolesOfGroup(after, id, groups.get(id))));
  if (!affected.length) return [];
  const ids = new Set<string>();
  for (const g of affected) {
    for (let cursor: string | undefined; ;) {
      const page = await tx.membersPage(tenantId, g, cursor, MEMBER_PAGE);
      for (const m of page) if (m.type === 'User') ids.add(m.value);
      if (page.length < MEMBER_PAGE) break;
      cursor = page[page.length - 1].value;
    }
  }
  const users = await tx.usersAndTheirGroups(tenantId, [...ids]);
  // Every role of either settings, the new order first: a role dropped from the settings is revoked.
  const names = [...after.roles.map((r) => r.name), ...before.roles.map((r) => r.name).filter((n) => !after.roles.some((r) => r.name === n))];
  const out: RoleDelta[] = [];
  for (const [userId, u] of users) {
    const had = rolesOfGroups(before, u.groups);
    const has = rolesOfGroups(after, u.groups);
    for (const role of names) {
      if (had.has(role) === has.has(role)) continue;
      const s = has.has(role) ? after : before;
      const via = u.groups.filter((g) => rolesOfGroup(s, g.id, g.displayName).includes(role)).map((g) => ({ id: g.id, displayName: g.displayName }));
      out.push({ userId, userName: u.userName, role, granted: has.has(role), wasActive: u.active, via });
    }
  }
  return out;
}
