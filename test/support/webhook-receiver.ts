// A real HTTP receiver on 127.0.0.1 for the webhook tests: it records every request (headers and the
// exact body bytes) and answers as the test tells it to, per request.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received { headers: IncomingHttpHeaders; body: string; id: string; type: string; tenant: string; tenantPosition: number; at: number }
export interface Answer { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }

export interface Receiver {
  url: string;
  received: Received[];
  /** How to answer the next request (default 204). */
  answer: (r: Received) => Answer | Promise<Answer>;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => ({ status: 204 })): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = { url: '', received, answer, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let parsed: { id?: string; type?: string; tenant?: { slug?: string }; tenantPosition?: number } = {};
      try { parsed = JSON.parse(body) as typeof parsed; } catch { /* recorded as is */ }
      const r: Received = { headers: req.headers, body, id: parsed.id ?? '', type: parsed.type ?? '', tenant: parsed.tenant?.slug ?? '', tenantPosition: parsed.tenantPosition ?? 0, at: Date.now() };
      received.push(r);
      void Promise.resolve(receiver.answer(r)).then(async (a) => {
        if (a.delayMs) await new Promise((done) => setTimeout(done, a.delayMs));
        if (res.destroyed) return;
        res.writeHead(a.status, a.headers);
        res.end(a.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  receiver.url = `http://127.0.0.1:${port}/hook`;
  receiver.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return receiver;
}

/** Polls `check` until it returns true or the deadline passes (then fails with `what`). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
