// npm run probe -- <workload> [--db sqlite|postgres] [--seconds S] [--perf | --cpu-prof DIR] [--webhook] [--threads]
// A quick look at one request kind: 500 users, one 10-member group, one Rollcall process, 32
// connections for a few seconds. Reports what each request cost in CPU — Rollcall's main thread and
// all its threads together (V8's helpers, the delivery and request log threads), PostgreSQL's
// backends, the load generator — apart from how the two cores happen to be shared,
// which is what makes req/s noisy on small machines. Used to find and check each change in
// docs/performance.md before the full `npm run bench`.
//   --perf          start Rollcall with --perf-basic-prof, so `perf record -g -p <pid>` names JS frames
//   --cpu-prof DIR  write a V8 CPU profile of Rollcall into DIR (one file per thread)
//   --webhook       one webhook endpoint for every event type, to bench/webhook-receiver.ts in its own
//                   process; each of Rollcall's threads is reported, and the events delivered
//   --threads       each of Rollcall's threads' CPU per request, busiest first (the main thread, then
//                   the writer and delivery threads and V8's helpers)
// Each run also reports steal: the share of the machine's CPU its host took (bench/proc.ts).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { scratchDatabase } from '../harness/databases.ts';
import { cli, createTenantCli, freePort, startProcess } from '../harness/processes.ts';
import { GROUP_SCHEMA, USER_SCHEMA as USER } from '../src/scim/schemas/core.ts';
import { PATCH_SCHEMA } from '../src/scim/patch.ts';
import { cpuOfStat, machineTicks, stealShare } from './proc.ts';

const args = process.argv.slice(2);
const option = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const DB = option('db') === 'postgres' ? 'postgres' : 'sqlite';
const SECONDS = Number(option('seconds') ?? 6);
/** The options that take a value: the workload is the first other word (`--threads filter` runs filter). */
const VALUED = new Set(['--db', '--seconds', '--cpu-prof']);
const kind = args.find((a, i) => !a.startsWith('--') && !VALUED.has(args[i - 1])) ?? 'id';

const P = '/scim/v2/probe';
type Req = { method?: 'GET' | 'POST' | 'PATCH'; path: string; body?: string };
let k = 0;
const ids: string[] = [];
let groupId = '';
const workloads: Record<string, () => Req> = {
  health: () => ({ path: '/healthz' }),
  discovery: () => ({ path: `${P}/ServiceProviderConfig` }),
  id: () => ({ path: `${P}/Users/${ids[k++ % ids.length]}` }),
  filter: () => ({ path: `${P}/Users?filter=${encodeURIComponent(`userName eq "u${k++ % ids.length}@probe.example"`)}` }),
  email: () => ({ path: `${P}/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "u${k++ % ids.length}@probe.example"`)}` }),
  page: () => ({ path: `${P}/Users?startIndex=${300 + (k++ % 50)}&count=100` }),
  group: () => ({ path: `${P}/Groups/${groupId}?excludedAttributes=members` }),
  post: () => ({ method: 'POST', path: `${P}/Users`, body: JSON.stringify({ schemas: [USER], userName: `p${k++}@probe.example`, name: { givenName: 'A', familyName: 'B' }, emails: [{ value: `p${k}@probe.example`, type: 'work', primary: true }], active: true }) }),
  patch: () => ({ method: 'PATCH', path: `${P}/Users/${ids[k++ % ids.length]}`, body: JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: k % 2 === 0 }] }) }),
  // Add a user outside the group, or remove it again, as Okta sends it (the policies' hot path).
  member: () => {
    const i = k++;
    const value = ids[10 + (Math.floor(i / 2) % (ids.length - 10))];
    return { method: 'PATCH', path: `${P}/Groups/${groupId}?excludedAttributes=members`, body: JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: [i % 2 === 0 ? { op: 'add', path: 'members', value: [{ value }] } : { op: 'remove', path: `members[value eq "${value}"]` }] }) };
  },
};
if (!workloads[kind]) throw new Error(`unknown workload "${kind}"; one of ${Object.keys(workloads).join(', ')}`);

/** The busiest thread of the process: Node's main thread, where the requests run. */
function threadCpu(pid: number): Map<string, number> {
  return new Map(readdirSync(`/proc/${pid}/task`).map((t) => [t, cpuOfStat(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'))]));
}

function postgresCpu(): number {
  let sum = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.includes('(postgres)')) sum += cpuOfStat(stat);
    } catch { /* exited meanwhile */ }
  }
  return sum;
}

const { url: dbUrl, drop } = await scratchDatabase(DB);
const token = createTenantCli(dbUrl, 'probe');
const profDir = option('cpu-prof');
const nodeArgs = args.includes('--perf') ? ['--perf-basic-prof'] : profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
const WEBHOOK = args.includes('--webhook');
// The receiver is on loopback, over http: allowed for this run only (docs/events.md).
const rollcall = await startProcess(dbUrl, { ROLLCALL_LOG_LEVEL: 'error', ...(WEBHOOK ? { ROLLCALL_WEBHOOK_ALLOW_HTTP: 'true', ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } : {}) }, nodeArgs);
const receiverPort = WEBHOOK ? await freePort() : 0;
const receiver = WEBHOOK ? spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./webhook-receiver.ts', import.meta.url)), String(receiverPort)], { stdio: ['ignore', 'pipe', 'inherit'] }) : undefined;
const received = async () => receiver ? ((await (await fetch(`http://127.0.0.1:${receiverPort}/stats`)).json()) as { received: number }).received : 0;
/** Waits until the receiver's count has not moved for half a second: delivery has caught up. */
const settled = async () => { for (let last = -1, n = await received(); n !== last; last = n, n = await received()) await new Promise((r) => setTimeout(r, 500)); };
try {
  if (receiver) {
    await new Promise((r) => receiver.stdout.once('data', r));
    const key = (JSON.parse(cli(['admin-key', 'create', '--name', 'probe', '--db', dbUrl, '--json']).stdout) as { key: string }).key;
    const created = await fetch(`${rollcall.url}/admin/v1/tenants/probe/webhooks`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: `http://127.0.0.1:${receiverPort}/hook` }) });
    if (created.status !== 201) throw new Error(`creating the webhook endpoint: ${created.status} ${await created.text()}`);
  }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
  const post = async (path: string, body: unknown) => (await (await fetch(`${rollcall.url}${P}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as { id: string };
  for (let i = 0; i < 500; i++) ids.push((await post('/Users', { schemas: [USER], userName: `u${i}@probe.example`, emails: [{ value: `u${i}@probe.example`, type: 'work' }] })).id);
  groupId = (await post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'probe', members: ids.slice(0, 10).map((value) => ({ value })) })).id;

  const pid = rollcall.child.pid!;
  if (args.includes('--perf')) console.log(`Rollcall pid ${pid}: perf record -g -p ${pid} -- sleep ${Math.max(1, SECONDS - 2)}`);
  // The seeding's deliveries finish before the measured run (the delivery thread started with them).
  if (receiver) await settled();
  const delivered0 = await received();
  const pg0 = postgresCpu();
  const threads0 = threadCpu(pid);
  const self0 = process.cpuUsage();
  const machine0 = machineTicks();
  const r = await autocannon({
    url: rollcall.url, connections: 32, duration: SECONDS, headers,
    requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, ...workloads[kind]() }) }],
  });
  const steal = stealShare(machine0, machineTicks());
  const self = process.cpuUsage(self0);
  // With a webhook, counted once delivery has caught up (its rows are part of each request's cost).
  if (receiver) await settled();
  const spent = [...threadCpu(pid)].map(([t, s]) => s - (threads0.get(t) ?? 0));
  const main = Math.max(...spent);
  const all = spent.reduce((a, b) => a + b, 0);
  const per = (seconds: number) => `${((seconds * 1e6) / r.requests.total).toFixed(0)} µs/req`;
  console.log(`${kind} (${DB}): ${r.requests.average.toFixed(0)} req/s; CPU: Rollcall main thread ${per(main)} (all threads ${per(all)})` +
    `${DB === 'postgres' ? `, PostgreSQL ${per(postgresCpu() - pg0)}` : ''}, load generator ${per((self.user + self.system) / 1e6)}` +
    `${r.non2xx + r.errors ? `; ${r.non2xx} non-2xx, ${r.errors} errors` : ''}; steal ${(steal * 100).toFixed(1)}% (the hypervisor's share of the machine's CPU during the run)`);
  if (args.includes('--threads')) console.log(`threads' CPU per request, busiest first: ${spent.filter((x) => x > 0.01).sort((a, b) => b - a).map((x) => ((x * 1e6) / r.requests.total).toFixed(1)).join(', ')} µs`);
  if (receiver) {
    const delivered = (await received()) - delivered0;
    const busiest = spent.filter((x) => x > 0.05).sort((a, b) => b - a).map((x) => `${((x * 1e6) / r.requests.total).toFixed(0)}`);
    console.log(`webhook: ${delivered} events delivered for ${r.requests.total} requests; busiest threads' CPU per request: ${busiest.join(', ')} µs`);
  }
} finally {
  receiver?.kill();
  await rollcall.stop();
  await drop();
}
