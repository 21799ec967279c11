// SCIM /Bulk (RFC 7644 §3.7, issue 14 item 2) through the real server and database (SQLite, and
// PostgreSQL with ROLLCALL_TEST_DATABASE=postgres): the RFC's examples, bulkId references forward and
// backward (members, PATCH paths, manager), circles refused, failOnErrors, each operation its own
// transaction with its own events, a veto failing just its operation, the limits advertised and
// enforced, hostile bodies answered 4xx, and the request log holding the request as one row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { bulkLimits, DEFAULTS, loadConfig } from '../../src/config/config.ts';
import { VetoRegistry } from '../../src/provisioning/policies/vetoes.ts';
import { startAdminServer, scim, type AdminTestServer, type Json, type ScimTenant, tenantWithPolicies } from '../support/admin.ts';
import { assertScimError } from '../support/scim-errors.ts';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAX_OPERATIONS = 50;
const MAX_PAYLOAD = 64 * 1024;

let server: AdminTestServer;
const vetoes = new VetoRegistry();
before(async () => {
  server = await startAdminServer({ config: { bulk: { maxOperations: MAX_OPERATIONS, maxPayloadBytes: MAX_PAYLOAD } }, server: { vetoes } });
});
after(async () => { await server?.close(); });

const tenant = (prefix: string, policies?: Json): Promise<ScimTenant> => tenantWithPolicies(server, prefix, policies);
const call = (t: ScimTenant, path: string, method = 'GET', body?: unknown) => scim(`${t.scimUrl}${path}`, t.token, method, body);
const bulk = (t: ScimTenant, Operations: Json[], extra: Json = {}) => call(t, '/Bulk', 'POST', { schemas: [BULK_REQUEST], ...extra, Operations });
const user = (userName: string, more: Json = {}) => ({ schemas: [USER], userName, ...more });

/** The BulkResponse of a 200, its operations' statuses checked against `statuses`. */
function results(res: { status: number; body: Json; text: string }, statuses: string[]): Json[] {
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.schemas, [BULK_RESPONSE]);
  assert.deepEqual(res.body.Operations.map((o: Json) => o.status), statuses, res.text);
  for (const o of res.body.Operations) {
    if (Number(o.status) >= 400) {
      assert.deepEqual(o.response.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'], 'a failed operation carries a SCIM error');
      assert.equal(o.response.status, o.status);
      assert.ok(o.response.detail.length > 10);
    }
  }
  return res.body.Operations;
}
const idOf = (location: string) => decodeURIComponent(location.slice(location.lastIndexOf('/') + 1));
async function events(t: ScimTenant): Promise<Json[]> {
  const res = await server.admin('GET', `/events?tenant=${t.slug}&limit=500`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}
async function userNamed(t: ScimTenant, userName: string): Promise<Json> {
  const res = await call(t, `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
  assert.equal(res.status, 200, res.text);
  return res.body.Resources[0];
}

test('ServiceProviderConfig advertises bulk with the configured limits; the payload limit never exceeds the body limit', async () => {
  const t = await tenant('bulk-spc');
  const spc = await call(t, '/ServiceProviderConfig');
  assert.deepEqual(spc.body.bulk, { supported: true, maxOperations: MAX_OPERATIONS, maxPayloadSize: MAX_PAYLOAD });
  assert.deepEqual(bulkLimits(DEFAULTS), { maxOperations: 1000, maxPayloadSize: 1024 * 1024 });
  assert.deepEqual(bulkLimits(loadConfig({ bodyLimitBytes: 200_000 }, {})), { maxOperations: 1000, maxPayloadSize: 200_000 });
  assert.deepEqual(loadConfig({}, { ROLLCALL_BULK_MAX_OPERATIONS: '20', ROLLCALL_BULK_MAX_PAYLOAD_BYTES: '4096' }).bulk, { maxOperations: 20, maxPayloadBytes: 4096 });
  assert.throws(() => loadConfig({}, { ROLLCALL_BULK_MAX_OPERATIONS: '0' }), /ROLLCALL_BULK_MAX_OPERATIONS must be an integer/);
});

test('RFC 7644 §3.7.2: a user and a group whose member is that user, by bulkId, in one request', async () => {
  const t = await tenant('bulk-rfc-372');
  const res = await bulk(t, [
    { method: 'POST', path: '/Users', bulkId: 'qwerty', data: user('Alice', { name: { givenName: 'Alice', familyName: 'Smith' } }) },
    { method: 'POST', path: '/Groups', bulkId: 'ytrewq', data: { schemas: [GROUP], displayName: 'Tour Guides', members: [{ type: 'User', value: 'bulkId:qwerty' }] } },
  ]);
  const [u, g] = results(res, ['201', '201']);
  assert.equal(u.method, 'POST');
  assert.equal(u.bulkId, 'qwerty');
  assert.match(u.location, new RegExp(`^${t.scimUrl}/Users/[^/]+$`));
  assert.match(u.version, /^W\/"\d+"$/);
  assert.equal(u.response, undefined, 'a success carries no body (RFC 7644 §3.7.3 lets the server leave it out)');
  assert.equal(g.bulkId, 'ytrewq');
  const group = await call(t, `/Groups/${idOf(g.location)}`);
  assert.equal(group.status, 200);
  assert.deepEqual(group.body.members.map((m: Json) => m.value), [idOf(u.location)]);
  assert.equal(group.headers.get('etag'), g.version);
});

test('RFC 7644 §3.7.3: create, replace, patch and delete users in one request, with versions as If-Match', async () => {
  const t = await tenant('bulk-rfc-373');
  const existing = (await call(t, '/Users', 'POST', user('Barbara'))).body;
  const gone = (await call(t, '/Users', 'POST', user('Carol'))).body;
  const res = await bulk(t, [
    { method: 'POST', path: '/Users', bulkId: 'qwerty', data: user('Alice') },
    { method: 'PUT', path: `/Users/${existing.id}`, version: existing.meta.version, data: user('Barbara', { displayName: 'Babs' }) },
    { method: 'PATCH', path: `/Users/${existing.id}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Boss' }] } },
    { method: 'DELETE', path: `/Users/${gone.id}`, version: gone.meta.version },
  ]);
  const [, put, patch, del] = results(res, ['201', '200', '200', '204']);
  assert.equal(put.location, `${t.scimUrl}/Users/${existing.id}`);
  assert.notEqual(put.version, existing.meta.version);
  assert.notEqual(patch.version, put.version);
  assert.equal(del.location, `${t.scimUrl}/Users/${gone.id}`);
  const after = (await call(t, `/Users/${existing.id}`)).body;
  assert.equal(after.displayName, 'Babs');
  assert.equal(after.title, 'Boss');
  assert.equal((await call(t, `/Users/${gone.id}`)).status, 404);
  assert.ok(await userNamed(t, 'Alice'));

  // A stale version fails that operation with 412, as If-Match would.
  const stale = results(await bulk(t, [{ method: 'DELETE', path: `/Users/${existing.id}`, version: existing.meta.version }]), ['412']);
  assert.equal(stale[0].location, `${t.scimUrl}/Users/${existing.id}`);
  assert.equal((await call(t, `/Users/${existing.id}`)).status, 200);
});

test('forward references: a group naming users defined later, PATCH and DELETE by bulkId path, a manager by bulkId', async () => {
  const t = await tenant('bulk-forward');
  const res = await bulk(t, [
    { method: 'POST', path: '/Groups', bulkId: 'team', data: { schemas: [GROUP], displayName: 'Team', members: [{ value: 'bulkId:ann' }, { value: 'bulkId:bob' }] } },
    { method: 'PATCH', path: '/Groups/bulkId:team', data: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members[value eq "bulkId:bob"]' }] } },
    { method: 'POST', path: '/Users', bulkId: 'ann', data: user('ann@example.com', { schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'bulkId:boss' } } }) },
    { method: 'POST', path: '/Users', bulkId: 'bob', data: user('bob@example.com') },
    { method: 'POST', path: '/Users', bulkId: 'boss', data: user('boss@example.com') },
    { method: 'DELETE', path: '/Users/bulkId:bob' },
  ]);
  // Each operation waits for the POSTs it names; of those ready, the earliest in the request runs next.
  const ops = results(res, ['201', '201', '201', '201', '200', '204']);
  assert.deepEqual(ops.map((o) => `${o.method} ${o.bulkId ?? ''}`), ['POST bob', 'POST boss', 'POST ann', 'POST team', 'PATCH ', 'DELETE ']);
  const [bob, boss, ann, team, patch, del] = ops;
  assert.equal(patch.location, team.location);
  assert.equal(del.location, bob.location);
  const group = (await call(t, `/Groups/${idOf(team.location)}`)).body;
  assert.deepEqual(group.members.map((m: Json) => m.value), [idOf(ann.location)]);
  const annNow = (await call(t, `/Users/${idOf(ann.location)}`)).body;
  assert.equal(annNow[ENTERPRISE].manager.value, idOf(boss.location));
  assert.equal((await call(t, `/Users/${idOf(bob.location)}`)).status, 404);
});

test('circular references are refused with 409 invalidValue; what depends on them fails; the rest runs', async () => {
  const t = await tenant('bulk-cycle');
  const res = await bulk(t, [
    // RFC 7644 §3.7.1's example: two groups, each a member of the other.
    { method: 'POST', path: '/Groups', bulkId: 'qwerty', data: { schemas: [GROUP], displayName: 'Group A', members: [{ type: 'Group', value: 'bulkId:ytrewq' }] } },
    { method: 'POST', path: '/Groups', bulkId: 'ytrewq', data: { schemas: [GROUP], displayName: 'Group B', members: [{ type: 'Group', value: 'bulkId:qwerty' }] } },
    { method: 'POST', path: '/Users', bulkId: 'fine', data: user('fine@example.com') },
    { method: 'POST', path: '/Groups', bulkId: 'hanger', data: { schemas: [GROUP], displayName: 'Group C', members: [{ value: 'bulkId:qwerty' }, { value: 'bulkId:fine' }] } },
    { method: 'POST', path: '/Users', bulkId: 'self', data: user('self@example.com', { schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'bulkId:self' } } }) },
  ]);
  const ops = results(res, ['409', '409', '201', '409', '409']);
  assert.deepEqual(ops.map((o) => o.bulkId), ['qwerty', 'ytrewq', 'fine', 'hanger', 'self']);
  for (const o of [ops[0], ops[1], ops[4]]) {
    assert.equal(o.response.scimType, 'invalidValue');
    assert.match(o.response.detail, /circle of bulkId references|refers to its own bulkId/);
    assert.equal(o.location, undefined, 'a failed POST has no location');
  }
  assert.match(ops[1].response.detail, /Operations\[0\]/);
  assert.match(ops[4].response.detail, /refers to its own bulkId/);
  assert.match(ops[3].response.detail, /"bulkId:qwerty", whose POST failed \(status 409\)/);
  const groupsNow = await call(t, '/Groups');
  assert.equal(groupsNow.body.totalResults, 0, 'no group of the circle, nor the one hanging off it, was created');
  assert.ok(await userNamed(t, 'fine@example.com'));
});

test('a failing operation leaves the ones before it committed, and what refers to its bulkId fails with 409', async () => {
  const t = await tenant('bulk-partial');
  await call(t, '/Users', 'POST', user('taken@example.com'));
  const res = await bulk(t, [
    { method: 'POST', path: '/Users', bulkId: 'a', data: user('first@example.com') },
    { method: 'POST', path: '/Users', bulkId: 'dup', data: user('TAKEN@example.com') },
    { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP], displayName: 'G', members: [{ value: 'bulkId:dup' }] } },
    { method: 'PATCH', path: '/Users/no-such-user', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } },
    { method: 'POST', path: '/Users', bulkId: 'c', data: user('third@example.com') },
    { method: 'POST', path: '/Users', bulkId: 'bad', data: { schemas: [USER] } },
  ]);
  const ops = results(res, ['201', '409', '409', '404', '201', '400']);
  assert.equal(ops[1].response.scimType, 'uniqueness');
  assert.equal(ops[2].response.scimType, 'invalidValue');
  assert.equal(ops[3].location, `${t.scimUrl}/Users/no-such-user`);
  assert.ok(await userNamed(t, 'first@example.com'));
  assert.ok(await userNamed(t, 'third@example.com'));
  assert.equal((await call(t, '/Groups')).body.totalResults, 0);
});

test('failOnErrors: after that many failures the rest neither runs nor is reported', async () => {
  const t = await tenant('bulk-fail-on-errors');
  await call(t, '/Users', 'POST', user('taken@example.com'));
  const ops = (n: number) => [
    { method: 'POST', path: '/Users', bulkId: `ok${n}`, data: user(`ok${n}@example.com`) },
    { method: 'POST', path: '/Users', bulkId: `dup${n}`, data: user('taken@example.com') },
    { method: 'DELETE', path: '/Users/missing' },
    { method: 'POST', path: '/Users', bulkId: `late${n}`, data: user(`late${n}@example.com`) },
  ];
  results(await bulk(t, ops(1), { failOnErrors: 1 }), ['201', '409']);
  assert.ok(await userNamed(t, 'ok1@example.com'));
  assert.equal(await userNamed(t, 'late1@example.com'), undefined, 'not run');
  results(await bulk(t, ops(2), { failOnErrors: 2 }), ['201', '409', '404']);
  assert.equal(await userNamed(t, 'late2@example.com'), undefined);
  results(await bulk(t, ops(3), { failOnErrors: 3 }), ['201', '409', '404', '201']);
  results(await bulk(t, ops(4)), ['201', '409', '404', '201']);
  assertScimError(await bulk(t, ops(5), { failOnErrors: 0 }), 400, 'invalidValue', /failOnErrors/);
  assertScimError(await bulk(t, ops(5), { failOnErrors: '1' }), 400, 'invalidValue', /failOnErrors/);
});

test('events are written per operation as for single requests: the token as actor, the bulk request id', async () => {
  const t = await tenant('bulk-events');
  const before = (await events(t)).length;
  const res = await fetch(`${t.scimUrl}/Bulk`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/scim+json', 'x-request-id': `bulk-events-${process.pid}` },
    body: JSON.stringify({ schemas: [BULK_REQUEST], Operations: [
      { method: 'POST', path: '/Users', bulkId: 'u', data: user('ev@example.com') },
      { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP], displayName: 'Ev', members: [{ value: 'bulkId:u' }] } },
      { method: 'POST', path: '/Users', bulkId: 'x', data: { schemas: [USER] } },
      { method: 'PATCH', path: '/Users/bulkId:u', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] } },
    ] }),
  });
  assert.equal(res.status, 200);
  const all = (await events(t)).slice(before);
  assert.deepEqual(all.map((e) => e.type), ['user.created', 'group.created', 'group.member_added', 'user.deactivated']);
  for (const e of all) {
    assert.equal(e.requestId, `bulk-events-${process.pid}`);
    assert.equal(e.actor.type, 'token');
  }
});

test('a policy veto fails just its operation, with the app\'s message; the others commit', async () => {
  const t = await tenant('bulk-veto');
  const stop = vetoes.add('user.create', (c) => {
    if (c.tenant.slug === t.slug && c.after?.userName === 'mallory@example.com') return { refuse: 'mallory@example.com is on the deny list of this app.' };
  });
  try {
    const ops = results(await bulk(t, [
      { method: 'POST', path: '/Users', bulkId: 'a', data: user('alice@example.com') },
      { method: 'POST', path: '/Users', bulkId: 'm', data: user('mallory@example.com') },
      { method: 'POST', path: '/Users', bulkId: 'b', data: user('bob@example.com') },
    ]), ['201', '400', '201']);
    assert.match(ops[1].response.detail, /deny list of this app/);
    assert.equal(await userNamed(t, 'mallory@example.com'), undefined);
    assert.ok(await userNamed(t, 'bob@example.com'));
    assert.deepEqual((await events(t)).filter((e) => e.type === 'user.created').map((e) => e.data.user?.userName ?? e.data.userName), ['alice@example.com', 'bob@example.com']);
  } finally { stop(); }
});

test('tenant policies apply as to single requests: the default group takes a user created through /Bulk', async () => {
  const t = await tenant('bulk-policy', { groups: { defaultGroup: 'Everyone' } });
  const ops = results(await bulk(t, [
    { method: 'POST', path: '/Users', bulkId: 'a', data: user('member@example.com') },
  ]), ['201']);
  // The default group policy put the new user in it, in the same transaction as for a POST /Users.
  const everyone = (await call(t, `/Groups?filter=${encodeURIComponent('displayName eq "Everyone"')}`)).body.Resources[0];
  assert.ok(everyone, 'the default group exists');
  const members = (await call(t, `/Groups/${everyone.id}`)).body.members ?? [];
  assert.deepEqual(members.map((m: Json) => m.value), [idOf(ops[0].location)]);
});

test('limits: more operations than maxOperations and a body over maxPayloadSize are 413 naming the limit', async () => {
  const t = await tenant('bulk-limits');
  const many = Array.from({ length: MAX_OPERATIONS + 1 }, (_, i) => ({ method: 'DELETE', path: `/Users/u${i}` }));
  const tooMany = assertScimError(await bulk(t, many), 413, undefined, /at most 50 .*maxOperations/);
  assert.equal(tooMany.scimType, undefined);
  results(await bulk(t, many.slice(0, MAX_OPERATIONS)), Array(MAX_OPERATIONS).fill('404'));
  const big = [{ method: 'POST', path: '/Users', bulkId: 'big', data: user('big@example.com', { title: 'x'.repeat(MAX_PAYLOAD) }) }];
  assertScimError(await bulk(t, big), 413, undefined, /larger than 65536 bytes.*maxPayloadSize/);
  assert.equal(await userNamed(t, 'big@example.com'), undefined);
  // A chunked body (no Content-Length) is cut off as it arrives.
  const chunked = await rawPost(`${t.scimUrl}/Bulk`, t.token, JSON.stringify({ schemas: [BULK_REQUEST], Operations: big }), true);
  assert.equal(chunked.status, 413, chunked.body);
  assert.match(JSON.parse(chunked.body).detail, /maxPayloadSize/);
});

test('malformed BulkRequests are 400 with a detail that says what is wrong, and nothing runs', async () => {
  const t = await tenant('bulk-malformed');
  const ok = { method: 'POST', path: '/Users', bulkId: 'ok', data: user('never@example.com') };
  const cases: [unknown, string, RegExp][] = [
    [[], 'invalidSyntax', /JSON object/],
    [{ Operations: [ok] }, 'invalidSyntax', /schemas/],
    [{ schemas: [USER], Operations: [ok] }, 'invalidSyntax', /schemas/],
    [{ schemas: [BULK_REQUEST] }, 'invalidSyntax', /Operations/],
    [{ schemas: [BULK_REQUEST], Operations: { 0: ok } }, 'invalidSyntax', /Operations/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, 'DELETE /Users/1'] }, 'invalidSyntax', /Operations\[1\] must be an object/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'GET', path: '/Users' }] }, 'invalidValue', /Operations\[1\]\.method must be POST, PUT, PATCH or DELETE/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { path: '/Users/1' }] }, 'invalidValue', /method/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'DELETE', path: '/Schemas/x' }] }, 'invalidValue', /\/Users or \/Groups/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'DELETE', path: '/Users' }] }, 'invalidValue', /must name a resource/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'POST', path: '/Users/abc', bulkId: 'b', data: user('x') }] }, 'invalidValue', /POST/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'POST', path: '/Users', data: user('x') }] }, 'invalidValue', /without a "bulkId"/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'POST', path: '/Users', bulkId: 'ok', data: user('x') }] }, 'invalidValue', /already uses/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'POST', path: '/Users', bulkId: 'has space', data: user('x') }] }, 'invalidValue', /bulkId must be/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'POST', path: '/Users', bulkId: 7, data: user('x') }] }, 'invalidValue', /bulkId must be/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'PUT', path: '/Users/1' }] }, 'invalidSyntax', /needs "data"/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'DELETE', path: '/Users/bulkId:nowhere' }] }, 'invalidValue', /no POST operation of this request has bulkId "nowhere"/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP], displayName: 'G', members: [{ value: 'bulkId:nowhere' }] } }] }, 'invalidValue', /"bulkId:nowhere"/],
    [{ schemas: [BULK_REQUEST], Operations: [ok, { method: 'DELETE', path: '/Users/1', version: 42 }] }, 'invalidValue', /version/],
  ];
  for (const [body, scimType, detail] of cases) {
    assertScimError(await call(t, '/Bulk', 'POST', body), 400, scimType, detail);
  }
  assert.equal(await userNamed(t, 'never@example.com'), undefined, 'nothing ran');
  assertScimError(await call(t, '/Bulk', 'PUT', { schemas: [BULK_REQUEST], Operations: [] }), 405);
  assertScimError(await call(t, '/Bulk', 'GET'), 405);
  results(await bulk(t, []), []);
  // Attribute names are case-insensitive (RFC 7643 §2.1), methods too.
  results(await call(t, '/Bulk', 'POST', { SCHEMAS: [BULK_REQUEST], operations: [{ Method: 'post', Path: '/users', BulkId: 'lc', Data: user('lower@example.com') }] }), ['201']);
});

test('hostile bodies get a 4xx at once: deep nesting, 10,000 operations, a huge bulkId, not JSON, another tenant', async () => {
  const t = await tenant('bulk-hostile');
  const deep = `{"schemas":["${BULK_REQUEST}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"d","data":{"schemas":["${USER}"],"userName":"deep@example.com","x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}]}`;
  const nested = await rawPost(`${t.scimUrl}/Bulk`, t.token, deep, false);
  assert.equal(nested.status, 400, nested.body);
  assert.match(JSON.parse(nested.body).detail, /nests deeper/);
  // 10,000 operations: over the payload limit here (a small one each is ~40 bytes).
  const tenK = Array.from({ length: 10_000 }, () => ({ method: 'DELETE', path: '/Users/x' }));
  assertScimError(await bulk(t, tenK), 413);
  const hugeId = 'b'.repeat(50_000);
  assertScimError(await bulk(t, [{ method: 'POST', path: '/Users', bulkId: hugeId, data: user('huge@example.com') }]), 400, 'invalidValue', /bulkId must be/);
  assertScimError(await bulk(t, [{ method: 'DELETE', path: `/Users/bulkId:${hugeId}` }]), 400, 'invalidValue');
  assertScimError(await bulk(t, [{ method: 'POST', path: '/Users', bulkId: 'a', data: user('a@example.com', { nickName: `bulkId:${'z'.repeat(300)}` }) }]), 400, 'invalidValue', /not a bulkId/);
  const text = await rawPost(`${t.scimUrl}/Bulk`, t.token, '{"schemas": [', false);
  assert.equal(text.status, 400);
  assert.equal(JSON.parse(text.body).scimType, 'invalidSyntax');
  assertScimError(await bulk(t, [{ method: 'POST', path: '/Users', bulkId: 'p', data: { schemas: [USER], userName: 'p@example.com', ['__proto__']: { admin: true } } }]), 400);
  // Another tenant's user cannot be reached through /Bulk.
  const other = await tenant('bulk-hostile-other');
  const theirs = (await call(other, '/Users', 'POST', user('theirs@example.com'))).body;
  results(await bulk(t, [{ method: 'DELETE', path: `/Users/${theirs.id}` }]), ['404']);
  assert.equal((await call(other, `/Users/${theirs.id}`)).status, 200);
  // Without a valid token nothing is read.
  assertScimError(await scim(`${t.scimUrl}/Bulk`, 'wrong', 'POST', { schemas: [BULK_REQUEST], Operations: [] }), 401);
});

test('the request log holds a bulk request as one request, its body capped as usual', async () => {
  const t = await tenant('bulk-log');
  const requestId = `bulk-log-${process.pid}`;
  const res = await fetch(`${t.scimUrl}/Bulk`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/scim+json', 'x-request-id': requestId },
    body: JSON.stringify({ schemas: [BULK_REQUEST], Operations: Array.from({ length: 40 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${i}`, data: user(`log${i}@example.com`, { password: 'Secret-Pw-1', title: 'y'.repeat(800) }) })) }),
  });
  assert.equal(res.status, 200);
  await server.running.requestLog.flush();
  const rows = (await server.admin('GET', `/tenants/${t.slug}/requests?requestId=${requestId}`)).body.data as Json[];
  assert.equal(rows.length, 1);
  const row = (await server.admin('GET', `/tenants/${t.slug}/requests/${rows[0].id}`)).body;
  assert.equal(row.method, 'POST');
  assert.equal(row.status, 200);
  assert.match(row.path, /\/Bulk$/);
  assert.equal(row.requestBody.truncated, true, 'a 40-user body is over the 16 KiB kept');
  assert.doesNotMatch(row.requestBody.text, /Secret-Pw-1/);
});

test('seeded random BulkRequests (references forward, backward and in circles, failing and broken operations) never get a 5xx', async () => {
  const t = await tenant('bulk-random');
  const existing = (await call(t, '/Users', 'POST', user('existing@example.com'))).body;
  // A small seeded generator (mulberry32): the same requests on every run; the seed is in the message.
  const seed = 0x5eed_b01c;
  let a = seed;
  const rnd = () => { a = (a + 0x6d2b79f5) | 0; let x = Math.imul(a ^ (a >>> 15), 1 | a); x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x; return ((x ^ (x >>> 14)) >>> 0) / 4294967296; };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const junk = [null, 1, true, 'x', [], {}, [null], { value: null }, 'bulkId:', '\u0000', 'é'.repeat(3), { method: 'GET', path: '/Users' }, { method: 'POST', path: '/Users' }];
  const seen = new Map<string, number>();
  for (let round = 0; round < 80; round++) {
    const n = 1 + Math.floor(rnd() * 8);
    // Which operations are POSTs (of users or groups) decides what a reference may name.
    const kinds = Array.from({ length: n }, () => pick(['user', 'user', 'group', 'patch', 'put', 'delete'] as const));
    const posts = kinds.flatMap((k, i) => (k === 'user' || k === 'group' ? [i] : []));
    const ref = () => (posts.length ? `bulkId:b${pick(posts)}` : existing.id as string);
    const target = () => (rnd() < 0.8 ? ref() : pick([existing.id, 'nope']));
    const ops: Json[] = kinds.map((k, i) => {
      switch (k) {
        case 'user': return { method: 'POST', path: '/Users', bulkId: `b${i}`, data: user(`r${round}-${i}@example.com`, rnd() < 0.4 ? { schemas: [USER, ENTERPRISE], [ENTERPRISE]: { manager: { value: ref() } } } : {}) };
        case 'group': return { method: 'POST', path: '/Groups', bulkId: `b${i}`, data: { schemas: [GROUP], displayName: pick([`g${round}-${i}`, 'same name']), members: rnd() < 0.8 ? [{ value: ref() }] : [{ value: pick(junk) }] } };
        case 'patch': return { method: 'PATCH', path: `${pick(['/Groups', '/Users'])}/${target()}`, data: { schemas: [PATCH_OP], Operations: [pick([{ op: 'add', path: 'members', value: [{ value: ref() }] }, { op: 'remove', path: `members[value eq "${ref()}"]` }, { op: 'replace', path: 'title', value: 'T' }, { op: pick(['bogus', 'add']), path: pick(['[', 'members']), value: pick(junk) }])] } };
        case 'put': return { method: 'PUT', path: `/Users/${target()}`, ...(rnd() < 0.3 ? { version: pick(['W/"1"', '*', '']) } : {}), data: user(`p${round}-${i}@example.com`) };
        case 'delete': return { method: 'DELETE', path: `${pick(['/Users', '/Groups'])}/${target()}` };
      }
    });
    if (rnd() < 0.15) ops[Math.floor(rnd() * n)] = pick(junk);
    const body = rnd() < 0.95 ? { schemas: [BULK_REQUEST], Operations: ops, ...(rnd() < 0.3 ? { failOnErrors: pick([1, 2, 3, 0, 'x']) } : {}) } : pick([ops, { schemas: [BULK_REQUEST], Operations: pick(junk) }]);
    const res = await call(t, '/Bulk', 'POST', body);
    const what = `seed ${seed}, round ${round}: ${JSON.stringify(body).slice(0, 600)}\n→ ${res.status} ${res.text.slice(0, 600)}`;
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), what);
    if (res.status !== 200) { assertScimError(res, res.status); seen.set(String(res.status), (seen.get(String(res.status)) ?? 0) + 1); continue; }
    for (const o of res.body.Operations) {
      assert.ok(Number(o.status) < 500, what);
      seen.set(`op ${o.status}`, (seen.get(`op ${o.status}`) ?? 0) + 1);
      const why = /circle of bulkId|its own bulkId/.test(o.response?.detail ?? '') ? 'circle' : /whose POST failed/.test(o.response?.detail ?? '') ? 'failed reference' : undefined;
      if (why) seen.set(why, (seen.get(why) ?? 0) + 1);
    }
  }
  // The generator reaches what it is meant to: whole requests refused, and operations that succeed,
  // fail on their own, and fail for a circle or a failed reference.
  for (const status of ['400', 'op 201', 'op 200', 'op 204', 'op 404', 'op 409', 'circle', 'failed reference']) assert.ok(seen.has(status), `never saw ${status}: ${JSON.stringify([...seen])}`);
});

/** A POST written by hand: chunked (no Content-Length) when asked, or a body that is not JSON. */
function rawPost(url: string, token: string, body: string, chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': Buffer.byteLength(body) }) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', (err) => (err.message.includes('EPIPE') || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    if (chunked) {
      // Written in pieces, as a streaming client would.
      for (let i = 0; i < body.length; i += 8192) req.write(body.slice(i, i + 8192));
      req.end();
    } else req.end(body);
  });
}
