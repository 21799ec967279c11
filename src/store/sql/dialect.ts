// What differs between SQLite and PostgreSQL in the SQL the filter compiler writes. Everything
// else in store/sql/ is shared, so the two drivers cannot drift apart.
import { sql, type RawBuilder } from './kysely.ts';
import type { AttributeType } from '../../scim/schemas/types.ts';

export type Sql = RawBuilder<unknown>;

export interface SqlDialect {
  /** Text of a JSON value at a path of object keys (undefined keys → NULL). */
  jsonText(doc: Sql, keys: string[]): Sql;
  /** A JSON boolean at a path, as an SQL boolean-comparable value. */
  jsonBool(doc: Sql, keys: string[]): Sql;
  /** A JSON number at a path, as an SQL number. */
  jsonNumber(doc: Sql, keys: string[]): Sql;
  /** True when the path holds a non-null value. */
  jsonPresent(doc: Sql, keys: string[]): Sql;
  /**
   * EXISTS over the elements of a JSON array; `sub(name, type)` gives an element's sub-attribute as
   * a value comparable like jsonText / jsonBool / jsonNumber give it for that attribute type.
   */
  jsonArrayExists(doc: Sql, keys: string[], cond: (sub: (name: string, type: AttributeType) => Sql) => Sql): Sql;
  /** Aggregate: a JSON array of [first, second] pairs in the given order ('[]' or NULL for none). */
  jsonPairs(first: Sql, second: Sql, orderBy: Sql): Sql;
  /** SQL literal for a boolean stored in a boolean column. */
  bool(value: boolean): Sql;
  /** A boolean as a bound parameter for a boolean column (SQLite stores 1/0). */
  boolParam(value: boolean | null): unknown;
  /** Appended to a SELECT that reads a row about to be written: holds it until the transaction ends. */
  forUpdate: Sql;
  /**
   * Appended to a SELECT of a row that must not change until the transaction ends, without
   * blocking other such readers nor updates of its non-key columns (PostgreSQL's FOR KEY SHARE, the
   * lock a foreign-key check takes): a later FOR UPDATE of the row waits for this transaction.
   */
  forKeyShare: Sql;
  /**
   * A statement that holds a named lock until the transaction ends, for checks that read rows other
   * transactions may be changing (provisioning/policies/guards.ts); undefined where write
   * transactions already run one at a time (SQLite).
   */
  transactionLock(name: string): Sql | undefined;
  /**
   * Which of a counter's rows this connection adds to (resource_counts.stripe; migration 014): one per
   * connection, so concurrent writers of one tenant do not queue on one row; 0 where write
   * transactions run one at a time (SQLite).
   */
  counterStripe: Sql;
  /** Case-sensitive substring tests (LIKE is case-insensitive in SQLite, so it cannot serve). */
  containsExact(expr: Sql, value: string): Sql;
  startsWithExact(expr: Sql, value: string): Sql;
  endsWithExact(expr: Sql, value: string): Sql;
  /** True for the driver's unique-constraint failure, told by its error code (never its message). */
  isUniqueViolation(err: unknown): boolean;
  /** A row refers to a row that is not there (here: its tenant was deleted meanwhile). */
  isForeignKeyViolation(err: unknown): boolean;
  /** The document without the value at a path of object keys (dropping a custom attribute's values). */
  jsonRemove(doc: Sql, keys: string[]): Sql;
  /** True when the path holds an empty object. */
  jsonEmptyObject(doc: Sql, keys: string[]): Sql;
  /**
   * Write transactions run one at a time (SQLite): a write that has begun sees every write committed
   * before it, and none commits while it runs. So events get their positions when inserted, rather
   * than from the sequencer once their transactions have finished (store/sql/events.ts), and
   * delivery discovery may read which streams are due before writing (store/sql/delivery.ts).
   * PostgreSQL's statements read a snapshot taken when they start, and commit later, interleaved
   * with others.
   */
  oneWriter: boolean;
  /**
   * Appended to the SELECT that picks rows to claim (delivery streams): PostgreSQL locks the picked
   * rows of `alias` and passes over rows another process is claiming; SQLite's one writer needs none.
   */
  skipLocked(alias: string): Sql;
  /**
   * After a table's name: read it through this index. SQLite's planner, without statistics, can
   * prefer an index that orders the rows to one that also filters them (sql/request-log.ts);
   * PostgreSQL's cost-based planner is left to choose.
   */
  indexedBy(index: string): Sql;
}

const codeOf = (err: unknown): unknown => (err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined);

export const sqliteDialect: SqlDialect = {
  jsonText: (doc, keys) => sql`json_extract(${doc}, ${jsonPath(keys)})`,
  jsonBool: (doc, keys) => sql`json_extract(${doc}, ${jsonPath(keys)})`,
  jsonNumber: (doc, keys) => sql`json_extract(${doc}, ${jsonPath(keys)})`,
  jsonPresent: (doc, keys) => sql`(json_type(${doc}, ${jsonPath(keys)}) IS NOT NULL AND json_type(${doc}, ${jsonPath(keys)}) <> 'null')`,
  jsonArrayExists: (doc, keys, cond) =>
    sql`EXISTS (SELECT 1 FROM json_each(${doc}, ${jsonPath(keys)}) AS je WHERE ${cond((name) => sql`json_extract(je.value, ${jsonPath([name])})`)})`,
  jsonPairs: (first, second, orderBy) => sql`json_group_array(json_array(${first}, ${second}) ORDER BY ${orderBy})`,
  bool: (value) => sql.lit(value ? 1 : 0),
  boolParam: (value) => (value === null ? null : value ? 1 : 0),
  // BEGIN IMMEDIATE already serialises writers on SQLite.
  forUpdate: sql``,
  forKeyShare: sql``,
  transactionLock: () => undefined,
  counterStripe: sql`0`,
  containsExact: (expr, value) => sql`instr(${expr}, ${value}) > 0`,
  // Lengths are measured by SQLite (characters), not JavaScript (UTF-16 units): emoji count as one.
  startsWithExact: (expr, value) => sql`substr(${expr}, 1, length(${value})) = ${value}`,
  endsWithExact: (expr, value) => (value === '' ? sql`${expr} IS NOT NULL` : sql`substr(${expr}, -length(${value})) = ${value}`),
  isUniqueViolation: (err) => codeOf(err) === 'SQLITE_CONSTRAINT_UNIQUE' || codeOf(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  isForeignKeyViolation: (err) => codeOf(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY',
  jsonRemove: (doc, keys) => sql`json_remove(${doc}, ${jsonPath(keys)})`,
  // json_extract gives an object back as its JSON text, minified.
  jsonEmptyObject: (doc, keys) => sql`(json_type(${doc}, ${jsonPath(keys)}) = 'object' AND json_extract(${doc}, ${jsonPath(keys)}) = '{}')`,
  oneWriter: true,
  skipLocked: () => sql``,
  indexedBy: (index) => sql` INDEXED BY ${sql.id(index)}`,
};

// PostgreSQL compares jsonb text with a boolean or a number only after a cast, and the cast fails on
// a value of another JSON type ("cannot cast jsonb string to type boolean"): each cast is guarded by
// jsonb_typeof, so a value of another type is NULL and matches nothing, as SQLite's json_extract
// comparison gives. `addresses.primary eq true` compared text with a boolean here, a 500
// ("operator does not exist: text = boolean") where SQLite answered (store-contract hostile values).
const pgTyped = (value: Sql, type: 'boolean' | 'number'): Sql => type === 'boolean'
  ? sql`(CASE WHEN jsonb_typeof(${value}) = 'boolean' THEN (${value})::boolean END)`
  : sql`(CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value})::numeric END)`;

export const postgresDialect: SqlDialect = {
  jsonText: (doc, keys) => sql`(${doc} #>> ${keys}::text[])`,
  jsonBool: (doc, keys) => pgTyped(sql`${doc} #> ${keys}::text[]`, 'boolean'),
  jsonNumber: (doc, keys) => pgTyped(sql`${doc} #> ${keys}::text[]`, 'number'),
  jsonPresent: (doc, keys) => sql`(jsonb_typeof(${doc} #> ${keys}::text[]) IS NOT NULL AND jsonb_typeof(${doc} #> ${keys}::text[]) <> 'null')`,
  jsonArrayExists: (doc, keys, cond) =>
    sql`EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${doc} #> ${keys}::text[]) = 'array' THEN ${doc} #> ${keys}::text[] ELSE '[]'::jsonb END) AS je(value) WHERE ${cond((name, type) => type === 'boolean' ? pgTyped(sql`je.value -> ${name}::text`, 'boolean')
      : type === 'integer' || type === 'decimal' ? pgTyped(sql`je.value -> ${name}::text`, 'number')
      : sql`(je.value ->> ${name}::text)`)})`,
  jsonPairs: (first, second, orderBy) => sql`json_agg(json_build_array(${first}, ${second}) ORDER BY ${orderBy})`,
  bool: (value) => sql.lit(value),
  boolParam: (value) => value,
  forUpdate: sql` FOR UPDATE`,
  forKeyShare: sql` FOR KEY SHARE`,
  transactionLock: (name) => sql`SELECT pg_advisory_xact_lock(hashtextextended(${name}, 0))`,
  counterStripe: sql`(pg_backend_pid() % 16)`,
  containsExact: (expr, value) => sql`strpos(${expr}, ${value}::text) > 0`,
  startsWithExact: (expr, value) => sql`left(${expr}, length(${value}::text)) = ${value}::text`,
  endsWithExact: (expr, value) => (value === '' ? sql`${expr} IS NOT NULL` : sql`right(${expr}, length(${value}::text)) = ${value}::text`),
  // 23505: unique_violation (PostgreSQL's SQLSTATE table).
  isUniqueViolation: (err) => codeOf(err) === '23505',
  isForeignKeyViolation: (err) => codeOf(err) === '23503',
  jsonRemove: (doc, keys) => sql`(${doc} #- ${keys}::text[])`,
  jsonEmptyObject: (doc, keys) => sql`((${doc} #> ${keys}::text[]) = '{}'::jsonb)`,
  oneWriter: false,
  skipLocked: (alias) => sql` FOR UPDATE OF ${sql.id(alias)} SKIP LOCKED`,
  indexedBy: () => sql``,
};

/** SQLite JSON path with every key quoted: URN keys contain ':' and '.'. */
function jsonPath(keys: string[]): string {
  return '$' + keys.map((k) => `."${k.replace(/"/g, '')}"`).join('');
}

/** Escapes LIKE wildcards; patterns are used with ESCAPE '\'. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => '\\' + c);
}
