import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { storeContract } from '../contract/store-contract.ts';
import { PostgresStore } from './postgres-store.ts';
import { freshDatabase, postgresAvailable } from '../../../test/helpers/postgres.ts';

const drops: (() => Promise<void>)[] = [];
after(async () => { for (const d of drops) await d(); });

if (await postgresAvailable()) {
  storeContract('postgres', async () => {
    const db = await freshDatabase();
    drops.push(db.drop);
    return PostgresStore.open({ connectionString: db.url });
  });

  test('five processes migrating one database at once apply each migration exactly once', async () => {
    const db = await freshDatabase();
    drops.push(db.drop);
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresStore.open({ connectionString: db.url, poolSize: 2 })));
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = (await client.query('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version')).rows;
      const files = readdirSync(new URL('./migrations/', import.meta.url)).filter((f) => f.endsWith('.sql'));
      assert.equal(rows.length, files.length);
      assert.ok(rows.every((r) => r.n === 1));
    } finally {
      await client.end();
    }
  });
}
