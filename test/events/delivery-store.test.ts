// The delivery tables through the Store (both databases): streams are found without scanning every
// tenant, a stream is one process's at a time, and a process whose lease was taken over cannot move it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.ts';
import { openStore } from '../../src/main.ts';
import { createTenant } from '../../src/provisioning/tenants/tenants.ts';
import { newEventId } from '../../src/events/outbox.ts';
import type { Store, Tenant } from '../../src/store/store.ts';
import pg from 'pg';
import { releaseStream } from '../../src/store/sql/delivery.ts';
import { PgRunner, StatementNames } from '../../src/store/postgres/pg-runner.ts';
import { COMPILER } from '../../src/store/postgres/postgres-store.ts';
import { TEST_DATABASE, testDatabase } from '../support/test-database.ts';

let store: Store;
let drop: () => Promise<void>;
let acme: Tenant;
let globex: Tenant;
const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000).toISOString();

/** Appends events and waits (bounded) until they have positions (PostgreSQL's sequencer waits for older transactions of the whole server). */
async function append(tenant: Tenant, type: string, n = 1) {
  const events = Array.from({ length: n }, () => ({
    id: newEventId(), tenantId: tenant.id, tenantSlug: tenant.slug, type, at: at(0), actor: { type: 'cli' as const, id: null, name: null }, requestId: null, data: {},
  }));
  await store.transaction((tx) => tx.appendEvents(events));
  const deadline = Date.now() + 20_000;
  while (!(await store.getEvent(events[n - 1].id))) {
    assert.ok(Date.now() < deadline, 'events got positions');
    await store.sequenceEvents();
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  const db = await testDatabase();
  drop = db.drop;
  store = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  acme = await createTenant(store, 'acme');
  globex = await createTenant(store, 'globex');
});
after(async () => { await store.close(); await drop(); });

test('a new endpoint starts at the head: earlier events are not sent, later ones of every tenant are', async () => {
  await append(acme, 'user.created', 2);
  const c = await store.createConsumer({ id: 'wh_store1', kind: 'webhook', tenantId: null, url: 'https://example.com/h', description: null, types: null, enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: at(0) });
  assert.equal(c.startPosition, await store.eventHead());
  assert.equal(await store.discoverStreams(['webhook'], at(1), 1000), 0, 'nothing after the start');
  await append(globex, 'user.created');
  await append(acme, 'user.updated');
  assert.equal(await store.discoverStreams(['webhook'], at(1), 1000), 2, 'one stream per tenant met');
  const claims = await store.claimStreams('p1', ['webhook'], at(1), at(61), 10);
  assert.deepEqual(claims.map((s) => s.tenantId).sort(), [acme.id, globex.id].sort());
  const a = claims.find((s) => s.tenantId === acme.id)!;
  const events = await store.streamEvents(acme.id, a.position, null, 10);
  assert.deepEqual(events.map((e) => e.type), ['user.updated'], 'the acme stream starts just before its first event after the start');
  // Claimed streams are no one else's.
  assert.deepEqual(await store.claimStreams('p2', ['webhook'], at(2), at(62), 10), []);
  // Caught up: idle, and not claimable until a new event of the tenant is met.
  assert.ok(await store.releaseStream(a, events[0].tenantPosition, at(3)));
  const g = claims.find((s) => s.tenantId === globex.id)!;
  assert.ok(await store.releaseStream(g, g.position + 1, at(3)));
  assert.deepEqual(await store.claimStreams('p2', ['webhook'], at(4), at(64), 10), []);
  await append(acme, 'user.deleted');
  await store.discoverStreams(['webhook'], at(5), 1000);
  assert.deepEqual((await store.claimStreams('p2', ['webhook'], at(5), at(65), 10)).map((s) => s.tenantId), [acme.id]);
  await store.deleteConsumer(c.id);
});

test('a process whose lease expired and was taken over cannot move the stream', async () => {
  const c = await store.createConsumer({ id: 'wh_store2', kind: 'webhook', tenantId: acme.id, url: 'https://example.com/h', description: null, types: null, enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: at(0) });
  await append(acme, 'user.created', 3);
  await store.discoverStreams(['webhook'], at(10), 1000);
  const [first] = await store.claimStreams('slow', ['webhook'], at(10), at(20), 10);
  assert.ok(first);
  assert.deepEqual(await store.claimStreams('other', ['webhook'], at(15), at(75), 10), [], 'held until the lease ends');
  const [taken] = await store.claimStreams('other', ['webhook'], at(21), at(81), 10);
  assert.ok(taken, 'taken over once the lease expired');
  assert.equal(await store.advanceStream(first, first.position + 1, at(22), at(82)), false);
  assert.equal(await store.failStream(first, 1, at(30), 'late', at(22)), false);
  assert.ok(await store.advanceStream(taken, taken.position + 1, at(22), at(82)));
  await store.deleteConsumer(c.id);
});

test('a dead letter moves the stream past its event and marks the endpoint failing; replay from an event moves it back', async () => {
  const c = await store.createConsumer({ id: 'wh_store3', kind: 'webhook', tenantId: globex.id, url: 'https://example.com/h', description: null, types: ['user.created'], enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: at(0) });
  await append(globex, 'user.created', 2);
  await store.discoverStreams(['webhook'], at(30), 1000);
  const [s] = await store.claimStreams('p', ['webhook'], at(30), at(90), 10);
  const [e1, e2] = await store.streamEvents(globex.id, s.position, ['user.created'], 10);
  assert.ok(await store.deadLetter(s, { consumerId: c.id, tenantId: globex.id, eventId: e1.id, position: e1.position, tenantPosition: e1.tenantPosition, at: at(31), attempts: 12, lastError: 'HTTP 500' }, 'an event was dead-lettered', at(91)));
  assert.equal((await store.getConsumer(c.id))!.state, 'failing');
  const [letter] = await store.listDeadLetters(c.id, {}, { limit: 10 });
  assert.equal(letter.eventId, e1.id);
  assert.ok(await store.releaseStream(s, e2.tenantPosition, at(32)));
  assert.ok(await store.replayFrom(c.id, e1.id, at(33)));
  const [again] = await store.claimStreams('p', ['webhook'], at(33), at(93), 10);
  assert.deepEqual((await store.streamEvents(globex.id, again.position, ['user.created'], 10)).map((e) => e.id), [e1.id, e2.id]);
  const replay = await store.replayDeadLetter(c.id, letter.seq, at(34));
  assert.equal(replay?.replayAt, at(34));
  const [r] = await store.claimReplays('p', ['webhook'], at(34), at(94), 10);
  assert.equal(r.eventId, e1.id);
  assert.ok(await store.finishReplay(r, { delivered: true, nextAttemptAt: null, error: null }, at(35)));
  assert.equal((await store.listDeadLetters(c.id, {}, { limit: 10 }))[0].replayedAt, at(35));
  assert.ok(await store.deleteConsumer(c.id));
  assert.equal(await store.getConsumer(c.id), undefined);
});

test('dead letters older than the retention are pruned, except those waiting for a replay', async () => {
  const c = await store.createConsumer({ id: 'wh_store_prune', kind: 'webhook', tenantId: acme.id, url: 'https://example.com/h', description: null, types: ['user.deleted'], enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: at(0) });
  await append(acme, 'user.deleted', 3);
  await store.discoverStreams(['webhook'], at(30), 1000);
  const [s] = await store.claimStreams('p', ['webhook'], at(30), at(90), 10);
  const events = await store.streamEvents(acme.id, s.position, ['user.deleted'], 10);
  for (const [i, e] of events.entries()) {
    const letter = { consumerId: c.id, tenantId: acme.id, eventId: e.id, position: e.position, tenantPosition: e.tenantPosition, at: at(100 * (i + 1)), attempts: 12, lastError: 'HTTP 500' };
    assert.ok(await store.deadLetter(s, letter, 'dead-lettered', at(1000)));
  }
  const letters = await store.listDeadLetters(c.id, {}, { limit: 10 }); // newest first
  assert.equal(letters.length, 3);
  const oldest = letters[2];
  assert.ok(await store.replayDeadLetter(c.id, oldest.seq, at(500)), 'the oldest waits for a replay');
  // Cut-off after the first two letters: the second goes, the first is kept for its replay, the third is newer.
  assert.equal(await store.pruneDeadLetters(at(250), 100), 1);
  assert.deepEqual((await store.listDeadLetters(c.id, {}, { limit: 10 })).map((l) => l.seq), [letters[0].seq, oldest.seq]);
  assert.ok(await store.deleteConsumer(c.id));
});

test("the delivery backlog (/metrics): a stream's undelivered events count as pending with the oldest's time; events discovery has not met yet count in the age only; caught up, nothing", async () => {
  // A database of its own: the backlog is over every consumer, and the tests above leave theirs.
  const db = await testDatabase();
  const own = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  try {
    const t = await createTenant(own, 'initech');
    // tenant.created gets its position first (PostgreSQL's sequencer), so the endpoint starts after it.
    for (const deadline = Date.now() + 20_000; (await own.eventHead()) < 1;) {
      assert.ok(Date.now() < deadline, 'tenant.created got a position');
      await own.sequenceEvents();
      await new Promise((r) => setTimeout(r, 20));
    }
    const c = await own.createConsumer({ id: 'wh_backlog', kind: 'webhook', tenantId: null, url: 'https://example.com/h', description: null, types: null, enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: at(0) });
    assert.deepEqual(await own.deliveryBacklog(), [], 'nothing committed since the endpoint was made');
    const events = Array.from({ length: 3 }, (_, i) => ({
      id: newEventId(), tenantId: t.id, tenantSlug: t.slug, type: 'user.created', at: at(10 + i), actor: { type: 'cli' as const, id: null, name: null }, requestId: null, data: {},
    }));
    await own.transaction((tx) => tx.appendEvents(events));
    const deadline = Date.now() + 20_000;
    while (!(await own.getEvent(events[2].id))) {
      assert.ok(Date.now() < deadline, 'events got positions');
      await own.sequenceEvents();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await own.deliveryBacklog(), [{ kind: 'webhook', pending: 0, oldestAt: at(10) }], 'not yet met by discovery: aged, not counted');
    await own.discoverStreams(['webhook'], at(20), 1000);
    assert.deepEqual(await own.deliveryBacklog(), [{ kind: 'webhook', pending: 3, oldestAt: at(10) }]);
    const [claim] = await own.claimStreams('p1', ['webhook'], at(21), at(81), 10);
    assert.ok(await own.advanceStream(claim, claim.position + 1, at(22), at(82), []));
    assert.deepEqual(await own.deliveryBacklog(), [{ kind: 'webhook', pending: 2, oldestAt: at(11) }], 'the next event to deliver is the oldest');
    assert.ok(await own.releaseStream(claim, claim.position + 3, at(23)));
    assert.deepEqual(await own.deliveryBacklog(), [], 'caught up');
    await own.updateConsumer(c.id, { enabled: false }, at(24));
    await own.transaction((tx) => tx.appendEvents([{ ...events[0], id: newEventId() }]));
    for (const deadline = Date.now() + 20_000; (await own.eventHead()) < 5;) {
      assert.ok(Date.now() < deadline, 'the event got a position');
      await own.sequenceEvents();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await own.deliveryBacklog(), [], 'a disabled endpoint has no backlog');
  } finally {
    await own.close();
    await db.drop();
  }
});

test('a window that meets more tenants than one statement can bind makes every stream due (7,000 tenants)', async () => {
  // A database of its own, so that the window holds these tenants' events only. 7,000 streams take
  // 35,000 values in one upsert: past SQLite's 32,766, which failed every pass and stopped delivery.
  const db = await testDatabase();
  const own = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  try {
    await own.createConsumer({ id: 'wh_many', kind: 'webhook', tenantId: null, url: 'https://example.com/h', description: null, types: null, enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: at(0) });
    const n = 7000;
    // Each tenant's creation is an event of that tenant (tenant.created).
    for (let i = 0; i < n; i++) await createTenant(own, `many-${i}`);
    await own.sequenceEvents({ wait: true });
    assert.equal(await own.discoverStreams(['webhook'], at(1), 10_000), n, 'one stream per tenant met');
    let claimed = 0;
    for (let got = -1; got !== 0; claimed += got) got = (await own.claimStreams('p', ['webhook'], at(2), at(62), 1000)).length;
    assert.equal(claimed, n, 'every stream is due');
  } finally {
    await own.close();
    await db.drop();
  }
});

test("PostgreSQL: a worker's release in flight while discovery meets a new event of its tenant leaves the stream due", { skip: TEST_DATABASE !== 'postgres' && 'PostgreSQL only (SQLite writes one at a time)' }, async () => {
  // The race: releaseStream's statement reads event_heads when it starts; the sequencer then commits a
  // new event of the tenant; discovery meets it while the release has not committed. Discovery must
  // leave the stream due once the release commits (review of the change that skipped the upsert for
  // due streams: it read the row as it was before the release and skipped it).
  const db = await testDatabase();
  const own = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  const client = await pool.connect();
  try {
    const t = await createTenant(own, 'racing');
    await own.sequenceEvents({ wait: true });
    await own.createConsumer({ id: 'wh_race', kind: 'webhook', tenantId: null, url: 'https://example.com/h', description: null, types: null, enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: at(0) });
    const event = () => ({ id: newEventId(), tenantId: t.id, tenantSlug: t.slug, type: 'user.created', at: at(0), actor: { type: 'cli' as const, id: null, name: null }, requestId: null, data: {} });
    await own.transaction((tx) => tx.appendEvents([event()]));
    await own.sequenceEvents({ wait: true });
    await own.discoverStreams(['webhook'], at(1), 1000);
    const [claim] = await own.claimStreams('w1', ['webhook'], at(1), at(61), 10);
    assert.ok(claim, 'the stream is claimed');
    // The worker caught up: its release runs on a connection of its own, and is not committed yet.
    const caughtUp = await own.tenantHead(t.id);
    await client.query('BEGIN');
    assert.ok(await releaseStream(new PgRunner(COMPILER, client, new StatementNames(), 60_000), claim, caughtUp, at(2)));
    // Meanwhile a new event of the tenant gets its position, and discovery runs; the release commits.
    const late = event();
    await own.transaction((tx) => tx.appendEvents([late]));
    for (const deadline = Date.now() + 20_000; !(await own.getEvent(late.id));) {
      assert.ok(Date.now() < deadline, 'the new event got a position while the release was in flight');
      await own.sequenceEvents();
      await new Promise((r) => setTimeout(r, 20));
    }
    const discovered = own.discoverStreams(['webhook'], at(3), 1000);
    await new Promise((r) => setTimeout(r, 300));
    await client.query('COMMIT');
    await discovered;
    const due = await own.claimStreams('w2', ['webhook'], at(4), at(64), 10);
    assert.equal(due.length, 1, 'the stream is due with its new event');
    assert.deepEqual((await own.streamEvents(t.id, due[0].position, null, 10)).length, 1);
  } finally {
    client.release();
    await pool.end();
    await own.close();
    await db.drop();
  }
});
