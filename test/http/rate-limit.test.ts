// The per-tenant SCIM limits through the real server (docs/rate-limits.md): over the request rate or
// the requests-in-progress limit, a 429 SCIM error with an integer Retry-After; a tenant's settings
// override the server defaults; only authenticated requests count; a /Bulk request counts each
// operation; a slot is given back however the request ends; and one tenant's flood leaves another
// tenant's requests alone. Time moves only when the test moves the clock, so nothing here sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { DEFAULTS, loadConfig, ConfigError } from '../../src/config/config.ts';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { expectScimError } from '../support/scim-errors.ts';
import { asBrowser, openSetupLink } from '../support/console-session.ts';
import { runCli } from '../../harness/processes.ts';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

// The server default: a burst of 5 and 2 in progress, small enough to reach; the rate is what the
// clock makes it, as the clock moves only when told.
const clock = new ManualClock(Date.now());
let server: AdminTestServer;
before(async () => {
  server = await startAdminServer({
    tenant: 'rl-first',
    config: { rateLimit: { ...DEFAULTS.rateLimit, enabled: true, requestsPerSecond: 2, burst: 5, concurrentRequests: 2 } },
    server: { clock },
  });
});
after(async () => { await server?.close(); });

type Tenant = { slug: string; scimUrl: string; token: string };
let made = 0;
async function tenant(limits?: Record<string, number>): Promise<Tenant> {
  const slug = `rl-${++made}`;
  const t = await server.createTenant(slug);
  if (limits) {
    const put = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { limits } });
    assert.equal(put.status, 200, put.text);
  }
  return { slug, ...t };
}

const get = (t: Tenant, path = '/Users?count=1', token = t.token) => fetch(`${t.scimUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
async function statuses(t: Tenant, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) { const r = await get(t); await r.arrayBuffer(); out.push(r.status); }
  return out;
}

test('over the request rate: 429, an integer Retry-After and a SCIM error naming the limit; refused requests spend nothing; after Retry-After the tenant is admitted again', async () => {
  const t = await tenant({ requestsPerSecond: 2, burst: 3 });
  assert.deepEqual(await statuses(t, 3), [200, 200, 200], 'the burst is admitted at once');
  const refused = await get(t);
  assert.equal(refused.status, 429);
  const retryAfter = refused.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^[1-9][0-9]*$/, 'Retry-After is a whole number of seconds');
  assert.equal(retryAfter, '1', 'one request at 2 per second is half a second away: rounded up to 1');
  const body = await expectScimError(refused, 429, undefined, /2 per second.*bursts of up to 3.*Retry after 1 second/);
  assert.equal(body.scimType, undefined, 'RFC 7644 has no scimType for 429: none is sent');

  // Refused again and again: nothing is spent, so half a second later one request is due.
  for (let i = 0; i < 5; i++) assert.equal((await get(t)).status, 429);
  clock.advance(500);
  assert.deepEqual(await statuses(t, 2), [200, 429], 'the rate paid back one request, no more');
  clock.advance(10_000);
  assert.deepEqual(await statuses(t, 4), [200, 200, 200, 429], 'a long pause refills the bucket to its burst, not beyond');
});

test("a tenant's settings override the server defaults value by value; other tenants keep the defaults", async () => {
  const plain = await tenant();
  const roomy = await tenant({ burst: 8 });
  assert.deepEqual(await statuses(plain, 6), [200, 200, 200, 200, 200, 429], 'the server default burst is 5');
  assert.deepEqual(await statuses(roomy, 9), [200, 200, 200, 200, 200, 200, 200, 200, 429], 'this tenant chose 8');
  const refused = await get(roomy);
  await expectScimError(refused, 429, undefined, /2 per second/);

  // The settings read back say what the tenant chose, and only that (the rest follows the server).
  const read = await server.admin('GET', `/tenants/${roomy.slug}/settings`);
  assert.deepEqual(read.body.settings.limits, { burst: 8 });
  assert.deepEqual((await server.admin('GET', `/tenants/${plain.slug}/settings`)).body.settings.limits, {});
  // Beside the document, the values in force: what support compares with a tenant's 429s.
  assert.deepEqual(read.body.limitsInForce, { enabled: true, requestsPerSecond: 2, burst: 8, concurrentRequests: 2 });
  assert.deepEqual((await server.admin('GET', `/tenants/${plain.slug}/settings`)).body.limitsInForce, { enabled: true, requestsPerSecond: 2, burst: 5, concurrentRequests: 2 });
  const raised = await server.admin('PUT', `/tenants/${plain.slug}/settings`, { body: { limits: { concurrentRequests: 7, requestsPerSecond: 0.5 } } });
  assert.equal(raised.status, 200, raised.text);
  assert.deepEqual(raised.body.limitsInForce, { enabled: true, requestsPerSecond: 0.5, burst: 5, concurrentRequests: 7 }, 'the replacement answers the new values in force');
});

test('limits the settings cannot hold are refused at their pointer, unknown keys included; nothing changes', async () => {
  const t = await tenant({ burst: 4 });
  for (const [limits, field] of [
    [{ burst: 0 }, 'limits.burst'],
    [{ burst: 2.5 }, 'limits.burst'],
    [{ requestsPerSecond: -1 }, 'limits.requestsPerSecond'],
    [{ requestsPerSecond: '10' }, 'limits.requestsPerSecond'],
    [{ concurrentRequests: 1e9 }, 'limits.concurrentRequests'],
    [{ rps: 10 }, 'limits.rps'],
  ] as const) {
    const put = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { limits } });
    expectProblem(put, 400, { field });
  }
  expectProblem(await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { limits: 10 } }), 400);
  assert.deepEqual((await server.admin('GET', `/tenants/${t.slug}/settings`)).body.settings.limits, { burst: 4 });
});

test("only authenticated requests count: a flood of bad tokens spends nothing of the tenant's budget", async () => {
  const t = await tenant({ burst: 3 });
  for (let i = 0; i < 20; i++) {
    const r = await get(t, '/Users', 'rc_not-a-real-token');
    assert.equal(r.status, 401);
    await r.arrayBuffer();
  }
  assert.deepEqual(await statuses(t, 4), [200, 200, 200, 429]);
});

test("failed authentications on a tenant URL are limited, sparing the database, while the tenant's own token still works", async () => {
  const t = await tenant();
  const other = await tenant();
  assert.equal((await get(t)).status, 200, "the identity provider's token, accepted before the flood");
  const answers: number[] = [];
  let refused: Response | undefined;
  for (let i = 0; i < 110; i++) {
    const r = await get(t, '/Users', 'rc_made-up-token');
    answers.push(r.status);
    if (r.status === 429) refused ??= r; else await r.arrayBuffer();
  }
  assert.deepEqual(answers, [...Array(100).fill(401), ...Array(10).fill(429)], 'a burst of 100 failures, then 429 without a lookup');
  assert.equal(refused!.headers.get('retry-after'), '1');
  await expectScimError(refused!, 429, undefined, /failed authentications on this tenant's URL/);
  assert.equal((await get(t)).status, 200, 'the token this process accepted lately goes through');
  assert.equal((await get(other, '/Users', 'rc_made-up-token')).status, 401, "another tenant's URL counts its own failures");
  clock.advance(1_000);
  assert.deepEqual(await Promise.all([1, 2].map(async () => (await get(t, '/Users', 'rc_made-up-token')).status)), [401, 401], 'ten failures a second are let through again');
});

test('a /Bulk request counts each of its operations: the tenant then waits until the rate has paid them back', async () => {
  const t = await tenant({ requestsPerSecond: 1, burst: 5 });
  const operations = Array.from({ length: 10 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `b${i}`, data: { schemas: [USER_SCHEMA], userName: `bulk${i}@rl.example` } }));
  const bulk = await fetch(`${t.scimUrl}/Bulk`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: [BULK_REQUEST], Operations: operations }) });
  assert.equal(bulk.status, 200, 'a Bulk request is admitted whole while the bucket is not empty');
  assert.equal(((await bulk.json()) as { Operations: unknown[] }).Operations.length, 10);
  // 5 in the bucket, 10 charged: 5 owed, and one more to be admitted, at 1 per second.
  const refused = await get(t);
  assert.equal(refused.headers.get('retry-after'), '6');
  await expectScimError(refused, 429, undefined, /1 per second/);
  clock.advance(5_000);
  assert.equal((await get(t)).status, 429, 'still owed');
  clock.advance(1_000);
  assert.equal((await get(t)).status, 200, 'paid back');
});

/**
 * A SCIM POST whose body is held back: the request is in progress (admitted when its headers
 * arrived) until `finish` sends the rest, or `abort` drops the connection. What a slow client does.
 */
function heldRequest(t: Tenant): { finish(): Promise<number>; abort(): void } {
  const url = new URL(`${t.scimUrl}/Users`);
  const body = JSON.stringify({ schemas: [USER_SCHEMA], userName: `held-${Math.random().toString(36).slice(2)}@rl.example` });
  const socket: Socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => { /* aborted on purpose */ });
  let received = '';
  socket.on('data', (d: Buffer) => { received += d.toString(); });
  const half = Math.floor(body.length / 2);
  socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`);
  return {
    finish: () => new Promise((resolve) => {
      socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)));
      socket.write(body.slice(half));
    }),
    abort: () => { socket.destroy(); },
  };
}

/** Asks until the answer is `status` (at most `tries` times): for what the server does after a socket event. */
async function until(t: Tenant, status: number, tries = 500): Promise<Response> {
  for (let i = 0; i < tries; i++) {
    const r = await get(t, '/ServiceProviderConfig');
    if (r.status === status) return r;
    await r.arrayBuffer();
  }
  assert.fail(`never answered ${status} in ${tries} requests`);
}

test('requests in progress: over the limit is 429 naming it; the slots come back once the requests are answered', async () => {
  const t = await tenant({ requestsPerSecond: 1_000_000, burst: 1_000_000, concurrentRequests: 2 });
  const [first, second] = [heldRequest(t), heldRequest(t)];
  const refused = await until(t, 429);
  assert.equal(refused.headers.get('retry-after'), '1');
  await expectScimError(refused, 429, undefined, /in progress at once: the limit is 2 at a time/);
  assert.deepEqual(await Promise.all([first.finish(), second.finish()]), [201, 201], 'the held requests complete normally');
  await until(t, 200);
});

test('a slot comes back however a request ends: answered, failed, or its client gone', async () => {
  // One slot: a slot kept by mistake would refuse every later request, so each step shows its release.
  const t = await tenant({ requestsPerSecond: 1_000_000, burst: 1_000_000, concurrentRequests: 1 });
  for (let i = 0; i < 3; i++) assert.equal((await get(t, '/Users/no-such-user')).status, 404);
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${t.scimUrl}/Users`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: '{not json' })).status, 400);
  assert.equal((await get(t)).status, 200, 'failed requests gave their slot back');

  const answered = heldRequest(t);
  await until(t, 429);
  assert.equal(await answered.finish(), 201);
  await until(t, 200);

  const abandoned = heldRequest(t);
  await until(t, 429);
  abandoned.abort();
  await until(t, 200);
  assert.equal((await get(t)).status, 200, 'the abandoned request gave its slot back');
});

test("a flood from one tenant does not touch another's requests: every one of them is answered, none refused", async (t) => {
  const flooded = await tenant({ requestsPerSecond: 5, burst: 5, concurrentRequests: 2 });
  const quiet = await tenant({ burst: 1000 });
  const answers = { flooded: new Map<number, number>(), quiet: [] as number[], retryAfter: new Set<string>() };
  const calm = await medianMs(() => get(quiet, '/Users?count=1'), 20);
  let stop = false;
  // 32 clients of the flooded tenant, each sending again as soon as it is answered.
  const flood = Array.from({ length: 32 }, async () => {
    while (!stop) {
      const r = await get(flooded);
      await r.arrayBuffer();
      answers.flooded.set(r.status, (answers.flooded.get(r.status) ?? 0) + 1);
      if (r.status === 429) answers.retryAfter.add(r.headers.get('retry-after') ?? '');
    }
  });
  // Meanwhile the quiet tenant works as an identity provider would: lookups, creates, updates.
  const during: number[] = [];
  for (let i = 0; i < 60; i++) {
    const started = performance.now();
    const r = i % 3 === 0
      ? await fetch(`${quiet.scimUrl}/Users`, { method: 'POST', headers: { authorization: `Bearer ${quiet.token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: [USER_SCHEMA], userName: `quiet${i}@rl.example` }) })
      : await get(quiet, `/Users?filter=${encodeURIComponent(`userName eq "quiet${i - (i % 3)}@rl.example"`)}`);
    await r.arrayBuffer();
    during.push(performance.now() - started);
    answers.quiet.push(r.status);
  }
  stop = true;
  await Promise.all(flood);
  assert.deepEqual(answers.quiet, Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 201 : 200)), 'the quiet tenant was never refused');
  assert.ok((answers.flooded.get(429) ?? 0) > 60, `the flooded tenant was refused: ${JSON.stringify([...answers.flooded])}`);
  assert.ok((answers.flooded.get(200) ?? 0) >= 5, 'and admitted up to its limits');
  assert.deepEqual([...answers.flooded.keys()].sort(), [200, 429], 'nothing but 200 and 429: no failures under the flood');
  for (const v of answers.retryAfter) assert.match(v, /^[1-9][0-9]*$/);
  // Latency is noise on a shared machine: reported, never asserted.
  t.diagnostic(`quiet tenant median ${calm.toFixed(1)} ms alone, ${median(during).toFixed(1)} ms under the flood; flooded tenant answers ${JSON.stringify(Object.fromEntries(answers.flooded))}`);
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function medianMs(send: () => Promise<Response>, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) { const started = performance.now(); await (await send()).arrayBuffer(); times.push(performance.now() - started); }
  return median(times);
}

test("a setup link's writes are limited per tenant: 30 at once, then one every 10 seconds; reads, sign-out and the vendor's own keys are not", async () => {
  const t = await tenant();
  const other = await tenant();
  const link = async (slug: string) => {
    const made = await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { note: 'Acme IT' } });
    assert.equal(made.status, 201, made.text);
    return made.body.token as string;
  };
  const token = await link(t.slug);
  const session = await openSetupLink(server.baseUrl, token); // the first write: a session made
  const create = () => asBrowser(server.baseUrl, session, 'POST', `/tenants/${t.slug}/tokens`, { body: { name: 'Okta' } });
  for (let i = 0; i < 29; i++) assert.equal((await create()).status, 201);
  const refused = await create();
  expectProblem(refused, 429, { type: 'too-many-requests', detail: /too many changes.*Retry after 10 seconds/ });
  assert.equal(refused.headers.get('retry-after'), '10');
  assert.equal(refused.body.reason, 'setupWrites');
  expectProblem(await server.admin('POST', '/setup/sessions', { key: null, body: { token } }), 429, { type: 'too-many-requests' });

  assert.equal((await asBrowser(server.baseUrl, session, 'GET', `/tenants/${t.slug}/tokens`)).status, 200, 'reading is not limited');
  assert.equal((await server.admin('POST', `/tenants/${t.slug}/tokens`, { body: { name: 'vendor' } })).status, 201, "the vendor's admin key is not limited");
  const otherSession = await openSetupLink(server.baseUrl, await link(other.slug));
  assert.equal((await asBrowser(server.baseUrl, otherSession, 'POST', `/tenants/${other.slug}/tokens`, { body: { name: 'Okta' } })).status, 201, 'another tenant counts its own');

  clock.advance(10_000);
  assert.equal((await create()).status, 201, 'ten seconds later, one more');
  assert.equal((await create()).status, 429);
  assert.equal((await asBrowser(server.baseUrl, session, 'DELETE', '/sessions/current')).status, 204, 'signing out is never refused');
});

test("the default limits never get in the way of what Okta and Entra send: rollcall check passes every sequence", async () => {
  // The server defaults as this tenant's own settings (the server of this file has small ones), on a
  // clock that does not move: the burst alone has to hold the whole run.
  const { requestsPerSecond, burst, concurrentRequests } = DEFAULTS.rateLimit;
  const t = await tenant({ requestsPerSecond, burst, concurrentRequests });
  const r = await runCli(['check', t.scimUrl, '--token', t.token, '--json'], 120_000);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const report = JSON.parse(r.stdout) as { ok: boolean; summary: { passed: number } };
  assert.equal(report.ok, true);
  assert.ok(report.summary.passed >= 45, `${report.summary.passed} steps passed`);
});

test('server defaults come from ROLLCALL_RATE_LIMIT_*, checked at start-up; ROLLCALL_RATE_LIMIT=off turns the limits off', () => {
  assert.deepEqual(loadConfig({}, {}).rateLimit, { enabled: true, requestsPerSecond: 100, burst: 1000, concurrentRequests: 20 });
  assert.deepEqual(loadConfig({}, { ROLLCALL_RATE_LIMIT_REQUESTS_PER_SECOND: '25', ROLLCALL_RATE_LIMIT_BURST: '50', ROLLCALL_RATE_LIMIT_CONCURRENCY: '4' }).rateLimit,
    { enabled: true, requestsPerSecond: 25, burst: 50, concurrentRequests: 4 });
  assert.equal(loadConfig({}, { ROLLCALL_RATE_LIMIT: 'off' }).rateLimit.enabled, false);
  assert.throws(() => loadConfig({}, { ROLLCALL_RATE_LIMIT_BURST: '0' }), ConfigError);
  assert.throws(() => loadConfig({}, { ROLLCALL_RATE_LIMIT_CONCURRENCY: 'lots' }), /ROLLCALL_RATE_LIMIT_CONCURRENCY must be an integer/);
  assert.throws(() => loadConfig({}, { ROLLCALL_RATE_LIMIT: 'sometimes' }), /ROLLCALL_RATE_LIMIT must be true or false/);
});
