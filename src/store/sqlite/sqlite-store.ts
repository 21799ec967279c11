// The embedded default driver: one SQLite file (or :memory:) through better-sqlite3 and kysely.
// WAL lets the CLI and a running server share the file; every write transaction starts with
// BEGIN IMMEDIATE so two processes queue on the busy timeout instead of failing to upgrade a lock.
import Database from 'better-sqlite3';
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Store, StoreTx, Tenant, TokenRecord } from '../store.ts';
import { UniquenessViolation } from '../store.ts';
import { sqliteDialect } from '../sql/dialect.ts';
import { SqlResources, type Executor } from '../sql/resources.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export interface SqliteOptions { filename: string; busyTimeoutMs?: number }

/** Maps SQLite's unique-constraint failures to the attribute that must be unique. */
function translate(err: unknown): unknown {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    if (e.message?.includes('users.user_name_lc')) return new UniquenessViolation('userName');
    if (e.message?.includes('groups.display_name_lc')) return new UniquenessViolation('displayName');
    if (e.message?.includes('tenants.slug')) return new UniquenessViolation('slug');
    if (e.message?.includes('.id')) return new UniquenessViolation('id');
  }
  return err;
}

type Row = Record<string, unknown>;
const toTenant = (r: Row): Tenant => ({ id: r.id as string, slug: r.slug as string, name: r.name as string, createdAt: r.created_at as string });
const toToken = (r: Row): TokenRecord => ({
  id: r.id as string, tenantId: r.tenant_id as string, hash: r.hash as string, hint: r.hint as string,
  createdAt: r.created_at as string, expiresAt: (r.expires_at as string) ?? null, revokedAt: (r.revoked_at as string) ?? null,
  lastUsedAt: (r.last_used_at as string) ?? null,
});

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  private readonly db: Executor;
  private readonly reads: SqlResources;

  private constructor(private readonly raw: Database.Database) {
    this.db = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    this.reads = new SqlResources(this.db, sqliteDialect);
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
    const store = new SqliteStore(raw);
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
        const done = this.raw.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version);
        if (done) return false;
        this.raw.exec(readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'));
        this.raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, file, new Date().toISOString());
        return true;
      });
      if (run.immediate()) applied.push(file);
    }
    return applied;
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      await sql`BEGIN IMMEDIATE`.execute(conn);
      try {
        const result = await fn(new SqlResources(conn, sqliteDialect));
        await sql`COMMIT`.execute(conn);
        return result;
      } catch (err) {
        await sql`ROLLBACK`.execute(conn).catch(() => undefined);
        throw translate(err);
      }
    });
  }

  async close(): Promise<void> { await this.db.destroy(); }

  getUser(t: string, id: string) { return this.reads.getUser(t, id); }
  listUsers(t: string, o: Parameters<Store['listUsers']>[1]) { return this.reads.listUsers(t, o); }
  groupsOfUsers(t: string, ids: string[]) { return this.reads.groupsOfUsers(t, ids); }
  getGroup(t: string, id: string) { return this.reads.getGroup(t, id); }
  listGroups(t: string, o: Parameters<Store['listGroups']>[1]) { return this.reads.listGroups(t, o); }
  membersOf(t: string, ids: string[]) { return this.reads.membersOf(t, ids); }

  async createTenant(t: Tenant): Promise<void> {
    try {
      await sql`INSERT INTO tenants (id, slug, name, created_at) VALUES (${t.id}, ${t.slug}, ${t.name}, ${t.createdAt})`.execute(this.db);
    } catch (err) { throw translate(err); }
  }

  async findTenantBySlug(slug: string): Promise<Tenant | undefined> {
    const r = await sql<Row>`SELECT * FROM tenants WHERE slug = ${slug}`.execute(this.db);
    return r.rows[0] ? toTenant(r.rows[0]) : undefined;
  }

  async listTenants(): Promise<Tenant[]> {
    const r = await sql<Row>`SELECT * FROM tenants ORDER BY slug`.execute(this.db);
    return r.rows.map(toTenant);
  }

  async createToken(t: TokenRecord): Promise<void> {
    await sql`INSERT INTO tokens (tenant_id, id, hash, hint, created_at, expires_at, revoked_at, last_used_at)
      VALUES (${t.tenantId}, ${t.id}, ${t.hash}, ${t.hint}, ${t.createdAt}, ${t.expiresAt}, ${t.revokedAt}, ${t.lastUsedAt})`.execute(this.db);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const r = await sql<Row>`SELECT * FROM tokens WHERE hash = ${hash}`.execute(this.db);
    return r.rows[0] ? toToken(r.rows[0]) : undefined;
  }

  async listTokens(tenantId: string): Promise<TokenRecord[]> {
    const r = await sql<Row>`SELECT * FROM tokens WHERE tenant_id = ${tenantId} ORDER BY created_at, id`.execute(this.db);
    return r.rows.map(toToken);
  }

  async revokeToken(tenantId: string, tokenId: string, at: string): Promise<boolean> {
    const r = await sql`UPDATE tokens SET revoked_at = ${at} WHERE tenant_id = ${tenantId} AND id = ${tokenId} AND revoked_at IS NULL`.execute(this.db);
    return Number(r.numAffectedRows ?? 0) > 0;
  }

  async touchToken(tokenId: string, at: string): Promise<void> {
    const minuteAgo = new Date(Date.parse(at) - 60_000).toISOString();
    await sql`UPDATE tokens SET last_used_at = ${at} WHERE id = ${tokenId} AND (last_used_at IS NULL OR last_used_at < ${minuteAgo})`.execute(this.db);
  }
}

