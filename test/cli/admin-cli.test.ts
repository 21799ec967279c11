// The admin commands of the `rollcall` CLI, run as an operator runs them (child processes, from the
// sources), against one database shared with a running `rollcall serve` (a SQLite file, or
// PostgreSQL with ROLLCALL_TEST_DATABASE=postgres): what the CLI does is what the server's admin
// API and SCIM endpoints see, at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, ROLLCALL } from '../../harness/processes.ts';
import { adminRequest, scim } from '../support/admin.ts';
import { testDatabase } from '../support/test-database.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Result { code: number | null; stdout: string; stderr: string }

/** The environment of an operator who set no ROLLCALL_* variable. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROLLCALL_')) env[k] = v;
  return env;
}

function rollcall(...args: string[]): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...ROLLCALL, ...args, '--db', dbUrl], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`rollcall ${args.join(' ')} timed out`)); }, 30_000);
    child.on('error', fail);
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

function json<T = any>(r: Result): T {
  assert.equal(r.code, 0, `exit code 0 expected; stderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A refusal: exit code 2 and one line on stderr starting "rollcall:", no stack trace. */
function refused(r: Result, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code 2 expected; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.match(r.stderr, /^rollcall: /);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

let dbUrl: string;
let drop: () => Promise<void>;
let serveChild: ChildProcess | undefined;
let serveOutput = '';
let base: string;
const secrets: string[] = [];

/** `rollcall serve` on the shared database; resolves once its log holds `until`. */
async function startServe(until: RegExp): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...ROLLCALL, 'serve', '--port', String(port), '--db', dbUrl], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve never logged ${until}: ${out}`)), 30_000);
    const seen = (d: string) => { out += d; if (until.test(out)) { clearTimeout(timer); done(); } };
    child.stdout.setEncoding('utf8').on('data', seen);
    child.stderr.setEncoding('utf8').on('data', seen);
    child.once('exit', () => { clearTimeout(timer); fail(new Error(`serve exited: ${out}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false)); i++) {
    assert.ok(i < 200, 'serve answers /healthz');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, output: () => out };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const admin = (key: string, method: string, path: string, body?: unknown) => adminRequest(base, method, path, { key, body });

before(async () => {
  ({ url: dbUrl, drop } = await testDatabase());
  const m = await rollcall('migrate');
  assert.equal(m.code, 0, m.stderr);
});
after(async () => {
  await stop(serveChild);
  await drop?.();
});

test('serve with no admin key says in plain words how to create one, and the admin API refuses every request', async () => {
  const s = await startServe(/No admin API key yet/);
  serveChild = s.child;
  base = s.url;
  serveChild.stdout!.on('data', (d) => { serveOutput += d; });
  serveChild.stderr!.on('data', (d) => { serveOutput += d; });
  serveOutput = s.output();
  assert.match(serveOutput, /rollcall admin-key create --name/);
  assert.match(serveOutput, /never written to this log/);
  assert.match(serveOutput, new RegExp(`The console is at ${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/console`), 'serve names where the console is');
  assert.doesNotMatch(serveOutput, /rca_[0-9A-Za-z]{10}/, 'no key in the log');
  const res = await adminRequest(base, 'GET', '/tenants');
  assert.equal(res.status, 401);
});

let adminKey: { id: string; key: string };

test('admin-key create prints the key once; it works on the running server at once', async () => {
  adminKey = json(await rollcall('admin-key', 'create', '--name', 'ops laptop', '--json'));
  secrets.push(adminKey.key);
  assert.match(adminKey.key, /^rca_[0-9A-Za-z]{49}$/);
  assert.match(adminKey.id, /^ak_/);
  const res = await admin(adminKey.key, 'GET', '/tenants');
  assert.equal(res.status, 200, res.text);
  const plain = await rollcall('admin-key', 'create', '--name', 'second key', '--scope', 'read', '--expires-in', '30d');
  assert.equal(plain.code, 0, plain.stderr);
  const key = /rca_[0-9A-Za-z]{49}/.exec(plain.stdout)?.[0];
  assert.ok(key, plain.stdout);
  secrets.push(key);
  assert.match(plain.stdout, /shown only this once/);
  assert.match(plain.stdout, /scope read/);
  assert.equal((await admin(key, 'GET', '/tenants')).status, 200);
  assert.equal((await admin(key, 'POST', '/tenants', { slug: 'nope' })).status, 403, 'a read key made by the CLI cannot write');
});

test('admin-key create refuses a scope that is not one and a name that is empty', async () => {
  const bad = await rollcall('admin-key', 'create', '--name', 'x', '--scope', 'root');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /root/);
  refused(await rollcall('admin-key', 'create', '--name', '  '), /name/);
  refused(await rollcall('admin-key', 'create', '--name', 'x', '--expires-in', 'forever'), /duration/);
});

test('admin-key list shows every key with name, scope, hint and last use, never a key or its hash', async () => {
  const list = json<any[]>(await rollcall('admin-key', 'list', '--json'));
  const mine = list.find((k) => k.id === adminKey.id);
  assert.equal(mine.name, 'ops laptop');
  assert.equal(mine.scope, 'admin');
  assert.equal(mine.hint, adminKey.key.slice(-4));
  assert.ok(mine.lastUsedAt, 'the use on the server is recorded');
  assert.equal(list.length, 2);
  const plain = await rollcall('admin-key', 'list');
  assert.equal(plain.code, 0);
  assert.match(plain.stdout, new RegExp(`${adminKey.id}\\tops laptop\\tadmin\\t…${adminKey.key.slice(-4)}\\tlive`));
  for (const out of [JSON.stringify(list), plain.stdout]) {
    for (const s of secrets) assert.ok(!out.includes(s) && !out.includes(sha256(s)), 'no key and no hash listed');
  }
});

test('admin-key revoke stops the key on the running server at the next request; again, or an unknown id, is refused', async () => {
  const doomed = json(await rollcall('admin-key', 'create', '--name', 'to revoke', '--json'));
  secrets.push(doomed.key);
  assert.equal((await admin(doomed.key, 'GET', '/tenants')).status, 200);
  const r = await rollcall('admin-key', 'revoke', doomed.id);
  assert.equal(r.code, 0, r.stderr);
  const res = await admin(doomed.key, 'GET', '/tenants');
  assert.equal(res.status, 401);
  assert.match(res.body.detail, /revoked/);
  refused(await rollcall('admin-key', 'revoke', doomed.id), /already revoked/);
  refused(await rollcall('admin-key', 'revoke', 'ak_000000000000'), /no admin key/);
  assert.equal((await admin(adminKey.key, 'GET', '/tenants')).status, 200, 'other keys keep working');
});

let acme: { tenant: { id: string; slug: string }; token: string; tokenId: string };
let other: { tenant: { id: string; slug: string }; token: string; scimUrl: string };

test('tenant update renames the tenant the server serves; an unknown slug or an empty name is refused', async () => {
  acme = json(await rollcall('tenant', 'create', 'acme', '--name', 'Acme', '--json'));
  other = json(await rollcall('tenant', 'create', 'globex', '--json'));
  secrets.push(acme.token, other.token);
  const r = await rollcall('tenant', 'update', 'acme', '--name', 'Acme Corporation');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Acme Corporation/);
  assert.equal((await admin(adminKey.key, 'GET', '/tenants/acme')).body.name, 'Acme Corporation');
  refused(await rollcall('tenant', 'update', 'nosuch', '--name', 'x'), /nosuch/);
  refused(await rollcall('tenant', 'update', 'acme', '--name', ' '), /empty/);
  assert.equal((await admin(adminKey.key, 'GET', '/tenants/acme')).body.name, 'Acme Corporation');
});

test('token rotate prints a new token; both work on the server until the old one expires at --old-expires-at', async () => {
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const r = json(await rollcall('token', 'rotate', 'acme', acme.tokenId, '--old-expires-at', until, '--json'));
  secrets.push(r.token);
  assert.match(r.token, /^rcs_/);
  assert.notEqual(r.tokenId, acme.tokenId);
  assert.deepEqual(r.previous, { tokenId: acme.tokenId, expiresAt: until });
  const scimUrl = `${base}/scim/v2/acme/Users`;
  assert.equal((await scim(scimUrl, acme.token)).status, 200, 'the old token during the overlap');
  assert.equal((await scim(scimUrl, r.token)).status, 200, 'the new token');
  const tokens = (await admin(adminKey.key, 'GET', '/tenants/acme/tokens')).body.data;
  assert.equal(tokens.find((t: { id: string }) => t.id === acme.tokenId).expiresAt, until);
  const plain = await rollcall('token', 'rotate', 'acme', r.tokenId);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /keeps working until \d{4}-\d\d-\d\dT/);
  const third = /rcs_[0-9A-Za-z]{49}/.exec(plain.stdout)?.[0];
  assert.ok(third);
  secrets.push(third);
  assert.equal((await scim(scimUrl, third)).status, 200);
  acme.token = r.token;
  acme.tokenId = r.tokenId;
});

test('token rotate refuses a time in the past, an unknown token and a revoked one', async () => {
  refused(await rollcall('token', 'rotate', 'acme', acme.tokenId, '--old-expires-at', '2000-01-01T00:00:00Z'), /past/);
  refused(await rollcall('token', 'rotate', 'acme', 'tok_000000000000'), /no token/);
  const extra = json(await rollcall('token', 'create', 'acme', '--json'));
  secrets.push(extra.token);
  assert.equal((await rollcall('token', 'revoke', 'acme', extra.tokenId)).code, 0);
  refused(await rollcall('token', 'rotate', 'acme', extra.tokenId), /revoked/);
});

test('tenant delete needs --confirm with the slug; with it, the tenant, its users and its tokens are gone and the other tenant is untouched', async () => {
  const u = await scim(`${base}/scim/v2/acme/Users`, acme.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'doomed@example.com' });
  assert.equal(u.status, 201, u.text);
  const o = await scim(`${other.scimUrl.replace(/^https?:\/\/[^/]+/, base)}/Users`, other.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'safe@example.com' });
  assert.equal(o.status, 201, o.text);

  const missing = await rollcall('tenant', 'delete', 'acme');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--confirm/);
  refused(await rollcall('tenant', 'delete', 'acme', '--confirm', 'globex'), /confirm/);
  assert.equal((await admin(adminKey.key, 'GET', '/tenants/acme')).status, 200, 'nothing deleted yet');
  assert.equal((await scim(`${base}/scim/v2/acme/Users`, acme.token)).status, 200);

  const r = await rollcall('tenant', 'delete', 'acme', '--confirm', 'acme');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 user\(s\) and 0 group\(s\)/);
  assert.equal((await admin(adminKey.key, 'GET', '/tenants/acme')).status, 404);
  assert.equal((await scim(`${base}/scim/v2/acme/Users`, acme.token)).status, 401, "the deleted tenant's token stops working on the running server");
  const survivors = await scim(`${base}/scim/v2/globex/Users`, other.token);
  assert.equal(survivors.status, 200);
  assert.equal(survivors.body.totalResults, 1);
  refused(await rollcall('tenant', 'delete', 'acme', '--confirm', 'acme'), /acme/);
});

test('what the CLI did is in the audit log as "rollcall CLI", with no secret in it', async () => {
  const entries = (await admin(adminKey.key, 'GET', '/audit?limit=500')).body.data as any[];
  const actions = entries.map((e) => e.action);
  for (const a of ['adminKey.create', 'adminKey.revoke', 'tenant.update', 'token.rotate', 'tenant.delete']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
  for (const e of entries) {
    assert.equal(e.keyId, null);
    assert.equal(e.keyName, 'rollcall CLI');
  }
  const del = entries.find((e) => e.action === 'tenant.delete');
  assert.equal(del.targetId, acme.tenant.id);
  const text = JSON.stringify(entries);
  for (const s of secrets) assert.ok(!text.includes(s) && !text.includes(sha256(s)), 'no secret or hash in the audit log');
});

test('tenant create, token create and token revoke by the CLI are in the audit log too', async () => {
  const made = json(await rollcall('tenant', 'create', 'initech', '--json'));
  secrets.push(made.token);
  const extra = json(await rollcall('token', 'create', 'initech', '--json'));
  secrets.push(extra.token);
  assert.equal((await rollcall('token', 'revoke', 'initech', extra.tokenId)).code, 0);
  const actions = ((await admin(adminKey.key, 'GET', '/audit?tenant=initech')).body.data as { action: string }[]).map((e) => e.action);
  assert.deepEqual(actions, ['token.revoke', 'token.create', 'token.create', 'tenant.create']);
});

test('serve never wrote a key or token into its log; once a key exists a new serve no longer asks for one', async () => {
  for (const s of secrets) assert.ok(!serveOutput.includes(s), 'no secret in the server log');
  const again = await startServe(/tenant\(s\):/);
  try {
    assert.doesNotMatch(again.output(), /No admin API key yet/);
  } finally { await stop(again.child); }
});
