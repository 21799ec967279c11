// Scratch databases: fresh PostgreSQL databases, or temp SQLite files, for the tests of every tier
// (the store contract's registrations included) and for the benchmarks, which all need the same
// thing: an empty database of either kind, thrown away afterwards. ROLLCALL_TEST_PG_URL names the
// server (default: the local one, trust auth). Under CI=true an unreachable server is an error,
// never a silent skip. (Not product code: nothing in src/ outside *.test.ts imports harness/.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

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

/** Creates an empty database; returns its URL and a function that drops it. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `rollcall_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try { await admin.query(`CREATE DATABASE ${name}`); } finally { await admin.end(); }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } finally { await c.end(); }
    },
  };
}

/** An empty database of either kind, and how to throw it away: a fresh PostgreSQL database or a temp SQLite file. */
export async function scratchDatabase(kind: 'sqlite' | 'postgres'): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'postgres') return freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-'));
  return { url: `sqlite:${join(dir, 'rollcall.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}
