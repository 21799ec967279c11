// What a client sees at the connection level when it sends too much, too slowly, or too little:
// always an answer it can read (a SCIM error), never a reset, and never a connection held open
// past the configured bound. Raw sockets, because fetch hides exactly these failures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startTestServer, type TestServer } from '../support/server.ts';

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

let server: TestServer;
let strict: TestServer;
/** The bounds of the second server: small, so that a stalled client is cut off within seconds. */
const TIMEOUTS = { requestMs: 1500, headersMs: 1000, idleMs: 10_000, keepAliveMs: 1000 };
/** How long a test waits before it calls a connection "held open": far past TIMEOUTS, far short of the client's own pace. */
const HELD_OPEN_MS = 15_000;

before(async () => {
  server = await startTestServer();
  strict = await startTestServer({ config: { timeouts: TIMEOUTS } });
});
after(async () => {
  await server?.close();
  await strict?.close();
});

interface Outcome {
  /** Everything the client read, as latin1 text. */
  received: string;
  /** The first socket error the client got (EPIPE, ECONNRESET), if any. */
  error?: string;
  /** Whether the connection was closed by the time the client gave up. */
  closed: boolean;
}

/** Parses "HTTP/1.1 413 …\r\n…\r\n\r\n{json}" once the whole body (Content-Length) is there. */
function parseResponse(text: string): { status: number; headers: Record<string, string>; body: string } | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const body = text.slice(end + 4);
  if (headers['content-length'] !== undefined && Buffer.byteLength(body, 'latin1') < Number(headers['content-length'])) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * A raw HTTP/1.1 client. It writes `head`, then `size` body bytes in `chunk`-sized writes (each
 * after `pauseMs`, or as fast as the socket takes them), then reads. With readAfterSending it reads
 * nothing before the whole body is written, as many simple clients do (Python's http.client, for
 * one), and is done once it has read a whole response. Otherwise it waits for the server to close
 * the connection, or gives up after giveUpMs (closed: false).
 */
function send(url: string, head: string, body: { size: number; chunk: number; pauseMs?: number; readAfterSending?: boolean; chunked?: boolean }, giveUpMs: number): Promise<Outcome & { sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    let error: string | undefined;
    let settled = false;
    let pauseTimer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(giveUp);
      clearTimeout(pauseTimer);
      socket.destroy();
      resolve({ received, error, closed, sent });
    };
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    if (body.readAfterSending) socket.pause();
    socket.on('data', (d) => {
      received += d.toString('latin1');
      if (body.readAfterSending && parseResponse(received)) finish(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => { error ??= err.code ?? err.message; });
    socket.on('close', () => finish(true));
    socket.write(head);
    const piece = Buffer.alloc(body.chunk, 'a');
    const framed = Buffer.concat([Buffer.from(`${body.chunk.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    let sent = 0;
    const pump = () => {
      while (!settled && !error && sent < body.size) {
        const n = Math.min(body.chunk, body.size - sent);
        sent += n;
        const more = socket.write(body.chunked ? framed : n === body.chunk ? piece : piece.subarray(0, n));
        if (body.pauseMs) { pauseTimer = setTimeout(pump, body.pauseMs); return; }
        if (!more) { socket.once('drain', pump); return; }
      }
      socket.resume();
    };
    pump();
  });
}

function requestHead(url: string, token: string, contentLength: number | 'chunked'): string {
  const u = new URL(url);
  return `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${token}\r\n`
    + `Content-Type: application/scim+json\r\n${contentLength === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${contentLength}`}\r\n\r\n`;
}

function assertScimError(outcome: Outcome, status: number, label: string): void {
  const res = parseResponse(outcome.received);
  assert.ok(res, `${label}: no complete response was read (${outcome.error ?? 'no socket error'}); got ${JSON.stringify(outcome.received.slice(0, 200))}`);
  assert.equal(res.status, status, `${label}: ${outcome.received.slice(0, 300)}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/scim\+json/, label);
  const body = JSON.parse(res.body) as { schemas: string[]; status: string; detail: string };
  assert.deepEqual(body.schemas, [ERROR_URN], label);
  assert.equal(body.status, String(status), label);
  assert.equal(typeof body.detail, 'string', label);
}

test('20 clients streaming a 12 MB body at once each send it whole and read the 413 SCIM error: no EPIPE, no reset', async () => {
  const size = 12 * 1024 * 1024;
  const url = `${server.scimUrl}/Users`;
  const outcomes = await Promise.all(Array.from({ length: 20 }, () =>
    send(url, requestHead(url, server.token, size), { size, chunk: 64 * 1024, readAfterSending: true }, 60_000)));
  assert.deepEqual(outcomes.map((o, i) => o.error && `client ${i}: ${o.error}`).filter(Boolean), [], 'no client got a socket error');
  outcomes.forEach((o, i) => {
    assertScimError(o, 413, `client ${i}`);
    assert.match(parseResponse(o.received)!.body, /larger than 10485760 bytes/);
  });
});

test('after the 413 of a drained body the connection serves the next request', async () => {
  const u = new URL(`${server.scimUrl}/Users`);
  const size = 11 * 1024 * 1024;
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  let received = '';
  socket.on('data', (d) => { received += d.toString('latin1'); });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => undefined);
  try {
    socket.write(requestHead(u.toString(), server.token, size));
    socket.write(Buffer.alloc(size, 'a'));
    const until = async (done: () => boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!done()) {
        assert.ok(Date.now() < deadline, `${what}; read so far: ${received.slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => parseResponse(received) !== undefined, 'no answer to the oversized body');
    assert.equal(parseResponse(received)!.status, 413);
    const first = received;
    received = '';
    socket.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${server.token}\r\n\r\n`);
    await until(() => parseResponse(received) !== undefined, `no answer to the request after the 413 (${first.split('\r\n')[0]})`);
    assert.equal(parseResponse(received)!.status, 200, received.slice(0, 300));
  } finally {
    socket.destroy();
    await closed;
  }
});

test('a body that goes on past the drain bound (4 × the body limit) is cut off after its 413', async () => {
  const url = `${server.scimUrl}/Users`;
  // Chunked, so nothing announces the size: 200 MB would be sent if the server kept reading.
  const size = 200 * 1024 * 1024;
  const outcome = await send(url, requestHead(url, server.token, 'chunked'), { size, chunk: 64 * 1024, chunked: true }, 60_000);
  assert.ok(outcome.closed, 'the server closed the connection');
  assert.ok(outcome.sent < size, `the server stopped reading before the client had sent everything (sent ${outcome.sent})`);
  assertScimError(outcome, 413, 'endless body');
});

test('a client that sends its headers, then trickles its body, is answered 408 and cut off within the request timeout', async () => {
  const url = `${strict.scimUrl}/Users`;
  // 1 byte every 100 ms for a 10,000-byte body would take 1,000 s; the socket is never idle long.
  const outcome = await send(url, requestHead(url, strict.token, 10_000), { size: 10_000, chunk: 1, pauseMs: 100 }, HELD_OPEN_MS);
  assert.ok(outcome.closed, `the connection was still open after ${HELD_OPEN_MS} ms (request timeout ${TIMEOUTS.requestMs} ms)`);
  assertScimError(outcome, 408, 'trickling client');
});

test('a client whose body is shorter than its Content-Length is answered 408 and cut off within the request timeout', async () => {
  const url = `${strict.scimUrl}/Users`;
  const outcome = await send(url, requestHead(url, strict.token, 1000), { size: 40, chunk: 40 }, HELD_OPEN_MS);
  assert.ok(outcome.closed, `the connection was still open after ${HELD_OPEN_MS} ms (request timeout ${TIMEOUTS.requestMs} ms)`);
  assertScimError(outcome, 408, 'truncated body');
});

test('a client that never finishes its headers is cut off within the headers timeout', async () => {
  const u = new URL(`${strict.scimUrl}/Users`);
  const outcome = await send(u.toString(), `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n`, { size: 2000, chunk: 1, pauseMs: 100 }, HELD_OPEN_MS);
  assert.ok(outcome.closed, `the connection was still open after ${HELD_OPEN_MS} ms (headers timeout ${TIMEOUTS.headersMs} ms)`);
  assertScimError(outcome, 408, 'stalled headers');
});

test('an idle keep-alive connection is closed after the keep-alive timeout; a request on it before then is served', async () => {
  const u = new URL(`${strict.scimUrl}/Users`);
  const get = `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${strict.token}\r\n\r\n`;
  const outcome = await send(u.toString(), get, { size: 0, chunk: 1 }, HELD_OPEN_MS);
  assert.ok(outcome.closed, `the idle connection was still open after ${HELD_OPEN_MS} ms (keep-alive timeout ${TIMEOUTS.keepAliveMs} ms)`);
  assert.equal(parseResponse(outcome.received)?.status, 200, outcome.received.slice(0, 200));
});

test('the configured timeouts reach the Node server', () => {
  const s = strict.running.app.server;
  assert.equal(s.requestTimeout, TIMEOUTS.requestMs);
  assert.equal(s.headersTimeout, TIMEOUTS.headersMs);
  assert.equal(s.keepAliveTimeout, TIMEOUTS.keepAliveMs);
  assert.equal(s.timeout, TIMEOUTS.idleMs);
});
