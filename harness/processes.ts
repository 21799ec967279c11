// Real Rollcall processes (`rollcall serve`, and the CLI, from the build or the sources) on free ports: what the
// multi-process, fault and CLI tests and the benchmarks start, exactly as an operator would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));

/**
 * The `rollcall` command as node arguments: with ROLLCALL_HARNESS_DIST=1 from the build
 * (`bin/rollcall.js`, dist/), as production runs it; otherwise from the TypeScript sources through
 * tsx (named by its full path: a test may run the command in an empty folder). `npm test`
 * (scripts/run-tests.mjs) sets it to 1 when dist/ was built from the sources as they are, so
 * either way the tests exercise the code under review; a process from dist/ starts on about half
 * the CPU (its threads too, which from source load tsx's loader again).
 */
export const ROLLCALL = process.env.ROLLCALL_HARNESS_DIST === '1'
  ? [fileURLToPath(new URL('../bin/rollcall.js', import.meta.url))]
  : ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../src/cli/rollcall.ts', import.meta.url))];

export interface RollcallProcess { url: string; child: ChildProcess; output: () => string; stop(): Promise<void> }

export function cli(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...ROLLCALL, ...args], { encoding: 'utf8', env: { ...process.env, ROLLCALL_LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs the CLI as its own process without blocking this one (a test's server keeps answering),
 * from the repository's root and with none of this process's ROLLCALL_ settings, so the command
 * reads only what its arguments say; killed after `timeoutMs`.
 */
export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROLLCALL_')) env[k] = v;
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [...ROLLCALL, ...args], { cwd: REPOSITORY, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`rollcall ${args.join(' ')} timed out`)); }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

/** Creates (migrating, as a user must first) the database and a tenant through the CLI; returns its token. */
export function createTenantCli(dbUrl: string, slug: string): string {
  const m = cli(['migrate', '--db', dbUrl]);
  if (m.code !== 0) throw new Error(`migrate failed: ${m.stderr}`);
  const r = cli(['tenant', 'create', slug, '--db', dbUrl, '--json']);
  if (r.code !== 0) throw new Error(`tenant create failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

/** Starts `rollcall serve` on a free port; nodeArgs go before the script (e.g. --cpu-prof). */
export async function startProcess(dbUrl: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<RollcallProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...nodeArgs, ...ROLLCALL, 'serve', '--port', String(port), '--db', dbUrl], {
    // The SCIM limits are off unless the caller's environment or `env` says otherwise: tests and the
    // probe send one tenant thousands of requests a second on purpose (docs/rate-limits.md).
    env: { ROLLCALL_RATE_LIMIT: 'off', ...process.env, ROLLCALL_LOG_LEVEL: 'warn', ROLLCALL_PUBLIC_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rollcall exited with ${child.exitCode}: ${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`rollcall did not start in 30 s: ${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port nobody listens on right now (the kernel's pick), for a server started next. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
