// Settings replaced while a SCIM request is being handled (docs/policies.md "Settings replaced during
// a request"): turning on one group per user, or the email identifier, checks the data and writes
// the settings; a SCIM request that read the settings before that and writes after it must not
// create the conflict the check refused. The request's context is taken as it stood once
// authenticated (the older settings) and used after the replacement, as a request in flight would:
// its write is checked against the settings that replaced its own, and nothing is written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGroup, patchGroup } from '../../src/provisioning/groups.ts';
import { createUser, patchUser } from '../../src/provisioning/users.ts';
import { scim, startAdminServer, tenantWithPolicies, type AdminTestServer, type Json, type ScimTenant } from '../support/admin.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: AdminTestServer;
before(async () => { server = await startAdminServer(); });
after(async () => { await server?.close(); });

const call = (t: ScimTenant, path: string, method = 'GET', body?: unknown) => scim(`${t.scimUrl}${path}`, t.token, method, body);

/** Okta's create of a user, with its work email as the primary one. */
async function oktaUser(t: ScimTenant, userName: string, email = userName): Promise<string> {
  const res = await call(t, '/Users', 'POST', { schemas: [USER], userName, name: { givenName: 'G', familyName: 'F' }, emails: [{ primary: true, value: email, type: 'work' }], active: true });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** A SCIM request's context as it stood once authenticated (the settings of that moment). */
async function inFlight(t: ScimTenant) {
  const { provisioning, store } = server.running;
  const tenant = (await store.findTenantBySlug(t.slug))!;
  return provisioning.context(tenant, { actor: { type: 'token', id: null, name: 'Okta' } });
}

/** What a refused write must leave as it was: users, groups (with members), events. */
async function snapshot(t: ScimTenant): Promise<Json> {
  const [users, groups, events] = await Promise.all([call(t, '/Users?count=100'), call(t, '/Groups?count=100'), server.admin('GET', `/events?tenant=${t.slug}&limit=500`)]);
  return { users: users.body.Resources, groups: groups.body.Resources, events: events.body.data };
}

const refusedAs = (status: number, scimType: string, detail: RegExp) => (err: Json) => {
  assert.equal(err.status, status, err.message);
  assert.equal(err.scimType, scimType);
  assert.match(err.message, detail);
  return true;
};

test('one group per user turned on while a SCIM request is in flight: its POST /Groups and PATCH add of a user already in a group are refused, nothing written', async () => {
  const t = await tenantWithPolicies(server, 'race-groups');
  const dee = await oktaUser(t, 'dee@acme.example');
  const red = await call(t, '/Groups', 'POST', { schemas: [GROUP], displayName: 'Red team', members: [{ value: dee }] });
  assert.equal(red.status, 201, red.text);
  const green = await call(t, '/Groups', 'POST', { schemas: [GROUP], displayName: 'Green team', members: [] });
  assert.equal(green.status, 201, green.text);
  const ctx = await inFlight(t);
  // Every user is in one group: the replacement's check passes, and it commits.
  const on = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { groups: { oneGroupPerUser: true } } } });
  assert.equal(on.status, 200, on.text);
  assert.equal(ctx.settings.policies.groups.oneGroupPerUser, false, 'the request still holds the older settings');
  const before = await snapshot(t);
  const clash = /User "dee@acme\.example" is already in group "Red team" and this app allows one group per user/;
  // Okta's Push Groups: a POST with the member, and a PATCH add to a pushed group.
  await assert.rejects(createGroup(ctx, { schemas: [GROUP], displayName: 'Blue team', members: [{ value: dee }] }), refusedAs(409, 'uniqueness', clash));
  await assert.rejects(patchGroup(ctx, green.body.id, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: dee }] }] }), refusedAs(409, 'uniqueness', clash));
  assert.deepEqual(await snapshot(t), before, 'nothing written: no group, no membership, no event');
  // A write the new settings allow still goes through with the older context.
  const eve = await oktaUser(t, 'eve@acme.example');
  await patchGroup(ctx, green.body.id, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: eve }] }] });
  assert.deepEqual((await call(t, `/Groups/${green.body.id}`)).body.members.map((m: Json) => m.value), [eve]);
});

test('the email identifier turned on while a SCIM request is in flight: its POST /Users and PATCH of emails taking an email another user has are refused, nothing written', async () => {
  const t = await tenantWithPolicies(server, 'race-emails');
  await oktaUser(t, 'ada@acme.example');
  const bob = await oktaUser(t, 'bob@acme.example');
  const ctx = await inFlight(t);
  const on = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { attributes: { uniqueIdentifier: 'email' } } } });
  assert.equal(on.status, 200, on.text);
  const before = await snapshot(t);
  const taken = /already has the primary email "ada@acme\.example", which identifies users in this app/;
  await assert.rejects(createUser(ctx, { schemas: [USER], userName: 'ada.lovelace', emails: [{ primary: true, value: 'Ada@acme.example', type: 'work' }], active: true }), refusedAs(409, 'uniqueness', taken));
  // Entra's PATCH of the work email.
  await assert.rejects(patchUser(ctx, bob, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada@acme.example' }] }), refusedAs(409, 'uniqueness', taken));
  assert.deepEqual(await snapshot(t), before, 'nothing written: no user, no email, no event');
  // An email of its own is fine.
  await createUser(ctx, { schemas: [USER], userName: 'cy', emails: [{ primary: true, value: 'cy@acme.example', type: 'work' }], active: true });
  assert.equal((await call(t, `/Users?filter=${encodeURIComponent('userName eq "cy"')}`)).body.totalResults, 1);
});
