// The embedded default driver: one SQLite file (or :memory:) through better-sqlite3 and kysely.
// WAL lets the CLI and a running server share the file; every write transaction starts with
// BEGIN IMMEDIATE so two processes queue on the busy timeout instead of failing to upgrade a lock.
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql } from '../sql/kysely.ts';
import type { ActionRecord, NewRequestLogEntry, RequestLogQuery, Scan, StoreTx } from '../store.ts';
import { StoreUnavailable } from '../store.ts';
import { sqliteDialect } from '../sql/dialect.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { migrationFiles } from '../sql/migration-files.ts';
import * as requestLog from '../sql/request-log.ts';
import { adoptRequestLog, openRequestLogFile, RequestLogFile, requestLogFilename, resourceIndexInOrder } from './request-log-file.ts';
import { SqliteRunner, TransactionGate } from './sqlite-runner.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
interface Pending { fn: (tx: StoreTx) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }

/** Most transactions one COMMIT may carry (bounds the wait of the first request in a batch). */
const MAX_BATCH = 32;
/** How often the planner's statistics are brought up to date if the data has grown (PRAGMA optimize). */
const OPTIMIZE_EVERY_MS = 10_000;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** A deleted tenant's request log rows deleted per statement. */
const FORGET_BATCH = 1000;

export interface SqliteOptions {
  filename: string;
  busyTimeoutMs?: number;
  slowQueryMs?: number;
  onSlowQuery?: (sqlText: string, ms: number) => void;
}

/**
 * Preparing every statement anew was a fifth of the CPU time of a GET (measured with --cpu-prof,
 * docs/performance.md). The same SQL text gets the same prepared statement back, from a bounded
 * cache. Safe because statements run one at a time (synchronously) on this connection.
 */
function cachingStatements(raw: Database.Database, size = 1000) {
  const cache = new Map<string, Database.Statement>();
  return function prepare(sqlText: string): Database.Statement {
    let stmt = cache.get(sqlText);
    if (stmt) {
      cache.delete(sqlText); // move to the back: least recently used goes first
    } else {
      stmt = raw.prepare(sqlText);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(sqlText, stmt);
    return stmt;
  };
}

export class SqliteStore extends SqlStore {
  private readonly gate: TransactionGate;
  private readonly txRunner: SqliteRunner;
  private readonly dataVersion: Database.Statement;
  private readonly busyTimeoutMs: number;
  private optimizer: NodeJS.Timeout | undefined;
  /** The request log's own file (request-log-file.ts), its writes and a runner for the shared reads; unset for :memory:. */
  override readonly requestLogFile: string | undefined = undefined;
  private readonly logFile: RequestLogFile | undefined;
  private readonly logRunner: SqliteRunner | undefined;

  private constructor(private readonly raw: Database.Database, options: SqliteOptions, logRaw?: Database.Database) {
    // kysely only compiles the SQL here (a Kysely over a database that is never asked to run anything).
    const compiler = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    const prepare = cachingStatements(raw);
    const slow = options.slowQueryMs ?? 500;
    const gate = new TransactionGate();
    super(new SqliteRunner(compiler, prepare, gate, slow, options.onSlowQuery), sqliteDialect);
    this.gate = gate;
    this.txRunner = new SqliteRunner(compiler, prepare, undefined, slow, options.onSlowQuery);
    this.dataVersion = raw.prepare('PRAGMA data_version').pluck();
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (logRaw) {
      this.requestLogFile = logRaw.name;
      this.logFile = new RequestLogFile(logRaw);
      // Reads only, on a connection no transaction of the store's holds: no gate.
      this.logRunner = new SqliteRunner(compiler, cachingStatements(logRaw, 100), undefined, slow, options.onSlowQuery);
    }
  }

  /**
   * SQLite's data_version changes when another connection (the CLI, another process, an admin's
   * sqlite3 shell) commits to the file; this connection's own token changes are counted apart.
   * Reading it costs about 2.5 µs (docs/performance.md).
   */
  authStamp(): string | undefined {
    if (!this.raw.open) return undefined;
    return `${this.dataVersion.get() as number}.${this.authChanges}`;
  }

  static async open(options: SqliteOptions): Promise<SqliteStore> {
    if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
    const raw = new Database(options.filename);
    raw.pragma('journal_mode = WAL');
    raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    // WAL + synchronous=NORMAL: a commit is durable against a process crash (kill -9 tests), and
    // against power loss up to the last checkpoint; no fsync per commit.
    raw.pragma('synchronous = NORMAL');
    raw.pragma('temp_store = MEMORY');
    raw.pragma('foreign_keys = ON');
    // SQLite's lower() folds ASCII only; JavaScript folds all of Unicode, as the values we bind are
    // folded. Replacing lower() makes "name.familyName eq \"Ünal\"" find Ünal. No index uses it.
    raw.function('lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
    let logRaw: Database.Database | undefined;
    let store: SqliteStore;
    try {
      if (options.filename !== ':memory:') logRaw = openRequestLogFile(requestLogFilename(options.filename), options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
      store = new SqliteStore(raw, options, logRaw);
      store.migrationsApplied = store.migrate();
      // Rows of the log from before it had a file of its own (and the table migration 010 creates).
      if (logRaw) adoptRequestLog(raw, logRaw.name);
      // In memory the log stays in the main database, as migrations 010 and 013 made it.
      else resourceIndexInOrder(raw);
      // From here on this connection's writes to the log file never sleep in SQLite's busy handler
      // on this thread: they retry asynchronously (logWrite below).
      logRaw?.pragma('busy_timeout = 0');
    } catch (err) {
      // Nothing left open: a failed start (a busy or newer file, a failed migration) leaks no connection.
      logRaw?.close();
      raw.close();
      throw err;
    }
    store.knownMigrations = migrationFiles(MIGRATIONS_DIR).map(({ version, name }) => ({ version, name }));
    store.optimize();
    store.optimizer = setInterval(() => { void store.gate.exclusive(async () => store.optimize()); }, OPTIMIZE_EVERY_MS);
    store.optimizer.unref();
    return store;
  }

  /**
   * Keeps the query planner's statistics (sqlite_stat1) current, as SQLite advises for long-lived
   * connections. Without them SQLite answered "emails.value eq" on 100,000 users by walking every
   * user in creation order (45 ms); with them it reads the one matching value (0.2 ms). Cheap when
   * nothing grew (~0.1 ms); a sampled ANALYZE (analysis_limit) when a table did (~40 ms at 100,000
   * users). Best effort: if another process holds the write lock, it waits for the next round
   * rather than stalling this one.
   */
  private optimize(): void {
    if (!this.raw.open) return;
    const busy = this.raw.pragma('busy_timeout', { simple: true }) as number;
    try {
      this.raw.pragma('busy_timeout = 0');
      this.raw.pragma('analysis_limit = 1000');
      this.raw.pragma('optimize = 0x10002');
    } catch {
      // SQLITE_BUSY (another writer) or a closing database: statistics are an optimisation only.
    } finally {
      if (this.raw.open) this.raw.pragma(`busy_timeout = ${busy}`);
    }
  }

  /** Applies pending migrations/NNN-*.sql in order, each in its own immediate transaction. */
  migrate(): string[] {
    this.raw.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied: string[] = [];
    for (const m of migrationFiles(MIGRATIONS_DIR)) {
      const run = this.raw.transaction(() => {
        if (this.raw.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return false;
        this.raw.exec(m.sql);
        this.raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
        return true;
      });
      if (run.immediate()) applied.push(m.name);
    }
    return applied;
  }

  /**
   * Group commit. A commit costs ~200 µs of WAL writes on a VM disk against ~60 µs for the work of
   * a typical write (measured, docs/performance.md), so transactions that queue up while one is
   * running share one SQLite transaction: each runs alone, in turn, inside its own SAVEPOINT (its
   * failure rolls back only its own writes), and all are answered after the one COMMIT. Nobody is
   * told "done" before their writes are durable; a failed COMMIT fails every request in the batch.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private readonly pending: Pending[] = [];
  private draining = false;

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length) {
        await this.gate.exclusive(() => this.runBatch());
        // Let reads waiting on the gate (and incoming I/O) run before the next batch takes it.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * BEGIN IMMEDIATE without sleeping on the event loop. SQLite's busy handler waits for another
   * connection's write lock by sleeping the calling thread (1, 2, 5, 10 … ms at a time); the
   * delivery thread's connection (events/delivery-thread.ts) and other processes take that lock
   * many times a second, and each of those sleeps stopped every request of this process. Here the
   * lock is asked for without waiting, and while another holds it this thread serves other work
   * and asks again shortly, until the busy timeout.
   */
  private async beginImmediate(): Promise<void> {
    const deadline = performance.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      this.raw.pragma('busy_timeout = 0');
      try {
        this.raw.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw err;
      } finally {
        this.raw.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      }
      await new Promise((resolve) => (attempt === 0 ? setImmediate(resolve) : setTimeout(resolve, Math.min(attempt, 5))));
    }
  }

  private async runBatch(): Promise<void> {
    const run = (q: Parameters<SqliteRunner['run']>[0]) => this.txRunner.run(q);
    try {
      await this.beginImmediate();
    } catch (err) {
      // The write lock could not be had (another process held it past the busy timeout).
      const failed = this.pending.splice(0, this.pending.length);
      for (const item of failed) item.reject(this.translate(err));
      return;
    }
    const outcomes: { item: Pending; ok: boolean; value?: unknown; error?: unknown }[] = [];
    let appended = false;
    const tx = this.reads.on(this.txRunner, () => { appended = true; });
    while (this.pending.length && outcomes.length < MAX_BATCH) {
      const item = this.pending.shift()!;
      await run(sql`SAVEPOINT request`);
      try {
        const value = await item.fn(tx);
        await run(sql`RELEASE request`);
        outcomes.push({ item, ok: true, value });
      } catch (err) {
        await run(sql`ROLLBACK TO request`).catch(() => undefined);
        await run(sql`RELEASE request`).catch(() => undefined);
        outcomes.push({ item, ok: false, error: this.translate(err) });
      }
    }
    try {
      await run(sql`COMMIT`);
    } catch (err) {
      await run(sql`ROLLBACK`).catch(() => undefined);
      // Nothing of this batch is durable: every request in it fails, successful ones included.
      const error = this.translate(err);
      for (const o of outcomes) o.item.reject(error);
      return;
    }
    for (const o of outcomes) {
      if (o.ok) o.item.resolve(o.value);
      else o.item.reject(o.error);
    }
    // Possibly only by a request that rolled back: a wakeup that finds nothing costs one query.
    if (appended) this.eventsCommitted();
  }

  async close(): Promise<void> {
    clearInterval(this.optimizer);
    await this.gate.exclusive(async () => this.raw.close());
    this.logFile?.db.close();
  }

  // ---- the request log, in its own file unless the database is :memory: ----------------------

  override appendRequestLog(entries: readonly NewRequestLogEntry[]): Promise<void> {
    const file = this.logFile;
    return file ? this.logWrite(() => file.append(entries)) : super.appendRequestLog(entries);
  }

  /**
   * A write to the log file from this thread (the recorder when it has no writer thread, retention
   * then, a deleted tenant's rows). The file's lock is asked for without waiting, as beginImmediate
   * does for the main file: while another connection (the writer thread, another process) holds
   * it, this thread serves other work and asks again shortly, until the busy timeout.
   */
  private async logWrite<T>(fn: () => T): Promise<T> {
    const deadline = performance.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw this.translate(err);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(attempt + 1, 5)));
    }
  }

  override listRequestLog(tenantId: string, q: RequestLogQuery, scan: Scan) {
    const db = this.logRunner;
    return db ? this.run(() => requestLog.listRequestLog(db, sqliteDialect, tenantId, q, scan)) : super.listRequestLog(tenantId, q, scan);
  }

  override getRequestLogEntry(tenantId: string, seq: number) {
    const db = this.logRunner;
    return db ? this.run(() => requestLog.getRequestLogEntry(db, tenantId, seq)) : super.getRequestLogEntry(tenantId, seq);
  }

  override requestLogHealth(tenantId: string, now: string) {
    const db = this.logRunner;
    return db ? this.run(() => requestLog.requestLogHealth(db, tenantId, now)) : super.requestLogHealth(tenantId, now);
  }

  override pruneRequestLog(before: string, limit: number): Promise<number> {
    const file = this.logFile;
    return file ? this.logWrite(() => file.prune(before, limit)) : super.pruneRequestLog(before, limit);
  }

  override capRequestLog(tenantId: string, keep: number, limit: number): Promise<number> {
    const file = this.logFile;
    return file ? this.logWrite(() => file.cap(tenantId, keep, limit)) : super.capRequestLog(tenantId, keep, limit);
  }

  /**
   * A deleted tenant's log rows go too (their bodies hold its people's data), after the tenant's
   * own deletion commits, a batch at a time: another transaction, in another file. Rows left
   * behind — by a crash in between, a file held busy past the timeout, or requests of the tenant
   * still on their way to the log — belong to no tenant any more (the admin API cannot reach them)
   * and expire with retention; the tenant's deletion, which has committed, is not reported failed
   * for them.
   */
  override async deleteTenant(tenantId: string, record?: (gone: { users: number; groups: number }) => ActionRecord) {
    const gone = await super.deleteTenant(tenantId, record);
    const file = this.logFile;
    if (gone && file) {
      try {
        while ((await this.logWrite(() => file.forget(tenantId, FORGET_BATCH))) === FORGET_BATCH) await new Promise((r) => setImmediate(r));
      } catch { /* left to retention, as above */ }
    }
    return gone;
  }

  /**
   * A lock held past the busy timeout is "unavailable". Unique-constraint failures are classified
   * where they happen, by the statement that knows which attribute it writes (sql/resources.ts).
   */
  protected translate(err: unknown): unknown {
    const e = err as { code?: string };
    if (e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_LOCKED') return new StoreUnavailable(err);
    return err;
  }
}
