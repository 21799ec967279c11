// Strings no database can store faithfully (U+0000, an unpaired surrogate), lifetimes past any
// storable time and times Date cannot represent: each is a 400 naming the field on both databases,
// and nothing is created — not a 500 after a half-done write (a token created, its audit entry
// refused, its secret never shown).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';

let server: AdminTestServer;
before(async () => { server = await startAdminServer({ tenant: 'hostile-s' }); });
after(async () => { await server?.close(); });

const cursor = (p: unknown) => Buffer.from(JSON.stringify({ p })).toString('base64url');

test('NUL and unpaired surrogates in names, searches, filters and cursors are 400s naming the field; nothing is created', async () => {
  const tokensBefore = (await server.admin('GET', '/tenants/hostile-s/tokens')).body.data.length;
  for (const bad of ['a\u0000b', '\ud800', 'x\udc00']) {
    expectProblem(await server.admin('POST', '/tenants', { body: { slug: 'fine-slug', name: bad } }), 400, { field: 'name' });
    expectProblem(await server.admin('PATCH', '/tenants/hostile-s', { body: { name: bad } }), 400, { field: 'name' });
    expectProblem(await server.admin('POST', '/tenants/hostile-s/tokens', { body: { name: bad } }), 400, { field: 'name' });
    expectProblem(await server.admin('POST', '/admin-keys', { body: { name: bad, scope: 'read' } }), 400, { field: 'name' });
    expectProblem(await server.admin('GET', `/tenants?after=${cursor(bad)}`), 400, { field: 'after' });
    expectProblem(await server.admin('GET', `/audit?after=${cursor(bad)}`), 400, { field: 'after' });
    expectProblem(await server.admin('PUT', '/tenants/hostile-s/settings', { body: { customSchemas: [{ id: 'urn:ietf:params:scim:schemas:extension:x:2.0:User', description: bad, attributes: [{ name: 'a', type: 'string' }] }] } }), 400);
  }
  // A URL carries UTF-8 only, where a lone surrogate has no form (it arrives as U+FFFD): NUL is the query string's case.
  expectProblem(await server.admin('GET', '/tenants?search=a%00b'), 400, { field: 'search' });
  expectProblem(await server.admin('GET', '/audit?action=a%00b'), 400, { field: 'action' });
  expectProblem(await server.admin('GET', '/audit?targetId=%00'), 400, { field: 'targetId' });
  assert.equal((await server.admin('GET', '/tenants/hostile-s/tokens')).body.data.length, tokensBefore, 'no token was created by the refused requests');
  assert.equal((await server.admin('GET', '/tenants?search=fine-slug')).body.data.length, 0);
  assert.equal((await server.admin('GET', '/tenants/hostile-s')).body.name, 'hostile-s', 'the tenant keeps its name');
});

test('lifetimes past 100 years and times that do not exist are 400s naming the field', async () => {
  for (const expiresIn of ['36501d', '100000000d', '999999999m']) {
    expectProblem(await server.admin('POST', '/tenants/hostile-s/tokens', { body: { expiresIn } }), 400, { field: 'expiresIn' });
    expectProblem(await server.admin('POST', '/admin-keys', { body: { name: 'k', scope: 'read', expiresIn } }), 400, { field: 'expiresIn' });
  }
  const ok = await server.admin('POST', '/tenants/hostile-s/tokens', { body: { expiresIn: '36500d' } });
  assert.equal(ok.status, 201, '100 years is allowed');
  expectProblem(await server.admin('GET', '/audit?since=2016-12-31T23:59:60Z'), 400, { field: 'since' });
  expectProblem(await server.admin('GET', '/audit?until=2016-12-31T23:59:60Z'), 400, { field: 'until' });
});

test('the token and admin-key lists refuse query parameters they do not take', async () => {
  expectProblem(await server.admin('GET', '/tenants/hostile-s/tokens?limit=abc'), 400, { field: 'limit' });
  expectProblem(await server.admin('GET', '/admin-keys?serach=x'), 400, { field: 'serach' });
});
