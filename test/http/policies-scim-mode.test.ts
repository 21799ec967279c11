// SCIM mode (issue 11 item 7, docs/policies.md "SCIM mode", the Split article) through the real
// server and database: IdP-managed users and groups read-only through the admin API while SCIM is
// enabled, no invitations then; disabling (confirmed by DISABLE) makes everything local and revokes
// every token in one transaction, with its events and audit entry; re-enabling starts clean (a new
// token, invitations revoked, account linking again). Users and groups are made by the requests
// Okta sends. Every refusal is checked to have changed nothing: resources, tokens, events, audit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '../../src/provisioning/users.ts';
import { useCases } from '../../src/provisioning/use-cases.ts';
import { expectProblem, scim, startAdminServer, type AdminTestServer, type Json, type ScimTenant, tenantWithPolicies } from '../support/admin.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: AdminTestServer;
before(async () => { server = await startAdminServer(); });
after(async () => { await server?.close(); });

type Tenant = ScimTenant;
const tenantWith = (prefix: string, policies?: Json): Promise<Tenant> => tenantWithPolicies(server, prefix, policies);

const call = (t: Tenant, path: string, method = 'GET', body?: unknown, token = t.token) => scim(`${t.scimUrl}${path}`, token, method, body);

/** Okta's create: the lookup by userName, then the POST. */
async function oktaUser(t: Tenant, userName: string): Promise<string> {
  const look = await call(t, `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
  assert.equal(look.status, 200, look.text);
  assert.equal(look.body.totalResults, 0);
  const res = await call(t, '/Users', 'POST', { schemas: [USER], userName, name: { givenName: 'G', familyName: 'F' }, emails: [{ primary: true, value: userName, type: 'work' }], active: true });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** Okta's Push Groups: POST the group, then PATCH its members in. */
async function oktaGroup(t: Tenant, displayName: string, members: string[]): Promise<string> {
  const res = await call(t, '/Groups', 'POST', { schemas: [GROUP], displayName, members: [] });
  assert.equal(res.status, 201, res.text);
  const patch = await call(t, `/Groups/${res.body.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: members.map((value) => ({ value })) }] });
  assert.equal(patch.status, 204, patch.text);
  return res.body.id;
}

async function events(t: Tenant): Promise<Json[]> {
  const res = await server.admin('GET', `/events?tenant=${t.slug}&limit=500`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}
const types = (list: Json[]) => list.map((e: Json) => e.type);

async function auditOf(t: Tenant, action: string): Promise<Json[]> {
  const res = await server.admin('GET', `/audit?tenant=${t.slug}&action=${action}`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}

/** Everything a refusal must leave as it was: users, groups, tokens, tenant, events, audit. */
async function snapshot(t: Tenant): Promise<Json> {
  const [users, groups, tokens, tenant, audit] = await Promise.all([
    server.admin('GET', `/tenants/${t.slug}/users`), server.admin('GET', `/tenants/${t.slug}/groups`),
    server.admin('GET', `/tenants/${t.slug}/tokens`), server.admin('GET', `/tenants/${t.slug}`), server.admin('GET', `/audit?tenant=${t.slug}`),
  ]);
  return { users: users.body.data, groups: groups.body.data, tokens: tokens.body.data, tenant: tenant.body, audit: audit.body.data, events: await events(t) };
}

test('while SCIM is enabled, IdP-managed users and groups are read-only through the admin API (409 with the reason), and nothing is written', async () => {
  const t = await tenantWith('scim-ro');
  const ada = await oktaUser(t, 'ada@acme.example');
  const team = await oktaGroup(t, 'Engineering', [ada]);
  const before = await snapshot(t);
  const attempts = [
    server.admin('PUT', `/tenants/${t.slug}/users/${ada}`, { body: { attributes: { userName: 'ada@acme.example', active: false } } }),
    server.admin('DELETE', `/tenants/${t.slug}/users/${ada}`),
    server.admin('PUT', `/tenants/${t.slug}/groups/${team}`, { body: { attributes: { displayName: 'Renamed' }, members: [] } }),
    server.admin('DELETE', `/tenants/${t.slug}/groups/${team}`),
  ];
  for (const res of await Promise.all(attempts)) {
    const p = expectProblem(res, 409, { type: 'idp-managed', detail: new RegExp(`SCIM is enabled for tenant "${t.slug}".*disable SCIM`) });
    assert.equal((p as Json).reason, 'scimEnabled');
  }
  assert.deepEqual(await snapshot(t), before, 'nothing changed');
  // Local users and groups stay editable.
  const local = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'svc-backup' } } });
  assert.equal(local.status, 201, local.text);
  assert.equal(local.body.status, 'active');
  assert.equal(local.body.idpManaged, false);
  const renamed = await server.admin('PUT', `/tenants/${t.slug}/users/${local.body.id}`, { body: { attributes: { userName: 'svc-backup', displayName: 'Backups' }, status: 'deactivated' } });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal(renamed.body.status, 'deactivated');
  const ev = (await events(t)).at(-1);
  assert.equal(ev.type, 'user.updated');
  assert.deepEqual(ev.data.changedPaths, ['displayName', 'status']);
});

test('while SCIM is enabled no local user can be invited: 409, nothing written', async () => {
  const t = await tenantWith('scim-invite');
  const before = await snapshot(t);
  const res = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'grace@acme.example' }, status: 'invited' } });
  expectProblem(res, 409, { type: 'conflict', field: 'status', detail: /SCIM enabled.*identity provider/ });
  assert.deepEqual(await snapshot(t), before);
});

test('disabling SCIM: every IdP-managed user and group becomes local (status from active), every token revoked, events and audit written, in one go', async () => {
  const t = await tenantWith('scim-off');
  const second = await server.admin('POST', `/tenants/${t.slug}/tokens`, { body: { name: 'Okta (rotation)' } });
  assert.equal(second.status, 201);
  const ada = await oktaUser(t, 'ada@acme.example');
  const bob = await oktaUser(t, 'bob@acme.example');
  // Okta deactivates Bob (unassigned from the app).
  const off = await call(t, `/Users/${bob}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
  assert.equal(off.status, 200, off.text);
  const team = await oktaGroup(t, 'Engineering', [ada, bob]);
  const eventsBefore = (await events(t)).length;

  const res = await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm: 'DISABLE' } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual({ ...res.body, tenant: undefined }, { tenant: undefined, usersConverted: 2, groupsConverted: 1, tokensRevoked: 2 });
  assert.equal(res.body.tenant.scimEnabled, false);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}`)).body.scimEnabled, false);

  // The tokens stop working, both of them.
  for (const token of [t.token, second.body.token]) {
    const denied = await call(t, '/Users', 'GET', undefined, token);
    assert.equal(denied.status, 401, denied.text);
    assert.match(denied.body.detail, /SCIM provisioning is disabled for this tenant/, 'Okta and Entra show why');
  }
  const tokens = (await server.admin('GET', `/tenants/${t.slug}/tokens`)).body.data;
  assert.equal(tokens.length, 2);
  assert.ok(tokens.every((k: Json) => k.revokedAt !== null && k.status === 'revoked'), JSON.stringify(tokens));

  // Everything is local now, with a status, and editable through the admin API.
  const users = (await server.admin('GET', `/tenants/${t.slug}/users`)).body.data;
  assert.deepEqual(users.map((u: Json) => [u.userName, u.idpManaged, u.status]), [['ada@acme.example', false, 'active'], ['bob@acme.example', false, 'deactivated']]);
  const group = (await server.admin('GET', `/tenants/${t.slug}/groups/${team}`)).body;
  assert.equal(group.idpManaged, false);
  const put = await server.admin('PUT', `/tenants/${t.slug}/users/${ada}`, { body: { attributes: { userName: 'ada@acme.example', title: 'Lead' } } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.idpManaged, false);
  const members = await server.admin('PUT', `/tenants/${t.slug}/groups/${team}`, { body: { attributes: { displayName: 'Engineering' }, members: [ada] } });
  assert.equal(members.status, 200, members.text);
  assert.equal((await server.admin('DELETE', `/tenants/${t.slug}/users/${bob}`)).status, 204);

  // Its events: each token revoked, then the summary; then the admin's own edits.
  const evs = (await events(t)).slice(eventsBefore);
  assert.deepEqual(types(evs).slice(0, 3), ['token.revoked', 'token.revoked', 'tenant.scim_disabled']);
  const summary = evs[2];
  assert.deepEqual({ ...summary.data, tenant: summary.data.tenant.slug }, { tenant: t.slug, usersConverted: 2, groupsConverted: 1, tokensRevoked: 2 });
  assert.equal(summary.actor.type, 'adminKey');
  assert.equal(summary.actor.id, server.adminKeyId);
  assert.deepEqual(evs.slice(0, 2).map((e: Json) => e.data.token.id).sort(), tokens.map((k: Json) => k.id).sort());
  const audit = await auditOf(t, 'tenant.scim_disable');
  assert.equal(audit.length, 1);
  assert.deepEqual({ users: audit[0].summary.usersConverted, groups: audit[0].summary.groupsConverted, tokens: [...audit[0].summary.tokensRevoked].sort() }, { users: 2, groups: 1, tokens: tokens.map((k: Json) => k.id).sort() });

  // Disabled: no token can be issued, and disabling again is refused.
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/tokens`, { body: {} }), 409, { type: 'conflict', detail: /SCIM is disabled.*scim\/enable/ });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm: 'DISABLE' } }), 409, { type: 'conflict', detail: /already disabled/ });
});

test('refusals change nothing: a wrong or missing confirmation word, enabling an enabled tenant', async () => {
  const t = await tenantWith('scim-refuse');
  const ada = await oktaUser(t, 'ada@acme.example');
  await oktaGroup(t, 'Engineering', [ada]);
  const before = await snapshot(t);
  for (const confirm of ['disable', 'DISABLE ', 'yes', '']) {
    expectProblem(await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm } }), 400, { type: 'invalid-value', field: 'confirm', detail: /typing the word DISABLE/ });
  }
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: {} }), 400);
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/scim/enable`, { body: {} }), 409, { type: 'conflict', detail: /already enabled/ });
  // A read-scope key may not disable either.
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { key: server.readKey, body: { confirm: 'DISABLE' } }), 403);
  assert.deepEqual(await snapshot(t), before, 'nothing changed');
  const still = await call(t, `/Users/${ada}`);
  assert.equal(still.status, 200, 'the token still works');
});

test('re-enabling starts clean: a new token, pending invitations revoked, account linking applies again', async () => {
  const t = await tenantWith('scim-again', { linking: { enabled: true } });
  const ada = await oktaUser(t, 'ada@acme.example');
  assert.equal((await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm: 'DISABLE' } })).status, 200);
  // Disabled: the app invites people itself.
  const invited = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'grace@acme.example' }, status: 'invited' } });
  assert.equal(invited.status, 201, invited.text);
  assert.equal(invited.body.status, 'invited');
  const eventsBefore = (await events(t)).length;

  const res = await server.admin('POST', `/tenants/${t.slug}/scim/enable`, { body: { name: 'Okta again', expiresIn: '30d' } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.invitationsRevoked, 1);
  assert.equal(res.body.tenant.scimEnabled, true);
  assert.equal(res.body.name, 'Okta again');
  assert.match(res.body.token, /\S{20,}/);
  const fresh: Tenant = { ...t, token: res.body.token };

  const grace = (await server.admin('GET', `/tenants/${t.slug}/users/${invited.body.id}`)).body;
  assert.equal(grace.status, 'deactivated', 'the invitation was revoked');
  assert.equal(grace.version, invited.body.version + 1);
  const evs = (await events(t)).slice(eventsBefore);
  assert.deepEqual(types(evs), ['user.invitation_revoked', 'token.created', 'tenant.scim_enabled']);
  assert.deepEqual(evs[0].data.user, { id: invited.body.id, userName: 'grace@acme.example', status: 'deactivated' });
  assert.equal(evs[1].data.token.id, res.body.id);
  assert.equal(evs[2].data.invitationsRevoked, 1);
  assert.equal((await auditOf(t, 'tenant.scim_enable')).length, 1);

  // The old token stays dead; the new one works.
  const old = await call(t, '/Users');
  assert.equal(old.status, 401);
  assert.match(old.body.detail, /revoked on/);
  const list = await call(fresh, '/Users');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.body.totalResults, 2);

  // Ada is local now: Okta's POST of her links her again (same id, IdP-managed, user.linked).
  const linked = await call(fresh, '/Users', 'POST', { schemas: [USER], userName: 'ada@acme.example', emails: [{ primary: true, value: 'ada@acme.example', type: 'work' }], active: true });
  assert.equal(linked.status, 201, linked.text);
  assert.equal(linked.body.id, ada);
  assert.equal((await events(t)).at(-1).type, 'user.linked');
  const back = (await server.admin('GET', `/tenants/${t.slug}/users/${ada}`)).body;
  assert.equal(back.idpManaged, true);
  assert.equal(back.status, null);
  expectProblem(await server.admin('PUT', `/tenants/${t.slug}/users/${ada}`, { body: { attributes: { userName: 'ada@acme.example' } } }), 409, { type: 'idp-managed' });
});

test('a SCIM create that authenticated before SCIM was disabled is refused (401) when it writes after the disable: no IdP-managed user is left behind', async () => {
  const t = await tenantWith('scim-race', { linking: { enabled: true } });
  const { provisioning, store } = server.running;
  // The request's context, as it stood once authenticated (SCIM enabled), kept across the disable.
  const tenant = (await store.findTenantBySlug(t.slug))!;
  assert.equal(tenant.scimEnabled, true);
  const ctx = await provisioning.context(tenant, { actor: { type: 'token', id: null, name: 'Okta' } });
  const local = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'kim@acme.example' } } });
  assert.equal(local.status, 201);
  assert.equal((await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm: 'DISABLE' } })).status, 200);
  const before = await snapshot(t);
  for (const userName of ['late@acme.example', 'kim@acme.example']) { // a create, and a link of the local user
    await assert.rejects(createUser(ctx, { schemas: [USER], userName, active: true }), (err: Json) => {
      assert.equal(err.status, 401);
      assert.match(err.message, /SCIM provisioning is disabled/);
      return true;
    });
  }
  assert.deepEqual(await snapshot(t), before, 'nothing written: no user, no event');
  assert.deepEqual((await server.admin('GET', `/tenants/${t.slug}/users`)).body.data.map((u: Json) => [u.userName, u.idpManaged]), [['kim@acme.example', false]]);
});

test("the library's tenants.disableScim and enableScim do the same (the vendor's own code as actor)", async () => {
  const t = await tenantWith('scim-lib');
  const ada = await oktaUser(t, 'ada@acme.example');
  const rc = useCases(server.running.provisioning, { tokenTtlDays: 1 });
  await assert.rejects(rc.tenants.disableScim(t.slug, 'Disable'), /typing the word DISABLE/);
  assert.equal((await call(t, `/Users/${ada}`)).status, 200, 'refused: the token still works');
  assert.deepEqual(await rc.tenants.disableScim(t.slug, 'DISABLE'), { users: 1, groups: 0, tokensRevoked: 1 });
  assert.equal((await rc.tenants.get(t.slug))!.scimEnabled, false);
  assert.equal((await events(t)).at(-1).actor.type, 'library');
  const on = await rc.tenants.enableScim(t.slug, { expiresInMs: 60_000 });
  assert.equal(on.invitationsRevoked, 0);
  assert.equal(Object.hasOwn(on.record, 'hash'), false);
  assert.equal((await call(t, `/Users/${ada}`, 'GET', undefined, on.token)).status, 200);
});

test('re-enabling with linking off: the users the disable made local are the app\'s; Okta\'s re-push (lookup, then PATCH, PUT, DELETE or POST) is refused with the way out, until linking is on; then the IdP takes them over and its deprovisioning mode applies', async () => {
  const t = await tenantWith('scim-relink', { deprovisioning: { mode: 'remove-memberships' } });
  const ada = await oktaUser(t, 'ada@acme.example');
  const team = await oktaGroup(t, 'Ops', [ada]);
  assert.equal((await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm: 'DISABLE' } })).status, 200);
  const on = await server.admin('POST', `/tenants/${t.slug}/scim/enable`, { body: { name: 'Okta again' } });
  assert.equal(on.status, 201, on.text);
  const fresh: Tenant = { ...t, token: on.body.token };
  // The token's last use is recorded as the IdP uses it: everything else must stay as it was.
  const written = async () => { const s = await snapshot(fresh); return { ...s, tokens: s.tokens.map(({ lastUsedAt: _used, ...k }: Json) => k) }; };
  const before = await written();

  // Okta's re-push: its lookup finds Ada (local now), then it writes to her by id.
  const look = await call(fresh, `/Users?filter=${encodeURIComponent('userName eq "ada@acme.example"')}&startIndex=1&count=100`);
  assert.equal(look.body.totalResults, 1);
  const local = /The user "ada@acme\.example" is a local user of this app \(created in the app, or made local when SCIM was disabled\) and account linking is off, so the identity provider cannot change or delete it; ask the app's admin to turn on account linking, then retry/;
  const refusals = [
    await call(fresh, `/Users/${ada}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }),
    await call(fresh, `/Users/${ada}`, 'PUT', { schemas: [USER], userName: 'ada@acme.example', emails: [{ primary: true, value: 'ada@acme.example', type: 'work' }], active: false }),
    await call(fresh, `/Users/${ada}`, 'DELETE'),
  ];
  for (const r of refusals) {
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.detail, local);
  }
  // A POST (a lookup that missed) clashes, naming the same way out.
  const post = await call(fresh, '/Users', 'POST', { schemas: [USER], userName: 'ada@acme.example', active: true });
  assert.equal(post.status, 409, post.text);
  assert.match(post.body.detail, /turn on account linking/);
  assert.deepEqual(await written(), before, 'nothing written by any of them');
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/users/${ada}`)).body.status, 'active');

  // Linking on: Okta's retry links Ada (same id, IdP-managed) and its deactivation follows the mode.
  const linking = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { deprovisioning: { mode: 'remove-memberships' }, linking: { enabled: true } } } });
  assert.equal(linking.status, 200, linking.text);
  const linked = await call(fresh, `/Users/${ada}`, 'PUT', { schemas: [USER], userName: 'ada@acme.example', emails: [{ primary: true, value: 'ada@acme.example', type: 'work' }], active: true });
  assert.equal(linked.status, 200, linked.text);
  assert.equal((await events(t)).at(-1).type, 'user.linked');
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/users/${ada}`)).body.idpManaged, true);
  const off = await call(fresh, `/Users/${ada}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
  assert.equal(off.status, 200, off.text);
  assert.deepEqual(off.body.groups ?? [], [], 'remove-memberships applied');
  assert.deepEqual(types((await events(t)).slice(-2)), ['group.member_removed', 'user.deactivated']);
  assert.ok(team);
});
