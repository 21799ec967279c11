// The package entry point: `import { createRollcall } from 'rollcall'` in a vendor's own Node app.
// Another composition root beside main.ts (which `rollcall serve` uses): config → clock → store →
// provisioning, then, instead of a server of its own, a Fastify plugin that mounts the same
// surfaces (http/surfaces.ts) in the vendor's server, and the use cases for the vendor's code.
// The typed admin API client is the package's second entry point, `rollcall/client` (src/client/,
// package.json "exports"); this one does not re-export it, so an API caller never loads the server.
import type { FastifyPluginAsync } from 'fastify';
import { ConfigError, DEFAULTS, loadConfig, type Config } from './config/config.ts';
import { ListenerRegistry, ListenerSink, type EventListener } from './events/listeners.ts';
import { DRAIN_LIMIT_FACTOR, Drains } from './http/drain.ts';
import { registerSurfaces } from './http/surfaces.ts';
import { ConsoleSessions, startConsolePruning } from './provisioning/admin/console-sessions.ts';
import { makeDelivery } from './events/delivery-thread.ts';
import { makeProvisioning, makeRequestLog, openStore } from './main.ts';
import { makeSso } from './provisioning/sso/services.ts';
import { systemClock, type Clock } from './provisioning/clock.ts';
import { MetadataRefresher } from './provisioning/sso/metadata-refresher.ts';
import { useCases, type UseCases } from './provisioning/use-cases.ts';
import { VetoRegistry, type Veto } from './provisioning/policies/vetoes.ts';

export type {
  ListParams, PatchRequest, ProjectionParams, ResourceUseCases, ScimBody, ScimListResponse, ScimResource,
  TenantsUseCases, TenantUseCases, TokenInfo, TokensUseCases, UseCases, WriteOptions,
} from './provisioning/use-cases.ts';
export type { Tenant } from './store/store.ts';
export type { Clock } from './provisioning/clock.ts';
export { ScimError, type ErrorReason, type ScimType } from './scim/errors.ts';
export { TenantError } from './provisioning/tenants/tenants.ts';
export { ConfigError } from './config/config.ts';
export { UnsupportedDatabase } from './main.ts';
export { UnknownEventType, type EventListener } from './events/listeners.ts';
export type { EventPayload } from './events/payload.ts';
export type { EventType } from './events/event-types.ts';
export type { EventActor } from './store/store.ts';
export { UnknownChangeKind, type ProposedChange, type Refusal, type Veto } from './provisioning/policies/vetoes.ts';
export type { ChangeKind } from './provisioning/policies/change-kinds.ts';

export interface RollcallOptions {
  /** `sqlite:PATH` (created and migrated on first use), `sqlite::memory:`, or `postgres://user:password@host:5432/db`. */
  database: string;
  /**
   * The URL at which the plugin's routes are reached from outside, prefix included: registered with
   * `{ prefix: '/identity' }` in an app served at https://app.example.com, it is
   * https://app.example.com/identity. Every meta.location, $ref and discovery URL is built from it;
   * registering the plugin under a prefix this URL's path does not end with is refused.
   */
  publicUrl: string;
  /** Largest SCIM request body, bytes (default 10 MiB: full-group PUTs of ~100,000 members); larger → SCIM 413. */
  bodyLimitBytes?: number;
  /** Default and maximum page size of SCIM lists (default 100 and 1,000). */
  paging?: Config['paging'];
  /** Size bounds on written attributes (default 65,536 characters per string, 1,000 values per attribute). */
  attributeLimits?: Config['attributeLimits'];
  /** Lifetime of tokens issued without `expiresInMs` (default 365 days). */
  tokenTtlDays?: number;
  /** Retry-After, seconds, of the SCIM 503 sent while the database is unreachable (default 5). */
  retryAfterSeconds?: number;
  /** PostgreSQL: connections in the pool (default 10) and statement_timeout in ms (default 30,000). */
  dbPoolSize?: number;
  dbStatementTimeoutMs?: number;
  /** Queries slower than this, ms, are reported (default 500); SQL text only, never parameters. */
  slowQueryMs?: number;
  /** Where slow queries are reported; by default a warning on the logger of the server the plugin is mounted in. */
  onSlowQuery?: (sqlText: string, ms: number) => void;
  /** The time source of every timestamp and token expiry (tests move a manual clock). */
  clock?: Clock;
  /** The SMTP server of the welcome email, smtp://user:password@host:587 or smtps://…:465 (default: none, no email is sent). */
  smtpUrl?: string;
  /** The welcome email's sender when a tenant's settings name none ("Acme <it@acme.example>"). */
  emailFrom?: string;
  /** Webhook requests: http:// and private addresses (both off by default: development only), timeout. */
  webhooks?: Partial<Config['webhooks']>;
  /** Event delivery: concurrency, lease, poll interval, retention, retry schedule, thread ('worker' or 'main') (docs/events.md). */
  delivery?: Partial<Config['delivery']>;
  /** SAML single sign-on: the SP's key and certificate (PEM), limits and lifetimes (docs/sso.md). */
  saml?: Partial<Config['saml']>;
  /** The SCIM request log: enabled (default true), retentionDays, maxRowsPerTenant, maxBodyChars, redact (docs/request-log.md). */
  requestLog?: Partial<Config['requestLog']>;
  /** The admin console at <prefix>/console and setup links at <prefix>/setup: enabled (default true), sessionHours, idleMinutes (docs/console.md). */
  console?: Partial<Config['console']>;
  /** The per-tenant SCIM limits' defaults: enabled (default true), requestsPerSecond, burst, concurrentRequests (docs/rate-limits.md). */
  rateLimit?: Partial<Config['rateLimit']>;
}

export interface Rollcall extends UseCases {
  /**
   * A Fastify plugin that mounts the SCIM surface (`/scim/v2/<tenant>/…`), the admin API
   * (`/admin/v1/…`) and the SAML endpoints (`/saml/<tenant>/…`, docs/sso.md) under the prefix it is registered with: `app.register(rc.plugin, { prefix: '/identity' })`.
   * Their body parsing, error formats, 404s and SCIM's body limit apply inside it only; the vendor's
   * routes beside it keep their own.
   */
  readonly plugin: FastifyPluginAsync;
  /** A tenant's SCIM base URL, the one to paste into the identity provider. */
  scimUrl(slug: string): string;
  /**
   * Calls `listener` with each event of `type` after its change has committed: a type
   * ("user.deactivated"), a resource's every type ("user.*", "group.*") or "*". The argument is
   * the object a webhook's body carries (docs/events.md). Delivery is at-least-once and in order
   * per tenant: a listener that throws or rejects is retried like a webhook, with every listener of
   * that event, and never fails the SCIM request. Returns a function that removes this listener.
   * An unknown type throws UnknownEventType.
   */
  on(type: string, listener: EventListener): () => void;
  /** Removes the earliest listener added with this type and function; false if there was none. */
  off(type: string, listener: EventListener): boolean;
  /**
   * App vetoes: calls `veto` with each change of `kind` the identity provider makes ("user.deactivate",
   * "group.members_remove", "user.*", "*"; docs/policies.md "App vetoes"), inside its transaction
   * and before it commits. Returning `{ refuse: 'message' }` refuses the change: the IdP receives a
   * SCIM error with that detail, nothing is written and no event is recorded. Returning nothing allows
   * it. Throwing a ScimError (4xx) refuses with it; any other throw answers 503 (retry later).
   * Returns a function that removes this veto. An unknown kind throws UnknownChangeKind.
   */
  before(kind: string, veto: Veto): () => void;
  /** Removes the earliest veto added with this kind and function; false if there was none. */
  offBefore(kind: string, veto: Veto): boolean;
  /** Closes the database. Close the Fastify server first, so requests in flight finish. */
  close(): Promise<void>;
}

/** Opens (creating and migrating) the database and returns the use cases, the plugin and close(). */
export async function createRollcall(options: RollcallOptions): Promise<Rollcall> {
  for (const key of ['database', 'publicUrl'] as const) {
    if (typeof options?.[key] !== 'string' || options[key] === '') throw new ConfigError(`createRollcall needs options.${key} (a string); see docs/library.md.`);
  }
  // The library reads no environment variable: the vendor's app decides what comes from where.
  const config = loadConfig({
    databaseUrl: options.database, publicUrl: options.publicUrl, bodyLimitBytes: options.bodyLimitBytes, paging: options.paging,
    attributeLimits: options.attributeLimits, tokenTtlDays: options.tokenTtlDays, retryAfterSeconds: options.retryAfterSeconds,
    dbPoolSize: options.dbPoolSize, dbStatementTimeoutMs: options.dbStatementTimeoutMs, slowQueryMs: options.slowQueryMs,
    smtpUrl: options.smtpUrl, emailFrom: options.emailFrom,
    webhooks: { ...DEFAULTS.webhooks, ...options.webhooks }, delivery: { ...DEFAULTS.delivery, ...options.delivery },
    saml: { ...DEFAULTS.saml, ...options.saml },
    requestLog: { ...DEFAULTS.requestLog, ...options.requestLog },
    console: { ...DEFAULTS.console, ...options.console },
    rateLimit: { ...DEFAULTS.rateLimit, ...options.rateLimit },
  }, {});
  let log: { warn(obj: object, msg: string): void } | undefined;
  const store = await openStore(config, { onSlowQuery: options.onSlowQuery ?? ((sqlText, ms) => log?.warn({ sql: sqlText, ms }, 'slow query')) });
  const vetoes = new VetoRegistry();
  const provisioning = makeProvisioning(config, store, { clock: options.clock, vetoes });
  const sso = makeSso(config, provisioning);
  // Delivery runs beside the vendor's app from the start (there is no listen() of our own to wait for).
  // One per instance (house rule 4): the delivery engine's 'listeners' consumer delivers to it
  // through a ListenerSink (events/listeners.ts), which takes listener events only while some are registered.
  const listeners = new ListenerRegistry();
  const engine = makeDelivery(config, store, { clock: options.clock, sinks: { listeners: new ListenerSink(listeners) }, log: { warn: (obj, msg) => log?.warn(obj, msg) } });
  engine.start();
  // IdP metadata URLs are refreshed beside it (SAML connections made through the admin API).
  const metadataRefresher = new MetadataRefresher(sso.connections, store, options.clock ?? systemClock,
    { timeoutMs: config.saml.metadataTimeoutMs, log: { warn: (obj, msg) => log?.warn(obj, msg) } });
  metadataRefresher.start();
  // The SCIM request log, written beside the vendor's app like delivery (provisioning/request-log/recorder.ts).
  const requestLog = makeRequestLog(config, store, options.clock ?? systemClock, (obj, msg) => log?.warn(obj, msg));
  requestLog.start();
  // Ended console sessions and old setup links, pruned beside it (provisioning/admin/console-sessions.ts).
  const consolePruning = startConsolePruning(new ConsoleSessions(store, options.clock ?? systemClock, config.console), { warn: (obj, msg) => log?.warn(obj, msg) });
  const drains = new Drains(DRAIN_LIMIT_FACTOR * config.bodyLimitBytes);
  const publicPath = new URL(config.publicUrl).pathname.replace(/\/+$/, '');
  let closed = false;

  const plugin: FastifyPluginAsync = async (scope) => {
    if (closed) throw new ConfigError('This Rollcall instance was closed; create another with createRollcall().');
    const prefix = scope.prefix.replace(/\/+$/, '');
    // meta.location and every other URL Rollcall returns come from publicUrl, not from the request
    // (behind a proxy the request's own URL is not the public one): a publicUrl without the prefix
    // would hand IdPs URLs that 404. A proxy may add path segments before the prefix, not after.
    if (!publicPath.endsWith(prefix)) {
      throw new ConfigError(`Rollcall's plugin is registered under the prefix "${prefix}", but publicUrl ${JSON.stringify(config.publicUrl)} does not end with it; ` +
        `pass the URL the prefix is reached at, e.g. ${JSON.stringify(new URL(config.publicUrl).origin + prefix)}.`);
    }
    log = scope.log;
    await registerSurfaces(scope, { config, provisioning, drains, sso, requestLog });
  };

  return {
    ...useCases(provisioning, config),
    plugin,
    scimUrl: (slug) => provisioning.scimBaseUrl(slug),
    on: (type, listener) => listeners.on(type, listener),
    off: (type, listener) => listeners.off(type, listener),
    before: (kind, veto) => vetoes.add(kind, veto),
    offBefore: (kind, veto) => vetoes.remove(kind, veto),
    async close() {
      if (closed) return;
      closed = true;
      await requestLog.stop();
      await consolePruning.stop();
      await metadataRefresher.stop();
      await engine.stop();
      await store.close();
    },
  };
}
