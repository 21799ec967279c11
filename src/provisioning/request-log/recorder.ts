// The SCIM request log's writer (docs/request-log.md), made in main.ts and library.ts. A SCIM request
// only hands it what it captured (record(): a push onto an array); everything that costs — the
// tenant of a request that failed authentication, redaction, cutting bodies to size, the INSERT —
// happens here, off the request path, for a whole batch at once: every FLUSH_MS, or as soon as
// FLUSH_ROWS are waiting, one multi-row INSERT per batch (store/sql/request-log.ts), as event
// delivery records its attempts (events/engine.ts).
//
// Memory is bounded: at most MAX_BUFFERED requests and MAX_BUFFERED_CHARS of bodies wait at once.
// When the database falls behind (or is down) further requests are dropped from the log, never
// waited for: they are counted and a warning says how many, at most once per DROP_WARN_MS. A batch
// the database refuses is dropped the same way. Losing log rows under overload is the price of never
// slowing or failing SCIM because of its log.
//
// Retention runs here too: every PRUNE_EVERY_MS, rows older than retentionDays go (any tenant's), and
// each tenant this process wrote to since the last round is cut back to maxRowsPerTenant; a few
// small batches per round, never a long lock.
import { performance } from 'node:perf_hooks';
import type { RequestLogConfig } from '../../config/config.ts';
import type { NewRequestLogEntry, RecordedBody, Store } from '../../store/store.ts';
import type { Clock } from '../clock.ts';
import { ALWAYS_REDACTED, redactJson } from './redact.ts';

/** What the SCIM edge captured of one request (http/scim/request-capture.ts), before any processing. */
export interface CapturedRequest {
  /** clock.now() when the request was answered. */
  atMs: number;
  /** Known once the request authenticated; otherwise resolved from the slug when written. */
  tenantId: string | null;
  tenantSlug: string;
  method: string;
  path: string;
  filter: string | null;
  status: number;
  scimType: string | null;
  detail: string | null;
  reason: string | null;
  latencyMs: number;
  requestId: string;
  tokenId: string | null;
  userAgent: string | null;
  resourceType: 'User' | 'Group' | null;
  resourceId: string | null;
  /** The start of the body as received (see keep()), and the whole body's length. */
  requestBody: string | undefined;
  requestSize: number;
  responseBody: string | undefined;
  responseSize: number;
}

export interface RequestLogOptions {
  store: Store;
  clock: Clock;
  config: Readonly<RequestLogConfig>;
  log?: { warn(obj: object, msg: string): void };
  /** Overrides for tests. */
  flushMs?: number;
  pruneEveryMs?: number;
}

/**
 * A batch is written at least this often, and as soon as FLUSH_ROWS requests wait. Short: a captured
 * request that waits long outlives V8's young generation and is copied to the old one, which the
 * profile of a logged GET showed as garbage collection (docs/performance.md, "Request log").
 */
const FLUSH_MS = 100;
const FLUSH_ROWS = 100;
/** Requests, and characters of bodies, that may wait at once; beyond them requests are dropped from the log. */
const MAX_BUFFERED = 20_000;
const MAX_BUFFERED_CHARS = 32 * 1024 * 1024;
/** Characters kept beyond the recorded size, so that redaction (which shortens) still fills it. */
const SLACK = 1024;
const DROP_WARN_MS = 10_000;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 1000;
const PRUNE_ROUNDS = 20;
/** Tenant slugs of unauthenticated requests resolved per batch at most (a flood of made-up slugs costs a bounded number of lookups). */
const MAX_SLUG_LOOKUPS = 50;
const SLUG_CACHE_MS = 60_000;
const MAX_SLUG_CACHE = 1000;
/** Caps on the short text fields: a hostile URL or header cannot make a row large. */
const MAX_PATH = 2048;
const MAX_DETAIL = 2000;
const MAX_USER_AGENT = 512;

const cut = (s: string | null, max: number) => (s !== null && s.length > max ? s.slice(0, max) : s);

export class RequestLog {
  readonly enabled: boolean;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly config: Readonly<RequestLogConfig>;
  private readonly log?: RequestLogOptions['log'];
  private readonly names: ReadonlySet<string>;
  private readonly redactsAnswers: boolean;
  private readonly flushMs: number;
  private readonly pruneEveryMs: number;
  private buffer: CapturedRequest[] = [];
  private bufferedChars = 0;
  private writing: Promise<void> | null = null;
  private pruning: Promise<void> | null = null;
  private immediate?: NodeJS.Immediate;
  private flusher?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  private stopped = false;
  /**
   * Rows this process wrote per tenant since that tenant's cap was last checked. The check walks the
   * tenant's index past its newest maxRowsPerTenant rows (100,000 by default), so it runs only once a
   * tenant has written a tenth of its cap since: a tenant may stand that much over its cap a while.
   */
  private readonly written = new Map<string, number>();
  /** Slug → tenant id (null: no such tenant), with the store's authStamp when looked up (as Authentication keeps its entries). */
  private readonly slugs = new Map<string, { id: string | null; at: number; stamp: string }>();
  private droppedSinceWarning = 0;
  private lastWarning = -Infinity;
  /** Counters since start, for tests and operators. */
  readonly stats = { recorded: 0, writtenRows: 0, dropped: 0 };

  constructor(options: RequestLogOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.config = options.config;
    this.enabled = options.config.enabled;
    this.log = options.log;
    // password is redacted whatever the list given says: enforced here, where redaction happens.
    this.names = new Set([...ALWAYS_REDACTED, ...options.config.redact].map((n) => n.toLowerCase()));
    // Only `password` redacted (the default): a successful answer cannot hold it (RFC 7643 §4.1.1:
    // returned "never", and Rollcall never returns it), so such answers are recorded without the
    // scan. An error's answer is scanned all the same (its detail might quote what was sent).
    this.redactsAnswers = [...this.names].some((n) => !ALWAYS_REDACTED.includes(n));
    this.flushMs = options.flushMs ?? FLUSH_MS;
    this.pruneEveryMs = options.pruneEveryMs ?? PRUNE_EVERY_MS;
  }

  /** Starts the flush and prune timers (pruning runs with the log off too: what was recorded still expires). */
  start(): void {
    if (this.stopped || this.pruner) return;
    if (this.enabled) {
      this.flusher = setInterval(() => { void this.flush(); }, this.flushMs);
      this.flusher.unref();
    }
    this.pruner = setInterval(() => { void this.prune(); }, this.pruneEveryMs);
    this.pruner.unref();
  }

  /** Writes what is buffered, then stops recording. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.flusher);
    clearInterval(this.pruner);
    if (this.immediate) clearImmediate(this.immediate);
    await this.flush();
    await this.pruning;
  }

  /**
   * The part of a body worth keeping until it is written: the recorded size and a little more. A
   * longer body is copied out, so the request's whole body (up to the body limit) is not held alive
   * by a slice of it while the row waits.
   */
  keep(body: string): string {
    const max = this.maxKept;
    return body.length <= max ? body : Buffer.from(body.slice(0, max)).toString();
  }

  /** Characters of a body kept until it is written (0 when bodies are not recorded). */
  get maxKept(): number {
    return this.config.maxBodyChars === 0 ? 0 : this.config.maxBodyChars + SLACK;
  }

  /** Takes one captured request; never throws, never waits. */
  record(c: CapturedRequest): void {
    if (!this.enabled || this.stopped) return;
    const chars = (c.requestBody?.length ?? 0) + (c.responseBody?.length ?? 0);
    if (this.buffer.length >= MAX_BUFFERED || this.bufferedChars + chars > MAX_BUFFERED_CHARS) {
      this.dropped(1, 'the log buffer is full (the database is not keeping up)');
      return;
    }
    this.buffer.push(c);
    this.bufferedChars += chars;
    this.stats.recorded++;
    if (this.buffer.length >= FLUSH_ROWS && !this.immediate) {
      this.immediate = setImmediate(() => { this.immediate = undefined; void this.flush(); });
    }
  }

  /** Writes every request recorded before the call; resolves once they are in the database (or dropped). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.buffer.length) return;
    const batch = this.buffer;
    this.buffer = [];
    this.bufferedChars = 0;
    this.writing = this.write(batch).finally(() => { this.writing = null; });
    await this.writing;
  }

  private async write(batch: CapturedRequest[]): Promise<void> {
    const rows: NewRequestLogEntry[] = [];
    try {
      const tenantOf = await this.resolveSlugs(batch);
      for (const c of batch) {
        const tenantId = c.tenantId ?? tenantOf.get(c.tenantSlug) ?? null;
        // A request for a slug that names no tenant is nobody's to read: not recorded.
        if (tenantId !== null) rows.push(this.row(c, tenantId));
      }
      await this.store.appendRequestLog(rows);
      this.stats.writtenRows += rows.length;
      for (const r of rows) this.written.set(r.tenantId, (this.written.get(r.tenantId) ?? 0) + 1);
    } catch (err) {
      this.dropped(rows.length || batch.length, `writing failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Tenant ids of the slugs of requests that failed authentication (cached briefly, a bounded number of lookups per batch). */
  private async resolveSlugs(batch: CapturedRequest[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    const now = this.clock.now();
    // A tenant created or deleted anywhere changes the stamp: an entry from before it is not used.
    const stamp = this.store.authStamp();
    let lookups = 0;
    for (const c of batch) {
      if (c.tenantId !== null || out.has(c.tenantSlug)) continue;
      const cached = this.slugs.get(c.tenantSlug);
      if (cached && stamp !== undefined && cached.stamp === stamp && now - cached.at < SLUG_CACHE_MS) { out.set(c.tenantSlug, cached.id); continue; }
      if (lookups++ >= MAX_SLUG_LOOKUPS) { out.set(c.tenantSlug, null); continue; }
      const tenant = await this.store.findTenantBySlug(c.tenantSlug);
      if (this.slugs.size >= MAX_SLUG_CACHE) this.slugs.clear();
      if (stamp !== undefined) this.slugs.set(c.tenantSlug, { id: tenant?.id ?? null, at: now, stamp });
      out.set(c.tenantSlug, tenant?.id ?? null);
    }
    return out;
  }

  private body(kept: string | undefined, size: number, redact = true): RecordedBody | null {
    if (kept === undefined || size === 0 || this.config.maxBodyChars === 0) return null;
    const max = this.config.maxBodyChars;
    let text = redact ? redactJson(kept, this.names, kept.length === size) : kept;
    const truncated = size > kept.length || text.length > max;
    if (text.length > max) text = text.slice(0, max);
    return { text, size, truncated };
  }

  private row(c: CapturedRequest, tenantId: string): NewRequestLogEntry {
    return {
      tenantId, at: new Date(c.atMs).toISOString(), method: c.method, path: cut(c.path, MAX_PATH)!, filter: cut(c.filter, MAX_PATH),
      status: c.status, scimType: c.scimType, detail: cut(c.detail, MAX_DETAIL), reason: c.reason,
      latencyMs: Math.round(c.latencyMs * 100) / 100, requestId: c.requestId, tokenId: c.tokenId, userAgent: cut(c.userAgent, MAX_USER_AGENT),
      resourceType: c.resourceType, resourceId: cut(c.resourceId, 255),
      requestBody: this.body(c.requestBody, c.requestSize), responseBody: this.body(c.responseBody, c.responseSize, c.status >= 400 || this.redactsAnswers),
    };
  }

  private dropped(n: number, why: string): void {
    if (n <= 0) return;
    this.stats.dropped += n;
    this.droppedSinceWarning += n;
    // The warnings' own pace, not a time recorded anywhere: the monotonic clock.
    const now = performance.now();
    if (now - this.lastWarning < DROP_WARN_MS) return;
    this.lastWarning = now;
    this.log?.warn({ dropped: this.droppedSinceWarning, droppedTotal: this.stats.dropped }, `SCIM request log: requests left unrecorded: ${why}`);
    this.droppedSinceWarning = 0;
  }

  /** One retention round: rows past the retention, then the row cap of the tenants written to. */
  prune(): Promise<void> {
    if (this.pruning) return this.pruning;
    this.pruning = this.pruneRound().finally(() => { this.pruning = null; });
    return this.pruning;
  }

  private async pruneRound(): Promise<void> {
    const before = new Date(this.clock.now() - this.config.retentionDays * 86_400_000).toISOString();
    try {
      for (let i = 0; i < PRUNE_ROUNDS; i++) {
        if ((await this.store.pruneRequestLog(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
      }
      const checkEvery = Math.max(1, Math.ceil(this.config.maxRowsPerTenant / 10));
      const due = [...this.written].filter(([, n]) => n >= checkEvery).map(([t]) => t);
      for (const t of due) {
        this.written.delete(t);
        let i = 0;
        while ((await this.store.capRequestLog(t, this.config.maxRowsPerTenant, PRUNE_BATCH)) === PRUNE_BATCH) {
          // Still over its cap after this round's share: looked at again next round.
          if (++i >= PRUNE_ROUNDS) { this.written.set(t, checkEvery); break; }
        }
      }
    } catch (err) {
      this.log?.warn({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'SCIM request log: pruning failed; trying again later');
    }
  }
}
