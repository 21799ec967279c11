// node --import tsx bench/http-client-floor.ts [--requests N]
// The floor under a webhook delivery's CPU on this machine (docs/performance.md, issue 10): Node's
// HTTP client sending 700-byte POSTs one at a time over one keep-alive connection — as one delivery
// stream must, for ordering — to a Node server in another process that answers 204. Prints the
// client's CPU per request. None of Rollcall's code runs here.
import { fork } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === 'server') {
  const server = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(204); res.end(); }); });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
} else {
  const i = process.argv.indexOf('--requests');
  const N = i > 0 ? Number(process.argv[i + 1]) : 10_000;
  const child = fork(fileURLToPath(import.meta.url), ['server']);
  const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ type: 'user.created', data: { x: 'x'.repeat(640) } });
  const one = () => new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/hook', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
  for (let k = 0; k < 2000; k++) await one(); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < N; k++) await one();
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  console.log(`${N} sequential requests: ${((N / ms) * 1000).toFixed(0)} req/s; client CPU ${((cpu.user + cpu.system) / N).toFixed(0)} µs/request (user ${(cpu.user / N).toFixed(0)}, system ${(cpu.system / N).toFixed(0)})`);
  child.kill();
  agent.destroy();
}
