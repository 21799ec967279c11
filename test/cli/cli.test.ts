// The `rollcall` command line, run as a user runs it (a process; from the sources, through tsx), sharing one
// database with a running server (a SQLite file, or a PostgreSQL database when
// ROLLCALL_TEST_DATABASE=postgres): tenants and tokens made by the CLI work on the server, and a
// token revoked by the CLI stops working on the server at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.ts';
import { startServer, type Running } from '../../src/main.ts';
import { PG_ADMIN_URL, postgresAvailable } from '../../harness/databases.ts';
import { freePort, ROLLCALL } from '../../harness/processes.ts';
import { expectScimError } from '../support/scim-errors.ts';
import { TEST_DATABASE, testDatabase } from '../support/test-database.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

interface Result { code: number | null; stdout: string; stderr: string }

/** The environment of a user who set no ROLLCALL_* variable, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROLLCALL_')) env[k] = v;
  return { ...env, ...extra };
}

function rollcall(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...ROLLCALL, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`rollcall ${args.join(' ')} timed out\n${stdout}\n${stderr}`)); }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolvePromise({ code, stdout, stderr }); });
  });
}

function json<T = any>(r: Result): T {
  assert.equal(r.code, 0, `exit code 0 expected; stderr: ${r.stderr}`);
  try { return JSON.parse(r.stdout) as T; } catch { assert.fail(`stdout is not one JSON document: ${r.stdout}`); }
}

let dbUrl: string;
const drops: (() => Promise<void>)[] = [];
let running: Running;
/** The tenant and token `tenant create` printed, shared by the tests that follow it. */
let created: { tenant: { id: string; slug: string; name: string }; scimUrl: string; token: string; tokenId: string };
let second: { token: string; tokenId: string };

/** An empty database of the kind this run tests (the first command given it migrates it). */
async function emptyDatabase(): Promise<string> {
  const db = await testDatabase();
  drops.push(db.drop);
  return db.url;
}

before(async () => {
  // `migrate` (the first test) creates the schema; the server opens the same database.
  dbUrl = await emptyDatabase();
});
after(async () => {
  await running?.close();
  for (const drop of drops) await drop();
});

const scimOnServer = (slug: string) => `${running.url}/scim/v2/${slug}`;
const getUsers = (slug: string, token: string) => fetch(`${scimOnServer(slug)}/Users`, { headers: { authorization: `Bearer ${token}` } });

test('--version prints the version of package.json', async () => {
  const r = await rollcall(['--version']);
  assert.equal(r.code, 0, r.stderr);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.stdout.trim(), pkg.version);
});

test('migrate on a new database names the migrations it applied; run again, it says there was none to apply', async () => {
  const first = await rollcall(['migrate', '--db', dbUrl]);
  assert.equal(first.code, 0, first.stderr);
  const names = readdirSync(join(ROOT, `src/store/${TEST_DATABASE}/migrations`)).filter((f) => f.endsWith('.sql')).sort();
  assert.ok(names.length >= 2);
  assert.match(first.stdout, new RegExp(`^Applied ${names.length} migrations to ${TEST_DATABASE}:`));
  for (const name of names) assert.ok(first.stdout.includes(`  ${name}\n`), `${name} is named in:\n${first.stdout}`);
  assert.doesNotMatch(first.stdout, /up to date/);
  const again = await rollcall(['migrate', '--db', dbUrl]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /is up to date: no migration to apply/);
});

test('tenant create --json prints the tenant, its SCIM URL (from ROLLCALL_PUBLIC_URL) and an rcs_ token', async () => {
  const r = await rollcall(['tenant', 'create', 'acme', '--name', 'Acme Inc', '--json', '--db', dbUrl], { ROLLCALL_PUBLIC_URL: 'https://scim.example.com' });
  created = json(r);
  assert.equal(created.tenant.slug, 'acme');
  assert.equal(created.tenant.name, 'Acme Inc');
  assert.equal(typeof created.tenant.id, 'string');
  assert.equal(created.scimUrl, 'https://scim.example.com/scim/v2/acme');
  assert.match(created.token, /^rcs_[0-9A-Za-z]{49}$/);
  assert.match(created.tokenId, /^tok_/);
});

test('tenant create without ROLLCALL_PUBLIC_URL prints a local SCIM URL ending in /scim/v2/<slug>; a trailing slash in the public URL is dropped', async () => {
  const [local, slashed] = await Promise.all([
    rollcall(['tenant', 'create', 'beta', '--json', '--db', dbUrl]),
    rollcall(['tenant', 'create', 'gamma', '--json', '--db', dbUrl], { ROLLCALL_PUBLIC_URL: 'https://scim.example.com/' }),
  ]);
  const l = json(local);
  assert.match(l.scimUrl, /^http:\/\/[^/]+\/scim\/v2\/beta$/);
  assert.equal(l.tenant.name, 'beta', 'the name defaults to the slug');
  assert.equal(json(slashed).scimUrl, 'https://scim.example.com/scim/v2/gamma');
});

test('the token printed by the CLI works on a server started on the same database file', async () => {
  const port = await freePort();
  running = await startServer(loadConfig({ databaseUrl: dbUrl, port, host: '127.0.0.1', logLevel: 'silent' }, {}), { logger: false });
  const res = await getUsers('acme', created.token);
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json() as { totalResults: number };
  assert.equal(body.totalResults, 0);
  // And it is acme's token only.
  assert.equal((await getUsers('beta', created.token)).status, 401);
});

test('tenant list shows the tenants with their SCIM URLs', async () => {
  const [text, asJson] = await Promise.all([
    rollcall(['tenant', 'list', '--db', dbUrl]),
    rollcall(['tenant', 'list', '--json', '--db', dbUrl], { ROLLCALL_PUBLIC_URL: 'https://scim.example.com' }),
  ]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split('\n');
  assert.equal(lines.length, 3, text.stdout);
  const acme = lines.find((l) => l.startsWith('acme'));
  assert.ok(acme, text.stdout);
  assert.match(acme, /Acme Inc/);
  assert.match(acme, /\/scim\/v2\/acme\b/);
  const list = json<{ slug: string; name: string; scimUrl: string }[]>(asJson);
  assert.deepEqual(list.map((t) => t.slug).sort(), ['acme', 'beta', 'gamma']);
  assert.equal(list.find((t) => t.slug === 'acme')?.scimUrl, 'https://scim.example.com/scim/v2/acme');
  // Tokens are not part of a tenant listing.
  assert.ok(!text.stdout.includes(created.token) && !asJson.stdout.includes(created.token));
});

test('token create --json gives a second token that works alongside the first', async () => {
  second = json(await rollcall(['token', 'create', 'acme', '--json', '--db', dbUrl]));
  assert.match(second.token, /^rcs_/);
  assert.notEqual(second.token, created.token);
  assert.notEqual(second.tokenId, created.tokenId);
  assert.equal((await getUsers('acme', second.token)).status, 200);
  assert.equal((await getUsers('acme', created.token)).status, 200);
});

test('token list shows both tokens by id, never their secrets', async () => {
  const [text, asJson] = await Promise.all([
    rollcall(['token', 'list', 'acme', '--db', dbUrl]),
    rollcall(['token', 'list', 'acme', '--json', '--db', dbUrl]),
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.ok(text.stdout.includes(created.tokenId), text.stdout);
  assert.ok(text.stdout.includes(second.tokenId), text.stdout);
  assert.equal(text.stdout.trim().split('\n').length, 2);
  const records = json<Record<string, unknown>[]>(asJson);
  assert.deepEqual(records.map((r) => r.id).sort(), [created.tokenId, second.tokenId].sort());
  for (const out of [text.stdout, asJson.stdout, text.stderr, asJson.stderr]) {
    for (const secret of [created.token, second.token]) {
      assert.ok(!out.includes(secret), 'the clear token is never printed again');
      assert.ok(!out.includes(secret.slice(4, 40)), 'nor a recognisable part of it');
    }
  }
  for (const r of records) assert.equal(r.hash, undefined, 'not even the hash is printed');
  // The first token was used on the server, which shows in the listing.
  const first = records.find((r) => r.id === created.tokenId)!;
  assert.ok(first.lastUsedAt, 'lastUsedAt is recorded for the token the server accepted');
});

test('token revoke stops the token on the running server at once; the other token keeps working', async () => {
  assert.equal((await getUsers('acme', second.token)).status, 200);
  const r = await rollcall(['token', 'revoke', 'acme', second.tokenId, '--db', dbUrl]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /revoked/);
  await expectScimError(await getUsers('acme', second.token), 401, undefined, /revoked/);
  assert.equal((await getUsers('acme', created.token)).status, 200);
  const listed = await rollcall(['token', 'list', 'acme', '--db', dbUrl]);
  const line = listed.stdout.split('\n').find((l) => l.includes(second.tokenId));
  assert.match(line ?? '', /revoked/);
  // Revoking it again, or an unknown id, is a clear error.
  const [again, unknown] = await Promise.all([
    rollcall(['token', 'revoke', 'acme', second.tokenId, '--db', dbUrl]),
    rollcall(['token', 'revoke', 'acme', 'tok_000000000000', '--db', dbUrl]),
  ]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already revoked/);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /tok_000000000000/);
});

test('a tenant created by the CLI while the server runs is served at once', async () => {
  const t = json(await rollcall(['tenant', 'create', 'late-comer', '--json', '--db', dbUrl]));
  assert.equal((await getUsers('late-comer', t.token)).status, 200);
});

test('user errors exit with code 2 and a clear message on stderr', async () => {
  const [badSlug, upper, dup, noTenant, badTtl, postgres, otherDb] = await Promise.all([
    rollcall(['tenant', 'create', 'bad_slug!', '--db', dbUrl]),
    rollcall(['tenant', 'create', 'Acme', '--db', dbUrl]),
    rollcall(['tenant', 'create', 'acme', '--name', 'Acme Again', '--db', dbUrl]),
    rollcall(['token', 'create', 'nobody', '--db', dbUrl]),
    rollcall(['tenant', 'create', 'ttl-test', '--expires-in', 'soon', '--db', dbUrl]),
    rollcall(['tenant', 'list', '--db', 'postgres://nobody@127.0.0.1:1/nodb']),
    rollcall(['tenant', 'list', '--db', 'mysql://x']),
  ]);
  assert.equal(badSlug.code, 2, badSlug.stderr);
  assert.match(badSlug.stderr, /"bad_slug!" cannot be a tenant slug/);
  assert.match(badSlug.stderr, /lower-case letters, digits and dashes/);
  assert.equal(upper.code, 2, upper.stderr);
  assert.match(upper.stderr, /cannot be a tenant slug/);
  assert.equal(dup.code, 2, dup.stderr);
  assert.match(dup.stderr, /already exists/);
  assert.equal(noTenant.code, 2, noTenant.stderr);
  assert.match(noTenant.stderr, /No tenant has the slug "nobody"/);
  assert.equal(badTtl.code, 2, badTtl.stderr);
  assert.match(badTtl.stderr, /not a duration/);
  assert.equal(postgres.code, 2, postgres.stderr);
  assert.match(postgres.stderr, /Cannot reach PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/nodb/);
  assert.equal(otherDb.code, 2, otherDb.stderr);
  assert.match(otherDb.stderr, /database URL/);
  for (const r of [badSlug, upper, dup, noTenant, badTtl, postgres, otherDb]) {
    assert.equal(r.stdout, '', 'nothing on stdout when the command fails');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  // The failed commands changed nothing: still the same tenants, acme still "Acme Inc".
  const list = json<{ slug: string; name: string }[]>(await rollcall(['tenant', 'list', '--json', '--db', dbUrl]));
  assert.deepEqual(list.map((t) => t.slug).sort(), ['acme', 'beta', 'gamma', 'late-comer']);
  assert.equal(list.find((t) => t.slug === 'acme')?.name, 'Acme Inc');
});

test('serve on an empty database says how to create a tenant', async () => {
  const emptyDb = await emptyDatabase();
  const port = await freePort();
  const child = spawn(process.execPath, [...ROLLCALL, 'serve', '--port', String(port), '--db', emptyDb], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve never mentioned "tenant create"; stdout: ${out}\nstderr: ${err}`)), 15_000);
      child.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
        if (out.includes('tenant create')) { clearTimeout(timer); resolvePromise(); }
      });
      child.on('close', () => { clearTimeout(timer); reject(new Error(`serve exited early; stdout: ${out}\nstderr: ${err}`)); });
    });
    assert.match(out, /npx rollcall tenant create/);
    // It is really serving, on the port it was given.
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
  } finally {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
    if (code === 'timeout') child.kill('SIGKILL');
  }
});
test('a command other than serve and migrate refuses a SQLite path with no database, and creates nothing there', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'typo', 'rollcal.db');
  const url = `sqlite:${missing}`;
  const results = await Promise.all([
    rollcall(['tenant', 'create', 'acme', '--db', url]),
    rollcall(['tenant', 'list', '--db', url]),
    rollcall(['token', 'create', 'acme', '--db', url]),
    // The default database (./data/rollcall.db) of a directory that has none.
    new Promise<Result>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [...ROLLCALL, 'tenant', 'list'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
      child.on('error', reject);
      child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    }),
  ]);
  for (const r of results.slice(0, 3)) {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim(), `rollcall: no Rollcall database at ${missing}; run \`rollcall migrate --db ${url}\` to create one`);
  }
  assert.equal(results[3].code, 2, results[3].stderr);
  assert.match(results[3].stderr, /no Rollcall database at \.\/data\/rollcall\.db; run `rollcall migrate --db sqlite:\.\/data\/rollcall\.db`/);
  assert.ok(!existsSync(join(dir, 'typo')), 'no directory was created');
  assert.ok(!existsSync(join(dir, 'data')), 'no default database was created');
});

/** `rollcall serve` as a child process, resolved once /healthz answers (or rejected if it exits first). */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...ROLLCALL, 'serve', ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { output += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { output += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, exited, output: () => output };
}

async function waitUntilServing(url: string, exited: Promise<unknown>, output: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => { gone = true; });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (gone) assert.fail(`serve exited before answering: ${output()}`);
    try { if ((await fetch(`${url}/healthz`)).ok) return; } catch { /* not yet listening */ }
    if (Date.now() > deadline) assert.fail(`serve did not answer within 20 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('serve on a port that is already taken says so and exits with code 2, without a stack trace', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as { port: number }).port;
  try {
    const { exited, output } = await serve(['--port', String(port), '--db', dbUrl]);
    const timer = setTimeout(() => assert.fail('serve did not exit'), 20_000);
    const { code } = await exited;
    clearTimeout(timer);
    assert.equal(code, 2, output());
    assert.match(output(), new RegExp(`rollcall: 127\\.0\\.0\\.1:${port} is already in use .*--port or ROLLCALL_PORT`));
    assert.doesNotMatch(output(), /\n\s+at /, 'no stack trace');
  } finally {
    holder.close();
  }
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`serve stops on ${signal}: closes its connections and the database, frees the port, exits 0`, async (t) => {
    // A SQLite file whatever the run's database: its -wal file shows whether the store was closed.
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, `shutdown-${signal}.db`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { child, exited, output } = await serve(['--port', String(port), '--db', `sqlite:${db}`]);
    await waitUntilServing(url, exited, output);
    // A keep-alive connection left idle must not keep the server from stopping.
    const idle = await fetch(`${url}/healthz`, { headers: { connection: 'keep-alive' } });
    assert.equal(idle.status, 200);
    await idle.text();
    assert.ok(existsSync(`${db}-wal`), 'the database is open in WAL mode while serving');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const { code, signal: killedBy } = await exited;
    clearTimeout(timer);
    assert.equal(killedBy, null, `exited by itself, not killed: ${output()}`);
    assert.equal(code, 0, output());
    assert.match(output(), new RegExp(`${signal} received`));
    // SQLite removes the -wal file when the last connection closes cleanly: the store was closed.
    assert.ok(!existsSync(`${db}-wal`), 'the database was closed');
    // The port is free again.
    const again = createServer();
    await new Promise<void>((resolvePromise, reject) => { again.once('error', reject); again.listen(port, '127.0.0.1', resolvePromise); });
    again.close();
  });
}

test('a PostgreSQL database or role that does not exist: what is missing and how to create it, exit code 2, no stack trace', async (t) => {
  if (!(await postgresAvailable())) { t.skip(`no PostgreSQL at ${PG_ADMIN_URL}`); return; }
  const noDb = new URL(PG_ADMIN_URL);
  noDb.pathname = `/rollcall_missing_${process.pid}`;
  const noRole = new URL(PG_ADMIN_URL);
  noRole.username = `rollcall_nobody_${process.pid}`;
  noRole.password = '';
  const [db, role, served] = await Promise.all([
    rollcall(['tenant', 'list', '--db', noDb.toString()]),
    rollcall(['migrate', '--db', noRole.toString()]),
    rollcall(['serve', '--port', '0', '--db', noDb.toString()]),
  ]);
  const host = `${noDb.hostname}:${noDb.port || 5432}`;
  for (const r of [db, served]) {
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`PostgreSQL at ${host.replace(/\./g, '\\.')} has no database "rollcall_missing_${process.pid}"\\. Create it`));
    assert.match(r.stderr, /CREATE DATABASE/);
  }
  assert.equal(role.code, 2, role.stderr);
  assert.match(role.stderr, new RegExp(`has no role "rollcall_nobody_${process.pid}"\\. Create it .*CREATE ROLE`));
  for (const r of [db, role, served]) {
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
