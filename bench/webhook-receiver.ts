// The bench's webhook receiver (npm run bench -- --webhook): a separate process, so its work is not
// counted as Rollcall's. Answers every delivery 204 at once; GET /stats gives how many it received
// and the highest event position among them.
import { createServer } from 'node:http';

let received = 0;
let maxPosition = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received, maxPosition }));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received++;
    try { maxPosition = Math.max(maxPosition, (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { position: number }).position); } catch { /* counted anyway */ }
    res.writeHead(204);
    res.end();
  });
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => { process.stdout.write('ready\n'); });
