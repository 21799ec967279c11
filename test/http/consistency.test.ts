// ETags that follow every change (including a user's derived "groups"), no-op writes that change
// nothing, atomic group PATCH, races on userName, and edge inputs found in review.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertScimError } from '../support/scim-errors.ts';
import { GROUP_SCHEMA as GROUP, USER_SCHEMA as USER } from '../../src/scim/schemas/core.ts';
import { PATCH_SCHEMA as PATCH } from '../../src/scim/patch.ts';

let server: TestServer;
let n = 0;
before(async () => { server = await startTestServer(); });
after(async () => { await server.close(); });

async function tenant() {
  const { scimUrl, token } = await server.createTenant(`consistency-${++n}`);
  const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(scimUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const user = async (userName: string, extra: object = {}) => (await req('POST', '/Users', { schemas: [USER], userName, ...extra })).body;
  const group = async (displayName: string, members: string[] = []) =>
    (await req('POST', '/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) })).body;
  const patch = (path: string, ...ops: object[]) => req('PATCH', path, { schemas: [PATCH], Operations: ops });
  return { req, user, group, patch };
}

test("joining, leaving or renaming a group gives the user a new ETag, so If-None-Match does not serve stale groups", async () => {
  const t = await tenant();
  const u = await t.user('etag-user');
  const g = await t.group('Etag Group');
  const v1 = u.meta.version;
  await t.patch(`/Groups/${g.id}`, { op: 'add', path: 'members', value: [{ value: u.id }] });
  const joined = await t.req('GET', `/Users/${u.id}`, undefined, { 'if-none-match': v1 });
  assert.equal(joined.status, 200, 'the old ETag no longer matches');
  assert.deepEqual(joined.body.groups.map((x: { display: string }) => x.display), ['Etag Group']);
  const v2 = joined.body.meta.version;
  assert.notEqual(v2, v1);
  await t.patch(`/Groups/${g.id}`, { op: 'replace', path: 'displayName', value: 'Renamed Group' });
  const renamed = await t.req('GET', `/Users/${u.id}`, undefined, { 'if-none-match': v2 });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.groups[0].display, 'Renamed Group');
  const v3 = renamed.body.meta.version;
  await t.req('DELETE', `/Groups/${g.id}`);
  const left = await t.req('GET', `/Users/${u.id}`, undefined, { 'if-none-match': v3 });
  assert.equal(left.status, 200);
  assert.deepEqual(left.body.groups, []);
  assert.equal((await t.req('GET', `/Users/${u.id}`, undefined, { 'if-none-match': left.body.meta.version })).status, 304);
});

test('replacing members with the same list, or re-sending the same name, changes nothing (no new version)', async () => {
  const t = await tenant();
  const [a, b] = [await t.user('same-a'), await t.user('same-b')];
  const g = await t.group('Same Group', [a.id, b.id]);
  const r1 = await t.patch(`/Groups/${g.id}`, { op: 'replace', path: 'members', value: [{ value: b.id }, { value: a.id }] });
  assert.equal(r1.status, 204);
  assert.equal(r1.headers.get('etag'), g.meta.version);
  const r2 = await t.patch(`/Groups/${g.id}`, { op: 'replace', value: { id: g.id, displayName: 'Same Group' } });
  assert.equal(r2.headers.get('etag'), g.meta.version);
  const ua = await t.req('GET', `/Users/${a.id}`);
  assert.equal(ua.body.meta.version, (await t.req('GET', `/Users/${a.id}`)).body.meta.version);
  // A real replace writes only the difference.
  const c = await t.user('same-c');
  const r3 = await t.patch(`/Groups/${g.id}?attributes=members`, { op: 'replace', path: 'members', value: [{ value: a.id }, { value: c.id }] });
  assert.deepEqual(r3.body.members.map((m: { value: string }) => m.value).sort(), [a.id, c.id].sort());
  assert.equal((await t.req('GET', `/Users/${a.id}`)).body.meta.version, ua.body.meta.version, 'a stayed: untouched');
});

test('a group PATCH whose last operation fails leaves members and name exactly as they were', async () => {
  const t = await tenant();
  const [a, b] = [await t.user('atomic-a'), await t.user('atomic-b')];
  await t.group('Taken Name');
  const g = await t.group('Atomic Group', [a.id]);
  const r = await t.patch(`/Groups/${g.id}`,
    { op: 'add', path: 'members', value: [{ value: b.id }] },
    { op: 'remove', path: `members[value eq "${a.id}"]` },
    { op: 'replace', path: 'displayName', value: 'TAKEN NAME' });
  assert.equal(r.status, 409);
  const after = await t.req('GET', `/Groups/${g.id}`);
  assert.equal(after.body.displayName, 'Atomic Group');
  assert.deepEqual(after.body.members.map((m: { value: string }) => m.value), [a.id]);
  assert.equal(after.body.meta.version, g.meta.version);
  assert.deepEqual((await t.req('GET', `/Users/${b.id}`)).body.groups, []);
});

test('20 concurrent POSTs of one userName in different letter cases: exactly one 201, the rest 409 uniqueness', async () => {
  const t = await tenant();
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    t.req('POST', '/Users', { schemas: [USER], userName: i % 2 ? 'Race.User@Example.com' : 'race.user@example.COM' })));
  assert.equal(results.filter((r) => r.status === 201).length, 1);
  for (const r of results.filter((x) => x.status !== 201)) assertScimError(r, 409, 'uniqueness');
});

test('members can be filtered and removed by their display', async () => {
  const t = await tenant();
  const [a, b] = [await t.user('disp-a'), await t.user('disp-b')];
  const g = (await t.req('POST', '/Groups', { schemas: [GROUP], displayName: 'Display Group', members: [{ value: a.id, display: 'Alpha' }, { value: b.id, display: 'Beta' }] })).body;
  const found = await t.req('GET', `/Groups?filter=${encodeURIComponent('members.display eq "alpha"')}`);
  assert.deepEqual(found.body.Resources.map((x: { id: string }) => x.id), [g.id]);
  const r = await t.patch(`/Groups/${g.id}?attributes=members`, { op: 'remove', path: 'members[display eq "Beta"]' });
  assert.deepEqual(r.body.members.map((m: { value: string }) => m.value), [a.id]);
});

test('sortBy a sub-attribute of a multi-valued attribute sorts by that sub-attribute of the primary value', async () => {
  const t = await tenant();
  await t.user('s1', { emails: [{ value: 'aaa@x.com', type: 'zzz', primary: true }] });
  await t.user('s2', { emails: [{ value: 'zzz@x.com', type: 'aaa', primary: true }] });
  const byType = await t.req('GET', '/Users?sortBy=emails.type');
  assert.deepEqual(byType.body.Resources.map((u: { userName: string }) => u.userName), ['s2', 's1']);
  const byValue = await t.req('GET', '/Users?sortBy=emails.value&sortOrder=descending');
  assert.deepEqual(byValue.body.Resources.map((u: { userName: string }) => u.userName), ['s2', 's1']);
  const bad = await t.req('GET', '/Users?sortBy=name');
  assertScimError(bad, 400, 'invalidValue', /sortBy/);
});

test('unknown keys inside a path-less PATCH value are ignored, as they are on POST', async () => {
  const t = await tenant();
  const u = await t.user('lenient', { title: 'Before' });
  const r = await t.patch(`/Users/${u.id}`, { op: 'add', value: { 'name.nickname2': 'x', 'foo.bar.baz': 1, title: 'After' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.title, 'After');
  // With an explicit path, an unknown sub-attribute is still an error the client should hear about.
  const strict = await t.patch(`/Users/${u.id}`, { op: 'add', path: 'name.nickname2', value: 'x' });
  assertScimError(strict, 400, 'invalidPath');
});

test('x509Certificates.value is compared case-exactly (RFC 7643 binary)', async () => {
  const t = await tenant();
  await t.user('cert-user', { x509Certificates: [{ value: 'MIIBcert' }] });
  const exact = await t.req('GET', `/Users?filter=${encodeURIComponent('x509Certificates.value eq "MIIBcert"')}`);
  const folded = await t.req('GET', `/Users?filter=${encodeURIComponent('x509Certificates.value eq "miibcert"')}`);
  assert.deepEqual([exact.body.totalResults, folded.body.totalResults], [1, 0]);
});

test('a body nested thousands of levels deep is a 400 invalidSyntax, not a 500', async () => {
  const t = await tenant();
  let deep = '1';
  for (let i = 0; i < 20000; i++) deep = `{"a":${deep}}`;
  const r = await t.req('POST', '/Users', `{"userName":"deep","x":${deep}}`);
  assertScimError(r, 400, 'invalidSyntax', /nests deeper/);
});

test('OPTIONS and GET on .search are 405 with an Allow header', async () => {
  const t = await tenant();
  const o = await t.req('OPTIONS', '/Users');
  assert.equal(o.status, 405);
  assert.match(o.headers.get('allow') ?? '', /GET/);
  const s = await t.req('GET', '/Users/.search');
  assert.equal(s.status, 405);
  assert.equal(s.headers.get('allow'), 'POST');
});

test('a group of 2,500 members: PATCH as IdPs send it answers 204 with the ETag; GET streams every member in pages', async () => {
  const t = await tenant();
  const ids: string[] = [];
  for (let i = 0; i < 2500; i += 250) {
    const batch = await Promise.all(Array.from({ length: 250 }, (_, j) => t.user(`big-${i + j}`)));
    ids.push(...batch.map((u) => u.id));
  }
  const g = await t.group('Big Group');
  const added = await t.patch(`/Groups/${g.id}`, { op: 'add', path: 'members', value: ids.map((value) => ({ value })) });
  assert.equal(added.status, 204);
  assert.equal(added.headers.get('content-length') ?? '0', '0', 'no body: not 2,500 members back for one change');
  const got = await t.req('GET', `/Groups/${g.id}`);
  assert.equal(added.headers.get('etag'), got.body.meta.version, 'the ETag of the 204 is the version a GET then shows');
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'application/scim+json; charset=utf-8');
  assert.equal(got.headers.get('etag'), got.body.meta.version);
  assert.deepEqual(got.body.members.map((m: { value: string }) => m.value).sort(), [...ids].sort());
  assert.ok(got.body.members.every((m: { $ref: string; type: string; display: string }) => m.type === 'User' && m.$ref.endsWith('/Users/' + (m as unknown as { value: string }).value) && m.display.startsWith('big-')));
  assert.deepEqual(Object.keys(got.body).slice(-2), ['members', 'meta']);
  const empty = await t.group('Empty Group');
  assert.deepEqual((await t.req('GET', `/Groups/${empty.id}`)).body.members, []);
});
