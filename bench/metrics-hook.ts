// node --import tsx bench/metrics-hook.ts
// What the metrics hook (http/metrics/routes.ts) costs a request: CPU per GET /healthz through
// Fastify's inject (no sockets, no database: the smallest request, so the hook's share is the
// largest), one app with metrics off and one with them on, in alternating rounds. CPU time, not
// wall time, so that other processes sharing the cores count less (docs/operations.md, "Cost").
import { loadConfig } from '../src/config/config.ts';
import { buildApp } from '../src/http/app.ts';
import { openStore } from '../src/store/open.ts';
import { makeProvisioning } from '../src/main.ts';
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
async function app(on: boolean) {
  const config = loadConfig({ databaseUrl: 'sqlite::memory:', logLevel: 'silent', ...(on ? { metrics: { token: 'x'.repeat(20), tenants: 0 } } : {}) }, {});
  const store = await openStore(config);
  const a = await buildApp({ config, provisioning: makeProvisioning(config, store), logger: false });
  await a.ready();
  return a;
}
const off = await app(false), on = await app(true);
const N = 20_000;
const res: Record<string, number[]> = { off: [], on: [] };
for (let round = 0; round < 5; round++) {
  for (const [name, a] of [['off', off], ['on', on]] as const) {
    const t0 = cpu();
    for (let i = 0; i < N; i++) await a.inject({ method: 'GET', url: '/healthz' });
    res[name].push((cpu() - t0) / N);
  }
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`GET /healthz via inject, CPU µs/request, 5 alternating rounds of ${N}: off ${res.off.map((x) => x.toFixed(1)).join(' ')} (median ${med(res.off).toFixed(1)}); on ${res.on.map((x) => x.toFixed(1)).join(' ')} (median ${med(res.on).toFixed(1)})`);
process.exit(0);
