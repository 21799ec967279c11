#!/usr/bin/env node
// `npm test`: every *.test.ts under src/ and test/ on the embedded SQLite, then the HTTP contract,
// transcript, external-suite, library, CLI, fault and SAML tests again on PostgreSQL (ROLLCALL_TEST_DATABASE=postgres).
// The PostgreSQL pass is mandatory under CI=true; elsewhere it is skipped, saying so, when no
// server answers at ROLLCALL_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// Arguments narrow the run to files or folders, in one pass on the database the environment names.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { distIsFresh } from './build.mjs';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = (roots) => roots.flatMap((r) => (r.endsWith('.ts') ? [r] : find(r))).sort();
const summaryDir = mkdtempSync(join(tmpdir(), 'rollcall-tests-'));

// Test files run two at a time, or one per core where there are more: most of a file's time is spent
// waiting (for a server, a child process, a browser, a timer), and node's default on a 2-core machine
// is one at a time. ROLLCALL_TEST_CONCURRENCY overrides it.
const concurrency = Number(process.env.ROLLCALL_TEST_CONCURRENCY) || Math.max(2, availableParallelism());
// Files that change the checkout itself run on their own, before the others: the package test's
// `npm pack` rebuilds dist/ (deleting it first) when dist/ is not built from the sources as they are
// (scripts/build.mjs). When it is, the build does nothing and the package test runs with the rest.
const distFresh = distIsFresh();
const ALONE = distFresh ? [] : ['test/package/pack.test.ts'];

/** Runs a pass: the files that must run alone first, one at a time, then the rest side by side. */
function pass(label, list, env = {}) {
  const alone = list.filter((f) => ALONE.includes(f.split('\\').join('/')));
  const rest = list.filter((f) => !alone.includes(f));
  const parts = [];
  if (alone.length) parts.push(run(`${label}, alone`, alone, env, 1));
  if (rest.length) parts.push(run(label, rest, env, concurrency));
  return parts.reduce((a, b) => ({ status: a.status || b.status, passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped }));
}

/** Runs node's test runner: spec to the terminal, and a JSON summary (scripts/test-summary.mjs) to a file for the totals. */
function run(label, list, env, parallel) {
  console.log(`\n=== ${label}: ${list.length} test files, ${parallel} at a time ===\n`);
  const out = join(summaryDir, `${label.replace(/\W+/g, '-')}.json`);
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', '--test', `--test-concurrency=${parallel}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${fileURLToPath(new URL('test-summary.mjs', import.meta.url))}`, `--test-reporter-destination=${out}`,
    ...list,
  ], { stdio: 'inherit', env: { ...process.env, ...env } });
  const summary = (() => { try { return JSON.parse(readFileSync(out, 'utf8')); } catch { return { counts: {}, tests: [], files: {} }; } })();
  const count = (k) => summary.counts[k] ?? 0;
  // Where the pass's time went: its slowest top-level tests and suites, and its slowest files.
  const seconds = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;
  const tests = summary.tests.sort((a, b) => b[1] - a[1]);
  if (tests.length > 5) console.log(`\n${label}, slowest:\n${tests.slice(0, 10).map(([name, ms]) => `  ${seconds(ms)}  ${name.slice(0, 110)}`).join('\n')}`);
  const files = Object.entries(summary.files).map(([file, ms]) => [relative(process.cwd(), file), ms]).sort((a, b) => b[1] - a[1]);
  if (files.length > 5) console.log(`\n${label}, slowest files (the sum of their tests; ${parallel} at a time):\n${files.slice(0, 10).map(([file, ms]) => `  ${seconds(ms)}  ${file}`).join('\n')}`);
  return { status: r.status ?? 1, passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') };
}

async function postgresReachable() {
  const url = process.env.ROLLCALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try { await client.connect(); return { ok: true, url }; } catch (err) { return { ok: false, url, why: err.message }; } finally { await client.end().catch(() => {}); }
}

// The Rollcall processes tests start (the CLI, `rollcall serve`: harness/processes.ts) run from dist/
// when it was built from the sources as they are (scripts/build.mjs writes their hash), as
// production runs them: about half the CPU of starting each through tsx. Otherwise from the sources,
// saying so. ROLLCALL_HARNESS_DIST=0 or 1 decides instead.
if (process.env.ROLLCALL_HARNESS_DIST === undefined) {
  process.env.ROLLCALL_HARNESS_DIST = distFresh ? '1' : '0';
  console.log(distFresh
    ? '# Rollcall processes started by the tests run from dist/ (built from these sources)'
    : '# Rollcall processes started by the tests run from the sources through tsx: dist/ is missing or older than src/ (`npm run build` makes those tests faster)');
}

const args = process.argv.slice(2);
const results = [];
if (args.length) {
  results.push(pass('selected', files(args)));
} else {
  results.push(pass('SQLite (all tests)', files(['src', 'test'])));
  const pgState = await postgresReachable();
  if (pgState.ok) {
    results.push(pass('PostgreSQL (HTTP contract, events, transcripts, external suites, library, CLI, faults, SAML)', files(['test/http', 'test/events', 'test/conformance', 'test/library', 'test/cli', 'test/faults', 'test/saml']), { ROLLCALL_TEST_DATABASE: 'postgres' }));
  } else if (process.env.CI === 'true') {
    console.error(`\nCI=true: the PostgreSQL tests are mandatory, but ${pgState.url} is unreachable (${pgState.why}).`);
    results.push({ status: 1, passed: 0, failed: 1, skipped: 0 });
  } else {
    console.log(`\n# PostgreSQL pass SKIPPED: ${pgState.url} is unreachable (${pgState.why}). Set ROLLCALL_TEST_PG_URL or start PostgreSQL to run it.`);
  }
}
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
console.log(`\ntotal: ${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
