// `rollcall import` (docs/import-export.md), run as a real process on the database a running
// server uses (SQLite, or PostgreSQL with ROLLCALL_TEST_DATABASE=postgres); what it wrote is read
// back over SCIM from that server. CSV quoting, BOM and CRLF; default and --map column mapping;
// enterprise and custom attributes; groups; per-row errors in the report; an idempotent re-run;
// a dry run; resuming from the checkpoint; --as scim vs local; hostile files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { startServer, type Running } from '../../src/main.ts';
import { readSettings, replaceSettings } from '../../src/provisioning/tenants/settings.ts';
import { freePort, runCli, type CliResult } from '../../harness/processes.ts';
import { testDatabase } from '../support/test-database.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ACME = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';

type Result = CliResult;
const rollcall = (args: string[]): Promise<Result> => runCli([...args, '--db', dbUrl], 120_000);

interface Summary { created: number; updated: number; unchanged: number; failed: number; skipped: number; lastRow: number; stopped: boolean; report: string; checkpoint: string | null }
async function importJson(args: string[], expectCode = 0): Promise<Summary> {
  const r = await rollcall(['import', ...args, '--json']);
  assert.equal(r.code, expectCode, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as Summary;
}

let dbUrl: string;
let drop: (() => Promise<void>) | undefined;
let running: Running;
let dir: string;
const tokens: Record<string, string> = {};

async function tenant(slug: string): Promise<void> {
  const created = await rollcall(['tenant', 'create', slug, '--json']);
  assert.equal(created.code, 0, created.stderr);
  tokens[slug] = (JSON.parse(created.stdout) as { token: string }).token;
}

type ScimUser = Record<string, unknown> & { id: string; userName: string; active?: boolean; groups?: { display: string }[]; meta: { version: string } };
async function users(slug: string, filter?: string): Promise<ScimUser[]> {
  const q = new URLSearchParams({ count: '1000', ...(filter ? { filter } : {}) });
  const res = await fetch(`${running.url}/scim/v2/${slug}/Users?${q}`, { headers: { authorization: `Bearer ${tokens[slug]}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { Resources: ScimUser[] }).Resources;
}
async function total(slug: string, filter: string): Promise<number> {
  const res = await fetch(`${running.url}/scim/v2/${slug}/Users?${new URLSearchParams({ count: '0', filter })}`, { headers: { authorization: `Bearer ${tokens[slug]}` } });
  return ((await res.json()) as { totalResults: number }).totalResults;
}
const user = async (slug: string, userName: string) => (await users(slug, `userName eq "${userName}"`))[0];
const file = (name: string, content: string | Buffer) => { const p = join(dir, name); writeFileSync(p, content); return p; };
const reportRows = (path: string) => readFileSync(path, 'utf8').trim().split(/\r?\n/).slice(1);

before(async () => {
  const db = await testDatabase();
  dbUrl = db.url;
  drop = db.drop;
  dir = mkdtempSync(join(tmpdir(), 'rollcall-import-'));
  assert.equal((await rollcall(['migrate'])).code, 0);
  running = await startServer(loadConfig({ databaseUrl: dbUrl, port: await freePort(), host: '127.0.0.1', logLevel: 'silent' }, {}), { logger: false });
});
after(async () => {
  await running?.close();
  await drop?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a CSV with a BOM, CRLF, quoted commas, quotes and line breaks imports with the default mapping, enterprise attributes and groups; a re-run writes nothing', async () => {
  await tenant('acme');
  const csv = file('people.csv', '\uFEFFuserName,Email,First Name,last_name,displayName,active,title,department,employeeNumber,groups\r\n'
    + 'ada@acme.example,ada@acme.example,Ada,Lovelace,"Lovelace, Ada",true,"Chief ""Analyst""",Engineering,E1,Engineering;Everyone\r\n'
    + 'bob@acme.example,bob@acme.example,Bob,"Smith\r\nJr",,false,,Sales,E2,Everyone\r\n'
    + '\r\n'
    + 'cy@acme.example,,Cy,,,,,,,\r\n');
  const first = await importJson(['acme', csv]);
  assert.deepEqual([first.created, first.updated, first.unchanged, first.failed], [3, 0, 0, 0]);

  const ada = await user('acme', 'ada@acme.example');
  assert.equal(ada.displayName, 'Lovelace, Ada');
  assert.equal(ada.title, 'Chief "Analyst"');
  assert.deepEqual(ada.name, { givenName: 'Ada', familyName: 'Lovelace' });
  assert.deepEqual(ada.emails, [{ type: 'work', primary: true, value: 'ada@acme.example' }]);
  assert.deepEqual(ada[ENT], { department: 'Engineering', employeeNumber: 'E1' });
  assert.deepEqual(ada.groups!.map((g) => g.display).sort(), ['Engineering', 'Everyone']);
  const bob = await user('acme', 'bob@acme.example');
  assert.equal(bob.active, false);
  assert.equal((bob.name as { familyName: string }).familyName, 'Smith\nJr', 'a line break inside quotes is part of the value');
  assert.deepEqual(bob.groups!.map((g) => g.display), ['Everyone']);
  assert.equal((await user('acme', 'cy@acme.example')).title, undefined, 'empty cells set nothing');

  const versions = new Map((await users('acme')).map((u) => [u.userName, u.meta.version]));
  const again = await importJson(['acme', csv]);
  assert.deepEqual([again.created, again.updated, again.unchanged, again.failed], [0, 0, 3, 0]);
  assert.deepEqual(reportRows(again.report), [], 'unchanged rows are not in the report');
  for (const u of await users('acme')) assert.equal(u.meta.version, versions.get(u.userName), `${u.userName} was not written again`);

  // A change to one row updates that user in that attribute only, and adds the new group.
  writeFileSync(csv, readFileSync(csv, 'utf8').replace('Chief ""Analyst""', 'Countess').replace('Engineering;Everyone', 'Engineering;Everyone;Board'));
  const third = await importJson(['acme', csv]);
  assert.deepEqual([third.created, third.updated, third.unchanged], [0, 1, 2]);
  const [row] = reportRows(third.report);
  assert.match(row, /^1,2,ada@acme\.example,updated,title groups \+Board,$/);
  const ada2 = await user('acme', 'ada@acme.example');
  assert.equal(ada2.title, 'Countess');
  assert.equal(ada2.displayName, 'Lovelace, Ada');
  assert.deepEqual(ada2.groups!.map((g) => g.display).sort(), ['Board', 'Engineering', 'Everyone']);
});

test('bad rows are reported with their row, line and reason, and every other row is imported (exit code 1)', async () => {
  await tenant('errs');
  const csv = file('bad.csv', 'userName,givenName,active\n'
    + 'ok1@errs.example,One,true\n'
    + 'bad"quote@errs.example,Two,true\n'
    + 'short@errs.example\n'
    + 'notbool@errs.example,Four,perhaps\n'
    + ',NoName,true\n'
    + `long@errs.example,${'y'.repeat(2 << 20)},true\n`
    + '"unclosed@errs.example,Seven,true\n');
  const report = join(dir, 'bad-report.json');
  const s = await importJson(['errs', csv, '--report', report], 1);
  assert.deepEqual([s.created, s.failed], [1, 6]);
  const rows = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { row: number; line: number; outcome: string; reason?: string });
  const failed = rows.filter((r) => r.outcome === 'failed');
  assert.deepEqual(failed.map((r) => [r.row, r.line]), [[2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8]]);
  assert.match(failed[0].reason!, /a quote inside unquoted field 1/);
  assert.match(failed[1].reason!, /the row has 1 field, the header 3/);
  assert.match(failed[2].reason!, /active/);
  assert.match(failed[3].reason!, /no userName/);
  assert.match(failed[4].reason!, /the record is longer than 1048576 characters; it was skipped/);
  assert.match(failed[5].reason!, /never closed/);
  assert.ok(await user('errs', 'ok1@errs.example'));
  assert.equal((await users('errs')).length, 1);
});

test('unknown columns stop the import before it writes anything; --map maps them, or ignores them with null', async () => {
  await tenant('mapped');
  const csv = file('hr.csv', 'Login,Vorname,Abteilung,Badge colour\nkim@mapped.example,Kim,Finance,red\n');
  const refused = await rollcall(['import', 'mapped', csv]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /no attribute for columns "Vorname", "Abteilung", "Badge colour"/);
  assert.equal((await users('mapped')).length, 0);

  const badMap = await rollcall(['import', 'mapped', csv, '--map', file('bad-map.json', '["x"]')]);
  assert.equal(badMap.code, 2);
  assert.match(badMap.stderr, /--map file must be a JSON object/);

  const map = file('map.json', JSON.stringify({ Vorname: 'name.givenName', Abteilung: `${ENT}:department`, 'Badge colour': null }));
  const s = await importJson(['mapped', csv, '--map', map]);
  assert.equal(s.created, 1);
  const kim = await user('mapped', 'kim@mapped.example');
  assert.equal((kim.name as { givenName: string }).givenName, 'Kim');
  assert.deepEqual(kim[ENT], { department: 'Finance' });
});

test('a dry run reports what would be created and updated, with the changed attributes, and writes nothing', async () => {
  await tenant('dry');
  const csv = file('dry.csv', 'userName,title\nann@dry.example,Engineer\n');
  await importJson(['dry', csv]);
  const before = await user('dry', 'ann@dry.example');
  writeFileSync(csv, 'userName,title,groups\nann@dry.example,Manager,Leads\nnew@dry.example,Intern,\n');
  const s = await importJson(['dry', csv, '--dry-run']);
  assert.deepEqual([s.created, s.updated, s.unchanged, s.failed], [1, 1, 0, 0]);
  assert.deepEqual(reportRows(s.report), ['1,2,ann@dry.example,updated,title groups +Leads,', '2,3,new@dry.example,created,,']);
  const after = await user('dry', 'ann@dry.example');
  assert.equal(after.title, 'Engineer');
  assert.equal(after.meta.version, before.meta.version);
  assert.equal(await user('dry', 'new@dry.example'), undefined);
  const groups = await fetch(`${running.url}/scim/v2/dry/Groups`, { headers: { authorization: `Bearer ${tokens.dry}` } });
  assert.equal(((await groups.json()) as { totalResults: number }).totalResults, 0);
});

test('an import stopped part way (--limit) leaves a checkpoint; the same command continues after it; a changed file needs --restart', async () => {
  await tenant('resume');
  const lines = ['userName,displayName'];
  for (let i = 1; i <= 600; i++) lines.push(`u${i}@resume.example,User ${i}`);
  const csv = file('many.csv', `${lines.join('\n')}\n`);
  const part = await importJson(['resume', csv, '--limit', '300']);
  assert.deepEqual([part.created, part.stopped, part.lastRow], [300, true, 300]);
  assert.ok(part.checkpoint && existsSync(part.checkpoint));
  assert.equal(await total('resume', 'userName sw "u"'), 300);

  const rest = await importJson(['resume', csv]);
  assert.deepEqual([rest.skipped, rest.created, rest.unchanged, rest.stopped], [300, 300, 0, false]);
  assert.equal(existsSync(`${rest.report}.checkpoint`), false, 'a finished import removes its checkpoint');
  assert.equal(reportRows(rest.report).length, 600, 'the report of the resumed run is appended to');

  await importJson(['resume', csv, '--limit', '10']);
  writeFileSync(csv, `${lines.join('\n')}\nu601@resume.example,User 601\n`);
  const refused = await rollcall(['import', 'resume', csv]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--restart/);
  const restarted = await importJson(['resume', csv, '--restart']);
  assert.deepEqual([restarted.skipped, restarted.created, restarted.unchanged], [0, 1, 600]);
});

test('--as scim writes IdP-managed users with custom attributes; --as local may not change them while SCIM is enabled', async () => {
  await tenant('custom');
  const t = (await running.store.findTenantBySlug('custom'))!;
  const read = await readSettings(running.store, t);
  await replaceSettings(running.store, t, { ...read.settings, customSchemas: [{ id: ACME, name: 'AcmeUser', attributes: [{ name: 'badge', type: 'string', uniqueness: 'server' }, { name: 'level', type: 'integer' }] }] }, { expectedVersion: read.version });
  const csv = file('custom.csv', `userName,badge,${ACME}:level\nzed@custom.example,B-1,3\nxia@custom.example,B-3,senior\n`);
  const s = await importJson(['custom', csv, '--as', 'scim'], 1);
  assert.deepEqual([s.created, s.failed], [1, 1]);
  assert.match(reportRows(s.report)[1], /^2,3,xia@custom\.example,failed,,.*level.*integer/);
  const zed = await user('custom', 'zed@custom.example');
  assert.deepEqual(zed[ACME], { badge: 'B-1', level: 3 });
  const stored = await running.store.getUser(t.id, zed.id);
  assert.equal(stored!.origin, 'scim');
  const dup = await importJson(['custom', file('dup.csv', 'userName,badge\nyan@custom.example,b-1\n'), '--as', 'scim'], 1);
  assert.equal(dup.failed, 1);
  assert.match(reportRows(dup.report)[0], /^1,2,yan@custom\.example,failed,,.*badge.*uniqueness/);

  const local = await importJson(['custom', file('local.csv', 'userName,level\nzed@custom.example,4\nwin@custom.example,1\n'), '--as', 'local'], 1);
  assert.deepEqual([local.created, local.failed], [1, 1]);
  assert.match(reportRows(local.report)[0], /managed by the identity provider while SCIM is enabled/);
  assert.equal((await running.store.getUser(t.id, (await user('custom', 'win@custom.example')).id))!.origin, 'local');
});

test('NDJSON and JSON files: SCIM users, a 2 MB line and a broken line are errors of their rows only', async () => {
  await tenant('json');
  const big = JSON.stringify({ userName: 'big@json.example', displayName: 'x'.repeat(2 << 20) });
  const nd = file('users.ndjson', [
    JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'ignored', userName: 'one@json.example', name: { givenName: 'One' }, groups: [{ value: 'x', display: 'Readers' }] }),
    big,
    '{"userName": "broken@json.example",',
    '',
    JSON.stringify({ userName: 'two@json.example', [ENT]: { department: 'Ops' } }),
  ].join('\n'));
  const s = await importJson(['json', nd], 1);
  assert.deepEqual([s.created, s.failed], [2, 2]);
  const [bigRow, broken] = reportRows(s.report).filter((r) => r.includes('failed'));
  assert.match(bigRow, /^2,2,,failed,,the line is longer than 1048576 characters/);
  assert.match(broken, /^3,3,,failed,,"?not JSON/);
  assert.deepEqual((await user('json', 'one@json.example')).groups!.map((g) => g.display), ['Readers']);

  const list = file('list.json', JSON.stringify({ Resources: [{ userName: 'three@json.example' }, 'nope'] }));
  const l = await importJson(['json', list], 1);
  assert.deepEqual([l.created, l.failed], [1, 1]);
  const notList = await rollcall(['import', 'json', file('object.json', '{"userName": "x"}')]);
  assert.equal(notList.code, 2);
  assert.match(notList.stderr, /must hold an array of SCIM users/);
  const unknownType = await rollcall(['import', 'json', file('users.xlsx', 'PK')]);
  assert.equal(unknownType.code, 2);
  assert.match(unknownType.stderr, /name it \.csv, \.json or \.ndjson/);
});

test('rows with an externalId are matched by it: a renamed userName updates the user instead of creating another', async () => {
  await tenant('ext');
  const csv = file('ext.csv', 'externalId,userName,displayName\nhr-1,old@ext.example,Pat\n');
  assert.equal((await importJson(['ext', csv])).created, 1);
  const id = (await user('ext', 'old@ext.example')).id;
  writeFileSync(csv, 'externalId,userName,displayName\nhr-1,new@ext.example,Pat\n');
  const s = await importJson(['ext', csv]);
  assert.deepEqual([s.created, s.updated], [0, 1]);
  assert.match(reportRows(s.report)[0], /^1,2,new@ext\.example,updated,userName,$/);
  assert.equal((await user('ext', 'new@ext.example')).id, id);
  assert.equal(await user('ext', 'old@ext.example'), undefined);
});
