// The SCIM request log's recorder (docs/request-log.md), made in main.ts and library.ts. A SCIM
// request only hands it what it captured (record(): a push onto an array); everything that costs
// happens off the request path, for a whole batch at once (every FLUSH_MS, or as soon as FLUSH_ROWS
// are waiting): the tenant of a request that failed authentication is looked up here; redaction,
// cutting bodies to size (rows.ts) and the INSERT happen in the log's writer thread on SQLite
// (writer-thread.ts), or here, through the store, where there is none.
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
import type { Store } from '../../store/store.ts';
import type { Clock } from '../clock.ts';
import { RowBuilder } from './rows.ts';
import type { WriterBatch, WriterThread } from './writer-thread.ts';

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
  /** The writer thread (writer-thread.ts makeWriterThread), or why rows are written from this thread. */
  thread?: WriterThread | string;
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

/** Characters of a captured request's bodies, as the memory bound counts them. */
const bodyChars = (c: CapturedRequest) => (c.requestBody?.length ?? 0) + (c.responseBody?.length ?? 0);

export class RequestLog {
  readonly enabled: boolean;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly config: Readonly<RequestLogConfig>;
  private readonly log?: RequestLogOptions['log'];
  private readonly rows: RowBuilder;
  private readonly thread?: WriterThread;
  private readonly threadless?: string;
  private readonly flushMs: number;
  private readonly pruneEveryMs: number;
  private buffer: CapturedRequest[] = [];
  private bufferedChars = 0;
  private writing: Promise<void> | null = null;
  /** Batches given to the writer thread and not yet committed there (or written here after it failed). */
  private readonly handedOver = new Set<Promise<void>>();
  /**
   * Requests, and characters of bodies, handed to the writer thread and not yet settled. Counted
   * once, though until the thread commits them they are held here too (to be written here should
   * the thread fail) and copied there: the memory they take is up to about twice the bound.
   */
  private readonly away = { rows: 0, chars: 0 };
  private warnedThread = false;
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
    this.rows = new RowBuilder(options.config);
    if (typeof options.thread === 'object') this.thread = options.thread;
    else this.threadless = options.thread ?? 'no writer thread was given';
    this.flushMs = options.flushMs ?? FLUSH_MS;
    this.pruneEveryMs = options.pruneEveryMs ?? PRUNE_EVERY_MS;
  }

  /** Starts the flush and prune timers (pruning runs with the log off too: what was recorded still expires). */
  start(): void {
    if (this.stopped || this.pruner) return;
    if (this.enabled) {
      this.flusher = setInterval(() => { void this.pump(); }, this.flushMs);
      this.flusher.unref();
    }
    this.pruner = setInterval(() => { void this.prune(); }, this.pruneEveryMs);
    this.pruner.unref();
  }

  /** Where rows are written from: the writer thread, or this thread and why. */
  get mode(): { thread: 'worker' | 'main'; reason?: string } {
    if (this.liveThread) return { thread: 'worker' };
    return { thread: 'main', reason: this.thread?.failure ?? this.threadless };
  }

  /** The writer thread while it can be used. */
  private get liveThread(): WriterThread | undefined {
    return this.thread?.failure === undefined ? this.thread : undefined;
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
    await this.thread?.stop();
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
    const chars = bodyChars(c);
    // Handed to the writer thread and not yet committed counts too: a thread that falls behind
    // cannot make memory grow without bound.
    if (this.buffer.length + this.away.rows >= MAX_BUFFERED || this.bufferedChars + this.away.chars + chars > MAX_BUFFERED_CHARS) {
      this.dropped(1, 'the log buffer is full (the database is not keeping up)');
      return;
    }
    this.buffer.push(c);
    this.bufferedChars += chars;
    this.stats.recorded++;
    if (this.buffer.length >= FLUSH_ROWS && !this.immediate) {
      this.immediate = setImmediate(() => { this.immediate = undefined; void this.pump(); });
    }
  }

  /** Writes every request recorded before the call; resolves once they are in the database (or dropped). */
  async flush(): Promise<void> {
    await this.pump();
    // What the thread holds (of this batch and earlier ones) is committed now, not at its own pace.
    if (this.handedOver.size) {
      this.thread?.commit();
      await Promise.all([...this.handedOver]);
    }
  }

  /** Hands the buffer on: to the writer thread (not waiting for its commit), or written here. */
  private async pump(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.buffer.length) return;
    const batch = this.buffer;
    this.buffer = [];
    this.bufferedChars = 0;
    this.writing = this.write(batch).finally(() => { this.writing = null; });
    await this.writing;
  }

  private async write(batch: CapturedRequest[]): Promise<void> {
    const items: WriterBatch = [];
    try {
      const tenantOf = await this.resolveSlugs(batch);
      for (const c of batch) {
        const tenantId = c.tenantId ?? tenantOf.get(c.tenantSlug) ?? null;
        // A request for a slug that names no tenant is nobody's to read: not recorded.
        if (tenantId !== null) items.push([c, tenantId]);
      }
      if (!items.length) return;
      const thread = this.liveThread;
      if (thread) {
        this.handOver(thread, items);
        return;
      }
      await this.writeHere(items);
    } catch (err) {
      this.dropped(items.length || batch.length, `writing failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async writeHere(items: WriterBatch): Promise<void> {
    await this.store.appendRequestLog(items.map(([c, tenantId]) => this.rows.row(c, tenantId)));
    this.counted(items);
  }

  private counted(items: WriterBatch): void {
    this.stats.writtenRows += items.length;
    for (const [, t] of items) this.written.set(t, (this.written.get(t) ?? 0) + 1);
  }

  /**
   * Gives a batch to the writer thread, which commits it with others (writer-worker.ts). A batch the
   * database refused is dropped, as on this thread; a batch lost with a failed thread is written
   * here instead, and so is every batch after it.
   */
  private handOver(thread: WriterThread, items: WriterBatch): void {
    let chars = 0;
    for (const [c] of items) chars += bodyChars(c);
    this.away.rows += items.length;
    this.away.chars += chars;
    const done: Promise<void> = thread.write(items).then(
      () => this.counted(items),
      async (err: unknown) => {
        if (thread.failure === undefined) {
          this.dropped(items.length, `writing failed: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        if (!this.warnedThread && thread.failure !== 'stopped') {
          this.warnedThread = true;
          this.log?.warn({ err: thread.failure }, 'SCIM request log: its writer thread failed; writing from the thread serving requests from now on');
        }
        try { await this.writeHere(items); } catch (e) { this.dropped(items.length, `writing failed: ${e instanceof Error ? e.message : String(e)}`); }
      },
    ).finally(() => {
      this.handedOver.delete(done);
      this.away.rows -= items.length;
      this.away.chars -= chars;
    });
    this.handedOver.add(done);
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
    // In the writer thread while there is one: it holds the log file's write lock most often.
    const log = this.liveThread ?? { prune: (b: string, n: number) => this.store.pruneRequestLog(b, n), cap: (t: string, k: number, n: number) => this.store.capRequestLog(t, k, n) };
    try {
      for (let i = 0; i < PRUNE_ROUNDS; i++) {
        if ((await log.prune(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
      }
      const checkEvery = Math.max(1, Math.ceil(this.config.maxRowsPerTenant / 10));
      const due = [...this.written].filter(([, n]) => n >= checkEvery).map(([t]) => t);
      for (const t of due) {
        this.written.delete(t);
        let i = 0;
        while ((await log.cap(t, this.config.maxRowsPerTenant, PRUNE_BATCH)) === PRUNE_BATCH) {
          // Still over its cap after this round's share: looked at again next round.
          if (++i >= PRUNE_ROUNDS) { this.written.set(t, checkEvery); break; }
        }
      }
    } catch (err) {
      this.log?.warn({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'SCIM request log: pruning failed; trying again later');
    }
  }
}
