// Stopping the HTTP server without failing a request it accepted (docs/running.md "Stopping and
// restarting"). A request is *accepted* once Node has read its request line and headers (the
// server's 'request' event): from then on it is counted in flight, and it is answered in full
// unless the shutdown timeout passes first, when it is cut and counted.
//
// drain(): the listening socket closes at once (new connections are refused: a client or load
// balancer sends them elsewhere, having sent nothing); requests in flight finish; a request that
// arrives on an open keep-alive connection is served as usual — every answer from the moment the
// drain starts says `Connection: close`, so each connection carries at most one more request and
// then closes. Answering those with 503 instead (Fastify's return503OnClosing, which app.close()
// would switch on) would fail requests that a few milliseconds of work complete, and some IdPs do
// not retry a 5xx until their next cycle (Entra: 40 minutes).
//
// Idle keep-alive connections are closed IDLE_LINGER_MS after the drain starts, not at once (as
// Node's server.close() would): a client that sends one request after another has its connection
// idle for the instant between an answer and its next request, and closing it then resets the
// request it is sending. Measured with test/faults/shutdown.test.ts (8 clients posting users back to
// back, SIGTERM mid-way): closed at once, 4 of 8 clients (SQLite) and 1 of 8 (PostgreSQL) had a
// request reset; with the linger, none in six runs (4 SQLite, 2 PostgreSQL): each client got its
// next request answered with `Connection: close`, then a refused connection. The cost: a drain with
// an idle connection open (a load balancer's, say) takes IDLE_LINGER_MS.
// What no server can avoid: a request sent on an idle connection just as it is closed is reset
// without an answer. Rollcall never read it and did nothing for it; the client may send it again.
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';

/** How long an idle keep-alive connection may still carry one more request once the drain starts. */
export const IDLE_LINGER_MS = 1000;

export interface DrainReport {
  /** Requests accepted and not yet answered when the drain began. */
  inFlightAtStart: number;
  /** Requests accepted during the drain (on keep-alive connections that were busy). */
  acceptedDuring: number;
  /** Requests still unanswered when the timeout passed, whose connections were destroyed. */
  cut: number;
  /** How long the drain took, ms. */
  ms: number;
}

export class HttpDrain {
  /** Responses of the requests accepted and not yet finished (or whose connection has not closed). */
  private readonly open = new Set<ServerResponse>();
  private draining = false;
  private acceptedDuring = 0;
  private drained?: Promise<DrainReport>;

  constructor(private readonly server: Server) {
    // First of the 'request' listeners, so the header is set before Fastify can answer.
    server.prependListener('request', (_req, res: ServerResponse) => {
      this.open.add(res);
      res.once('close', () => this.open.delete(res));
      if (this.draining) {
        this.acceptedDuring++;
        res.setHeader('connection', 'close');
      }
    });
  }

  /** True from the start of the drain (a readiness check answers 503 from then on). */
  get closing(): boolean {
    return this.draining;
  }

  /** Requests accepted and not yet answered. */
  get inFlight(): number {
    return this.open.size;
  }

  /**
   * Stops accepting connections, closes idle ones, and waits for the requests in flight, at most
   * `timeoutMs`; then destroys the connections left and reports how many requests were cut.
   * Called again, it returns the first call's report.
   */
  drain(timeoutMs: number): Promise<DrainReport> {
    this.drained ??= this.run(timeoutMs);
    return this.drained;
  }

  private async run(timeoutMs: number): Promise<DrainReport> {
    const t0 = performance.now();
    this.draining = true;
    const inFlightAtStart = this.open.size;
    // Answers already on their way keep their headers; the others close their connection after them.
    for (const res of this.open) if (!res.headersSent) res.setHeader('connection', 'close');
    // net.Server's close: stops listening without http.Server's closing of idle connections (the
    // linger below does that). The callback runs once every connection has closed (or at once with
    // an error when the server was not listening, which leaves nothing to wait for either).
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    const linger = setTimeout(() => this.server.closeIdleConnections(), Math.min(IDLE_LINGER_MS, timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs); });
    const outcome = await Promise.race([closed, late]);
    clearTimeout(timer);
    clearTimeout(linger);
    let cut = 0;
    if (outcome === 'late') {
      cut = this.open.size;
      this.server.closeAllConnections();
      await closed;
    }
    return { inFlightAtStart, acceptedDuring: this.acceptedDuring, cut, ms: Math.round(performance.now() - t0) };
  }
}
