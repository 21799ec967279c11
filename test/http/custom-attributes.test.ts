// A tenant's custom extension schemas and settings, through the real SCIM server on the run's
// database: settings are replaced with the provisioning use cases (as the admin API and the CLI
// will), and everything a SCIM client relies on is checked over HTTP — discovery per tenant,
// writes in every shape IdPs send, type errors naming the attribute, filters and sorting, database
// uniqueness, removal that never loses values silently, the PATCH response mode, and a second
// server on the same database seeing the change.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertScimError } from '../support/scim-errors.ts';
import { loadConfig } from '../../src/config/config.ts';
import { startServer } from '../../src/main.ts';
import { requireTenant } from '../../src/provisioning/tenants/tenants.ts';
import { DEFAULT_SETTINGS, readSettings, replaceSettings, SettingsError } from '../../src/provisioning/tenants/settings.ts';
import { freePort } from '../../harness/processes.ts';

const ACME_USER = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
const ACME_GROUP = 'urn:ietf:params:scim:schemas:extension:acme:2.0:Group';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const acmeUser = {
  id: ACME_USER,
  name: 'AcmeUser',
  attributes: [
    { name: 'project', type: 'string' },
    { name: 'badge', type: 'string', uniqueness: 'server' },
    { name: 'level', type: 'integer' },
    { name: 'rate', type: 'decimal' },
    { name: 'remote', type: 'boolean' },
    { name: 'startDate', type: 'dateTime' },
    { name: 'skills', type: 'string', multiValued: true },
    { name: 'homepage', type: 'reference' },
  ],
};
const acmeGroup = { id: ACME_GROUP, attributes: [{ name: 'region', type: 'string' }] };
const settingsWith = (...schemas: unknown[]) => ({ customSchemas: schemas });

let server: TestServer;
let other: { scimUrl: string; token: string };
const slug = `custom-${process.pid}`;

interface Res { status: number; headers: Headers; body: any }
async function call(method: string, path: string, body?: unknown, target: { scimUrl: string; token: string } = server): Promise<Res> {
  const res = await fetch(target.scimUrl + path, {
    method,
    headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
const tenant = () => requireTenant(server.running.store, slug);
const q = (filter: string, extra = '') => `/Users?filter=${encodeURIComponent(filter)}${extra}`;

before(async () => {
  server = await startTestServer({ tenant: slug });
  other = await server.createTenant(`custom-other-${process.pid}`);
});
after(async () => { await server?.close(); });

test('a new tenant has settings version 1 with the defaults', async () => {
  const read = await readSettings(server.running.store, await tenant());
  assert.equal(read.version, 1);
  assert.deepEqual(read.settings, { scim: { patchResponse: { users: 200, groups: 204 } }, customSchemas: [], welcomeEmail: DEFAULT_SETTINGS.welcomeEmail, policies: DEFAULT_SETTINGS.policies, sso: DEFAULT_SETTINGS.sso, limits: {} });
  assert.equal(read.settings.welcomeEmail.enabled, false, 'no welcome email until a tenant turns it on');
});

test('settings refuse unknown keys and bad definitions, naming each by its JSON pointer', async () => {
  const t = await tenant();
  const refused = async (doc: unknown, pointer: string) => {
    const err = await replaceSettings(server.running.store, t, doc).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SettingsError, `refused: ${JSON.stringify(doc)}`);
    assert.equal(err.reason.code, 'invalidSettings');
    assert.ok(err.reason.code === 'invalidSettings' && err.reason.problems.some((p) => p.pointer === pointer), `${pointer} in ${err.message}`);
    assert.match(err.message, new RegExp(pointer.replace(/[/]/g, '\\/')));
  };
  await refused({ scim: { patchRespons: {} } }, '/scim/patchRespons');
  await refused({ scim: { patchResponse: { users: 201 } } }, '/scim/patchResponse/users');
  await refused({ colour: 'red' }, '/colour');
  await refused(settingsWith({ id: 'urn:acme:User', attributes: [{ name: 'a', type: 'string' }] }), '/customSchemas/0/id');
  await refused(settingsWith({ id: ACME_USER, attributes: [{ name: '1st', type: 'string' }] }), '/customSchemas/0/attributes/0/name');
  await refused(settingsWith({ id: ACME_USER, attributes: [{ name: 'title', type: 'string' }] }), '/customSchemas/0/attributes/0/name');
  await refused(settingsWith({ id: ACME_USER, attributes: [{ name: 'department', type: 'string' }] }), '/customSchemas/0/attributes/0/name');
  await refused(settingsWith({ id: ACME_USER, attributes: [{ name: 'x', type: 'complex' }] }), '/customSchemas/0/attributes/0/type');
  await refused(settingsWith({ id: ACME_USER, attributes: [{ name: 'x', type: 'string', colour: 1 }] }), '/customSchemas/0/attributes/0/colour');
  await refused(settingsWith({ id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attributes: [{ name: 'x', type: 'string' }] }), '/customSchemas/0/id');
  await refused(settingsWith(acmeUser, { ...acmeUser, id: ACME_USER.toUpperCase().replace('URN', 'urn') }), '/customSchemas/1/id');
  assert.equal((await readSettings(server.running.store, t)).version, 1, 'nothing refused was written');
});

test("custom schemas are advertised in the tenant's /Schemas and /ResourceTypes, and no other tenant's", async () => {
  const t = await tenant();
  const done = await replaceSettings(server.running.store, t, settingsWith(acmeUser, acmeGroup), { expectedVersion: 1 });
  assert.equal(done.version, 2);
  const schemas = await call('GET', '/Schemas');
  const ids = (schemas.body.Resources as { id: string }[]).map((s) => s.id);
  assert.ok(ids.includes(ACME_USER) && ids.includes(ACME_GROUP), ids.join());
  const one = await call('GET', `/Schemas/${ACME_USER}`);
  assert.equal(one.status, 200);
  const level = (one.body.attributes as { name: string; type: string; multiValued: boolean; uniqueness: string }[]).find((a) => a.name === 'level');
  assert.deepEqual([level?.type, level?.multiValued], ['integer', false]);
  assert.equal((one.body.attributes as { name: string; uniqueness: string }[]).find((a) => a.name === 'badge')?.uniqueness, 'server');
  const rt = await call('GET', '/ResourceTypes/User');
  assert.ok((rt.body.schemaExtensions as { schema: string }[]).some((e) => e.schema === ACME_USER));
  const grt = await call('GET', '/ResourceTypes/Group');
  assert.deepEqual(grt.body.schemaExtensions, [{ schema: ACME_GROUP, required: false }]);

  const elsewhere = await call('GET', '/Schemas', undefined, other);
  assert.ok(!(elsewhere.body.Resources as { id: string }[]).some((s) => s.id.includes(':acme:')));
  assert.equal((await call('GET', `/Schemas/${ACME_USER}`, undefined, other)).status, 404);
});

describe('with the acme schemas set', () => {
  let alice: string;
  let bob: string;

  test('POST accepts the extension object and URN-qualified keys, coerces by type, and returns them', async () => {
    const res = await call('POST', '/Users', {
      schemas: [CORE_USER, ACME_USER],
      userName: 'alice@acme.test',
      [ACME_USER]: { project: 'CC-1', badge: 'B-1', level: '3', rate: 1.5, remote: 'True', startDate: '2024-02-01T09:00:00+01:00', skills: ['Go', 'SQL'] },
      [`${ACME_USER}:homepage`]: 'https://alice.example',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    alice = res.body.id;
    assert.ok((res.body.schemas as string[]).includes(ACME_USER));
    assert.deepEqual(res.body[ACME_USER], {
      project: 'CC-1', badge: 'B-1', level: 3, rate: 1.5, remote: true, startDate: '2024-02-01T08:00:00.000Z', skills: ['Go', 'SQL'], homepage: 'https://alice.example',
    });
    const got = await call('GET', `/Users/${alice}`);
    assert.deepEqual(got.body[ACME_USER], res.body[ACME_USER]);

    const b = await call('POST', '/Users', { userName: 'bob@acme.test', [ACME_USER]: { project: 'cc-2', badge: 'B-2', level: 10, rate: 0.25, remote: false, skills: ['sql'] } });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    bob = b.body.id;
    assert.equal((await call('POST', '/Users', { userName: 'carol@acme.test' })).status, 201);
  });

  test('a value of the wrong type is a 400 invalidValue naming the attribute', async () => {
    const bad = await call('POST', '/Users', { userName: 'dave@acme.test', [ACME_USER]: { level: 'three' } });
    assertScimError(bad, 400, 'invalidValue', new RegExp(`${ACME_USER}:level`));
    const badDate = await call('PATCH', `/Users/${alice}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ACME_USER}:startDate`, value: 'soon' }] });
    assertScimError(badDate, 400, 'invalidValue', /startDate/);
    const badBool = await call('PATCH', `/Users/${alice}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { [`${ACME_USER}:remote`]: 'perhaps' } }] });
    assertScimError(badBool, 400, 'invalidValue', /remote/);
  });

  test('PATCH takes URN-qualified paths and path-less URN keys, as Entra and Okta send them', async () => {
    const entra = await call('PATCH', `/Users/${alice}`, { schemas: [PATCH_OP], Operations: [
      { op: 'Replace', path: `${ACME_USER}:project`, value: 'CC-9' },
      { op: 'Add', value: { [`${ACME_USER}:level`]: '4' } },
    ] });
    assert.equal(entra.status, 200, JSON.stringify(entra.body));
    assert.equal(entra.body[ACME_USER].project, 'CC-9');
    assert.equal(entra.body[ACME_USER].level, 4);
    const okta = await call('PATCH', `/Users/${alice}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { [ACME_USER]: { project: 'CC-1' } } }] });
    assert.equal(okta.status, 200);
    assert.equal(okta.body[ACME_USER].project, 'CC-1');
    assert.equal(okta.body[ACME_USER].badge, 'B-1', 'other attributes of the extension stay');
  });

  test('custom attributes are filterable with every operator and sortable', async () => {
    const names = async (filter: string, extra = '') => {
      const res = await call('GET', q(filter, extra));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return (res.body.Resources as { userName: string }[]).map((u) => u.userName);
    };
    assert.deepEqual(await names(`${ACME_USER}:project eq "cc-1"`), ['alice@acme.test'], 'case-insensitive by default');
    assert.deepEqual(await names(`${ACME_USER}:project sw "CC"`, '&sortBy=userName'), ['alice@acme.test', 'bob@acme.test']);
    assert.deepEqual(await names(`${ACME_USER}:project ne "CC-1"`, '&sortBy=userName'), ['bob@acme.test', 'carol@acme.test'], 'ne includes users without a value');
    assert.deepEqual(await names(`${ACME_USER}:level gt 5`), ['bob@acme.test']);
    assert.deepEqual(await names(`${ACME_USER}:rate le 1`), ['bob@acme.test']);
    assert.deepEqual(await names(`${ACME_USER}:remote eq true`), ['alice@acme.test']);
    assert.deepEqual(await names(`${ACME_USER}:startDate lt "2025-01-01T00:00:00Z"`), ['alice@acme.test']);
    assert.deepEqual(await names(`${ACME_USER}:skills eq "SQL"`, '&sortBy=userName'), ['alice@acme.test', 'bob@acme.test']);
    assert.deepEqual(await names(`${ACME_USER}:badge pr`, '&sortBy=userName'), ['alice@acme.test', 'bob@acme.test']);
    assert.deepEqual(await names(`not (${ACME_USER}:badge pr)`), ['carol@acme.test']);
    assert.deepEqual(await names(`project eq "CC-2"`), ['bob@acme.test'], 'an unambiguous bare name resolves to the extension');
    assert.deepEqual(await names(`userName pr`, `&sortBy=${encodeURIComponent(`${ACME_USER}:level`)}&sortOrder=descending`), ['bob@acme.test', 'alice@acme.test', 'carol@acme.test']);
    const bad = await call('GET', q(`${ACME_USER}:level eq "x"`));
    assertScimError(bad, 400, 'invalidFilter', /level/);
  });

  test('uniqueness "server" is enforced by the database per tenant, case-insensitively', async () => {
    const dup = await call('POST', '/Users', { userName: 'erin@acme.test', [ACME_USER]: { badge: 'b-1' } });
    assertScimError(dup, 409, 'uniqueness', /badge/);
    const patch = await call('PATCH', `/Users/${bob}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ACME_USER}:badge`, value: 'B-1' }] });
    assertScimError(patch, 409, 'uniqueness', /badge/);
    // Another tenant with the same schema may hold the same badge.
    const o = await requireTenant(server.running.store, `custom-other-${process.pid}`);
    await replaceSettings(server.running.store, o, settingsWith(acmeUser));
    assert.equal((await call('POST', '/Users', { userName: 'alice@acme.test', [ACME_USER]: { badge: 'B-1' } }, other)).status, 201);
  });

  test('a group extension is accepted, returned and filterable', async () => {
    const g = await call('POST', '/Groups', { displayName: 'EMEA staff', [ACME_GROUP]: { region: 'EMEA' } });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.deepEqual(g.body[ACME_GROUP], { region: 'EMEA' });
    const found = await call('GET', `/Groups?filter=${encodeURIComponent(`${ACME_GROUP}:region eq "emea"`)}`);
    assert.equal(found.body.totalResults, 1);
    const patched = await call('PATCH', `/Groups/${g.body.id}?attributes=${encodeURIComponent(`${ACME_GROUP}:region`)}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ACME_GROUP}:region`, value: 'APAC' }] });
    assert.equal(patched.status, 200);
    assert.equal((await call('GET', `/Groups?filter=${encodeURIComponent(`${ACME_GROUP}:region eq "apac"`)}`)).body.totalResults, 1);
  });

  test('removing an attribute that holds values is refused with the count, and dropValues removes them in the same change', async () => {
    const t = await tenant();
    const { version } = await readSettings(server.running.store, t);
    const without = { ...acmeUser, attributes: acmeUser.attributes.filter((a) => a.name !== 'project') };
    const err = await replaceSettings(server.running.store, t, settingsWith(without, acmeGroup), { expectedVersion: version }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SettingsError);
    assert.equal(err.reason.code, 'valuesHeld');
    assert.deepEqual(err.reason.code === 'valuesHeld' && err.reason.held, [{ resourceType: 'User', schema: ACME_USER, attribute: 'project', resources: 2 }]);
    assert.match(err.message, /project \(2 users\)/);
    assert.equal((await call('GET', `/Users/${alice}`)).body[ACME_USER].project, 'CC-1', 'nothing was removed');

    const before = await call('GET', `/Users/${alice}`);
    const done = await replaceSettings(server.running.store, t, settingsWith(without, acmeGroup), { expectedVersion: version, dropValues: true });
    assert.equal(done.version, version + 1);
    assert.deepEqual(done.dropped, [{ resourceType: 'User', schema: ACME_USER, attribute: 'project', resources: 2 }]);
    const after = await call('GET', `/Users/${alice}`);
    assert.equal(after.body[ACME_USER].project, undefined);
    assert.equal(after.body[ACME_USER].badge, 'B-1');
    assert.notEqual(after.headers.get('etag'), before.headers.get('etag'), 'the changed user has a new version');
    assertScimError(await call('GET', q(`${ACME_USER}:project eq "CC-1"`)), 400, 'invalidFilter');
    const rows = await server.query("SELECT count(*) AS n FROM custom_values WHERE attr = ?", [`${ACME_USER}:project`]);
    assert.equal(Number(rows[0].n), 0);
  });

  test('a stale expected version is refused as staleVersion', async () => {
    const t = await tenant();
    const { version } = await readSettings(server.running.store, t);
    const err = await replaceSettings(server.running.store, t, settingsWith(acmeUser, acmeGroup), { expectedVersion: version - 1 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SettingsError);
    assert.deepEqual(err.reason, { code: 'staleVersion', expected: version - 1, current: version });
  });

  test('removing a whole schema with dropValues leaves no empty extension object behind', async () => {
    const t = await tenant();
    const done = await replaceSettings(server.running.store, t, settingsWith(acmeUser), { dropValues: true });
    assert.deepEqual(done.dropped.map((d) => d.attribute), ['region']);
    const groups = await call('GET', '/Groups');
    for (const g of groups.body.Resources as Record<string, unknown>[]) {
      assert.equal(g[ACME_GROUP], undefined);
      assert.ok(!(g.schemas as string[]).includes(ACME_GROUP));
    }
  });

  test('making an attribute unique is refused while two users share a value', async () => {
    const t = await tenant();
    await call('PATCH', `/Users/${bob}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${ACME_USER}:level`, value: 4 }] });
    const unique = { ...acmeUser, attributes: acmeUser.attributes.map((a) => (a.name === 'level' ? { ...a, uniqueness: 'server' } : a)) };
    const err = await replaceSettings(server.running.store, t, settingsWith(unique)).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SettingsError);
    assert.equal(err.reason.code, 'notUnique');
  });
});

test('scim.patchResponse chooses 200 or 204 per resource type', async () => {
  const t = await tenant();
  const u = await call('POST', '/Users', { userName: 'patch.mode@acme.test' });
  const g = await call('POST', '/Groups', { displayName: 'Patch mode' });
  const op = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] };
  assert.equal((await call('PATCH', `/Users/${u.body.id}`, op)).status, 200);
  assert.equal((await call('PATCH', `/Groups/${g.body.id}`, { ...op, Operations: [{ op: 'replace', path: 'displayName', value: 'Patch mode 1' }] })).status, 204);
  const current = await readSettings(server.running.store, t);
  await replaceSettings(server.running.store, t, { ...current.settings, scim: { patchResponse: { users: 204, groups: 200 } } }, { expectedVersion: current.version });
  const user = await call('PATCH', `/Users/${u.body.id}`, { ...op, Operations: [{ op: 'replace', path: 'displayName', value: 'y' }] });
  assert.equal(user.status, 204);
  assert.ok(user.headers.get('etag'));
  const group = await call('PATCH', `/Groups/${g.body.id}`, { ...op, Operations: [{ op: 'replace', path: 'displayName', value: 'Patch mode 2' }] });
  assert.equal(group.status, 200);
  assert.equal(group.body.displayName, 'Patch mode 2');
});

test('a second server on the same database sees a settings change made through the first', async () => {
  const config = loadConfig({ host: '127.0.0.1', port: await freePort(), databaseUrl: server.databaseUrl, logLevel: 'silent' }, {});
  const second = await startServer(config, { logger: false });
  try {
    const secondTarget = { scimUrl: `${second.url}/scim/v2/${slug}`, token: server.token };
    const ids = async () => ((await call('GET', '/Schemas', undefined, secondTarget)).body.Resources as { id: string }[]).map((s) => s.id);
    assert.ok((await ids()).includes(ACME_USER), 'the second server starts with the current settings');
    const t = await tenant();
    const current = await readSettings(server.running.store, t);
    const renamed = { ...acmeUser, id: 'urn:ietf:params:scim:schemas:extension:globex:2.0:User' };
    await replaceSettings(server.running.store, t, { ...current.settings, customSchemas: [renamed] }, { dropValues: true });
    // The second server learns of it from PostgreSQL's NOTIFY (SQLite: data_version), which arrives
    // asynchronously, within milliseconds: its requests see the change from then on.
    let now = await ids();
    for (const deadline = Date.now() + 2000; now.includes(ACME_USER) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 10));
      now = await ids();
    }
    assert.ok(now.includes(renamed.id) && !now.includes(ACME_USER), `the second server's requests see the change within moments: ${now.join()}`);
  } finally {
    await second.close();
  }
});
