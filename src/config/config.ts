// One typed configuration object: defaults, then the environment (this is the only file that
// reads process.env), then explicit overrides (CLI flags win). Validated and frozen at start-up.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ALWAYS_REDACTED } from '../provisioning/request-log/redact.ts';
import { parseMailbox } from '../events/email-template.ts';
import { DEFAULT_RETRY_SCHEDULE_MS } from '../events/retry-schedule.ts';

export interface Config {
  host: string;
  port: number;
  /** sqlite:PATH, sqlite::memory: (postgres:// arrives with the PostgreSQL driver). */
  databaseUrl: string;
  /** Base of every URL Rollcall prints or returns (meta.location, SCIM base URLs). No trailing slash. */
  publicUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted request body, bytes (larger → 413). */
  bodyLimitBytes: number;
  paging: { defaultCount: number; maxCount: number };
  /** Lifetime of new tokens unless --expires-in says otherwise. */
  tokenTtlDays: number;
  /** PostgreSQL connection pool size per process. */
  dbPoolSize: number;
  /** PostgreSQL statement_timeout, ms: a runaway query is cancelled, never left to hang a request. */
  dbStatementTimeoutMs: number;
  /** Queries slower than this are logged (SQL text only, never parameters); 0 logs every query. */
  slowQueryMs: number;
  /** Retry-After (seconds) sent with 503 while the database is unreachable. */
  retryAfterSeconds: number;
  /** Size bounds on resource attributes (scim/attribute-limits.ts); a group's members are not counted. */
  attributeLimits: { maxStringLength: number; maxValues: number };
  /**
   * How long a client may take, ms, so that one that stalls or trickles cannot hold a connection:
   * requestMs to send a whole request (headers and body), headersMs its headers, idleMs of silence
   * in the middle of a request, keepAliveMs of an idle keep-alive connection between requests.
   */
  timeouts: { requestMs: number; headersMs: number; idleMs: number; keepAliveMs: number };
  /**
   * On SIGTERM or SIGINT, how long requests in flight may take to finish, ms; then their connections
   * are destroyed and the process exits with code 1 (http/shutdown.ts, docs/running.md).
   */
  shutdownTimeoutMs: number;
  /**
   * The SMTP server of the welcome email (events/email.ts): smtp://user:password@host:587
   * (STARTTLS when the server offers it) or smtps://…:465 (TLS from the start). Unset: no email is
   * sent. The password is a secret: never logged, redacted from every error.
   */
  smtpUrl?: string;
  /** The From of the welcome email when the tenant's settings name none ("Acme <it@acme.example>"). */
  emailFrom?: string;
  /**
   * Delivery of events (events/engine.ts): streams delivered at once per process, how long a claim
   * on a stream lasts unless renewed, how often the database is polled besides notifications, how
   * long events and delivery attempts are kept, the retry schedule (events/retry-schedule.ts), and
   * whether webhooks and email are delivered from a thread of their own (events/delivery-thread.ts).
   */
  delivery: { concurrency: number; leaseMs: number; pollMs: number; retentionDays: number; retryScheduleMs: readonly number[]; thread: DeliveryThreadMode };
  /** Webhook requests (events/webhook-sender.ts, webhook-address-guard.ts). */
  webhooks: { allowHttp: boolean; allowPrivateAddresses: boolean; timeoutMs: number };
  /** SAML single sign-on, the service-provider side (docs/sso.md). */
  saml: SamlConfig;
  /** The SCIM request log (provisioning/request-log/, docs/request-log.md). */
  requestLog: RequestLogConfig;
  /** The admin console and customer setup links (http/console/, docs/console.md). */
  console: ConsoleConfig;
  /**
   * SCIM /Bulk (RFC 7644 §3.7, http/scim/bulk.ts): operations per request, and the largest body,
   * bytes (never above bodyLimitBytes: the smaller of the two applies, see bulkLimits).
   */
  bulk: { maxOperations: number; maxPayloadBytes: number };
  /**
   * Whose X-Forwarded-For/-Proto/-Host headers are believed (Fastify's trustProxy): false (nobody's:
   * the client is the socket's peer) or the proxies' addresses (IPs, CIDR ranges, or loopback /
   * linklocal / uniquelocal). Docs: docs/deploy.md.
   */
  trustProxy: TrustProxy;
  /** Prometheus metrics (http/metrics/, docs/operations.md). */
  metrics: MetricsConfig;
  /**
   * ROLLCALL_ACCESS_LOG=on: one log line per request (http/access-log.ts) in place of Fastify's two
   * ("incoming request", "request completed").
   */
  accessLog: boolean;
  /**
   * Server-wide defaults of the per-tenant SCIM limits (http/scim/rate-limit.ts, docs/rate-limits.md);
   * a tenant's settings (limits) override each value. Counted per process.
   */
  rateLimit: RateLimitConfig;
}

export interface RateLimitConfig {
  /** ROLLCALL_RATE_LIMIT=off: no SCIM request is limited (and the limiter is not even made). */
  enabled: boolean;
  /** Sustained SCIM requests per second per tenant (a token bucket refilling at this rate). */
  requestsPerSecond: number;
  /** Requests a tenant may send at once above the sustained rate (the bucket's size). */
  burst: number;
  /** SCIM requests of one tenant in progress at the same time. */
  concurrentRequests: number;
}

export interface MetricsConfig {
  /**
   * ROLLCALL_METRICS_TOKEN: /metrics on the main listener answers a request bearing this token
   * (Authorization: Bearer …). A secret: never logged. Unset: /metrics is not on the main listener.
   */
  token?: string;
  /** ROLLCALL_METRICS_ADDRESS=host:port: /metrics (no token) on a listener of its own. */
  address?: { host: string; port: number };
  /**
   * ROLLCALL_METRICS_TENANTS: how many tenants get their own SCIM request counter (the first to make
   * authenticated requests since start); 0 (the default): none, no tenant slug in the output.
   */
  tenants: number;
}

export type TrustProxy = false | readonly string[];

export interface ConsoleConfig {
  /** ROLLCALL_CONSOLE=off: /console and /setup answer 404 and the session routes do not exist. */
  enabled: boolean;
  /** A console session ends this many hours after sign-in, used or not. */
  sessionHours: number;
  /** … or after this many minutes without a request. */
  idleMinutes: number;
}

export interface RequestLogConfig {
  /** ROLLCALL_REQUEST_LOG=off: no SCIM request is recorded (what was recorded stays readable until retention). */
  enabled: boolean;
  /** Rows older than this are pruned. */
  retentionDays: number;
  /** A tenant's rows beyond its newest this many are pruned. */
  maxRowsPerTenant: number;
  /** Each recorded body is cut at this many characters (marked truncated); 0 records no bodies. */
  maxBodyChars: number;
  /**
   * Attribute names whose values are replaced by "[redacted]" in recorded bodies, besides
   * `password`, which always is (provisioning/request-log/redact.ts).
   */
  redact: readonly string[];
  /**
   * ROLLCALL_REQUEST_LOG_THREAD: where recorded requests are written on SQLite — 'worker' (a
   * thread of its own, the default) or 'main' (the thread serving requests). PostgreSQL is
   * written from the serving thread either way (provisioning/request-log/writer-thread.ts).
   */
  thread: ThreadMode;
}

export interface SamlConfig {
  /**
   * The SP's PEM private key and certificate (ROLLCALL_SAML_SP_KEY_FILE, ROLLCALL_SAML_SP_CERT_FILE):
   * AuthnRequests are signed with it and encrypted assertions decrypted; the certificate is in the
   * SP metadata. Unset: AuthnRequests go unsigned and encrypted assertions are refused.
   */
  spPrivateKey?: string;
  spCertificate?: string;
  /** IdP metadata URLs (provisioning/sso): http:// and private addresses only when allowed (development). */
  metadataAllowHttp: boolean;
  metadataAllowPrivateAddresses: boolean;
  /** How often a metadata URL is fetched again; the largest document and the longest wait for one. */
  metadataRefreshMs: number;
  metadataMaxBytes: number;
  metadataTimeoutMs: number;
  /** Largest SAMLResponse accepted (its base64 form), checked before any XML is parsed. */
  maxResponseBytes: number;
  /** How long an AuthnRequest waits for its response. */
  requestTtlMs: number;
  /** How long the app has to exchange a sign-in code. */
  codeTtlMs: number;
  /** The session the app is told to grant (profile.sessionExpiresAt, the JWT's exp). */
  sessionTtlMs: number;
  /** How long a JWT signing key signs before the next one takes over; it stays published as long again. */
  signingKeyRotationMs: number;
  /**
   * user.sign_in_failed events per tenant, process and minute for responses whose signature was not
   * verified (anyone can post those to the ACS); the rest are counted, not recorded.
   */
  unverifiedFailureEventsPerMinute: number;
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8080,
  databaseUrl: 'sqlite:./data/rollcall.db',
  publicUrl: 'http://127.0.0.1:8080',
  logLevel: 'info',
  // Large enough for a full-group PUT of ~100,000 members (Okta AIW apps send those).
  bodyLimitBytes: 10 * 1024 * 1024,
  paging: { defaultCount: 100, maxCount: 1000 },
  tokenTtlDays: 365,
  dbPoolSize: 10,
  dbStatementTimeoutMs: 30_000,
  slowQueryMs: 500,
  retryAfterSeconds: 5,
  // 64 Ki characters holds any name, title or certificate an IdP sends (a PEM chain is a few KB)
  // and bounds a 10 MiB body to sane values; 1,000 values holds the largest role and entitlement
  // lists we know of while bounding the indexed rows one user can have.
  attributeLimits: { maxStringLength: 65_536, maxValues: 1000 },
  timeouts: {
    // A full 10 MiB body (the default body limit) takes 42 s at 2 Mbit/s; IdPs send from data centres.
    requestMs: 60_000,
    // Headers arrive in one packet from a real client; 10 s only ever waits for a stalled one.
    headersMs: 10_000,
    // Silence in both directions, so it also runs while Rollcall works on a request: it must outlast
    // the slowest request (the PostgreSQL statement timeout is 30 s); it cuts off clients that stop
    // reading their answer.
    idleMs: 120_000,
    // Longer than the idle timeout of common load balancers (AWS ALB: 60 s), so the balancer, not
    // Rollcall, closes an idle connection and never sends a request on one Rollcall is closing.
    keepAliveMs: 72_000,
  },
  // SCIM requests take milliseconds; a large /Bulk or a slow query seconds. 20 s, plus up to 5 s for
  // webhook deliveries in flight (events/engine.ts) and the closing, fits Kubernetes' default
  // terminationGracePeriodSeconds of 30 (docs/running.md "Stopping and restarting").
  shutdownTimeoutMs: 20_000,
  delivery: {
    concurrency: 8,
    // Longer than a webhook's timeout (15 s) several times over, and renewed after every event: a
    // live process never loses a stream; a killed one's streams are taken over within a minute.
    leaseMs: 60_000,
    // Notifications wake delivery at once; the poll is the backstop (and SQLite's only way to see
    // other processes' events), keeping delivery within a second of the commit.
    pollMs: 500,
    retentionDays: 30,
    retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS,
    // Its own thread: under a saturating SCIM load, delivery on the request thread fell to about
    // 100 events/s (docs/performance.md "Issue 10").
    thread: 'worker',
  },
  webhooks: { allowHttp: false, allowPrivateAddresses: false, timeoutMs: 15_000 },
  saml: {
    metadataAllowHttp: false,
    metadataAllowPrivateAddresses: false,
    // IdPs publish a new certificate weeks before they sign with it (Okta, Entra): daily is plenty.
    metadataRefreshMs: 24 * 3600_000,
    // Entra's federation metadata is about 20 KB; Okta's 5 KB.
    metadataMaxBytes: 1024 * 1024,
    metadataTimeoutMs: 10_000,
    // A response with a few hundred group attributes is tens of KB; base64 adds a third.
    maxResponseBytes: 512 * 1024,
    requestTtlMs: 10 * 60_000,
    codeTtlMs: 60_000,
    sessionTtlMs: 8 * 3600_000,
    signingKeyRotationMs: 30 * 24 * 3600_000,
    // Enough to see an IdP misconfigured (every sign-in failing) or an attack starting; few enough
    // that junk posted in a loop cannot fill the events table or the app's webhooks.
    unverifiedFailureEventsPerMinute: 30,
  },
  requestLog: {
    enabled: true,
    retentionDays: 30,
    // At Okta's and Entra's usual pace (a few requests per user per day) this holds weeks of a
    // 1,000-person tenant; a busy tenant keeps its most recent 100,000 requests.
    maxRowsPerTenant: 100_000,
    // A user's JSON is 1-3 KiB; 16 KiB shows any user whole and the start of a big group's members.
    maxBodyChars: 16 * 1024,
    redact: ALWAYS_REDACTED,
    thread: 'worker',
  },
  // A working day; half an hour away from the desk signs the console out (a shared machine).
  console: { enabled: true, sessionHours: 12, idleMinutes: 30 },
  // RFC 7644 §3.7.4 leaves the figures to the server. 1,000 operations of ~1 KiB users fit in 1 MiB;
  // each operation is its own transaction, so a full request takes seconds, not minutes.
  bulk: { maxOperations: 1000, maxPayloadBytes: 1024 * 1024 },
  // Off: without a proxy, any client could write any address into the log with X-Forwarded-For.
  trustProxy: false,
  // Off until asked for: tenant slugs are customers' names, and their number is not bounded.
  metrics: { tenants: 0 },
  accessLog: false,
  // Generous next to what identity providers send (docs/rate-limits.md): Microsoft asks gallery apps
  // to take 25 requests/s per tenant, Okta and Entra both wait out a 429's Retry-After. The burst
  // lets a sequence of 1,000 quick requests (a `rollcall check` run, a vendor script) through at once;
  // 20 in flight is twice the parallelism Okta calls rare even for large bulk loads.
  rateLimit: { enabled: true, requestsPerSecond: 100, burst: 1000, concurrentRequests: 20 },
};

/**
 * Whether the config asks for metrics at all (a token, an address, or both: http/metrics/routes.ts).
 * Without them the metrics modules and prom-client are never loaded.
 */
export const metricsEnabled = (config: Readonly<Pick<Config, 'metrics'>>): boolean => config.metrics.token !== undefined || config.metrics.address !== undefined;

/** The /Bulk limits in force and advertised: the payload limit never above the body limit. */
export function bulkLimits(c: Readonly<Pick<Config, 'bulk' | 'bodyLimitBytes'>>): { maxOperations: number; maxPayloadSize: number } {
  return { maxOperations: c.bulk.maxOperations, maxPayloadSize: Math.min(c.bulk.maxPayloadBytes, c.bodyLimitBytes) };
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}.`);
  return n;
}

function flag(name: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}.`);
}

export type ThreadMode = 'worker' | 'main';
export type DeliveryThreadMode = ThreadMode;

function seconds(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  const n = int(name, raw, min, max);
  return n === undefined ? undefined : n * 1000;
}

/** Reads a PEM file named by a setting; the file's content is a secret (a key): never echoed. */
function pemFile(name: string, path: string | undefined, label: 'PRIVATE KEY' | 'CERTIFICATE'): string | undefined {
  if (path === undefined || path === '') return undefined;
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    throw new ConfigError(`${name} names ${JSON.stringify(path)}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  if (!new RegExp(`-----BEGIN (RSA |EC |ENCRYPTED )?${label}-----`).test(text)) {
    throw new ConfigError(`${name} must name a PEM file holding a ${label === 'CERTIFICATE' ? 'certificate' : 'private key'} (-----BEGIN ${label}-----); ${JSON.stringify(path)} holds none.`);
  }
  return text;
}

function threadMode(name: string, what: string, raw: string | undefined): ThreadMode | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'worker' || raw === 'main') return raw;
  throw new ConfigError(`${name} must be worker (${what} from a thread of their own, the default) or main (from the thread serving requests), got ${JSON.stringify(raw)}.`);
}

/** A comma-separated list of delays in ms ("5000,30000,120000"): at least one, each 1 ms to 7 days. */
function durations(name: string, raw: string | undefined): number[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const list = raw.split(',').map((p) => Number(p.trim()));
  if (!list.length || list.length > 100 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 7 * 86_400_000)) {
    throw new ConfigError(`${name} must be a comma-separated list of 1 to 100 delays in milliseconds (e.g. 5000,30000,120000), got ${JSON.stringify(raw)}.`);
  }
  return list;
}

/** proxy-addr's names for the address ranges a proxy in the same network usually has. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * ROLLCALL_TRUST_PROXY: off, or a comma-separated list of the proxies' addresses. Neither `true`
 * (every hop: any client could name its own address) nor a hop count: Fastify 5.12 believes no
 * forwarded header under a hop count, as it cannot check the peer (lib/request.js, "fail closed").
 */
function trustProxy(raw: string | undefined): TrustProxy | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim();
  if (/^(false|no|off)$/i.test(v)) return false;
  const help = 'off (the default: X-Forwarded-* headers are ignored) or a comma-separated list of the addresses of the proxies in front of Rollcall (127.0.0.1, 10.0.0.0/8, loopback, linklocal, uniquelocal)';
  if (/^(true|yes|on)$/i.test(v)) throw new ConfigError(`ROLLCALL_TRUST_PROXY must be ${help}; "${v}" would trust every hop, so any client could choose the address Rollcall logs for it.`);
  if (/^\d+$/.test(v)) throw new ConfigError(`ROLLCALL_TRUST_PROXY must be ${help}, got ${JSON.stringify(v)}: a number of proxies cannot be checked against the connection's address, so it is not accepted.`);
  const list = v.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = list.find((p) => !PROXY_RANGES.includes(p) && !isAddressOrRange(p));
  if (bad !== undefined || list.length === 0 || list.length > 100) throw new ConfigError(`ROLLCALL_TRUST_PROXY must be ${help}, got ${JSON.stringify((bad ?? v).slice(0, 100))}.`);
  return list;
}

function isAddressOrRange(s: string): boolean {
  const [address, prefix, extra] = s.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** A comma-separated list of attribute names ("ssn, employeeNumber"), each as SCIM spells names. */
function attributeNames(name: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = list.find((n) => !/^[A-Za-z$][\w$-]{0,127}$/.test(n));
  if (bad !== undefined || list.length > 200) {
    throw new ConfigError(`${name} must be a comma-separated list of up to 200 attribute names (e.g. ssn,employeeNumber), got ${JSON.stringify(bad ?? raw.slice(0, 100))}.`);
  }
  return list;
}

/** A metrics token: long enough not to be guessed; its value is never echoed. */
function metricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16 || raw.length > 1000 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError('ROLLCALL_METRICS_TOKEN must be 16 to 1000 printable characters without spaces (e.g. the output of `openssl rand -hex 32`); its value is not shown.');
  }
  return raw;
}

/** host:port, or [IPv6]:port. */
function hostPort(name: string, raw: string | undefined): { host: string; port: number } | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${name} must be host:port (e.g. 127.0.0.1:9464 or [::1]:9464), got ${JSON.stringify(raw)}.`);
  return { host: m[1] ?? m[2], port };
}

/** Reads ROLLCALL_* variables. Unset variables leave the defaults alone. */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Config> {
  const out: Partial<Config> = {};
  if (env.ROLLCALL_HOST) out.host = env.ROLLCALL_HOST;
  const port = int('ROLLCALL_PORT', env.ROLLCALL_PORT, 0, 65535);
  if (port !== undefined) out.port = port;
  if (env.ROLLCALL_DATABASE_URL) out.databaseUrl = env.ROLLCALL_DATABASE_URL;
  if (env.ROLLCALL_PUBLIC_URL) out.publicUrl = env.ROLLCALL_PUBLIC_URL;
  if (env.ROLLCALL_LOG_LEVEL) out.logLevel = env.ROLLCALL_LOG_LEVEL as Config['logLevel'];
  const body = int('ROLLCALL_BODY_LIMIT_BYTES', env.ROLLCALL_BODY_LIMIT_BYTES, 1024, 64 * 1024 * 1024);
  if (body !== undefined) out.bodyLimitBytes = body;
  const ttl = int('ROLLCALL_TOKEN_TTL_DAYS', env.ROLLCALL_TOKEN_TTL_DAYS, 1, 3650);
  if (ttl !== undefined) out.tokenTtlDays = ttl;
  const pool = int('ROLLCALL_DB_POOL_SIZE', env.ROLLCALL_DB_POOL_SIZE, 1, 1000);
  if (pool !== undefined) out.dbPoolSize = pool;
  const st = int('ROLLCALL_DB_STATEMENT_TIMEOUT_MS', env.ROLLCALL_DB_STATEMENT_TIMEOUT_MS, 100, 3_600_000);
  if (st !== undefined) out.dbStatementTimeoutMs = st;
  const slow = int('ROLLCALL_SLOW_QUERY_MS', env.ROLLCALL_SLOW_QUERY_MS, 0, 3_600_000);
  if (slow !== undefined) out.slowQueryMs = slow;
  const ra = int('ROLLCALL_RETRY_AFTER_SECONDS', env.ROLLCALL_RETRY_AFTER_SECONDS, 1, 3600);
  if (ra !== undefined) out.retryAfterSeconds = ra;
  const maxString = int('ROLLCALL_MAX_STRING_LENGTH', env.ROLLCALL_MAX_STRING_LENGTH, 256, 16 * 1024 * 1024);
  const maxValues = int('ROLLCALL_MAX_ATTRIBUTE_VALUES', env.ROLLCALL_MAX_ATTRIBUTE_VALUES, 1, 1_000_000);
  if (maxString !== undefined || maxValues !== undefined) {
    out.attributeLimits = { maxStringLength: maxString ?? DEFAULTS.attributeLimits.maxStringLength, maxValues: maxValues ?? DEFAULTS.attributeLimits.maxValues };
  }
  const timeouts = {
    requestMs: int('ROLLCALL_REQUEST_TIMEOUT_MS', env.ROLLCALL_REQUEST_TIMEOUT_MS, 500, 3_600_000),
    headersMs: int('ROLLCALL_HEADERS_TIMEOUT_MS', env.ROLLCALL_HEADERS_TIMEOUT_MS, 500, 3_600_000),
    idleMs: int('ROLLCALL_IDLE_TIMEOUT_MS', env.ROLLCALL_IDLE_TIMEOUT_MS, 500, 3_600_000),
    keepAliveMs: int('ROLLCALL_KEEP_ALIVE_TIMEOUT_MS', env.ROLLCALL_KEEP_ALIVE_TIMEOUT_MS, 500, 3_600_000),
  };
  if (Object.values(timeouts).some((v) => v !== undefined)) out.timeouts = { ...DEFAULTS.timeouts, ...stripUndefined(timeouts) };
  const shutdown = int('ROLLCALL_SHUTDOWN_TIMEOUT_MS', env.ROLLCALL_SHUTDOWN_TIMEOUT_MS, 0, 3_600_000);
  if (shutdown !== undefined) out.shutdownTimeoutMs = shutdown;
  if (env.ROLLCALL_SMTP_URL) out.smtpUrl = env.ROLLCALL_SMTP_URL;
  if (env.ROLLCALL_EMAIL_FROM) out.emailFrom = env.ROLLCALL_EMAIL_FROM;
  const delivery = {
    concurrency: int('ROLLCALL_DELIVERY_CONCURRENCY', env.ROLLCALL_DELIVERY_CONCURRENCY, 1, 256),
    leaseMs: int('ROLLCALL_DELIVERY_LEASE_MS', env.ROLLCALL_DELIVERY_LEASE_MS, 1000, 3_600_000),
    pollMs: int('ROLLCALL_DELIVERY_POLL_MS', env.ROLLCALL_DELIVERY_POLL_MS, 10, 500),
    retentionDays: int('ROLLCALL_EVENT_RETENTION_DAYS', env.ROLLCALL_EVENT_RETENTION_DAYS, 1, 3650),
    retryScheduleMs: durations('ROLLCALL_DELIVERY_RETRY_SCHEDULE_MS', env.ROLLCALL_DELIVERY_RETRY_SCHEDULE_MS),
    thread: threadMode('ROLLCALL_DELIVERY_THREAD', 'deliver webhooks and email', env.ROLLCALL_DELIVERY_THREAD),
  };
  if (Object.values(delivery).some((v) => v !== undefined)) out.delivery = { ...DEFAULTS.delivery, ...stripUndefined(delivery) };
  const webhooks = {
    allowHttp: flag('ROLLCALL_WEBHOOK_ALLOW_HTTP', env.ROLLCALL_WEBHOOK_ALLOW_HTTP),
    allowPrivateAddresses: flag('ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES', env.ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES),
    timeoutMs: int('ROLLCALL_WEBHOOK_TIMEOUT_MS', env.ROLLCALL_WEBHOOK_TIMEOUT_MS, 100, 120_000),
  };
  if (Object.values(webhooks).some((v) => v !== undefined)) out.webhooks = { ...DEFAULTS.webhooks, ...stripUndefined(webhooks) };
  const saml = {
    spPrivateKey: pemFile('ROLLCALL_SAML_SP_KEY_FILE', env.ROLLCALL_SAML_SP_KEY_FILE, 'PRIVATE KEY'),
    spCertificate: pemFile('ROLLCALL_SAML_SP_CERT_FILE', env.ROLLCALL_SAML_SP_CERT_FILE, 'CERTIFICATE'),
    metadataAllowHttp: flag('ROLLCALL_SAML_METADATA_ALLOW_HTTP', env.ROLLCALL_SAML_METADATA_ALLOW_HTTP),
    metadataAllowPrivateAddresses: flag('ROLLCALL_SAML_METADATA_ALLOW_PRIVATE_ADDRESSES', env.ROLLCALL_SAML_METADATA_ALLOW_PRIVATE_ADDRESSES),
    metadataRefreshMs: seconds('ROLLCALL_SAML_METADATA_REFRESH_SECONDS', env.ROLLCALL_SAML_METADATA_REFRESH_SECONDS, 60, 30 * 86400),
    codeTtlMs: seconds('ROLLCALL_SSO_CODE_TTL_SECONDS', env.ROLLCALL_SSO_CODE_TTL_SECONDS, 5, 600),
    sessionTtlMs: seconds('ROLLCALL_SSO_SESSION_TTL_SECONDS', env.ROLLCALL_SSO_SESSION_TTL_SECONDS, 60, 30 * 86400),
  };
  if (Object.values(saml).some((v) => v !== undefined)) out.saml = { ...DEFAULTS.saml, ...stripUndefined(saml) };
  const requestLog = {
    enabled: flag('ROLLCALL_REQUEST_LOG', env.ROLLCALL_REQUEST_LOG),
    retentionDays: int('ROLLCALL_REQUEST_LOG_RETENTION_DAYS', env.ROLLCALL_REQUEST_LOG_RETENTION_DAYS, 1, 3650),
    maxRowsPerTenant: int('ROLLCALL_REQUEST_LOG_MAX_ROWS', env.ROLLCALL_REQUEST_LOG_MAX_ROWS, 100, 100_000_000),
    maxBodyChars: int('ROLLCALL_REQUEST_LOG_MAX_BODY_CHARS', env.ROLLCALL_REQUEST_LOG_MAX_BODY_CHARS, 0, 1024 * 1024),
    redact: attributeNames('ROLLCALL_REQUEST_LOG_REDACT', env.ROLLCALL_REQUEST_LOG_REDACT),
    thread: threadMode('ROLLCALL_REQUEST_LOG_THREAD', 'write recorded SCIM requests', env.ROLLCALL_REQUEST_LOG_THREAD),
  };
  if (Object.values(requestLog).some((v) => v !== undefined)) out.requestLog = { ...DEFAULTS.requestLog, ...stripUndefined(requestLog) };
  const consoleSettings = {
    enabled: flag('ROLLCALL_CONSOLE', env.ROLLCALL_CONSOLE),
    sessionHours: int('ROLLCALL_CONSOLE_SESSION_HOURS', env.ROLLCALL_CONSOLE_SESSION_HOURS, 1, 24 * 30),
    idleMinutes: int('ROLLCALL_CONSOLE_IDLE_MINUTES', env.ROLLCALL_CONSOLE_IDLE_MINUTES, 1, 24 * 60),
  };
  if (Object.values(consoleSettings).some((v) => v !== undefined)) out.console = { ...DEFAULTS.console, ...stripUndefined(consoleSettings) };
  const bulk = {
    maxOperations: int('ROLLCALL_BULK_MAX_OPERATIONS', env.ROLLCALL_BULK_MAX_OPERATIONS, 1, 100_000),
    maxPayloadBytes: int('ROLLCALL_BULK_MAX_PAYLOAD_BYTES', env.ROLLCALL_BULK_MAX_PAYLOAD_BYTES, 1024, 64 * 1024 * 1024),
  };
  if (Object.values(bulk).some((v) => v !== undefined)) out.bulk = { ...DEFAULTS.bulk, ...stripUndefined(bulk) };
  const proxy = trustProxy(env.ROLLCALL_TRUST_PROXY);
  if (proxy !== undefined) out.trustProxy = proxy;
  const metrics = {
    token: metricsToken(env.ROLLCALL_METRICS_TOKEN),
    address: hostPort('ROLLCALL_METRICS_ADDRESS', env.ROLLCALL_METRICS_ADDRESS),
    tenants: int('ROLLCALL_METRICS_TENANTS', env.ROLLCALL_METRICS_TENANTS, 0, 1000),
  };
  if (Object.values(metrics).some((v) => v !== undefined)) out.metrics = { ...DEFAULTS.metrics, ...stripUndefined(metrics) };
  const accessLog = flag('ROLLCALL_ACCESS_LOG', env.ROLLCALL_ACCESS_LOG);
  if (accessLog !== undefined) out.accessLog = accessLog;
  const rateLimit = {
    enabled: flag('ROLLCALL_RATE_LIMIT', env.ROLLCALL_RATE_LIMIT),
    requestsPerSecond: int('ROLLCALL_RATE_LIMIT_REQUESTS_PER_SECOND', env.ROLLCALL_RATE_LIMIT_REQUESTS_PER_SECOND, 1, 1_000_000),
    burst: int('ROLLCALL_RATE_LIMIT_BURST', env.ROLLCALL_RATE_LIMIT_BURST, 1, 10_000_000),
    concurrentRequests: int('ROLLCALL_RATE_LIMIT_CONCURRENCY', env.ROLLCALL_RATE_LIMIT_CONCURRENCY, 1, 100_000),
  };
  if (Object.values(rateLimit).some((v) => v !== undefined)) out.rateLimit = { ...DEFAULTS.rateLimit, ...stripUndefined(rateLimit) };
  const max = int('ROLLCALL_MAX_PAGE_SIZE', env.ROLLCALL_MAX_PAGE_SIZE, 1, 10000);
  const def = int('ROLLCALL_DEFAULT_PAGE_SIZE', env.ROLLCALL_DEFAULT_PAGE_SIZE, 1, 10000);
  if (max !== undefined || def !== undefined) out.paging = { maxCount: max ?? DEFAULTS.paging.maxCount, defaultCount: def ?? Math.min(DEFAULTS.paging.defaultCount, max ?? Infinity) };
  return out;
}

/** Merges defaults ← environment ← overrides, validates, and freezes the result. */
export function loadConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const fromEnvironment = fromEnv(env);
  const c: Config = { ...DEFAULTS, ...fromEnvironment, ...stripUndefined(overrides) };
  // The public URL follows the port when neither the environment nor a flag set it.
  if (!fromEnvironment.publicUrl && !overrides.publicUrl && (c.port !== DEFAULTS.port || c.host !== DEFAULTS.host)) {
    c.publicUrl = `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`;
  }
  c.publicUrl = c.publicUrl.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(c.publicUrl)) throw new ConfigError(`ROLLCALL_PUBLIC_URL must be an http(s) URL such as https://rollcall.example.com, got ${JSON.stringify(c.publicUrl)}.`);
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(c.databaseUrl)) throw new ConfigError(`The database URL must start with sqlite: (e.g. sqlite:./data/rollcall.db or sqlite::memory:) or postgres://, got ${JSON.stringify(c.databaseUrl)}.`);
  if (!LOG_LEVELS.includes(c.logLevel)) throw new ConfigError(`ROLLCALL_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  if (c.paging.defaultCount > c.paging.maxCount) throw new ConfigError('The default page size cannot exceed the maximum page size.');
  if (c.timeouts.headersMs > c.timeouts.requestMs) throw new ConfigError(`ROLLCALL_HEADERS_TIMEOUT_MS (${c.timeouts.headersMs}) cannot exceed ROLLCALL_REQUEST_TIMEOUT_MS (${c.timeouts.requestMs}): the headers are part of the request.`);
  if (c.requestLog.thread !== 'worker' && c.requestLog.thread !== 'main') throw new ConfigError(`requestLog.thread must be 'worker' or 'main', got ${JSON.stringify(c.requestLog.thread)}.`);
  if (c.delivery.thread !== 'worker' && c.delivery.thread !== 'main') throw new ConfigError(`delivery.thread must be 'worker' or 'main', got ${JSON.stringify(c.delivery.thread)}.`);
  checkEmail(c);
  // password is redacted whatever a list says: a configured list adds to it, never replaces it.
  c.requestLog = { ...c.requestLog, redact: [...new Set([...ALWAYS_REDACTED, ...c.requestLog.redact])] };
  if (!(c.requestLog.maxRowsPerTenant >= 1) || !(c.requestLog.retentionDays > 0) || !(c.requestLog.maxBodyChars >= 0)) {
    throw new ConfigError('requestLog needs maxRowsPerTenant of at least 1, retentionDays above 0 and maxBodyChars of 0 or more.');
  }
  const rl = c.rateLimit;
  if (!(rl.requestsPerSecond > 0) || !(rl.burst >= 1) || !Number.isInteger(rl.concurrentRequests) || rl.concurrentRequests < 1) {
    throw new ConfigError('rateLimit needs requestsPerSecond above 0, a burst of at least 1 and concurrentRequests of at least 1 (ROLLCALL_RATE_LIMIT=off turns the limits off).');
  }
  if ((c.saml.spPrivateKey === undefined) !== (c.saml.spCertificate === undefined)) {
    throw new ConfigError('ROLLCALL_SAML_SP_KEY_FILE and ROLLCALL_SAML_SP_CERT_FILE go together: set both (AuthnRequests signed, encrypted assertions accepted) or neither.');
  }
  return deepFreeze(c);
}

/** The welcome email's SMTP URL and sender. The URL is never echoed: it may hold a password. */
function checkEmail(c: Config): void {
  if (c.smtpUrl !== undefined) {
    let url: URL | undefined;
    try { url = new URL(c.smtpUrl); } catch { url = undefined; }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
      throw new ConfigError('ROLLCALL_SMTP_URL must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.com:587 (its value is not shown: it may hold a password).');
    }
  }
  if (c.emailFrom !== undefined && !parseMailbox(c.emailFrom)) {
    throw new ConfigError(`ROLLCALL_EMAIL_FROM must be an email address such as rollcall@example.com or "Rollcall <rollcall@example.com>", got ${JSON.stringify(c.emailFrom)}.`);
  }
}

/** Warnings about insecure settings, printed loudly at start-up. */
export function insecureSettings(c: Config): string[] {
  const out: string[] = [];
  const loopback = /^(127\.|localhost$|::1$|\[::1\]$)/.test(c.host);
  if (!loopback) out.push(`Rollcall listens on ${c.host}, beyond this machine: put it behind HTTPS (a TLS-terminating proxy) before IdPs send tokens to it.`);
  if (c.publicUrl.startsWith('http://') && !/^http:\/\/(127\.|localhost|\[::1\])/.test(c.publicUrl)) {
    out.push(`ROLLCALL_PUBLIC_URL is plain http (${c.publicUrl}): identity providers will send bearer tokens in clear. Use https.`);
  }
  if (c.webhooks.allowHttp) out.push('ROLLCALL_WEBHOOK_ALLOW_HTTP is set: webhooks may be sent over plain http, readable on the way. For development only.');
  if (c.saml.metadataAllowHttp) out.push('ROLLCALL_SAML_METADATA_ALLOW_HTTP is set: IdP metadata (the certificates sign-ins are trusted by) may be fetched over plain http and altered on the way. For development only.');
  if (c.saml.metadataAllowPrivateAddresses) out.push('ROLLCALL_SAML_METADATA_ALLOW_PRIVATE_ADDRESSES is set: anyone with an admin key can make Rollcall fetch this network\'s internal addresses as IdP metadata. For development only.');
  const m = c.metrics.address;
  if (m && !/^(127\.|localhost$|::1$)/.test(m.host)) out.push(`ROLLCALL_METRICS_ADDRESS listens on ${m.host}, beyond this machine, with no token: whoever reaches ${m.host}:${m.port} reads the metrics. Firewall it to your Prometheus.`);
  if (c.webhooks.allowPrivateAddresses) out.push('ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES is set: anyone with an admin key can make Rollcall send requests to this network\'s internal addresses. For development only.');
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function deepFreeze<T>(o: T): T {
  for (const v of Object.values(o as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

/** Parses sqlite:PATH / sqlite::memory: into a filename. */
export function sqliteFilename(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  const rest = url.slice('sqlite:'.length).replace(/^\/\//, '');
  return rest === ':memory:' || rest === '' ? ':memory:' : rest;
}
