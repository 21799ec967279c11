// Group rules (settings policies.groups, docs/policies.md) through real SCIM requests shaped as Okta
// and Entra send them (test/conformance/transcripts/okta-group-push-*.json, entra-group-lifecycle.json):
// reserved names, the longest name, one group per user (and enabling it over data that breaks it),
// and a pushed group that meets a local group of the same name. Every refusal leaves the resources
// as they were and writes no event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, scim, startAdminServer, type AdminTestServer, type Json } from '../support/admin.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SLUG = 'group-rules';

let server: AdminTestServer;
let tenantId: string;
before(async () => {
  server = await startAdminServer({ tenant: SLUG });
  tenantId = (await server.running.store.findTenantBySlug(SLUG))!.id;
});
after(async () => { await server?.close(); });

const req = (method: string, path: string, body?: unknown) => scim(`${server.scimUrl}${path}`, server.token, method, body);
const eventCount = async () => Number((await server.query('SELECT count(*) AS n FROM events WHERE tenant_id = ?', [tenantId]))[0].n);

async function setRules(groups: Record<string, unknown>): Promise<void> {
  const res = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups } } });
  assert.equal(res.status, 200, res.text);
}

let run = 0;
async function user(name: string): Promise<{ id: string; userName: string }> {
  const userName = `${name}.${++run}@okta.local`;
  const res = await req('POST', '/Users', { schemas: [USER], userName, name: { givenName: name, familyName: 'Test' }, emails: [{ primary: true, value: userName, type: 'work' }], active: true });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.id, userName };
}

/** Okta Group Push: POST with the members (Okta sends [] or the members it knows). */
async function pushGroup(displayName: string, members: { id: string; userName: string }[] = []): Promise<Json> {
  const res = await req('POST', '/Groups', { schemas: [GROUP], displayName, members: members.map((m) => ({ value: m.id, display: m.userName })) });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function memberIds(groupId: string): Promise<string[]> {
  const res = await req('GET', `/Groups/${groupId}`);
  assert.equal(res.status, 200, res.text);
  return ((res.body.members ?? []) as { value: string }[]).map((m) => m.value).sort();
}

/** A SCIM error as RFC 7644 §3.12 shapes it, with the status and scimType wanted. */
function expectScimError(res: { status: number; body: Json; text: string }, status: number, scimType: string | undefined, detail: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body.schemas, [ERROR]);
  assert.equal(res.body.status, String(status));
  assert.equal(res.body.scimType, scimType, res.text);
  assert.match(res.body.detail, detail);
}

test('the settings carry policies.groups with every rule off by default; bad values are refused at their pointer', async () => {
  const read = await server.admin('GET', `/tenants/${SLUG}/settings`);
  assert.deepEqual(read.body.settings.policies.groups, { reservedNames: [], maxNameLength: null, oneGroupPerUser: false, defaultGroup: null });
  const bad = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { maxNameLength: 0 } } } });
  expectProblem(bad, 400, { field: 'policies.groups.maxNameLength' });
  const dup = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { reservedNames: ['Administrators', 'administrators'] } } } });
  const p = expectProblem(dup, 400, { type: 'invalid-value' }) as unknown as { problems: { pointer: string }[] };
  assert.deepEqual(p.problems.map((x) => x.pointer), ['/policies/groups/reservedNames/1']);
  const unknown = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { oneGroupPerUsr: true } } } });
  expectProblem(unknown, 400);
  assert.equal((await server.admin('GET', `/tenants/${SLUG}/settings`)).body.version, read.body.version, 'nothing was written');
});

test('a reserved name cannot be pushed nor renamed into (any case); the app may still create it as a local group', async () => {
  await setRules({ reservedNames: ['Administrators'] });
  const events = await eventCount();
  const created = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'administrators', members: [] });
  expectScimError(created, 409, 'uniqueness', /"administrators" is reserved in this app; give the group another name/);
  const listed = await req('GET', `/Groups?filter=${encodeURIComponent('displayName eq "administrators"')}`);
  assert.equal(listed.body.totalResults, 0, 'no group was created');

  const g = await pushGroup('Support');
  const before = await req('GET', `/Groups/${g.id}`);
  const afterCreate = await eventCount();
  // Okta's rename: a path-less replace whose value carries the group's id too.
  const okta = await req('PATCH', `/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: g.id, displayName: 'ADMINISTRATORS' } }] });
  expectScimError(okta, 409, 'uniqueness', /reserved/);
  // Entra's rename: capitalised Replace with a path.
  const entra = await req('PATCH', `/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Administrators' }] });
  expectScimError(entra, 409, 'uniqueness', /reserved/);
  // Okta AIW apps: PUT of the whole group.
  const put = await req('PUT', `/Groups/${g.id}`, { schemas: [GROUP], id: g.id, displayName: 'Administrators', members: [] });
  expectScimError(put, 409, 'uniqueness', /reserved/);
  const unchanged = await req('GET', `/Groups/${g.id}`);
  assert.equal(unchanged.body.displayName, 'Support');
  assert.equal(unchanged.body.meta.version, before.body.meta.version);
  assert.equal(await eventCount(), afterCreate, 'the refusals wrote no event');
  assert.equal(afterCreate, events + 1, 'only the accepted push wrote one (group.created)');

  // The app's own Administrators group is the point of reserving the name.
  const local = await server.admin('POST', `/tenants/${SLUG}/groups`, { body: { attributes: { displayName: 'Administrators' } } });
  assert.equal(local.status, 201, local.text);
  await setRules({});
});

test('the longest name: a push or rename past it is a 400 invalidValue; a group named before keeps taking member changes', async () => {
  const u = await user('len');
  const old = await pushGroup('A name of twenty-five chr');
  assert.equal('A name of twenty-five chr'.length, 25);
  await setRules({ maxNameLength: 24 });
  const events = await eventCount();
  const long = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'Twenty-five characters!!!', members: [] });
  expectScimError(long, 400, 'invalidValue', /has 25 characters and this app accepts at most 24; shorten it/);
  // Characters, not UTF-16 units: 24 emoji are 48 units and fit.
  const emoji = await req('POST', '/Groups', { schemas: [GROUP], displayName: '🙂'.repeat(24), members: [] });
  assert.equal(emoji.status, 201, emoji.text);
  const g = await pushGroup('Twenty-four characters!!');
  const afterOk = await eventCount();
  const rename = await req('PATCH', `/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Twenty-four characters!!!' }] });
  expectScimError(rename, 400, 'invalidValue', /at most 24/);
  assert.equal((await req('GET', `/Groups/${g.id}`)).body.displayName, 'Twenty-four characters!!');
  assert.equal(await eventCount(), afterOk, 'the refused rename wrote no event');
  assert.equal(afterOk, events + 2);

  // Okta re-sends the (unchanged) name with every membership change: that is not a rename.
  const add = await req('PATCH', `/Groups/${old.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: u.id, display: u.userName }] }, { op: 'replace', value: { id: old.id, displayName: 'A name of twenty-five chr' } }] });
  assert.ok(add.status === 200 || add.status === 204, add.text);
  assert.deepEqual(await memberIds(old.id), [u.id]);
  await setRules({});
});

test('one group per user: POST, PUT and PATCH (Okta and Entra shapes) that would put a user into a second group are refused, naming the user and both groups', async () => {
  const [ann, bob, cat] = [await user('ann'), await user('bob'), await user('cat')];
  await setRules({ oneGroupPerUser: true });
  const sales = await pushGroup('Sales', [ann]);
  const eng = await pushGroup('Engineering', [bob]);
  const events = await eventCount();
  const engBefore = await req('GET', `/Groups/${eng.id}`);

  // Okta: a PATCH adding two members, one of whom is in Sales: neither is added.
  const okta = await req('PATCH', `/Groups/${eng.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: cat.id, display: cat.userName }, { value: ann.id, display: ann.userName }] }] });
  expectScimError(okta, 409, 'uniqueness', new RegExp(`User "${ann.userName.replace(/\./g, '\\.')}" is already in group "Sales" and this app allows one group per user; remove them from "Sales" before adding them to "Engineering"\\.`));
  // Entra: capitalised Add with "$ref": null.
  const entra = await req('PATCH', `/Groups/${eng.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: ann.id }] }] });
  expectScimError(entra, 409, 'uniqueness', /already in group "Sales"/);
  // Okta AIW: PUT of the whole member list.
  const put = await req('PUT', `/Groups/${eng.id}`, { schemas: [GROUP], id: eng.id, displayName: 'Engineering', members: [{ value: bob.id }, { value: ann.id }] });
  expectScimError(put, 409, 'uniqueness', /already in group "Sales"/);
  // A new group pushed with her in it is not created.
  const post = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'Marketing', members: [{ value: ann.id, display: ann.userName }] });
  expectScimError(post, 409, 'uniqueness', /"Sales" before adding them to "Marketing"/);

  assert.deepEqual(await memberIds(eng.id), [bob.id], 'cat was not added either: the whole request rolled back');
  assert.equal((await req('GET', `/Groups/${eng.id}`)).body.meta.version, engBefore.body.meta.version);
  assert.equal((await req('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Marketing"')}`)).body.totalResults, 0);
  assert.equal(await eventCount(), events, 'no refusal wrote an event');

  // Entra re-adds existing members on every sync: still one group, so accepted.
  const again = await req('PATCH', `/Groups/${sales.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: ann.id }] }] });
  assert.ok(again.status === 200 || again.status === 204, again.text);
  // Moving her: one PATCH removes her from Sales, then the add to Engineering is accepted.
  const removed = await req('PATCH', `/Groups/${sales.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ann.id}"]` }] });
  assert.ok(removed.status === 200 || removed.status === 204, removed.text);
  const moved = await req('PATCH', `/Groups/${eng.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: ann.id, display: ann.userName }, { value: cat.id, display: cat.userName }] }] });
  assert.ok(moved.status === 200 || moved.status === 204, moved.text);
  assert.deepEqual(await memberIds(eng.id), [ann.id, bob.id, cat.id].sort());
  await setRules({});
});

test('one group per user over a PATCH of 1,200 members: a clash in the third batch of 500 still refuses the whole PATCH', async () => {
  const users: { id: string; userName: string }[] = [];
  for (let i = 0; i < 1200; i += 50) users.push(...await Promise.all(Array.from({ length: 50 }, () => user('bulk'))));
  const clashing = users.sort((a, b) => a.id.localeCompare(b.id))[1100];
  await setRules({ oneGroupPerUser: true });
  await pushGroup('Bulk home', [clashing]);
  const big = await pushGroup('Bulk');
  const events = await eventCount();
  const res = await req('PATCH', `/Groups/${big.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: users.map((u) => ({ value: u.id })) }] });
  expectScimError(res, 409, 'uniqueness', new RegExp(`"${clashing.userName.replace(/\./g, '\\.')}" is already in group "Bulk home"`));
  assert.deepEqual(await memberIds(big.id), []);
  assert.equal(await eventCount(), events);
  const ok = await req('PATCH', `/Groups/${big.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: users.filter((u) => u !== clashing).map((u) => ({ value: u.id })) }] });
  assert.ok(ok.status === 200 || ok.status === 204, ok.text);
  assert.equal((await memberIds(big.id)).length, 1199);
  await setRules({});
});

test('enabling one group per user while users are in two groups is refused, listing them; nothing changes until they are moved', async () => {
  const [dee, eve] = [await user('dee'), await user('eve')];
  const red = await pushGroup('Red team', [dee, eve]);
  await pushGroup('Blue team', [dee]);
  await pushGroup('Green team', [eve]);
  const before = await server.admin('GET', `/tenants/${SLUG}/settings`);
  const refused = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { oneGroupPerUser: true } } } });
  const p = expectProblem(refused, 409, { type: 'conflict', field: '/policies/groups/oneGroupPerUser' }) as unknown as { reason: string; detail: string; examples: { name: string; groups: string[] }[] };
  assert.equal(p.reason, 'policyConflict');
  assert.match(p.detail, new RegExp(`"${dee.userName.replace(/\./g, '\\.')}" \\("Blue team", "Red team"\\)`));
  assert.match(p.detail, new RegExp(`"${eve.userName.replace(/\./g, '\\.')}" \\("Green team", "Red team"\\)`));
  assert.deepEqual(p.examples.map((e) => e.name).sort(), [dee.userName, eve.userName].sort());
  const now = await server.admin('GET', `/tenants/${SLUG}/settings`);
  assert.equal(now.body.version, before.body.version, 'the settings were not replaced');
  assert.equal(now.body.settings.policies.groups.oneGroupPerUser, false);

  const moved = await req('PUT', `/Groups/${red.id}`, { schemas: [GROUP], id: red.id, displayName: 'Red team', members: [] });
  assert.equal(moved.status, 200, moved.text);
  const enabled = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { oneGroupPerUser: true } } } });
  assert.equal(enabled.status, 200, enabled.text);
  const audit = await server.admin('GET', '/audit?action=settings.replace&limit=1');
  assert.deepEqual(audit.body.data[0].summary.changed, ['policies'], 'the audit log says the policies changed');
  await setRules({});
});

test('a pushed group named like a local group is refused with the way to link it; GET /Groups lists local groups for Okta and Entra to find', async () => {
  const fay = await user('fay');
  const local = await server.admin('POST', `/tenants/${SLUG}/groups`, { body: { attributes: { displayName: 'Design' } } });
  assert.equal(local.status, 201, local.text);
  const localId = local.body.id as string;

  // Okta "Refresh App Groups" pages through GET /Groups: the local group is there.
  const all: Json[] = [];
  for (let start = 1; ; start += 100) {
    const page = await req('GET', `/Groups?startIndex=${start}&count=100`);
    assert.equal(page.status, 200, page.text);
    all.push(...page.body.Resources);
    if (start + 100 > page.body.totalResults) break;
  }
  assert.ok(all.some((g) => g.id === localId && g.displayName === 'Design'), 'the local group is listed');

  // Okta "Create a new group" under that name (any case): refused with the link hint, nothing written.
  const events = await eventCount();
  const created = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'design', members: [{ value: fay.id, display: fay.userName }] });
  expectScimError(created, 409, 'uniqueness', /^A group with this name exists \("Design", created in the app\); link it in Okta \(Push Groups → Link group\) instead of pushing a new one\.$/);
  assert.equal(await eventCount(), events);
  assert.deepEqual(await memberIds(localId), []);

  // Okta "Link group": it pushes membership to the existing group by id.
  const linked = await req('PATCH', `/Groups/${localId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: fay.id, display: fay.userName }] }] });
  assert.ok(linked.status === 200 || linked.status === 204, linked.text);
  assert.deepEqual(await memberIds(localId), [fay.id]);

  // Entra matches by displayName before creating, excluding members, and finds the local group.
  const matched = await req('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Design"')}`);
  assert.equal(matched.body.totalResults, 1);
  assert.equal(matched.body.Resources[0].id, localId);

  // A clash with a pushed (IdP-managed) group keeps the plain uniqueness error.
  await pushGroup('Pushed once');
  const twice = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'Pushed once', members: [] });
  expectScimError(twice, 409, 'uniqueness', /A group with this displayName already exists/);
});

/** The events of this tenant after `seq`, in the order they were written: type, and the group and member names. */
async function eventsAfter(seq: number): Promise<string[]> {
  const rows = await server.query('SELECT type, data FROM events WHERE tenant_id = ? AND seq > ? ORDER BY seq', [tenantId, seq]);
  return rows.map((r) => {
    const data = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data);
    const group = data.group?.displayName;
    const who = data.member?.userName ?? data.user?.userName;
    return [r.type, group, who].filter((x) => x !== undefined).join(' ');
  });
}
const lastSeq = async () => Number((await server.query('SELECT coalesce(max(seq), 0) AS n FROM events WHERE tenant_id = ?', [tenantId]))[0].n);
const findGroup = async (name: string) => (await req('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`)).body.Resources[0];

test('the default group: a new user joins it (created as a local group when first needed), leaves it for a pushed group, rejoins it on leaving the last one; every step has its events, after the change that caused it', async () => {
  await setRules({ defaultGroup: 'Everyone', oneGroupPerUser: true });
  assert.equal(await findGroup('Everyone'), undefined);

  let seq = await lastSeq();
  const gil = await user('gil');
  const everyone = await findGroup('Everyone');
  assert.ok(everyone, 'created by the first user who needed it');
  const adminView = await server.admin('GET', `/tenants/${SLUG}/groups/${everyone.id}`);
  assert.equal(adminView.body.idpManaged, false, 'a local group: the IdP links to it rather than pushing its own');
  assert.deepEqual(await memberIds(everyone.id), [gil.id]);
  assert.deepEqual(await eventsAfter(seq), [`user.created ${gil.userName}`, 'group.created Everyone', `group.member_added Everyone ${gil.userName}`]);
  // The POST's answer already shows the membership, and its ETag is the user's current one.
  const again = await req('GET', `/Users/${gil.id}`);
  assert.deepEqual(again.body.groups.map((g: Json) => g.display), ['Everyone']);

  seq = await lastSeq();
  const posted = await req('POST', '/Users', { schemas: [USER], userName: `hal.${++run}@okta.local`, active: true });
  assert.equal(posted.status, 201, posted.text);
  const hal = { id: posted.body.id as string, userName: posted.body.userName as string };
  assert.deepEqual(posted.body.groups.map((g: Json) => g.value), [everyone.id]);
  assert.equal(posted.body.meta.version, (await req('GET', `/Users/${hal.id}`)).body.meta.version);
  assert.deepEqual(await eventsAfter(seq), [`user.created ${hal.userName}`, `group.member_added Everyone ${hal.userName}`]);

  // Okta pushes a group with gil in it: he leaves Everyone (one group per user is not in the way).
  seq = await lastSeq();
  const support = await pushGroup('Help desk', [gil]);
  assert.deepEqual(await memberIds(everyone.id), [hal.id]);
  assert.deepEqual(await eventsAfter(seq), ['group.created Help desk', `group.member_added Help desk ${gil.userName}`, `group.member_removed Everyone ${gil.userName}`]);

  // Entra adds hal; then Okta removes gil, who has no group left and rejoins.
  const add = await req('PATCH', `/Groups/${support.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: hal.id }] }] });
  assert.ok(add.status === 200 || add.status === 204, add.text);
  assert.deepEqual(await memberIds(everyone.id), []);
  seq = await lastSeq();
  const remove = await req('PATCH', `/Groups/${support.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${gil.id}"]` }] });
  assert.ok(remove.status === 200 || remove.status === 204, remove.text);
  assert.deepEqual(await memberIds(everyone.id), [gil.id]);
  assert.deepEqual(await eventsAfter(seq), [`group.member_removed Help desk ${gil.userName}`, `group.member_added Everyone ${gil.userName}`]);

  // A refused move changes nothing, in the default group either.
  const sales = await pushGroup('Sales floor');
  seq = await lastSeq();
  const refused = await req('PATCH', `/Groups/${sales.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: gil.id }, { value: hal.id }] }] });
  expectScimError(refused, 409, 'uniqueness', /already in group "Help desk"/);
  assert.deepEqual(await memberIds(everyone.id), [gil.id]);
  assert.deepEqual(await memberIds(support.id), [hal.id]);
  assert.deepEqual(await eventsAfter(seq), []);

  // Deleting Help desk sends hal back.
  seq = await lastSeq();
  assert.equal((await req('DELETE', `/Groups/${support.id}`)).status, 204);
  assert.deepEqual(await memberIds(everyone.id), [gil.id, hal.id].sort());
  assert.deepEqual(await eventsAfter(seq), [`group.member_removed Help desk ${hal.userName}`, 'group.deleted Help desk', `group.member_added Everyone ${hal.userName}`]);

  // The default group's own changes are left alone: the app removes hal, and he stays out.
  const trimmed = await server.admin('PUT', `/tenants/${SLUG}/groups/${everyone.id}`, { body: { attributes: { displayName: 'Everyone' }, members: [gil.id] } });
  assert.equal(trimmed.status, 200, trimmed.text);
  assert.deepEqual(await memberIds(everyone.id), [gil.id]);
  // Okta cannot push its own "Everyone": it is the app's, and Okta links to it.
  expectScimError(await req('POST', '/Groups', { schemas: [GROUP], displayName: 'EVERYONE', members: [] }), 409, 'uniqueness', /link it in Okta/);
  // A user the app creates joins it too.
  const local = await server.admin('POST', `/tenants/${SLUG}/users`, { body: { attributes: { userName: `ivy.${++run}@app.local` } } });
  assert.equal(local.status, 201, local.text);
  assert.deepEqual(local.body.groups, [{ id: everyone.id, displayName: 'Everyone' }]);
  assert.equal(local.body.version, (await server.admin('GET', `/tenants/${SLUG}/users/${local.body.id}`)).body.version);
  await setRules({});
});

test('with a default group, one group per user ignores it: enabling the rule counts only the other groups', async () => {
  await setRules({ defaultGroup: 'All staff' });
  const jo = await user('jo');
  const ops = await pushGroup('Ops', [jo]); // jo leaves All staff
  const allStaff = await findGroup('All staff');
  // The app puts jo back into All staff: that is its own business, and no second group.
  const put = await server.admin('PUT', `/tenants/${SLUG}/groups/${allStaff.id}`, { body: { attributes: { displayName: 'All staff' }, members: [jo.id] } });
  assert.equal(put.status, 200, put.text);
  const on = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { defaultGroup: 'All staff', oneGroupPerUser: true } } } });
  assert.equal(on.status, 200, on.text);
  // Turning the default group off makes All staff count: now jo is in two groups, and that is refused.
  const off = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { oneGroupPerUser: true } } } });
  const p = expectProblem(off, 409, { type: 'conflict' });
  assert.match(p.detail, /"All staff", "Ops"/);
  await setRules({});
  assert.equal((await req('DELETE', `/Groups/${ops.id}`)).status, 204, 'jo back in one group, for the tests after');
});

test('one group per user holds under concurrency: the same users added to two groups at once end up in one of them', async () => {
  await setRules({ oneGroupPerUser: true });
  const people = await Promise.all(Array.from({ length: 5 }, () => user('race')));
  for (let round = 0; round < 5; round++) {
    const [x, y] = [await pushGroup(`Race x${round}`), await pushGroup(`Race y${round}`)];
    const patch = (g: Json) => req('PATCH', `/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: people.map((p) => ({ value: p.id })) }] });
    const answers = await Promise.all([patch(x), patch(y)]);
    const ok = answers.filter((a) => a.status === 200 || a.status === 204);
    assert.equal(ok.length, 1, answers.map((a) => `${a.status} ${a.text.slice(0, 200)}`).join(' | '));
    const refused = answers.find((a) => a.status !== 200 && a.status !== 204)!;
    assert.equal(refused.status, 409, refused.text);
    const sizes = [(await memberIds(x.id)).length, (await memberIds(y.id)).length].sort();
    assert.deepEqual(sizes, [0, 5]);
    // Clear the winner for the next round.
    const winner = sizes[1] === (await memberIds(x.id)).length ? x : y;
    await req('PUT', `/Groups/${winner.id}`, { schemas: [GROUP], id: winner.id, displayName: winner.displayName, members: [] });
  }
  await setRules({});
});

test('the default group under concurrency: users created at once all join the one group the first of them created', async () => {
  await setRules({ defaultGroup: 'Newcomers' });
  const seq = await lastSeq();
  const people = await Promise.all(Array.from({ length: 12 }, () => user('rush')));
  const newcomers = await findGroup('Newcomers');
  assert.deepEqual(await memberIds(newcomers.id), people.map((p) => p.id).sort());
  const events = await eventsAfter(seq);
  assert.equal(events.filter((e) => e === 'group.created Newcomers').length, 1, 'created once');
  assert.equal(events.filter((e) => e.startsWith('group.member_added Newcomers')).length, 12);
  for (const p of people) assert.ok(events.indexOf(`user.created ${p.userName}`) < events.indexOf(`group.member_added Newcomers ${p.userName}`), 'each user is created before it joins');
  await setRules({});
});

test('the default group with the user policies: a remove-memberships deactivation leaves the user in no group, and a linked local user keeps its groups', async () => {
  const set = await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: { policies: { groups: { defaultGroup: 'Lobby' }, deprovisioning: { mode: 'remove-memberships' }, linking: { enabled: true } } } });
  assert.equal(set.status, 200, set.text);
  const kit = await user('kit');
  const lobby = await findGroup('Lobby');
  const crew = await pushGroup('Crew', [kit]);
  assert.deepEqual(await memberIds(lobby.id), []);
  let seq = await lastSeq();
  const off = await req('PATCH', `/Users/${kit.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
  assert.equal(off.status, 200, off.text);
  assert.deepEqual(off.body.groups ?? [], []);
  assert.deepEqual(await memberIds(crew.id), []);
  assert.deepEqual(await memberIds(lobby.id), [], 'switched off, not moved to the default group');
  assert.deepEqual(await eventsAfter(seq), [`group.member_removed Crew ${kit.userName}`, `user.deactivated ${kit.userName}`]);

  // A local user (who joined Lobby when the app created it) linked by Okta's POST keeps that membership and joins nothing more.
  const local = await server.admin('POST', `/tenants/${SLUG}/users`, { body: { attributes: { userName: `lee.${++run}@okta.local` } } });
  assert.equal(local.status, 201, local.text);
  assert.deepEqual(local.body.groups.map((g: Json) => g.displayName), ['Lobby']);
  seq = await lastSeq();
  const linked = await req('POST', '/Users', { schemas: [USER], userName: local.body.userName, active: true });
  assert.equal(linked.status, 201, linked.text);
  assert.equal(linked.body.id, local.body.id);
  assert.deepEqual(linked.body.groups.map((g: Json) => g.display), ['Lobby']);
  assert.deepEqual((await eventsAfter(seq)).map((e) => e.split(' ')[0]), ['user.linked']);
  await server.admin('PUT', `/tenants/${SLUG}/settings`, { body: {} });
});

test('a local group Okta linked to (Push Groups → Link group) meets the reserved-name and length rules when Okta renames it; the app may still rename it', async () => {
  await setRules({ reservedNames: ['Administrators', 'Owners'], maxNameLength: 24 });
  const amy = await user('amy');
  const local = await server.admin('POST', `/tenants/${SLUG}/groups`, { body: { attributes: { displayName: 'Studio' } } });
  assert.equal(local.status, 201, local.text);
  const id = local.body.id as string;
  // Link group: Okta sends the memberships to the existing group by its id.
  const linked = await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: amy.id, display: amy.userName }] }] });
  assert.ok(linked.status === 200 || linked.status === 204, linked.text);
  const before = await req('GET', `/Groups/${id}`);
  const events = await eventCount();
  // Then the group is renamed in Okta: Okta's path-less replace, Entra's Replace with a path, a PUT.
  expectScimError(await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id, displayName: 'owners' } }] }), 409, 'uniqueness', /"owners" is reserved in this app/);
  expectScimError(await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Customer Success Engineering' }] }), 400, 'invalidValue', /has 28 characters and this app accepts at most 24/);
  expectScimError(await req('PUT', `/Groups/${id}`, { schemas: [GROUP], id, displayName: 'Owners', members: [{ value: amy.id }] }), 409, 'uniqueness', /reserved/);
  const unchanged = await req('GET', `/Groups/${id}`);
  assert.deepEqual(unchanged.body, before.body, 'nothing written');
  assert.equal(await eventCount(), events, 'no event');
  // A rename within the rules goes through; Okta re-sending the same name with members is no rename.
  assert.equal((await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id, displayName: 'Product Studio' } }] })).status < 300, true);
  assert.equal((await req('PUT', `/Groups/${id}`, { schemas: [GROUP], id, displayName: 'Product Studio', members: [{ value: amy.id }] })).status, 200);
  // The app's own admin API is not bound by them (the group is local).
  const byApp = await server.admin('PUT', `/tenants/${SLUG}/groups/${id}`, { body: { attributes: { displayName: 'Owners' } } });
  assert.equal(byApp.status, 200, byApp.text);
  await server.admin('DELETE', `/tenants/${SLUG}/groups/${id}`);
  await setRules({});
});
