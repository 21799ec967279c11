// The request log as an operator reads it: every line of a SCIM request names its tenant, and the
// line that closes a failed request says why (status, scimType, detail, reason), so a 409 can be
// understood from the log alone. Bodies and tokens never appear. The real server's own logger
// configuration writes into a captured stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';

interface LogLine { msg: string; level: number; reqId?: string; tenant?: string; res?: { statusCode: number; scimType?: string; detail?: string; reason?: string } }

const output: string[] = [];
const stream = { write: (line: string) => { output.push(line); } };
const lines = () => output.map((l) => JSON.parse(l) as LogLine);

let server: TestServer;
const slug = `logs-${process.pid}`;
const userName = `secret.person.${process.pid}@example.com`;

before(async () => {
  server = await startTestServer({ tenant: slug, config: { logLevel: 'info' }, server: { logger: { stream } } });
});
after(async () => { await server?.close(); });

const post = (requestId: string, body: unknown, token = server.token) => fetch(`${server.scimUrl}/Users`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'x-request-id': requestId },
  body: JSON.stringify(body),
});

test("a 409's log line names the tenant, the status, the scimType, the detail and the reason; no token or body appears", async () => {
  const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, name: { givenName: 'Secret' } };
  assert.equal((await post('log-create', user)).status, 201);
  const dup = await post('log-duplicate', user);
  assert.equal(dup.status, 409);
  const { detail } = await dup.json() as { detail: string };

  const mine = lines().filter((l) => l.reqId === 'log-duplicate');
  const done = mine.find((l) => l.msg === 'request completed');
  assert.ok(done, `a completion line for the request: ${JSON.stringify(mine)}`);
  assert.equal(done.tenant, slug);
  assert.deepEqual(done.res, { statusCode: 409, scimType: 'uniqueness', detail, reason: 'uniqueness' });
  for (const l of mine) assert.equal(l.tenant, slug, `every line of the request names the tenant: ${JSON.stringify(l)}`);

  const all = output.join('');
  assert.ok(!all.includes(server.token), 'the token is never logged');
  assert.ok(!all.includes(server.token.slice(4, 30)), 'nor a part of it');
  assert.ok(!/bearer/i.test(all), 'nor the Authorization header at all');
  assert.ok(!all.includes(userName) && !all.includes('Secret'), 'bodies are never logged');
});

test('a request refused for its token still names the tenant it was for', async () => {
  const res = await post('log-unauthenticated', { userName: 'x' }, 'rcs_not_a_real_token');
  assert.equal(res.status, 401);
  await res.arrayBuffer();
  const done = lines().find((l) => l.reqId === 'log-unauthenticated' && l.msg === 'request completed');
  assert.ok(done);
  assert.equal(done.tenant, slug);
  assert.equal(done.res?.statusCode, 401);
  assert.match(done.res?.detail ?? '', /token/);
  assert.ok(!output.join('').includes('rcs_not_a_real_token'), 'not even a wrong token is logged');
});
