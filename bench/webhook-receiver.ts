// The bench's webhook receiver (npm run bench -- --webhook): a separate process, so its work is not
// counted as Rollcall's. Answers every delivery 204 at once; GET /stats gives how many it received,
// the highest event position among them, and the lag of each (its arrival less the event's
// timestamp, the same machine's clock) as percentiles since the last POST /reset.
import { createServer } from 'node:http';

let received = 0;
let maxPosition = 0;
let lags: number[] = [];
const at = (q: number) => { const s = [...lags].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0; };
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received, maxPosition, lagMs: { n: lags.length, p50: at(0.5), p99: at(0.99), max: at(1) } }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    lags = [];
    res.writeHead(204).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received++;
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { position: number; timestamp: string };
      maxPosition = Math.max(maxPosition, event.position);
      lags.push(Date.now() - Date.parse(event.timestamp));
    } catch { /* counted anyway */ }
    res.writeHead(204);
    res.end();
  });
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => { process.stdout.write('ready\n'); });
