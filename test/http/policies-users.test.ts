// The user policies of issue 11 (docs/policies.md) through the real server and database, with the
// requests Okta and Entra send: account linking (the lookup each IdP makes first, then its POST,
// PUT or PATCH), the deprovisioning modes (Okta's PATCH and PUT, Entra's "False" string), and the
// attribute rules. Every refusal is checked to have written nothing: the user as it was, no event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, scim, startAdminServer, type AdminTestServer, type Json, type ScimTenant, tenantWithPolicies } from '../support/admin.ts';
import { assertScimError } from '../support/scim-errors.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: AdminTestServer;
before(async () => { server = await startAdminServer(); });
after(async () => { await server?.close(); });

type Tenant = ScimTenant;
const tenantWith = (prefix: string, policies?: Json): Promise<Tenant> => tenantWithPolicies(server, prefix, policies);

const call = (t: Tenant, path: string, method = 'GET', body?: unknown) => scim(`${t.scimUrl}${path}`, t.token, method, body);

async function localUser(t: Tenant, attributes: Json): Promise<string> {
  const res = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes } });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

async function scimUser(t: Tenant, userName: string, extra: Json = {}): Promise<Json> {
  const res = await call(t, '/Users', 'POST', { schemas: [USER], userName, active: true, emails: [{ value: userName, type: 'work', primary: true }], ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function scimGroup(t: Tenant, displayName: string, members: string[]): Promise<string> {
  const res = await call(t, '/Groups', 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName, members: members.map((value) => ({ value })) });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** Every event of the tenant so far, in order. */
async function events(t: Tenant): Promise<Json[]> {
  const res = await server.admin('GET', `/events?tenant=${t.slug}&limit=500`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}
const types = (list: Json[]) => list.map((e: Json) => e.type);

/** Okta's lookup before it creates a user (the same for Entra, with its own matching attribute). */
async function lookup(t: Tenant, filter: string): Promise<Json> {
  const res = await call(t, `/Users?filter=${encodeURIComponent(filter)}&startIndex=1&count=100`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Asserts a refusal changed nothing: the user reads the same and no event was written. */
async function unchanged(t: Tenant, id: string, before: Json, eventsBefore: number): Promise<void> {
  assert.deepEqual((await call(t, `/Users/${id}`)).body, before, 'the user is as it was');
  assert.equal((await events(t)).length, eventsBefore, 'no event was written');
}

// ---- account linking

test("linking by email: Okta's lookup by userName misses the local user, its POST links it (same id, groups kept, user.linked, IdP-managed)", async () => {
  const t = await tenantWith('link-okta', { linking: { enabled: true }, attributes: { uniqueIdentifier: 'email' } });
  const local = await localUser(t, { userName: 'ada', displayName: 'Ada (local)', title: 'Analyst', emails: [{ value: 'Ada@Acme.example', type: 'work' }] });
  const team = await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: 'On-call' }, members: [local] } });
  assert.equal(team.status, 201, team.text);
  const before = (await events(t)).length;

  assert.equal((await lookup(t, 'userName eq "ada@acme.example"')).totalResults, 0, 'Okta looks up by userName: no such user, so it POSTs');
  const okta = { schemas: [USER], userName: 'ada@acme.example', name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ primary: true, value: 'ada@acme.example', type: 'work' }], displayName: 'Ada Lovelace', locale: 'en-US', externalId: '00u1ada', groups: [], active: true };
  const posted = await call(t, '/Users', 'POST', okta);
  assert.equal(posted.status, 201, posted.text);
  assert.equal(posted.body.id, local, 'the local user keeps its id');
  assert.equal(posted.body.userName, 'ada@acme.example');
  assert.equal(posted.body.title, undefined, "the IdP's document replaces the local one");
  assert.deepEqual(posted.body.groups.map((g: Json) => g.display), ['On-call'], 'memberships are kept');
  assert.equal((await lookup(t, 'userName eq "ada@acme.example"')).Resources[0].id, local, 'found by the next lookup');

  const admin = await server.admin('GET', `/tenants/${t.slug}/users/${local}`);
  assert.equal(admin.body.idpManaged, true, 'IdP-managed from now on');
  expectProblem(await server.admin('PUT', `/tenants/${t.slug}/users/${local}`, { body: { attributes: { userName: 'ada' } } }), 409, { type: 'idp-managed' });

  const written = (await events(t)).slice(before);
  assert.deepEqual(types(written), ['user.linked']);
  assert.equal(written[0].data.user.id, local);
  assert.equal(written[0].data.previous.userName, 'ada', 'the local document travels in the event');
  assert.equal(written[0].data.previous.title, 'Analyst');
  assert.deepEqual(written[0].data.changedPaths, ['displayName', 'emails', 'externalId', 'locale', 'name.familyName', 'name.givenName', 'title', 'userName']);
  assert.equal(written[0].actor.type, 'token');

  // A second Okta user with the same email: the match is already linked.
  const count = (await events(t)).length;
  const again = await call(t, '/Users', 'POST', { ...okta, userName: 'ada.l@acme.example', externalId: '00u2ada' });
  assertScimError(again, 409, 'uniqueness', /already has the primary email "ada@acme\.example" and is linked to another identity-provider user.*give only one user/);
  assert.equal((await lookup(t, 'userName eq "ada.l@acme.example"')).totalResults, 0, 'nothing was created');
  assert.equal((await events(t)).length, count, 'no event');
});

test("linking by userName: Entra's lookup finds the local user (local users are visible over SCIM) and its first PATCH links it; Okta's PUT likewise", async () => {
  const t = await tenantWith('link-entra', { linking: { enabled: true } });
  const grace = await localUser(t, { userName: 'grace@acme.example', displayName: 'Grace', emails: [{ value: 'grace@acme.example', primary: true }] });
  const alan = await localUser(t, { userName: 'alan@acme.example', nickName: 'Al' });
  const before = (await events(t)).length;

  const found = await lookup(t, 'userName eq "grace@acme.example"');
  assert.equal(found.totalResults, 1);
  assert.equal(found.Resources[0].id, grace);
  // Entra sends the attributes that differ from its own, with its capitalised ops and "True" strings.
  const patched = await call(t, `/Users/${grace}`, 'PATCH', { schemas: [PATCH_OP], Operations: [
    { op: 'Replace', path: 'displayName', value: 'Grace Hopper' },
    { op: 'Add', path: 'name.givenName', value: 'Grace' },
    { op: 'Replace', path: 'active', value: 'True' },
  ] });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.displayName, 'Grace Hopper');

  // Okta found alan the same way and replaces the user with its profile.
  assert.equal((await lookup(t, 'userName eq "alan@acme.example"')).Resources[0].id, alan);
  const put = await call(t, `/Users/${alan}`, 'PUT', { schemas: [USER], id: alan, userName: 'alan@acme.example', name: { givenName: 'Alan', familyName: 'Turing' }, active: true });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.nickName, undefined, 'a PUT replaces');

  // Entra matching on externalId instead (its "matching precedence" set to externalId).
  const eve = await localUser(t, { userName: 'eve', externalId: 'E-7' });
  const byExternal = await lookup(t, 'externalId eq "E-7"');
  assert.deepEqual(byExternal.Resources.map((u: Json) => u.id), [eve]);
  const eveLinked = await call(t, `/Users/${eve}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'userName', value: 'eve@acme.example' }] });
  assert.equal(eveLinked.status, 200, eveLinked.text);

  for (const id of [grace, alan, eve]) assert.equal((await server.admin('GET', `/tenants/${t.slug}/users/${id}`)).body.idpManaged, true);
  const written = (await events(t)).slice(before);
  assert.deepEqual(types(written).filter((x) => x !== 'user.created'), ['user.linked', 'user.linked', 'user.linked']);
  assert.deepEqual(written[0].data.changedPaths, ['displayName', 'name.givenName']);
  assert.equal(written[1].data.previous.nickName, 'Al');

  // Later writes are plain updates.
  const later = await call(t, `/Users/${grace}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'title', value: 'Rear Admiral' }] });
  assert.equal(later.status, 200, later.text);
  assert.deepEqual(types((await events(t)).slice(before + 4)), ['user.updated']);
});

test('linking: several local users with the email is a 409 naming the count and the fix; nothing is created or linked', async () => {
  const t = await tenantWith('link-many', { linking: { enabled: true }, attributes: { uniqueIdentifier: 'email' } });
  const one = await localUser(t, { userName: 'kim.one', emails: [{ value: 'kim@acme.example', primary: true }] });
  await localUser(t, { userName: 'kim.two', emails: [{ value: 'KIM@acme.example' }] });
  // A third local user with the address as a secondary email does not count: only the primary one identifies.
  await localUser(t, { userName: 'kim.three', emails: [{ value: 'k3@acme.example', primary: true }, { value: 'kim@acme.example' }] });
  const oneBefore = (await call(t, `/Users/${one}`)).body;
  const count = (await events(t)).length;
  const res = await call(t, '/Users', 'POST', { schemas: [USER], userName: 'kim@acme.example', emails: [{ value: 'kim@acme.example', type: 'work', primary: true }] });
  assertScimError(res, 409, 'uniqueness', /^2 users of this app have the primary email "kim@acme\.example".*keep that primary email on one user only/);
  assert.equal((await lookup(t, 'userName eq "kim@acme.example"')).totalResults, 0);
  await unchanged(t, one, oneBefore, count);
});

test('linking off (the default): a local user is not taken over; the same userName is a 409 as before, and with the email identifier a taken email is one too', async () => {
  const t = await tenantWith('link-off');
  const local = await localUser(t, { userName: 'lin@acme.example' });
  const before = (await call(t, `/Users/${local}`)).body;
  const count = (await events(t)).length;
  assertScimError(await call(t, '/Users', 'POST', { schemas: [USER], userName: 'LIN@acme.example' }), 409, 'uniqueness');
  await unchanged(t, local, before, count);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/users/${local}`)).body.idpManaged, false);

  const e = await tenantWith('link-off-email', { attributes: { uniqueIdentifier: 'email' } });
  const held = await localUser(e, { userName: 'max', emails: [{ value: 'max@acme.example', primary: true }] });
  const heldBefore = (await call(e, `/Users/${held}`)).body;
  const eCount = (await events(e)).length;
  assertScimError(await call(e, '/Users', 'POST', { schemas: [USER], userName: 'max@acme.example', emails: [{ value: 'Max@Acme.example', primary: true }] }), 409, 'uniqueness', /"max" already has the primary email "max@acme\.example", which identifies users in this app, so "max@acme\.example" cannot be created; .*turn on account linking/);
  await unchanged(e, held, heldBefore, eCount);
});

// ---- deprovisioning

test('deprovisioning "deactivate" (the default): Okta\'s PATCH keeps memberships and data, reactivation restores the user as it was', async () => {
  const t = await tenantWith('deprov-keep');
  const u = await scimUser(t, 'dee@acme.example', { title: 'Engineer' });
  const g = await scimGroup(t, 'Platform', [u.id]);
  const count = (await events(t)).length;
  const off = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.body.active, false);
  assert.deepEqual(off.body.groups.map((x: Json) => x.value), [g]);
  const on = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
  assert.equal(on.body.title, 'Engineer');
  assert.deepEqual(on.body.groups.map((x: Json) => x.value), [g]);
  assert.deepEqual(types((await events(t)).slice(count)), ['user.deactivated', 'user.reactivated']);
});

test('deprovisioning "remove-memberships": Entra\'s "False" deactivates and drops every membership, one group.member_removed per group; reactivation does not bring them back', async () => {
  const t = await tenantWith('deprov-groups', { deprovisioning: { mode: 'remove-memberships' } });
  const u = await scimUser(t, 'rem@acme.example');
  const other = await scimUser(t, 'stays@acme.example');
  const a = await scimGroup(t, 'Alpha', [u.id, other.id]);
  const b = await scimGroup(t, 'Beta', [u.id]);
  const count = (await events(t)).length;
  const off = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.body.active, false);
  assert.deepEqual(off.body.groups ?? [], []);
  assert.equal((await call(t, `/Users/${u.id}`)).body.meta.version, off.body.meta.version, 'the answer carries the current ETag');
  assert.deepEqual((await call(t, `/Groups/${a}`)).body.members.map((m: Json) => m.value), [other.id]);
  assert.deepEqual((await call(t, `/Groups/${b}`)).body.members ?? [], []);
  const written = (await events(t)).slice(count);
  assert.deepEqual(types(written), ['group.member_removed', 'group.member_removed', 'user.deactivated']);
  assert.deepEqual(written.slice(0, 2).map((e: Json) => e.data.group.displayName).sort(), ['Alpha', 'Beta']);
  assert.ok(written.slice(0, 2).every((e: Json) => e.data.member.id === u.id));

  const on = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
  assert.equal(on.body.active, true);
  assert.deepEqual(on.body.groups ?? [], []);
  assert.deepEqual(types((await events(t)).slice(count + 3)), ['user.reactivated']);
});

test('deprovisioning "delete": Okta\'s PUT with active=false deletes the user as DELETE does (member_removed first, then user.deleted); a local user deactivated by the app is kept', async () => {
  const t = await tenantWith('deprov-delete', { deprovisioning: { mode: 'delete' } });
  const u = await scimUser(t, 'del@acme.example', { name: { givenName: 'Del' } });
  const g = await scimGroup(t, 'Gamma', [u.id]);
  const count = (await events(t)).length;
  const put = await call(t, `/Users/${u.id}`, 'PUT', { schemas: [USER], id: u.id, userName: 'del@acme.example', name: { givenName: 'Del' }, emails: [{ value: 'del@acme.example', type: 'work', primary: true }], active: false });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.active, false);
  assert.equal((await call(t, `/Users/${u.id}`)).status, 404);
  assert.deepEqual((await call(t, `/Groups/${g}`)).body.members ?? [], []);
  const written = (await events(t)).slice(count);
  assert.deepEqual(types(written), ['group.member_removed', 'user.deleted']);
  assert.equal(written[1].data.user.userName, 'del@acme.example');
  // Reassigned in Okta: its lookup misses, and its POST creates a new user.
  assert.equal((await lookup(t, 'userName eq "del@acme.example"')).totalResults, 0);
  assert.notEqual((await scimUser(t, 'del@acme.example')).id, u.id);

  const local = await localUser(t, { userName: 'local.del@acme.example' });
  const off = await server.admin('PUT', `/tenants/${t.slug}/users/${local}`, { body: { attributes: { userName: 'local.del@acme.example', active: false } } });
  assert.equal(off.status, 200, off.text);
  assert.equal((await call(t, `/Users/${local}`)).body.active, false, 'the app deactivating its own user only deactivates it');

  // DELETE deletes under every mode.
  const d = await tenantWith('deprov-delete-keep');
  const v = await scimUser(d, 'gone@acme.example');
  assert.equal((await call(d, `/Users/${v.id}`, 'DELETE')).status, 204);
  assert.equal((await call(d, `/Users/${v.id}`)).status, 404);
});

// ---- attribute rules

test('userName immutable: a change is a 400 mutability naming the user and writes nothing; a change of case only passes', async () => {
  const t = await tenantWith('attr-immutable', { attributes: { userNameImmutable: true } });
  const u = await scimUser(t, 'ira@acme.example');
  const before = (await call(t, `/Users/${u.id}`)).body;
  const count = (await events(t)).length;
  assertScimError(await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'userName', value: 'ira.new@acme.example' }] }),
    400, 'mutability', /userName of user "ira@acme\.example" cannot be changed.*change it back/);
  assertScimError(await call(t, `/Users/${u.id}`, 'PUT', { schemas: [USER], userName: 'other@acme.example', active: true }), 400, 'mutability');
  await unchanged(t, u.id, before, count);
  const cased = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { userName: 'Ira@acme.example' } }] });
  assert.equal(cased.status, 200, cased.text);
});

test('changeable attributes, refused: a change outside the list is a 400 mutability naming it, nothing written; names and active still change', async () => {
  const t = await tenantWith('attr-refuse', { attributes: { changeable: ['name', 'displayName'] } });
  const u = await scimUser(t, 'sam@acme.example', { name: { givenName: 'Sam', familyName: 'Lee' }, title: 'Dev', [ENTERPRISE]: { department: 'R&D' } });
  const before = (await call(t, `/Users/${u.id}`)).body;
  const count = (await events(t)).length;
  const okta = { schemas: [USER, ENTERPRISE], userName: 'sam@acme.example', name: { givenName: 'Sam', familyName: 'Lee' }, emails: before.emails, title: 'Lead', active: true, [ENTERPRISE]: { department: 'Ops' } };
  assertScimError(await call(t, `/Users/${u.id}`, 'PUT', okta), 400, 'mutability',
    /does not accept changes to "title", "urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User:department" of user "sam@acme\.example" \(it accepts "name", "displayName"\); remove these attributes/);
  assertScimError(await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'sam2@acme.example' }] }), 400, 'mutability', /"emails"/);
  await unchanged(t, u.id, before, count);

  const ok = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'name.familyName', value: 'Leigh' }, { op: 'Replace', path: 'active', value: 'False' }] });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.name.familyName, 'Leigh');
  assert.equal(ok.body.active, false);
  assert.deepEqual(types((await events(t)).slice(count)), ['user.updated', 'user.deactivated']);
});

test('changeable attributes, ignored: changes outside the list are dropped and the rest applied; the event names only what changed', async () => {
  const t = await tenantWith('attr-ignore', { attributes: { changeable: ['name'], otherChanges: 'ignore' } });
  const u = await scimUser(t, 'ian@acme.example', { name: { givenName: 'Ian' }, title: 'Dev' });
  const count = (await events(t)).length;
  const res = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [
    { op: 'Replace', path: 'title', value: 'CTO' },
    { op: 'Add', path: 'name.familyName', value: 'Wright' },
    { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Exec' },
  ] });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.title, 'Dev');
  assert.equal(res.body[ENTERPRISE], undefined);
  assert.equal(res.body.name.familyName, 'Wright');
  const written = (await events(t)).slice(count);
  assert.deepEqual(types(written), ['user.updated']);
  assert.deepEqual(written[0].data.changedPaths, ['name.familyName']);
  // Only ignored changes: nothing written, no event, same version.
  const none = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'title', value: 'CEO' }] });
  assert.equal(none.status, 200);
  assert.equal(none.body.meta.version, res.body.meta.version);
  assert.equal((await events(t)).length, count + 1);
});

test('changeable attributes, ignored: the dropped changes are named in the server log (never their values)', async () => {
  const lines: string[] = [];
  const logged = await startAdminServer({ config: { logLevel: 'info' }, server: { logger: { stream: { write: (line: string) => { lines.push(line); } } } } });
  try {
    const slug = `ignore-log-${process.pid}`;
    assert.equal((await logged.admin('POST', '/tenants', { body: { slug } })).status, 201);
    const tok = (await logged.admin('POST', `/tenants/${slug}/tokens`, { body: {} })).body;
    assert.equal((await logged.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { attributes: { changeable: ['displayName'], otherChanges: 'ignore' } } } })).status, 200);
    const made = await scim(`${tok.scimUrl}/Users`, tok.token, 'POST', { schemas: [USER], userName: 'log@acme.example', title: 'Dev' });
    const res = await scim(`${tok.scimUrl}/Users/${made.body.id}`, tok.token, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'title', value: 'secret-title' }, { op: 'Replace', path: 'displayName', value: 'Logged' }] });
    assert.equal(res.status, 200, res.text);
    const warning = lines.map((l) => JSON.parse(l)).find((l) => Array.isArray(l.ignoredChanges));
    assert.ok(warning, 'a warning names the ignored changes');
    assert.deepEqual(warning.ignoredChanges, ['title']);
    assert.equal(warning.tenant, slug);
    assert.ok(!lines.some((l) => l.includes('secret-title')), 'values are never logged');
  } finally { await logged.close(); }
});

test('unique identifier "email": a user needs a primary email no other user has, on create and on change; refusals write nothing', async () => {
  const t = await tenantWith('attr-email', { attributes: { uniqueIdentifier: 'email' } });
  const count0 = (await events(t)).length;
  assertScimError(await call(t, '/Users', 'POST', { schemas: [USER], userName: 'noemail@acme.example' }), 400, 'invalidValue', /has no email.*map the user's email/);
  assert.equal((await events(t)).length, count0);
  const a = await scimUser(t, 'amy@acme.example');
  const b = await scimUser(t, 'bo@acme.example');
  assertScimError(await call(t, '/Users', 'POST', { schemas: [USER], userName: 'amy2', emails: [{ value: 'AMY@acme.example', primary: true }] }), 409, 'uniqueness');
  const before = (await call(t, `/Users/${b.id}`)).body;
  const count = (await events(t)).length;
  assertScimError(await call(t, `/Users/${b.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'emails', value: [{ value: 'amy@acme.example', primary: true }] }] }),
    409, 'uniqueness', /"amy@acme\.example" already has the primary email "amy@acme\.example"/);
  assertScimError(await call(t, `/Users/${b.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'emails' }] }), 400, 'invalidValue');
  await unchanged(t, b.id, before, count);
  // The same email again, or a new free one, passes.
  assert.equal((await call(t, `/Users/${a.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Amy' }] })).status, 200);
  assert.equal((await call(t, `/Users/${b.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'emails', value: [{ value: 'bo2@acme.example', primary: true }] }] })).status, 200);
});

test('races: two IdP users created at once with one email get one 201 and one 409; two linking one local user at once, one link and one 409', async () => {
  const t = await tenantWith('race-email', { attributes: { uniqueIdentifier: 'email' } });
  for (let round = 0; round < 3; round++) {
    const email = `twin${round}@acme.example`;
    const answers = await Promise.all([1, 2].map((i) => call(t, '/Users', 'POST', { schemas: [USER], userName: `twin${round}.${i}`, emails: [{ value: email, primary: true }] })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409], JSON.stringify(answers.map((a) => a.body)));
    assert.equal((await lookup(t, `emails.value eq "${email}"`)).totalResults, 1);
  }
  const l = await tenantWith('race-link', { linking: { enabled: true }, attributes: { uniqueIdentifier: 'email' } });
  const local = await localUser(l, { userName: 'pat', emails: [{ value: 'pat@acme.example', primary: true }] });
  const count = (await events(l)).length;
  const answers = await Promise.all(['pat@acme.example', 'pat.other@acme.example'].map((userName) => call(l, '/Users', 'POST', { schemas: [USER], userName, emails: [{ value: 'pat@acme.example', primary: true }] })));
  assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409], JSON.stringify(answers.map((a) => a.body)));
  assert.equal(answers.find((a) => a.status === 201)!.body.id, local);
  assertScimError(answers.find((a) => a.status === 409)!, 409, 'uniqueness', /linked to another identity-provider user/);
  assert.deepEqual(types((await events(l)).slice(count)), ['user.linked']);
});

test('the policy settings: defaults are today\'s behaviour, invalid values are refused at their JSON pointer, and a change is audited', async () => {
  const t = await tenantWith('settings');
  const read = await server.admin('GET', `/tenants/${t.slug}/settings`);
  const { linking, deprovisioning, attributes } = read.body.settings.policies; // the user policies (groups, roles and guards: their own tests)
  assert.deepEqual({ linking, deprovisioning, attributes }, {
    linking: { enabled: false },
    deprovisioning: { mode: 'deactivate' },
    attributes: { uniqueIdentifier: 'userName', userNameImmutable: false, changeable: null, otherChanges: 'refuse' },
  });
  const refused = async (policies: Json, field: string) => {
    expectProblem(await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies } }), 400, { field });
  };
  await refused({ linking: { enabled: 'yes' } }, 'policies.linking.enabled');
  await refused({ deprovisioning: { mode: 'suspend' } }, 'policies.deprovisioning.mode');
  await refused({ attributes: { uniqueIdentifier: 'userName', extra: 1 } }, 'policies.attributes.extra');
  await refused({ attributes: { changeable: ['name', 'emails[type eq "work"]'] } }, '/policies/attributes/changeable/1');
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/settings`)).body.version, read.body.version, 'nothing was written');
  const ok = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { deprovisioning: { mode: 'remove-memberships' } } } });
  assert.equal(ok.status, 200, ok.text);
  const audit = await server.admin('GET', '/audit?action=settings.replace&limit=1');
  assert.deepEqual(audit.body.data[0].summary.changed, ['policies']);
});

test('switching to the email identifier is refused while two users share a primary email, naming them; accepted once they do not', async () => {
  const t = await tenantWith('email-switch');
  const first = await scimUser(t, 'kim@acme.example');
  // A second user with the same primary email, in other letter case (compared case-insensitively).
  const second = await scimUser(t, 'kim.lee', { emails: [{ value: 'KIM@acme.example', type: 'work', primary: true }] });
  await localUser(t, { userName: 'no-email' });
  const version = (await server.admin('GET', `/tenants/${t.slug}/settings`)).body.version;
  const eventsBefore = (await events(t)).length;
  const switched = { policies: { attributes: { uniqueIdentifier: 'email' } } };
  const refused = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: switched });
  expectProblem(refused, 409, { type: 'conflict', field: '/policies/attributes/uniqueIdentifier' });
  assert.equal(refused.body.reason, 'policyConflict');
  assert.match(refused.body.detail, /"kim@acme\.example" \("kim@acme\.example" and "kim\.lee"\)/);
  assert.deepEqual(refused.body.examples, [{ id: second.id, name: 'kim.lee', email: 'kim@acme.example', sameEmailAs: 'kim@acme.example' }]);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/settings`)).body.version, version, 'nothing was written');
  assert.equal((await events(t)).length, eventsBefore, 'no event');

  const fixed = await call(t, `/Users/${second.id}`, 'PATCH', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'kim.lee@acme.example' }] });
  assert.equal(fixed.status, 200, fixed.text);
  const ok = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: switched });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.settings.policies.attributes.uniqueIdentifier, 'email');
  assert.equal((await call(t, `/Users/${first.id}`)).status, 200);
});

test('switching to the email identifier groups primary emails in SQL (no read of every user): the primary-marked email counts, not a secondary one; a few clashes named', async () => {
  const t = await tenantWith('email-grouped');
  // Entra's shape: the work email first, the primary one second.
  const a = await scimUser(t, 'ann', { emails: [{ value: 'ann.old@acme.example', type: 'other' }, { value: 'Ann@acme.example', type: 'work', primary: true }] });
  // Shares only a secondary email with Ann's first one: no clash.
  await scimUser(t, 'bea', { emails: [{ value: 'bea@acme.example', type: 'work', primary: true }, { value: 'ann.old@acme.example', type: 'other' }] });
  // No email marked primary: the first one is the primary one, and it is Ann's.
  const c = await scimUser(t, 'cat', { emails: [{ value: ' ann@ACME.example', type: 'work' }] });
  const d = await scimUser(t, 'dot', { emails: [{ value: 'dot@acme.example', type: 'work', primary: true }] });
  const e = await scimUser(t, 'eve', { emails: [{ value: 'DOT@acme.example', type: 'work', primary: true }] });
  // Count the store calls of the settings replacement's transaction.
  const store = server.running.store;
  const calls = new Map<string, number>();
  const original = store.transaction.bind(store);
  store.transaction = ((fn: (tx: Json) => Promise<unknown>) => original((tx) => fn(new Proxy(tx, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => { calls.set(String(key), (calls.get(String(key)) ?? 0) + 1); return (v as (...x: unknown[]) => unknown).apply(target, args); };
    },
  })))) as typeof store.transaction;
  const refused = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { attributes: { uniqueIdentifier: 'email' } } } })
    .finally(() => { store.transaction = original; });
  expectProblem(refused, 409, { type: 'conflict', field: '/policies/attributes/uniqueIdentifier' });
  assert.equal(calls.get('scanUsers'), undefined, 'no user is read to compare emails in memory');
  assert.equal(calls.get('usersSharingPrimaryEmail'), 1);
  assert.deepEqual(refused.body.examples, [
    { id: c.id, name: 'cat', email: 'ann@acme.example', sameEmailAs: 'ann' },
    { id: e.id, name: 'eve', email: 'dot@acme.example', sameEmailAs: 'dot' },
  ]);
  assert.ok(a.id && d.id);
  assert.match(refused.body.detail, /"ann@acme\.example" \("ann" and "cat"\), "dot@acme\.example" \("dot" and "eve"\)/);
});
