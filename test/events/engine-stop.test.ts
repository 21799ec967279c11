// Stopping the delivery engine (a SIGTERM, docs/running.md "Stopping and restarting") with
// deliveries in flight: what was delivered is recorded, and the streams and dead-letter replays it
// held are released, so another process takes them at once — not once their lease expires (here
// ten minutes). Both databases.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.ts';
import { EventEngine } from '../../src/events/engine.ts';
import { newEventId } from '../../src/events/outbox.ts';
import type { Sink } from '../../src/events/sink.ts';
import { openStore } from '../../src/main.ts';
import { systemClock } from '../../src/provisioning/clock.ts';
import { createTenant } from '../../src/provisioning/tenants/tenants.ts';
import type { EventRecord, Store, Tenant } from '../../src/store/store.ts';
import { testDatabase } from '../support/test-database.ts';
import { until } from '../support/webhook-receiver.ts';

let store: Store;
let drop: () => Promise<void>;
let tenant: Tenant;
const now = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

before(async () => {
  const db = await testDatabase();
  drop = db.drop;
  store = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  tenant = await createTenant(store, 'stopping');
});
after(async () => { await store.close(); await drop(); });

/** Appends events and waits (bounded) until they have positions (PostgreSQL's sequencer runs after commit). */
async function append(n: number): Promise<EventRecord[]> {
  const ids = Array.from({ length: n }, () => newEventId());
  await store.transaction((tx) => tx.appendEvents(ids.map((id) => ({
    id, tenantId: tenant.id, tenantSlug: tenant.slug, type: 'user.created', at: now(), actor: { type: 'cli' as const, id: null, name: null }, requestId: null, data: {},
  }))));
  const out: EventRecord[] = [];
  for (const id of ids) {
    let e: EventRecord | undefined;
    await until('the event has a position', async () => { await store.sequenceEvents(); e = await store.getEvent(id); return Boolean(e); });
    out.push(e!);
  }
  return out;
}

/** A webhook endpoint of one tenant taking every event type. */
const endpoint = (id: string, tenantId: string) => store.createConsumer({ id, kind: 'webhook', tenantId, url: 'https://example.com/h', description: null, types: null, enabled: true, secret: 'whsec_x', previousSecret: null, previousUntil: null, createdAt: now() });
/** An event of `t` to append, at `at` (a date before the retention's cut-off makes it prunable). */
const eventOf = (t: Tenant, id: string, at = now(), type = 'user.created') => ({ id, tenantId: t.id, tenantSlug: t.slug, type, at, actor: { type: 'cli' as const, id: null, name: null }, requestId: null, data: {} });

test('a stopped engine records what it delivered and releases its stream and replay, though the receiver never answered the last', { timeout: 60_000 }, async () => {
  const c = await endpoint('wh_stop', tenant.id);
  const [e1, e2, e3] = await append(3);
  // e1 dead-lettered earlier and asked to be sent again: a replay for the engine to claim.
  await store.discoverStreams(['webhook'], now(), 1000);
  const [setup] = await store.claimStreams('setup', ['webhook'], now(), now(60_000), 10);
  assert.ok(await store.deadLetter(setup, { consumerId: c.id, tenantId: tenant.id, eventId: e1.id, position: e1.position, tenantPosition: e1.tenantPosition, at: now(), attempts: 12, lastError: 'HTTP 500' }, 'dead-lettered', now(60_000)));
  assert.ok(await store.releaseStream(setup, e1.tenantPosition, now()));
  const [letter] = await store.listDeadLetters(c.id, {}, { limit: 10 });
  assert.ok(await store.replayDeadLetter(c.id, letter.seq, now()));

  // The receiver answers e2 and never answers anything else (the replay of e1, then e3) until the engine gives up on it.
  const calls: string[] = [];
  const sink: Sink = {
    deliver: (event, _consumer, signal) => {
      calls.push(event.id);
      if (event.id === e2.id) return Promise.resolve({ ok: true, status: 204 });
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: false, error: 'aborted' }), { once: true }));
    },
  };
  const engine = new EventEngine({ store, clock: systemClock, sinks: { webhook: sink }, leaseMs: 600_000, pollMs: 50, stopGraceMs: 200 });
  engine.start();
  await until('the replay of e1 and e3 are in flight', () => calls.includes(e1.id) && calls.includes(e3.id));
  await engine.stop();

  // Released: another process claims both at once, though the engine's lease had ten minutes to run.
  const [stream] = await store.claimStreams('successor', ['webhook'], now(), now(60_000), 10);
  assert.ok(stream, 'the stream is free at once');
  assert.equal(stream.position, e2.tenantPosition, 'it resumes after e2, the last event answered: e3 is sent again');
  const [replay] = await store.claimReplays('successor', ['webhook'], now(), now(60_000), 10);
  assert.equal(replay?.eventId, e1.id, 'the replay is free at once');
  assert.equal(replay.replayAttempts, 0, 'an abandoned replay is not counted as an attempt');
  const attempts = await store.listAttempts(c.id, {}, { limit: 10 });
  assert.deepEqual(attempts.map((a) => [a.eventId, a.outcome]), [[e2.id, 'delivered']], 'only the answered delivery is recorded');
});

test("a due stream whose undelivered events were pruned past the retention moves to its tenant's head instead of being claimed again and again", { timeout: 60_000 }, async () => {
  // An endpoint disabled with a backlog for longer than the retention, then enabled again: its
  // stream is still due, and the events it was at are gone. Before, each claim found no event,
  // released the stream behind the head, which made it due again: a pass after pass loop.
  const own = await createTenant(store, 'pruned-backlog');
  // Its tenant.created positioned first (PostgreSQL's sequencer runs after commit), so the endpoint starts after it.
  await store.sequenceEvents({ wait: true });
  const c = await endpoint('wh_pruned', own.id);
  const ids = [newEventId(), newEventId()];
  await store.transaction((tx) => tx.appendEvents(ids.map((id) => eventOf(own, id, '2020-01-01T00:00:00.000Z'))));
  await until('the events have positions', async () => { await store.sequenceEvents(); return Boolean(await store.getEvent(ids[1])); });
  await store.discoverStreams(['webhook'], now(), 1000);
  // Pruned as the retention does (they are from 2020), before any delivery.
  while ((await store.pruneEvents('2021-01-01T00:00:00.000Z', 500)) > 0);
  assert.equal(await store.getEvent(ids[0]), undefined);

  let claims = 0;
  const counting: Store = Object.create(store, { claimStreams: { value: async (...args: Parameters<Store['claimStreams']>) => { const got = await store.claimStreams(...args); claims += got.filter((s) => s.consumerId === c.id).length; return got; } } });
  // Only this endpoint's deliveries and log lines (the first test's endpoint is still there).
  const sent: string[] = [];
  const sink: Sink = { deliver: (event, consumer) => { if (consumer.id === c.id) sent.push(event.id); return Promise.resolve({ ok: true, status: 204 }); } };
  const warnings: { consumer?: string; missed?: number }[] = [];
  const engine = new EventEngine({ store: counting, clock: systemClock, sinks: { webhook: sink }, pollMs: 50, log: { warn: (obj) => { if ((obj as { consumer?: string }).consumer === c.id) warnings.push(obj); } } });
  engine.start();
  await until('the two events it never got are logged', () => warnings.length > 0);
  assert.deepEqual(warnings.map((w) => w.missed), [2]);
  const settled = claims;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(claims, settled, `claimed ${claims - settled} more times in half a second once at its head`);

  // A later event of the tenant is delivered as usual, with no gap to report.
  const later = newEventId();
  await store.transaction((tx) => tx.appendEvents([eventOf(own, later, now(), 'user.updated')]));
  await until('the later event is delivered', () => sent.includes(later));
  await engine.stop();
  assert.deepEqual(sent, [later]);
  assert.equal(warnings.length, 1, 'said once');
  const again = (await store.claimStreams('after', ['webhook'], now(), now(60_000), 10)).filter((x) => x.consumerId === c.id);
  assert.deepEqual(again, [], 'the stream is idle, at its head');
  await store.deleteConsumer(c.id);
});

test('a stream whose next events were pruned goes on from the oldest event kept, and says how many it missed', { timeout: 60_000 }, async () => {
  const own = await createTenant(store, 'pruned-gap');
  // Its tenant.created positioned first (PostgreSQL's sequencer runs after commit), so the endpoint starts after it.
  await store.sequenceEvents({ wait: true });
  const c = await endpoint('wh_gap', own.id);
  const event = (id: string, at: string) => eventOf(own, id, at);
  const old = [newEventId(), newEventId(), newEventId()];
  const kept = newEventId();
  await store.transaction((tx) => tx.appendEvents([...old.map((id) => event(id, '2020-01-01T00:00:00.000Z')), event(kept, now())]));
  await until('the events have positions', async () => { await store.sequenceEvents(); return Boolean(await store.getEvent(kept)); });
  await store.discoverStreams(['webhook'], now(), 1000);
  while ((await store.pruneEvents('2021-01-01T00:00:00.000Z', 500)) > 0);
  const sent: string[] = [];
  const warnings: { consumer?: string; missed?: number }[] = [];
  const engine = new EventEngine({ store, clock: systemClock, sinks: { webhook: { deliver: (e, consumer) => { if (consumer.id === c.id) sent.push(e.id); return Promise.resolve({ ok: true, status: 204 }); } } }, pollMs: 50, log: { warn: (obj) => warnings.push(obj) } });
  engine.start();
  await until('the kept event is delivered', () => sent.includes(kept));
  await engine.stop();
  assert.deepEqual(sent, [kept]);
  assert.deepEqual(warnings.filter((w) => w.consumer === c.id).map((w) => w.missed), [3]);
  await store.deleteConsumer(c.id);
});

test('an event positioned while a stream that found nothing reads its head is delivered, not passed over', { timeout: 60_000 }, async () => {
  // The window the second read closes: the stream finds no event, an event of the tenant gets its
  // position, then the worker reads the head. Moving to that head without reading again would skip it.
  const own = await createTenant(store, 'head-race');
  await store.sequenceEvents({ wait: true });
  const c = await endpoint('wh_head_race', own.id);
  const event = (id: string) => eventOf(own, id);
  const first = newEventId();
  const racing = newEventId();
  await store.transaction((tx) => tx.appendEvents([event(first)]));
  await until('the first event has a position', async () => { await store.sequenceEvents(); return Boolean(await store.getEvent(first)); });
  await store.discoverStreams(['webhook'], now(), 1000);
  // The first claim of the stream delivers `first` and makes no further progress; a claim that finds
  // nothing asks for the head, and the racing event is committed and positioned just before it answers.
  const [claim] = await store.claimStreams('setup', ['webhook'], now(), now(60_000), 10);
  assert.ok(await store.advanceStream(claim, (await store.getEvent(first))!.tenantPosition, now(), now(60_000), []));
  // Left due (not released), so the engine's claim starts with nothing to send.
  await store.failStream(claim, 0, now(), 'set up by the test', now());
  let injected = false;
  const racy: Store = Object.create(store, { tenantHead: { value: async (tenantId: string) => {
    if (tenantId === own.id && !injected) {
      injected = true;
      await store.transaction((tx) => tx.appendEvents([event(racing)]));
      await until('the racing event has a position', async () => { await store.sequenceEvents(); return Boolean(await store.getEvent(racing)); });
    }
    return store.tenantHead(tenantId);
  } } });
  const sent: string[] = [];
  const warnings: { consumer?: string }[] = [];
  const engine = new EventEngine({ store: racy, clock: systemClock, sinks: { webhook: { deliver: (e, consumer) => { if (consumer.id === c.id) sent.push(e.id); return Promise.resolve({ ok: true, status: 204 }); } } }, pollMs: 50, log: { warn: (obj) => warnings.push(obj) } });
  engine.start();
  await until('the racing event is delivered', () => sent.includes(racing));
  await engine.stop();
  assert.ok(injected, 'the head was read by a claim that found nothing');
  assert.deepEqual(sent, [racing]);
  assert.deepEqual(warnings.filter((w) => w.consumer === c.id), [], 'nothing was missed');
  await store.deleteConsumer(c.id);
});
