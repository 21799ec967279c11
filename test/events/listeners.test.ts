// In-process listeners: which listeners an event reaches (types, "user.*", "*"), unsubscribing,
// refusing unknown types, and the sink's outcomes with events written by real SCIM requests:
// the webhook's payload, in registration order, a failing listener failing the attempt (so the
// engine retries it) without keeping the others from running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ListenerRegistry, ListenerSink, UnknownEventType, type EventListener } from '../../src/events/listeners.ts';
import { payloadOf, type EventPayload } from '../../src/events/payload.ts';
import type { ConsumerView } from '../../src/events/sink.ts';
import type { EventRecord } from '../../src/store/store.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { scim } from '../support/admin.ts';

const consumer: ConsumerView = { id: 'listeners', kind: 'listeners', tenantId: null, url: null };
const never = new AbortController().signal;

let server: TestServer;
let events: EventRecord[];

before(async () => {
  server = await startTestServer();
  const created = await scim(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@listeners.example', active: true });
  assert.equal(created.status, 201, created.text);
  const off = await scim(`${server.scimUrl}/Users/${created.body.id}`, server.token, 'PATCH',
    { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
  assert.equal(off.status, 200, off.text);
  const group = await scim(`${server.scimUrl}/Groups`, server.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Team', members: [{ value: created.body.id }] });
  assert.equal(group.status, 201, group.text);
  // PostgreSQL gives positions after commit (store/sql/events.ts): sequence, then read, within a deadline.
  const deadline = Date.now() + 10_000;
  for (;;) {
    await server.running.store.sequenceEvents();
    events = await server.running.store.readEvents({ limit: 100, types: ['user.created', 'user.deactivated', 'group.created', 'group.member_added'] });
    if (events.length >= 4 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(events.map((e) => e.type), ['user.created', 'user.deactivated', 'group.created', 'group.member_added']);
});
after(async () => { await server?.close(); });

const byType = (type: string) => events.find((e) => e.type === type)!;

test('a listener is called for its type, its resource\'s pattern or "*", in the order listeners were added, with the webhook payload', async () => {
  const registry = new ListenerRegistry();
  const sink = new ListenerSink(registry);
  const calls: string[] = [];
  const seen: EventPayload[] = [];
  registry.on('*', (e) => { calls.push(`all:${e.type}`); });
  registry.on('user.deactivated', (e) => { calls.push(`deactivated:${e.type}`); seen.push(e); });
  registry.on('user.*', async (e) => { await new Promise((r) => setTimeout(r, 10)); calls.push(`user:${e.type}`); });
  for (const e of events) assert.equal((await sink.deliver(e, consumer, never)).ok, true);
  assert.deepEqual(calls, [
    'all:user.created', 'user:user.created',
    'all:user.deactivated', 'deactivated:user.deactivated', 'user:user.deactivated',
    'all:group.created', 'all:group.member_added',
  ], 'each awaited before the next (the slow "user.*" listener still comes before the next event)');
  assert.deepEqual(seen, [payloadOf(byType('user.deactivated'))]);
  assert.equal(seen[0].data.user && (seen[0].data.user as { active: boolean }).active, false);
});

test('an event no listener wants is skipped; the sink is active only while a listener is registered', async () => {
  const registry = new ListenerRegistry();
  const sink = new ListenerSink(registry);
  assert.equal(sink.active(), false, 'no listeners: this process does not take the stream');
  const stop = registry.on('group.member_added', () => {});
  assert.equal(sink.active(), true);
  const outcome = await sink.deliver(byType('user.created'), consumer, never);
  assert.deepEqual([outcome.ok, outcome.skipped], [true, true]);
  stop();
  assert.equal(sink.active(), false);
});

test('unsubscribing removes exactly that registration; off removes the earliest one of that function and type', async () => {
  const registry = new ListenerRegistry();
  const sink = new ListenerSink(registry);
  let count = 0;
  const fn: EventListener = () => { count++; };
  const first = registry.on('user.created', fn);
  registry.on('user.created', fn);
  registry.on('user.*', fn);
  await sink.deliver(byType('user.created'), consumer, never);
  assert.equal(count, 3, 'the same function added three times is called three times');
  first();
  first();
  assert.equal(registry.size, 2, 'calling an unsubscribe twice removes nothing more');
  assert.equal(registry.off('user.*', fn), true);
  assert.equal(registry.off('user.*', fn), false);
  count = 0;
  await sink.deliver(byType('user.created'), consumer, never);
  assert.equal(count, 1);
});

test('an unknown event type or pattern is refused when the listener is added, naming it', () => {
  const registry = new ListenerRegistry();
  for (const bad of ['user.deativated', 'users.*', 'user', '']) {
    assert.throws(() => registry.on(bad, () => {}), (e: unknown) => e instanceof UnknownEventType && e.patterns[0] === bad && e.message.includes(JSON.stringify(bad)), bad);
  }
  assert.throws(() => registry.on('user.created', 'not a function' as unknown as EventListener), TypeError);
  assert.equal(registry.size, 0);
});

test('a listener that throws or rejects fails the attempt with its message (the engine retries it); the other listeners still run', async () => {
  const registry = new ListenerRegistry();
  const sink = new ListenerSink(registry);
  const ran: string[] = [];
  registry.on('user.created', () => { throw new Error('CRM is down'); });
  registry.on('user.created', () => { ran.push('second'); });
  registry.on('user.*', async () => { throw new TypeError('bad mapping'); });
  const outcome = await sink.deliver(byType('user.created'), consumer, never);
  assert.equal(outcome.ok, false);
  assert.match(outcome.error ?? '', /2 of 3 listeners failed: Error: CRM is down; TypeError: bad mapping/);
  assert.deepEqual(ran, ['second']);
  // The retry runs every matching listener again: at-least-once.
  await sink.deliver(byType('user.created'), consumer, never);
  assert.deepEqual(ran, ['second', 'second']);
});

test("a listener cannot change what the next listener receives, and one that never settles fails when the engine aborts the attempt", async () => {
  const registry = new ListenerRegistry();
  const sink = new ListenerSink(registry);
  registry.on('user.created', (e) => { e.data.user = null; e.type = 'changed'; });
  let second: EventPayload | undefined;
  registry.on('user.created', (e) => { second = e; });
  assert.equal((await sink.deliver(byType('user.created'), consumer, never)).ok, true);
  assert.deepEqual(second, payloadOf(byType('user.created')));

  const hung = new ListenerRegistry();
  let signalled = false;
  hung.on('user.created', (_e, { signal }) => new Promise(() => { signal.addEventListener('abort', () => { signalled = true; }); }));
  const attempt = new AbortController();
  const pending = new ListenerSink(hung).deliver(byType('user.created'), consumer, attempt.signal);
  attempt.abort();
  const outcome = await pending;
  assert.equal(outcome.ok, false);
  assert.match(outcome.error ?? '', /aborted/);
  assert.equal(signalled, true, 'the listener was told through its signal');
});
