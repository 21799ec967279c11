// Stored resources → SCIM resources (RFC 7643 §3): schemas, id, attributes, meta with a weak ETag.
// Pure: it takes plain records (any store's records have this shape) and the tenant's base URL.
import { etag } from './etag.ts';
import type { AttrDoc } from './resource.ts';
import { ENTERPRISE_USER_SCHEMA } from './schemas/enterprise-user.ts';
import type { ResourceSchema } from './schemas/resource-schema.ts';

/** A stored resource: its attribute document and the meta the server keeps. */
export interface ResourceMeta { id: string; created: string; lastModified: string; version: number }
export interface StoredResource extends ResourceMeta { doc: AttrDoc }
/** A group member as stored: the id, whether it is a user or a nested group, and its display. */
export interface Member { value: string; type: 'User' | 'Group'; display?: string }

/** What a use case hands the HTTP edge for one resource. */
export interface Rendered {
  resource: Record<string, unknown>;
  version: number;
  /**
   * Set when a group's members are to be streamed rather than held in memory: the resource then
   * lacks "members", and these JSON-ready member values follow in pages (groups.ts).
   */
  members?: AsyncIterable<Record<string, unknown>[]>;
}

type Obj = Record<string, unknown>;

function meta(resourceType: string, r: ResourceMeta, location: string) {
  return { resourceType, created: r.created, lastModified: r.lastModified, location, version: etag(r.version) };
}

/** Lists the core schema and every extension the document carries. */
function schemasOf(rs: ResourceSchema, doc: Obj): string[] {
  return [rs.core.id, ...rs.extensions.filter((e) => doc[e.id] !== undefined).map((e) => e.id)];
}

export function renderUser(rs: ResourceSchema, baseUrl: string, u: StoredResource, groups?: { value: string; display: string }[]): Obj {
  const { externalId, ...attrs } = u.doc;
  const out: Obj = { schemas: schemasOf(rs, u.doc), id: u.id };
  if (externalId !== undefined) out.externalId = externalId;
  Object.assign(out, attrs);
  const ext = out[ENTERPRISE_USER_SCHEMA] as Obj | undefined;
  const manager = ext?.manager as Obj | undefined;
  if (typeof manager?.value === 'string' && manager.value && !manager.$ref) ext!.manager = { ...manager, $ref: `${baseUrl}/Users/${manager.value}` };
  if (groups) out.groups = groups.map((g) => ({ value: g.value, $ref: `${baseUrl}/Groups/${g.value}`, display: g.display, type: 'direct' }));
  out.meta = meta('User', u, `${baseUrl}/Users/${u.id}`);
  return out;
}

export function renderGroup(rs: ResourceSchema, baseUrl: string, g: StoredResource, members?: Member[]): Obj {
  const { externalId, ...attrs } = g.doc;
  const out: Obj = { schemas: schemasOf(rs, g.doc), id: g.id };
  if (externalId !== undefined) out.externalId = externalId;
  Object.assign(out, attrs);
  if (members) out.members = members.map((m) => renderMember(baseUrl, m));
  out.meta = meta('Group', g, `${baseUrl}/Groups/${g.id}`);
  return out;
}

export function renderMember(baseUrl: string, m: Member): Obj {
  const v: Obj = { value: m.value, $ref: `${baseUrl}/${m.type === 'Group' ? 'Groups' : 'Users'}/${m.value}`, type: m.type };
  if (m.display !== undefined) v.display = m.display;
  return v;
}
