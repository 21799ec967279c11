// npm run bench:request-log [-- --db sqlite|postgres] [--users N] [--rounds R] [--seconds S] [--only TEXT] [--max-steal PERCENT]
// (ROLLCALL_HARNESS_DIST=1 runs the processes from the build, as production does: harness/processes.ts)
// What the SCIM request log costs, in one run (issue 13's budget: the bench's read and write
// workloads within 10% of their figures without it). Two Rollcall processes serve the same seeded
// database, one with ROLLCALL_REQUEST_LOG=on and one with it off; each workload is driven on both
// in turn, R rounds of S seconds each, the order flipped every round (on/off, off/on, …), so the
// drift of a shared machine and of a growing database falls on both sides alike. Reports the median
// req/s and the server's CPU µs per request (all its threads, the log's writer thread included) of
// each side, and on ÷ off. The log's writer thread may finish a run's rows after the run (it
// commits 1,000 rows or 250 ms at a time): each "on" run is counted until the log has caught up (its row count
// still for a second), so its CPU per request includes every row it wrote, and the next run does
// not pay for them. The rows written are checked against the requests sent. Results: a table on stdout and JSON under bench/results/request-log/.
import { mkdirSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pgDriver from 'pg';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { scratchDatabase } from '../harness/databases.ts';
import { createTenantCli, startProcess, type RollcallProcess } from '../harness/processes.ts';
import { GROUP_SCHEMA as GROUP, USER_SCHEMA as USER } from '../src/scim/schemas/core.ts';
import { PATCH_SCHEMA as PATCH } from '../src/scim/patch.ts';
import { cpuSeconds, machineTicks, stealShare } from './proc.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const DB = option('db', 'sqlite') === 'postgres' ? 'postgres' : 'sqlite';
const USERS = Number(option('users', '5000'));
const ROUNDS = Number(option('rounds', '4'));
const SECONDS = Number(option('seconds', '3'));
const ONLY = option('only', '');
// A run during which the hypervisor took more than this share of the machine's CPU (steal, /proc/stat)
// is run again, up to twice: on a shared host such runs moved req/s by a third (docs/performance.md).
const MAX_STEAL = Number(option('max-steal', '5')) / 100;
if (!(MAX_STEAL >= 0)) throw new Error(`--max-steal takes a percentage (0 or more), not ${option('max-steal', '')}`);
const CONNECTIONS = 32;
const P = '/scim/v2/bench';

type Req = { method: 'GET' | 'POST' | 'PUT' | 'PATCH'; path: string; body?: unknown };
interface Run { reqPerSec: number; cpuUs: number; errors: number; requests: number; catchUpMs: number; steal: number; retried: number }

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Rows in the request log so far (the log's own file on SQLite). */
async function logRows(dbUrl: string): Promise<number> {
  if (dbUrl.startsWith('sqlite:')) {
    const db = new Database(`${dbUrl.slice('sqlite:'.length)}-requests`, { readonly: true, fileMustExist: true });
    try { return Number(db.prepare('SELECT count(*) FROM request_log').pluck().get()); } finally { db.close(); }
  }
  const client = new pgDriver.Client({ connectionString: dbUrl });
  await client.connect();
  try { return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM request_log')).rows[0].n); } finally { await client.end(); }
}

/** Waits until the log's row count has not moved for a second (at most 60 s); returns how long that took. */
async function caughtUp(dbUrl: string): Promise<number> {
  const t0 = Date.now();
  let last = await logRows(dbUrl);
  let still = Date.now();
  while (Date.now() - still < 1000 && Date.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
    const n = await logRows(dbUrl);
    if (n !== last) { last = n; still = Date.now(); }
  }
  return still - t0;
}

async function drive(server: RollcallProcess, token: string, next: () => Req, seconds: number, dbUrl?: string): Promise<Run> {
  const pid = server.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const machine0 = machineTicks();
  const r = await autocannon({
    url: server.url, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    requests: [{ setupRequest: (req: autocannon.Request) => { const n = next(); return { ...req, method: n.method, path: n.path, body: n.body === undefined ? undefined : JSON.stringify(n.body) }; } }],
  });
  const steal = stealShare(machine0, machineTicks());
  const catchUpMs = dbUrl ? await caughtUp(dbUrl) : 0;
  return { reqPerSec: r.requests.average, cpuUs: ((cpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, r.requests.total), errors: r.errors + r.non2xx + r.timeouts, requests: r.requests.total, catchUpMs, steal, retried: 0 };
}

/**
 * A measured run, run again (at most twice) while the hypervisor took more than MAX_STEAL of the
 * machine; the try with the least steal is kept. `sent` counts the requests of every try (each
 * leaves its rows in the log).
 */
async function measured(server: RollcallProcess, token: string, next: () => Req, seconds: number, dbUrl: string | undefined, sent: { requests: number }): Promise<Run> {
  let best = await drive(server, token, next, seconds, dbUrl);
  sent.requests += best.requests;
  for (let retried = 1; retried <= 2 && best.steal > MAX_STEAL; retried++) {
    const again = await drive(server, token, next, seconds, dbUrl);
    sent.requests += again.requests;
    if (again.steal < best.steal) best = again;
    best = { ...best, retried };
  }
  return best;
}

async function main() {
  const { url: dbUrl, drop } = await scratchDatabase(DB);
  const token = createTenantCli(dbUrl, 'bench');
  // No row cap in this run: it measures recording, not the cap's deletes (a tenant at 7,000 requests a
  // second passes the default 100,000 rows in a quarter of a minute).
  const on = await startProcess(dbUrl, { ROLLCALL_LOG_LEVEL: 'error', ROLLCALL_REQUEST_LOG: 'on', ROLLCALL_REQUEST_LOG_MAX_ROWS: '100000000' });
  const off = await startProcess(dbUrl, { ROLLCALL_LOG_LEVEL: 'error', ROLLCALL_REQUEST_LOG: 'off' });
  const results: { name: string; on: Run[]; off: Run[] }[] = [];
  let rowsWritten: number;
  // Requests of the measured runs (retries included) sent to each side.
  const toOn = { requests: 0 };
  const toOff = { requests: 0 };
  try {
    let sent = 0;
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      // Seeded through both processes in turn, so both start the measured runs warm (JIT, caches,
      // the log's writer thread).
      const res = await fetch((sent++ % 2 === 0 ? on : off).url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    console.error(`seeding ${USERS} users …`);
    const ids: string[] = [];
    const names = new Map<string, string>();
    for (let i = 0; i < USERS; i += 50) {
      const made = await Promise.all(Array.from({ length: Math.min(50, USERS - i) }, (_, j) => api<{ id: string; userName: string }>('POST', `${P}/Users`, {
        schemas: [USER], userName: `user${i + j}@bench.example`, name: { givenName: 'User', familyName: `N${i + j}` }, emails: [{ value: `user${i + j}@bench.example`, type: 'work', primary: true }], active: true,
      })));
      for (const u of made) { ids.push(u.id); names.set(u.id, u.userName); }
    }
    const group = (await api<{ id: string }>('POST', `${P}/Groups`, { schemas: [GROUP], displayName: 'ten', members: ids.slice(0, 10).map((value) => ({ value })) })).id;
    const spare = ids.slice(10, 210);

    let k = 0;
    const pick = () => ids[(k++ * 7919) % ids.length];
    let posted = 0;
    const userBody = { schemas: [USER], name: { givenName: 'Barbara', familyName: 'Jensen' }, emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }], active: true };
    const workloads: [string, () => Req][] = [
      ['filter userName eq', () => ({ method: 'GET', path: `${P}/Users?filter=${encodeURIComponent(`userName eq "user${(k++ * 7919) % USERS}@bench.example"`)}` })],
      ['GET user by id', () => ({ method: 'GET', path: `${P}/Users/${pick()}` })],
      ['GET group excludedAttributes=members', () => ({ method: 'GET', path: `${P}/Groups/${group}?excludedAttributes=members` })],
      ['POST user', () => ({ method: 'POST', path: `${P}/Users`, body: { ...userBody, userName: `posted${posted++}@bench.example` } })],
      ['PUT user', () => { const id = pick(); return { method: 'PUT', path: `${P}/Users/${id}`, body: { ...userBody, userName: names.get(id), title: `t${k}` } }; }],
      ['PATCH user deactivate', () => ({ method: 'PATCH', path: `${P}/Users/${pick()}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: k % 2 === 0 }] } })],
      ['PATCH member add/remove, 10 members', () => {
        const i = k++;
        const value = spare[(i >> 1) % spare.length];
        return { method: 'PATCH', path: `${P}/Groups/${group}?excludedAttributes=members`, body: { schemas: [PATCH], Operations: [i % 2 === 0 ? { op: 'add', path: 'members', value: [{ value }] } : { op: 'remove', path: `members[value eq "${value}"]` }] } };
      }],
    ];
    for (const [name, next] of workloads) {
      if (ONLY && !name.includes(ONLY)) continue;
      // A warm-up on each side (JIT, caches, the log's writer thread started).
      await drive(on, token, next, 1, dbUrl);
      await drive(off, token, next, 1);
      const result = { name, on: [] as Run[], off: [] as Run[] };
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        for (const side of order) result[side].push(await measured(side === 'on' ? on : off, token, next, SECONDS, side === 'on' ? dbUrl : undefined, side === 'on' ? toOn : toOff));
      }
      results.push(result);
      const m = (rs: Run[], f: (r: Run) => number) => median(rs.map(f));
      console.error(`  ${name}: on ${m(result.on, (r) => r.reqPerSec).toFixed(0)} req/s ${m(result.on, (r) => r.cpuUs).toFixed(0)} µs; off ${m(result.off, (r) => r.reqPerSec).toFixed(0)} req/s ${m(result.off, (r) => r.cpuUs).toFixed(0)} µs`);
    }
    rowsWritten = await logRows(dbUrl);
  } finally {
    await on.stop();
    await off.stop();
    await drop();
  }

  const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
  console.log(`\nRequest log on vs off — ${process.env.ROLLCALL_HARNESS_DIST === '1' ? 'built (dist/)' : 'from source (tsx)'}, ${DB}, ${USERS} users, ${ROUNDS} alternating rounds of ${SECONDS} s per side, ${CONNECTIONS} connections, ${cpus().length} cores, node ${process.version}\n`);
  console.log(`${'workload'.padEnd(40)} ${'on req/s'.padStart(9)} ${'off req/s'.padStart(9)} ${'req/s'.padStart(7)}  ${'on µs'.padStart(6)} ${'off µs'.padStart(6)} ${'CPU'.padStart(7)}  errors`);
  const rows = results.map((r) => {
    const on = { reqPerSec: median(r.on.map((x) => x.reqPerSec)), cpuUs: median(r.on.map((x) => x.cpuUs)) };
    const off = { reqPerSec: median(r.off.map((x) => x.reqPerSec)), cpuUs: median(r.off.map((x) => x.cpuUs)) };
    const errors = [...r.on, ...r.off].reduce((n, x) => n + x.errors, 0);
    console.log(`${r.name.padEnd(40)} ${on.reqPerSec.toFixed(0).padStart(9)} ${off.reqPerSec.toFixed(0).padStart(9)} ${pct(on.reqPerSec, off.reqPerSec).padStart(7)}  ${on.cpuUs.toFixed(0).padStart(6)} ${off.cpuUs.toFixed(0).padStart(6)} ${pct(on.cpuUs, off.cpuUs).padStart(7)}  ${errors}`);
    return { name: r.name, on, off, reqPerSecChange: on.reqPerSec / off.reqPerSec - 1, cpuChange: on.cpuUs / off.cpuUs - 1, errors, runs: { on: r.on, off: r.off } };
  });
  console.log('\n(req/s: median of the rounds; µs: the server process\'s CPU time per request, all threads, the "on" side counted until its log caught up; change: on against off)');
  const catchUp = results.flatMap((r) => r.on.map((x) => x.catchUpMs));
  const all = results.flatMap((r) => [...r.on, ...r.off]);
  console.log(`steal (the hypervisor's share of the machine's CPU in a run): median ${(median(all.map((x) => x.steal)) * 100).toFixed(1)}%, most ${(Math.max(...all.map((x) => x.steal)) * 100).toFixed(1)}%; ` +
    `runs over ${(MAX_STEAL * 100).toFixed(0)}% run again: ${all.reduce((n, x) => n + x.retried, 0)} times, ${all.filter((x) => x.steal > MAX_STEAL).length} kept over it after two tries`);
  console.log(`log rows written: ${rowsWritten}, requests answered by the "on" process in measured runs: ${toOn.requests} (plus its warm-ups and half the seeding); the log caught up within ${Math.max(...catchUp)} ms of a run's end (median ${median(catchUp)} ms)`);
  if (!ONLY) {
    const dir = new URL('./results/request-log/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL(`${new Date().toISOString().replace(/[:.]/g, '-')}-${DB}.json`, dir);
    writeFileSync(file, `${JSON.stringify({ build: process.env.ROLLCALL_HARNESS_DIST === '1' ? 'dist' : 'source', db: DB, users: USERS, rounds: ROUNDS, seconds: SECONDS, maxSteal: MAX_STEAL, connections: CONNECTIONS, cores: cpus().length, node: process.version, rowsWritten, sentToOn: toOn.requests, rows }, null, 2)}\n`);
    console.log(`saved ${file.pathname}`);
  }
}

await main();
