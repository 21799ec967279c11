import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { storeContract } from '../contract/store-contract.ts';
import { PostgresStore } from './postgres-store.ts';
import { freshDatabase, postgresAvailable } from '../../../harness/databases.ts';

const drops: (() => Promise<void>)[] = [];
after(async () => { for (const d of drops) await d(); });

if (await postgresAvailable()) {
  storeContract('postgres', async () => {
    const db = await freshDatabase();
    drops.push(db.drop);
    return PostgresStore.open({ connectionString: db.url });
  });

  test('authStamp moves on notification when another process or an admin\'s SQL changes a token, not when a use is recorded', async () => {
    const db = await freshDatabase();
    drops.push(db.drop);
    const server = await PostgresStore.open({ connectionString: db.url, poolSize: 2 });
    const other = await PostgresStore.open({ connectionString: db.url, poolSize: 2 });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    /** Notifications arrive asynchronously: waits (bounded) for the stamp to leave `from`. */
    const moved = async (from: string | undefined) => {
      const deadline = Date.now() + 3000;
      while (server.authStamp() === from && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return server.authStamp() !== from;
    };
    try {
      const at = new Date().toISOString();
      await other.createTenant({ id: 't1', slug: 'acme', name: 'Acme', createdAt: at });
      for (const id of ['tok_1', 'tok_2']) await other.createToken({ id, tenantId: 't1', name: null, hash: id.padEnd(64, '0'), hint: 'abcd', createdAt: at, expiresAt: null, revokedAt: null, lastUsedAt: null });
      let stamp = server.authStamp();
      assert.equal(typeof stamp, 'string', 'listening from the start');
      await other.touchToken('tok_1', at);
      await admin.query('UPDATE tokens SET last_used_at = $1', [at]);
      // A use recorded is not a change: give a notification time to arrive, then check none did.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(server.authStamp(), stamp);
      await other.revokeToken('t1', 'tok_1', at);
      assert.ok(await moved(stamp), 'a revocation through another process is signalled');
      stamp = server.authStamp();
      await admin.query("UPDATE tokens SET revoked_at = $1 WHERE id = 'tok_2'", [at]);
      assert.ok(await moved(stamp), "a revocation by an admin's SQL is signalled");
      stamp = server.authStamp();
      await admin.query("UPDATE tenants SET slug = 'acme-2'");
      assert.ok(await moved(stamp), 'a tenant renamed under the server is signalled');
      // The notification connection dropped (database restart, network): nothing may be reused until it is back.
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
      const deadline = Date.now() + 3000;
      while (server.authStamp() !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(server.authStamp(), undefined, 'no stamp while not listening');
      while (server.authStamp() === undefined && Date.now() < deadline + 3000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(typeof server.authStamp(), 'string', 'listening again after the connection is back');
    } finally {
      await admin.end();
      await server.close();
      await other.close();
    }
  });

  test('a running process keeps working when a migration changes the columns its prepared statements read', async () => {
    const db = await freshDatabase();
    drops.push(db.drop);
    const store = await PostgresStore.open({ connectionString: db.url, poolSize: 1 });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const t = { id: 't1', slug: 'acme', name: 'Acme', createdAt: new Date().toISOString() };
      await store.createTenant(t);
      const found = { ...t, settingsVersion: 1, scimEnabled: true };
      // "SELECT * FROM tenants …" becomes a prepared statement on the pool's one connection.
      for (let i = 0; i < 3; i++) assert.deepEqual(await store.findTenantBySlug('acme'), found);
      // What a newer Rollcall's migration might do while this process still runs.
      await admin.query('ALTER TABLE tenants ADD COLUMN plan text');
      assert.deepEqual(await store.findTenantBySlug('acme'), found, 'answered, not "cached plan must not change result type"');
      assert.deepEqual(await store.findTenantBySlug('acme'), found);
    } finally {
      await admin.end();
      await store.close();
    }
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
