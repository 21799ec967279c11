// kill -9 of a delivering process loses nothing: two real `rollcall serve` processes on one database;
// the one delivering is killed mid-delivery, its lease expires, and the survivor delivers the rest,
// in order, sending again at most the event that was in flight.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FLUSH_EVERY } from '../../src/events/engine.ts';
import { loadConfig } from '../../src/config/config.ts';
import { WebhookEndpoints } from '../../src/events/endpoints.ts';
import { openStore } from '../../src/main.ts';
import { systemClock } from '../../src/provisioning/clock.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { createTenantCli, startProcess, type RollcallProcess } from '../../harness/processes.ts';
import { scim } from '../support/admin.ts';
import { testDatabase } from '../support/test-database.ts';
import { startReceiver, until } from '../support/webhook-receiver.ts';

const EVENTS = 30;
const cleanups: (() => Promise<void>)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

test('kill -9 of a delivering process loses nothing, and the survivor finishes without a duplicate storm', { timeout: 120_000 }, async () => {
  const db = await testDatabase();
  cleanups.push(db.drop);
  const token = createTenantCli(db.url, 'kill');
  // Slow enough that the kill lands while a delivery is in flight; slower still until the second
  // process is up (its start takes seconds on a busy machine), so the first cannot finish before.
  let bothUp = false;
  const receiver = await startReceiver(() => ({ status: 200, delayMs: bothUp ? 100 : 1000 }));
  cleanups.push(() => receiver.close());
  const store = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  cleanups.push(() => store.close());
  const tenant = (await store.findTenantBySlug('kill'))!;
  await new WebhookEndpoints(store, systemClock, { allowHttp: true, allowPrivateAddresses: true }).create(tenant, { url: receiver.url });

  const env = { ROLLCALL_WEBHOOK_ALLOW_HTTP: 'true', ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', ROLLCALL_DELIVERY_LEASE_MS: '3000' };
  const procs: RollcallProcess[] = [];
  cleanups.push(async () => { for (const p of procs) await p.stop(); });
  const a = await startProcess(db.url, env);
  procs.push(a);
  for (let i = 0; i < EVENTS; i++) {
    const r = await scim(`${a.url}/scim/v2/kill/Users`, token, 'POST', { schemas: [USER_SCHEMA], userName: `u-${String(i).padStart(2, '0')}` });
    assert.equal(r.status, 201, r.text);
  }
  const b = await startProcess(db.url, env);
  procs.push(b);
  bothUp = true;
  await until('the first process is delivering', () => receiver.received.length >= 5);
  a.child.kill('SIGKILL');
  await new Promise((r) => a.child.once('exit', r));
  const atKill = receiver.received.length;
  assert.ok(atKill < EVENTS, `the kill landed mid-delivery (${atKill} of ${EVENTS} delivered)`);

  await until('the survivor delivered every event', () => new Set(receiver.received.map((x) => x.id)).size === EVENTS, 60_000);
  const names = receiver.received.map((x) => (JSON.parse(x.body) as { data: { user: { userName: string } } }).data.user.userName);
  const firstSeen = names.filter((n, i) => names.indexOf(n) === i);
  assert.deepEqual(firstSeen, [...firstSeen].sort(), 'in order');
  // Deliveries are recorded in batches (engine.ts FLUSH_EVERY): at most those since the last record,
  // and the one in flight, are sent again — never the stream from its start.
  const duplicates = receiver.received.length - EVENTS;
  assert.ok(duplicates <= FLUSH_EVERY + 1, `at most the deliveries not yet recorded at the kill are sent again (${duplicates} duplicates)`);
  assert.ok(new Set(receiver.received.slice(atKill).map((x) => x.id)).size === receiver.received.length - atKill, 'after the kill, each event once');
});
