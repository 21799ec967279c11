// Scratch databases: fresh PostgreSQL databases, or temp SQLite files, for the tests of every tier
// (the store contract's registrations included) and for the benchmarks, which all need the same
// thing: an empty database of either kind, thrown away afterwards. ROLLCALL_TEST_PG_URL names the
// server (default: the local one, trust auth). Under CI=true an unreachable server is an error,
// never a silent skip. (Not product code: nothing in src/ outside *.test.ts imports harness/.)
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrationFiles } from '../src/store/sql/migration-files.ts';

export const PG_ADMIN_URL = process.env.ROLLCALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<boolean> | undefined;

/** True when the test PostgreSQL server answers; throws under CI when it does not. */
export function postgresAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    // Generous: under a full CI run on two cores a local connection has been seen to take over 3 s.
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 15_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (err) {
      if (process.env.CI === 'true') throw new Error(`CI=true requires PostgreSQL at ${PG_ADMIN_URL}: ${(err as Error).message}`, { cause: err });
      console.log(`# PostgreSQL tests SKIPPED: cannot reach ${PG_ADMIN_URL} (${(err as Error).message})`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

let counter = 0;

/** The URL of database `name` on the test server. */
function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates an empty database (or a copy of template); returns its URL and a function that drops it. */
export async function freshDatabase(template?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `rollcall_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try { await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`); } finally { await admin.end(); }
  return {
    url: databaseUrl(name),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } finally { await c.end(); }
    },
  };
}

/** Taken by a process building the migrated template, so that processes starting together build it once. */
const TEMPLATE_LOCK = 7_265_013;
let template: Promise<string> | undefined;

/**
 * The name of a PostgreSQL database with this checkout's migrations applied, to copy: built once by
 * the first test process that needs it, with the store's own migrate(), and named by a hash of the
 * migration files, so that a changed migration gets a template of its own. Templates of other
 * migrations are dropped when the new one is built (when no one is copying them).
 */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const hash = createHash('sha256');
    for (const m of migrationFiles(new URL('../src/store/postgres/migrations/', import.meta.url))) hash.update(m.name).update(m.sql);
    const name = `rollcall_template_${hash.digest('hex').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
      if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) return name;
      // Built under another name and renamed when complete: a process killed half-way leaves no
      // half-migrated template behind to be copied.
      const building = `${name}_${process.pid}`;
      await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      await admin.query(`CREATE DATABASE ${building}`);
      const { PostgresStore } = await import('../src/store/postgres/postgres-store.ts');
      const store = await PostgresStore.open({ connectionString: databaseUrl(building) });
      await store.close();
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      const stale = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'rollcall\\_template\\_%' AND datname <> $1`, [name]);
      for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
      return name;
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]).catch(() => undefined);
      await admin.end();
    }
  })();
  // A failure is not kept: the next caller tries again (and reports its own error).
  template.catch(() => { template = undefined; });
  return template;
}

/**
 * A fresh PostgreSQL database with the migrations already applied (a copy of the migrated template:
 * ~40 ms, against ~0.3 s to create one and migrate it), and how to drop it. For tests whose subject
 * is not migrating: a server that opens it finds nothing to apply.
 */
export async function migratedDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return freshDatabase(await migratedTemplate());
}

/** An empty database of either kind, and how to throw it away: a fresh PostgreSQL database or a temp SQLite file. */
export async function scratchDatabase(kind: 'sqlite' | 'postgres'): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'postgres') return freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-'));
  return { url: `sqlite:${join(dir, 'rollcall.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}
