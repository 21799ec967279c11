// /metrics as an operator's Prometheus reads it (docs/operations.md, "Metrics"): counts that move
// with real requests and deliveries, labelled by route patterns (never a URL, a user id or a tenant
// slug unless asked for), readable only with the token or on the separate address, and absent
// (404) when neither is configured. Real server, real database, real HTTP, a real webhook receiver;
// delivery runs in its own thread, so its counts cross the thread boundary as in production.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../src/config/config.ts';
import { WebhookEndpoints } from '../../src/events/endpoints.ts';
import { systemClock } from '../../src/provisioning/clock.ts';
import { createTenantCli, freePort, startProcess } from '../../harness/processes.ts';
import { scratchDatabase } from '../../harness/databases.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { TEST_DATABASE } from '../support/test-database.ts';
import { startReceiver, until, type Receiver } from '../support/webhook-receiver.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const slug = `metrics-${process.pid}`;
const failingSlug = `metrics-failing-${process.pid}`;

let server: TestServer;
let failing: { scimUrl: string; token: string };
let ok: Receiver;
let broken: Receiver;

before(async () => {
  ok = await startReceiver(() => ({ status: 204 }));
  broken = await startReceiver(() => ({ status: 500 }));
  server = await startTestServer({
    tenant: slug,
    config: {
      metrics: { token: TOKEN, tenants: 0 },
      webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 5000 },
      // A failed delivery waits an hour before its retry: the backlog stays visible while the test reads it.
      delivery: { ...DEFAULTS.delivery, pollMs: 50, retryScheduleMs: [3_600_000] },
    },
  });
  failing = await server.createTenant(failingSlug);
  const endpoints = new WebhookEndpoints(server.running.store, systemClock, { allowHttp: true, allowPrivateAddresses: true });
  await endpoints.create((await server.running.store.findTenantBySlug(slug))!, { url: ok.url });
  await endpoints.create((await server.running.store.findTenantBySlug(failingSlug))!, { url: broken.url });
});
after(async () => {
  await server?.close();
  await ok?.close();
  await broken?.close();
});

const scrape = async (token = TOKEN) => {
  const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

/** The value of the sample whose name and labels are exactly these (undefined: no such sample). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const scim = (url: string, token: string, init: RequestInit = {}) =>
  fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...(init.headers ?? {}) } });

test('/metrics refuses a request without the token, or with a wrong one, with 401 and says how to ask', async () => {
  const none = await fetch(`${server.baseUrl}/metrics`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.match(((await none.json()) as { message: string }).message, /ROLLCALL_METRICS_TOKEN/);
  assert.equal((await scrape('metrics-token-0123456789abcdeX')).status, 401);
  assert.equal((await scrape(server.token)).status, 401, "a tenant's SCIM token does not open /metrics");
});

test('request counts and latencies move, labelled by route pattern, method and status class, never by URL, id or tenant', async () => {
  const created = await scim(`${server.scimUrl}/Users`, server.token, { method: 'POST', body: JSON.stringify({ schemas: [USER], userName: `m1.${process.pid}@example.com` }) });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  const route = { route: '/scim/v2/:tenant/Users/:id', method: 'GET', status_class: '2xx' };
  const before = sample((await scrape()).text, 'rollcall_http_request_duration_seconds_count', route) ?? 0;
  for (let i = 0; i < 3; i++) assert.equal((await scim(`${server.scimUrl}/Users/${id}`, server.token)).status, 200);
  await (await fetch(`${server.baseUrl}/no/such/${id}`)).arrayBuffer();

  const { status, type, text } = await scrape();
  assert.equal(status, 200);
  assert.match(type ?? '', /^text\/plain; version=0\.0\.4/);
  assert.equal(sample(text, 'rollcall_http_request_duration_seconds_count', route), before + 3);
  assert.ok((sample(text, 'rollcall_http_request_duration_seconds_bucket', { ...route, le: '+Inf' }) ?? 0) >= 3);
  assert.ok((sample(text, 'rollcall_http_request_duration_seconds_sum', route) ?? 0) > 0);
  assert.equal(sample(text, 'rollcall_http_request_duration_seconds_count', { route: '/scim/v2/:tenant/Users', method: 'POST', status_class: '2xx' }), 1);
  assert.equal(sample(text, 'rollcall_http_request_duration_seconds_count', { route: '(unmatched)', method: 'GET', status_class: '4xx' }), 1);
  // Nothing that names a user, a tenant or a secret.
  assert.ok(!text.includes(id), 'no resource id');
  assert.ok(!text.includes(slug), 'no tenant slug (per-tenant counters are off by default)');
  assert.ok(!text.includes(TOKEN) && !text.includes(server.token), 'no token');
  assert.ok(!text.includes('example.com'), 'no user name');
});

test('SCIM errors are counted by scimType and status', async () => {
  const bad = await scim(`${server.scimUrl}/Users?filter=${encodeURIComponent('userName zz "x"')}`, server.token);
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { scimType: string }).scimType, 'invalidFilter');
  assert.equal((await scim(`${server.scimUrl}/Users/00000000-0000-0000-0000-000000000000`, server.token)).status, 404);
  const { text } = await scrape();
  assert.ok((sample(text, 'rollcall_scim_errors_total', { scim_type: 'invalidFilter', status: '400' }) ?? 0) >= 1, text.split('\n').filter((l) => l.includes('scim_errors')).join('\n'));
  assert.ok((sample(text, 'rollcall_scim_errors_total', { scim_type: 'none', status: '404' }) ?? 0) >= 1);
});

test("webhook deliveries are counted by outcome across the delivery thread, and a failing endpoint's backlog shows as pending with its age", async () => {
  const made = await scim(`${failing.scimUrl}/Users`, failing.token, { method: 'POST', body: JSON.stringify({ schemas: [USER], userName: `m2.${process.pid}@example.com` }) });
  assert.equal(made.status, 201);
  assert.equal((await scim(`${server.scimUrl}/Users`, server.token, { method: 'POST', body: JSON.stringify({ schemas: [USER], userName: `m3.${process.pid}@example.com` }) })).status, 201);
  let text = '';
  await until('a delivered and a failed webhook attempt counted', async () => {
    text = (await scrape()).text;
    return (sample(text, 'rollcall_delivery_attempts_total', { kind: 'webhook', outcome: 'delivered' }) ?? 0) >= 1
      && (sample(text, 'rollcall_delivery_attempts_total', { kind: 'webhook', outcome: 'failed' }) ?? 0) >= 1;
  });
  assert.ok(ok.received.length >= 1 && broken.received.length >= 1);
  // The failing tenant's stream waits out its backoff: its events are pending, the oldest aged.
  assert.ok((sample(text, 'rollcall_outbox_pending_events', { kind: 'webhook' }) ?? 0) >= 1, text.split('\n').filter((l) => l.includes('outbox')).join('\n'));
  assert.ok((sample(text, 'rollcall_outbox_oldest_pending_seconds', { kind: 'webhook' }) ?? -1) >= 0);
  assert.equal(sample(text, 'rollcall_outbox_pending_events', { kind: 'email' }), 0);
  assert.ok(!text.includes(failingSlug) && !text.includes(ok.url) && !text.includes(broken.url), 'no tenant or endpoint URL');
});

test('process metrics are in the per-server registry, and pool use where there is a pool', async () => {
  const { text } = await scrape();
  assert.notEqual(sample(text, 'process_cpu_user_seconds_total'), undefined);
  assert.notEqual(sample(text, 'nodejs_heap_size_used_bytes'), undefined);
  if (TEST_DATABASE === 'postgres') {
    assert.equal(sample(text, 'rollcall_db_pool_max'), DEFAULTS.dbPoolSize);
    assert.ok((sample(text, 'rollcall_db_pool_connections', { state: 'idle' }) ?? -1) >= 0);
    // The scrape's own backlog query may be waiting for its connection at that moment.
    assert.ok((sample(text, 'rollcall_db_pool_waiting') ?? -1) >= 0);
  } else {
    assert.ok(!text.includes('rollcall_db_pool'), 'SQLite has one connection and no pool to report');
  }
});

test('with neither a token nor an address, /metrics answers 404 like any unknown path', async () => {
  const plain = await startTestServer();
  try {
    const res = await fetch(`${plain.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  } finally { await plain.close(); }
});

test('ROLLCALL_METRICS_ADDRESS serves /metrics on its own listener without a token, and only there', async () => {
  const port = await freePort();
  const separate = await startTestServer({ config: { metrics: { address: { host: '127.0.0.1', port }, tenants: 0 } } });
  const at = `http://127.0.0.1:${port}`;
  try {
    await (await scim(`${separate.scimUrl}/Users`, separate.token)).arrayBuffer();
    const res = await fetch(`${at}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok((sample(text, 'rollcall_http_request_duration_seconds_count', { route: '/scim/v2/:tenant/Users', method: 'GET', status_class: '2xx' }) ?? 0) >= 1);
    assert.equal((await fetch(`${at}/other`)).status, 404);
    const main = await fetch(`${separate.baseUrl}/metrics`);
    assert.equal(main.status, 404, 'not on the main listener: no token was configured for it');
    await main.arrayBuffer();
  } finally { await separate.close(); }
  await assert.rejects(fetch(`${at}/metrics`), 'the listener closes with the server');
});

test('per-tenant counters, when opted into, count the first N tenants by slug and the rest together', async () => {
  const counted = await startTestServer({ tenant: `first-${process.pid}`, config: { metrics: { token: TOKEN, tenants: 1 } } });
  try {
    const second = await counted.createTenant(`second-${process.pid}`);
    for (let i = 0; i < 2; i++) await (await scim(`${counted.scimUrl}/Users`, counted.token)).arrayBuffer();
    await (await scim(`${second.scimUrl}/Users`, second.token)).arrayBuffer();
    // An unauthenticated request names no tenant: a made-up slug cannot take a place.
    await (await scim(`${counted.baseUrl}/scim/v2/made-up-${process.pid}/Users`, 'rcs_wrong')).arrayBuffer();
    const text = await (await fetch(`${counted.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.equal(sample(text, 'rollcall_scim_tenant_requests_total', { tenant: `first-${process.pid}` }), 2);
    assert.equal(sample(text, 'rollcall_scim_tenant_requests_total', { tenant: '(other)' }), 1);
    assert.ok(!text.includes(`second-${process.pid}`) && !text.includes(`made-up-${process.pid}`));
  } finally { await counted.close(); }
});

test('rollcall serve reads the metrics settings from its environment: token on the main port, a separate listener that stops with the process', async () => {
  const db = await scratchDatabase(TEST_DATABASE);
  const port = await freePort();
  const token = createTenantCli(db.url, `proc-${process.pid}`);
  const proc = await startProcess(db.url, { ROLLCALL_METRICS_TOKEN: TOKEN, ROLLCALL_METRICS_ADDRESS: `127.0.0.1:${port}` });
  try {
    await (await scim(`${proc.url}/scim/v2/proc-${process.pid}/Users`, token)).arrayBuffer();
    const viaToken = await fetch(`${proc.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(viaToken.status, 200);
    assert.equal(sample(await viaToken.text(), 'rollcall_http_request_duration_seconds_count', { route: '/scim/v2/:tenant/Users', method: 'GET', status_class: '2xx' }), 1);
    const separate = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(separate.status, 200);
    assert.match(await separate.text(), /^# HELP /m);
    assert.ok(!proc.output().includes(TOKEN), 'the token is never printed');
  } finally {
    await proc.stop();
    await db.drop();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the separate listener is gone with the process');
});
