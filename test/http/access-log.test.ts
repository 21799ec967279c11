// The access log as an operator's log pipeline reads it (ROLLCALL_ACCESS_LOG=on, docs/operations.md
// "Logs"): exactly one line per request, carrying method, redacted path, status, duration, bytes,
// tenant, request id and user agent, in place of Fastify's two lines; never a token or a body. The
// real server's logger configuration writes into a captured stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';

interface Line {
  msg: string; level: number; reqId?: string; tenant?: string; responseTime?: number; bytes?: number; userAgent?: string;
  req?: { method: string; url: string }; res?: { statusCode: number; scimType?: string };
}

const output: string[] = [];
const stream = { write: (line: string) => { output.push(line); } };
const lines = () => output.map((l) => JSON.parse(l) as Line);
const slug = `access-${process.pid}`;
let server: TestServer;

before(async () => {
  server = await startTestServer({ tenant: slug, config: { logLevel: 'info', accessLog: true }, server: { logger: { stream } } });
});
after(async () => { await server?.close(); });

test('one line per request with method, path, status, duration, bytes, tenant, request id and user agent; no token', async () => {
  const res = await fetch(`${server.scimUrl}/Users?count=1`, { headers: { authorization: `Bearer ${server.token}`, 'x-request-id': 'access-one', 'user-agent': 'Okta SCIM Client 1.0.0' } });
  assert.equal(res.status, 200);
  const body = await res.arrayBuffer();
  const mine = lines().filter((l) => l.reqId === 'access-one');
  assert.equal(mine.length, 1, `one line, not Fastify's two: ${JSON.stringify(mine)}`);
  const [line] = mine;
  assert.equal(line.msg, 'request');
  assert.equal(line.level, 30);
  assert.equal(line.req?.method, 'GET');
  assert.equal(line.req?.url, `/scim/v2/${slug}/Users?count=1`);
  assert.equal(line.res?.statusCode, 200);
  assert.equal(line.tenant, slug);
  assert.equal(line.bytes, body.byteLength);
  assert.equal(typeof line.responseTime, 'number');
  assert.equal(line.userAgent, 'Okta SCIM Client 1.0.0');
  assert.ok(!output.join('').includes(server.token), 'the token is never logged');
  assert.ok(!lines().some((l) => l.msg === 'incoming request' || l.msg === 'request completed'));
});

test("a failed SCIM request's line carries its scimType; a setup link's token in a path is cut out", async () => {
  const bad = await fetch(`${server.scimUrl}/Users?filter=bad%20filter`, { headers: { authorization: `Bearer ${server.token}`, 'x-request-id': 'access-bad' } });
  assert.equal(bad.status, 400);
  await bad.arrayBuffer();
  const line = lines().find((l) => l.reqId === 'access-bad');
  assert.equal(line?.res?.statusCode, 400);
  assert.equal(line?.res?.scimType, 'invalidFilter');

  const pasted = await fetch(`${server.baseUrl}/setup/rcl_secretsetuplinktoken123`, { headers: { 'x-request-id': 'access-setup' } });
  await pasted.arrayBuffer();
  const setup = lines().find((l) => l.reqId === 'access-setup');
  assert.equal(setup?.req?.url, '/setup/[redacted]');
  assert.ok(!output.join('').includes('rcl_secretsetuplinktoken123'));
});

test("Rollcall's own lines about a request carry its request id, as Fastify's do (a readiness failure's warning here)", async () => {
  // The schema table gone under the running server: /readyz logs why it is not ready.
  await server.query('ALTER TABLE schema_migrations RENAME TO schema_migrations_away');
  try {
    const res = await fetch(`${server.baseUrl}/readyz`, { headers: { 'x-request-id': 'access-ready' } });
    assert.equal(res.status, 503);
    await res.arrayBuffer();
    const mine = lines().filter((l) => l.reqId === 'access-ready');
    assert.deepEqual(mine.map((l) => [l.level, l.msg]), [[40, 'readiness: the database did not answer'], [30, 'request']]);
  } finally {
    await server.query('ALTER TABLE schema_migrations_away RENAME TO schema_migrations');
  }
});
