// Composition root: config → store → http. Used by `rollcall serve` and by the tests.
import type { FastifyInstance } from 'fastify';
import { sqliteFilename, type Config } from './config/config.ts';
import { buildApp } from './http/app.ts';
import type { Store } from './store/store.ts';
import { SqliteStore } from './store/sqlite/sqlite-store.ts';
import { isConnectionError, PostgresStore } from './store/postgres/postgres-store.ts';

export class UnsupportedDatabase extends Error {}

export interface StoreOptions {
  /** Called for each query slower than config.slowQueryMs (SQL text only). */
  onSlowQuery?: (sqlText: string, ms: number) => void;
}

/** Opens (creating and migrating) the database a config names. */
export async function openStore(config: Readonly<Config>, options: StoreOptions = {}): Promise<Store> {
  const url = config.databaseUrl;
  const filename = sqliteFilename(url);
  if (filename !== undefined) return SqliteStore.open({ filename, slowQueryMs: config.slowQueryMs, onSlowQuery: options.onSlowQuery });
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      return await PostgresStore.open({
        connectionString: url, poolSize: config.dbPoolSize, statementTimeoutMs: config.dbStatementTimeoutMs,
        slowQueryMs: config.slowQueryMs, onSlowQuery: options.onSlowQuery,
      });
    } catch (err) {
      if (isConnectionError(err)) throw new UnsupportedDatabase(`Cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`);
      throw err;
    }
  }
  throw new UnsupportedDatabase(`Unsupported database URL ${JSON.stringify(redactUrl(url))}: use sqlite:PATH, sqlite::memory: or postgres://user@host/db.`);
}

/** A database URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+):[^@]*@/, '$1:***@');
}

export interface Running { app: FastifyInstance; store: Store; url: string; close(): Promise<void> }

export async function startServer(config: Readonly<Config>, options: { logger?: boolean | object; store?: Store } = {}): Promise<Running> {
  let log: FastifyInstance['log'] | undefined;
  const store = options.store ?? (await openStore(config, { onSlowQuery: (sqlText, ms) => log?.warn({ sql: sqlText, ms }, 'slow query') }));
  const app = await buildApp({ config, store, logger: options.logger });
  log = app.log;
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closed = false;
  return {
    app,
    store,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await store.close();
    },
  };
}
