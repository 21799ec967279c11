// The SQLite and PostgreSQL migrations must define the same schema: the same tables, the same
// columns (with the same NOT NULL), and the same indexes over the same columns, so that the one
// SQL in src/store/sql/ finds what it expects on either database and a migration added to one
// folder cannot be forgotten in the other. Read back by introspecting freshly migrated databases
// (SQLite: sqlite_master and the table_info / index_list / index_info pragmas; PostgreSQL:
// information_schema and pg_indexes), never by reading the .sql files.
//
// Column types are compared as a normalised class, not by name: SQLite keeps a boolean as INTEGER
// 0/1 and JSON as TEXT where PostgreSQL has boolean and jsonb (the dialect seam converts), so the
// classes are "text" (text, jsonb), "integer" (integer, bigint, boolean) and "real" (SQLite's REAL,
// PostgreSQL's double precision: both IEEE doubles).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SqliteStore } from '../sqlite/sqlite-store.ts';
import { requestLogFilename } from '../sqlite/request-log-file.ts';
import { PostgresStore } from '../postgres/postgres-store.ts';
import { freshDatabase, postgresAvailable } from '../../../harness/databases.ts';

interface Column { name: string; type: string; notNull: boolean }
interface Index { name: string; unique: boolean; columns: string[]; /** Made by CREATE INDEX (not by a PRIMARY KEY or UNIQUE constraint). */ named: boolean }
type Schema = Record<string, { columns: Column[]; indexes: Index[] }>;

/**
 * The one deliberate difference. SQLite keys users and groups by `seq INTEGER PRIMARY KEY` (the
 * rowid: creation order for paging, no index of its own) and adds a unique index on (tenant_id,
 * id); PostgreSQL makes (tenant_id, id) the primary key and seq an identity column. The same
 * unique key either way, named only in SQLite; seq is unique by generation on PostgreSQL.
 */
const NAMED_ONLY_IN_SQLITE = new Set(['users_id', 'groups_id']);
const ROWID_ONLY_IN_SQLITE = new Set(['users.seq', 'groups.seq']);

// xid8: the writing transaction of an event (PostgreSQL only; SQLite keeps the column, unused).
const TYPE_CLASS: Record<string, string> = { text: 'text', json: 'text', jsonb: 'text', integer: 'integer', bigint: 'integer', boolean: 'integer', xid8: 'integer', real: 'real', 'double precision': 'real' };
const typeClass = (declared: string) => TYPE_CLASS[declared.toLowerCase()] ?? `unknown type ${declared}`;

const dirs: string[] = [];
const drops: (() => Promise<void>)[] = [];
after(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const d of drops) await d();
});

async function sqliteSchema(): Promise<Schema> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-parity-'));
  dirs.push(dir);
  const filename = join(dir, 'parity.db');
  await (await SqliteStore.open({ filename })).close();
  // The request log is a file of its own on SQLite (sqlite/request-log-file.ts): its table is read there.
  const main = readSchema(filename);
  const log = readSchema(requestLogFilename(filename));
  for (const table of Object.keys(log)) if (table in main) throw new Error(`${table} is in both the main file and the log file`);
  return { ...main, ...log };
}

function readSchema(filename: string): Schema {
  const db = new Database(filename, { readonly: true, fileMustExist: true });
  try {
    const schema: Schema = {};
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    for (const { name: table } of tables) {
      const info = db.pragma(`table_info(${JSON.stringify(table)})`) as { name: string; type: string; notnull: number; pk: number }[];
      // A PRIMARY KEY column is NOT NULL on PostgreSQL by definition; SQLite's pragma reports it
      // as nullable unless declared so (a rowid-table quirk), though Rollcall never stores NULL there.
      const columns = info.map((c) => ({ name: c.name, type: typeClass(c.type), notNull: c.notnull === 1 || c.pk > 0 }));
      const list = db.pragma(`index_list(${JSON.stringify(table)})`) as { name: string; unique: number; origin: string }[];
      const indexes = list.map((ix) => ({
        name: ix.name,
        unique: ix.unique === 1,
        columns: (db.pragma(`index_info(${JSON.stringify(ix.name)})`) as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
        named: ix.origin === 'c',
      }));
      // An INTEGER PRIMARY KEY column is the rowid: a unique key without an index of its own.
      const pk = info.filter((c) => c.pk > 0);
      if (pk.length === 1 && pk[0].type.toUpperCase() === 'INTEGER' && !ROWID_ONLY_IN_SQLITE.has(`${table}.${pk[0].name}`)) {
        indexes.push({ name: `${table} rowid`, unique: true, columns: [pk[0].name], named: false });
      }
      schema[table] = { columns, indexes };
    }
    return schema;
  } finally {
    db.close();
  }
}

async function postgresSchema(): Promise<Schema> {
  const fresh = await freshDatabase();
  drops.push(fresh.drop);
  await (await PostgresStore.open({ connectionString: fresh.url, poolSize: 1 })).close();
  const client = new pg.Client({ connectionString: fresh.url });
  await client.connect();
  try {
    const schema: Schema = {};
    const cols = (await client.query(`SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)).rows as { table_name: string; column_name: string; data_type: string; is_nullable: string }[];
    for (const c of cols) {
      schema[c.table_name] ??= { columns: [], indexes: [] };
      schema[c.table_name].columns.push({ name: c.column_name, type: typeClass(c.data_type), notNull: c.is_nullable === 'NO' });
    }
    // Indexes that back a PRIMARY KEY or UNIQUE constraint are the constraint's, not created by name.
    const constraintIndexes = new Set((await client.query(`SELECT conindid::regclass::text AS name FROM pg_constraint
      WHERE contype IN ('p', 'u') AND connamespace = 'public'::regnamespace`)).rows.map((r: { name: string }) => r.name));
    const ixs = (await client.query("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")).rows as { tablename: string; indexname: string; indexdef: string }[];
    for (const ix of ixs) {
      // "CREATE [UNIQUE] INDEX name ON public.t USING btree (a, b text_pattern_ops)": the columns,
      // without operator classes (text_pattern_ops serves LIKE 'x%' on PostgreSQL; SQLite needs none).
      // A partial index's WHERE clause is left out (both migrations write the same one).
      const inner = /\((.*)\)\s*$/.exec(ix.indexdef.replace(/\s+WHERE\s.*$/, ''))?.[1] ?? '';
      schema[ix.tablename].indexes.push({
        name: ix.indexname,
        unique: /^CREATE UNIQUE INDEX/.test(ix.indexdef),
        columns: inner.split(',').map((part) => part.trim().split(/\s+/)[0].replace(/^"(.*)"$/, '$1')),
        named: !constraintIndexes.has(ix.indexname),
      });
    }
    return schema;
  } finally {
    await client.end();
  }
}

/** What both dialects must agree on, with names only where a name is chosen in the migration. */
function comparable(schema: Schema) {
  return Object.fromEntries(Object.entries(schema).sort(([a], [b]) => a.localeCompare(b)).map(([table, { columns, indexes }]) => [table, {
    columns: columns.map((c) => `${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}`).sort(),
    keysAndIndexes: indexes.map((ix) => `${ix.unique ? 'unique' : 'index'} (${ix.columns.join(', ')})`).sort(),
    namedIndexes: indexes.filter((ix) => ix.named && !NAMED_ONLY_IN_SQLITE.has(ix.name)).map((ix) => ix.name).sort(),
  }]));
}

test('the SQLite and PostgreSQL migrations define the same tables, columns and indexes', async (t) => {
  if (!(await postgresAvailable())) return t.skip('PostgreSQL unreachable');
  const [lite, post] = await Promise.all([sqliteSchema(), postgresSchema()]);
  assert.ok(Object.keys(lite).includes('users') && Object.keys(lite).includes('group_members'), 'introspection found the tables');
  assert.ok(lite.users.indexes.some((ix) => ix.name === 'users_user_name' && ix.unique), 'introspection found a named unique index');
  assert.deepEqual(comparable(lite), comparable(post));
});
