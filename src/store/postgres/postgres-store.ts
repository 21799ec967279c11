// The production driver: PostgreSQL through pg's pool and kysely. Any number of stateless Rollcall
// processes may share one database: migrations take an advisory lock, writers lock the rows they
// change (SqlResources.lockUser/lockGroup), uniqueness is enforced by unique indexes.
import pg from 'pg';
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, DummyDriver } from '../sql/kysely.ts';
import type { PoolUse, StoreTx } from '../store.ts';
import { PostgresRefused, StoreUnavailable, WriteConflict } from '../store.ts';
import { postgresDialect } from '../sql/dialect.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { PgRunner, StatementNames } from './pg-runner.ts';
import { migrationFiles } from '../sql/migration-files.ts';
import { sequence, SEQUENCER_LOCK } from '../sql/events.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
/** pg_advisory_lock key of Rollcall's migrations ("rollcall" as a 63-bit number). */
const MIGRATION_LOCK = 0x726f6c6c63616c6cn & 0x7fffffffffffffffn;

export interface PostgresOptions {
  connectionString: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  slowQueryMs?: number;
  onSlowQuery?: (sqlText: string, ms: number) => void;
}

// Bigints (count(*), identity columns) arrive as strings; the store converts what it uses.
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);

/** True for failures that mean "the database is not there right now" rather than "this query is wrong". */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && CONNECTION_ERRORS.has(e.code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(e?.message ?? '');
}

function refusal(err: unknown, connectionString: string): PostgresRefused | undefined {
  const e = err as { code?: string; routine?: string };
  const reason = e?.code === '3D000' ? 'noDatabase'
    : e?.code === '28000' && e.routine === 'InitializeSessionUserId' ? 'noRole'
      : e?.code === '28000' || e?.code === '28P01' ? 'authentication' : undefined;
  if (!reason) return undefined;
  const p = pg.defaults;
  const url = new URL(connectionString);
  const role = decodeURIComponent(url.username) || String(p.user ?? '');
  const database = decodeURIComponent(url.pathname.slice(1)) || role;
  return new PostgresRefused(reason, `${url.hostname || String(p.host)}:${url.port || String(p.port)}`, database, role, { cause: err });
}

/** kysely compiles the shared SQL for PostgreSQL; pg-runner.ts runs it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMPILER = new Kysely<any>({ dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() } });

/** The channel migration 003's triggers notify when a token or tenant changes. */
const AUTH_CHANNEL = 'rollcall_auth';
/** The channel the sequencer notifies when it gave positions (writers never notify: migration 006 says why). */
const EVENTS_CHANNEL = 'rollcall_events';
/** Events one sequencer transaction positions at most (a 10,000-member PATCH takes two). */
const SEQUENCE_BATCH = 5000;
/** How long to wait before opening the notification connection again after it was lost. */
const RELISTEN_MS = 1000;

export class PostgresStore extends SqlStore {
  /** The dedicated connection that LISTENs on AUTH_CHANNEL; undefined while it is down. */
  private listener: pg.Client | undefined;
  /** Counts notifications and (re)connections of the listener: a new value invalidates reused results. */
  private notifications = 0;
  private relisten: NodeJS.Timeout | undefined;
  private closed = false;

  /** Shared by the pool's runner and every transaction's: a text has one name on every connection. */
  private readonly names: StatementNames;

  private constructor(private readonly pool: pg.Pool, private readonly options: PostgresOptions, names = new StatementNames()) {
    super(new PgRunner(COMPILER, pool, names, options.slowQueryMs ?? 500, options.onSlowQuery), postgresDialect);
    this.names = names;
  }

  private runner(executor: pg.Pool | pg.PoolClient): PgRunner {
    return new PgRunner(COMPILER, executor, this.names, this.options.slowQueryMs ?? 500, this.options.onSlowQuery);
  }

  /** pg's pool counts: connections open, idle, and queries waiting for one (config.dbPoolSize is the most). */
  poolUse(): PoolUse {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, max: this.options.poolSize ?? 10 };
  }

  /** Undefined while the listener is down: a revocation could then go unnoticed, so nothing is reused. */
  authStamp(): string | undefined {
    return this.listener ? `${this.notifications}.${this.authChanges}` : undefined;
  }

  /** Opens the LISTEN connection; on failure, or when it is lost later, tries again after RELISTEN_MS. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5_000, keepAlive: true });
    let gone = false;
    const lost = () => {
      if (gone) return; // 'error' and 'end' may both arrive, and end() raises 'end' again
      gone = true;
      client.removeAllListeners('notification');
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      this.scheduleListen();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      if (n.channel === EVENTS_CHANNEL) this.eventsCommitted();
      else this.notifications++;
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch {
      lost();
      return;
    }
    if (this.closed) { await client.end().catch(() => undefined); return; }
    // Whatever changed while no one was listening is unknown: a new stamp drops everything kept,
    // and the event readers look again.
    this.notifications++;
    this.listener = client;
    this.eventsCommitted();
  }

  private scheduleListen(): void {
    if (this.closed || this.relisten) return;
    this.relisten = setTimeout(() => { this.relisten = undefined; void this.listen(); }, RELISTEN_MS);
    this.relisten.unref();
  }

  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
    });
    // A client whose server went away emits 'error'. The pool listens only while a client is idle;
    // one handed out a moment before its socket closes would crash the process. Every client gets a
    // permanent listener: the failure still reaches the query that uses it, as StoreUnavailable.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => { client.on('error', () => undefined); });
    const store = new PostgresStore(pool, options);
    try {
      store.migrationsApplied = await store.migrate();
      store.knownMigrations = migrationFiles(MIGRATIONS_DIR).map(({ version, name }) => ({ version, name }));
      await store.listen();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw refusal(err, options.connectionString) ?? err;
    }
    return store;
  }

  /**
   * Applies pending migrations in order. An advisory lock makes processes that start together take
   * turns; each migration commits with its schema_migrations row, so none is applied twice.
   */
  async migrate(): Promise<string[]> {
    const client = await this.pool.connect();
    const applied: string[] = [];
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      for (const m of migrationFiles(MIGRATIONS_DIR)) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
          await client.query('COMMIT');
          applied.push(m.name);
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => undefined);
      client.release();
    }
    return applied;
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    let appended = false;
    const result = await this.inClientTransaction((client) => fn(this.reads.on(this.runner(client), () => { appended = true; })));
    // This process's own readers need not wait for the notification's round trip.
    if (appended) this.eventsCommitted();
    return result;
  }

  /** BEGIN … COMMIT on a pooled connection; ROLLBACK on failure, and a connection that failed is closed rather than reused. */
  private async inClientTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(err);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => { broken = rollbackErr; });
      if (isConnectionError(err)) broken = err as Error;
      throw this.translate(err);
    } finally {
      client.release(broken);
    }
  }

  /**
   * The sequencer (store/sql/events.ts): one process at a time, under a transaction-scoped advisory
   * lock. A process that finds the lock taken returns 0 and leaves the events to the holder, which
   * goes on while it finds any; the caller looks again shortly (events/engine.ts), so an event that
   * committed just after the holder's last look is not left waiting. With `wait`, it waits for the
   * holder to finish and then runs: every event committed before the call then has its position.
   */
  async sequenceEvents(options: { wait?: boolean } = {}): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.inClientTransaction(async (client) => {
        // A reader that must see its own writes (the feed) waits for a running sequencer, then runs.
        const locked = options.wait
          ? (await client.query('SELECT pg_advisory_xact_lock($1)', [SEQUENCER_LOCK]), true)
          : (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [SEQUENCER_LOCK])).rows[0]?.ok;
        if (!locked) return 0;
        const given = await sequence(this.runner(client), SEQUENCE_BATCH);
        if (given) await client.query(`SELECT pg_notify('${EVENTS_CHANNEL}', 'sequenced')`);
        return given;
      });
      total += n;
      if (n < SEQUENCE_BATCH) return total;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.relisten);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  protected translate(err: unknown): unknown {
    // Unique-constraint failures are classified where they happen (sql/resources.ts, sql-store.ts).
    const e = err as { code?: string };
    if (e?.code === '40P01' || e?.code === '40001') return new WriteConflict(err);
    if (isConnectionError(err)) return new StoreUnavailable(err);
    return err;
  }
}
