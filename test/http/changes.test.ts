// Every SCIM write goes through one mutate() that yields a Change (provisioning/mutate.ts), seen by
// the context's hooks inside the write's transaction: what policies will check and the outbox will
// append. These tests watch the Changes real SCIM requests produce, on SQLite and PostgreSQL, and
// show that a hook's refusal undoes the write. The clock is injected, so times are exact.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/provisioning/clock.ts';
import type { Change } from '../../src/provisioning/mutate.ts';
import { ScimError } from '../../src/scim/errors.ts';
import { PATCH_SCHEMA as PATCH_OP } from '../../src/scim/patch.ts';
import { GROUP_SCHEMA, USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertScimError, expectScimError } from '../support/scim-errors.ts';

const START = '2026-03-01T09:00:00.000Z';

let server: TestServer;
const clock = new ManualClock(Date.parse(START));
let seen: Change[] = [];

before(async () => {
  server = await startTestServer({
    server: {
      clock,
      hooks: [async (_tx, change) => {
        // A policy's veto: refuse the change, which must then leave no trace.
        const name = change.after?.doc.userName ?? change.after?.doc.displayName;
        if (typeof name === 'string' && name.startsWith('vetoed')) throw new ScimError(409, `${name} is refused by policy.`);
        seen.push(change);
      }],
    },
  });
});
after(async () => { await server.close(); });
beforeEach(() => { seen = []; clock.set(START); });

async function req(method: string, path: string, body?: unknown) {
  const res = await fetch(server.scimUrl + path, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
const patch = (path: string, ...ops: object[]) => req('PATCH', path, { schemas: [PATCH_OP], Operations: ops });
const user = async (userName: string, extra: object = {}) => (await req('POST', '/Users', { schemas: [USER_SCHEMA], userName, ...extra })).body;
const last = () => seen[seen.length - 1];

test('creating a user yields a create Change with the attributes set, at the clock time', async () => {
  const u = await user('change-create', { name: { givenName: 'Cee' }, active: true });
  assert.equal(seen.length, 1);
  const c = last();
  assert.equal(c.kind, 'create');
  assert.equal(c.resourceType, 'User');
  assert.equal(c.id, u.id);
  assert.equal(c.before, undefined);
  assert.deepEqual(c.changedPaths, ['active', 'name', 'userName']);
  assert.equal(c.at, START);
  assert.equal(u.meta.created, START, 'meta times come from the injected clock');
});

test('a PATCH names the attribute paths it changed; a PATCH that changes nothing writes nothing', async () => {
  const u = await user('change-patch', { name: { givenName: 'Pat', familyName: 'Ch' }, active: true });
  clock.advance(60_000);
  const r = await patch(`/Users/${u.id}`, { op: 'replace', value: { active: false, 'name.givenName': 'Patty' } });
  assert.equal(r.status, 200);
  const c = last();
  assert.equal(c.kind, 'patch');
  assert.deepEqual(c.changedPaths, ['active', 'name.givenName']);
  assert.equal(c.before?.version, 1);
  assert.equal(c.after?.version, 2);
  assert.equal(r.body.meta.lastModified, '2026-03-01T09:01:00.000Z');
  const same = await patch(`/Users/${u.id}`, { op: 'replace', path: 'active', value: false });
  assert.equal(same.status, 200);
  assert.deepEqual(last().changedPaths, [], 'nothing changed');
  assert.equal(same.body.meta.version, r.body.meta.version, 'no new version for a change of nothing');
});

test('group writes report the member ids actually added and removed', async () => {
  const [a, b, c] = [await user('change-m-a'), await user('change-m-b'), await user('change-m-c')];
  const g = (await req('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Change Members', members: [{ value: a.id }] })).body;
  assert.deepEqual(last().members, { added: [a.id], removed: [] });
  assert.deepEqual(last().changedPaths, ['displayName', 'members']);
  await patch(`/Groups/${g.id}`, { op: 'add', path: 'members', value: [{ value: a.id }, { value: b.id }] });
  assert.deepEqual(last().members, { added: [b.id], removed: [] }, 'a was already a member: not added again');
  assert.deepEqual(last().changedPaths, ['members']);
  await patch(`/Groups/${g.id}`, { op: 'remove', path: `members[value eq "${a.id}"]` });
  assert.deepEqual(last().members, { added: [], removed: [a.id] });
  await req('PUT', `/Groups/${g.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Change Members 2', members: [{ value: b.id }, { value: c.id }] });
  assert.equal(last().kind, 'replace');
  assert.deepEqual(last().members, { added: [c.id], removed: [] }, 'PUT writes only the difference');
  assert.deepEqual(last().changedPaths, ['displayName', 'members']);
});

test('deleting a user reports the groups it left; deleting a group, the members it had', async () => {
  const u = await user('change-leaver');
  const g1 = (await req('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Left One', members: [{ value: u.id }] })).body;
  const g2 = (await req('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Left Two', members: [{ value: u.id }] })).body;
  assert.equal((await req('DELETE', `/Users/${u.id}`)).status, 204);
  const del = last();
  assert.equal(del.kind, 'delete');
  assert.equal(del.before?.doc.userName, 'change-leaver');
  assert.deepEqual([...del.leftGroups!].sort(), [g1.id, g2.id].sort());
  const v = await user('change-member');
  await patch(`/Groups/${g1.id}`, { op: 'add', path: 'members', value: [{ value: v.id }] });
  await req('DELETE', `/Groups/${g1.id}`);
  assert.deepEqual(last().members, { added: [], removed: [v.id] });
});

test("a hook's refusal undoes the write: nothing of it is stored", async () => {
  const refused = await req('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'vetoed-user' });
  assertScimError(refused, 409, undefined, /refused by policy/);
  const found = await req('GET', `/Users?filter=${encodeURIComponent('userName eq "vetoed-user"')}`);
  assert.equal(found.body.totalResults, 0);
  const g = (await req('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Veto Target' })).body;
  const u = await user('veto-member');
  const rename = await patch(`/Groups/${g.id}`, { op: 'add', path: 'members', value: [{ value: u.id }] }, { op: 'replace', path: 'displayName', value: 'vetoed-name' });
  assertScimError(rename, 409);
  const after = await req('GET', `/Groups/${g.id}`);
  assert.equal(after.body.displayName, 'Veto Target');
  assert.deepEqual(after.body.members, [], 'the member added in the same refused request is gone too');
  assert.equal(after.body.meta.version, g.meta.version);
});

test('token expiry follows the injected clock: no sleeping needed', async () => {
  const { scimUrl, token } = await server.createTenant(`clock-${process.pid}`);
  const get = () => fetch(`${scimUrl}/Users`, { headers: { authorization: `Bearer ${token}` } });
  clock.set(new Date(Date.now()).toISOString());
  assert.equal((await get()).status, 200);
  clock.advance(2 * 86_400_000); // the test helper's tokens live one day
  await expectScimError(await get(), 401, undefined, /expired/);
});
