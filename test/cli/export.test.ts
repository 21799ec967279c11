// `rollcall export` (docs/import-export.md), run as a real process on SQLite or PostgreSQL
// (ROLLCALL_TEST_DATABASE=postgres): every user, across several keyset pages, once each, in CSV
// (with a groups column), JSON and NDJSON; and the round trip: an export imported into another
// tenant gives the same users, attributes and group memberships.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCli, type CliResult } from '../../harness/processes.ts';
import { loadConfig } from '../../src/config/config.ts';
import { startServer, type Running } from '../../src/main.ts';
import { CsvReader } from '../../src/provisioning/import/csv.ts';
import { readSettings, replaceSettings } from '../../src/provisioning/tenants/settings.ts';
import { testDatabase } from '../support/test-database.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ACME = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';

type Result = CliResult;
const rollcall = (args: string[]): Promise<Result> => runCli([...args, '--db', dbUrl], 120_000);
async function ok(args: string[]): Promise<string> {
  const r = await rollcall(args);
  assert.equal(r.code, 0, `rollcall ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}
function parseCsv(text: string): Record<string, string>[] {
  const reader = new CsvReader();
  const records = [...reader.push(text), ...reader.finish()];
  assert.ok(records.every((r) => !r.error));
  const [header, ...rows] = records.map((r) => r.fields);
  return rows.map((f) => Object.fromEntries(header.map((h, i) => [h, f[i]])));
}

let dbUrl: string;
let drop: (() => Promise<void>) | undefined;
let running: Running;
let dir: string;
const USERS = 1234;

async function withCustomSchema(slug: string): Promise<void> {
  const t = (await running.store.findTenantBySlug(slug))!;
  const read = await readSettings(running.store, t);
  await replaceSettings(running.store, t, { ...read.settings, customSchemas: [{ id: ACME, name: 'AcmeUser', attributes: [{ name: 'badge', type: 'string' }, { name: 'level', type: 'integer' }] }] }, { expectedVersion: read.version });
}

before(async () => {
  const db = await testDatabase();
  dbUrl = db.url;
  drop = db.drop;
  dir = mkdtempSync(join(tmpdir(), 'rollcall-export-'));
  await ok(['migrate']);
  running = await startServer(loadConfig({ databaseUrl: dbUrl, port: await freePort(), host: '127.0.0.1', logLevel: 'silent' }, {}), { logger: false });
  await ok(['tenant', 'create', 'source']);
  await ok(['tenant', 'create', 'copy']);
  await ok(['tenant', 'create', 'empty']);
  await withCustomSchema('source');
  await withCustomSchema('copy');
  const lines = [`userName,email,givenName,familyName,displayName,active,title,department,employeeNumber,badge,${ACME}:level,groups`];
  for (let i = 0; i < USERS; i++) {
    lines.push(`u${i}@source.example,u${i}@source.example,Given ${i},"Family, ""${i}""",,${i % 7 === 0 ? 'false' : 'true'},${i === 3 ? '"Line one\nline two"' : ''},Dept ${i % 3},E${i},B-${i},${i % 5},${i % 2 ? 'Odd;All' : 'All'}`);
  }
  const csv = join(dir, 'source.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  await ok(['import', 'source', csv]);
});
after(async () => {
  await running?.close();
  await drop?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('CSV: every user once, across keyset pages, with the columns import reads and a groups column', async () => {
  const rows = parseCsv(await ok(['export', 'source', '--format', 'csv']));
  assert.equal(rows.length, USERS);
  assert.equal(new Set(rows.map((r) => r.userName)).size, USERS);
  const u3 = rows.find((r) => r.userName === 'u3@source.example')!;
  assert.equal(u3.familyName, 'Family, "3"');
  assert.equal(u3.title, 'Line one\nline two');
  assert.equal(u3.department, 'Dept 0');
  assert.equal(u3.employeeNumber, 'E3');
  assert.equal(u3.active, 'true');
  assert.equal(u3[`${ACME}:badge`], 'B-3');
  assert.equal(u3[`${ACME}:level`], '3');
  assert.deepEqual(u3.groups.split(';').sort(), ['All', 'Odd']);
  assert.equal(rows.find((r) => r.userName === 'u7@source.example')!.active, 'false');
  assert.match(u3.id, /^[0-9a-f-]{36}$/);
});

test('NDJSON and JSON: SCIM users with their groups; an empty tenant is an empty list; --out writes a file', async () => {
  const nd = (await ok(['export', 'source', '--format', 'ndjson'])).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(nd.length, USERS);
  const u1 = nd.find((u) => u.userName === 'u1@source.example')!;
  assert.deepEqual((u1[ENT] as Record<string, unknown>).department, 'Dept 1');
  assert.deepEqual((u1.groups as { display: string }[]).map((g) => g.display).sort(), ['All', 'Odd']);
  const out = join(dir, 'all.json');
  await ok(['export', 'source', '--format', 'json', '--out', out]);
  const json = JSON.parse(readFileSync(out, 'utf8')) as unknown[];
  assert.equal(json.length, USERS);
  assert.deepEqual(JSON.parse(await ok(['export', 'empty', '--format', 'json'])), []);
  assert.equal(await ok(['export', 'empty', '--format', 'ndjson']), '');
  const missing = await rollcall(['export', 'nope', '--format', 'csv']);
  assert.equal(missing.code, 2);
});

test('round trip: an NDJSON export imported into another tenant, then a CSV export of each, gives the same users and groups', async () => {
  const nd = join(dir, 'source.ndjson');
  await ok(['export', 'source', '--format', 'ndjson', '--out', nd]);
  const summary = JSON.parse(await ok(['import', 'copy', nd, '--json'])) as { created: number; failed: number };
  assert.deepEqual([summary.created, summary.failed], [USERS, 0]);
  const strip = (rows: Record<string, string>[]) => rows.map(({ id: _id, groups, ...r }): Record<string, string> => ({ ...r, groups: groups.split(';').sort().join(';') })).sort((a, b) => a.userName.localeCompare(b.userName));
  const source = strip(parseCsv(await ok(['export', 'source', '--format', 'csv'])));
  const copy = strip(parseCsv(await ok(['export', 'copy', '--format', 'csv'])));
  assert.deepEqual(copy, source);

  // And the CSV export imports back as it is: nothing differs, nothing is written.
  const csv = join(dir, 'copy.csv');
  await ok(['export', 'copy', '--format', 'csv', '--out', csv]);
  const again = JSON.parse(await ok(['import', 'source', csv, '--json'])) as { unchanged: number; updated: number; created: number };
  assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, USERS]);
});
