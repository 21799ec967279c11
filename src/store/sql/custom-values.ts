// The values of a tenant's custom extension attributes as rows of custom_values (migration 005):
// the index behind filters, sorting and uniqueness of those attributes. The resource document keeps
// the values as well (it is what responses are rendered from); these rows are kept in step with it
// in the same transaction, the way user_values is for emails.
import { sql } from './kysely.ts';
import type { ResourceSchema } from '../../scim/schemas/resource-schema.ts';
import type { AttributeDef } from '../../scim/schemas/types.ts';
import type { AttrDoc } from '../../scim/resource.ts';
import { UniquenessViolation, type CustomAttributeKey, type TenantSchemas } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import type { QueryRunner } from './runner.ts';

/** One row: attribute key, ordinal, str, str_lc, num, flag, unique_key. */
export type CustomRow = [string, number, string | null, string | null, number | null, boolean | null, string | null];

/** The key rows carry: "<schema URN>:<attribute name>" (which also names the resource type). */
export const customKey = (schema: string, name: string) => `${schema}:${name}`;

/** The custom extensions of a resource type for this tenant, if any. */
export function customExtensions(schemas: TenantSchemas, rs: ResourceSchema) {
  const custom = schemas.custom;
  return custom && custom.size ? rs.extensions.filter((s) => custom.has(s.id)) : [];
}

/** The unique key of a value: as stored for caseExact text and non-text, folded otherwise. */
function uniqueKey(def: AttributeDef, str: string, lc: string): string {
  return def.caseExact || (def.type !== 'string' && def.type !== 'reference') ? str : lc;
}

/** The rows a document's custom values give, in attribute then value order. */
export function customRows(schemas: TenantSchemas, rs: ResourceSchema, doc: AttrDoc): CustomRow[] {
  const rows: CustomRow[] = [];
  for (const s of customExtensions(schemas, rs)) {
    const bag = doc[s.id] as Record<string, unknown> | undefined;
    if (!bag) continue;
    for (const def of s.attributes) {
      const v = bag[def.name];
      if (v === undefined || v === null) continue;
      const key = customKey(s.id, def.name);
      const seen = new Set<string>();
      (Array.isArray(v) ? v : [v]).forEach((value: unknown, i) => {
        const str = typeof value === 'string' ? value : JSON.stringify(value);
        const lc = str.toLowerCase();
        const num = typeof value === 'number' ? value : null;
        const flag = typeof value === 'boolean' ? value : null;
        // A value repeated within one resource's multi-valued attribute is not a clash with another resource.
        let unique: string | null = null;
        if (def.uniqueness === 'server') {
          const k = uniqueKey(def, str, lc);
          if (!seen.has(k)) { seen.add(k); unique = k; }
        }
        rows.push([key, i, str, lc, num, flag, unique]);
      });
    }
  }
  return rows;
}

/**
 * Inserts a resource's rows. The rows of each attribute with uniqueness "server" go in a statement
 * of their own, so a unique-index failure names its attribute by the statement that hit it (as
 * users INSERT names userName; never by parsing the constraint from a message).
 */
export async function insertCustomRows(db: QueryRunner, dialect: SqlDialect, resourceType: 'User' | 'Group', tenantId: string, resourceId: string, rows: CustomRow[]): Promise<void> {
  const groups = new Map<string | null, CustomRow[]>();
  for (const r of rows) {
    const k = r[6] === null ? null : r[0];
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const [uniqueAttr, list] of groups) {
    for (let i = 0; i < list.length; i += 200) {
      const tuples = list.slice(i, i + 200).map(([key, ordinal, str, lc, num, flag, unique]) =>
        sql`(${tenantId}, ${resourceId}, ${key}, ${ordinal}, ${str}, ${lc}, ${num}, ${dialect.boolParam(flag)}, ${unique})`);
      const insert = () => db.run(sql`INSERT INTO custom_values (tenant_id, resource_id, attr, ordinal, str, str_lc, num, flag, unique_key) VALUES ${sql.join(tuples)}`);
      if (uniqueAttr === null) { await insert(); continue; }
      try {
        await insert();
      } catch (err) {
        if (dialect.isUniqueViolation(err)) throw new UniquenessViolation(resourceType, uniqueAttr);
        throw err;
      }
    }
  }
}

export async function deleteCustomRows(db: QueryRunner, tenantId: string, resourceId: string): Promise<void> {
  await db.run(sql`DELETE FROM custom_values WHERE tenant_id = ${tenantId} AND resource_id = ${resourceId}`);
}

// ---- settings changes ------------------------------------------------------------------------

const tableOf = (a: CustomAttributeKey) => sql.table(a.resourceType === 'User' ? 'users' : 'groups');

export async function countCustomValues(db: QueryRunner, tenantId: string, a: CustomAttributeKey): Promise<number> {
  const r = await db.run(sql<{ n: number }>`SELECT count(DISTINCT resource_id) AS n FROM custom_values WHERE tenant_id = ${tenantId} AND attr = ${customKey(a.schema, a.name)}`);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Removes an attribute's values from the documents of the resources holding one (and the schema's
 * object when it is left empty), gives each a new version, then deletes the rows. Set-based: three
 * statements whatever the number of resources.
 */
export async function dropCustomValues(db: QueryRunner, dialect: SqlDialect, tenantId: string, a: CustomAttributeKey, at: string): Promise<number> {
  const key = customKey(a.schema, a.name);
  const holders = sql`(SELECT resource_id FROM custom_values WHERE tenant_id = ${tenantId} AND attr = ${key})`;
  const doc = sql.ref('doc');
  const res = await db.run(sql`UPDATE ${tableOf(a)} SET doc = ${dialect.jsonRemove(doc, [a.schema, a.name])}, version = version + 1, last_modified = ${at}
    WHERE tenant_id = ${tenantId} AND id IN ${holders}`);
  await db.run(sql`UPDATE ${tableOf(a)} SET doc = ${dialect.jsonRemove(doc, [a.schema])}
    WHERE tenant_id = ${tenantId} AND id IN ${holders} AND ${dialect.jsonEmptyObject(doc, [a.schema])}`);
  await db.run(sql`DELETE FROM custom_values WHERE tenant_id = ${tenantId} AND attr = ${key}`);
  return Number(res.numAffectedRows ?? 0);
}

/**
 * Recomputes unique_key for an attribute's stored values. Cleared first, then set: PostgreSQL checks
 * a unique index row by row during an UPDATE, so keys moving in one statement could collide midway.
 * Only the first of equal values within one resource gets a key (as customRows does).
 */
export async function setCustomUniqueness(db: QueryRunner, dialect: SqlDialect, resourceType: 'User' | 'Group', tenantId: string, a: CustomAttributeKey, mode: 'none' | 'exact' | 'folded'): Promise<void> {
  const key = customKey(a.schema, a.name);
  await db.run(sql`UPDATE custom_values SET unique_key = NULL WHERE tenant_id = ${tenantId} AND attr = ${key}`);
  if (mode === 'none') return;
  const column = sql.ref(mode === 'exact' ? 'str' : 'str_lc');
  const column2 = sql.ref(mode === 'exact' ? 'c2.str' : 'c2.str_lc');
  try {
    await db.run(sql`UPDATE custom_values SET unique_key = ${column} WHERE tenant_id = ${tenantId} AND attr = ${key}
      AND ordinal = (SELECT min(c2.ordinal) FROM custom_values c2 WHERE c2.tenant_id = custom_values.tenant_id
        AND c2.resource_id = custom_values.resource_id AND c2.attr = custom_values.attr AND ${column2} = custom_values.${column})`);
  } catch (err) {
    if (dialect.isUniqueViolation(err)) throw new UniquenessViolation(resourceType, key);
    throw err;
  }
}
