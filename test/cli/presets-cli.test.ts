// `rollcall tenant presets` and `rollcall tenant create --preset`, run as a user runs them (a process,
// from the sources), on a database of the kind this run tests (SQLite file, or PostgreSQL with
// ROLLCALL_TEST_DATABASE=postgres), then a server on the same database answering the printed token:
// the preset's settings are there and act on real SCIM requests. A refused preset leaves no tenant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.ts';
import { startServer, type Running } from '../../src/main.ts';
import { listPresets, presetSettings } from '../../src/provisioning/policies/presets.ts';
import { readSettings } from '../../src/provisioning/tenants/settings.ts';
import { freePort, runCli } from '../../harness/processes.ts';
import { testDatabase } from '../support/test-database.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** The CLI as its own process, with none of this process's ROLLCALL_ settings (harness/processes.ts). */
const rollcall = (args: string[]) => runCli(args, 30_000);

let dbUrl: string;
let drop: () => Promise<void>;
let running: Running | undefined;
before(async () => {
  ({ url: dbUrl, drop } = await testDatabase());
  const m = await rollcall(['migrate', '--db', dbUrl]);
  assert.equal(m.code, 0, m.stderr);
});
after(async () => { await running?.close(); await drop?.(); });

async function scim(url: string, token: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

test('tenant presets lists each preset and the settings it writes (--json: exactly the code\'s)', async () => {
  const [text, json] = await Promise.all([rollcall(['tenant', 'presets']), rollcall(['tenant', 'presets', '--json'])]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), listPresets());
  assert.equal(text.code, 0, text.stderr);
  for (const p of listPresets()) {
    assert.ok(text.stdout.includes(`${p.name} (${p.pattern}): ${p.description}`), text.stdout);
    assert.ok(text.stdout.includes(JSON.stringify(p.settings)), `${p.name}'s settings are printed`);
  }
  assert.match(text.stdout, /Option: --welcome-link <url>/);
});

test('an unknown preset, or a welcome link without the teams preset, exits 2 naming the presets, and creates no tenant', async () => {
  const unknown = await rollcall(['tenant', 'create', 'nope', '--preset', 'splunk', '--db', dbUrl]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim(), 'rollcall: There is no preset "splunk"; the presets are "on-call", "strict-groups", "single-group", "teams".');
  assert.equal(unknown.stdout, '');
  const misplaced = await rollcall(['tenant', 'create', 'nope', '--preset', 'strict-groups', '--welcome-link', 'https://app.example.com/w', '--db', dbUrl]);
  assert.equal(misplaced.code, 2);
  assert.match(misplaced.stderr, /The preset "strict-groups" does not take a welcome link; only "teams" does\./);
  const alone = await rollcall(['tenant', 'create', 'nope', '--welcome-link', 'https://app.example.com/w', '--db', dbUrl]);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--welcome-link goes with --preset teams/);
  const list = await rollcall(['tenant', 'list', '--json', '--db', dbUrl]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { slug: string }[]).map((t) => t.slug), [], 'no tenant was created');
});

test('tenant create --preset single-group: the server on the same database applies it (a second group refused)', async () => {
  const made = await rollcall(['tenant', 'create', 'splash', '--preset', 'single-group', '--json', '--db', dbUrl]);
  assert.equal(made.code, 0, made.stderr);
  const out = JSON.parse(made.stdout) as { tenant: { id: string; slug: string; settingsVersion: number }; token: string };
  assert.equal(out.tenant.settingsVersion, 2);
  const human = await rollcall(['tenant', 'create', 'ops', '--preset', 'teams', '--welcome-link', 'https://app.example.com/welcome', '--db', dbUrl]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^Tenant "ops" \(ops\) created with the preset teams\./);

  running = await startServer(loadConfig({ databaseUrl: dbUrl, port: await freePort(), host: '127.0.0.1', logLevel: 'silent' }, {}), { logger: false });
  assert.deepEqual((await readSettings(running.store, { id: out.tenant.id, slug: 'splash' })).settings, presetSettings('single-group').settings);
  const ops = (await running.store.findTenantBySlug('ops'))!;
  const opsSettings = (await readSettings(running.store, ops)).settings;
  assert.deepEqual(opsSettings.welcomeEmail, { ...presetSettings('teams').settings.welcomeEmail, enabled: true, link: 'https://app.example.com/welcome' });

  const base = `${running.url}/scim/v2/splash`;
  const u = await scim(`${base}/Users`, out.token, 'POST', { schemas: [USER], userName: 'ann@acme.example', emails: [{ value: 'ann@acme.example', primary: true }], active: true });
  assert.equal(u.status, 201, u.text);
  const first = await scim(`${base}/Groups`, out.token, 'POST', { schemas: [GROUP], displayName: 'Sales', members: [{ value: u.body.id }] });
  assert.equal(first.status, 201, first.text);
  const second = await scim(`${base}/Groups`, out.token, 'POST', { schemas: [GROUP], displayName: 'Engineering', members: [{ value: u.body.id }] });
  assert.equal(second.status, 409, second.text);
  assert.equal(second.body.scimType, 'uniqueness');
  assert.match(second.body.detail, /is already in group "Sales" and this app allows one group per user/);
  const groups = await scim(`${base}/Groups`, out.token);
  assert.deepEqual((groups.body.Resources as { displayName: string }[]).map((g) => g.displayName).sort(), ['Default', 'Sales']);
});
