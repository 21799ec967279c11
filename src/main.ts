// Composition root: config → clock → store → provisioning → http. Used by `rollcall serve` and by the
// tests; library.ts composes the same parts for a vendor's own server.
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { metricsEnabled, type Config } from './config/config.ts';
import { makeDelivery, type Delivery } from './events/delivery-thread.ts';
import { WebhookEndpoints } from './events/endpoints.ts';
import type { Sink } from './events/sink.ts';
import { buildApp } from './http/app.ts';
import { HttpDrain } from './http/shutdown.ts';
import { systemClock, type Clock } from './provisioning/clock.ts';
import { RequestLog } from './provisioning/request-log/recorder.ts';
import { makeWriterThread } from './provisioning/request-log/writer-thread.ts';
import type { Provisioning } from './provisioning/service.ts';
import { makeProvisioning, type ProvisioningOptions } from './provisioning/from-config.ts';
import { makeSso, type SsoServices } from './provisioning/sso/services.ts';
import type { SamlConnections } from './provisioning/sso/connections.ts';
import { MetadataRefresher } from './provisioning/sso/metadata-refresher.ts';
import type { ConsumerKind, Store } from './store/store.ts';
import { openStore } from './store/open.ts';
import { ConsoleSessions, startConsolePruning } from './provisioning/admin/console-sessions.ts';

export { openStore, redactUrl, UnsupportedDatabase, type StoreOptions } from './store/open.ts';
export { makeProvisioning } from './provisioning/from-config.ts';

export interface Running {
  app: FastifyInstance; store: Store; provisioning: Provisioning; url: string;
  /**
   * Stops gracefully (docs/running.md "Stopping and restarting"): no new connections, requests in
   * flight finish (at most config.shutdownTimeoutMs, then they are cut), webhook deliveries finish or
   * are released, the request log is written, the database closed. Called again, the same promise.
   */
  close(): Promise<ShutdownReport>;
  /** True from the moment close() is called: a readiness check answers 503 from then on. */
  readonly closing: boolean;
  /** Requests accepted and not yet answered (http/shutdown.ts). */
  readonly inFlight: number;
  /** Delivers committed events to webhooks and the other consumers (events/delivery-thread.ts). */
  engine: Delivery;
  /** The webhook endpoints' use cases (the admin API's routes call them). */
  endpoints: WebhookEndpoints;
  /** Single sign-on: the sign-in use case and the handoff to the app (provisioning/sso/). */
  sso: SsoServices;
  /** The tenants' SAML connections (provisioning/sso/connections.ts). */
  samlConnections: SamlConnections;
  /** Refreshes connections' metadata from their URLs (provisioning/sso/metadata-refresher.ts). */
  metadataRefresher: MetadataRefresher;
  /** The SCIM request log's writer (provisioning/request-log/recorder.ts): flush() writes what it holds. */
  requestLog: RequestLog;
}

/** What close() did, for the log line that ends a shutdown. */
export interface ShutdownReport {
  /** Requests in flight when close() began, accepted during the drain, and cut by the timeout. */
  requests: { inFlightAtStart: number; acceptedDuring: number; cut: number };
  /** ms spent on the requests, on stopping delivery (deliveries in flight finish or are released), and in all. */
  requestsMs: number; deliveryMs: number; totalMs: number;
}

/** The provisioning service's options (clock, hooks, vetoes), and the server's own. */
export interface ServerOptions extends ProvisioningOptions {
  logger?: boolean | object;
  store?: Store;
  /** Sinks of the other consumer kinds (email, listeners); the webhook sink is made from config.webhooks. */
  sinks?: Partial<Record<ConsumerKind, Sink>>;
}

/** The SCIM request log's recorder (provisioning/request-log/recorder.ts), as the server and the library both make it. */
export function makeRequestLog(config: Readonly<Config>, store: Store, clock: Clock, warn: (obj: object, msg: string) => void): RequestLog {
  return new RequestLog({ store, clock, config: config.requestLog, log: { warn }, thread: makeWriterThread(config, store) });
}

export async function startServer(config: Readonly<Config>, options: ServerOptions = {}): Promise<Running> {
  let log: FastifyInstance['log'] | undefined;
  const store = options.store ?? (await openStore(config, { onSlowQuery: (sqlText, ms) => log?.warn({ sql: sqlText, ms }, 'slow query') }));
  const provisioning = makeProvisioning(config, store, options);
  const sso = makeSso(config, provisioning);
  const requestLog = makeRequestLog(config, store, options.clock ?? systemClock, (obj, msg) => log?.warn(obj, msg));
  // The server's own metrics registry (http/metrics/), when config.metrics asks for one.
  const metrics = metricsEnabled(config)
    ? new (await import('./http/metrics/metrics.ts')).Metrics({ store, tenants: config.metrics.tenants, clock: options.clock, warn: (obj, msg) => log?.warn(obj, msg) })
    : undefined;
  let http: HttpDrain | undefined;
  const app = await buildApp({ config, provisioning, sso, logger: options.logger, requestLog, metrics, closing: () => http?.closing ?? false });
  log = app.log;
  http = new HttpDrain(app.server);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    // A busy port (EADDRINUSE): nothing may be left open, or the process would never exit.
    await app.close();
    if (!options.store) await store.close();
    throw err;
  }
  // Delivery starts once the server listens, and never inside a request (events/engine.ts).
  const engine = makeDelivery(config, store, { clock: options.clock, sinks: options.sinks, log: app.log, onOutcome: metrics?.deliveryOutcome });
  engine.start();
  const clock = options.clock ?? systemClock;
  const samlConnections = sso.connections;
  const metadataRefresher = new MetadataRefresher(samlConnections, store, clock, { timeoutMs: config.saml.metadataTimeoutMs, log: app.log });
  metadataRefresher.start();
  requestLog.start();
  // Ended console sessions and setup links 30 days past expiry (provisioning/admin/console-sessions.ts).
  const consolePruning = startConsolePruning(new ConsoleSessions(store, clock, config.console), app.log);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<ShutdownReport> | undefined;
  const shutdown = async (): Promise<ShutdownReport> => {
    const t0 = performance.now();
    const drained = await http.drain(config.shutdownTimeoutMs);
    if (drained.cut) {
      app.log.error({ requestsCut: drained.cut, shutdownTimeoutMs: config.shutdownTimeoutMs },
        `shutdown: ${drained.cut} request(s) still in flight after ROLLCALL_SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms) were cut; their clients got no answer`);
    }
    // Fastify's own closing (onClose hooks); its server is closed already.
    await app.close();
    // After the server: the requests it answered while closing are written too.
    await requestLog.stop();
    await consolePruning.stop();
    await metadataRefresher.stop();
    const t1 = performance.now();
    await engine.stop();
    const deliveryMs = Math.round(performance.now() - t1);
    await store.close();
    return {
      requests: { inFlightAtStart: drained.inFlightAtStart, acceptedDuring: drained.acceptedDuring, cut: drained.cut },
      requestsMs: drained.ms, deliveryMs, totalMs: Math.round(performance.now() - t0),
    };
  };
  return {
    app,
    store,
    provisioning,
    engine,
    endpoints: new WebhookEndpoints(store, clock, config.webhooks),
    samlConnections,
    metadataRefresher,
    sso,
    requestLog,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    close() {
      closing ??= shutdown();
      return closing;
    },
    get closing() { return http.closing; },
    get inFlight() { return http.inFlight; },
  };
}
