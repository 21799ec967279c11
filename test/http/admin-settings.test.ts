// Tenant settings through the admin API: read with a version, replaced whole with If-Match, refused
// with every problem at its JSON pointer, custom schemas taking effect on that tenant's SCIM side
// only, and stored values never dropped without dropValues=true.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, scim, startAdminServer, type AdminTestServer } from '../support/admin.ts';

const ACME = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
const withBadge = { customSchemas: [{ id: ACME, attributes: [{ name: 'badge', type: 'string', uniqueness: 'server' }, { name: 'level', type: 'integer' }] }] };

let server: AdminTestServer;
let other: { scimUrl: string; token: string };
before(async () => {
  server = await startAdminServer({ tenant: 'settings-a' });
  other = await server.createTenant('settings-b');
});
after(async () => { await server?.close(); });

test('settings: defaults at version 1; a replacement needs the current version and bumps it; a stale one is 412 and changes nothing', async () => {
  const read = await server.admin('GET', '/tenants/settings-a/settings');
  assert.equal(read.status, 200);
  assert.equal(read.body.version, 1);
  assert.deepEqual(read.body.settings.scim.patchResponse, { users: 200, groups: 204 });
  assert.equal(read.headers.get('etag'), 'W/"1"');
  // This server runs with the SCIM limits off (test/support/server.ts): the read says so beside the document.
  assert.equal(read.body.limitsInForce.enabled, false);
  assert.equal(read.body.settings.limitsInForce, undefined, 'not part of the document');

  const put = await server.admin('PUT', '/tenants/settings-a/settings', { body: { scim: { patchResponse: { users: 204, groups: 200 } } }, headers: { 'if-match': 'W/"1"' } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.version, 2);
  const stale = await server.admin('PUT', '/tenants/settings-a/settings', { body: {}, headers: { 'if-match': '1' } });
  expectProblem(stale, 412, { type: 'version-mismatch' });
  assert.equal((await server.admin('GET', '/tenants/settings-a/settings')).body.settings.scim.patchResponse.users, 204, 'the stale replacement wrote nothing');

  // The SCIM side follows at once: a user PATCH now answers 204.
  const created = await scim(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'pat@a.example' });
  const patched = await scim(`${server.scimUrl}/Users/${created.body.id}`, server.token, 'PATCH', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Pat' }] });
  assert.equal(patched.status, 204);
  await server.admin('PUT', '/tenants/settings-a/settings', { body: {} });
});

test('an invalid document is a 400 naming the field; unknown keys are refused, not ignored', async () => {
  const unknown = await server.admin('PUT', '/tenants/settings-a/settings', { body: { scim: { patchRespons: { users: 204 } } } });
  expectProblem(unknown, 400, { field: 'scim.patchRespons' });
  const clash = await server.admin('PUT', '/tenants/settings-a/settings', { body: { customSchemas: [{ id: ACME, attributes: [{ name: 'userName', type: 'string' }] }] } });
  const p = expectProblem(clash, 400, { type: 'invalid-value' });
  assert.ok(Array.isArray((p as { problems?: unknown[] }).problems), 'every problem is listed with its pointer');
  assert.equal((await server.admin('PUT', '/tenants/settings-a/settings', { body: {}, headers: { 'if-match': 'soon' } })).status, 400);
});

test("a custom schema set through the API is advertised and enforced on that tenant's SCIM side only; removing it keeps values unless dropValues=true", async () => {
  const set = await server.admin('PUT', '/tenants/settings-a/settings', { body: withBadge });
  assert.equal(set.status, 200, set.text);
  const schemas = await scim(`${server.scimUrl}/Schemas`, server.token);
  assert.ok(JSON.stringify(schemas.body).includes(ACME), 'advertised on tenant A');
  const otherSchemas = await scim(`${other.scimUrl}/Schemas`, other.token);
  assert.ok(!JSON.stringify(otherSchemas.body).includes(ACME), 'not on tenant B');

  const badType = await scim(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ACME], userName: 'lee@a.example', [ACME]: { level: 'high' } });
  assert.equal(badType.status, 400);
  assert.match(badType.body.detail, /level/);
  const lee = await scim(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ACME], userName: 'lee@a.example', [ACME]: { badge: 'B-7', level: 3 } });
  assert.equal(lee.status, 201, lee.text);
  const found = await server.admin('GET', `/tenants/settings-a/users?filter=${encodeURIComponent(`${ACME}:badge eq "B-7"`)}`);
  assert.deepEqual(found.body.data.map((u: { id: string }) => u.id), [lee.body.id], 'the admin API filters on the custom attribute too');

  const refused = await server.admin('PUT', '/tenants/settings-a/settings', { body: {} });
  const p = expectProblem(refused, 409, { type: 'conflict' });
  assert.equal((p as { reason?: string }).reason, 'valuesHeld');
  assert.equal((await scim(`${server.scimUrl}/Users/${lee.body.id}`, server.token)).body[ACME].badge, 'B-7', 'nothing was dropped');

  const dropped = await server.admin('PUT', '/tenants/settings-a/settings?dropValues=true', { body: {} });
  assert.equal(dropped.status, 200, dropped.text);
  assert.ok(dropped.body.dropped.length >= 1);
  assert.equal((await scim(`${server.scimUrl}/Users/${lee.body.id}`, server.token)).body[ACME], undefined);
  const audit = await server.admin('GET', '/audit?action=settings.replace&limit=1');
  assert.equal(audit.body.data[0].summary.dropped.length >= 1, true, 'the audit log says which values were dropped');
});

test('a read key can read the settings but not replace them', async () => {
  assert.equal((await server.admin('GET', '/tenants/settings-a/settings', { key: server.readKey })).status, 200);
  expectProblem(await server.admin('PUT', '/tenants/settings-a/settings', { key: server.readKey, body: {} }), 403);
});

test('a custom attribute made required later never blocks updates of resources stored without it (deactivation above all); new ones need it, and one that has it cannot drop it', async () => {
  const { scimUrl, token } = await server.createTenant('settings-req');
  const core = 'urn:ietf:params:scim:schemas:core:2.0:User';
  const GROUP_EXT = 'urn:ietf:params:scim:schemas:extension:acme:2.0:Group';
  const old = await scim(`${scimUrl}/Users`, token, 'POST', { schemas: [core], userName: 'old@req.example', active: true });
  const team = await scim(`${scimUrl}/Groups`, token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Team' });
  const set = await server.admin('PUT', '/tenants/settings-req/settings', { body: { customSchemas: [
    { id: ACME, attributes: [{ name: 'region', type: 'string', required: true }] },
    { id: GROUP_EXT, attributes: [{ name: 'costCenter', type: 'string', required: true }] },
  ] } });
  assert.equal(set.status, 200, set.text);
  const patchOp = (ops: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops });

  const deactivated = await scim(`${scimUrl}/Users/${old.body.id}`, token, 'PATCH', patchOp([{ op: 'replace', value: { active: false } }]));
  assert.equal(deactivated.status, 200, `an IdP can still deactivate a user stored before region became required: ${deactivated.text}`);
  assert.equal(deactivated.body.active, false);
  const put = await scim(`${scimUrl}/Users/${old.body.id}`, token, 'PUT', { schemas: [core], userName: 'old@req.example', active: false });
  assert.equal(put.status, 200, put.text);
  const member = await scim(`${scimUrl}/Groups/${team.body.id}`, token, 'PATCH', patchOp([{ op: 'add', path: 'members', value: [{ value: old.body.id }] }]));
  assert.ok(member.status === 204 || member.status === 200, `membership changes of an older group still apply: ${member.text}`);

  const fresh = await scim(`${scimUrl}/Users`, token, 'POST', { schemas: [core], userName: 'new@req.example' });
  assert.equal(fresh.status, 400);
  assert.match(fresh.body.detail, /region/);
  const withRegion = await scim(`${scimUrl}/Users`, token, 'POST', { schemas: [core, ACME], userName: 'new@req.example', [ACME]: { region: 'EU' } });
  assert.equal(withRegion.status, 201, withRegion.text);
  const dropped = await scim(`${scimUrl}/Users/${withRegion.body.id}`, token, 'PATCH', patchOp([{ op: 'remove', path: `${ACME}:region` }]));
  assert.equal(dropped.status, 400, 'a user that has a required attribute cannot lose it');
});
