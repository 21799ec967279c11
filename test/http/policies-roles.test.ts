// Roles and guards (issue 11 items 6 and 3, docs/policies.md "Roles" and "Guards"), through real
// SCIM requests shaped as Okta and Entra send them: roles follow group memberships and emit
// user.role_granted / user.role_revoked in the same transaction; the last active holder of an admin
// role, a required group's last member and name, and the only member of a group are protected, and
// every refusal leaves the resources and the event feed exactly as they were.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, scim, startAdminServer, type AdminTestServer, type Json } from '../support/admin.ts';
import { assertScimError } from '../support/scim-errors.ts';
import type { ChangeHook } from '../../src/provisioning/mutate.ts';
import { checkGuards } from '../../src/provisioning/policies/guards.ts';
import { roleDeltas } from '../../src/provisioning/policies/roles.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: AdminTestServer;
/**
 * While set, a hook after the policies re-derives each change's roles through a transaction that
 * counts the store calls made, to show the derivation is set-based (a call per change, not per member).
 */
let counting: { calls: Map<string, number>; ids: number[] } | undefined;
const countingHook: ChangeHook = async (tx, change, ctx) => {
  if (!counting) return;
  const c = counting;
  const proxy = new Proxy(tx, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        c.calls.set(String(key), (c.calls.get(String(key)) ?? 0) + 1);
        if (key === 'usersAndTheirGroups') c.ids.push((args[1] as string[]).length);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  await checkGuards(proxy, change, ctx, await roleDeltas(proxy, change, ctx));
};
before(async () => { server = await startAdminServer({ tenant: 'roles-main', server: { hooks: [countingHook] } }); });
after(async () => { await server?.close(); });

interface Tenant { slug: string; url: string; token: string }
let n = 0;
async function tenant(settings: Json): Promise<Tenant> {
  const slug = `roles-${++n}`;
  const t = await server.createTenant(slug);
  const put = await server.admin('PUT', `/tenants/${slug}/settings`, { body: settings });
  assert.equal(put.status, 200, put.text);
  return { slug, url: t.scimUrl, token: t.token };
}
const call = (t: Tenant, method: string, path: string, body?: unknown) => scim(`${t.url}${path}`, t.token, method, body);

async function user(t: Tenant, userName: string, given: string, family: string): Promise<string> {
  const r = await call(t, 'POST', '/Users', { schemas: [USER], userName, name: { givenName: given, familyName: family }, emails: [{ value: userName, primary: true, type: 'work' }], active: true });
  assert.equal(r.status, 201, r.text);
  return r.body.id as string;
}
async function group(t: Tenant, displayName: string, members: string[] = []): Promise<string> {
  const r = await call(t, 'POST', '/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
  assert.equal(r.status, 201, r.text);
  return r.body.id as string;
}
/** Okta's member add and Entra's member remove. */
const addMembers = (t: Tenant, g: string, ids: string[]) => call(t, 'PATCH', `/Groups/${g}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }] });
const removeMember = (t: Tenant, g: string, id: string) => call(t, 'PATCH', `/Groups/${g}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: `members[value eq "${id}"]` }] });
/** Okta deactivates with a PATCH replace of active (no path); Entra with path "active" and a string. */
const oktaDeactivate = (t: Tenant, id: string) => call(t, 'PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
const entraDeactivate = (t: Tenant, id: string) => call(t, 'PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });

/** The tenant's events after a cursor, and the cursor after them. */
async function events(t: Tenant, afterCursor?: string): Promise<{ data: Json[]; next: string }> {
  const r = await server.admin('GET', `/events?tenant=${t.slug}&limit=500${afterCursor ? `&after=${encodeURIComponent(afterCursor)}` : ''}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}
const cursor = async (t: Tenant) => (await events(t)).next;
const summary = (list: Json[]) => list.map((e) => e.type.startsWith('user.role_') ? `${e.type} ${e.data.user.userName} ${e.data.role.name}` : e.type);
const roleEvents = (list: Json[]) => summary(list.filter((e) => e.type.startsWith('user.role_')));
async function rolesOf(t: Tenant, id: string): Promise<string[]> {
  const r = await server.admin('GET', `/tenants/${t.slug}/users/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body.roles.map((x: Json) => x.name);
}
/** A refusal: the status, no event since `since`, and the resource as it was. */
async function refusedWithNothingWritten(t: Tenant, res: Awaited<ReturnType<typeof call>>, status: number, detail: string, since: string, unchanged: { path: string; body: Json }[]) {
  assertScimError(res, status);
  assert.equal(res.body.detail, detail);
  assert.deepEqual((await events(t, since)).data, [], 'a refusal writes no event');
  for (const u of unchanged) {
    const now = await call(t, 'GET', u.path);
    assert.equal(now.status, 200, `${u.path} still exists`);
    assert.deepEqual(now.body, u.body, `${u.path} is unchanged`);
  }
}

const ADMINS = { roles: { roles: [{ name: 'Global Admin', admin: true }, { name: 'Responder' }], mappings: [{ group: { displayName: 'Administrators' }, role: 'Global Admin' }, { group: { displayName: 'Ops' }, role: 'Global Admin' }, { group: { displayName: 'Ops' }, role: 'Responder' }] } };

test('settings: policies.roles and policies.guards are checked with JSON pointers and filled with defaults', async () => {
  // The document's JSON Schema refuses wrong types at the edge, naming the field.
  expectProblem(await server.admin('PUT', '/tenants/roles-main/settings', { body: { policies: { roles: { roles: [{ name: 'Admin', admin: 'yes' }] } } } }), 400);
  expectProblem(await server.admin('PUT', '/tenants/roles-main/settings', { body: { policies: { guards: { requiredGroup: [] } } } }), 400);
  // What only the checker knows: a mapping to an undefined role, a role named twice, each at its pointer.
  const bad = await server.admin('PUT', '/tenants/roles-main/settings', { body: { policies: { roles: { roles: [{ name: 'Admin' }, { name: 'ADMIN' }], mappings: [{ group: { displayName: 'Ops' }, role: 'Nope' }] } } } });
  const p = expectProblem(bad, 400, { type: 'invalid-value' }) as Json;
  assert.deepEqual(p.problems.map((x: Json) => x.pointer), ['/policies/roles/roles/1/name', '/policies/roles/mappings/0/role']);
  assert.match(p.problems[1].message, /names no role of roles \("Admin"\)/);
  // Names no database column can hold are refused (by the edge here; by checkSettings for the library: roles-settings.test.ts).
  const hostile = await server.admin('PUT', '/tenants/roles-main/settings', { body: { policies: { roles: { roles: [{ name: 'A\u0000' }] }, guards: { requiredGroups: [{ displayName: 'x\ud800' }] } } } });
  expectProblem(hostile, 400, { field: 'policies.roles.roles.0.name' });
  const read = await server.admin('GET', '/tenants/roles-main/settings');
  const { roles, guards } = read.body.settings.policies;
  assert.deepEqual({ roles, guards }, { roles: { roles: [], mappings: [] }, guards: { requiredGroups: [], protectOnlyMembers: false } });
  const ok = await server.admin('PUT', '/tenants/roles-main/settings', { body: { policies: { ...ADMINS, guards: { requiredGroups: [{ id: 'g-1' }], protectOnlyMembers: true } } } });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.body.settings.policies.roles.roles, [{ name: 'Global Admin', admin: true }, { name: 'Responder', admin: false }]);
  await server.admin('PUT', '/tenants/roles-main/settings', { body: {} });
});

test('roles follow memberships: granted and revoked with the membership, once per role, after the membership events, and shown on the admin API', async () => {
  const t = await tenant({ policies: ADMINS });
  const ada = await user(t, 'ada@acme.example', 'Ada', 'Lovelace');
  const bob = await user(t, 'bob@acme.example', 'Bob', 'Byte');
  const start = await cursor(t);
  const admins = await group(t, 'Administrators', [ada]);
  let seen = await events(t, start);
  assert.deepEqual(summary(seen.data), ['group.created', 'group.member_added', 'user.role_granted ada@acme.example Global Admin']);
  const granted = seen.data[2];
  assert.deepEqual(granted.data, { user: { id: ada, userName: 'ada@acme.example' }, role: { name: 'Global Admin', admin: true }, groups: [{ id: admins, displayName: 'Administrators' }] });
  assert.equal(granted.actor.type, 'token', 'the event names who acted');
  assert.deepEqual(await rolesOf(t, ada), ['Global Admin']);
  const shown = await server.admin('GET', `/tenants/${t.slug}/users/${ada}`);
  assert.deepEqual(shown.body.roles, [{ name: 'Global Admin', admin: true, groups: [{ id: admins, displayName: 'Administrators' }] }]);

  // Bob through two groups: Ops grants Global Admin and Responder; Administrators adds nothing new.
  const ops = await group(t, 'Ops');
  let mark = seen.next;
  assert.equal((await addMembers(t, ops, [bob])).status < 300, true);
  seen = await events(t, mark);
  assert.deepEqual(roleEvents(seen.data), ['user.role_granted bob@acme.example Global Admin', 'user.role_granted bob@acme.example Responder']);
  mark = seen.next;
  assert.ok((await addMembers(t, admins, [bob])).status < 300);
  seen = await events(t, mark);
  assert.deepEqual(summary(seen.data), ['group.member_added'], 'a role already held through another group is not granted again');
  mark = seen.next;
  assert.ok((await removeMember(t, ops, bob)).status < 300);
  seen = await events(t, mark);
  assert.deepEqual(summary(seen.data), ['group.member_removed', 'user.role_revoked bob@acme.example Responder'], 'Global Admin stays: Administrators still grants it');
  assert.deepEqual(await rolesOf(t, bob), ['Global Admin']);
  // A group that grants nothing: no role events, no role on the user.
  const misc = await group(t, 'Misc', [bob]);
  assert.ok(misc);
  assert.deepEqual(await rolesOf(t, bob), ['Global Admin']);
});

test('a rename in the IdP moves the roles of a group mapped by name; a mapping by id survives it; a deleted user loses its roles with events', async () => {
  const t = await tenant({ policies: { roles: { roles: [{ name: 'Responder' }, { name: 'Billing' }], mappings: [{ group: { displayName: 'Ops' }, role: 'Responder' }] } } });
  const a = await user(t, 'a@acme.example', 'Al', 'A');
  const b = await user(t, 'b@acme.example', 'Bea', 'B');
  const g = await group(t, 'Ops', [a, b]);
  let mark = await cursor(t);
  // Entra renames with PATCH replace displayName.
  const renamed = await call(t, 'PATCH', `/Groups/${g}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Operations' }] });
  assert.ok(renamed.status < 300, renamed.text);
  let seen = await events(t, mark);
  assert.equal(seen.data[0].type, 'group.updated');
  assert.deepEqual(roleEvents(seen.data).sort(), ['user.role_revoked a@acme.example Responder', 'user.role_revoked b@acme.example Responder']);
  assert.deepEqual(await rolesOf(t, a), []);

  // Map by id: the name no longer matters. The settings change grants the role at once, with events
  // written in the settings transaction and naming the admin key that made it.
  mark = await cursor(t);
  const put = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { roles: { roles: [{ name: 'Responder' }, { name: 'Billing' }], mappings: [{ group: { id: g }, role: 'Billing' }] } } } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(await rolesOf(t, a), ['Billing'], 'roles are derived: the new mapping applies at once');
  seen = await events(t, mark);
  assert.deepEqual(summary(seen.data).sort(), ['user.role_granted a@acme.example Billing', 'user.role_granted b@acme.example Billing']);
  assert.ok(seen.data.every((e: Json) => e.actor.type === 'adminKey' && e.requestId), 'the admin key and its request are named');
  assert.deepEqual(seen.data[0].data.groups, [{ id: g, displayName: 'Operations' }]);
  mark = seen.next;
  assert.ok((await call(t, 'PATCH', `/Groups/${g}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { displayName: 'Ops Team' } }] })).status < 300);
  seen = await events(t, mark);
  assert.deepEqual(summary(seen.data), ['group.updated'], 'a rename of a group mapped by id changes no role');

  mark = seen.next;
  assert.equal((await call(t, 'DELETE', `/Users/${a}`)).status, 204);
  seen = await events(t, mark);
  assert.deepEqual(summary(seen.data), ['group.member_removed', 'user.deleted', 'user.role_revoked a@acme.example Billing']);
  assert.deepEqual(seen.data[2].data.groups, [{ id: g, displayName: 'Ops Team' }]);
});

test('a settings change of the mapping revokes and grants with events in its transaction; a refused one writes none', async () => {
  const t = await tenant({ policies: ADMINS });
  const a = await user(t, 'a@acme.example', 'Al', 'A');
  const b = await user(t, 'b@acme.example', 'Bea', 'B');
  await group(t, 'Administrators', [a]);
  await group(t, 'Ops', [b]);
  let mark = await cursor(t);
  // Drop the Responder role and move Global Admin from Ops to nowhere: Bob loses both, Ada keeps hers.
  const put = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { roles: { roles: [{ name: 'Global Admin', admin: true }], mappings: [{ group: { displayName: 'Administrators' }, role: 'Global Admin' }] } } } });
  assert.equal(put.status, 200, put.text);
  const seen = await events(t, mark);
  assert.deepEqual(summary(seen.data), ['user.role_revoked b@acme.example Global Admin', 'user.role_revoked b@acme.example Responder']);
  assert.equal(seen.data[1].data.role.admin, false, "a dropped role's flag comes from the settings that had it");
  assert.deepEqual(await rolesOf(t, b), []);
  assert.deepEqual(await rolesOf(t, a), ['Global Admin']);
  // A replacement refused for another reason (a stale If-Match) writes no role event either.
  mark = seen.next;
  const stale = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: ADMINS }, headers: { 'if-match': '1' } });
  assert.equal(stale.status, 412);
  assert.deepEqual((await events(t, mark)).data, []);
  assert.deepEqual(await rolesOf(t, b), []);
  // The same document again changes nothing and writes nothing.
  const again = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: put.body.settings });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual((await events(t, mark)).data, []);
});

test('a tenant without roles: no role events and no roles on its users', async () => {
  const t = await tenant({});
  const a = await user(t, 'solo@acme.example', 'So', 'Lo');
  const mark = await cursor(t);
  counting = { calls: new Map(), ids: [] };
  try {
    const g = await group(t, 'Administrators', [a]);
    assert.ok((await removeMember(t, g, a)).status < 300);
    assert.ok((await addMembers(t, g, [a])).status < 300);
    assert.equal((await oktaDeactivate(t, a)).status, 200);
    assert.deepEqual(Object.fromEntries(counting.calls), {}, 'roles and guards made no store call');
  } finally {
    counting = undefined;
  }
  assert.deepEqual(summary((await events(t, mark)).data), ['group.created', 'group.member_added', 'group.member_removed', 'group.member_added', 'user.deactivated']);
  assert.deepEqual(await rolesOf(t, a), []);
});

test('a PATCH adding 600 members to a mapped group grants each its role (set-based, across several batches)', async () => {
  const t = await tenant({ policies: { roles: { roles: [{ name: 'Member' }], mappings: [{ group: { displayName: 'Everyone' }, role: 'Member' }] } } });
  const ids: string[] = [];
  for (let i = 0; i < 600; i++) ids.push(await user(t, `u${i}@acme.example`, 'U', String(i)));
  const g = await group(t, 'Everyone');
  const mark = await cursor(t);
  counting = { calls: new Map(), ids: [] };
  try {
    assert.ok((await addMembers(t, g, ids)).status < 300);
  } finally {
    const seen = counting;
    counting = undefined;
    assert.deepEqual(Object.fromEntries(seen.calls), { usersAndTheirGroups: 1 }, 'one set-based read of the changed members and their groups, nothing per member');
    assert.deepEqual(seen.ids, [600]);
  }
  const all: Json[] = [];
  for (let c = mark; ;) {
    const page = await events(t, c);
    all.push(...page.data);
    if (!page.data.length) break;
    c = page.next;
  }
  assert.equal(all.filter((e) => e.type === 'group.member_added').length, 600);
  const granted = all.filter((e) => e.type === 'user.role_granted');
  assert.equal(new Set(granted.map((e) => e.data.user.id)).size, 600);
  const lastAdded = all.map((e) => e.type).lastIndexOf('group.member_added');
  assert.ok(all.findIndex((e) => e.type === 'user.role_granted') > lastAdded, 'role events follow the membership events');
});

test('guard: the last active holder of an admin role cannot be deactivated, deleted or removed (Okta and Entra requests); nothing is written', async () => {
  const t = await tenant({ policies: ADMINS });
  const ada = await user(t, 'ada@acme.example', 'Ada', 'Lovelace');
  const bob = await user(t, 'bob@acme.example', 'Bob', 'Byte');
  const admins = await group(t, 'Administrators', [ada]);
  const last = 'Ada Lovelace (ada@acme.example) is the last Global Admin of this organization; give another user that role first.';
  const adaBefore = (await call(t, 'GET', `/Users/${ada}`)).body;
  const groupBefore = (await call(t, 'GET', `/Groups/${admins}`)).body;
  const unchanged = [{ path: `/Users/${ada}`, body: adaBefore }, { path: `/Groups/${admins}`, body: groupBefore }];
  const mark = await cursor(t);

  await refusedWithNothingWritten(t, await oktaDeactivate(t, ada), 409, last, mark, unchanged);
  await refusedWithNothingWritten(t, await entraDeactivate(t, ada), 409, last, mark, unchanged);
  const { id: _id, meta: _meta, groups: _groups, ...doc } = adaBefore;
  await refusedWithNothingWritten(t, await call(t, 'PUT', `/Users/${ada}`, { ...doc, active: false }), 409, last, mark, unchanged);
  await refusedWithNothingWritten(t, await call(t, 'DELETE', `/Users/${ada}`), 409, last, mark, unchanged);
  await refusedWithNothingWritten(t, await removeMember(t, admins, ada), 409, last, mark, unchanged);
  await refusedWithNothingWritten(t, await call(t, 'PATCH', `/Groups/${admins}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'members', value: [] }] }), 409, last, mark, unchanged);
  await refusedWithNothingWritten(t, await call(t, 'DELETE', `/Groups/${admins}`), 409, last, mark, unchanged);

  // Another holder first: then Ada can go, and Bob becomes the last one.
  assert.ok((await addMembers(t, admins, [bob])).status < 300);
  const ok = await oktaDeactivate(t, ada);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.active, false);
  const bobLast = await entraDeactivate(t, bob);
  assertScimError(bobLast, 409);
  assert.equal(bobLast.body.detail, 'Bob Byte (bob@acme.example) is the last Global Admin of this organization; give another user that role first.');
  // Ada is inactive: removing her takes no active holder away.
  assert.ok((await removeMember(t, admins, ada)).status < 300);
  assert.equal((await call(t, 'DELETE', `/Users/${ada}`)).status, 204);
});

test('guard: a required group keeps a member and is neither deleted nor renamed by the IdP', async () => {
  const t = await tenant({ policies: { guards: { requiredGroups: [{ displayName: 'administrators' }] } } });
  const a = await user(t, 'a@acme.example', 'Al', 'Ander');
  const b = await user(t, 'b@acme.example', 'Bea', 'Bee');
  const g = await group(t, 'Administrators', [a, b]);
  const unchanged = async () => [{ path: `/Groups/${g}`, body: (await call(t, 'GET', `/Groups/${g}`)).body }, { path: `/Users/${b}`, body: (await call(t, 'GET', `/Users/${b}`)).body }];
  let mark = await cursor(t);
  let before = await unchanged();

  const rename = await call(t, 'PATCH', `/Groups/${g}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Admins' }] });
  assertScimError(rename, 400, 'mutability');
  await refusedWithNothingWritten(t, rename, 400, 'The group "Administrators" is required by this app and cannot be renamed from the identity provider; keep its name "Administrators", or ask the app\'s administrator to stop requiring it.', mark, before);
  const put = await call(t, 'PUT', `/Groups/${g}`, { schemas: [GROUP], displayName: 'Admins', members: [{ value: a }, { value: b }] });
  assertScimError(put, 400, 'mutability');
  await refusedWithNothingWritten(t, await call(t, 'DELETE', `/Groups/${g}`), 409, 'The group "Administrators" is required by this app and cannot be deleted from the identity provider; keep it assigned, or ask the app\'s administrator to stop requiring it.', mark, before);

  assert.ok((await removeMember(t, g, a)).status < 300, 'one of two members may leave');
  mark = await cursor(t);
  before = await unchanged();
  await refusedWithNothingWritten(t, await removeMember(t, g, b), 409, 'The group "Administrators" is required by this app and must keep at least one member; add another member to it first.', mark, before);
  await refusedWithNothingWritten(t, await call(t, 'DELETE', `/Users/${b}`), 409, 'Bea Bee (b@acme.example) is the last member of "Administrators", a group this app requires to keep a member; add another member to it first.', mark, before);
  // Deactivating keeps the membership: allowed.
  assert.equal((await oktaDeactivate(t, b)).status, 200);
});

test('guard (protectOnlyMembers): the only member of a group cannot be deprovisioned until someone joins it', async () => {
  const t = await tenant({ policies: { guards: { protectOnlyMembers: true } } });
  const c = await user(t, 'carol@acme.example', 'Carol', 'Oncall');
  const d = await user(t, 'dan@acme.example', 'Dan', 'Backup');
  const team = await group(t, 'On-call Team', [c]);
  const mark = await cursor(t);
  const before = [{ path: `/Users/${c}`, body: (await call(t, 'GET', `/Users/${c}`)).body }, { path: `/Groups/${team}`, body: (await call(t, 'GET', `/Groups/${team}`)).body }];
  const only = 'Carol Oncall (carol@acme.example) is the only member of "On-call Team"; add another member to that group before deprovisioning this user.';
  await refusedWithNothingWritten(t, await oktaDeactivate(t, c), 409, only, mark, before);
  await refusedWithNothingWritten(t, await call(t, 'DELETE', `/Users/${c}`), 409, only, mark, before);
  assert.ok((await addMembers(t, team, [d])).status < 300);
  assert.equal((await entraDeactivate(t, c)).status, 200);
  assert.equal((await call(t, 'DELETE', `/Users/${c}`)).status, 204);
});

test('a settings change that finds a guard already broken is accepted and enforced from then on', async () => {
  const t = await tenant({});
  const a = await user(t, 'x@acme.example', 'Ex', 'Ample');
  const g = await group(t, 'Administrators');
  const put = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { ...ADMINS, guards: { requiredGroups: [{ id: g }] } } } });
  assert.equal(put.status, 200, put.text);
  assert.ok((await addMembers(t, g, [a])).status < 300);
  assertScimError(await removeMember(t, g, a), 409);
});

test('guard under concurrency: two admins deactivated at the same moment, each the other\'s backup: one is refused, an admin remains', async () => {
  const t = await tenant({ policies: ADMINS });
  for (let round = 0; round < 5; round++) {
    const a = await user(t, `a${round}@acme.example`, 'Al', `A${round}`);
    const b = await user(t, `b${round}@acme.example`, 'Bo', `B${round}`);
    const g = await group(t, round === 0 ? 'Administrators' : `Spare ${round}`, [a, b]);
    if (round > 0) {
      // Each round its own pair: the previous pair's survivor leaves the mapped group first.
      const put = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { roles: { roles: [{ name: 'Global Admin', admin: true }], mappings: [{ group: { id: g }, role: 'Global Admin' }] } } } });
      assert.equal(put.status, 200, put.text);
    }
    const [ra, rb] = await Promise.all([oktaDeactivate(t, a), entraDeactivate(t, b)]);
    const statuses = [ra.status, rb.status].sort();
    assert.deepEqual(statuses, [200, 409], `round ${round}: ${ra.text} / ${rb.text}`);
    const active = await Promise.all([a, b].map(async (id) => (await call(t, 'GET', `/Users/${id}`)).body.active));
    assert.equal(active.filter(Boolean).length, 1, 'exactly one admin is still active');
  }
});

test('the admin API meets the same guards (a 409 problem with the reason), but may rename a required group; Okta\'s group PUT emptying it is refused', async () => {
  const t = await tenant({ policies: { ...ADMINS, guards: { requiredGroups: [{ displayName: 'Administrators' }] } } });
  const local = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'root@acme.example', displayName: 'Root Admin' } } });
  assert.equal(local.status, 201, local.text);
  const g = await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: 'Administrators' }, members: [local.body.id] } });
  assert.equal(g.status, 201, g.text);
  assert.deepEqual(await rolesOf(t, local.body.id), ['Global Admin']);
  const mark = await cursor(t);
  const refused = await server.admin('DELETE', `/tenants/${t.slug}/users/${local.body.id}`);
  const p = expectProblem(refused, 409, { type: 'conflict' }) as Json;
  assert.equal(p.reason, 'lastAdmin');
  assert.equal(p.detail, 'Root Admin (root@acme.example) is the last Global Admin of this organization; give another user that role first.');
  assert.deepEqual((await events(t, mark)).data, [], 'nothing written');
  // Okta's whole-group PUT with no members: the required group would be empty and the admin gone.
  const put = await call(t, 'PUT', `/Groups/${g.body.id}`, { schemas: [GROUP], displayName: 'Administrators', members: [] });
  assertScimError(put, 409);
  assert.deepEqual((await events(t, mark)).data, []);
  // The app's own administrators may rename it (the required-group rule binds the IdP), but not while
  // the rename takes the role away from its last holder (the mapping is by name)...
  const rename = () => server.admin('PUT', `/tenants/${t.slug}/groups/${g.body.id}`, { body: { attributes: { displayName: 'Admins' } } });
  assert.equal((expectProblem(await rename(), 409) as Json).reason, 'lastAdmin');
  assert.deepEqual((await events(t, mark)).data, []);
  // ...and once the mapping names the group by id, the rename goes through and changes no role.
  const put2 = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { roles: { roles: [{ name: 'Global Admin', admin: true }], mappings: [{ group: { id: g.body.id }, role: 'Global Admin' }] }, guards: { requiredGroups: [{ id: g.body.id }] } } } });
  assert.equal(put2.status, 200, put2.text);
  const after = await cursor(t);
  const renamed = await rename();
  assert.equal(renamed.status, 200, renamed.text);
  assert.deepEqual(summary((await events(t, after)).data), ['group.updated']);
  assert.deepEqual(await rolesOf(t, local.body.id), ['Global Admin']);
  // Over SCIM the renamed group is still required by id: the IdP may not rename it back.
  assertScimError(await call(t, 'PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Administrators' }] }), 400, 'mutability');
});

test('guards hold whatever the deprovisioning mode: remove-memberships and delete are refused for the last admin; allowed, remove-memberships revokes the roles with events', async () => {
  for (const mode of ['remove-memberships', 'delete'] as const) {
    const t = await tenant({ policies: { ...ADMINS, deprovisioning: { mode } } });
    const ada = await user(t, 'ada@acme.example', 'Ada', 'Lovelace');
    const bob = await user(t, 'bob@acme.example', 'Bob', 'Byte');
    const admins = await group(t, 'Administrators', [ada]);
    const mark = await cursor(t);
    const unchanged = [{ path: `/Users/${ada}`, body: (await call(t, 'GET', `/Users/${ada}`)).body }, { path: `/Groups/${admins}`, body: (await call(t, 'GET', `/Groups/${admins}`)).body }];
    await refusedWithNothingWritten(t, await oktaDeactivate(t, ada), 409, 'Ada Lovelace (ada@acme.example) is the last Global Admin of this organization; give another user that role first.', mark, unchanged);
    assert.ok((await addMembers(t, admins, [bob])).status < 300);
    const next = await cursor(t);
    const ok = await entraDeactivate(t, ada);
    assert.ok(ok.status === 200 || ok.status === 204, `${mode}: ${ok.text}`);
    const seen = summary((await events(t, next)).data);
    if (mode === 'remove-memberships') assert.deepEqual(seen, ['group.member_removed', 'user.deactivated', 'user.role_revoked ada@acme.example Global Admin']);
    else assert.deepEqual(seen, ['group.member_removed', 'user.deleted', 'user.role_revoked ada@acme.example Global Admin']);
  }
});

test('the only-member rule holds under remove-memberships: the team would be left empty', async () => {
  const t = await tenant({ policies: { deprovisioning: { mode: 'remove-memberships' }, guards: { protectOnlyMembers: true } } });
  const c = await user(t, 'carol@acme.example', 'Carol', 'Oncall');
  const team = await group(t, 'On-call Team', [c]);
  const mark = await cursor(t);
  const before = [{ path: `/Users/${c}`, body: (await call(t, 'GET', `/Users/${c}`)).body }, { path: `/Groups/${team}`, body: (await call(t, 'GET', `/Groups/${team}`)).body }];
  await refusedWithNothingWritten(t, await oktaDeactivate(t, c), 409, 'Carol Oncall (carol@acme.example) is the only member of "On-call Team"; add another member to that group before deprovisioning this user.', mark, before);
});

test('guard: a deactivated local user is no active admin: Okta cannot deactivate the last active holder beside it, nor the admin API the last active local one', async () => {
  const t = await tenant({ policies: ADMINS });
  // A local admin the app deactivated: its status says so, its SCIM document has no `active` at all.
  const root = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'root@acme.example', displayName: 'Root Admin' }, status: 'deactivated' } });
  assert.equal(root.status, 201, root.text);
  const ada = await user(t, 'ada@acme.example', 'Ada', 'Lovelace');
  const admins = await group(t, 'Administrators', [ada, root.body.id]);
  const mark = await cursor(t);
  const unchanged = [{ path: `/Users/${ada}`, body: (await call(t, 'GET', `/Users/${ada}`)).body }, { path: `/Groups/${admins}`, body: (await call(t, 'GET', `/Groups/${admins}`)).body }];
  await refusedWithNothingWritten(t, await oktaDeactivate(t, ada), 409, 'Ada Lovelace (ada@acme.example) is the last Global Admin of this organization; give another user that role first.', mark, unchanged);

  // An active local holder joins: Ada may go; then the app's own deactivation of that local user
  // (its status, through the admin API) is the one refused.
  const kim = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'kim@acme.example', displayName: 'Kim Keeper' }, status: 'active' } });
  assert.equal(kim.status, 201, kim.text);
  assert.ok((await addMembers(t, admins, [kim.body.id])).status < 300);
  assert.equal((await entraDeactivate(t, ada)).status, 200);
  const next = await cursor(t);
  const refused = await server.admin('PUT', `/tenants/${t.slug}/users/${kim.body.id}`, { body: { attributes: { userName: 'kim@acme.example', displayName: 'Kim Keeper' }, status: 'deactivated' } });
  const p = expectProblem(refused, 409) as Json;
  assert.equal(p.reason, 'lastAdmin');
  assert.equal(p.detail, 'Kim Keeper (kim@acme.example) is the last Global Admin of this organization; give another user that role first.');
  assert.deepEqual((await events(t, next)).data, [], 'nothing written');
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/users/${kim.body.id}`)).body.status, 'active');
});

test('guard (protectOnlyMembers) under the deactivate mode: a deactivated member keeps its membership but does not cover the team', async () => {
  const t = await tenant({ policies: { deprovisioning: { mode: 'deactivate' }, guards: { protectOnlyMembers: true } } });
  const c = await user(t, 'carol@acme.example', 'Carol', 'Oncall');
  const d = await user(t, 'dan@acme.example', 'Dan', 'Backup');
  const team = await group(t, 'On-call Team', [c, d]);
  // Okta deactivates Dan: Carol still covers the team; Dan stays a member (the deactivate mode).
  assert.equal((await oktaDeactivate(t, d)).status, 200);
  assert.equal((await call(t, 'GET', `/Groups/${team}`)).body.members.length, 2);
  const mark = await cursor(t);
  const before = [{ path: `/Users/${c}`, body: (await call(t, 'GET', `/Users/${c}`)).body }, { path: `/Groups/${team}`, body: (await call(t, 'GET', `/Groups/${team}`)).body }];
  const only = 'Carol Oncall (carol@acme.example) is the only active member of "On-call Team" (its other members are deactivated); add an active member to that group before deprovisioning this user.';
  await refusedWithNothingWritten(t, await entraDeactivate(t, c), 409, only, mark, before);
  await refusedWithNothingWritten(t, await call(t, 'DELETE', `/Users/${c}`), 409, only, mark, before);
  // Reactivating Dan (Okta's PATCH active true) covers the team again.
  assert.equal((await call(t, 'PATCH', `/Users/${d}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] })).status, 200);
  assert.equal((await oktaDeactivate(t, c)).status, 200);
});

test('the default group is a change like any other for roles and guards: joining and leaving it grants and revokes its role with events; a move out of it that takes the last admin away is refused', async () => {
  const staff = await tenant({ policies: { groups: { defaultGroup: 'Everyone' }, roles: { roles: [{ name: 'Staff' }], mappings: [{ group: { displayName: 'Everyone' }, role: 'Staff' }] } } });
  let mark = await cursor(staff);
  // Okta pushes a user: it joins the default group (created for it) and takes the group's role.
  const ada = await user(staff, 'ada@acme.example', 'Ada', 'Lovelace');
  let seen = await events(staff, mark);
  assert.deepEqual(summary(seen.data), ['user.created', 'group.created', 'group.member_added', 'user.role_granted ada@acme.example Staff']);
  assert.equal(seen.data[3].data.groups[0].displayName, 'Everyone');
  assert.deepEqual(await rolesOf(staff, ada), ['Staff']);
  // Okta pushes a group with Ada in it: she leaves the default group, and its role with it.
  mark = seen.next;
  await group(staff, 'Ops', [ada]);
  seen = await events(staff, mark);
  assert.deepEqual(summary(seen.data), ['group.created', 'group.member_added', 'group.member_removed', 'user.role_revoked ada@acme.example Staff']);
  assert.deepEqual(await rolesOf(staff, ada), []);

  // The default group grants the admin role: Ada's move out of it would leave no active admin.
  const t = await tenant({ policies: { groups: { defaultGroup: 'Everyone' }, roles: { roles: [{ name: 'Global Admin', admin: true }], mappings: [{ group: { displayName: 'Everyone' }, role: 'Global Admin' }] } } });
  const root = await user(t, 'root@acme.example', 'Root', 'Admin');
  mark = await cursor(t);
  const refused = await call(t, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Ops', members: [{ value: root }] });
  assertScimError(refused, 409);
  assert.equal(refused.body.detail, 'Root Admin (root@acme.example) is the last Global Admin of this organization; give another user that role first.');
  assert.deepEqual((await events(t, mark)).data, [], 'nothing written');
  assert.equal((await call(t, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Ops"')}`)).body.totalResults, 0);
  assert.deepEqual(await rolesOf(t, root), ['Global Admin']);
  // Another user joins the default group (another admin): now Root may move.
  await user(t, 'bea@acme.example', 'Bea', 'Backup');
  await group(t, 'Ops', [root]);
  assert.deepEqual(await rolesOf(t, root), []);
});
