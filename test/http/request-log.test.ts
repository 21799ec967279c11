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

test('attributes no schema of the tenant defines are ignored, and one warning per request names them (never their values)', async () => {
  const secretValue = `hidden-value-${process.pid}`;
  const res = await post('log-ignored', {
    userName: `ignored.${process.pid}@example.com`,
    favouriteColour: secretValue,
    'urn:ietf:params:scim:schemas:extension:acme:2.0:User': { costCentre: secretValue, badge: secretValue },
  });
  assert.equal(res.status, 201, 'ignored attributes are never fatal');
  const { id } = await res.json() as { id: string };
  const patch = await fetch(`${server.scimUrl}/Users/${id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/scim+json', 'x-request-id': 'log-ignored-patch' },
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [
      { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCentre', value: secretValue },
      { op: 'add', value: { nickName: 'Nick', shoeSize: secretValue } },
    ] }),
  });
  assert.equal(patch.status, 200);
  await patch.arrayBuffer();

  type Warning = LogLine & { ignoredAttributes?: string[]; ignoredCount?: number };
  const warning = (reqId: string) => (lines() as Warning[]).filter((l) => l.reqId === reqId && l.ignoredAttributes);
  // Written when the response has been sent (onResponse), which the client may see a moment earlier.
  for (let i = 0; i < 100 && !(warning('log-ignored').length && warning('log-ignored-patch').length); i++) await new Promise((r) => setTimeout(r, 10));
  const created = warning('log-ignored');
  assert.equal(created.length, 1, 'one warning for the request');
  assert.equal(created[0].level, 40, 'at level warn');
  assert.equal(created[0].tenant, slug);
  assert.deepEqual(created[0].ignoredAttributes, [
    'favouriteColour',
    'urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCentre',
    'urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge',
  ]);
  const patched = warning('log-ignored-patch');
  assert.equal(patched.length, 1);
  assert.deepEqual(patched[0].ignoredAttributes, ['urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCentre', 'shoeSize']);
  assert.ok(!output.join('').includes(secretValue), 'values are never logged');

  const plain = await post('log-nothing-ignored', { userName: `plain.${process.pid}@example.com` });
  assert.equal(plain.status, 201);
  await plain.arrayBuffer();
  assert.equal(warning('log-nothing-ignored').length, 0, 'no warning when nothing was ignored');
});

test("a setup link's token pasted into a URL path is not written to the log", async () => {
  const token = `rcl_${'A'.repeat(43)}`;
  await fetch(`${server.baseUrl}/setup/${token}?x=1`);
  const all = output.join('\n');
  assert.ok(!all.includes(token), 'the token is not in any log line');
  assert.ok(lines().some((l) => (l as { req?: { url?: string } }).req?.url === '/setup/[redacted]?x=1'), 'the request is logged, with the token cut out');
});
