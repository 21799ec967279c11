// Settings "policies.roles": the tenant's app roles and which IdP groups grant them (issue 11 item 6).
// A user's effective roles are derived, never stored: the roles of the groups it is a direct member
// of (policies/roles.ts). A role marked admin must keep an active holder (policies/guards.ts).
import { checkGroupRef, groupRefJsonSchema, refMatches, unstorable, type GroupRef } from './group-ref.ts';

export interface Role {
  name: string;
  /** An admin role keeps at least one active holder: the last one cannot be deprovisioned or removed. */
  admin: boolean;
}

export interface RoleMapping { group: GroupRef; role: string }

export interface RolesSettings {
  roles: Role[];
  mappings: RoleMapping[];
}

export const ROLES_LIMITS = { roles: 100, mappings: 1000, nameLength: 100 } as const;

export const DEFAULT_ROLES: Readonly<RolesSettings> = Object.freeze({
  roles: Object.freeze([]) as unknown as Role[],
  mappings: Object.freeze([]) as unknown as RoleMapping[],
});

export const rolesJsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'App roles, and the IdP groups that grant them: a user holds the roles of the groups it is a direct member of.',
  properties: {
    roles: {
      type: 'array', maxItems: ROLES_LIMITS.roles, default: [],
      items: {
        type: 'object', additionalProperties: false, required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: ROLES_LIMITS.nameLength, description: 'Unique (case-insensitively); named in events and refusals, e.g. "Global Admin"' },
          admin: { type: 'boolean', default: false, description: 'Keep at least one active holder: deprovisioning or removing the last one is refused' },
        },
      },
    },
    mappings: {
      type: 'array', maxItems: ROLES_LIMITS.mappings, default: [],
      items: {
        type: 'object', additionalProperties: false, required: ['group', 'role'],
        properties: { group: groupRefJsonSchema, role: { type: 'string', minLength: 1, maxLength: ROLES_LIMITS.nameLength, description: 'A role named in roles' } },
      },
    },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
type Problem = (pointer: string, message: string) => void;

export function checkRoles(input: unknown, at: string, problem: Problem): RolesSettings {
  if (input === undefined) return { roles: [], mappings: [] };
  if (!isObject(input)) { problem(at, 'must be an object such as {"roles": [{"name": "Global Admin", "admin": true}], "mappings": [{"group": {"displayName": "Administrators"}, "role": "Global Admin"}]}'); return { roles: [], mappings: [] }; }
  for (const k of Object.keys(input)) if (k !== 'roles' && k !== 'mappings') problem(`${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, 'is not a setting (allowed here: roles, mappings)');
  const roles: Role[] = [];
  const byName = new Map<string, Role>();
  const list = (key: 'roles' | 'mappings', max: number): unknown[] => {
    const v = input[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) { problem(`${at}/${key}`, 'must be an array'); return []; }
    if (v.length > max) { problem(`${at}/${key}`, `has more than ${max} entries`); return []; }
    return v;
  };
  list('roles', ROLES_LIMITS.roles).forEach((r, i) => {
    const p = `${at}/roles/${i}`;
    if (!isObject(r)) { problem(p, 'must be an object such as {"name": "Global Admin", "admin": true}'); return; }
    for (const k of Object.keys(r)) if (k !== 'name' && k !== 'admin') problem(`${p}/${k}`, 'is not a setting (allowed here: name, admin)');
    if (typeof r.name !== 'string' || r.name.trim() === '') { problem(`${p}/name`, 'must be a non-empty string'); return; }
    if (r.name.length > ROLES_LIMITS.nameLength) { problem(`${p}/name`, `is longer than ${ROLES_LIMITS.nameLength} characters`); return; }
    if (unstorable(r.name)) { problem(`${p}/name`, 'cannot hold control characters or unpaired surrogates'); return; }
    if (r.admin !== undefined && typeof r.admin !== 'boolean') { problem(`${p}/admin`, 'must be true or false'); return; }
    if (byName.has(r.name.toLowerCase())) { problem(`${p}/name`, `names the role "${r.name}" a second time (names compare case-insensitively)`); return; }
    const role = { name: r.name, admin: r.admin === true };
    byName.set(role.name.toLowerCase(), role);
    roles.push(role);
  });
  const mappings: RoleMapping[] = [];
  list('mappings', ROLES_LIMITS.mappings).forEach((m, i) => {
    const p = `${at}/mappings/${i}`;
    if (!isObject(m)) { problem(p, 'must be an object such as {"group": {"displayName": "Administrators"}, "role": "Global Admin"}'); return; }
    for (const k of Object.keys(m)) if (k !== 'group' && k !== 'role') problem(`${p}/${k}`, 'is not a setting (allowed here: group, role)');
    const group = checkGroupRef(m.group, `${p}/group`, problem);
    if (typeof m.role !== 'string') { problem(`${p}/role`, 'must be the name of a role in roles'); return; }
    const role = byName.get(m.role.toLowerCase());
    if (!role) { problem(`${p}/role`, `names no role of roles (${roles.length ? roles.map((r) => JSON.stringify(r.name)).join(', ') : 'none are defined'})`); return; }
    if (group) mappings.push({ group, role: role.name });
  });
  return { roles, mappings };
}

/** Whether any group grants a role: a tenant without mappings pays nothing for roles. */
export const rolesInUse = (s: RolesSettings): boolean => s.mappings.length > 0;

/** The roles a group grants (by its id and displayName), in settings order. */
export function rolesOfGroup(s: RolesSettings, id: string, displayName: unknown): string[] {
  const out: string[] = [];
  for (const m of s.mappings) if (!out.includes(m.role) && refMatches(m.group, id, displayName)) out.push(m.role);
  return out;
}

export const roleNamed = (s: RolesSettings, name: string): Role | undefined => s.roles.find((r) => r.name === name);
