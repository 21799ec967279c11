// Everything both SQL drivers share: tenants, tokens and reads, over one QueryRunner. A driver
// supplies the connection, migrations, transaction boundaries and the mapping of its errors.
import { sql } from 'kysely';
import { UniquenessViolation, type ListOptions, type NewTenant, type Store, type StoredSettings, type StoreTx, type Tenant, type TenantSchemas, type TokenRecord } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { canNameRow } from './lookup-key.ts';
import { SqlResources } from './resources.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
const toTenant = (r: Row): Tenant => ({ id: r.id as string, slug: r.slug as string, name: r.name as string, createdAt: r.created_at as string, settingsVersion: Number(r.settings_version) });
const toToken = (r: Row): TokenRecord => ({
  id: r.id as string, tenantId: r.tenant_id as string, hash: r.hash as string, hint: r.hint as string,
  createdAt: r.created_at as string, expiresAt: (r.expires_at as string) ?? null, revokedAt: (r.revoked_at as string) ?? null,
  lastUsedAt: (r.last_used_at as string) ?? null,
});

export abstract class SqlStore implements Store {
  protected readonly reads: SqlResources;

  constructor(protected readonly db: QueryRunner, private readonly dialect: SqlDialect) {
    this.reads = new SqlResources(db, dialect, undefined, () => { this.authChanges++; });
  }

  /** Set by the driver's open(), from what its migrate() applied. */
  migrationsApplied: readonly string[] = [];

  /** Token and tenant changes made through this store object (the driver adds other connections'). */
  protected authChanges = 0;

  abstract transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  abstract authStamp(): string | undefined;
  abstract close(): Promise<void>;
  /** Maps a driver error to the Store's own error types (UniquenessViolation, StoreUnavailable). */
  protected abstract translate(err: unknown): unknown;

  /** Runs a statement outside a transaction with the driver's error mapping. */
  protected async run<T>(fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (err) { throw this.translate(err); }
  }

  getUser(t: string, id: string) { return this.run(() => this.reads.getUser(t, id)); }
  getUserWithGroups(t: string, id: string) { return this.run(() => this.reads.getUserWithGroups(t, id)); }
  listUsers(t: string, s: TenantSchemas, o: ListOptions) { return this.run(() => this.reads.listUsers(t, s, o)); }
  groupsOfUsers(t: string, ids: string[]) { return this.run(() => this.reads.groupsOfUsers(t, ids)); }
  getGroup(t: string, id: string) { return this.run(() => this.reads.getGroup(t, id)); }
  listGroups(t: string, s: TenantSchemas, o: ListOptions) { return this.run(() => this.reads.listGroups(t, s, o)); }
  membersOf(t: string, ids: string[]) { return this.run(() => this.reads.membersOf(t, ids)); }
  membersPage(t: string, g: string, after: string | undefined, limit: number) { return this.run(() => this.reads.membersPage(t, g, after, limit)); }

  createTenant(t: NewTenant): Promise<void> {
    return this.run(async () => {
      try {
        await this.db.run(sql`INSERT INTO tenants (id, slug, name, created_at) VALUES (${t.id}, ${t.slug}, ${t.name}, ${t.createdAt})`);
      } catch (err) {
        if (this.dialect.isUniqueViolation(err)) throw new UniquenessViolation('Tenant', 'slug');
        throw err;
      }
    });
  }

  findTenantBySlug(slug: string): Promise<Tenant | undefined> {
    return this.run(async () => {
      if (!canNameRow(slug)) return undefined;
      const r = await this.db.run(sql<Row>`SELECT * FROM tenants WHERE slug = ${slug}`);
      return r.rows[0] ? toTenant(r.rows[0]) : undefined;
    });
  }

  listTenants(): Promise<Tenant[]> {
    return this.run(async () => (await this.db.run(sql<Row>`SELECT * FROM tenants ORDER BY slug`)).rows.map(toTenant));
  }

  createToken(t: TokenRecord): Promise<void> {
    return this.run(async () => {
      await this.db.run(sql`INSERT INTO tokens (tenant_id, id, hash, hint, created_at, expires_at, revoked_at, last_used_at)
        VALUES (${t.tenantId}, ${t.id}, ${t.hash}, ${t.hint}, ${t.createdAt}, ${t.expiresAt}, ${t.revokedAt}, ${t.lastUsedAt})`);
    });
  }

  findTokenForTenant(hash: string, slug: string): Promise<{ token: TokenRecord; tenant: Tenant } | undefined> {
    return this.run(async () => {
      if (!canNameRow(hash) || !canNameRow(slug)) return undefined;
      // The settings version comes along: the request's schemas follow it (provisioning/schemas.ts).
      const r = await this.db.run(sql<Row>`SELECT k.*, t.slug, t.name, t.created_at AS tenant_created_at, t.settings_version FROM tokens k JOIN tenants t ON t.id = k.tenant_id
        WHERE k.hash = ${hash} AND t.slug = ${slug}`);
      const row = r.rows[0];
      return row ? {
        token: toToken(row),
        tenant: { id: row.tenant_id as string, slug: row.slug as string, name: row.name as string, createdAt: row.tenant_created_at as string, settingsVersion: Number(row.settings_version) },
      } : undefined;
    });
  }

  listTokens(tenantId: string): Promise<TokenRecord[]> {
    return this.run(async () => (await this.db.run(sql<Row>`SELECT * FROM tokens WHERE tenant_id = ${tenantId} ORDER BY created_at, id`)).rows.map(toToken));
  }

  revokeToken(tenantId: string, tokenId: string, at: string): Promise<boolean> {
    return this.run(async () => {
      if (!canNameRow(tokenId)) return false;
      const r = await this.db.run(sql`UPDATE tokens SET revoked_at = ${at} WHERE tenant_id = ${tenantId} AND id = ${tokenId} AND revoked_at IS NULL`);
      this.authChanges++;
      return Number(r.numAffectedRows ?? 0) > 0;
    });
  }

  touchToken(tokenId: string, at: string): Promise<void> {
    const minuteAgo = new Date(Date.parse(at) - 60_000).toISOString();
    return this.run(async () => {
      await this.db.run(sql`UPDATE tokens SET last_used_at = ${at} WHERE id = ${tokenId} AND (last_used_at IS NULL OR last_used_at < ${minuteAgo})`);
    });
  }

  // ---- tenant settings (issue 9) -------------------------------------------------------------

  readTenantSettings(tenantId: string): Promise<StoredSettings | undefined> {
    return this.run(async () => {
      if (!canNameRow(tenantId)) return undefined;
      const r = await this.db.run(sql<Row>`SELECT settings, settings_version FROM tenants WHERE id = ${tenantId}`);
      const row = r.rows[0];
      if (!row) return undefined;
      const document: unknown = row.settings === null || row.settings === undefined ? null : typeof row.settings === 'string' ? JSON.parse(row.settings) : row.settings;
      return { document, version: Number(row.settings_version) };
    });
  }
}
