// How a filter on a custom extension attribute performs on 10,000 users (docs/performance.md):
// the store's own listUsers with the tenant's schemas, on a scratch SQLite file and, when it
// answers, a scratch PostgreSQL database. Run: node --import tsx bench/custom-attributes.ts
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { scratchDatabase, postgresAvailable } from '../harness/databases.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { parseFilter, parseAttrPath } from '../src/scim/filter.ts';
import { schemasFor } from '../src/provisioning/schemas.ts';
import { checkSettings } from '../src/provisioning/tenants/settings-document.ts';
import type { Store } from '../src/store/store.ts';

const URN = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
const USERS = 10_000;
const settings = checkSettings({ customSchemas: [{ id: URN, attributes: [
  { name: 'badge', type: 'string', uniqueness: 'server' }, { name: 'level', type: 'integer' }, { name: 'skills', type: 'string', multiValued: true },
] }] }).settings!;
const schemas = schemasFor(settings);

async function time(store: Store, tenantId: string, label: string, filter: string, sortBy?: string): Promise<string> {
  const options = { filter: parseFilter(filter), sortBy: sortBy ? parseAttrPath(sortBy) : undefined, sortOrder: 'ascending' as const, offset: 0, limit: 100 };
  for (let i = 0; i < 20; i++) await store.listUsers(tenantId, schemas, options); // warm up (statement caches, planner statistics)
  const runs = 200;
  const start = process.hrtime.bigint();
  let total = 0;
  for (let i = 0; i < runs; i++) total = (await store.listUsers(tenantId, schemas, options)).total;
  const us = Number(process.hrtime.bigint() - start) / 1000 / runs;
  return `  ${label.padEnd(52)} ${us.toFixed(0).padStart(6)} µs  (totalResults ${total})`;
}

/**
 * Planner statistics as a running server has them: SQLite's store refreshes them every 10 s
 * (sqlite-store.ts optimize), PostgreSQL's autovacuum analyses a grown table on its own.
 */
async function analyse(store: Store, url: string): Promise<void> {
  if (store instanceof SqliteStore) { (store as unknown as { optimize(): void }).optimize(); return; }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try { await client.query('ANALYZE'); } finally { await client.end(); }
}

async function run(name: string, url: string, open: () => Promise<Store>): Promise<void> {
  const store = await open();
  const tenant = { id: randomUUID(), slug: `bench-${Date.now()}`, name: 'bench', createdAt: new Date().toISOString() };
  await store.createTenant(tenant);
  const at = new Date().toISOString();
  for (let i = 0; i < USERS; i += 500) {
    await store.transaction(async (tx) => {
      for (let j = i; j < i + 500; j++) {
        await tx.insertUser(tenant.id, schemas, { id: randomUUID(), created: at, lastModified: at, version: 1,
          doc: { userName: `user${j}@acme.test`, [URN]: { badge: `B-${j}`, level: j % 100, skills: [`skill${j % 50}`, 'common'] } } });
      }
    });
  }
  await analyse(store, url);
  console.log(`${name}: ${USERS} users, each with 4 custom values`);
  console.log(await time(store, tenant.id, `${URN.slice(-8)}:badge eq (one match)`, `${URN}:badge eq "b-4242"`));
  console.log(await time(store, tenant.id, `${URN.slice(-8)}:level eq 7 (100 matches)`, `${URN}:level eq 7`));
  console.log(await time(store, tenant.id, `${URN.slice(-8)}:skills eq "skill7" (200 matches)`, `${URN}:skills eq "skill7"`));
  console.log(await time(store, tenant.id, `${URN.slice(-8)}:badge sw "B-999" (11 matches)`, `${URN}:badge sw "B-999"`));
  console.log(await time(store, tenant.id, `userName eq (for comparison)`, 'userName eq "user4242@acme.test"'));
  console.log(await time(store, tenant.id, `level gt 97, sortBy badge (page of 100 of 200)`, `${URN}:level gt 97`, `${URN}:badge`));
  await store.close();
}

const lite = await scratchDatabase('sqlite');
await run('SQLite', lite.url, () => SqliteStore.open({ filename: lite.url.slice('sqlite:'.length) }));
await lite.drop();
if (await postgresAvailable()) {
  const pgdb = await scratchDatabase('postgres');
  await run('PostgreSQL', pgdb.url, () => PostgresStore.open({ connectionString: pgdb.url, poolSize: 2 }));
  await pgdb.drop();
}
