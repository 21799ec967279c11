// Serving the console through the real server (docs/console.md "Security"): /console and its pages
// answer the console's shell, /setup/<anything> the setup page's, /console/assets/<path> the files
// under src/console/assets with their content types, ETags and no-cache; every answer carries the
// strict CSP and the other security headers; no URL reaches a file outside the map made at start-up
// (raw paths with "..", encoded dots and slashes, files of other types); ROLLCALL_CONSOLE=off takes
// the console and the session routes away; and inside the library's plugin everything lives under
// the vendor's prefix, the session cookie included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { freePort } from '../../harness/processes.ts';
import { DEFAULTS, loadConfig } from '../../src/config/config.ts';
import { CONSOLE_CSP, CONSOLE_ROOT, registerConsole } from '../../src/http/console/routes.ts';
import { createRollcall } from '../../src/library.ts';
import { openStore } from '../../src/main.ts';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { testDatabase } from '../support/test-database.ts';

let server: TestServer;
const indexHtml = readFileSync(join(CONSOLE_ROOT, 'index.html'), 'utf8');
const setupHtml = readFileSync(join(CONSOLE_ROOT, 'setup.html'), 'utf8');

before(async () => { server = await startTestServer(); });
after(async () => { await server?.close(); });

function assertSecurityHeaders(res: { headers: Headers }, what: string): void {
  assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP, what);
  assert.match(CONSOLE_CSP, /default-src 'none'/);
  assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin', what);
}

/** A request whose path is sent exactly as written (fetch would resolve "..", this does not). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('/console and every console page answer the console shell, with the security headers, an ETag and no-cache', async () => {
  for (const path of ['/console', '/console/', '/console/tenants', '/console/tenants/acme/users/42', '/console/sign-in?next=%2Ftenants']) {
    const res = await fetch(`${server.baseUrl}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/, path);
    assert.equal(await res.text(), indexHtml, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    assert.match(res.headers.get('etag') ?? '', /^"[A-Za-z0-9_-]{27}"$/, path);
    assertSecurityHeaders(res, path);
  }
});

test('/setup and /setup/<anything> answer the setup page shell', async () => {
  for (const path of ['/setup', '/setup/', '/setup/okta', '/setup/whatever/else']) {
    const res = await fetch(`${server.baseUrl}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(await res.text(), setupHtml, path);
    assertSecurityHeaders(res, path);
  }
});

test('assets are served with their content types; an unchanged file answers 304 to its ETag', async () => {
  const expected: Record<string, RegExp> = {
    'console.js': /^text\/javascript; charset=utf-8$/, 'console.css': /^text\/css; charset=utf-8$/, 'icon.svg': /^image\/svg\+xml$/, 'lib/dom.js': /^text\/javascript/,
  };
  for (const [path, type] of Object.entries(expected)) {
    const res = await fetch(`${server.baseUrl}/console/assets/${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', type, path);
    assert.equal(Buffer.from(await res.arrayBuffer()).toString('utf8'), readFileSync(join(CONSOLE_ROOT, 'assets', path), 'utf8'), path);
    assertSecurityHeaders(res, path);
    const etag = res.headers.get('etag')!;
    const again = await fetch(`${server.baseUrl}/console/assets/${path}`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304, path);
    assert.equal(await again.text(), '');
    assertSecurityHeaders(again, `${path} (304)`);
    const changed = await fetch(`${server.baseUrl}/console/assets/${path}`, { headers: { 'if-none-match': '"something-else"' } });
    assert.equal(changed.status, 200);
  }
});

test('no URL reaches a file outside the asset map: traversal, encoded dots and slashes, other file types, unknown files', async () => {
  for (const path of [
    '/console/assets/../../package.json', '/console/assets/../index.html', '/console/assets/lib/../../../config/config.ts',
    '/console/assets/%2e%2e/%2e%2e/package.json', '/console/assets/..%2f..%2fpackage.json', '/console/assets/%2e%2e%2ftsconfig.json',
    '/console/assets/nope.js', '/console/assets/', '/console/assets', '/console/assets/lib', '/console/assets//etc/passwd',
    '/console/assets/console.js%00.png', '/console/assets/C:%5cwindows%5cwin.ini',
  ]) {
    const res = await rawGet(server.baseUrl, path);
    assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
    assert.ok(!res.body.includes('"name": "rollcall"') && !res.body.includes('compilerOptions') && !res.body.includes('<!doctype'), `${path} leaked a file: ${res.body.slice(0, 100)}`);
  }
  const res = await fetch(`${server.baseUrl}/console/assets/nope.js`);
  assert.equal(res.status, 404);
  assertSecurityHeaders(res, 'a 404 of the console');
});

test('files are read once at start-up: regular files of the served types only, never through a symlink', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rollcall-console-'));
  const outside = mkdtempSync(join(tmpdir(), 'rollcall-outside-'));
  try {
    mkdirSync(join(root, 'assets', 'pages'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'assets', 'pages', 'a.js'), 'export {};');
    writeFileSync(join(root, 'assets', 'notes.md'), '# not served');
    writeFileSync(join(root, 'assets', 'secret.ts'), 'export const x = 1;');
    writeFileSync(join(outside, 'secret.js'), 'secret');
    symlinkSync(join(outside, 'secret.js'), join(root, 'assets', 'linked.js'));
    symlinkSync(outside, join(root, 'assets', 'linked-dir'));
    const app = Fastify();
    await app.register(async (scope) => registerConsole(scope, { config: loadConfig({}, {}), root }));
    const port = await freePort();
    await app.listen({ host: '127.0.0.1', port });
    try {
      const base = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${base}/console/assets/pages/a.js`)).status, 200);
      for (const p of ['notes.md', 'secret.ts', 'linked.js', 'linked-dir/secret.js']) assert.equal((await fetch(`${base}/console/assets/${p}`)).status, 404, p);
      // A file added after start-up is not served either.
      writeFileSync(join(root, 'assets', 'late.js'), 'export {};');
      assert.equal((await fetch(`${base}/console/assets/late.js`)).status, 404);
      // No setup.html in this folder: /setup says so, without an error.
      const setup = await fetch(`${base}/setup/x`);
      assert.equal(setup.status, 404);
      assert.match(await setup.text(), /not installed/);
    } finally { await app.close(); }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('ROLLCALL_CONSOLE=off: no /console, no /setup, no session routes, and a session cookie authenticates nothing', async () => {
  const off = await startTestServer({ config: { console: { ...DEFAULTS.console, enabled: false } } });
  try {
    assert.equal(loadConfig({}, { ROLLCALL_CONSOLE: 'off' }).console.enabled, false, 'the variable turns it off');
    for (const path of ['/console', '/console/tenants', '/setup/x', '/console/assets/console.js']) assert.equal((await fetch(`${off.baseUrl}${path}`)).status, 404, path);
    const key = (await createAdminKey(off.running.store, { name: 'k', scope: 'admin', ttlMs: null })).key;
    const signIn = await fetch(`${off.baseUrl}/admin/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    assert.equal(signIn.status, 404);
    assert.equal(signIn.headers.get('set-cookie'), null);
    const setup = await fetch(`${off.baseUrl}/admin/v1/setup/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"rcl_x"}' });
    assert.equal(setup.status, 404);
    // A cookie made while the console was on (same database) counts for nothing now.
    const on = await fetch(`${server.baseUrl}/admin/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${(await createAdminKey(server.running.store, { name: 'k', scope: 'admin', ttlMs: null })).key}` } });
    const cookie = on.headers.getSetCookie()[0].split(';')[0];
    assert.equal((await fetch(`${off.baseUrl}/admin/v1/tenants`, { headers: { cookie } })).status, 401);
  } finally { await off.close(); }
});

test('the console settings come from the environment, within bounds', () => {
  const c = loadConfig({}, { ROLLCALL_CONSOLE_SESSION_HOURS: '8', ROLLCALL_CONSOLE_IDLE_MINUTES: '15' }).console;
  assert.deepEqual(c, { enabled: true, sessionHours: 8, idleMinutes: 15 });
  assert.deepEqual(loadConfig({}, {}).console, { enabled: true, sessionHours: 12, idleMinutes: 30 });
  for (const [name, value] of [['ROLLCALL_CONSOLE_SESSION_HOURS', '0'], ['ROLLCALL_CONSOLE_IDLE_MINUTES', 'x'], ['ROLLCALL_CONSOLE', 'maybe']]) {
    assert.throws(() => loadConfig({}, { [name]: value }), new RegExp(name));
  }
});

test('inside the library plugin the console, the setup page and the session cookie live under the prefix', async () => {
  const db = await testDatabase();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const rc = await createRollcall({ database: db.url, publicUrl: `${origin}/identity` });
  const app = Fastify();
  await app.register(rc.plugin, { prefix: '/identity' });
  await app.listen({ host: '127.0.0.1', port });
  try {
    const page = await fetch(`${origin}/identity/console/tenants`);
    assert.equal(page.status, 200);
    // The shell's own URLs ("/console/assets/…") carry the prefix, so its modules load from under it.
    const html = await page.text();
    assert.equal(html, indexHtml.replaceAll('="/console/', '="/identity/console/'));
    assert.match(html, /src="\/identity\/console\/assets\/console\.js"/);
    assert.doesNotMatch(html, /="\/console\//);
    assert.match(await (await fetch(`${origin}/identity/setup/x`)).text(), /href="\/identity\/console\/assets\/console\.css"/);
    assertSecurityHeaders(page, 'embedded');
    assert.equal((await fetch(`${origin}/identity/setup/x`)).status, 200);
    assert.equal((await fetch(`${origin}/identity/console/assets/console.js`)).status, 200);
    assert.equal((await fetch(`${origin}/console`)).status, 404, 'nothing outside the prefix');
    // An admin key, made in the same database, signs in under the prefix: the cookie's Path is the prefix.
    const keyStore = await openStore(loadConfig({ databaseUrl: db.url }, {}));
    const key = (await createAdminKey(keyStore, { name: 'embedded', scope: 'admin', ttlMs: null })).key;
    await keyStore.close();
    const signIn = await fetch(`${origin}/identity/admin/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    assert.equal(signIn.status, 201);
    const setCookie = signIn.headers.getSetCookie()[0];
    assert.match(setCookie, /; Path=\/identity\/;/);
    const cookie = setCookie.split(';')[0];
    assert.equal((await fetch(`${origin}/identity/admin/v1/tenants`, { headers: { cookie } })).status, 200);
    const tenant = await fetch(`${origin}/identity/admin/v1/tenants`, {
      method: 'POST', headers: { cookie, 'x-csrf-token': (await signIn.json()).csrfToken, 'content-type': 'application/json', origin }, body: '{"slug":"embedded"}',
    });
    assert.equal(tenant.status, 201, await tenant.text());
    const made = await fetch(`${origin}/identity/admin/v1/tenants/embedded/setup-links`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
    assert.match((await made.json()).url, new RegExp(`^${origin}/identity/setup/#rcl_`));
  } finally {
    await app.close();
    await rc.close();
    await db.drop();
  }
});
