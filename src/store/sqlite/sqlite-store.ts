// The embedded default driver: one SQLite file (or :memory:) through better-sqlite3 and kysely.
// WAL lets the CLI and a running server share the file; every write transaction starts with
// BEGIN IMMEDIATE so two processes queue on the busy timeout instead of failing to upgrade a lock.
import Database from 'better-sqlite3';
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { StoreTx } from '../store.ts';
import { StoreUnavailable, UniquenessViolation } from '../store.ts';
import { sqliteDialect } from '../sql/dialect.ts';
import { SqlResources } from '../sql/resources.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { SqliteRunner, TransactionGate } from './sqlite-runner.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

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
  readonly dialect = 'sqlite' as const;

  private readonly gate: TransactionGate;
  private readonly txRunner: SqliteRunner;

  private constructor(private readonly raw: Database.Database, options: SqliteOptions) {
    // kysely only compiles the SQL here (a Kysely over a database that is never asked to run anything).
    const compiler = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    const prepare = cachingStatements(raw);
    const slow = options.slowQueryMs ?? 500;
    const gate = new TransactionGate();
    super(new SqliteRunner(compiler, prepare, gate, slow, options.onSlowQuery), sqliteDialect);
    this.gate = gate;
    this.txRunner = new SqliteRunner(compiler, prepare, undefined, slow, options.onSlowQuery);
  }

  static async open(options: SqliteOptions): Promise<SqliteStore> {
    if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
    const raw = new Database(options.filename);
    raw.pragma('journal_mode = WAL');
    raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    // SQLite's lower() folds ASCII only; JavaScript folds all of Unicode, as the values we bind are
    // folded. Replacing lower() makes "name.familyName eq \"Ünal\"" find Ünal. No index uses it.
    raw.function('lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
    const store = new SqliteStore(raw, options);
    store.migrate();
    return store;
  }

  /** Applies pending migrations/NNN-*.sql in order, each in its own immediate transaction. */
  migrate(): string[] {
    this.raw.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d+-.*\.sql$/.test(f)).sort();
    const applied: string[] = [];
    for (const file of files) {
      const version = Number(file.split('-')[0]);
      const run = this.raw.transaction(() => {
        if (this.raw.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version)) return false;
        this.raw.exec(readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'));
        this.raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, file, new Date().toISOString());
        return true;
      });
      if (run.immediate()) applied.push(file);
    }
    return applied;
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.gate.exclusive(async () => {
      try {
        await this.txRunner.run(sql`BEGIN IMMEDIATE`);
      } catch (err) {
        throw this.translate(err);
      }
      try {
        const result = await fn(new SqlResources(this.txRunner, sqliteDialect));
        await this.txRunner.run(sql`COMMIT`);
        return result;
      } catch (err) {
        await this.txRunner.run(sql`ROLLBACK`).catch(() => undefined);
        throw this.translate(err);
      }
    });
  }

  async close(): Promise<void> {
    await this.gate.exclusive(async () => this.raw.close());
  }

  /** Unique-constraint failures name the attribute; a lock held past the busy timeout is "unavailable". */
  protected translate(err: unknown): unknown {
    const e = err as { code?: string; message?: string };
    if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      if (e.message?.includes('users.user_name_lc')) return new UniquenessViolation('userName');
      if (e.message?.includes('groups.display_name_lc')) return new UniquenessViolation('displayName');
      if (e.message?.includes('tenants.slug')) return new UniquenessViolation('slug');
      return new UniquenessViolation('id');
    }
    if (e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_LOCKED') return new StoreUnavailable(err);
    return err;
  }
}
