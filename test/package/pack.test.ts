// The package as a user installs it: `npm pack` (which builds dist/ through `prepare`, unless dist/ is
// already built from these sources: scripts/build.mjs), the tarball installed into an empty folder,
// and there the compiled `rollcall` command: --version, migrate, tenant create, and `rollcall serve`
// answering one SCIM request, then stopping on SIGTERM. Then the library entry point as a vendor's
// TypeScript app meets it: examples/embedded/ compiled by tsc against the installed package's types,
// started, and answering SCIM under its /identity prefix.
// Nothing here runs TypeScript: the installed package has no tsx and no sources.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { freePort } from '../../harness/processes.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const tmp = mkdtempSync(join(tmpdir(), 'rollcall-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The environment of a user who set no ROLLCALL_* variable, with this test's node first on PATH, so
 * that npm, its install scripts and the `rollcall` bin run on the Node.js running this test (the
 * CI's Node 24 pass included).
 */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROLLCALL_')) out[k] = v;
  return { ...out, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: env(extra), encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r;
}

test('the packed package installs into an empty folder and serves SCIM from compiled JavaScript', { timeout: 600_000 }, async () => {
  // 1. Pack, as `npm publish` would: `prepare` builds dist/ first.
  // (--json output follows whatever the build printed.)
  const packOut = run('npm', ['pack', '--json', '--pack-destination', tmp], ROOT).stdout;
  const packed = JSON.parse(packOut.slice(packOut.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  const files = packed[0].files.map((f) => f.path);
  for (const f of ['bin/rollcall.js', 'dist/cli/rollcall.js', 'dist/library.js', 'dist/library.d.ts', 'dist/main.js', 'dist/store/sqlite/migrations/001-initial.sql', 'dist/store/postgres/migrations/001-initial.sql', 'package.json', 'README.md']) {
    assert.ok(files.includes(f), `the package contains ${f}`);
  }
  assert.deepEqual(files.filter((f) => /^(src|test|bench|scripts)\//.test(f) || f.endsWith('.test.js') || f.includes('/contract/')), [], 'no sources, tests or benchmarks in the package');

  // 2. Install the tarball into an empty folder. better-sqlite3's install script (prebuild-install)
  // would download a prebuilt binary or else compile SQLite for minutes; a user's machine reaches the
  // download, this one reaches only the npm registry. So this test hands prebuild-install the binary
  // already built in this checkout, for this Node.js, as a "local prebuild" (the file name it looks
  // for: better-sqlite3-v<version>-node-v<ABI>-<platform>-<arch>.tar.gz); everything else, the
  // install script included, runs as it does for a user. Packages come from npm's cache when there.
  const sqlite = JSON.parse(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  const prebuilds = join(tmp, 'prebuilds');
  mkdirSync(prebuilds);
  const prebuild = `better-sqlite3-v${sqlite.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  run('tar', ['-czf', join(prebuilds, prebuild), '-C', join(ROOT, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'], ROOT);
  const app = join(tmp, 'app');
  mkdirSync(app);
  // "type": "module", as the example vendor app (examples/embedded/package.json) has it.
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'rollcall-pack-test', private: true, type: 'module' }));
  // better-sqlite3 is pinned to the version built here (the package allows any 12.x from it on);
  // fastify and @types/node are what the example app itself depends on, at the versions used here.
  const versionOf = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, packed[0].filename), `better-sqlite3@${sqlite.version}`,
    `fastify@${versionOf('fastify')}`, `@types/node@${versionOf('@types/node')}`], app, { npm_config_better_sqlite3_local_prebuilds: prebuilds });
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  assert.equal(installed.version, sqlite.version);
  // The binary is the one handed over, not a compiled one (which would leave its object files).
  assert.ok(!existsSync(join(app, 'node_modules/better-sqlite3/build/Release/obj.target')), 'better-sqlite3 came from the local prebuild');
  assert.ok(!existsSync(join(app, 'node_modules/tsx')), 'no TypeScript loader is installed with the package');

  // 3. The command, as `npx rollcall`: the version of the package it came from.
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(run('npx', ['--no', '--', 'rollcall', '--version'], app).stdout.trim(), version);

  // 4. The library entry point (package.json "exports") loads.
  const lib = run(process.execPath, ['--input-type=module', '-e', "const m = await import('rollcall'); console.log(typeof m.createRollcall);"], app);
  assert.equal(lib.stdout.trim(), 'function');

  // 5. migrate, tenant create, serve one request, stop on SIGTERM.
  const bin = join(app, 'node_modules/.bin/rollcall');
  const db = `sqlite:${join(tmp, 'data', 'rollcall.db')}`;
  run(bin, ['migrate', '--db', db], app);
  const created = JSON.parse(run(bin, ['tenant', 'create', 'x', '--json', '--db', db], app).stdout) as { token: string };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--port', String(port), '--db', db], { cwd: app, env: env({ ROLLCALL_PUBLIC_URL: url, ROLLCALL_LOG_LEVEL: 'warn' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.setEncoding('utf8').on('data', (d: string) => { output += d; });
  server.stderr.setEncoding('utf8').on('data', (d: string) => { output += d; });
  const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.equal(server.exitCode, null, `rollcall serve exited: ${output}`);
      try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not listening yet */ }
      assert.ok(Date.now() < deadline, `rollcall serve did not listen within 30 s: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${url}/scim/v2/x/Users`, { headers: { authorization: `Bearer ${created.token}` } });
    const body = await res.json() as { schemas: string[]; totalResults: number };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    assert.equal(body.totalResults, 0);
  } finally {
    server.kill('SIGTERM');
  }
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  assert.equal(code, 0, `rollcall serve stops cleanly on SIGTERM: ${output}`);
});

test('the example vendor app (examples/embedded) type-checks against the installed package, starts, and serves SCIM under /identity', { timeout: 600_000 }, async () => {
  // Runs after the test above, in the folder where it installed the package.
  const app = join(tmp, 'app');
  assert.ok(existsSync(join(app, 'node_modules/rollcall/package.json')), 'the package was installed by the test before');
  const example = join(tmp, 'example');
  mkdirSync(example);
  for (const f of ['server.ts', 'deactivated-report.ts', 'events-follower.ts', 'tsconfig.json', 'package.json']) writeFileSync(join(example, f), readFileSync(join(ROOT, 'examples/embedded', f)));
  // The example's dependencies are the ones just installed: a vendor's `npm install` in its own folder.
  symlinkSync(join(app, 'node_modules'), join(example, 'node_modules'), 'dir');

  // 1. Type-check and compile it with our TypeScript (the example's `npm run build`), strict, with
  // the library's declarations checked too (no skipLibCheck): a broken .d.ts in dist/ fails here.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  run(process.execPath, [tsc, '-p', example], example);
  assert.ok(existsSync(join(example, 'dist/server.js')));
  assert.ok(existsSync(join(example, 'dist/deactivated-report.js')), 'the admin client script (rollcall/client) compiled too');

  // 2. Start it (`npm start`), onboard an organisation through the app's own API, and use the SCIM
  // base URL and token it hands out as an IdP would.
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: example, env: env({ PORT: String(port), DATABASE_URL: `sqlite:${join(tmp, 'example.db')}`, LOG_LEVEL: 'warn' }), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { output += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { output += d; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.equal(child.exitCode, null, `the example exited: ${output}`);
      try { if ((await fetch(`${origin}/api/health`)).ok) break; } catch { /* not listening yet */ }
      assert.ok(Date.now() < deadline, `the example did not listen within 30 s: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const onboarded = await fetch(`${origin}/api/organisations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'acme', name: 'Acme' }) });
    const org = await onboarded.json() as { scimUrl: string; token: string };
    assert.equal(onboarded.status, 201, JSON.stringify(org));
    assert.equal(org.scimUrl, `${origin}/identity/scim/v2/acme`);
    const auth = { authorization: `Bearer ${org.token}` };
    const spc = await fetch(`${org.scimUrl}/ServiceProviderConfig`, { headers: auth });
    const config = await spc.json() as { meta: { location: string } };
    assert.equal(spc.status, 200, JSON.stringify(config));
    assert.match(spc.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.equal(config.meta.location, `${org.scimUrl}/ServiceProviderConfig`);
    const created = await fetch(`${org.scimUrl}/Users`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@acme.example', active: true }),
    });
    assert.equal(created.status, 201);
    const people = await (await fetch(`${origin}/api/organisations/acme/people?startsWith=ada`)).json() as { total: number; people: { userName: string }[] };
    assert.deepEqual(people.people.map((p) => p.userName), ['ada@acme.example'], 'the app reads what the IdP pushed');
  } finally {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  assert.equal(code, 0, `the example stops cleanly on SIGTERM: ${output}`);
});

test('the on-call veto example (examples/on-call-veto) type-checks against the installed package', { timeout: 600_000 }, () => {
  // Its rule runs in test/http/policies-vetoes.test.ts; here its wiring (rc.before, rc.on) meets the
  // package's declarations, strict and without skipLibCheck, as a vendor's `npm run build` would.
  const app = join(tmp, 'app');
  assert.ok(existsSync(join(app, 'node_modules/rollcall/package.json')), 'the package was installed by the first test');
  const example = join(tmp, 'on-call-veto');
  mkdirSync(example);
  for (const f of ['server.ts', 'on-call.ts', 'tsconfig.json', 'package.json']) writeFileSync(join(example, f), readFileSync(join(ROOT, 'examples/on-call-veto', f)));
  symlinkSync(join(app, 'node_modules'), join(example, 'node_modules'), 'dir');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  run(process.execPath, [tsc, '-p', example], example);
  assert.ok(existsSync(join(example, 'dist/server.js')));
  assert.ok(existsSync(join(example, 'dist/on-call.js')));
});
