// How SCIM attributes map onto the relational schema (identical in SQLite and PostgreSQL).
// Indexed attributes have columns (lower-cased copies where comparison is case-insensitive);
// multi-valued attributes of the standard shape (value/display/type/primary) have rows in
// <resource>_values; members live in group_members; everything else is read from the JSON doc.
import { sql } from './kysely.ts';
import { resourceSchemas, type ResourceSchema } from '../../scim/schemas/resource-schema.ts';
import type { AttributeDef, AttributeType } from '../../scim/schemas/types.ts';
import type { Sql } from './dialect.ts';

export interface Operand {
  expr: Sql;
  type: AttributeType;
  /** Compare case-sensitively. */
  caseExact: boolean;
  /** The expression already holds lower-cased text (so compare with a lower-cased value). */
  lowered?: boolean;
}

/** A multi-valued attribute whose values are rows of another table. */
export interface RowSource {
  /**
   * True for resources r having a row that meets cond: `r.id IN (SELECT owner FROM … WHERE
   * tenant_id = ? AND cond)`. Uncorrelated on purpose: the subquery runs once (an index lookup for
   * eq, one scan for co), where a correlated EXISTS made SQLite probe the value index per resource.
   */
  exists: (cond: Sql, tenantId: string) => Sql;
  /** The row's sub-attribute as an operand, or undefined if the source does not carry it. */
  sub: (name: string) => Operand | undefined;
  /** For sorting: a scalar subquery yielding a sub-attribute of the primary (or first) value. */
  first?: (sub: string) => Sql | undefined;
}

export interface ResourceMapping {
  rs: ResourceSchema;
  table: string;
  /** Columns by canonical path: "userName", "meta.lastModified", … */
  columns: Record<string, Operand>;
  rowSources: Record<string, RowSource>;
  /**
   * The tenant's custom extension attributes by "<schema URN>:<name>", single- and multi-valued:
   * their values are rows of custom_values (custom-values.ts), one per value.
   */
  customs: Record<string, RowSource>;
}

const STANDARD_SUBS = new Set(['value', 'display', 'type', 'primary']);

/** Multi-valued complex attributes made only of value/display/type/primary get indexed rows. */
export function hasValueRows(def: AttributeDef): boolean {
  return def.multiValued && def.type === 'complex' && def.mutability !== 'readOnly' &&
    (def.subAttributes ?? []).every((s) => STANDARD_SUBS.has(s.name));
}

const col = (name: string, type: AttributeType, caseExact: boolean, lowered = false): Operand =>
  ({ expr: sql.ref(`r.${name}`), type, caseExact, lowered });

const metaColumns: Record<string, Operand> = {
  'id': col('id', 'string', true),
  'meta.created': col('created', 'dateTime', false),
  'meta.lastModified': col('last_modified', 'dateTime', false),
};

function valueRows(attrKey: string, def: AttributeDef): RowSource {
  const valueExact = def.subAttributes?.find((x) => x.name === 'value')?.caseExact ?? false;
  const sub = (name: string): Operand | undefined => {
    switch (name) {
      case 'value': return valueExact ? { expr: sql.ref('v.value'), type: 'string', caseExact: true } : { expr: sql.ref('v.value_lc'), type: 'string', caseExact: false, lowered: true };
      case 'type': return { expr: sql.ref('v.type_lc'), type: 'string', caseExact: false, lowered: true };
      case 'display': return { expr: sql.ref('v.display_lc'), type: 'string', caseExact: false, lowered: true };
      case 'primary': return { expr: sql.ref('v.primary'), type: 'boolean', caseExact: false };
    }
    return undefined;
  };
  return {
    exists: (cond, tenantId) => sql`r.id IN (SELECT v.user_id FROM user_values v WHERE v.tenant_id = ${tenantId} AND v.attr = ${attrKey} AND ${cond})`,
    sub,
    first: (name) => {
      const column = { value: 'value_lc', type: 'type_lc', display: 'display_lc' }[name];
      return column ? sql`(SELECT ${sql.ref(`v.${column}`)} FROM user_values v WHERE v.tenant_id = r.tenant_id AND v.user_id = r.id AND v.attr = ${attrKey} ORDER BY v."primary" DESC, v.ordinal LIMIT 1)` : undefined;
    },
  };
}

/** The column of custom_values an attribute is compared on, by its type and caseExact. */
function customOperand(def: AttributeDef): Operand {
  switch (def.type) {
    case 'boolean': return { expr: sql.ref('c.flag'), type: 'boolean', caseExact: false };
    case 'integer': case 'decimal': return { expr: sql.ref('c.num'), type: def.type, caseExact: false };
    // Stored as normalised ISO-8601 UTC (resource.ts toDateTime): text order is time order.
    case 'dateTime': return { expr: sql.ref('c.str'), type: 'dateTime', caseExact: true };
    default: return def.caseExact ? { expr: sql.ref('c.str'), type: def.type, caseExact: true } : { expr: sql.ref('c.str_lc'), type: def.type, caseExact: false, lowered: true };
  }
}

function customRows(attrKey: string, def: AttributeDef): RowSource {
  const operand = customOperand(def);
  return {
    // Uncorrelated, like user_values: one index range on (tenant_id, attr, str_lc | str | num).
    exists: (cond, tenantId) => sql`r.id IN (SELECT c.resource_id FROM custom_values c WHERE c.tenant_id = ${tenantId} AND c.attr = ${attrKey} AND ${cond})`,
    sub: () => operand,
    first: () => sql`(SELECT ${operand.expr} FROM custom_values c WHERE c.tenant_id = r.tenant_id AND c.resource_id = r.id AND c.attr = ${attrKey} ORDER BY c.ordinal LIMIT 1)`,
  };
}

function customSources(rs: ResourceSchema, custom: ReadonlySet<string> | undefined): Record<string, RowSource> {
  const out: Record<string, RowSource> = {};
  if (!custom?.size) return out;
  for (const s of rs.extensions) {
    if (!custom.has(s.id)) continue;
    for (const def of s.attributes) out[`${s.id}:${def.name}`] = customRows(`${s.id}:${def.name}`, def);
  }
  return out;
}

export function userMapping(rs: ResourceSchema, custom?: ReadonlySet<string>): ResourceMapping {
  const rowSources: Record<string, RowSource> = {};
  for (const s of [rs.core, ...rs.extensions]) {
    if (custom?.has(s.id)) continue;
    for (const def of s.attributes) {
      if (!hasValueRows(def)) continue;
      const key = s === rs.core ? def.name : `${s.id}:${def.name}`;
      rowSources[key] = valueRows(key, def);
    }
  }
  // The readOnly "groups" attribute is the membership table read from the member's side.
  rowSources.groups = {
    exists: (cond, tenantId) => sql`r.id IN (SELECT m.member_id FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id WHERE m.tenant_id = ${tenantId} AND ${cond})`,
    sub: (name) => name === 'value' ? { expr: sql.ref('m.group_id'), type: 'string', caseExact: true }
      : name === 'display' ? { expr: sql.ref('g.display_name_lc'), type: 'string', caseExact: false, lowered: true }
      : name === 'type' ? { expr: sql.lit('direct'), type: 'string', caseExact: false } : undefined,
  };
  return {
    rs,
    table: 'users',
    columns: {
      ...metaColumns,
      'userName': col('user_name_lc', 'string', false, true),
      'externalId': col('external_id', 'string', true),
      'displayName': col('display_name_lc', 'string', false, true),
      'active': col('active', 'boolean', false),
    },
    rowSources,
    customs: customSources(rs, custom),
  };
}

export function groupMapping(rs: ResourceSchema, custom?: ReadonlySet<string>): ResourceMapping {
  return {
    rs,
    table: 'groups',
    columns: {
      ...metaColumns,
      'displayName': col('display_name_lc', 'string', false, true),
      'externalId': col('external_id', 'string', true),
    },
    rowSources: {
      members: {
        exists: (cond, tenantId) => sql`r.id IN (SELECT m.group_id FROM group_members m WHERE m.tenant_id = ${tenantId} AND ${cond})`,
        sub: (name) => name === 'value' ? { expr: sql.ref('m.member_id'), type: 'string', caseExact: true }
          : name === 'type' ? { expr: sql.ref('m.member_type'), type: 'string', caseExact: false }
          : name === 'display' ? { expr: sql.ref('m.display'), type: 'string', caseExact: false } : undefined,
      },
    },
    customs: customSources(rs, custom),
  };
}

export const defaultMappings = (() => {
  const rs = resourceSchemas();
  return { users: userMapping(rs.User), groups: groupMapping(rs.Group) };
})();
