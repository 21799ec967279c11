// Columns of an import file as SCIM attributes. A column maps to an attribute path in the forms an
// operator already knows from IdP attribute mappings: a core attribute ("userName", "title"), a
// sub-attribute ("name.givenName"), a typed value of a multi-valued attribute
// ('emails[type eq "work"].value'), an extension attribute by its full URN
// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), or "groups" (group
// names separated by ";"). The common headers of HR and IdP exports map without a --map file.
import { ENTERPRISE_USER_SCHEMA } from '../../scim/schemas/enterprise-user.ts';
import type { TenantSchemas } from '../../store/store.ts';

export type Target = { kind: 'path'; path: string } | { kind: 'groups' } | { kind: 'ignore' };

/** A header as compared with the defaults: lower case, without spaces, "_", "-" and ".". */
const squash = (s: string) => s.toLowerCase().replace(/[\s_.-]/g, '');

const E = ENTERPRISE_USER_SCHEMA;
const DEFAULTS: Record<string, string | null> = {
  username: 'userName', login: 'userName', upn: 'userName', userprincipalname: 'userName',
  externalid: 'externalId', email: 'emails[type eq "work"].value', mail: 'emails[type eq "work"].value', emailaddress: 'emails[type eq "work"].value', workemail: 'emails[type eq "work"].value',
  givenname: 'name.givenName', firstname: 'name.givenName', familyname: 'name.familyName', lastname: 'name.familyName', surname: 'name.familyName',
  middlename: 'name.middleName', formattedname: 'name.formatted', fullname: 'displayName', displayname: 'displayName',
  nickname: 'nickName', title: 'title', jobtitle: 'title', usertype: 'userType', preferredlanguage: 'preferredLanguage', locale: 'locale', timezone: 'timezone', profileurl: 'profileUrl',
  active: 'active', phone: 'phoneNumbers[type eq "work"].value', phonenumber: 'phoneNumbers[type eq "work"].value', workphone: 'phoneNumbers[type eq "work"].value', mobile: 'phoneNumbers[type eq "mobile"].value', mobilephone: 'phoneNumbers[type eq "mobile"].value',
  department: `${E}:department`, employeenumber: `${E}:employeeNumber`, employeeid: `${E}:employeeNumber`, costcenter: `${E}:costCenter`, organization: `${E}:organization`, division: `${E}:division`,
  manager: `${E}:manager`, managerid: `${E}:manager`,
  groups: 'groups',
  // An export's id column: ids are the source tenant's, never imported.
  id: null,
};

export class MappingError extends Error {}

/**
 * The target of each column: the --map file's entry (a path, or null to ignore the column) first,
 * then the defaults, then a header that is itself an attribute path, then the bare name of one of
 * the tenant's custom attributes. Unknown columns are refused, all named at once.
 */
export function mapColumns(header: string[], schemas: TenantSchemas, map: Record<string, string | null> = {}): Target[] {
  const custom = new Map<string, string>();
  for (const ext of schemas.User.extensions) {
    if (!schemas.custom?.has(ext.id)) continue;
    for (const a of ext.attributes) custom.set(a.name.toLowerCase(), `${ext.id}:${a.name}`);
  }
  const unknown: string[] = [];
  const seen = new Map<string, string>();
  const targets = header.map((raw): Target => {
    const name = raw.trim();
    const given = Object.hasOwn(map, name) ? map[name] : Object.hasOwn(map, raw) ? map[raw] : undefined;
    const path = given !== undefined ? given
      : Object.hasOwn(DEFAULTS, squash(name)) ? DEFAULTS[squash(name)]
        : /^urn:|[.[]/i.test(name) ? name
          : custom.get(name.toLowerCase());
    if (path === null) return { kind: 'ignore' };
    if (path === undefined || path === '') { unknown.push(raw); return { kind: 'ignore' }; }
    if (path === 'groups') return { kind: 'groups' };
    const before = seen.get(path.toLowerCase());
    if (before !== undefined) throw new MappingError(`columns "${before}" and "${raw}" both map to ${path}; map one of them to null in --map`);
    seen.set(path.toLowerCase(), raw);
    return { kind: 'path', path };
  });
  if (unknown.length) {
    throw new MappingError(`no attribute for column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}: `
      + 'map each in a --map file ({"Column": "scim.path"}, or null to ignore it); see docs/import-export.md');
  }
  if (!targets.some((t) => t.kind === 'path' && (t.path === 'userName' || t.path === 'externalId'))) {
    throw new MappingError('no column maps to userName (or externalId): every row needs one to be matched and created');
  }
  return targets;
}

/** Reads a --map file's content: a JSON object of column name → attribute path or null. */
export function parseMap(text: string): Record<string, string | null> {
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch (err) { throw new MappingError(`the --map file is not JSON: ${(err as Error).message}`); }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MappingError('the --map file must be a JSON object: {"Column": "scim.path", "Other": null}');
  for (const [k, v] of Object.entries(parsed)) {
    if (v !== null && typeof v !== 'string') throw new MappingError(`--map: the value of "${k}" must be an attribute path (a string) or null`);
  }
  return parsed as Record<string, string | null>;
}

type Obj = Record<string, unknown>;
const TYPED = /^([A-Za-z][\w]*)\[type eq "([^"]*)"\]\.([A-Za-z]\w*)$/;

/**
 * A row as a SCIM user body (the shape an IdP would POST) and its group names. An empty cell sets
 * nothing: the attribute is left as it is (a CSV cannot tell "empty" from "not given").
 */
export function rowToBody(targets: Target[], fields: string[]): { body: Obj; groups: string[] } {
  const body: Obj = {};
  let groups: string[] = [];
  targets.forEach((t, i) => {
    const value = fields[i]?.trim() ?? '';
    if (value === '' || t.kind === 'ignore') return;
    if (t.kind === 'groups') { groups = splitGroups(value); return; }
    setPath(body, t.path, value);
  });
  return { body, groups };
}

export const splitGroups = (value: string): string[] => [...new Set(value.split(';').map((g) => g.trim()).filter((g) => g !== ''))];

function setPath(body: Obj, path: string, value: string): void {
  let target = body;
  let rest = path;
  const colon = path.lastIndexOf(':');
  if (/^urn:/i.test(path) && colon > 0) {
    const urn = path.slice(0, colon);
    target = (body[urn] ??= {}) as Obj;
    rest = path.slice(colon + 1);
    // The enterprise manager is complex: a bare value is its "value" (a user id of the tenant).
    if (urn === ENTERPRISE_USER_SCHEMA && rest === 'manager') { target.manager = { value }; return; }
  }
  const typed = TYPED.exec(rest);
  if (typed) {
    const [, attr, type, sub] = typed;
    const list = (target[attr] ??= []) as Obj[];
    let item = list.find((x) => x.type === type);
    if (!item) { item = { type }; if (!list.length) item.primary = true; list.push(item); }
    item[sub] = value;
    return;
  }
  const parts = rest.split('.');
  for (const p of parts.slice(0, -1)) target = (target[p] ??= {}) as Obj;
  target[parts[parts.length - 1]] = value;
}
