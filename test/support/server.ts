// Starts the real server in this process (real HTTP, a scratch database of the kind the run tests)
// for the HTTP contract and conformance tests.
import Database from 'better-sqlite3';
import pg from 'pg';
import { DEFAULTS, loadConfig, type Config } from '../../src/config/config.ts';
import { startServer, type Running, type ServerOptions } from '../../src/main.ts';
import { createTenant } from '../../src/provisioning/tenants/tenants.ts';
import { issueToken } from '../../src/provisioning/tenants/tokens.ts';
import { freePort } from '../../harness/processes.ts';
import { testDatabase } from './test-database.ts';

export interface TestServer {
  baseUrl: string;
  scimUrl: string;
  token: string;
  running: Running;
  /** The database the server runs on, for a second server or process on the same data. */
  databaseUrl: string;
  close(): Promise<void>;
  createTenant(slug: string): Promise<{ scimUrl: string; token: string }>;
  /** Reads the database behind the server directly ("?" placeholders), whichever driver it is. */
  query(sqlText: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The same, in the database the SCIM request log is kept in (its own file on SQLite: store/sqlite/request-log-file.ts). */
  queryRequestLog(sqlText: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

let counter = 0;

export async function startTestServer(opts: { tenant?: string; config?: Partial<Config>; server?: Pick<ServerOptions, 'clock' | 'hooks' | 'logger' | 'vetoes'> } = {}): Promise<TestServer> {
  const db = opts.config?.databaseUrl ? undefined : await testDatabase({ migrated: true });
  // A concrete port (not 0) so that the public URL in meta.location is the real one. The SCIM
  // limits are off unless a test turns them on (test/http/rate-limit.test.ts): tests fire hundreds of
  // requests at once at one tenant to provoke races, a pace no identity provider has.
  const config = loadConfig({ host: '127.0.0.1', port: await freePort(), databaseUrl: db?.url, logLevel: 'silent', rateLimit: { ...DEFAULTS.rateLimit, enabled: false }, ...opts.config }, {});
  const running = await startServer(config, { logger: false, ...opts.server });
  const make = async (slug: string) => {
    const t = await createTenant(running.store, slug);
    const { token } = await issueToken(running.store, t, 86_400_000);
    return { scimUrl: `${running.url}/scim/v2/${slug}`, token };
  };
  const first = await make(opts.tenant ?? `t${process.pid}x${++counter}`);
  return {
    baseUrl: running.url,
    scimUrl: first.scimUrl,
    token: first.token,
    running,
    databaseUrl: config.databaseUrl,
    createTenant: make,
    query: (sqlText, params = []) => rawQuery(config.databaseUrl, sqlText, params),
    queryRequestLog: (sqlText, params = []) => {
      const file = running.store.requestLogFile;
      return rawQuery(file === undefined ? config.databaseUrl : `sqlite:${file}`, sqlText, params);
    },
    async close() {
      await running.close();
      await db?.drop();
    },
  };
}

async function rawQuery(databaseUrl: string, sqlText: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  if (databaseUrl.startsWith('sqlite:')) {
    // A connection of its own, as the CLI or an admin's sqlite3 shell would have.
    const db = new Database(databaseUrl.slice('sqlite:'.length), { fileMustExist: true, timeout: 5000 });
    try {
      const stmt = db.prepare(sqlText);
      if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
      stmt.run(...params);
      return [];
    } finally { db.close(); }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let n = 0;
  try { return (await client.query<Record<string, unknown>>(sqlText.replace(/\?/g, () => `$${++n}`), params)).rows; } finally { await client.end(); }
}
