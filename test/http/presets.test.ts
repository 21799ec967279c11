// Presets (docs/policies.md, "Presets") through the admin API: POST /admin/v1/tenants {"preset"},
// GET /admin/v1/presets. Each preset is applied to a new tenant and its behaviour checked with real
// SCIM requests as Okta sends them; a refused preset leaves no tenant, no audit entry and no event;
// the docs' JSON of each preset equals the code's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, loadConfig } from '../../src/config/config.ts';
import { openStore } from '../../src/main.ts';
import { createRollcall } from '../../src/library.ts';
import { TenantError } from '../../src/provisioning/tenants/tenants.ts';
import { readSettings } from '../../src/provisioning/tenants/settings.ts';
import { testDatabase } from '../support/test-database.ts';
import { listPresets, PRESET_NAMES, presetSettings } from '../../src/provisioning/policies/presets.ts';
import { expectProblem, scim, startAdminServer, type AdminTestServer, type Json } from '../support/admin.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../support/smtp-receiver.ts';
import { until } from '../support/webhook-receiver.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let server: AdminTestServer;
let smtp: SmtpReceiver;
before(async () => {
  smtp = await startSmtpReceiver();
  server = await startAdminServer({
    tenant: 'presets-base',
    config: { smtpUrl: smtp.url, emailFrom: 'Rollcall <rollcall@example.com>', delivery: { ...DEFAULTS.delivery, pollMs: 50, retryScheduleMs: [100, 100, 100] } },
  });
});
after(async () => { await server?.close(); await smtp?.close(); });

interface T { slug: string; id: string; scimUrl: string; token: string }

/** A tenant created through the admin API with a preset, and a SCIM token for it. */
async function tenantWith(slug: string, body: Record<string, unknown>): Promise<T> {
  const res = await server.admin('POST', '/tenants', { body: { slug, ...body } });
  assert.equal(res.status, 201, res.text);
  const tok = await server.admin('POST', `/tenants/${slug}/tokens`, { body: { name: 'Okta' } });
  assert.equal(tok.status, 201, tok.text);
  return { slug, id: res.body.id, scimUrl: `${server.baseUrl}/scim/v2/${slug}`, token: tok.body.token };
}

const req = (t: T, method: string, path: string, body?: unknown) => scim(`${t.scimUrl}${path}`, t.token, method, body);
const count = async (sqlText: string, params: unknown[] = []) => Number((await server.query(sqlText, params))[0].n);
const eventCount = (t: T) => count('SELECT count(*) AS n FROM events WHERE tenant_id = ?', [t.id]);
const created = () => Promise.all([
  count('SELECT count(*) AS n FROM tenants'),
  count('SELECT count(*) AS n FROM audit_log WHERE action = ?', ['tenant.create']),
  count('SELECT count(*) AS n FROM events WHERE type = ?', ['tenant.created']),
]);

function expectScimError(res: { status: number; body: Json; text: string }, status: number, scimType: string | undefined, detail: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body.schemas, [ERROR]);
  assert.equal(res.body.scimType, scimType, res.text);
  assert.match(res.body.detail, detail);
}

async function oktaUser(t: T, userName: string, extra: Record<string, unknown> = {}): Promise<Json> {
  const res = await req(t, 'POST', '/Users', { schemas: [USER], userName, name: { givenName: userName.split('@')[0], familyName: 'Test' }, emails: [{ primary: true, value: userName, type: 'work' }], active: true, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function pushGroup(t: T, displayName: string, members: string[]): Promise<Json> {
  const res = await req(t, 'POST', '/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

const deactivate = (t: T, id: string) => req(t, 'PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });

test('GET /admin/v1/presets lists every preset with its pattern and the settings it writes (a read key may read it)', async () => {
  const res = await server.admin('GET', '/presets', { key: server.readKey });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.data.map((p: Json) => p.name), ['on-call', 'strict-groups', 'single-group', 'teams']);
  assert.deepEqual(res.body.data.map((p: Json) => p.pattern), ['Splunk On-Call', 'Split', 'Splashtop', 'OpsLevel']);
  assert.deepEqual(res.body.data, listPresets());
  assert.deepEqual(res.body.data.find((p: Json) => p.name === 'teams').options, ['welcomeLink']);
});

test('the docs show, for each preset, exactly the settings it writes', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/policies.md', import.meta.url)), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Presets\n'));
  assert.ok(section.length > 100, 'docs/policies.md has a "## Presets" section');
  const headings = [...section.matchAll(/^### `([a-z-]+)`$/gm)].map((m) => m[1]);
  assert.deepEqual(headings, [...PRESET_NAMES], 'one heading per preset, in the code\'s order');
  for (const name of PRESET_NAMES) {
    const from = section.indexOf(`### \`${name}\``);
    const block = /```json\n([\s\S]*?)\n```/.exec(section.slice(from))!;
    assert.deepEqual(JSON.parse(block[1]), presetSettings(name).document, `the JSON under "${name}" is the preset's`);
  }
  // And the teams preset's welcome-link addition.
  const teams = section.slice(section.indexOf('### `teams`'));
  const blocks = [...teams.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]));
  const link = blocks[1].welcomeEmail.link as string;
  assert.deepEqual({ ...blocks[0], ...blocks[1] }, presetSettings('teams', { welcomeLink: link }).document);
});

test('a tenant created with a preset has its settings at once (version 2), and the audit entry names the preset', async () => {
  for (const name of PRESET_NAMES) {
    const slug = `read-${name}`;
    const res = await server.admin('POST', '/tenants', { body: { slug, preset: name } });
    assert.equal(res.status, 201, res.text);
    const read = await server.admin('GET', `/tenants/${slug}/settings`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.version, 2);
    assert.deepEqual(read.body.settings, presetSettings(name).settings, `${name}: the stored settings are the preset's`);
    const [audit] = await server.query('SELECT summary FROM audit_log WHERE action = ? AND target_id = ?', ['tenant.create', res.body.id]);
    // jsonb on PostgreSQL, text on SQLite.
    const summary = typeof audit.summary === 'string' ? JSON.parse(audit.summary) : audit.summary;
    assert.equal(summary.preset, name);
    assert.equal(await count('SELECT count(*) AS n FROM events WHERE tenant_id = ? AND type = ?', [res.body.id, 'tenant.created']), 1);
  }
  // Without a preset: the defaults, version 1, as before.
  const plain = await server.admin('POST', '/tenants', { body: { slug: 'read-plain' } });
  assert.equal(plain.status, 201, plain.text);
  assert.equal((await server.admin('GET', '/tenants/read-plain/settings')).body.version, 1);
});

test('an unknown preset, a misplaced or invalid welcome link, or a taken slug is refused, and no tenant, audit entry or event is written', async () => {
  const before = await created();
  const unknown = await server.admin('POST', '/tenants', { body: { slug: 'nope', preset: 'oncall' } });
  expectProblem(unknown, 400, { type: 'invalid-value', field: 'preset', detail: /There is no preset "oncall"; the presets are "on-call", "strict-groups", "single-group", "teams"\./ });
  const misplaced = await server.admin('POST', '/tenants', { body: { slug: 'nope', preset: 'on-call', welcomeLink: 'https://app.example.com/welcome' } });
  expectProblem(misplaced, 400, { field: 'welcomeLink', detail: /The preset "on-call" does not take a welcome link; only "teams" does/ });
  const alone = await server.admin('POST', '/tenants', { body: { slug: 'nope', welcomeLink: 'https://app.example.com/welcome' } });
  expectProblem(alone, 400, { field: 'welcomeLink' });
  const http = await server.admin('POST', '/tenants', { body: { slug: 'nope', preset: 'teams', welcomeLink: 'http://app.example.com/welcome' } });
  expectProblem(http, 400, { field: 'welcomeLink', detail: /must use https/ });
  const taken = await server.admin('POST', '/tenants', { body: { slug: 'presets-base', preset: 'single-group' } });
  expectProblem(taken, 409, { field: 'slug' });
  assert.equal((await server.admin('GET', '/tenants/nope')).status, 404);
  assert.deepEqual(await created(), before, 'no tenant, audit entry or tenant.created event');
  const base = await server.admin('GET', '/tenants/presets-base/settings');
  assert.equal(base.body.version, 1, 'the existing tenant\'s settings are untouched');
});

test('on-call: a local user is linked by email; the only member of a team and the last Global Admin cannot be deactivated', async () => {
  const t = await tenantWith('preset-on-call', { preset: 'on-call' });
  // The app's own user, made before SCIM was connected; Okta's username differs, its email matches.
  const local = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'kim', displayName: 'Kim (local)', emails: [{ value: 'Kim@Acme.example', type: 'work', primary: true }] } } });
  assert.equal(local.status, 201, local.text);
  const linked = await oktaUser(t, 'kim@acme.example');
  assert.equal(linked.id, local.body.id, 'the POST linked the local user (same id)');
  const read = await server.admin('GET', `/tenants/${t.slug}/users/${linked.id}`);
  assert.equal(read.body.idpManaged, true);
  assert.equal(await count('SELECT count(*) AS n FROM events WHERE tenant_id = ? AND type = ?', [t.id, 'user.linked']), 1);

  const ann = await oktaUser(t, 'ann@acme.example');
  const bob = await oktaUser(t, 'bob@acme.example');
  const admins = await pushGroup(t, 'Global Admins', [ann.id]);
  await pushGroup(t, 'Database team', [ann.id, bob.id]);
  const roles = await server.admin('GET', `/tenants/${t.slug}/users/${ann.id}`);
  assert.deepEqual(roles.body.roles.map((r: Json) => r.name), ['Global Admin'], 'the "Global Admins" group grants the role');
  const events = await eventCount(t);
  expectScimError(await deactivate(t, ann.id), 409, undefined, /ann.* is the (last Global Admin of this organization|only member of "Global Admins")/);
  // Another admin joins: the Global Admins group has two members, so both guards let ann go.
  const cid = await oktaUser(t, 'cid@acme.example');
  const add = await req(t, 'PATCH', `/Groups/${admins.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: cid.id }] }] });
  assert.ok(add.status === 200 || add.status === 204, add.text);
  assert.equal((await req(t, 'GET', `/Users/${ann.id}`)).body.active, true, 'the refused deactivation wrote nothing');
  const after = await eventCount(t);
  assert.ok(after > events);
  // bob is the only other member of the Database team once ann leaves it: deactivating ann removes her
  // memberships (remove-memberships), and bob then is that team's only member.
  const off = await deactivate(t, ann.id);
  assert.equal(off.status, 200, off.text);
  const dbTeam = await req(t, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Database team"')}`);
  assert.deepEqual(dbTeam.body.Resources[0].members.map((m: Json) => m.value), [bob.id], 'remove-memberships took ann out of every team');
  const beforeBob = await eventCount(t);
  expectScimError(await deactivate(t, bob.id), 409, undefined, /is the only member of "Database team"; add another member to that group before deprovisioning this user\./);
  assert.equal(await eventCount(t), beforeBob, 'no event for the refusal');
  assert.equal((await req(t, 'GET', `/Users/${bob.id}`)).body.active, true);
});

test('on-call: the last active Global Admin cannot be deactivated', async () => {
  const t = await tenantWith('preset-on-call-admin', { preset: 'on-call' });
  const ann = await oktaUser(t, 'ann@acme.example');
  const bob = await oktaUser(t, 'bob@acme.example');
  const admins = await pushGroup(t, 'Global Admins', [ann.id, bob.id]);
  // bob goes (ann remains an active admin); remove-memberships takes him out of the group.
  assert.equal((await deactivate(t, bob.id)).status, 200);
  // Okta pushes the group again with bob in it: ann is no longer its only member, but its last active admin.
  const add = await req(t, 'PATCH', `/Groups/${admins.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: bob.id }] }] });
  assert.ok(add.status === 200 || add.status === 204, add.text);
  const events = await eventCount(t);
  expectScimError(await deactivate(t, ann.id), 409, undefined, /^ann Test \(ann@acme\.example\) is the last Global Admin of this organization; give another user that role first\.$/);
  assert.equal(await eventCount(t), events, 'no event for the refusal');
  assert.equal((await req(t, 'GET', `/Users/${ann.id}`)).body.active, true);
});

test('strict-groups: Administrators cannot be pushed, a 25-character name is refused, and email identifies users', async () => {
  const t = await tenantWith('preset-strict', { preset: 'strict-groups' });
  const ann = await oktaUser(t, 'ann@acme.example');
  const events = await eventCount(t);
  expectScimError(await req(t, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Administrators', members: [] }), 409, 'uniqueness', /"Administrators" is reserved in this app/);
  expectScimError(await req(t, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Customer Success Engineer', members: [] }), 400, 'invalidValue', /has 25 characters and this app accepts at most 24/);
  expectScimError(await req(t, 'POST', '/Users', { schemas: [USER], userName: 'ann2', emails: [{ primary: true, value: 'ANN@acme.example' }], active: true }), 409, 'uniqueness', /already has the primary email "ann@acme.example", which identifies users in this app/);
  assert.equal(await eventCount(t), events, 'no event for the refusals');
  assert.equal((await req(t, 'GET', '/Groups')).body.totalResults, 0);
  await pushGroup(t, 'Customer Success Enginee', [ann.id]);
  // The app's own Administrators group is required: the IdP, once it manages its members, cannot empty it.
  const local = await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: 'Administrators' }, members: [ann.id] } });
  assert.equal(local.status, 201, local.text);
  const before = await eventCount(t);
  const emptied = await req(t, 'PATCH', `/Groups/${local.body.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ann.id}"]` }] });
  expectScimError(emptied, 409, undefined, /The group "Administrators" is required by this app and must keep at least one member/);
  assert.equal(await eventCount(t), before);
});

test('single-group: a second group is refused, new users join "Default", only names change, and deprovisioning deletes', async () => {
  const t = await tenantWith('preset-single', { preset: 'single-group' });
  const ann = await oktaUser(t, 'ann@acme.example');
  const dflt = await req(t, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Default"')}`);
  assert.equal(dflt.body.totalResults, 1, 'the Default group was made');
  assert.deepEqual(dflt.body.Resources[0].members.map((m: Json) => m.value), [ann.id]);
  await pushGroup(t, 'Sales', [ann.id]);
  const events = await eventCount(t);
  expectScimError(await req(t, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Engineering', members: [{ value: ann.id }] }), 409, 'uniqueness', /is already in group "Sales" and this app allows one group per user/);
  expectScimError(await req(t, 'PATCH', `/Users/${ann.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'ann.b@acme.example' }] }), 400, 'mutability', /cannot be changed in this app/);
  expectScimError(await req(t, 'PATCH', `/Users/${ann.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'CEO' }] }), 400, 'mutability', /does not accept changes to "title"/);
  assert.equal(await eventCount(t), events, 'no event for the refusals');
  const renamed = await req(t, 'PATCH', `/Users/${ann.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name.givenName', value: 'Annie' }] });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal((await deactivate(t, ann.id)).status, 200);
  assert.equal((await req(t, 'GET', `/Users/${ann.id}`)).status, 404, 'deprovisioning deleted the user');

  // A starting point: the settings change as usual afterwards.
  const read = await server.admin('GET', `/tenants/${t.slug}/settings`);
  const next = structuredClone(read.body.settings);
  next.policies.groups.oneGroupPerUser = false;
  const put = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: next, headers: { 'if-match': `"${read.body.version}"` } });
  assert.equal(put.status, 200, put.text);
  const bo = await oktaUser(t, 'bo@acme.example');
  await pushGroup(t, 'Red', [bo.id]);
  await pushGroup(t, 'Blue', [bo.id]);
});

test('teams: pushed groups are kept as teams, deactivation keeps the user; with a link, a new user gets the welcome email', async () => {
  const plain = await tenantWith('preset-teams', { preset: 'teams' });
  assert.equal((await server.admin('GET', `/tenants/${plain.slug}/settings`)).body.settings.welcomeEmail.enabled, false, 'no link, no email');
  const t = await tenantWith('preset-teams-mail', { preset: 'teams', welcomeLink: 'https://app.example.com/teams?u={{user.userName}}' });
  const settings = (await server.admin('GET', `/tenants/${t.slug}/settings`)).body.settings;
  assert.deepEqual(settings.welcomeEmail, { ...presetSettings('teams').settings.welcomeEmail, enabled: true, link: 'https://app.example.com/teams?u={{user.userName}}' });
  const ann = await oktaUser(t, 'ann@acme.example');
  await until('the welcome email', () => smtp.messages.some((m) => m.rcptTo.includes('ann@acme.example')));
  const [mail] = smtp.messages.filter((m) => m.rcptTo.includes('ann@acme.example'));
  assert.ok(mail.text.includes('https://app.example.com/teams?u=ann%40acme.example'), mail.text);
  const team = await pushGroup(t, 'Platform', [ann.id]);
  const off = await deactivate(t, ann.id);
  assert.equal(off.status, 200, off.text);
  const read = await req(t, 'GET', `/Users/${ann.id}`);
  assert.equal(read.status, 200);
  assert.equal(read.body.active, false);
  assert.deepEqual((await req(t, 'GET', `/Groups/${team.id}`)).body.members.map((m: Json) => m.value), [ann.id], 'deactivate keeps the team membership');
  // The plain tenant's user gets no email.
  await oktaUser(plain, 'bea@acme.example');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(smtp.messages.filter((m) => m.rcptTo.includes('bea@acme.example')).length, 0);
});

test('the library: rc.tenants.create(slug, { preset }) writes the preset with the tenant; an unknown preset throws and creates nothing', async () => {
  const db = await testDatabase();
  const rc = await createRollcall({ database: db.url, publicUrl: 'https://app.example.com/identity' });
  try {
    const t = await rc.tenants.create('lib-on-call', { preset: 'on-call' });
    assert.equal(t.settingsVersion, 2);
    assert.equal((await rc.tenants.get('lib-on-call'))?.settingsVersion, 2);
    await assert.rejects(rc.tenants.create('lib-bad', { preset: 'nope' }), (err: unknown) => err instanceof TenantError && err.status === 400 && /the presets are "on-call"/.test(err.message));
    assert.equal(await rc.tenants.get('lib-bad'), undefined);
    await rc.close();
    const store = await openStore(loadConfig({ databaseUrl: db.url }, {}));
    try {
      assert.deepEqual((await readSettings(store, t)).settings, presetSettings('on-call').settings);
    } finally { await store.close(); }
  } finally {
    await rc.close().catch(() => undefined);
    await db.drop();
  }
});
