// Opening the database a config names: SQLite (a file or :memory:) or PostgreSQL. Apart from main.ts
// (the composition root) so that the delivery thread (events/delivery-thread.ts) and the CLI's
// commands open a store without loading the HTTP server. Each store's module is loaded when a URL
// names it: a SQLite deployment never loads the PostgreSQL driver, nor the reverse.
import { sqliteFilename, type Config } from '../config/config.ts';
import type { Store } from './store.ts';

export class UnsupportedDatabase extends Error {}

export interface StoreOptions {
  /** Called for each query slower than config.slowQueryMs (SQL text only). */
  onSlowQuery?: (sqlText: string, ms: number) => void;
}

/** Opens (creating and migrating) the database a config names. */
export async function openStore(config: Readonly<Config>, options: StoreOptions = {}): Promise<Store> {
  const url = config.databaseUrl;
  const filename = sqliteFilename(url);
  if (filename !== undefined) {
    const { SqliteStore } = await import('./sqlite/sqlite-store.ts');
    return SqliteStore.open({ filename, slowQueryMs: config.slowQueryMs, onSlowQuery: options.onSlowQuery });
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { isConnectionError, PostgresStore } = await import('./postgres/postgres-store.ts');
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
