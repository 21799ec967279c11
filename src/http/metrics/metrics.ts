// The server's Prometheus metrics (docs/operations.md lists each one). One Registry per server,
// made in main.ts (house rule 4): prom-client's global default registry is never used, so two
// servers in one process (the tests, a vendor's app) never mix their counts.
//
// What each request costs: one histogram observation in onResponse (hooks.ts), labelled by the
// route *pattern* Fastify matched (/scim/v2/:tenant/Users/:id), never the URL, so the number of
// series is bounded by the routes, methods and status classes, whatever clients send. Everything
// read from the database (the delivery backlog) is read when Prometheus scrapes, not per request.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { systemClock, type Clock } from '../../provisioning/clock.ts';
import type { ConsumerKind, DeliveryOutcomeName, Store } from '../../store/store.ts';

/** Label of a request no route matched (404s, and errors before routing). */
export const UNMATCHED = '(unmatched)';
/** Label of the tenants beyond config.metrics.tenants. */
export const OTHER_TENANTS = '(other)';

// SCIM requests take from a fraction of a millisecond (a GET by id on SQLite, about 0.1 ms of CPU:
// docs/performance.md) to seconds (a 100,000-member group PUT, a /Bulk of 1,000 operations).
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  store: Store;
  /** config.metrics.tenants: tenants with a counter of their own (0: none). */
  tenants: number;
  /** Called when reading the database at scrape time fails (the metric is left out of that scrape). */
  warn?: (obj: object, msg: string) => void;
  /** The server's clock (the outbox's age is measured by it). */
  clock?: Clock;
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Histogram<'route' | 'method' | 'status_class'>;
  readonly scimErrors: Counter<'scim_type' | 'status'>;
  readonly tenantRequests: Counter<'tenant'> | undefined;
  readonly deliveries: Counter<'kind' | 'outcome'>;
  private readonly tenantsSeen = new Set<string>();
  private readonly maxTenants: number;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    const { store, warn } = options;
    const clock = options.clock ?? systemClock;
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Histogram({
      name: 'rollcall_http_request_duration_seconds',
      help: 'HTTP requests by route pattern, method and status class: time from arrival to the last byte sent (its _count is the request count).',
      labelNames: ['route', 'method', 'status_class'], buckets: BUCKETS, registers,
    });
    this.scimErrors = new Counter({
      name: 'rollcall_scim_errors_total',
      help: 'SCIM error responses by scimType (RFC 7644 §3.12; "none" when the error has none) and HTTP status.',
      labelNames: ['scim_type', 'status'], registers,
    });
    this.maxTenants = options.tenants;
    this.tenantRequests = options.tenants > 0 ? new Counter({
      name: 'rollcall_scim_tenant_requests_total',
      help: `Authenticated SCIM requests per tenant slug, for the first ${options.tenants} tenants seen since start; the rest under tenant="${OTHER_TENANTS}".`,
      labelNames: ['tenant'], registers,
    }) : undefined;
    this.deliveries = new Counter({
      name: 'rollcall_delivery_attempts_total',
      help: 'Event delivery attempts made by this process, by consumer kind (webhook, email, listeners) and outcome (delivered, skipped, failed: retried later, dead: dead-lettered).',
      labelNames: ['kind', 'outcome'], registers,
    });
    const pending = new Gauge({
      name: 'rollcall_outbox_pending_events',
      help: 'Events committed but not yet delivered, by consumer kind, over every process sharing the database (read at scrape time).',
      labelNames: ['kind'], registers,
    });
    const oldest = new Gauge({
      name: 'rollcall_outbox_oldest_pending_seconds',
      help: 'Age of the oldest event not yet delivered, by consumer kind (0: none pending), including events delivery has not looked at yet.',
      labelNames: ['kind'], registers,
    });
    // Both gauges from one query, made by whichever of them is collected first in a scrape.
    let reading: Promise<void> | undefined;
    const readBacklog = () => reading ??= (async () => {
      pending.reset();
      oldest.reset();
      try {
        for (const kind of KINDS) { pending.set({ kind }, 0); oldest.set({ kind }, 0); }
        for (const b of await store.deliveryBacklog()) {
          pending.set({ kind: b.kind }, b.pending);
          if (b.oldestAt) oldest.set({ kind: b.kind }, Math.max(0, (clock.now() - Date.parse(b.oldestAt)) / 1000));
        }
      } catch (err) {
        // Left out of this scrape (no sample rather than a wrong one); /readyz says why.
        pending.reset();
        oldest.reset();
        warn?.({ err: err instanceof Error ? err.message : String(err) }, 'metrics: could not read the delivery backlog');
      }
    })().finally(() => { setImmediate(() => { reading = undefined; }); });
    // prom-client awaits collect() of each metric; the second finds the first's read under way.
    Object.assign(pending, { collect: readBacklog });
    Object.assign(oldest, { collect: readBacklog });
    const pool = store.poolUse?.bind(store);
    if (pool) {
      const connections = new Gauge({ name: 'rollcall_db_pool_connections', help: 'PostgreSQL connections of the request pool, by state (in_use, idle).', labelNames: ['state'], registers });
      const waiting = new Gauge({ name: 'rollcall_db_pool_waiting', help: 'Queries waiting for a PostgreSQL connection of the request pool.', registers });
      const max = new Gauge({ name: 'rollcall_db_pool_max', help: 'Most connections the request pool opens (ROLLCALL_DB_POOL_SIZE).', registers });
      Object.assign(connections, { collect() {
        const u = pool();
        connections.set({ state: 'in_use' }, u.total - u.idle);
        connections.set({ state: 'idle' }, u.idle);
        waiting.set(u.waiting);
        max.set(u.max);
      } });
    }
  }

  /** Counts an authenticated SCIM request of a tenant (only when config.metrics.tenants > 0). */
  tenantRequest(slug: string): void {
    if (!this.tenantRequests) return;
    if (!this.tenantsSeen.has(slug)) {
      if (this.tenantsSeen.size >= this.maxTenants) { this.tenantRequests.inc({ tenant: OTHER_TENANTS }); return; }
      this.tenantsSeen.add(slug);
    }
    this.tenantRequests.inc({ tenant: slug });
  }

  /** The delivery engine's outcomes (events/delivery-thread.ts OutcomeListener), from either thread. */
  readonly deliveryOutcome = (kind: ConsumerKind, outcome: DeliveryOutcomeName, count = 1): void => {
    this.deliveries.inc({ kind, outcome }, count);
  };

  /** The text Prometheus reads, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

const KINDS: readonly ConsumerKind[] = ['webhook', 'email', 'listeners'];
