// Webhook delivery through the real server and database (both): every request verifies with the
// reference `standardwebhooks` package, a receiver that fails for a while gets everything in order,
// a failing tenant or endpoint holds back no other, and the receiver's answers (3xx, 410, 429) are
// honoured. The retry schedule is made tiny through config so nothing sleeps for long.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { DEFAULTS } from '../../src/config/config.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import type { Tenant } from '../../src/store/store.ts';
import { scim } from '../support/admin.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startReceiver, until, type Answer, type Receiver } from '../support/webhook-receiver.ts';

let server: TestServer;
const receivers: Receiver[] = [];
let counter = 0;

before(async () => {
  server = await startTestServer({
    config: {
      webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 15_000 },
      delivery: { ...DEFAULTS.delivery, pollMs: 50, retryScheduleMs: [100, 100, 100, 100, 100, 100] },
    },
  });
});
after(async () => {
  for (const r of receivers) await r.close();
  await server.close();
});

async function receiver(answer?: Receiver['answer']): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

/** A new tenant with its SCIM URL and token, and its Tenant record. */
async function tenant(): Promise<{ scimUrl: string; token: string; tenant: Tenant }> {
  const slug = `wh${process.pid}x${++counter}`;
  const t = await server.createTenant(slug);
  return { ...t, tenant: (await server.running.store.findTenantBySlug(slug))! };
}

async function createUsers(t: { scimUrl: string; token: string }, n: number, prefix = 'user'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName: `${prefix}-${i}` });
    assert.equal(r.status, 201, r.text);
  }
}

const userNames = (r: Receiver, slug?: string) => r.received
  .filter((x) => !slug || x.tenant === slug)
  .map((x) => (JSON.parse(x.body) as { data: { user: { userName: string } } }).data.user.userName);

test('every delivered request verifies with the standardwebhooks package, before, during and after a secret rotation', async () => {
  const r = await receiver();
  const t = await tenant();
  const { endpoint, secret } = await server.running.endpoints.create(t.tenant, { url: r.url });
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  await createUsers(t, 2, 'before');
  await until('2 deliveries', () => r.received.length >= 2);
  const rotated = await server.running.endpoints.rotateSecret(endpoint.id, { overlapMs: 60_000 });
  assert.notEqual(rotated.secret, secret);
  assert.ok(rotated.endpoint.previousSecretUntil, 'the old secret signs until the overlap ends');
  await createUsers(t, 2, 'overlap');
  await until('4 deliveries', () => r.received.length >= 4);
  await server.running.endpoints.rotateSecret(endpoint.id, { overlapMs: 0 });
  const third = (await server.running.endpoints.rotateSecret(endpoint.id, { overlapMs: 0 })).secret;
  await createUsers(t, 1, 'after');
  await until('5 deliveries', () => r.received.length >= 5);

  const verify = (s: string, x: Receiver['received'][number]) => new Webhook(s).verify(x.body, x.headers as Record<string, string>);
  for (const x of r.received.slice(0, 2)) assert.ok(verify(secret, x));
  for (const x of r.received.slice(2, 4)) {
    assert.equal(String(x.headers['webhook-signature']).split(' ').length, 2, 'two signatures during the overlap');
    assert.ok(verify(secret, x), 'the old secret verifies during the overlap');
    assert.ok(verify(rotated.secret, x), 'the new secret verifies during the overlap');
  }
  const last = r.received[4];
  assert.ok(verify(third, last));
  assert.throws(() => verify(secret, last), 'a rotated-out secret stops verifying once its overlap ends');
  for (const x of r.received) {
    const body = JSON.parse(x.body) as { id: string; type: string; tenant: { slug: string }; tenantPosition: number; position: number; timestamp: string; data: object };
    assert.equal(x.headers['webhook-id'], body.id, 'webhook-id is the event id');
    assert.match(String(x.headers['webhook-timestamp']), /^\d{10}$/);
    assert.equal(x.headers['content-type'], 'application/json');
    assert.match(String(x.headers['user-agent']), /Rollcall/);
    assert.equal(body.type, 'user.created');
    assert.equal(body.tenant.slug, t.tenant.slug);
  }
  assert.deepEqual(userNames(r), ['before-0', 'before-1', 'overlap-0', 'overlap-1', 'after-0']);
});

test('a secret rotated while a stream is busy signs the events written after the rotation, though the stream was claimed before it', async () => {
  // The first delivery is held at the receiver until the secret has been rotated and a second user
  // created: the stream that delivers both was claimed, and its endpoint read, before the rotation.
  let release!: () => void;
  const held = new Promise<void>((done) => { release = done; });
  const r: Receiver = await receiver(async (x) => {
    if (x === r.received[0]) await held;
    return { status: 204 };
  });
  const t = await tenant();
  const { endpoint, secret } = await server.running.endpoints.create(t.tenant, { url: r.url });
  await createUsers(t, 1, 'before');
  await until('the first delivery is at the receiver', () => r.received.length >= 1);
  const rotated = await server.running.endpoints.rotateSecret(endpoint.id, { overlapMs: 60_000 });
  await createUsers(t, 1, 'after');
  release();
  await until('2 deliveries', () => r.received.length >= 2);
  assert.deepEqual(userNames(r), ['before-0', 'after-0']);
  const [first, second] = r.received;
  assert.equal(String(first.headers['webhook-signature']).split(' ').length, 1, 'sent before the rotation: the one secret');
  assert.equal(String(second.headers['webhook-signature']).split(' ').length, 2, 'written after the rotation: both secrets sign it');
  assert.ok(new Webhook(rotated.secret).verify(second.body, second.headers as Record<string, string>), 'the new secret verifies it');
  assert.ok(new Webhook(secret).verify(second.body, second.headers as Record<string, string>), 'the old one too, during the overlap');
});

test('a receiver that fails for a while, then recovers, receives every event at least once and in order', async () => {
  let failing = true;
  const r = await receiver(() => ({ status: failing ? 500 : 200 }));
  const t = await tenant();
  await server.running.endpoints.create(t.tenant, { url: r.url });
  await createUsers(t, 5);
  await until('3 failed attempts', () => r.received.length >= 3);
  assert.ok(r.received.every((x) => userNames({ ...r, received: [x] })[0] === 'user-0'), 'while the first event fails, later ones wait behind it');
  failing = false;
  await until('every event delivered', () => new Set(userNames(r)).size === 5);
  const names = userNames(r);
  const firstDelivery = names.map((n, i) => ({ n, i })).filter(({ n }, i) => names.indexOf(n) === i).map(({ n }) => n);
  assert.deepEqual(firstDelivery, ['user-0', 'user-1', 'user-2', 'user-3', 'user-4'], 'in order');
  const ids = new Set(r.received.map((x) => x.headers['webhook-id']));
  assert.equal(ids.size, 5, 'the webhook-id is the same on every retry of an event');
});

test('one tenant\'s failing event holds back neither another tenant\'s events nor another endpoint\'s', async () => {
  const failingSlug = { value: '' };
  const shared = await receiver((x): Answer => (x.tenant === failingSlug.value ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }));
  const other = await receiver();
  const a = await tenant();
  const b = await tenant();
  failingSlug.value = a.tenant.slug;
  await server.running.endpoints.create(a.tenant, { url: shared.url });
  await server.running.endpoints.create(b.tenant, { url: shared.url });
  await server.running.endpoints.create(a.tenant, { url: other.url });
  await createUsers(a, 3, 'a');
  await createUsers(b, 3, 'b');
  await until('tenant b\'s events delivered past tenant a\'s failure', () => userNames(shared, b.tenant.slug).length === 3);
  await until('the other endpoint got tenant a\'s events', () => userNames(other, a.tenant.slug).length === 3);
  assert.deepEqual(userNames(shared, b.tenant.slug), ['b-0', 'b-1', 'b-2']);
  assert.deepEqual(userNames(other, a.tenant.slug), ['a-0', 'a-1', 'a-2']);
  assert.deepEqual([...new Set(userNames(shared, a.tenant.slug))], ['a-0'], 'on the failing endpoint, tenant a is held at its first event');
});

test('3xx is a failure and is not followed; 410 disables the endpoint; 429 with Retry-After delays the next attempt at least that long', async () => {
  const target = await receiver();
  const redirecting = await receiver(() => ({ status: 302, headers: { location: target.url } }));
  const t = await tenant();
  const redirect = await server.running.endpoints.create(t.tenant, { url: redirecting.url });
  await createUsers(t, 1, 'redirect');
  await until('two attempts at the redirecting receiver', () => redirecting.received.length >= 2);
  assert.equal(target.received.length, 0, 'the redirect was not followed');
  // The second attempt is recorded once its answer is in, a moment after the receiver saw it.
  await until('two attempts recorded', async () => (await server.running.endpoints.listAttempts(redirect.endpoint.id, {}, { limit: 10 })).length >= 2);
  const attempts = await server.running.endpoints.listAttempts(redirect.endpoint.id, {}, { limit: 10 });
  assert.ok(attempts.length >= 2 && attempts.every((a) => a.outcome === 'failed' && a.status === 302 && /redirects are not followed/.test(a.error ?? '')));
  await server.running.endpoints.delete(redirect.endpoint.id);

  const gone = await receiver(() => ({ status: 410 }));
  const t2 = await tenant();
  const g = await server.running.endpoints.create(t2.tenant, { url: gone.url });
  await createUsers(t2, 2, 'gone');
  await until('the endpoint is marked gone', async () => (await server.running.endpoints.get(g.endpoint.id)).state === 'gone');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(gone.received.length, 1, 'nothing more is sent to an endpoint that answered 410');
  const again = await server.running.endpoints.update(g.endpoint.id, { enabled: true });
  assert.equal(again.state, 'ok', 're-enabling resets it');

  const slow = await receiver(() => (slow.received.length === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
  const t3 = await tenant();
  await server.running.endpoints.create(t3.tenant, { url: slow.url });
  await createUsers(t3, 1, 'limited');
  await until('the retry after the 429', () => slow.received.length >= 2, 30_000);
  const waited = slow.received[1].at - slow.received[0].at;
  assert.ok(waited >= 1900, `the retry waited for Retry-After (2 s), not the 100 ms schedule: ${waited} ms`);
});

test('a slow receiver (10 s per request) does not slow SCIM responses', async () => {
  const r = await receiver(() => ({ status: 200, delayMs: 10_000 }));
  const t = await tenant();
  await server.running.endpoints.create(t.tenant, { url: r.url });
  await createUsers(t, 1, 'first');
  await until('the receiver is holding a request', () => r.received.length >= 1);
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const res = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName: `during-${i}` });
    latencies.push(Date.now() - t0);
    assert.equal(res.status, 201);
  }
  // A behaviour bound, not a benchmark: a SCIM write that waited for the webhook would take 10 s.
  assert.ok(Math.max(...latencies) < 5000, `SCIM latencies while the receiver hangs: ${latencies.join(', ')} ms`);
});

test('dead letter after the schedule; replay of one, and of every event from one on, delivers again', async () => {
  let failing = true;
  const r = await receiver(() => ({ status: failing ? 500 : 200 }));
  const t = await tenant();
  const { endpoint } = await server.running.endpoints.create(t.tenant, { url: r.url });
  await createUsers(t, 3, 'dead');
  await until('every event dead-lettered', async () => (await server.running.endpoints.listDeadLetters(endpoint.id, {}, { limit: 10 })).length === 3);
  assert.deepEqual(userNames(r), [...Array(7).fill('dead-0'), ...Array(7).fill('dead-1'), ...Array(7).fill('dead-2')],
    'one attempt and 6 retries (the configured schedule) per event, each event after the one before it was given up');
  const letters = await server.running.endpoints.listDeadLetters(endpoint.id, {}, { limit: 10 });
  assert.ok(letters.every((l) => l.attempts === 7 && /HTTP 500/.test(l.lastError ?? '') && l.replayedAt === null));
  const letter = letters[letters.length - 1];
  assert.equal(letter.eventId, r.received[0].id, 'newest first: the last is the first event');
  const gaveUp = await server.running.endpoints.get(endpoint.id);
  assert.equal(gaveUp.state, 'failing');
  assert.match(gaveUp.stateReason ?? '', /dead-lettered/);

  failing = false;
  await server.running.endpoints.replay(endpoint.id, { deadLetter: letter.seq });
  await until('the replayed dead letter delivered', () => userNames(r).filter((n) => n === 'dead-0').length === 8);
  await until('the dead letter is marked replayed', async () => (await server.running.endpoints.listDeadLetters(endpoint.id, {}, { limit: 10 })).find((l) => l.seq === letter.seq)?.replayedAt !== null);
  assert.equal((await server.running.endpoints.get(endpoint.id)).state, 'ok', 'a success sets the state back to ok');

  const before = r.received.length;
  assert.deepEqual(userNames({ ...r, received: r.received.slice(21) }), ['dead-0'], 'a replay of one dead letter sends that event only');
  const firstId = r.received[7].id;
  await server.running.endpoints.replay(endpoint.id, { fromEvent: firstId });
  await until('events from dead-1 on delivered again', () => r.received.length >= before + 2);
  assert.deepEqual(userNames({ ...r, received: r.received.slice(before) }), ['dead-1', 'dead-2'], 'again, in order');
});
