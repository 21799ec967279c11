// Users and Groups through HTTP, end to end on the real server and a real SQLite file:
// lifecycle, uniqueness, versions and preconditions, membership, projection, listing, search,
// and tenant isolation. Each test that depends on state gets its own tenant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertScimError } from '../support/scim-errors.ts';
import { GROUP_SCHEMA as GROUP_URN, USER_SCHEMA as USER_URN } from '../../src/scim/schemas/core.ts';
import { LIST_RESPONSE_SCHEMA as LIST_URN, SEARCH_REQUEST_SCHEMA as SEARCH_URN } from '../../src/scim/list.ts';
import { PATCH_SCHEMA as PATCH_URN } from '../../src/scim/patch.ts';

type Obj = Record<string, any>;
interface ListBody { schemas: string[]; totalResults: number; startIndex: number; itemsPerPage: number; Resources: Obj[] }

let server: TestServer;
let n = 0;

before(async () => { server = await startTestServer(); });
after(async () => { await server?.close(); });

/** A SCIM client bound to one tenant. */
class Client {
  constructor(readonly scimUrl: string, readonly token: string) {}
  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
    const h: Record<string, string> = { authorization: `Bearer ${this.token}`, ...headers };
    if (body !== undefined) h['content-type'] = 'application/scim+json';
    const res = await fetch(this.scimUrl + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  async createUser(userName: string, extra: Obj = {}): Promise<Obj> {
    const r = await this.req('POST', '/Users', { schemas: [USER_URN], userName, ...extra });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }
  async createGroup(displayName: string, memberIds: string[] = [], extra: Obj = {}): Promise<Obj> {
    const r = await this.req('POST', '/Groups', { schemas: [GROUP_URN], displayName, members: memberIds.map((value) => ({ value })), ...extra });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }
  async list(path: string): Promise<ListBody> {
    const r = await this.req('GET', path);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.schemas, [LIST_URN]);
    return r.body;
  }
}

async function tenant(): Promise<Client> {
  const t = await server.createTenant(`res-${process.pid}-${++n}`);
  return new Client(t.scimUrl, t.token);
}

const patchOp = (...Operations: Obj[]) => ({ schemas: [PATCH_URN], Operations });
const filterQ = (f: string) => `filter=${encodeURIComponent(f)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- create and read

test('POST /Users is 201 with Location, and an ETag equal to meta.version', async () => {
  const c = await tenant();
  const r = await c.req('POST', '/Users', { schemas: [USER_URN], userName: 'alice@example.com', name: { givenName: 'Alice', familyName: 'Liddell' }, emails: [{ value: 'alice@example.com', type: 'work', primary: true }] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const u = r.body;
  assert.equal(typeof u.id, 'string');
  assert.ok(u.id.length > 0);
  assert.deepEqual(u.schemas, [USER_URN]);
  assert.equal(u.userName, 'alice@example.com');
  assert.equal(u.name.givenName, 'Alice');
  assert.equal(u.meta.resourceType, 'User');
  assert.equal(u.meta.location, `${c.scimUrl}/Users/${u.id}`);
  assert.equal(r.headers.get('location'), u.meta.location);
  assert.ok(r.headers.get('etag'), 'ETag header');
  assert.equal(r.headers.get('etag'), u.meta.version);
  assert.ok(!Number.isNaN(Date.parse(u.meta.created)));
  assert.equal(u.meta.created, u.meta.lastModified);

  const g = await c.req('GET', `/Users/${u.id}`);
  assert.equal(g.status, 200);
  assert.equal(g.body.id, u.id);
  assert.equal(g.body.userName, 'alice@example.com');
  assert.deepEqual(g.body.emails, [{ value: 'alice@example.com', type: 'work', primary: true }]);
  assert.equal(g.headers.get('etag'), u.meta.version);
});

test('POST /Groups is 201 with Location and ETag; a client-sent id is ignored', async () => {
  const c = await tenant();
  const r = await c.req('POST', '/Groups', { schemas: [GROUP_URN], id: 'client-chosen', displayName: 'Engineering', meta: { version: 'W/"99"' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.notEqual(r.body.id, 'client-chosen');
  assert.equal(r.headers.get('location'), `${c.scimUrl}/Groups/${r.body.id}`);
  assert.equal(r.headers.get('etag'), r.body.meta.version);
  assert.notEqual(r.body.meta.version, 'W/"99"');
  assert.equal(r.body.meta.resourceType, 'Group');
  assertScimError(await c.req('GET', '/Groups/client-chosen'), 404);
});

test('userName is unique per tenant, compared case-insensitively: 409 uniqueness', async () => {
  const c = await tenant();
  const first = await c.createUser('Bjorn@Example.com');
  assertScimError(await c.req('POST', '/Users', { schemas: [USER_URN], userName: 'bjorn@example.COM' }), 409, 'uniqueness');
  // The same rule on PUT and PATCH of another user.
  const other = await c.createUser('someone-else');
  assertScimError(await c.req('PUT', `/Users/${other.id}`, { schemas: [USER_URN], userName: 'BJORN@example.com' }), 409, 'uniqueness');
  assertScimError(await c.req('PATCH', `/Users/${other.id}`, patchOp({ op: 'replace', path: 'userName', value: 'bjorn@EXAMPLE.com' })), 409, 'uniqueness');
  // Nothing changed.
  assert.equal((await c.list('/Users')).totalResults, 2);
  assert.equal((await c.req('GET', `/Users/${other.id}`)).body.userName, 'someone-else');
  // The user itself may change the case of its own userName.
  const self = await c.req('PATCH', `/Users/${first.id}`, patchOp({ op: 'replace', path: 'userName', value: 'bjorn@example.com' }));
  assert.equal(self.status, 200, JSON.stringify(self.body));
  assert.equal(self.body.userName, 'bjorn@example.com');
});

test('externalId is not unique: two users may share one', async () => {
  const c = await tenant();
  const a = await c.createUser('ext-a', { externalId: 'shared-ext' });
  const b = await c.createUser('ext-b', { externalId: 'shared-ext' });
  assert.equal(a.externalId, 'shared-ext');
  assert.equal(b.externalId, 'shared-ext');
  const found = await c.list(`/Users?${filterQ('externalId eq "shared-ext"')}`);
  assert.equal(found.totalResults, 2);
});

test('group displayName is unique per tenant: 409 uniqueness', async () => {
  const c = await tenant();
  await c.createGroup('Admins');
  assertScimError(await c.req('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Admins' }), 409, 'uniqueness');
  assertScimError(await c.req('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'admins' }), 409, 'uniqueness');
  const other = await c.createGroup('Others');
  assertScimError(await c.req('PUT', `/Groups/${other.id}`, { schemas: [GROUP_URN], displayName: 'ADMINS' }), 409, 'uniqueness');
  assert.equal((await c.list('/Groups')).totalResults, 2);
});

test('GET of an unknown id is a 404 SCIM error', async () => {
  const c = await tenant();
  assertScimError(await c.req('GET', '/Users/00000000-0000-4000-8000-000000000000'), 404);
  assertScimError(await c.req('GET', '/Groups/00000000-0000-4000-8000-000000000000'), 404);
});

// ---------------------------------------------------------------- replace and modify

test('PUT replaces the user: attributes missing from the body are gone; client id and meta are ignored', async () => {
  const c = await tenant();
  const u = await c.createUser('put-me', { displayName: 'Put Me', title: 'Engineer', emails: [{ value: 'put@example.com', type: 'work' }], name: { givenName: 'P', familyName: 'M' } });
  await sleep(5);
  const r = await c.req('PUT', `/Users/${u.id}`, {
    schemas: [USER_URN], id: 'some-other-id', userName: 'put-me', nickName: 'putty',
    meta: { created: '2000-01-01T00:00:00Z', version: 'W/"1000"', location: 'https://evil.example.com/' },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const gone of ['displayName', 'title', 'emails', 'name']) assert.equal(r.body[gone], undefined, `${gone} is removed by PUT`);
  assert.equal(r.body.nickName, 'putty');
  assert.equal(r.body.id, u.id);
  assert.equal(r.body.meta.created, u.meta.created);
  assert.equal(r.body.meta.location, u.meta.location);
  assert.notEqual(r.body.meta.version, u.meta.version);
  assert.notEqual(r.body.meta.version, 'W/"1000"');
  assert.equal(r.headers.get('etag'), r.body.meta.version);
  assert.ok(Date.parse(r.body.meta.lastModified) > Date.parse(u.meta.lastModified));
  // And the change is stored, not just echoed.
  const g = await c.req('GET', `/Users/${u.id}`);
  assert.equal(g.body.title, undefined);
  assert.equal(g.body.emails, undefined);
  assert.equal(g.body.nickName, 'putty');
  assertScimError(await c.req('GET', '/Users/some-other-id'), 404);
});

test('PUT on a group replaces its members', async () => {
  const c = await tenant();
  const [a, b] = [await c.createUser('pm-a'), await c.createUser('pm-b')];
  const g = await c.createGroup('Replace Members', [a.id]);
  const r = await c.req('PUT', `/Groups/${g.id}`, { schemas: [GROUP_URN], displayName: 'Replace Members', members: [{ value: b.id }] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.members.map((m: Obj) => m.value), [b.id]);
  const after = await c.req('GET', `/Groups/${g.id}`);
  assert.deepEqual(after.body.members.map((m: Obj) => m.value), [b.id]);
});

test('PATCH returns 200 with the resource and a new ETag', async () => {
  const c = await tenant();
  const u = await c.createUser('patch-me', { active: true });
  const r = await c.req('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'active', value: false }, { op: 'add', path: 'displayName', value: 'Patched' }));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.id, u.id);
  assert.equal(r.body.active, false);
  assert.equal(r.body.displayName, 'Patched');
  assert.equal(r.body.userName, 'patch-me');
  const etag = r.headers.get('etag');
  assert.ok(etag);
  assert.equal(etag, r.body.meta.version);
  assert.notEqual(etag, u.meta.version);
  const g = await c.req('GET', `/Users/${u.id}`);
  assert.equal(g.body.active, false);
  assert.equal(g.headers.get('etag'), etag);
});

test('PATCH on a group adds and removes members and changes the ETag', async () => {
  const c = await tenant();
  const [a, b] = [await c.createUser('gp-a'), await c.createUser('gp-b')];
  const g = await c.createGroup('Patch Members', [a.id]);
  const add = await c.req('PATCH', `/Groups/${g.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: b.id }] }));
  assert.equal(add.status, 204, JSON.stringify(add.body));
  assert.notEqual(add.headers.get('etag'), g.meta.version);
  const afterAdd = await c.req('GET', `/Groups/${g.id}`);
  assert.deepEqual(afterAdd.body.members.map((m: Obj) => m.value).sort(), [a.id, b.id].sort());
  assert.equal(afterAdd.headers.get('etag'), add.headers.get('etag'));
  const rm = await c.req('PATCH', `/Groups/${g.id}`, patchOp({ op: 'remove', path: `members[value eq "${a.id}"]` }));
  assert.equal(rm.status, 204, JSON.stringify(rm.body));
  assert.deepEqual((await c.req('GET', `/Groups/${g.id}`)).body.members.map((m: Obj) => m.value), [b.id]);
  assert.notEqual(rm.headers.get('etag'), add.headers.get('etag'));
});

test('a group PATCH with attributes or excludedAttributes answers 200 with the resource as projected', async () => {
  const c = await tenant();
  const [a, b] = [await c.createUser('gq-a'), await c.createUser('gq-b')];
  const g = await c.createGroup('Projected Patch', [a.id]);
  const withMembers = await c.req('PATCH', `/Groups/${g.id}?attributes=members`, patchOp({ op: 'add', path: 'members', value: [{ value: b.id }] }));
  assert.equal(withMembers.status, 200);
  assert.deepEqual(withMembers.body.members.map((m: Obj) => m.value).sort(), [a.id, b.id].sort());
  assert.equal(withMembers.body.displayName, undefined, 'only what was asked for (and id)');
  assert.equal(withMembers.headers.get('etag'), withMembers.body.meta?.version ?? withMembers.headers.get('etag'));
  const without = await c.req('PATCH', `/Groups/${g.id}?excludedAttributes=members`, patchOp({ op: 'replace', path: 'displayName', value: 'Projected Patch 2' }));
  assert.equal(without.status, 200);
  assert.equal(without.body.displayName, 'Projected Patch 2');
  assert.equal(without.body.members, undefined);
  assert.equal(without.headers.get('etag'), without.body.meta.version);
});

test('If-Match with a stale ETag is 412 on PUT, PATCH and DELETE, and nothing changes', async () => {
  const c = await tenant();
  const u = await c.createUser('etag-user', { displayName: 'Original' });
  const stale = u.meta.version;
  const bumped = await c.req('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Second' }));
  assert.equal(bumped.status, 200);
  const current = bumped.headers.get('etag')!;
  assert.notEqual(current, stale);

  assertScimError(await c.req('PUT', `/Users/${u.id}`, { schemas: [USER_URN], userName: 'etag-user', displayName: 'Lost update' }, { 'if-match': stale }), 412);
  assertScimError(await c.req('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'Lost update' }), { 'if-match': stale }), 412);
  assertScimError(await c.req('DELETE', `/Users/${u.id}`, undefined, { 'if-match': stale }), 412);
  const g = await c.req('GET', `/Users/${u.id}`);
  assert.equal(g.status, 200, 'the user survived the stale DELETE');
  assert.equal(g.body.displayName, 'Second');
  assert.equal(g.headers.get('etag'), current);

  // The same on a group.
  const grp = await c.createGroup('etag-group');
  await c.req('PATCH', `/Groups/${grp.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'etag-group-2' }));
  assertScimError(await c.req('PATCH', `/Groups/${grp.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'x' }), { 'if-match': grp.meta.version }), 412);
  assertScimError(await c.req('DELETE', `/Groups/${grp.id}`, undefined, { 'if-match': grp.meta.version }), 412);
  assert.equal((await c.req('GET', `/Groups/${grp.id}`)).body.displayName, 'etag-group-2');
});

test('If-Match with the current ETag succeeds on PUT, PATCH and DELETE', async () => {
  const c = await tenant();
  const u = await c.createUser('match-user');
  const put = await c.req('PUT', `/Users/${u.id}`, { schemas: [USER_URN], userName: 'match-user', title: 'A' }, { 'if-match': u.meta.version });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const patch = await c.req('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'title', value: 'B' }), { 'if-match': put.headers.get('etag')! });
  assert.equal(patch.status, 200, JSON.stringify(patch.body));
  assert.equal(patch.body.title, 'B');
  const del = await c.req('DELETE', `/Users/${u.id}`, undefined, { 'if-match': patch.headers.get('etag')! });
  assert.equal(del.status, 204);
  assertScimError(await c.req('GET', `/Users/${u.id}`), 404);
});

test('If-None-Match with the current ETag on GET is 304; with an old one it is 200', async () => {
  const c = await tenant();
  const u = await c.createUser('cache-user');
  const first = await c.req('GET', `/Users/${u.id}`, undefined, { 'if-none-match': u.meta.version });
  assert.equal(first.status, 304);
  assert.equal(first.body, undefined, 'a 304 has no body');
  assert.equal(first.headers.get('etag'), u.meta.version, 'a 304 still names the current ETag (RFC 7232 §4.1)');
  await c.req('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'title', value: 'changed' }));
  const second = await c.req('GET', `/Users/${u.id}`, undefined, { 'if-none-match': u.meta.version });
  assert.equal(second.status, 200);
  assert.equal(second.body.title, 'changed');
  const g = await c.createGroup('cache-group');
  assert.equal((await c.req('GET', `/Groups/${g.id}`, undefined, { 'if-none-match': g.meta.version })).status, 304);
});

test('DELETE is 204, then GET is 404 and the user is gone from lists', async () => {
  const c = await tenant();
  const u = await c.createUser('delete-me');
  const del = await c.req('DELETE', `/Users/${u.id}`);
  assert.equal(del.status, 204);
  assert.equal(del.body, undefined);
  assertScimError(await c.req('GET', `/Users/${u.id}`), 404);
  assertScimError(await c.req('DELETE', `/Users/${u.id}`), 404);
  assert.equal((await c.list('/Users')).totalResults, 0);
  const g = await c.createGroup('delete-group');
  assert.equal((await c.req('DELETE', `/Groups/${g.id}`)).status, 204);
  assertScimError(await c.req('GET', `/Groups/${g.id}`), 404);
  // The name is free again.
  await c.createGroup('delete-group');
});

test('deleting a user removes it from its groups and gives those groups a new version', async () => {
  const c = await tenant();
  const [a, b] = [await c.createUser('leaver'), await c.createUser('stayer')];
  const g = await c.createGroup('Team', [a.id, b.id]);
  const untouched = await c.createGroup('Unrelated', [b.id]);
  assert.equal(g.members.length, 2);
  assert.equal((await c.req('DELETE', `/Users/${a.id}`)).status, 204);
  const after = await c.req('GET', `/Groups/${g.id}`);
  assert.deepEqual(after.body.members.map((m: Obj) => m.value), [b.id]);
  assert.notEqual(after.body.meta.version, g.meta.version, 'the group changed, so its version changed');
  assert.equal(after.headers.get('etag'), after.body.meta.version);
  // A stale If-Match on the group now fails: a client holding the old version must re-read.
  assertScimError(await c.req('PATCH', `/Groups/${g.id}`, patchOp({ op: 'replace', path: 'displayName', value: 'x' }), { 'if-match': g.meta.version }), 412);
  // A group the user was not in keeps its version.
  assert.equal((await c.req('GET', `/Groups/${untouched.id}`)).body.meta.version, untouched.meta.version);
  // Filtering groups by the deleted member finds none.
  assert.equal((await c.list(`/Groups?${filterQ(`members.value eq "${a.id}"`)}`)).totalResults, 0);
});

// ---------------------------------------------------------------- password, groups, members

test('a password is accepted but never returned, nor stored in clear', async () => {
  const c = await tenant();
  const secret = `S3cret-${Date.now()}-pw`;
  const created = await c.req('POST', '/Users', { schemas: [USER_URN], userName: 'pw-user', password: secret });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.password, undefined);
  assert.ok(!JSON.stringify(created.body).includes(secret));
  const id = created.body.id;
  for (const path of [`/Users/${id}`, `/Users/${id}?attributes=password`, `/Users?${filterQ('userName eq "pw-user"')}`, '/Users?attributes=password,userName']) {
    const r = await c.req('GET', path);
    assert.equal(r.status, 200, path);
    assert.ok(!JSON.stringify(r.body).includes(secret), `${path} leaks the password`);
    assert.ok(!JSON.stringify(r.body).includes('"password"'), `${path} names a password attribute`);
  }
  const secret2 = `${secret}-2`;
  const patched = await c.req('PATCH', `/Users/${id}`, patchOp({ op: 'replace', path: 'password', value: secret2 }));
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.ok(!JSON.stringify(patched.body).includes(secret2));
  const put = await c.req('PUT', `/Users/${id}`, { schemas: [USER_URN], userName: 'pw-user', password: `${secret}-3` });
  assert.equal(put.status, 200);
  assert.ok(!JSON.stringify(put.body).includes(`${secret}-3`));
  // Not in the database file either.
  const dump = JSON.stringify(await server.query('SELECT * FROM users'));
  assert.ok(dump.includes('pw-user'), 'sanity: the user row is there');
  for (const s of [secret, secret2, `${secret}-3`]) assert.ok(!dump.includes(s), 'the password is not stored in clear');
});

test("a user's groups attribute lists the groups it belongs to", async () => {
  const c = await tenant();
  const u = await c.createUser('member-user');
  const loner = await c.createUser('loner');
  const g1 = await c.createGroup('Group One', [u.id]);
  const g2 = await c.createGroup('Group Two', [u.id, loner.id]);
  await c.createGroup('Group Three', [loner.id]);
  const r = await c.req('GET', `/Users/${u.id}`);
  const groups = (r.body.groups as Obj[]).sort((a, b) => a.display.localeCompare(b.display));
  assert.equal(groups.length, 2);
  assert.deepEqual(groups.map((g) => g.value), [g1.id, g2.id]);
  assert.deepEqual(groups.map((g) => g.display), ['Group One', 'Group Two']);
  for (const g of groups) assert.equal(g.$ref, `${c.scimUrl}/Groups/${g.value}`);
  // Also in lists.
  const listed = await c.list(`/Users?${filterQ('userName eq "member-user"')}`);
  assert.equal(listed.Resources[0].groups.length, 2);
  // And groups is read-only: a client cannot join a group by writing it on the user.
  const g3 = await c.createGroup('Group Four');
  const put = await c.req('PUT', `/Users/${loner.id}`, { schemas: [USER_URN], userName: 'loner', groups: [{ value: g3.id }] });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual((await c.req('GET', `/Groups/${g3.id}`)).body.members ?? [], []);
});

test("a group's members are listed with value, $ref and type", async () => {
  const c = await tenant();
  const u = await c.createUser('in-group', { displayName: 'In Group' });
  const inner = await c.createGroup('Inner');
  const outer = await c.createGroup('Outer', [u.id, inner.id]);
  const r = await c.req('GET', `/Groups/${outer.id}`);
  assert.equal(r.status, 200);
  const members = r.body.members as Obj[];
  assert.equal(members.length, 2);
  const user = members.find((m) => m.value === u.id);
  const group = members.find((m) => m.value === inner.id);
  assert.ok(user && group);
  assert.equal(user.type, 'User');
  assert.equal(user.$ref, `${c.scimUrl}/Users/${u.id}`);
  assert.equal(group.type, 'Group');
  assert.equal(group.$ref, `${c.scimUrl}/Groups/${inner.id}`);
});

test('excludedAttributes=members drops members on group GET and list', async () => {
  const c = await tenant();
  const u = await c.createUser('excl-member');
  const g = await c.createGroup('Excl', [u.id]);
  const one = await c.req('GET', `/Groups/${g.id}?excludedAttributes=members`);
  assert.equal(one.status, 200);
  assert.equal(one.body.members, undefined);
  assert.equal(one.body.displayName, 'Excl');
  assert.equal(one.body.id, g.id);
  const list = await c.list('/Groups?excludedAttributes=members');
  assert.equal(list.totalResults, 1);
  assert.equal(list.Resources[0].members, undefined);
  assert.equal(list.Resources[0].displayName, 'Excl');
  // Without it, members are there (so the assertion above can fail).
  assert.equal((await c.list('/Groups')).Resources[0].members.length, 1);
});

// ---------------------------------------------------------------- listing

test('count=0 gives only totalResults, with Resources []', async () => {
  const c = await tenant();
  for (let i = 0; i < 3; i++) await c.createUser(`count0-${i}`);
  const l = await c.list('/Users?count=0');
  assert.equal(l.totalResults, 3);
  assert.deepEqual(l.Resources, []);
  assert.equal(l.itemsPerPage, 0);
});

test('paging with count=2 over 7 users never skips or repeats a user', async () => {
  const c = await tenant();
  const ids = new Set<string>();
  for (let i = 0; i < 7; i++) ids.add((await c.createUser(`page-${i}`)).id);
  const seen: string[] = [];
  for (let start = 1; start <= 7; start += 2) {
    const l = await c.list(`/Users?count=2&startIndex=${start}`);
    assert.equal(l.totalResults, 7);
    assert.equal(l.startIndex, start);
    assert.equal(l.itemsPerPage, l.Resources.length);
    assert.equal(l.Resources.length, start === 7 ? 1 : 2);
    seen.push(...l.Resources.map((r) => r.id));
  }
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen).size, 7, 'no user appears twice');
  assert.deepEqual(new Set(seen), ids);
  // Past the end: an empty page, still with the total.
  const past = await c.list('/Users?count=2&startIndex=8');
  assert.equal(past.totalResults, 7);
  assert.deepEqual(past.Resources, []);
  // The same while sorted by userName descending.
  const sorted: string[] = [];
  for (let start = 1; start <= 7; start += 2) sorted.push(...(await c.list(`/Users?count=2&startIndex=${start}&sortBy=userName&sortOrder=descending`)).Resources.map((r) => r.userName));
  assert.deepEqual(sorted, ['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
});

test('sortBy=userName&sortOrder=descending sorts case-insensitively, descending', async () => {
  const c = await tenant();
  for (const name of ['bob', 'Carol', 'alice', 'Dave']) await c.createUser(name);
  const desc = await c.list('/Users?sortBy=userName&sortOrder=descending');
  assert.deepEqual(desc.Resources.map((r) => r.userName), ['Dave', 'Carol', 'bob', 'alice']);
  const asc = await c.list('/Users?sortBy=userName');
  assert.deepEqual(asc.Resources.map((r) => r.userName), ['alice', 'bob', 'Carol', 'Dave']);
});

test('attributes=userName returns only id, schemas and userName', async () => {
  const c = await tenant();
  const u = await c.createUser('proj-user', { displayName: 'Projected', emails: [{ value: 'p@example.com' }], active: true });
  const g = await c.createGroup('Proj Group', [u.id]);
  assert.ok(g);
  const one = await c.req('GET', `/Users/${u.id}?attributes=userName`);
  assert.equal(one.status, 200);
  assert.deepEqual(Object.keys(one.body).sort(), ['id', 'schemas', 'userName']);
  assert.equal(one.body.userName, 'proj-user');
  const list = await c.list('/Users?attributes=userName');
  assert.equal(list.Resources.length, 1);
  assert.deepEqual(Object.keys(list.Resources[0]).sort(), ['id', 'schemas', 'userName']);
  const sub = await c.req('GET', `/Users/${u.id}?attributes=emails.value,displayName`);
  assert.deepEqual(Object.keys(sub.body).sort(), ['displayName', 'emails', 'id', 'schemas']);
  assert.deepEqual(sub.body.emails, [{ value: 'p@example.com' }]);
});

test('POST /Users/.search filters like GET /Users', async () => {
  const c = await tenant();
  await c.createUser('search-a', { title: 'Chef' });
  await c.createUser('search-b', { title: 'Chef' });
  await c.createUser('search-c', { title: 'Waiter' });
  const r = await c.req('POST', '/Users/.search', { schemas: [SEARCH_URN], filter: 'title eq "Chef"', sortBy: 'userName', attributes: ['userName'], count: 10 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.schemas, [LIST_URN]);
  assert.equal(r.body.totalResults, 2);
  assert.deepEqual(r.body.Resources.map((x: Obj) => x.userName), ['search-a', 'search-b']);
  assert.deepEqual(Object.keys(r.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
  const groups = await c.req('POST', '/Groups/.search', { schemas: [SEARCH_URN], filter: 'displayName sw "x"' });
  assert.equal(groups.status, 200);
  assert.equal(groups.body.totalResults, 0);
});

test('POST /.search at the root returns users and groups together; totalResults sums both', async () => {
  const c = await tenant();
  const users = [await c.createUser('root-u1'), await c.createUser('root-u2'), await c.createUser('root-u3')];
  const groups = [await c.createGroup('root-g1'), await c.createGroup('root-g2')];
  const all = await c.req('POST', '/.search', { schemas: [SEARCH_URN] });
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.equal(all.body.totalResults, 5);
  const ids = new Set(all.body.Resources.map((x: Obj) => x.id));
  for (const r of [...users, ...groups]) assert.ok(ids.has(r.id), `${r.id} is listed`);
  const types = all.body.Resources.map((x: Obj) => x.meta.resourceType).sort();
  assert.deepEqual(types, ['Group', 'Group', 'User', 'User', 'User']);
  // Paging across the boundary between users and groups never skips or repeats.
  const paged: string[] = [];
  for (let start = 1; start <= 5; start += 2) {
    const p = await c.req('POST', '/.search', { schemas: [SEARCH_URN], startIndex: start, count: 2 });
    assert.equal(p.status, 200);
    assert.equal(p.body.totalResults, 5);
    assert.equal(p.body.startIndex, start);
    paged.push(...p.body.Resources.map((x: Obj) => x.id));
  }
  assert.equal(paged.length, 5);
  assert.deepEqual(new Set(paged), ids);
  // A filter on an attribute both types have.
  const byName = await c.req('POST', '/.search', { schemas: [SEARCH_URN], filter: 'displayName sw "root-g"' });
  assert.equal(byName.status, 200, JSON.stringify(byName.body));
  assert.equal(byName.body.totalResults, 2);
  // A filter on a User-only attribute finds only users.
  const byUser = await c.req('POST', '/.search', { schemas: [SEARCH_URN], filter: 'userName sw "root-u"' });
  assert.equal(byUser.status, 200, JSON.stringify(byUser.body));
  assert.equal(byUser.body.totalResults, 3);
});

test('POST /.search at the root with sortBy=userName sorts users and still lists groups', async () => {
  const c = await tenant();
  await c.createUser('sort-b');
  await c.createUser('sort-a');
  await c.createGroup('sort-group');
  const r = await c.req('POST', '/.search', { schemas: [SEARCH_URN], sortBy: 'userName' });
  assert.ok(r.status === 200, `expected 200, got ${r.status}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.totalResults, 3);
  assert.deepEqual(r.body.Resources.filter((x: Obj) => x.meta.resourceType === 'User').map((x: Obj) => x.userName), ['sort-a', 'sort-b']);
});

test('POST /.search at the root with a filter on an attribute no resource type has is 400 invalidFilter', async () => {
  const c = await tenant();
  await c.createUser('typo-user');
  const r = await c.req('POST', '/.search', { schemas: [SEARCH_URN], filter: 'noSuchAttribute eq "x"' });
  assertScimError(r, 400, 'invalidFilter');
});

test('a filter on meta.lastModified gt finds only what changed after that instant', async () => {
  const c = await tenant();
  const old = await c.createUser('lm-old');
  const untouched = await c.createUser('lm-untouched');
  await sleep(15);
  const cut = new Date().toISOString();
  await sleep(15);
  const fresh = await c.createUser('lm-new');
  const changed = await c.req('PATCH', `/Users/${old.id}`, patchOp({ op: 'replace', path: 'title', value: 'changed' }));
  assert.equal(changed.status, 200);
  const l = await c.list(`/Users?${filterQ(`meta.lastModified gt "${cut}"`)}`);
  assert.deepEqual(l.Resources.map((r) => r.id).sort(), [fresh.id, old.id].sort());
  assert.equal(l.totalResults, 2);
  // The same instant written with a UTC offset and without milliseconds compares as a date, not as text.
  const cutMs = Date.parse(cut);
  const offset = new Date(cutMs + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
  assert.deepEqual((await c.list(`/Users?${filterQ(`meta.lastModified gt "${offset}"`)}`)).Resources.map((r) => r.id).sort(), [fresh.id, old.id].sort());
  const floorSecond = new Date(Math.floor(Date.parse(fresh.meta.lastModified) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const sinceSecond = await c.list(`/Users?${filterQ(`meta.lastModified ge "${floorSecond}"`)}`);
  assert.ok(sinceSecond.Resources.some((r) => r.id === fresh.id), `ge "${floorSecond}" finds a user modified at ${fresh.meta.lastModified}`);
  const before = await c.list(`/Users?${filterQ(`meta.lastModified lt "${cut}"`)}`);
  assert.deepEqual(before.Resources.map((r) => r.id), [untouched.id]);
  // Groups too.
  const g = await c.createGroup('lm-group');
  const lg = await c.list(`/Groups?${filterQ(`meta.lastModified gt "${cut}"`)}`);
  assert.deepEqual(lg.Resources.map((r) => r.id), [g.id]);
});

test("tenant isolation: tenant A's users and groups are invisible to tenant B", async () => {
  const a = await tenant();
  const b = await tenant();
  const u = await a.createUser('isolated@example.com', { externalId: 'iso-ext' });
  const g = await a.createGroup('Isolated Group', [u.id]);
  // Joining A's group gave u a new version; that is the version B must not be able to change.
  const uVersion = (await a.req('GET', `/Users/${u.id}`)).body.meta.version;
  assertScimError(await b.req('GET', `/Users/${u.id}`), 404);
  assertScimError(await b.req('GET', `/Groups/${g.id}`), 404);
  assert.equal((await b.list('/Users')).totalResults, 0);
  assert.equal((await b.list('/Groups')).totalResults, 0);
  assert.equal((await b.list(`/Users?${filterQ('userName eq "isolated@example.com"')}`)).totalResults, 0);
  assert.equal((await b.list(`/Users?${filterQ('externalId eq "iso-ext"')}`)).totalResults, 0);
  assert.equal((await b.list(`/Groups?${filterQ(`members.value eq "${u.id}"`)}`)).totalResults, 0);
  const root = await b.req('POST', '/.search', { schemas: [SEARCH_URN] });
  assert.equal(root.body.totalResults, 0);
  // B cannot change or delete A's resources...
  assertScimError(await b.req('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'active', value: false })), 404);
  assertScimError(await b.req('PUT', `/Users/${u.id}`, { schemas: [USER_URN], userName: 'hijacked' }), 404);
  assertScimError(await b.req('DELETE', `/Users/${u.id}`), 404);
  assertScimError(await b.req('DELETE', `/Groups/${g.id}`), 404);
  // ...nor put them in its own groups.
  const r = await b.req('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Poacher', members: [{ value: u.id }] });
  assertScimError(r, 400);
  const own = await b.createGroup('Own Group');
  assertScimError(await b.req('PATCH', `/Groups/${own.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: u.id }] })), 400);
  assert.deepEqual((await b.req('GET', `/Groups/${own.id}`)).body.members ?? [], []);
  // B may reuse A's userName and group name: uniqueness is per tenant.
  await b.createUser('isolated@example.com');
  await b.createGroup('Isolated Group');
  // And A still sees its own, unchanged.
  const still = await a.req('GET', `/Users/${u.id}`);
  assert.equal(still.status, 200);
  assert.equal(still.body.userName, 'isolated@example.com');
  assert.equal(still.body.meta.version, uVersion);
  assert.equal((await a.req('GET', `/Groups/${g.id}`)).body.members.length, 1);
});

test('a uniqueness conflict names the resource type and attribute it is about', async () => {
  const c = await tenant();
  await c.createUser('dup-user');
  await c.createGroup('Dup Group', []);
  const u = await c.req('POST', '/Users', { schemas: [USER_URN], userName: 'DUP-USER' });
  assertScimError(u, 409, 'uniqueness', /^A user with this userName already exists/);
  const g = await c.req('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'dup group' });
  assert.doesNotMatch(assertScimError(g, 409, 'uniqueness', /^A group with this displayName already exists/).detail, /user/i);
});
