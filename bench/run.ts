// npm run bench [-- --db sqlite|postgres] [--quick] [--users N] [--duration S] [--only TEXT] [--profile DIR] [--webhook]
// Seeds a tenant through the SCIM API, starts Rollcall and a bare-Fastify ceiling as separate
// processes, drives each workload with autocannon from this process (32 connections, warm-up,
// 3 runs, median), and reports req/s, p50/p99, server RSS and the ratio to the ceiling.
// Results: a table on stdout and JSON under bench/results/.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pgDriver from 'pg';
import { scratchDatabase } from '../harness/databases.ts';
import { cli, createTenantCli, freePort, startProcess, type RollcallProcess } from '../harness/processes.ts';
import { GROUP_SCHEMA as GROUP, USER_SCHEMA as USER } from '../src/scim/schemas/core.ts';
import { PATCH_SCHEMA as PATCH } from '../src/scim/patch.ts';
import { cpuSeconds, machineTicks, stealShare } from './proc.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const QUICK = flag('quick');
const DB = option('db', 'sqlite');
const USERS = Number(option('users', QUICK ? '5000' : '100000'));
const SPARE = QUICK ? 200 : 1000; // users outside every group, for member add/remove churn
const DURATION = Number(option('duration', QUICK ? '1' : '10'));
const WARMUP = QUICK ? 0.5 : 2;
const RUNS = 3;
const CONNECTIONS = 32;
const SIZES = QUICK ? [10, 1000, USERS] : [10, 10_000, 100_000];
/** Runs only the workloads whose name contains this text (the ceilings always run). */
const ONLY = option('only', '');
/**
 * Issue 10: after the write workloads, add one webhook endpoint (a receiver in its own process) and
 * run them again; each must keep 85% of its throughput, and delivery's lag is reported.
 */
const WEBHOOK = flag('webhook');
/** Writes a V8 CPU profile of the Rollcall process into this directory (open it in Chrome DevTools). */
const PROFILE = option('profile', '');

type Req = { method: string; path: string; body?: unknown };
interface Result { name: string; reqPerSec: number; p50: number; p99: number; rssMb: number; errors: number; ratio?: number; kind: 'get' | 'write'; cpuUsPerReq: number; steal: number }

function rss(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/**
 * Group membership PATCH in pairs, per group size: as identity providers send it (Okta and Entra
 * add no query parameters) and with ?excludedAttributes=members (what a client that knows it does
 * not want the members back can ask for). Issue 8 item 9: the first must come within 1.2× of the
 * second, at every size.
 */
const memberPatchAsIdps = (size: number) => `PATCH member add/remove as IdPs send it, ${size} members`;
const memberPatchExcluded = (size: number) => `PATCH member add/remove ?excludedAttributes=members, ${size} members`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function drive(base: string, headers: Record<string, string>, next: () => Req, seconds: number) {
  const r = await autocannon({
    url: base, connections: CONNECTIONS, duration: seconds, headers,
    requests: [{ setupRequest: (req: autocannon.Request) => { const n = next(); return { ...req, method: n.method as autocannon.Request['method'], path: n.path, body: n.body === undefined ? undefined : JSON.stringify(n.body) }; } }],
  });
  return { reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts, requests: r.requests.total };
}

async function workload(name: string, kind: Result['kind'], base: string, headers: Record<string, string>, pid: number, next: () => Req): Promise<Result | undefined> {
  if (ONLY && !name.startsWith('ceiling') && !name.includes(ONLY)) return undefined;
  await drive(base, headers, next, WARMUP);
  const runs = [];
  const cpu0 = cpuSeconds(pid);
  const machine0 = machineTicks();
  for (let i = 0; i < RUNS; i++) runs.push(await drive(base, headers, next, DURATION));
  // What the hypervisor took of the machine meanwhile: on a busy host it moves req/s by a third.
  const steal = stealShare(machine0, machineTicks());
  // The server's CPU time per request: what the server costs, apart from how the two cores are shared.
  const cpuUsPerReq = ((cpuSeconds(pid) - cpu0) * 1e6) / runs.reduce((n, r) => n + r.requests, 0);
  const result = { name, kind, reqPerSec: median(runs.map((r) => r.reqPerSec)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), errors: runs.reduce((n, r) => n + r.errors, 0), rssMb: rss(pid).rss, cpuUsPerReq, steal };
  console.error(`  ${name}: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, server CPU ${cpuUsPerReq.toFixed(0)} µs/req, steal ${(steal * 100).toFixed(1)}%${result.errors ? `, ${result.errors} errors` : ''}`);
  return result;
}

/** A SCIM request that must succeed; T is the shape the caller reads (the bench's own requests). */
async function api<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The last event position given, read straight from the database (the bench's own connection). */
async function headPosition(dbUrl: string): Promise<number> {
  if (dbUrl.startsWith('sqlite:')) {
    const db = new Database(dbUrl.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    try { return Number((db.prepare("SELECT position FROM event_heads WHERE tenant_id = ''").get() as { position?: number } | undefined)?.position ?? 0); } finally { db.close(); }
  }
  const client = new pgDriver.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    // PostgreSQL numbers events after commit: count the committed ones not numbered yet as well.
    const r = await client.query<{ head: string; pending: string }>("SELECT (SELECT position FROM event_heads WHERE tenant_id = '') AS head, (SELECT count(*) FROM events WHERE position IS NULL) AS pending");
    return Number(r.rows[0]?.head ?? 0) + Number(r.rows[0]?.pending ?? 0);
  } finally { await client.end(); }
}

async function main() {
  const started = Date.now();
  const { url: dbUrl, drop: cleanup } = await scratchDatabase(DB === 'postgres' ? 'postgres' : 'sqlite');
  const token = createTenantCli(dbUrl, 'bench');
  // The webhook receiver is on loopback, over http: allowed for this run only (docs/events.md).
  const webhookEnv: Record<string, string> = WEBHOOK ? { ROLLCALL_WEBHOOK_ALLOW_HTTP: 'true', ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } : {};
  const serve = (profile: boolean) => startProcess(dbUrl, { ROLLCALL_LOG_LEVEL: 'error', ...webhookEnv }, profile && PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []);
  let rollcall: RollcallProcess = await serve(true);
  const ceilingPort = await freePort();
  const ceiling: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ceiling-server.ts', import.meta.url)), String(ceilingPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => ceiling.stdout!.once('data', r));
  const results: Result[] = [];
  const add = (r: Result | undefined) => { if (r) results.push(r); };
  const extra: Record<string, number> = {};
  const webhookLag: { name: string; deliveredPerSec: number; drainMs: number }[] = [];
  const webhookPairs: { name: string; plain: number; hooked: number; plainCpu: number; hookedCpu: number }[] = [];
  let pacedLag: { rate: number; requests: number; n: number; p50: number; p99: number; max: number } | undefined;
  try {
    const scim = `${rollcall.url}/scim/v2/bench`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };

    // Seeding through the SCIM API is itself a workload: users per second.
    const total = USERS + SPARE;
    console.error(`seeding ${total} users through POST /Users …`);
    let seq = 0;
    const seedStart = Date.now();
    await autocannon({
      url: scim, connections: CONNECTIONS, amount: total, headers,
      requests: [{ setupRequest: (req: autocannon.Request) => {
        const i = seq++;
        return { ...req, method: 'POST' as const, path: `/scim/v2/bench/Users`, body: JSON.stringify({ schemas: [USER], userName: `user${i}@bench.example`, name: { givenName: 'User', familyName: `N${i}` }, emails: [{ value: `user${i}@bench.example`, type: 'work', primary: true }], active: true }) };
      } }],
    });
    extra.seedUsersPerSec = total / ((Date.now() - seedStart) / 1000);
    console.error(`  ${extra.seedUsersPerSec.toFixed(0)} users/s`);
    const ids: string[] = [];
    const userNames = new Map<string, string>();
    for (let start = 1; ids.length < total; start += 1000) {
      const page = await api<{ Resources: { id: string; userName: string }[] }>(scim, token, 'GET', `/Users?startIndex=${start}&count=1000&attributes=userName`);
      if (!page.Resources.length) break;
      for (const u of page.Resources) { ids.push(u.id); userNames.set(u.id, u.userName); }
    }
    const members = ids.slice(0, USERS);
    const spare = ids.slice(USERS);
    const groups: Record<number, string> = {};
    for (const size of SIZES) {
      const g = await api<{ id: string }>(scim, token, 'POST', '/Groups', { schemas: [GROUP], displayName: `group-${size}` });
      groups[size] = g.id;
      for (let i = 0; i < size; i += 1000) {
        await api(scim, token, 'PATCH', `/Groups/${g.id}?excludedAttributes=members`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: members.slice(i, Math.min(size, i + 1000)).map((value) => ({ value })) }] });
      }
      console.error(`group of ${size} members ready`);
    }
    if (DB === 'postgres') {
      // What autovacuum does within a minute of a bulk load on a default configuration (this
      // machine runs with autovacuum off): fresh planner statistics and visibility map. Without
      // them PostgreSQL plans for empty tables (a 100-user page's groups took 416 ms, not 2 ms).
      const client = new pgDriver.Client({ connectionString: dbUrl });
      await client.connect();
      try { await client.query('VACUUM ANALYZE'); } finally { await client.end(); }
      console.error('VACUUM ANALYZE done');
    }

    const cbase = `http://127.0.0.1:${ceilingPort}`;
    const userBody = { schemas: [USER], userName: 'bjensen@example.com', name: { givenName: 'Barbara', familyName: 'Jensen' }, emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }], active: true };
    add(await workload('ceiling: GET small JSON', 'get', cbase, {}, ceiling.pid!, () => ({ method: 'GET', path: '/small' })));
    add(await workload('ceiling: POST echo user', 'write', cbase, { 'content-type': 'application/json' }, ceiling.pid!, () => ({ method: 'POST', path: '/echo', body: userBody })));
    // Calibration for the deep page: the same kind of 100-user page, pre-built, with no database behind it.
    await fetch(`${cbase}/page`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(await api(scim, token, 'GET', '/Users?startIndex=1&count=100')) });
    add(await workload('ceiling: GET a 100-user page (pre-built)', 'get', cbase, {}, ceiling.pid!, () => ({ method: 'GET', path: '/page' })));

    const pid = rollcall.child.pid!;
    let k = 0;
    const pick = <T>(xs: T[]) => xs[(k++ * 7919) % xs.length];
    const q = (s: string) => encodeURIComponent(s);
    const P = '/scim/v2/bench';
    add(await workload('filter userName eq', 'get', scim, headers, pid, () => ({ method: 'GET', path: `${P}/Users?filter=${q(`userName eq "user${(k++ * 7919) % USERS}@bench.example"`)}` })));
    // Entra's email matching: a value filter over the multi-valued emails (a semi-join, not a column).
    add(await workload('filter emails[type eq "work"].value eq', 'get', scim, headers, pid, () => ({ method: 'GET', path: `${P}/Users?filter=${q(`emails[type eq "work"].value eq "user${(k++ * 7919) % USERS}@bench.example"`)}` })));
    add(await workload('GET user by id', 'get', scim, headers, pid, () => ({ method: 'GET', path: `${P}/Users/${pick(members)}` })));
    let posted = 0;
    add(await workload('POST user', 'write', scim, headers, pid, () => ({ method: 'POST', path: `${P}/Users`, body: { ...userBody, userName: `posted${posted++}@bench.example` } })));
    add(await workload('PUT user', 'write', scim, headers, pid, () => {
      const id = pick(members);
      return { method: 'PUT', path: `${P}/Users/${id}`, body: { ...userBody, userName: userNames.get(id), title: `t${k}` } };
    }));
    add(await workload('PATCH user deactivate', 'write', scim, headers, pid, () => ({ method: 'PATCH', path: `${P}/Users/${pick(members)}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: k % 2 === 0 }] } })));
    add(await workload('deep page (startIndex near end, count 100)', 'get', scim, headers, pid, () => ({ method: 'GET', path: `${P}/Users?startIndex=${USERS - 100 - (k++ % 50)}&count=100` })));
    add(await workload('filter emails.value co', 'get', scim, headers, pid, () => ({ method: 'GET', path: `${P}/Users?filter=${q(`emails.value co "user${(k++ * 7919) % USERS}@"`)}` })));
    /** Adds then removes one user outside every group, in turn. */
    const memberOp = () => {
      const i = k++;
      const value = spare[(i >> 1) % spare.length];
      return i % 2 === 0 ? { op: 'add', path: 'members', value: [{ value }] } : { op: 'remove', path: `members[value eq "${value}"]` };
    };
    // Each pair runs back to back on the same group, so the two figures share their conditions.
    for (const size of SIZES) {
      add(await workload(memberPatchExcluded(size), 'write', scim, headers, pid, () => ({ method: 'PATCH', path: `${P}/Groups/${groups[size]}?excludedAttributes=members`, body: { schemas: [PATCH], Operations: [memberOp()] } })));
      add(await workload(memberPatchAsIdps(size), 'write', scim, headers, pid, () => ({ method: 'PATCH', path: `${P}/Groups/${groups[size]}`, body: { schemas: [PATCH], Operations: [memberOp()] } })));
    }
    for (const size of SIZES) {
      add(await workload(`GET group excludedAttributes=members, ${size} members`, 'get', scim, headers, pid, () => ({ method: 'GET', path: `${P}/Groups/${groups[size]}?excludedAttributes=members` })));
    }

    if (WEBHOOK) {
      // One endpoint for the bench tenant, every event type, to a receiver that answers 204 at once.
      const receiverPort = await freePort();
      const receiver = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./webhook-receiver.ts', import.meta.url)), String(receiverPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((r) => receiver.stdout.once('data', r));
      const stats = async () => (await (await fetch(`http://127.0.0.1:${receiverPort}/stats`)).json()) as { received: number; maxPosition: number };
      try {
        const key = (JSON.parse(cli(['admin-key', 'create', '--name', 'bench', '--db', dbUrl, '--json']).stdout) as { key: string }).key;
        const admin = (method: string, path: string, body?: unknown) => fetch(`${rollcall.url}/admin/v1${path}`, {
          method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
        });
        const plainSizes = [SIZES[0]];
        const again: [string, () => Req][] = [
          ['POST user', () => ({ method: 'POST', path: `${P}/Users`, body: { ...userBody, userName: `hooked${posted++}@bench.example` } })],
          ['PUT user', () => { const id = pick(members); return { method: 'PUT', path: `${P}/Users/${id}`, body: { ...userBody, userName: userNames.get(id), title: `w${k}` } }; }],
          // A PATCH that always changes something (the deactivate workload's toggles are mostly no-ops: no event).
          ['PATCH user title', () => ({ method: 'PATCH', path: `${P}/Users/${pick(members)}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: `p${k}` }] } })],
          ...plainSizes.map((size): [string, () => Req] => [memberPatchExcluded(size), () => ({ method: 'PATCH', path: `${P}/Groups/${groups[size]}?excludedAttributes=members`, body: { schemas: [PATCH], Operations: [memberOp()] } })]),
        ];
        // Delivery's thread starts with the first endpoint (events/delivery-thread.ts): started
        // here, before any measured run, so every "with" run measures delivery, not its start.
        {
          const warm = await admin('POST', '/tenants/bench/webhooks', { url: `http://127.0.0.1:${receiverPort}/hook` });
          if (warm.status !== 201) throw new Error(`creating the warm-up webhook endpoint: ${warm.status} ${await warm.text()}`);
          const before = (await stats()).received;
          const r = await fetch(`${rollcall.url}${P}/Users`, { method: 'POST', headers, body: JSON.stringify({ ...userBody, userName: `warmup${posted++}@bench.example` }) });
          if (r.status !== 201) throw new Error(`the warm-up write: ${r.status} ${await r.text()}`);
          for (const deadline = Date.now() + 60_000; (await stats()).received === before && Date.now() < deadline;) await new Promise((done) => setTimeout(done, 50));
          const gone = await admin('DELETE', `/tenants/bench/webhooks/${(await warm.json() as { id: string }).id}`);
          if (gone.status !== 204) throw new Error(`deleting the warm-up webhook endpoint: ${gone.status} ${await gone.text()}`);
        }
        // Alternating, twice: without an endpoint, with one, without, with; so the drift of the
        // machine and of the growing database falls on both. Each "with" run has an endpoint of its
        // own, created just before (it starts at the head) and deleted once delivery has caught up.
        for (const [name, next] of again) {
          const plain: Result[] = [];
          const hooked: Result[] = [];
          for (let round = 1; round <= 2; round++) {
            const p = await workload(`${name} · no endpoint #${round}`, 'write', scim, headers, pid, next);
            if (!p) break;
            plain.push(p);
            add(p);
            const created = await admin('POST', '/tenants/bench/webhooks', { url: `http://127.0.0.1:${receiverPort}/hook` });
            if (created.status !== 201) throw new Error(`creating the webhook endpoint: ${created.status} ${await created.text()}`);
            const endpoint = (await created.json() as { id: string }).id;
            const startHead = await headPosition(dbUrl);
            const before = await stats();
            const t0 = Date.now();
            const h = (await workload(`${name} · one endpoint #${round}`, 'write', scim, headers, pid, next))!;
            hooked.push(h);
            add(h);
            // Lag: from the end of the workload until the receiver has the last event committed by then.
            const head = await headPosition(dbUrl);
            const end = Date.now();
            const during = await stats();
            // Caught up: the receiver has the last event (if the run made any after the endpoint began).
            const caughtUp = async () => head <= startHead || (await stats()).maxPosition >= head;
            for (const deadline = end + 120_000; !(await caughtUp()) && Date.now() < deadline;) await new Promise((done) => setTimeout(done, 50));
            const lag = { name: `${name} #${round}`, deliveredPerSec: (during.received - before.received) / ((end - t0) / 1000), drainMs: (await caughtUp()) ? Date.now() - end : Number.NaN };
            webhookLag.push(lag);
            console.error(`    delivered ${lag.deliveredPerSec.toFixed(0)} events/s while it ran; caught up ${Number.isNaN(lag.drainMs) ? 'NOT within 120 s' : `${lag.drainMs} ms`} after it ended`);
            const gone = await admin('DELETE', `/tenants/bench/webhooks/${endpoint}`);
            if (gone.status !== 204) throw new Error(`deleting the webhook endpoint: ${gone.status} ${await gone.text()}`);
          }
          if (plain.length === 2) webhookPairs.push({ name, plain: (plain[0].reqPerSec + plain[1].reqPerSec) / 2, hooked: (hooked[0].reqPerSec + hooked[1].reqPerSec) / 2, plainCpu: (plain[0].cpuUsPerReq + plain[1].cpuUsPerReq) / 2, hookedCpu: (hooked[0].cpuUsPerReq + hooked[1].cpuUsPerReq) / 2 });
        }
        // Below saturation: POST user at a steady 200 requests a second (an IdP's busy sync is tens a
        // second), one endpoint; each event's lag from its commit to the receiver.
        if (!ONLY || 'paced endpoint'.includes(ONLY)) {
          const created = await admin('POST', '/tenants/bench/webhooks', { url: `http://127.0.0.1:${receiverPort}/hook` });
          const endpoint = (await created.json() as { id: string }).id;
          await fetch(`http://127.0.0.1:${receiverPort}/reset`, { method: 'POST' });
          const rate = 200;
          const paced = await autocannon({
            url: scim, connections: 8, overallRate: rate, duration: QUICK ? 5 : 20, headers,
            requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, method: 'POST' as const, path: `${P}/Users`, body: JSON.stringify({ ...userBody, userName: `paced${posted++}@bench.example` }) }) }],
          });
          const head = await headPosition(dbUrl);
          for (const deadline = Date.now() + 60_000; (await stats()).maxPosition < head && Date.now() < deadline;) await new Promise((done) => setTimeout(done, 50));
          const { lagMs } = await stats() as unknown as { lagMs: { n: number; p50: number; p99: number; max: number } };
          pacedLag = { rate, requests: paced.requests.total, ...lagMs };
          console.error(`  paced POST user at ${rate}/s with one endpoint: ${paced.requests.total} requests; delivery lag p50 ${lagMs.p50} ms, p99 ${lagMs.p99} ms, max ${lagMs.max} ms over ${lagMs.n} events`);
          const gone = await admin('DELETE', `/tenants/bench/webhooks/${endpoint}`);
          if (gone.status !== 204) throw new Error(`deleting the webhook endpoint: ${gone.status} ${await gone.text()}`);
        }
      } finally {
        receiver.kill();
      }
    }

    // The biggest group in full, on a fresh process so its peak RSS is this request's alone.
    if (!ONLY) {
    await rollcall.stop();
    rollcall = await serve(false);
    const big = SIZES[SIZES.length - 1];
    await api(`${rollcall.url}/scim/v2/bench`, token, 'GET', `/Groups/${groups[SIZES[0]]}`); // warm
    const before = rss(rollcall.child.pid!);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const res = await fetch(`${rollcall.url}/scim/v2/bench/Groups/${groups[big]}`, { headers });
      bytes = (await res.arrayBuffer()).byteLength;
      times.push(performance.now() - t0);
    }
    const after = rss(rollcall.child.pid!);
    extra.bigGroupMs = median(times);
    extra.bigGroupBytes = bytes;
    extra.bigGroupPeakRssGrowthMb = after.hwm - before.hwm;
    console.error(`  GET group of ${big}: ${extra.bigGroupMs.toFixed(0)} ms, ${(bytes / 1e6).toFixed(1)} MB, peak RSS +${extra.bigGroupPeakRssGrowthMb.toFixed(1)} MB`);
    }
  } finally {
    await rollcall.stop();
    ceiling.kill();
    await cleanup();
  }

  const ceilGet = results[0].reqPerSec;
  const ceilPost = results[1].reqPerSec;
  for (const r of results.filter((x) => !x.name.startsWith('ceiling'))) r.ratio = r.reqPerSec / (r.kind === 'get' ? ceilGet : ceilPost);
  const byName = (prefix: string) => results.find((r) => r.name.startsWith(prefix));
  const small = SIZES[0];
  const largest = SIZES[SIZES.length - 1];
  const pg = DB === 'postgres';
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  /** A target over the named results; left out when a --only run did not measure them. */
  const target = (what: string, names: string[], check: (...rs: Result[]) => { ok: boolean; value: string }) => {
    const rs = names.map(byName);
    return rs.every(Boolean) ? { what, ...check(...(rs as Result[])) } : undefined;
  };
  const lookups = ['filter userName eq', 'GET user by id', ...SIZES.map((s) => `GET group excludedAttributes=members, ${s} members`)];
  const writes = ['POST user', 'PUT user', 'PATCH user deactivate', ...SIZES.flatMap((s) => [memberPatchExcluded(s), memberPatchAsIdps(s)])];
  /** Each size's pair: how many times the excludedAttributes=members form's req/s the IdPs' form trails by. */
  const memberPairs = SIZES.flatMap((size) => {
    const [excluded, asIdps] = [byName(memberPatchExcluded(size)), byName(memberPatchAsIdps(size))];
    return excluded && asIdps ? [{ size, excludedReqPerSec: excluded.reqPerSec, asIdpsReqPerSec: asIdps.reqPerSec, excludedP99: excluded.p99, asIdpsP99: asIdps.p99, ratio: excluded.reqPerSec / asIdps.reqPerSec }] : [];
  });
  const [getTarget, writeTarget] = pg ? [0.25, 0.10] : [0.5, 0.35];
  const targets = [
    ...lookups.map((n) => target(`${n} ≥ ${pct(getTarget)} of ceiling GET`, [n], (r) => ({ ok: r.ratio! >= getTarget, value: pct(r.ratio!) }))),
    ...writes.map((n) => target(`${n} ≥ ${pct(writeTarget)} of ceiling POST`, [n], (r) => ({ ok: r.ratio! >= writeTarget, value: pct(r.ratio!) }))),
    ...memberPairs.map((p) => ({ what: `member add/remove as IdPs send it within 1.2× of excludedAttributes=members, ${p.size} members`, ok: p.ratio <= 1.2, value: `${p.ratio.toFixed(2)}×` })),
    // Issue 10: one webhook endpoint costs the writes at most 15% of their throughput (alternating runs), and delivery keeps up.
    ...webhookPairs.map((w) => ({ what: `${w.name} with a webhook endpoint ≥ 85% of without (mean of 2 alternating runs each)`, ok: w.hooked >= 0.85 * w.plain,
      value: `${pct(w.hooked / w.plain)} (${w.hooked.toFixed(0)} vs ${w.plain.toFixed(0)} req/s; server CPU ${w.hookedCpu.toFixed(0)} vs ${w.plainCpu.toFixed(0)} µs/req)` })),
    ...(pacedLag ? [{ what: `POST user paced at ${pacedLag.rate}/s: webhook delivery p99 lag from commit ≤ 1 s`, ok: pacedLag.p99 <= 1000, value: `p50 ${pacedLag.p50} ms, p99 ${pacedLag.p99} ms, max ${pacedLag.max} ms over ${pacedLag.n} events` }] : []),
    ...webhookLag.map((l) => ({ what: `${l.name}: webhook delivery caught up within 5 s of the workload's end`, ok: l.drainMs <= 5000, value: Number.isNaN(l.drainMs) ? 'not within 120 s' : `${l.drainMs} ms (${l.deliveredPerSec.toFixed(0)} events/s delivered while it ran)` })),
    ...(pg ? [] : [
      ...[memberPatchExcluded, memberPatchAsIdps].map((name) => target(`${name(largest).replace(/, \d+ members$/, '')} p99, ${largest} vs ${small} members ≤ 1.5×`, [name(largest), name(small)],
        (big, little) => ({ ok: big.p99 <= 1.5 * Math.max(1, little.p99), value: `${big.p99} vs ${little.p99} ms` }))),
      target(`GET group without members, ${largest} vs ${small} members within 1.2×`, [`GET group excludedAttributes=members, ${largest} members`, `GET group excludedAttributes=members, ${small} members`],
        (big, little) => ({ ok: little.reqPerSec / big.reqPerSec <= 1.2, value: `${(little.reqPerSec / big.reqPerSec).toFixed(2)}×` })),
      ONLY ? undefined : { what: `GET ${largest}-member group: peak RSS growth ≤ 64 MB`, ok: extra.bigGroupPeakRssGrowthMb <= 64, value: `${extra.bigGroupPeakRssGrowthMb.toFixed(1)} MB` },
      target('deep page ≥ 20% of ceiling GET', ['deep page', 'ceiling: GET a 100-user page'], (r, prebuilt) => ({
        ok: r.ratio! >= 0.2, value: `${pct(r.ratio!)} (the pre-built page alone reaches ${pct(prebuilt.reqPerSec / ceilGet)}; deep page is ${pct(r.reqPerSec / prebuilt.reqPerSec)} of it)`,
      })),
    ]),
  ].filter((t) => t !== undefined);

  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`\nRollcall benchmark — ${DB}, ${USERS} users${QUICK ? ' (quick)' : ''}, ${CONNECTIONS} connections, ${RUNS}×${DURATION}s runs (median), ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`);
  const width = Math.max(52, ...results.map((r) => r.name.length));
  console.log(`${pad('workload', width)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'RSS MB'.padStart(7)} ${'CPU µs'.padStart(7)} ${'ratio'.padStart(6)}`);
  for (const r of results) console.log(`${pad(r.name, width)} ${r.reqPerSec.toFixed(0).padStart(8)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${r.rssMb.toFixed(0).padStart(7)} ${r.cpuUsPerReq.toFixed(0).padStart(7)} ${(r.ratio === undefined ? '' : pct(r.ratio)).padStart(6)}${r.errors ? `  (${r.errors} errors)` : ''}`);
  console.log('(CPU µs: the server process\'s CPU time per request over the measured runs)');
  console.log(`steal (the hypervisor's share of the machine's CPU during a workload's runs): median ${(median(results.map((r) => r.steal)) * 100).toFixed(1)}%, most ${(Math.max(...results.map((r) => r.steal)) * 100).toFixed(1)}% (${results.reduce((a, b) => (b.steal > a.steal ? b : a)).name})`);
  console.log(`\nseeding through the SCIM API: ${extra.seedUsersPerSec.toFixed(0)} users/s`);
  if (!ONLY) console.log(`GET group of ${largest} members: ${extra.bigGroupMs.toFixed(0)} ms, ${(extra.bigGroupBytes / 1e6).toFixed(1)} MB, peak RSS growth ${extra.bigGroupPeakRssGrowthMb.toFixed(1)} MB\n`);
  if (memberPairs.length) {
    console.log('member add/remove, as IdPs send it vs ?excludedAttributes=members (req/s of the second ÷ req/s of the first; 1.00× = no cost):');
    for (const p of memberPairs) console.log(`  ${String(p.size).padStart(7)} members: ${p.ratio.toFixed(2)}×  (${p.asIdpsReqPerSec.toFixed(0)} vs ${p.excludedReqPerSec.toFixed(0)} req/s; p99 ${p.asIdpsP99} vs ${p.excludedP99} ms)`);
    console.log('');
  }
  console.log('targets:');
  for (const t of targets) console.log(`  ${t.ok ? 'met   ' : 'MISSED'} ${t.what}: ${t.value}`);
  // A --only run is a probe, not a record.
  if (ONLY) return;
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/${new Date().toISOString().replace(/[:.]/g, '-')}-${DB}${QUICK ? '-quick' : ''}.json`, import.meta.url);
  writeFileSync(file, JSON.stringify({ db: DB, quick: QUICK, users: USERS, connections: CONNECTIONS, runs: RUNS, durationSeconds: DURATION, machine: { cores: cpus().length, memGiB: totalmem() / 2 ** 30, node: process.version }, results, memberPatchPairs: memberPairs, webhookLag, webhookPairs, pacedLag, extra, targets, seconds: (Date.now() - started) / 1000 }, null, 2));
  console.log(`\nsaved ${fileURLToPath(file)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
