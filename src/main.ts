// Composition root: config → store → http. Used by `rollcall serve` and by the tests.
import type { FastifyInstance } from 'fastify';
import { sqliteFilename, type Config } from './config/config.ts';
import { buildApp } from './http/app.ts';
import type { Store } from './store/store.ts';
import { SqliteStore } from './store/sqlite/sqlite-store.ts';

export class UnsupportedDatabase extends Error {}

/** Opens (creating and migrating) the database a URL names. */
export async function openStore(databaseUrl: string): Promise<Store> {
  const filename = sqliteFilename(databaseUrl);
  if (filename !== undefined) return SqliteStore.open({ filename });
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UnsupportedDatabase('PostgreSQL is not supported by this version of Rollcall yet; use sqlite:PATH (the default is sqlite:./data/rollcall.db).');
  }
  throw new UnsupportedDatabase(`Unsupported database URL ${JSON.stringify(databaseUrl)}: use sqlite:PATH or sqlite::memory:.`);
}

export interface Running { app: FastifyInstance; store: Store; url: string; close(): Promise<void> }

export async function startServer(config: Readonly<Config>, options: { logger?: boolean | object; store?: Store } = {}): Promise<Running> {
  const store = options.store ?? (await openStore(config.databaseUrl));
  const app = await buildApp({ config, store, logger: options.logger });
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
