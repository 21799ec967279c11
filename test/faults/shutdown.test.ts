// Graceful shutdown (docs/running.md "Stopping and restarting"): a real `rollcall serve` gets SIGTERM
// while several clients create users and webhooks are being delivered. No request the server
// accepted fails, no user it answered for is missing, nothing it did not answer for was done, and
// every event is delivered once a second process starts — at once, because the first released its
// streams (the lease is set to ten minutes, so a stream left leased would not be taken in time).
// Then the bounds: a request held open past ROLLCALL_SHUTDOWN_TIMEOUT_MS is cut and the exit code
// says so; a second SIGTERM exits at once. Runs on the database this run tests (SQLite, or
// PostgreSQL with ROLLCALL_TEST_DATABASE=postgres).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { loadConfig } from '../../src/config/config.ts';
import { WebhookEndpoints } from '../../src/events/endpoints.ts';
import { openStore } from '../../src/main.ts';
import { systemClock } from '../../src/provisioning/clock.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { createTenantCli, startProcess, type RollcallProcess } from '../../harness/processes.ts';
import { testDatabase } from '../support/test-database.ts';
import { startReceiver, until } from '../support/webhook-receiver.ts';

const CLIENTS = 8;
/** Responses before the SIGTERM: the load is well under way. */
const BEFORE_SIGTERM = 80;

const cleanups: (() => Promise<void>)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const ENV = {
  ROLLCALL_LOG_LEVEL: 'info',
  ROLLCALL_WEBHOOK_ALLOW_HTTP: 'true',
  ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
  // A stream left leased by the first process would wait this long: far past this test's bounds.
  ROLLCALL_DELIVERY_LEASE_MS: '600000',
};

type Outcome = { userName: string; status?: number; error?: string };

/** One client: its own keep-alive connection, one POST /Users after another, until the server is gone. */
async function client(url: string, token: string, n: number, outcomes: Outcome[], onAnswer: () => void): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; ; i++) {
      const userName = `c${n}-${i}@stop.example`;
      const body = JSON.stringify({ schemas: [USER_SCHEMA], userName });
      const outcome: Outcome = await new Promise((resolve) => {
        const req = request(`${url}/scim/v2/stop/Users`, {
          method: 'POST', agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(body) },
        }, (res) => {
          res.resume();
          res.on('end', () => resolve({ userName, status: res.statusCode }));
          res.on('error', (err: NodeJS.ErrnoException) => resolve({ userName, error: err.code ?? err.message }));
        });
        req.on('error', (err: NodeJS.ErrnoException) => resolve({ userName, error: err.code ?? err.message }));
        req.end(body);
      });
      outcomes.push(outcome);
      if (outcome.status !== undefined) onAnswer();
      if (outcome.error === 'ECONNREFUSED') return; // the server no longer accepts: done
    }
  } finally {
    agent.destroy();
  }
}

/**
 * A POST /Users sent by hand: the headers and half the body now, the rest when asked. Until then the
 * request is accepted (its headers are read) and in flight.
 */
function heldRequest(url: string, token: string, requestId: string, userName: string) {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ schemas: [USER_SCHEMA], userName });
  const half = Math.floor(body.length / 2);
  const socket = connect(Number(port), hostname);
  socket.write(`POST /scim/v2/stop/Users HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\n`
    + `Content-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\n\r\n${body.slice(0, half)}`);
  const response = new Promise<{ raw: string; status?: number; error?: string }>((resolve) => {
    let raw = '';
    let error: string | undefined;
    socket.setEncoding('utf8').on('data', (d: string) => { raw += d; });
    socket.on('error', (err: NodeJS.ErrnoException) => { error = err.code ?? err.message; });
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      resolve({ raw, status: m ? Number(m[1]) : undefined, error });
    });
  });
  return { response, sendRest: () => socket.write(body.slice(half)) };
}

/** A server with the given shutdown timeout, and one request it has accepted whose body never ends. */
async function serveHolding(shutdownTimeoutMs: string, requestId: string, userName: string) {
  const db = await testDatabase();
  cleanups.push(db.drop);
  const token = createTenantCli(db.url, 'stop');
  const p = await startProcess(db.url, { ...ENV, ROLLCALL_SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs });
  cleanups.push(() => p.stop());
  const exit = exited(p);
  const held = heldRequest(p.url, token, requestId, userName);
  await until('the held request is accepted', () => p.output().includes(`"reqId":"${requestId}"`));
  return { db, token, p, exit, held };
}

function exited(p: RollcallProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) resolve({ code: p.child.exitCode, signal: p.child.signalCode });
    else p.child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** The JSON log lines of a process whose message starts with `prefix`. */
function logLines(p: RollcallProcess, prefix: string): Record<string, unknown>[] {
  return p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix));
}

/** Every userName of the tenant, through SCIM, page by page. */
async function userNames(url: string, token: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (let start = 1; ; start += 500) {
    const res = await fetch(`${url}/scim/v2/stop/Users?attributes=userName&count=500&startIndex=${start}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const page = await res.json() as { Resources?: { userName: string }[]; totalResults: number };
    for (const u of page.Resources ?? []) names.add(u.userName);
    if (!page.Resources?.length || start + 500 > page.totalResults) return names;
  }
}

test('SIGTERM under concurrent writes: every accepted request answered 2xx, every user kept, every event delivered after a restart', { timeout: 180_000 }, async (t) => {
  const db = await testDatabase();
  cleanups.push(db.drop);
  const token = createTenantCli(db.url, 'stop');
  // Slower than the writes come, so deliveries are in flight and behind when the SIGTERM lands.
  const receiver = await startReceiver(() => ({ status: 204, delayMs: 30 }));
  cleanups.push(() => receiver.close());
  const store = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  cleanups.push(() => store.close());
  const tenant = (await store.findTenantBySlug('stop'))!;
  await new WebhookEndpoints(store, systemClock, { allowHttp: true, allowPrivateAddresses: true }).create(tenant, { url: receiver.url, types: ['user.created'] });

  const first = await startProcess(db.url, ENV);
  cleanups.push(() => first.stop());
  const exit = exited(first);
  const outcomes: Outcome[] = [];
  let answered = 0;
  let sigtermSent!: () => void;
  const sigterm = new Promise<void>((r) => { sigtermSent = r; });
  const clients = Array.from({ length: CLIENTS }, (_, n) => client(first.url, token, n, outcomes, () => { answered++; }));

  await until('the load is under way', () => answered >= BEFORE_SIGTERM, 60_000);
  await until('webhooks are being delivered', () => receiver.received.length >= 3, 60_000);
  // One request deterministically in flight across the SIGTERM: accepted (its headers read and
  // logged), its body finished only once the shutdown has begun.
  const held = heldRequest(first.url, token, 'held-across-sigterm', 'held@stop.example');
  await until('the held request is accepted', () => first.output().includes('"reqId":"held-across-sigterm"'));
  first.child.kill('SIGTERM');
  sigtermSent();
  await until('the shutdown has begun', () => first.output().includes('shutdown started: SIGTERM received'));
  held.sendRest();
  await sigterm;
  await Promise.all(clients);
  const { code } = await exit;
  const heldAnswer = await held.response;

  // The process: exit 0, and the log lines that say what happened.
  assert.equal(code, 0, first.output().slice(-3000));
  const [started] = logLines(first, 'shutdown started: SIGTERM received');
  assert.equal(started.signal, 'SIGTERM');
  assert.ok(Number(started.requestsInFlight) >= 1, 'the held request was in flight');
  const [done] = logLines(first, 'shutdown done');
  assert.equal(done.exitCode, 0);
  assert.deepEqual(Object.keys(done.requests as object).sort(), ['acceptedDuring', 'cut', 'inFlightAtStart']);
  assert.equal((done.requests as { cut: number }).cut, 0);
  for (const k of ['requestsMs', 'deliveryMs', 'totalMs']) assert.equal(typeof done[k], 'number', k);

  // The request in flight at the SIGTERM was answered, and told the client to close the connection.
  assert.equal(heldAnswer.status, 201, heldAnswer.raw || heldAnswer.error);
  assert.match(heldAnswer.raw, /\r\nconnection: close\r\n/i);

  // Every answer was a 201 (never a 500 or a 503); requests without an answer were refused
  // connections or connections closed before the request was read.
  const statuses = outcomes.filter((o) => o.status !== undefined);
  const unanswered = outcomes.filter((o) => o.status === undefined);
  assert.deepEqual(statuses.filter((o) => o.status !== 201), [], 'every answer was 201 Created');
  assert.ok(statuses.length >= BEFORE_SIGTERM);
  // A busy keep-alive connection is told to close (its next answer says so), never reset under a
  // request: each client's only unanswered request is the one refused a new connection.
  assert.deepEqual(unanswered.map((o) => o.error), Array(CLIENTS).fill('ECONNREFUSED'), 'each client ends on a refused connection, and only there');
  // The request log's buffer was written before the database closed: the request answered during
  // the shutdown is in it.
  const logged = await store.listRequestLog(tenant.id, { requestId: 'held-across-sigterm' }, { limit: 10 });
  assert.deepEqual(logged.map((e) => [e.method, e.status]), [['POST', 201]]);
  const delivered = new Set(receiver.received.map((r) => r.id));
  t.diagnostic(`${statuses.length} answered, ${unanswered.length} unanswered (${[...new Set(unanswered.map((o) => o.error))].join(', ')}); `
    + `shutdown: ${JSON.stringify(done.requests)} in ${String(done.totalMs)} ms; ${delivered.size} events delivered before the exit`);

  // Restart: every user answered for is there, none that was not answered for, and every event of
  // them is delivered — by the second process, at once, from where the first left off.
  const second = await startProcess(db.url, ENV);
  cleanups.push(() => second.stop());
  const names = await userNames(second.url, token);
  const created = [...statuses.map((o) => o.userName), 'held@stop.example'];
  assert.deepEqual(created.filter((n) => !names.has(n)), [], 'every user answered 201 exists');
  assert.deepEqual(unanswered.filter((o) => names.has(o.userName)).map((o) => `${o.userName}: ${o.error}`), [], 'no request without an answer was carried out');
  assert.equal(names.size, created.length);
  assert.ok(delivered.size < created.length, `deliveries were behind at the SIGTERM (${delivered.size} of ${created.length} delivered), so the first process had streams to release`);

  await until('every user.created event is delivered', () => new Set(receiver.received.map((r) => r.id)).size === created.length, 60_000);
  const events = await store.streamEvents(tenant.id, 0, ['user.created'], 100_000);
  assert.deepEqual(new Set(receiver.received.map((r) => r.id)), new Set(events.map((e) => e.id)), 'the outbox and the deliveries match');
  assert.deepEqual(new Set(receiver.received.map((r) => (JSON.parse(r.body) as { data: { user: { userName: string } } }).data.user.userName)), new Set(created));
  // The first process recorded every delivery it made before releasing its stream: none is sent twice.
  assert.equal(receiver.received.length, created.length, 'no event delivered twice');
});

test('a request held open past ROLLCALL_SHUTDOWN_TIMEOUT_MS is cut, logged, and the process exits 1', { timeout: 120_000 }, async () => {
  const { db, token, p, exit, held } = await serveHolding('1000', 'held-too-long', 'cut@stop.example');
  p.child.kill('SIGTERM');
  const { code } = await exit;
  assert.equal(code, 1, p.output().slice(-3000));
  const answer = await held.response;
  assert.equal(answer.status, undefined, 'the cut request got no answer');
  const [cut] = logLines(p, 'shutdown: 1 request(s) still in flight');
  assert.equal(cut.requestsCut, 1);
  assert.equal(cut.shutdownTimeoutMs, 1000);
  const [done] = logLines(p, 'shutdown done');
  assert.equal(done.exitCode, 1);
  assert.equal((done.requests as { cut: number }).cut, 1);
  // Nothing was done for it: the user does not exist.
  const again = await startProcess(db.url, ENV);
  cleanups.push(() => again.stop());
  assert.deepEqual([...(await userNames(again.url, token))], []);
});

test('a second SIGTERM during the shutdown exits at once with 143', { timeout: 120_000 }, async () => {
  const { p, exit, held } = await serveHolding('600000', 'held-forever', 'forever@stop.example');
  p.child.kill('SIGTERM');
  await until('the shutdown has begun', () => p.output().includes('shutdown started: SIGTERM received'));
  p.child.kill('SIGTERM');
  const { code } = await exit;
  assert.equal(code, 143, p.output().slice(-3000));
  const [again] = logLines(p, 'SIGTERM received again during shutdown');
  assert.equal(again.exitCode, 143);
  assert.equal(again.requestsInFlight, 1);
  assert.equal((await held.response).status, undefined);
});
