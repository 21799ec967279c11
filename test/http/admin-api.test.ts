// The admin API's resources through the real server and database: tenants (create, search and
// cursor paging, rename, delete with confirmation), a tenant's users and groups (SCIM filters,
// paging, IdP-managed vs local, local writes seen over SCIM, If-Match, members, isolation between
// tenants), the audit log, and hostile input (always a 4xx problem+json, never a 500).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { allPages, expectProblem, scim, startAdminServer, type AdminTestServer } from '../support/admin.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let server: AdminTestServer;
let slugN = 0;
const newSlug = (p: string) => `${p}-${process.pid}-${++slugN}`;

before(async () => { server = await startAdminServer({ config: { bodyLimitBytes: 64 * 1024 } }); });
after(async () => { await server?.close(); });

interface Tenant { slug: string; id: string; scimUrl: string; token: string; tokenId: string }

async function newTenant(prefix: string, name?: string): Promise<Tenant> {
  const slug = newSlug(prefix);
  const t = await server.admin('POST', '/tenants', { body: { slug, ...(name ? { name } : {}) } });
  assert.equal(t.status, 201, t.text);
  const tok = await server.admin('POST', `/tenants/${slug}/tokens`, { body: {} });
  assert.equal(tok.status, 201, tok.text);
  return { slug, id: t.body.id, scimUrl: tok.body.scimUrl, token: tok.body.token, tokenId: tok.body.id };
}

async function scimUser(t: Tenant, userName: string): Promise<{ id: string; version: string }> {
  const res = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER], userName, name: { givenName: userName.split('@')[0] } });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.id, version: res.body.meta.version };
}

async function scimGroup(t: Tenant, displayName: string, members: string[]): Promise<string> {
  const res = await scim(`${t.scimUrl}/Groups`, t.token, 'POST', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

// ---- tenants

test('a tenant is created with its slug, name, id, creation time and SCIM URL, and can be read back', async () => {
  const slug = newSlug('create');
  const res = await server.admin('POST', '/tenants', { body: { slug, name: 'Acme Inc' } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.slug, slug);
  assert.equal(res.body.name, 'Acme Inc');
  assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
  assert.equal(res.body.scimUrl, `${server.baseUrl}/scim/v2/${slug}`);
  const got = await server.admin('GET', `/tenants/${slug}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, res.body);
  expectProblem(await server.admin('GET', `/tenants/${newSlug('absent')}`), 404, { type: 'not-found' });
});

test('a slug that cannot be one is a 400 naming the slug; a duplicate is a 409; neither creates anything', async () => {
  for (const bad of ['Upper-Case', 'has space', '-dash-first', 'dash-last-', 'ümlaut', '']) {
    const res = await server.admin('POST', '/tenants', { body: { slug: bad } });
    expectProblem(res, 400, { detail: bad ? new RegExp(bad) : /slug/ });
  }
  const slug = newSlug('dup');
  assert.equal((await server.admin('POST', '/tenants', { body: { slug, name: 'First' } })).status, 201);
  expectProblem(await server.admin('POST', '/tenants', { body: { slug, name: 'Second' } }), 409, { type: 'conflict', detail: new RegExp(slug) });
  assert.equal((await server.admin('GET', `/tenants/${slug}`)).body.name, 'First');
});

test('a bad slug names the field in the problem', async () => {
  expectProblem(await server.admin('POST', '/tenants', { body: { slug: 'Not A Slug' } }), 400, { field: 'slug' });
});

test('tenants are listed in slug order, searched by slug or name, and paged by cursor with no repeat or skip', async () => {
  const mark = `pg${process.pid}`;
  const made: string[] = [];
  for (let i = 0; i < 7; i++) {
    const slug = `${mark}-${String(i).padStart(2, '0')}`;
    made.push(slug);
    assert.equal((await server.admin('POST', '/tenants', { body: { slug, name: `Paging Co ${i}` } })).status, 201);
  }
  assert.equal((await server.admin('POST', '/tenants', { body: { slug: newSlug('other'), name: 'Unrelated' } })).status, 201);
  const bySlug = await allPages(server, `/tenants?search=${mark}`, 3);
  assert.equal(bySlug.pages, 3);
  assert.deepEqual(bySlug.items.map((t) => t.slug), made, 'every tenant once, in slug order');
  const byName = await allPages(server, `/tenants?search=${encodeURIComponent('PAGING co')}`, 2);
  assert.deepEqual(byName.items.map((t) => t.slug).filter((s) => s.startsWith(mark)), made, 'search is case-insensitive over names');
  const everything = await allPages(server, '/tenants', 4);
  const slugs = everything.items.map((t) => t.slug);
  assert.equal(new Set(slugs).size, slugs.length, 'no tenant appears twice');
  assert.deepEqual([...slugs].sort(), slugs);
  const last = await server.admin('GET', `/tenants?search=${mark}&limit=7`);
  assert.equal(last.body.data.length, 7);
  assert.equal(last.body.next, null, 'next is null when the page reaches the end');
  const none = await server.admin('GET', `/tenants?search=${encodeURIComponent('no such tenant %_')}`);
  assert.deepEqual(none.body, { data: [], next: null }, '% and _ in a search are literal');
  for (const bad of ['garbage', Buffer.from('{"p":42}').toString('base64url'), 'x'.repeat(900)]) {
    expectProblem(await server.admin('GET', `/tenants?after=${bad}`), 400, { field: 'after' });
  }
});

test('a tenant is renamed; its slug stays; an empty name is refused', async () => {
  const t = await newTenant('rename', 'Old Name');
  const res = await server.admin('PATCH', `/tenants/${t.slug}`, { body: { name: 'New Name' } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.name, 'New Name');
  assert.equal(res.body.slug, t.slug);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}`)).body.name, 'New Name');
  expectProblem(await server.admin('PATCH', `/tenants/${t.slug}`, { body: { name: '   ' } }), 400);
  expectProblem(await server.admin('PATCH', `/tenants/${t.slug}`, { body: {} }), 400, { field: 'name' });
  expectProblem(await server.admin('PATCH', `/tenants/${newSlug('absent')}`, { body: { name: 'x' } }), 404);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}`)).body.name, 'New Name');
});

test('delete without or with a wrong confirm is a 400 and deletes nothing; with confirm=<slug> every user, group and token goes, and another tenant is untouched', async () => {
  const doomed = await newTenant('doomed');
  const kept = await newTenant('kept');
  const u1 = await scimUser(doomed, 'gone1@example.com');
  await scimUser(doomed, 'gone2@example.com');
  await scimGroup(doomed, 'Doomed group', [u1.id]);
  assert.equal((await server.admin('POST', `/tenants/${doomed.slug}/users`, { body: { attributes: { userName: 'local.gone@example.com' } } })).status, 201);
  const k1 = await scimUser(kept, 'stays@example.com');
  await scimGroup(kept, 'Kept group', [k1.id]);

  expectProblem(await server.admin('DELETE', `/tenants/${doomed.slug}`), 400, { detail: new RegExp(`confirm=${doomed.slug}`) });
  expectProblem(await server.admin('DELETE', `/tenants/${doomed.slug}?confirm=${kept.slug}`), 400);
  expectProblem(await server.admin('DELETE', `/tenants/${doomed.slug}?confirm=${doomed.slug.toUpperCase()}`), 400);
  assert.equal((await server.admin('GET', `/tenants/${doomed.slug}`)).status, 200, 'still there');
  assert.equal((await scim(`${doomed.scimUrl}/Users`, doomed.token)).body.totalResults, 3);

  const res = await server.admin('DELETE', `/tenants/${doomed.slug}?confirm=${doomed.slug}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { deleted: doomed.slug, users: 3, groups: 1 });
  expectProblem(await server.admin('GET', `/tenants/${doomed.slug}`), 404);
  const refused = await scim(`${doomed.scimUrl}/Users`, doomed.token);
  assert.equal(refused.status, 401, "the deleted tenant's token no longer works");
  for (const table of ['users', 'groups', 'group_members', 'tokens', 'user_values']) {
    const [row] = await server.query(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`, [doomed.id]);
    assert.equal(Number(row.n), 0, `no ${table} row of the deleted tenant is left`);
  }
  const others = await scim(`${kept.scimUrl}/Users`, kept.token);
  assert.equal(others.status, 200);
  assert.equal(others.body.totalResults, 1);
  const keptGroups = await scim(`${kept.scimUrl}/Groups`, kept.token);
  assert.equal(keptGroups.body.Resources[0].members.length, 1, "the other tenant's memberships are intact");
  expectProblem(await server.admin('POST', '/tenants', { body: { slug: kept.slug } }), 409);
  assert.equal((await server.admin('POST', '/tenants', { body: { slug: doomed.slug } })).status, 201, 'the slug is free again');
});

// ---- users and groups

test('users are listed with a SCIM filter, an invalid filter is a 400 naming the filter, and pages never repeat or skip', async () => {
  const t = await newTenant('users');
  for (const n of ['alice', 'bob', 'amy', 'carol', 'anna', 'dave']) await scimUser(t, `${n}@example.com`);
  const sw = await server.admin('GET', `/tenants/${t.slug}/users?filter=${encodeURIComponent('userName sw "a"')}`);
  assert.equal(sw.status, 200, sw.text);
  assert.deepEqual(sw.body.data.map((u: { userName: string }) => u.userName), ['alice@example.com', 'amy@example.com', 'anna@example.com']);
  assert.equal(sw.body.next, null);
  const given = await server.admin('GET', `/tenants/${t.slug}/users?filter=${encodeURIComponent('name.givenName eq "BOB"')}`);
  assert.deepEqual(given.body.data.map((u: { userName: string }) => u.userName), ['bob@example.com'], 'SCIM semantics: case-insensitive eq');
  for (const bad of ['userName sw', 'userName xx "a"', '(userName eq "a"', 'userName eq "unterminated']) {
    expectProblem(await server.admin('GET', `/tenants/${t.slug}/users?filter=${encodeURIComponent(bad)}`), 400, { field: 'filter' });
  }
  const paged = await allPages(server, `/tenants/${t.slug}/users`, 4);
  assert.equal(paged.pages, 2);
  assert.deepEqual(paged.items.map((u) => u.userName), ['alice', 'bob', 'amy', 'carol', 'anna', 'dave'].map((n) => `${n}@example.com`), 'creation order, once each');
  const filteredPages = await allPages(server, `/tenants/${t.slug}/users?filter=${encodeURIComponent('userName sw "a"')}`, 1);
  assert.equal(filteredPages.pages, 3);
  assert.equal(filteredPages.items.length, 3);
  for (const u of paged.items) {
    assert.equal(u.idpManaged, true, 'created over SCIM');
    assert.equal(typeof u.version, 'number');
    assert.ok(!Number.isNaN(Date.parse(u.createdAt)) && !Number.isNaN(Date.parse(u.updatedAt)));
  }
});

test('a user read by id includes its groups; idpManaged says whether SCIM or the app created it', async () => {
  const t = await newTenant('getuser');
  const u = await scimUser(t, 'grouped@example.com');
  const g = await scimGroup(t, 'Engineering', [u.id]);
  const got = await server.admin('GET', `/tenants/${t.slug}/users/${u.id}`);
  assert.equal(got.status, 200, got.text);
  assert.equal(got.body.userName, 'grouped@example.com');
  assert.equal(got.body.idpManaged, true);
  assert.equal(got.body.active, true);
  assert.deepEqual(got.body.groups, [{ id: g, displayName: 'Engineering' }]);
  assert.equal(got.body.attributes.name.givenName, 'grouped');
  const local = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'local@example.com' } } });
  assert.equal(local.status, 201, local.text);
  assert.equal(local.body.idpManaged, false);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/users/${local.body.id}`)).body.idpManaged, false);
  const group = await server.admin('GET', `/tenants/${t.slug}/groups/${g}`);
  assert.equal(group.body.idpManaged, true);
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/users/00000000-0000-4000-8000-000000000000`), 404, { type: 'not-found' });
});

test('a local user created, replaced and deleted through the admin API is seen so over SCIM', async () => {
  const t = await newTenant('localuser');
  const made = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'app.user@example.com', displayName: 'App User', emails: [{ value: 'app.user@example.com', type: 'work', primary: true }] } } });
  assert.equal(made.status, 201, made.text);
  const id = made.body.id;
  const seen = await scim(`${t.scimUrl}/Users/${id}`, t.token);
  assert.equal(seen.status, 200);
  assert.equal(seen.body.userName, 'app.user@example.com');
  assert.equal(seen.body.emails[0].value, 'app.user@example.com');
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'APP.USER@example.com' } } }), 409, { type: 'conflict' });

  const replaced = await server.admin('PUT', `/tenants/${t.slug}/users/${id}`, { body: { attributes: { userName: 'app.user@example.com', displayName: 'Renamed User', active: false } } });
  assert.equal(replaced.status, 200, replaced.text);
  assert.equal(replaced.body.version, made.body.version + 1);
  assert.equal(replaced.body.active, false);
  const after = await scim(`${t.scimUrl}/Users/${id}`, t.token);
  assert.equal(after.body.displayName, 'Renamed User');
  assert.equal(after.body.active, false);
  assert.equal(after.body.emails, undefined, 'a replace replaces: emails not sent are gone');

  assert.equal((await server.admin('DELETE', `/tenants/${t.slug}/users/${id}`)).status, 204);
  assert.equal((await scim(`${t.scimUrl}/Users/${id}`, t.token)).status, 404);
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/users/${id}`), 404);
  expectProblem(await server.admin('DELETE', `/tenants/${t.slug}/users/${id}`), 404);
});

test('replacing or deleting an IdP-managed user or group is a 409 idp-managed and changes nothing', async () => {
  const t = await newTenant('idp');
  const u = await scimUser(t, 'idp.user@example.com');
  const g = await scimGroup(t, 'IdP group', [u.id]);
  const beforeUser = await scim(`${t.scimUrl}/Users/${u.id}`, t.token);
  const beforeGroup = await scim(`${t.scimUrl}/Groups/${g}`, t.token);
  expectProblem(await server.admin('PUT', `/tenants/${t.slug}/users/${u.id}`, { body: { attributes: { userName: 'hijacked@example.com' } } }), 409, { type: 'idp-managed', detail: /identity provider/ });
  expectProblem(await server.admin('DELETE', `/tenants/${t.slug}/users/${u.id}`), 409, { type: 'idp-managed' });
  expectProblem(await server.admin('PUT', `/tenants/${t.slug}/groups/${g}`, { body: { attributes: { displayName: 'Hijacked' }, members: [] } }), 409, { type: 'idp-managed' });
  expectProblem(await server.admin('DELETE', `/tenants/${t.slug}/groups/${g}`), 409, { type: 'idp-managed' });
  assert.deepEqual((await scim(`${t.scimUrl}/Users/${u.id}`, t.token)).body, beforeUser.body);
  assert.deepEqual((await scim(`${t.scimUrl}/Groups/${g}`, t.token)).body, beforeGroup.body);
});

test('If-Match with a stale version is a 412 and writes nothing; the current version (or its ETag) is accepted', async () => {
  const t = await newTenant('ifmatch');
  const made = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'versioned@example.com' } } });
  const id = made.body.id;
  const v1 = made.body.version;
  const v2 = await server.admin('PUT', `/tenants/${t.slug}/users/${id}`, { body: { attributes: { userName: 'versioned@example.com', displayName: 'Two' } }, headers: { 'if-match': String(v1) } });
  assert.equal(v2.status, 200, v2.text);
  expectProblem(await server.admin('PUT', `/tenants/${t.slug}/users/${id}`, { body: { attributes: { userName: 'versioned@example.com', displayName: 'Stale' } }, headers: { 'if-match': String(v1) } }), 412, { type: 'version-mismatch' });
  expectProblem(await server.admin('DELETE', `/tenants/${t.slug}/users/${id}`, { headers: { 'if-match': String(v1) } }), 412, { type: 'version-mismatch' });
  const now = await server.admin('GET', `/tenants/${t.slug}/users/${id}`);
  assert.equal(now.body.attributes.displayName, 'Two');
  assert.equal(now.body.version, v2.body.version);
  const etag = (await scim(`${t.scimUrl}/Users/${id}`, t.token)).body.meta.version;
  assert.equal((await server.admin('DELETE', `/tenants/${t.slug}/users/${id}`, { headers: { 'if-match': etag } })).status, 204);
});

test('a local group is created with members, its members are paged by cursor, replaced as a set, and seen over SCIM', async () => {
  const t = await newTenant('groups');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await scimUser(t, `member${i}@example.com`)).id);
  const made = await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: 'Local team' }, members: ids } });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.body.idpManaged, false);
  const gid = made.body.id;
  const paged = await allPages(server, `/tenants/${t.slug}/groups/${gid}/members`, 2);
  assert.equal(paged.pages, 3);
  assert.deepEqual(paged.items.map((m) => m.id), [...ids].sort(), 'every member once, in id order');
  for (const m of paged.items) assert.equal(m.type, 'User');
  const overScim = await scim(`${t.scimUrl}/Groups/${gid}`, t.token);
  assert.deepEqual(overScim.body.members.map((m: { value: string }) => m.value).sort(), [...ids].sort());
  const member = await server.admin('GET', `/tenants/${t.slug}/users/${ids[0]}`);
  assert.deepEqual(member.body.groups, [{ id: gid, displayName: 'Local team' }]);

  const replaced = await server.admin('PUT', `/tenants/${t.slug}/groups/${gid}`, { body: { attributes: { displayName: 'Smaller team' }, members: ids.slice(0, 2) } });
  assert.equal(replaced.status, 200, replaced.text);
  const after = await server.admin('GET', `/tenants/${t.slug}/groups/${gid}/members?limit=10`);
  assert.deepEqual(after.body.data.map((m: { id: string }) => m.id).sort(), ids.slice(0, 2).sort());
  assert.equal(after.body.next, null);
  const listed = await server.admin('GET', `/tenants/${t.slug}/groups?filter=${encodeURIComponent('displayName eq "smaller team"')}`);
  assert.deepEqual(listed.body.data.map((g: { id: string }) => g.id), [gid]);
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/groups/${gid}/members?after=${Buffer.from('{"p":1}').toString('base64url')}`), 400, { field: 'after' });
  assert.equal((await server.admin('DELETE', `/tenants/${t.slug}/groups/${gid}`)).status, 204);
  assert.equal((await scim(`${t.scimUrl}/Groups/${gid}`, t.token)).status, 404);
  assert.equal((await scim(`${t.scimUrl}/Users/${ids[0]}`, t.token)).status, 200, 'members outlive their group');
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/groups/${gid}/members`), 404);
});

test('a local group with a member that is not in the tenant is refused with a 4xx and not created', async () => {
  const t = await newTenant('badmember');
  const other = await newTenant('othermember');
  const stranger = await scimUser(other, 'stranger@example.com');
  for (const members of [['00000000-0000-4000-8000-000000000000'], [stranger.id]]) {
    const res = await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: 'Bad' }, members } });
    assert.ok(res.status >= 400 && res.status < 500, `${res.status}: ${res.text}`);
    expectProblem(res, res.status);
  }
  assert.deepEqual((await server.admin('GET', `/tenants/${t.slug}/groups`)).body.data, []);
});

test("tenant A's users and groups are not reachable through tenant B's path", async () => {
  const a = await newTenant('iso-a');
  const b = await newTenant('iso-b');
  const u = await scimUser(a, 'only.a@example.com');
  const local = (await server.admin('POST', `/tenants/${a.slug}/users`, { body: { attributes: { userName: 'local.a@example.com' } } })).body.id;
  const g = (await server.admin('POST', `/tenants/${a.slug}/groups`, { body: { attributes: { displayName: 'A team' }, members: [u.id] } })).body.id;
  for (const id of [u.id, local]) {
    expectProblem(await server.admin('GET', `/tenants/${b.slug}/users/${id}`), 404, { type: 'not-found' });
    expectProblem(await server.admin('PUT', `/tenants/${b.slug}/users/${id}`, { body: { attributes: { userName: 'taken@example.com' } } }), 404);
    expectProblem(await server.admin('DELETE', `/tenants/${b.slug}/users/${id}`), 404);
  }
  expectProblem(await server.admin('GET', `/tenants/${b.slug}/groups/${g}`), 404);
  expectProblem(await server.admin('GET', `/tenants/${b.slug}/groups/${g}/members`), 404);
  expectProblem(await server.admin('PUT', `/tenants/${b.slug}/groups/${g}`, { body: { attributes: { displayName: 'B' } } }), 404);
  expectProblem(await server.admin('DELETE', `/tenants/${b.slug}/groups/${g}`), 404);
  assert.deepEqual((await server.admin('GET', `/tenants/${b.slug}/users`)).body.data, []);
  assert.deepEqual((await server.admin('GET', `/tenants/${b.slug}/users?filter=${encodeURIComponent('userName sw "only"')}`)).body.data, []);
  assert.equal((await server.admin('GET', `/tenants/${a.slug}/users/${local}`)).status, 200, 'still there in A');
  assert.equal((await server.admin('GET', `/tenants/${a.slug}/groups/${g}/members`)).body.data.length, 1);
});

// ---- audit

test('each write is in the audit log with the key id and name, action and target, and no secret anywhere', async () => {
  const slug = newSlug('audited');
  const t = await server.admin('POST', '/tenants', { body: { slug, name: 'Audited' } });
  const tenantId = t.body.id;
  await server.admin('PATCH', `/tenants/${slug}`, { body: { name: 'Audited Inc' } });
  const tok = (await server.admin('POST', `/tenants/${slug}/tokens`, { body: { name: 'entra' } })).body;
  const rotated = (await server.admin('POST', `/tenants/${slug}/tokens/${tok.id}/rotate`, { body: {} })).body;
  await server.admin('DELETE', `/tenants/${slug}/tokens/${rotated.id}`);
  const user = (await server.admin('POST', `/tenants/${slug}/users`, { body: { attributes: { userName: 'audit.me@example.com' } } })).body;
  await server.admin('PUT', `/tenants/${slug}/users/${user.id}`, { body: { attributes: { userName: 'audit.me@example.com', displayName: 'Audited' } } });
  const group = (await server.admin('POST', `/tenants/${slug}/groups`, { body: { attributes: { displayName: 'Audit team' }, members: [user.id] } })).body;
  await server.admin('PUT', `/tenants/${slug}/groups/${group.id}`, { body: { attributes: { displayName: 'Audit team' }, members: [] } });
  await server.admin('DELETE', `/tenants/${slug}/groups/${group.id}`);
  await server.admin('DELETE', `/tenants/${slug}/users/${user.id}`);
  const key = (await server.admin('POST', '/admin-keys', { body: { name: 'audited key', scope: 'read' } })).body;
  await server.admin('DELETE', `/admin-keys/${key.id}`);

  const expected: [string, string][] = [
    ['tenant.create', tenantId], ['tenant.update', tenantId], ['token.create', tok.id], ['token.rotate', tok.id], ['token.revoke', rotated.id],
    ['user.create', user.id], ['user.replace', user.id], ['group.create', group.id], ['group.replace', group.id], ['group.delete', group.id], ['user.delete', user.id],
  ];
  const forTenant = await allPages(server, `/audit?tenant=${slug}`, 4);
  assert.deepEqual(forTenant.items.map((e) => [e.action, e.targetId]), [...expected].reverse(), 'newest first, each write once');
  for (const e of forTenant.items) {
    assert.equal(e.keyId, server.adminKeyId);
    assert.equal(e.keyName, 'test admin');
    assert.equal(e.tenantId, tenantId);
    assert.equal(e.tenantSlug, slug, 'named by its slug too, while the tenant exists');
    assert.ok(!Number.isNaN(Date.parse(e.at)));
    assert.equal(typeof e.requestId, 'string');
  }
  const rename = forTenant.items.find((e) => e.action === 'tenant.update');
  assert.equal(rename.summary.to, 'Audited Inc');
  const keyEntries = (await server.admin('GET', `/audit?targetId=${key.id}`)).body.data;
  assert.deepEqual(keyEntries.map((e: { action: string }) => e.action), ['adminKey.revoke', 'adminKey.create']);

  const whole = (await allPages(server, '/audit', 500)).items;
  const text = JSON.stringify(whole);
  for (const secret of [tok.token, rotated.token, key.key, server.adminKey, server.readKey]) {
    assert.ok(!text.includes(secret), 'no secret in the audit log');
    assert.ok(!text.includes(sha256(secret)), 'no hash of a secret in the audit log');
  }
  assert.ok(!/rc[as]_[0-9A-Za-z]{20}/.test(text), 'nothing shaped like a Rollcall secret');
});

test('the audit log filters by tenant, action, target and time, and pages without repeats', async () => {
  const a = await newTenant('audit-a');
  const b = await newTenant('audit-b');
  for (let i = 0; i < 3; i++) await server.admin('POST', `/tenants/${a.slug}/users`, { body: { attributes: { userName: `au${i}@example.com` } } });
  await server.admin('POST', `/tenants/${b.slug}/users`, { body: { attributes: { userName: 'bu@example.com' } } });
  const aCreates = (await server.admin('GET', `/audit?tenant=${a.slug}&action=user.create`)).body;
  assert.equal(aCreates.data.length, 3);
  assert.ok(aCreates.data.every((e: { tenantId: string; action: string }) => e.tenantId === a.id && e.action === 'user.create'));
  const paged = await allPages(server, `/audit?tenant=${a.slug}`, 1);
  assert.equal(paged.items.length, 5, 'tenant.create, token.create and three user.create');
  assert.equal(new Set(paged.items.map((e) => e.id)).size, 5);
  const all = (await server.admin('GET', `/audit?tenant=${a.slug}`)).body.data;
  assert.deepEqual(paged.items.map((e) => e.id), all.map((e: { id: string }) => e.id));
  const future = (await server.admin('GET', `/audit?tenant=${a.slug}&since=2999-01-01T00:00:00Z`)).body;
  assert.deepEqual(future, { data: [], next: null });
  const past = (await server.admin('GET', `/audit?tenant=${a.slug}&until=2000-01-01T00:00:00Z`)).body;
  assert.deepEqual(past.data, []);
  const window = (await server.admin('GET', `/audit?tenant=${a.slug}&since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z`)).body;
  assert.equal(window.data.length, 5);
  expectProblem(await server.admin('GET', '/audit?since=yesterday'), 400, { field: 'since' });
  expectProblem(await server.admin('GET', `/audit?tenant=${newSlug('absent')}`), 404);
  expectProblem(await server.admin('GET', '/audit?after=%%%'), 400);
});

// ---- hostile input

test('bodies of the wrong type, empty, too large or not JSON are 4xx problems naming what is wrong', async () => {
  const t = await newTenant('hostile');
  expectProblem(await server.admin('POST', '/tenants', { body: { slug: { $gt: '' } } }), 400, { field: 'slug' });
  expectProblem(await server.admin('POST', '/tenants', { body: {} }), 400, { field: 'slug' });
  expectProblem(await server.admin('POST', '/tenants', { body: [] }), 400);
  expectProblem(await server.admin('POST', '/tenants', { body: null }), 400);
  expectProblem(await server.admin('POST', '/tenants', { raw: '{"slug": "x",', headers: { 'content-type': 'application/json' } }), 400, { detail: /JSON/ });
  expectProblem(await server.admin('POST', '/tenants', { raw: '', headers: { 'content-type': 'application/json' } }), 400);
  const form = await server.admin('POST', '/tenants', { raw: 'slug=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expectProblem(form, form.status);
  assert.ok(form.status === 400 || form.status === 415, form.text);
  expectProblem(await server.admin('POST', '/tenants', { body: { slug: newSlug('big'), name: 'x'.repeat(70 * 1024) } }), 413, { type: 'payload-too-large' });
  expectProblem(await server.admin('POST', '/tenants', { body: { slug: newSlug('longname'), name: 'x'.repeat(1001) } }), 400, { field: 'name' });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: 'userName' } }), 400, { field: 'attributes' });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: {} } }), 400);
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: { nested: true } } } }), 400);
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: 'G' }, members: [{ value: 'x' }] } }), 400, { field: 'members.0' });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/tokens`, { body: { expiresIn: 'forever' } }), 400, { detail: /duration/ });
  expectProblem(await server.admin('POST', '/admin-keys', { body: { name: 'x', scope: 'root' } }), 400, { field: 'scope' });
  expectProblem(await server.admin('POST', '/admin-keys', { body: { name: '   ', scope: 'read' } }), 400);
  assert.deepEqual((await server.admin('GET', `/tenants/${t.slug}/users`)).body.data, [], 'nothing was created');
});

test('unknown body fields are refused with a 400 naming the field, and nothing is created', async () => {
  const slug = newSlug('unknownfield');
  expectProblem(await server.admin('POST', '/tenants', { body: { slug, nmae: 'typo' } }), 400, { field: 'nmae' });
  expectProblem(await server.admin('GET', `/tenants/${slug}`), 404);
  expectProblem(await server.admin('POST', '/admin-keys', { body: { name: 'k', scope: 'read', expires: '1d' } }), 400, { field: 'expires' });
});

test('unknown query parameters are refused with a 400 naming them', async () => {
  expectProblem(await server.admin('GET', '/tenants?serach=acme'), 400, { field: 'serach' });
});

test('a value of the wrong JSON type is refused, not converted', async () => {
  const n = 90000 + process.pid;
  expectProblem(await server.admin('POST', '/tenants', { body: { slug: n } }), 400, { field: 'slug' });
  expectProblem(await server.admin('GET', `/tenants/${n}`), 404);
  expectProblem(await server.admin('POST', '/tenants', { body: { slug: [newSlug('arr')] } }), 400, { field: 'slug' });
});

test('limits out of range, hostile cursors and filters, and over-long ids are 4xx problems, never a 500', async () => {
  const t = await newTenant('limits');
  const u = await scimUser(t, 'someone@example.com');
  for (const limit of ['0', '-1', '501', '1000000000000', '1e3', 'abc', '2.5']) {
    expectProblem(await server.admin('GET', `/tenants/${t.slug}/users?limit=${limit}`), 400, { field: 'limit' });
  }
  const cursors = ['!!!', Buffer.from('{"p":"abc"}').toString('base64url'), Buffer.from('{"p":1e300}').toString('base64url'), Buffer.from('[]').toString('base64url'), Buffer.from('null').toString('base64url')];
  for (const c of cursors) expectProblem(await server.admin('GET', `/tenants/${t.slug}/users?after=${c}`), 400, { field: 'after' });
  const filters = ['userName eq "\u0000"', 'userName eq "x" or '.repeat(150) + 'userName eq "x"', 'emails[value eq "a"', 'nosuch eq "x"', 'userName gt 5', "userName eq 'x'", '((((((((((((((((((((userName eq "x"))))))))))))))))))))', 'userName pr and', 'urn:x:y eq "z"'];
  for (const f of filters) {
    const res = await server.admin('GET', `/tenants/${t.slug}/users?filter=${encodeURIComponent(f)}`);
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${f}: ${res.status} ${res.text.slice(0, 200)}`);
    if (res.status !== 200) expectProblem(res, res.status);
  }
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/users?filter=${encodeURIComponent('x'.repeat(4001))}`), 400, { field: 'filter' });
  expectProblem(await server.admin('GET', `/tenants/${'a'.repeat(64)}`), 400, { field: 'tenant' });
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/users/${'a'.repeat(256)}`), 400, { field: 'id' });
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/users/${'a'.repeat(255)}`), 404);
  expectProblem(await server.admin('GET', `/tenants/${t.slug}/users/${encodeURIComponent("' OR 1=1 --")}`), 404);
  expectProblem(await server.admin('DELETE', `/tenants/${t.slug}/tokens/${'t'.repeat(255)}`), 404);
  expectProblem(await server.admin('DELETE', `/admin-keys/${'k'.repeat(255)}`), 404);
  const badPercent = await server.admin('GET', '/tenants/%E0%A4%A');
  assert.equal(badPercent.status, 400, badPercent.text);
  for (const ifMatch of ['garbage', 'W/"x"', '*x', '"' + '9'.repeat(90) + '"']) {
    const res = await server.admin('PUT', `/tenants/${t.slug}/users/${u.id}`, { body: { attributes: { userName: 'x@example.com' } }, headers: { 'if-match': ifMatch } });
    assert.ok(res.status >= 400 && res.status < 500, `If-Match ${ifMatch}: ${res.status} ${res.text.slice(0, 200)}`);
  }
  expectProblem(await server.admin('PUT', `/tenants/${t.slug}/users/${u.id}`, { body: { attributes: { userName: 'x@example.com' } }, headers: { 'if-match': '9'.repeat(101) } }), 400);
});

test('a URL with bad percent-encoding under /admin/v1 is a 400 problem+json like every other admin error', async () => {
  expectProblem(await server.admin('GET', '/tenants/%E0%A4%A'), 400);
});

test('unknown routes and methods are 404 problem+json, for authenticated and anonymous callers alike', async () => {
  for (const [method, path] of [['GET', '/nope'], ['GET', '/tenants/x/nope'], ['PATCH', '/tenants/x/users/y'], ['PUT', '/tenants'], ['GET', '/'], ['POST', '/openapi.json']]) {
    expectProblem(await server.admin(method, path), 404, { type: 'not-found' });
  }
  const anon = await server.admin('GET', '/nope', { key: null });
  assert.ok(anon.status === 404 || anon.status === 401, anon.text);
  expectProblem(anon, anon.status);
});

test('attribute values of every wrong shape on local users and groups are a 201 or a 4xx problem, never a 500', async () => {
  const t = await newTenant('shapes');
  const values: unknown[] = [null, 5, true, 'x', [], {}, [1], [{}], { value: 1 }, 'x'.repeat(20_000), 1e308, [null]];
  const attributes = ['userName', 'displayName', 'emails', 'name', 'active', 'id', 'meta', 'schemas', 'groups', 'members', 'externalId', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'];
  let n = 0;
  for (const a of attributes) {
    for (const v of values) {
      n++;
      const user = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: `shape${n}@example.com`, [a]: v } } });
      const group = await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: `Shape ${n}`, [a]: v } } });
      for (const res of [user, group]) {
        if (res.status !== 201) expectProblem(res, res.status);
        assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), `${a} = ${JSON.stringify(v)?.slice(0, 40)}: ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
  }
});
