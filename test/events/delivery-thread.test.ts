// Webhooks are delivered from a thread of their own (events/delivery-thread.ts): while the thread
// that serves SCIM is busy, delivery goes on. The receiver runs in another thread too, so it can
// record when each request arrived while this test holds the main thread busy on purpose.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { DEFAULTS } from '../../src/config/config.ts';
import { GROUP_SCHEMA, USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { scim } from '../support/admin.ts';
import { startTestServer } from '../support/server.ts';
import { startReceiver, until } from '../support/webhook-receiver.ts';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const config = (thread: 'worker' | 'main') => ({
  webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 15_000 },
  delivery: { ...DEFAULTS.delivery, pollMs: 50, thread },
});

/** An HTTP receiver in a worker thread of its own: it answers 204 and reports each request's arrival time. */
async function threadReceiver(): Promise<{ url: string; arrivals: { id: string; at: number }[] }> {
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      // 50 ms per request: a burst of events takes a while to deliver, one at a time.
      req.on('end', () => { parentPort.postMessage({ id: req.headers['webhook-id'], at: Date.now() }); setTimeout(() => { res.statusCode = 204; res.end(); }, 50); });
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
    parentPort.on('message', () => server.close(() => parentPort.close()));
  `, { eval: true });
  cleanups.push(() => worker.terminate());
  const arrivals: { id: string; at: number }[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m: { port?: number; id?: string; at?: number }) => {
      if (m.port) resolve(m.port);
      else arrivals.push({ id: m.id!, at: m.at! });
    });
  });
  return { url: `http://127.0.0.1:${port}/hook`, arrivals };
}

test('webhooks go out while the thread serving SCIM is busy: delivery has a thread of its own', { timeout: 60_000 }, async () => {
  const server = await startTestServer({ config: config('worker') });
  cleanups.push(() => server.close());
  assert.equal(server.running.engine.mode.thread, 'worker');
  const receiver = await threadReceiver();
  const warm = await server.createTenant('busy');
  await server.running.endpoints.create((await server.running.store.findTenantBySlug('busy'))!, { url: receiver.url });
  // The thread starts once an endpoint exists: a first event, delivered, shows it is up.
  assert.equal((await scim(`${warm.scimUrl}/Users`, warm.token, 'POST', { schemas: [USER_SCHEMA], userName: 'first' })).status, 201);
  await until('the first event arrived', () => receiver.arrivals.length >= 1, 20_000);

  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await scim(`${warm.scimUrl}/Users`, warm.token, 'POST', { schemas: [USER_SCHEMA], userName: `u${i}` });
    assert.equal(r.status, 201);
    ids.push((r.body as { id: string }).id);
  }
  await until('the users\' events arrived', () => receiver.arrivals.length >= 21, 20_000);

  // One request makes 21 events (the group and its 20 members); then this thread, which also serves
  // SCIM, is held busy for two seconds, long enough for the delivery thread to send them all.
  const g = await scim(`${warm.scimUrl}/Groups`, warm.token, 'POST', { schemas: [GROUP_SCHEMA], displayName: 'team', members: ids.map((value) => ({ value })) });
  assert.equal(g.status, 201, g.text);
  const busyFrom = Date.now();
  while (Date.now() - busyFrom < 2000) { /* the request thread does nothing else */ }
  const busyUntil = Date.now();
  await until('every event arrived', () => receiver.arrivals.length >= 42, 20_000);
  const duringBusy = receiver.arrivals.slice(21).filter((a) => a.at >= busyFrom && a.at <= busyUntil).length;
  // On the request thread, at most the one request already sent could arrive meanwhile (one stream, in order).
  assert.ok(duringBusy >= 10, `deliveries arrived while the request thread was busy (${duringBusy} of 21)`);
});

test('ROLLCALL_DELIVERY_THREAD=main delivers from the thread serving requests, in order', { timeout: 60_000 }, async () => {
  const server = await startTestServer({ config: config('main') });
  cleanups.push(() => server.close());
  assert.deepEqual(server.running.engine.mode, { thread: 'main', reason: 'ROLLCALL_DELIVERY_THREAD=main' });
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const t = await server.createTenant('onmain');
  await server.running.endpoints.create((await server.running.store.findTenantBySlug('onmain'))!, { url: receiver.url });
  for (let i = 0; i < 5; i++) {
    assert.equal((await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName: `m${i}` })).status, 201);
  }
  await until('five events arrived', () => receiver.received.length >= 5, 20_000);
  const names = receiver.received.map((r) => (JSON.parse(r.body) as { data: { user: { userName: string } } }).data.user.userName);
  assert.deepEqual(names, ['m0', 'm1', 'm2', 'm3', 'm4']);
});

test('an in-memory SQLite database keeps delivery on the main thread (a second connection would see another database)', async () => {
  const server = await startTestServer({ config: { ...config('worker'), databaseUrl: 'sqlite::memory:' } });
  cleanups.push(() => server.close());
  assert.equal(server.running.engine.mode.thread, 'main');
  assert.match(server.running.engine.mode.reason ?? '', /in-memory/);
});
