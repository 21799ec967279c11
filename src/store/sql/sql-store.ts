// Everything both SQL drivers share: tenants, tokens and reads, over one QueryRunner. A driver
// supplies the connection, migrations, transaction boundaries and the mapping of its errors.
import { sql } from './kysely.ts';
import type { Filter } from '../../scim/filter.ts';
import { UniquenessViolation, type ActionRecord, type AdminKeyRecord, type ConsumerKind, type ConsumerPatch, type ConsumerState, type DeliveryBacklog, type DeliveryOutcomeName, type NewConsumer, type NewDeadLetter, type NewDeliveryAttempt, type ReplayClaim, type ScimDisabled, type StreamClaim, type AuditEntry, type ListedAuditEntry, type EventQuery, type EventRecord, type ListOptions, type NewTenant, type Scan, type Store, type StoredSettings, type StoreTx, type SamlConnectionRecord, type SamlRequestRecord, type SsoCodeRecord, type SigningKeyRecord, type NewRequestLogEntry, type RequestLogQuery, type Tenant, type TenantSchemas, type TokenRecord, type ConsoleSessionRecord, type SetupLinkRecord } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import * as consoleSql from './console.ts';
import * as delivery from './delivery.ts';
import * as events from './events.ts';
import * as requestLog from './request-log.ts';
import * as samlConnections from './saml-connections.ts';
import * as sso from './sso.ts';
import { canNameRow } from './lookup-key.ts';
import { SqlResources, storedSettingsOf } from './resources.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
const toTenant = (r: Row): Tenant => ({ id: r.id as string, slug: r.slug as string, name: r.name as string, createdAt: r.created_at as string, settingsVersion: Number(r.settings_version), scimEnabled: r.scim_mode !== 'disabled' });
const toToken = (r: Row): TokenRecord => ({
  id: r.id as string, tenantId: r.tenant_id as string, name: (r.name as string) ?? null, hash: r.hash as string, hint: r.hint as string,
  createdAt: r.created_at as string, expiresAt: (r.expires_at as string) ?? null, revokedAt: (r.revoked_at as string) ?? null,
  lastUsedAt: (r.last_used_at as string) ?? null,
});
const toAdminKey = (r: Row): AdminKeyRecord => ({
  id: r.id as string, name: r.name as string, scope: r.scope as AdminKeyRecord['scope'], hash: r.hash as string, hint: r.hint as string,
  createdAt: r.created_at as string, expiresAt: (r.expires_at as string) ?? null, revokedAt: (r.revoked_at as string) ?? null,
  lastUsedAt: (r.last_used_at as string) ?? null,
});
const toAudit = (r: Row): AuditEntry => ({
  id: r.id as string, at: r.at as string, keyId: (r.key_id as string) ?? null, keyName: (r.key_name as string) ?? null,
  action: r.action as string, tenantId: (r.tenant_id as string) ?? null, targetType: r.target_type as string, targetId: (r.target_id as string) ?? null,
  summary: (typeof r.summary === 'string' ? JSON.parse(r.summary) : r.summary) as Record<string, unknown>, requestId: (r.request_id as string) ?? null,
});
/** A LIKE pattern matching `text` anywhere, with LIKE's own wildcards escaped (ESCAPE '\'). */
const containing = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export abstract class SqlStore implements Store {
  protected readonly reads: SqlResources;

  constructor(protected readonly db: QueryRunner, private readonly dialect: SqlDialect) {
    this.reads = new SqlResources(db, dialect, undefined, () => { this.authChanges++; });
  }

  /** Set by the driver's open(), from what its migrate() applied. */
  migrationsApplied: readonly string[] = [];
  /** The migrations this build carries (version and file name), set by the driver's open(). */
  protected knownMigrations: readonly { version: number; name: string }[] = [];

  async pendingMigrations(): Promise<string[]> {
    const r = await this.run(() => this.db.run(sql<Row>`SELECT version FROM schema_migrations`));
    const done = new Set(r.rows.map((row) => Number(row.version)));
    return this.knownMigrations.filter((m) => !done.has(m.version)).map((m) => m.name);
  }

  deliveryBacklog(): Promise<DeliveryBacklog[]> { return this.run(() => delivery.deliveryBacklog(this.db, this.dialect)); }

  /** Token and tenant changes made through this store object (the driver adds other connections'). */
  protected authChanges = 0;

  abstract transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  abstract authStamp(): string | undefined;
  /** Store.requestLogFile: set by SqliteStore for a file database. */
  declare readonly requestLogFile?: string;
  abstract close(): Promise<void>;
  /** Maps a driver error to the Store's own error types (UniquenessViolation, StoreUnavailable). */
  protected abstract translate(err: unknown): unknown;

  /** Runs a statement outside a transaction with the driver's error mapping. */
  protected async run<T>(fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (err) { throw this.translate(err); }
  }

  // ---- events (issue 10) ---------------------------------------------------------------------

  private readonly eventListeners = new Set<() => void>();

  onEvents(listener: () => void): () => void {
    this.eventListeners.add(listener);
    return () => { this.eventListeners.delete(listener); };
  }

  /** Tells the listeners that events may have committed (after a commit that appended some, or a notification). */
  protected eventsCommitted(): void {
    for (const l of this.eventListeners) {
      try { l(); } catch { /* a listener's failure is its own */ }
    }
  }

  readEvents(q: EventQuery): Promise<EventRecord[]> { return this.run(() => events.readEvents(this.db, q)); }
  eventHead(): Promise<number> { return this.run(() => events.eventHead(this.db)); }
  pruneEvents(before: string, limit: number): Promise<number> { return this.run(() => events.pruneEvents(this.db, before, limit)); }
  /** SQLite gives positions at insert; the PostgreSQL driver overrides this with the sequencer. */
  async sequenceEvents(): Promise<number> { return 0; }

  getUser(t: string, id: string) { return this.run(() => this.reads.getUser(t, id)); }
  getUserWithGroups(t: string, id: string) { return this.run(() => this.reads.getUserWithGroups(t, id)); }
  listUsers(t: string, s: TenantSchemas, o: ListOptions) { return this.run(() => this.reads.listUsers(t, s, o)); }
  groupsOfUsers(t: string, ids: string[]) { return this.run(() => this.reads.groupsOfUsers(t, ids)); }
  getGroup(t: string, id: string) { return this.run(() => this.reads.getGroup(t, id)); }
  listGroups(t: string, s: TenantSchemas, o: ListOptions) { return this.run(() => this.reads.listGroups(t, s, o)); }
  namesOf(t: string, ids: string[]) { return this.run(() => this.reads.namesOf(t, ids)); }
  membersOf(t: string, ids: string[]) { return this.run(() => this.reads.membersOf(t, ids)); }
  membersPage(t: string, g: string, after: string | undefined, limit: number) { return this.run(() => this.reads.membersPage(t, g, after, limit)); }
  scanUsers(t: string, s: TenantSchemas, f: Filter | undefined, after: number | undefined, limit: number) { return this.run(() => this.reads.scanUsers(t, s, f, after, limit)); }
  scanGroups(t: string, s: TenantSchemas, f: Filter | undefined, after: number | undefined, limit: number) { return this.run(() => this.reads.scanGroups(t, s, f, after, limit)); }

  /**
   * Several statements as one transaction, over the raw runner (through the driver's transaction,
   * which maps the driver's errors itself);
   * `tx` appends events so that the driver wakes the event listeners after the commit.
   */
  private atomically<T>(fn: (db: QueryRunner, tx: SqlResources) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn((tx as SqlResources).db, tx as SqlResources));
  }

  /** An admin action's audit entry and events (ActionRecord), inside the action's transaction. */
  private async record(tx: SqlResources, r: ActionRecord | undefined): Promise<void> {
    if (r?.audit) await tx.appendAudit(r.audit);
    if (r?.events?.length) await tx.appendEvents(r.events);
  }

  createTenant(t: NewTenant, record?: ActionRecord, settings?: unknown): Promise<void> {
    return this.atomically(async (db, tx) => {
      try {
        // Settings given (a preset): version 2, since version 1 means "never set, every default" (provisioning/schemas.ts).
        await db.run(settings === undefined
          ? sql`INSERT INTO tenants (id, slug, name, created_at) VALUES (${t.id}, ${t.slug}, ${t.name}, ${t.createdAt})`
          : sql`INSERT INTO tenants (id, slug, name, created_at, settings, settings_version) VALUES (${t.id}, ${t.slug}, ${t.name}, ${t.createdAt}, ${JSON.stringify(settings)}, ${2})`);
      } catch (err) {
        if (this.dialect.isUniqueViolation(err)) throw new UniquenessViolation('Tenant', 'slug');
        throw err;
      }
      await this.record(tx, record);
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

  scanTenants(search: string | undefined, scan: Scan): Promise<Tenant[]> {
    return this.run(async () => {
      const conds = [sql`1 = 1`];
      if (scan.after !== undefined) conds.push(sql`slug > ${scan.after}`);
      // Lower-cased in JavaScript and in SQL alike; ASCII slugs and names compare the same in both databases.
      if (search) conds.push(sql`(lower(slug) LIKE ${containing(search)} ESCAPE '\\' OR lower(name) LIKE ${containing(search)} ESCAPE '\\')`);
      const r = await this.db.run(sql<Row>`SELECT * FROM tenants WHERE ${sql.join(conds, sql` AND `)} ORDER BY slug LIMIT ${scan.limit}`);
      return r.rows.map(toTenant);
    });
  }

  renameTenant(tenantId: string, name: string, record?: ActionRecord): Promise<boolean> {
    return this.atomically(async (db, tx) => {
      const r = await db.run(sql`UPDATE tenants SET name = ${name} WHERE id = ${tenantId}`);
      if (Number(r.numAffectedRows ?? 0) === 0) return false;
      await this.record(tx, record);
      return true;
    });
  }

  deleteTenant(tenantId: string, record?: (gone: { users: number; groups: number }) => ActionRecord): Promise<{ users: number; groups: number } | undefined> {
    return this.atomically(async (db, tx) => {
      const found = await db.run(sql<Row>`SELECT id FROM tenants WHERE id = ${tenantId}${this.dialect.forUpdate}`);
      if (!found.rows.length) return undefined;
      const count = async (table: string) => Number((await db.run(sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE tenant_id = ${tenantId}`)).rows[0]?.n ?? 0);
      const users = await count('users');
      const groups = await count('groups');
      // Children first, each by its tenant_id index, rather than trusting cascades to reach them all;
      // its SAML state too (issue 12): connections, AuthnRequests in flight, accepted assertion ids,
      // sign-in codes; its SCIM request log (issue 13: bodies hold its people's data). Not its events (nor event_heads, nor its audit entries): the app must still
      // read tenant.deleted and whatever came before it; retention prunes them (events/retention).
      // (On SQLite the log may be a file of its own: SqliteStore.deleteTenant empties it after this.)
      for (const table of ['group_members', 'user_values', 'custom_values', 'users', 'groups', 'tokens', 'resource_counts',
        'saml_requests', 'saml_assertions', 'sso_codes', 'saml_connections', ...(this.requestLogFile === undefined ? ['request_log'] : []), 'console_sessions', 'setup_links']) {
        await db.run(sql`DELETE FROM ${sql.table(table)} WHERE tenant_id = ${tenantId}`);
      }
      await db.run(sql`DELETE FROM tenants WHERE id = ${tenantId}`);
      if (record) await this.record(tx, record({ users, groups }));
      this.authChanges++;
      return { users, groups };
    });
  }

  // ---- SCIM mode (issue 11 item 7, docs/policies.md "SCIM mode") ------------------------------

  /** The tenant's row, held to the end of the transaction (SQLite's writers hold the database), or undefined. */
  private async lockTenant(db: QueryRunner, tenantId: string): Promise<Row | undefined> {
    if (!canNameRow(tenantId)) return undefined;
    return (await db.run(sql<Row>`SELECT id, scim_mode FROM tenants WHERE id = ${tenantId}${this.dialect.forUpdate}`)).rows[0];
  }

  enableScim(tenantId: string, token: TokenRecord, at: string, record?: (revoked: { id: string; userName: string }[]) => ActionRecord): Promise<{ invitationsRevoked: number } | undefined> {
    return this.atomically(async (db, tx) => {
      const row = await this.lockTenant(db, tenantId);
      if (!row || row.scim_mode !== 'disabled') return undefined;
      await db.run(sql`UPDATE tenants SET scim_mode = 'enabled' WHERE id = ${tenantId}`);
      // Invitations are few (people an admin invited by hand): their ids are read for the events.
      const invited = (await db.run(sql<Row>`SELECT id, user_name FROM users WHERE tenant_id = ${tenantId} AND origin = 'local' AND status = 'invited' ORDER BY seq`)).rows
        .map((r) => ({ id: r.id as string, userName: r.user_name as string }));
      if (invited.length) {
        await db.run(sql`UPDATE users SET status = 'deactivated', version = version + 1, last_modified = ${at}
          WHERE tenant_id = ${tenantId} AND origin = 'local' AND status = 'invited'`);
      }
      await this.insertToken(db, token);
      if (record) await this.record(tx, record(invited));
      this.authChanges++;
      return { invitationsRevoked: invited.length };
    });
  }

  disableScim(tenantId: string, at: string, record?: (done: ScimDisabled) => ActionRecord): Promise<ScimDisabled | undefined> {
    return this.atomically(async (db, tx) => {
      const row = await this.lockTenant(db, tenantId);
      if (!row || row.scim_mode === 'disabled') return undefined;
      // One statement per table, by the (tenant_id, …) indexes: never a row at a time.
      const users = await db.run(sql`UPDATE users SET origin = 'local', status = CASE WHEN active = ${this.dialect.bool(false)} THEN 'deactivated' ELSE 'active' END,
        version = version + 1, last_modified = ${at} WHERE tenant_id = ${tenantId} AND origin = 'scim'`);
      const groups = await db.run(sql`UPDATE groups SET origin = 'local', version = version + 1, last_modified = ${at} WHERE tenant_id = ${tenantId} AND origin = 'scim'`);
      const live = (await db.run(sql<Row>`SELECT * FROM tokens WHERE tenant_id = ${tenantId} AND revoked_at IS NULL ORDER BY created_at, id`)).rows.map(toToken);
      await db.run(sql`UPDATE tokens SET revoked_at = ${at} WHERE tenant_id = ${tenantId} AND revoked_at IS NULL`);
      await db.run(sql`UPDATE tenants SET scim_mode = 'disabled' WHERE id = ${tenantId}`);
      const done: ScimDisabled = { users: Number(users.numAffectedRows ?? 0), groups: Number(groups.numAffectedRows ?? 0), tokens: live.map((t) => ({ ...t, revokedAt: at })) };
      if (record) await this.record(tx, record(done));
      this.authChanges++;
      return done;
    });
  }

  createToken(t: TokenRecord, record?: ActionRecord): Promise<void> {
    return this.atomically(async (db, tx) => {
      await this.insertToken(db, t);
      await this.record(tx, record);
    });
  }

  private async insertToken(db: QueryRunner, t: TokenRecord): Promise<void> {
    await db.run(sql`INSERT INTO tokens (tenant_id, id, name, hash, hint, created_at, expires_at, revoked_at, last_used_at)
      VALUES (${t.tenantId}, ${t.id}, ${t.name}, ${t.hash}, ${t.hint}, ${t.createdAt}, ${t.expiresAt}, ${t.revokedAt}, ${t.lastUsedAt})`);
  }

  rotateToken(tenantId: string, tokenId: string, next: TokenRecord, oldUntil: string, now: string, record?: (previous: TokenRecord) => ActionRecord): Promise<boolean> {
    if (!canNameRow(tokenId)) return Promise.resolve(false);
    return this.atomically(async (db, tx) => {
      const r = await db.run(sql`UPDATE tokens SET expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < ${oldUntil} THEN expires_at ELSE ${oldUntil} END
        WHERE tenant_id = ${tenantId} AND id = ${tokenId} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${now})`);
      if (Number(r.numAffectedRows ?? 0) === 0) return false;
      await this.insertToken(db, next);
      if (record) {
        const previous = await db.run(sql<Row>`SELECT * FROM tokens WHERE tenant_id = ${tenantId} AND id = ${tokenId}`);
        await this.record(tx, record(toToken(previous.rows[0])));
      }
      this.authChanges++;
      return true;
    });
  }

  createAdminKey(k: AdminKeyRecord): Promise<void> {
    return this.run(async () => {
      await this.db.run(sql`INSERT INTO admin_keys (id, name, scope, hash, hint, created_at, expires_at, revoked_at, last_used_at)
        VALUES (${k.id}, ${k.name}, ${k.scope}, ${k.hash}, ${k.hint}, ${k.createdAt}, ${k.expiresAt}, ${k.revokedAt}, ${k.lastUsedAt})`);
    });
  }

  findAdminKeyByHash(hash: string): Promise<AdminKeyRecord | undefined> {
    return this.run(async () => {
      if (!canNameRow(hash)) return undefined;
      const r = await this.db.run(sql<Row>`SELECT * FROM admin_keys WHERE hash = ${hash}`);
      return r.rows[0] ? toAdminKey(r.rows[0]) : undefined;
    });
  }

  listAdminKeys(): Promise<AdminKeyRecord[]> {
    return this.run(async () => (await this.db.run(sql<Row>`SELECT * FROM admin_keys ORDER BY created_at, id`)).rows.map(toAdminKey));
  }

  revokeAdminKey(id: string, at: string): Promise<boolean> {
    return this.run(async () => {
      if (!canNameRow(id)) return false;
      const r = await this.db.run(sql`UPDATE admin_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`);
      return Number(r.numAffectedRows ?? 0) > 0;
    });
  }

  touchAdminKey(id: string, at: string): Promise<void> {
    const minuteAgo = new Date(Date.parse(at) - 60_000).toISOString();
    return this.run(async () => {
      await this.db.run(sql`UPDATE admin_keys SET last_used_at = ${at} WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < ${minuteAgo})`);
    });
  }

  appendAudit(e: AuditEntry): Promise<void> {
    return this.run(() => this.reads.appendAudit(e));
  }

  listAudit(q: { tenantId?: string; action?: string; targetId?: string; since?: string; until?: string }, scan: Scan): Promise<ListedAuditEntry[]> {
    return this.run(async () => {
      const conds = [sql`1 = 1`];
      if (q.tenantId !== undefined) conds.push(sql`a.tenant_id = ${q.tenantId}`);
      if (q.action !== undefined) conds.push(sql`a.action = ${q.action}`);
      if (q.targetId !== undefined) conds.push(sql`a.target_id = ${q.targetId}`);
      if (q.since !== undefined) conds.push(sql`a.at >= ${q.since}`);
      if (q.until !== undefined) conds.push(sql`a.at < ${q.until}`);
      // Ids sort by time (provisioning/admin/audit.ts): newest first, the cursor is the last id seen.
      if (scan.after !== undefined) conds.push(sql`a.id < ${scan.after}`);
      // The slug of the entry's tenant while it exists, by its primary key: one lookup per entry
      // of the page, so that a reader (the console) need not load every tenant to name them.
      const r = await this.db.run(sql<Row>`SELECT a.*, t.slug AS tenant_slug FROM audit_log a LEFT JOIN tenants t ON t.id = a.tenant_id
        WHERE ${sql.join(conds, sql` AND `)} ORDER BY a.id DESC LIMIT ${scan.limit}`);
      return r.rows.map((row) => ({ ...toAudit(row), tenantSlug: (row.tenant_slug as string | null) ?? null }));
    });
  }

  findTokenForTenant(hash: string, slug: string): Promise<{ token: TokenRecord; tenant: Tenant } | undefined> {
    return this.run(async () => {
      if (!canNameRow(hash) || !canNameRow(slug)) return undefined;
      // The settings version comes along: the request's schemas follow it (provisioning/schemas.ts).
      const r = await this.db.run(sql<Row>`SELECT k.*, t.slug, t.name AS tenant_name, t.created_at AS tenant_created_at, t.settings_version, t.scim_mode FROM tokens k JOIN tenants t ON t.id = k.tenant_id
        WHERE k.hash = ${hash} AND t.slug = ${slug}`);
      const row = r.rows[0];
      return row ? {
        token: toToken(row),
        tenant: { id: row.tenant_id as string, slug: row.slug as string, name: row.tenant_name as string, createdAt: row.tenant_created_at as string, settingsVersion: Number(row.settings_version), scimEnabled: row.scim_mode !== 'disabled' },
      } : undefined;
    });
  }

  listTokens(tenantId: string): Promise<TokenRecord[]> {
    return this.run(async () => (await this.db.run(sql<Row>`SELECT * FROM tokens WHERE tenant_id = ${tenantId} ORDER BY created_at, id`)).rows.map(toToken));
  }

  revokeToken(tenantId: string, tokenId: string, at: string, record?: ActionRecord): Promise<boolean> {
    if (!canNameRow(tokenId)) return Promise.resolve(false);
    return this.atomically(async (db, tx) => {
      const r = await db.run(sql`UPDATE tokens SET revoked_at = ${at} WHERE tenant_id = ${tenantId} AND id = ${tokenId} AND revoked_at IS NULL`);
      this.authChanges++;
      if (Number(r.numAffectedRows ?? 0) === 0) return false;
      await this.record(tx, record);
      return true;
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
      return row ? storedSettingsOf(row) : undefined;
    });
  }

  // ---- event delivery (issue 10: store/sql/delivery.ts) --------------------------------------

  createConsumer(c: NewConsumer) { return this.run(() => delivery.createConsumer(this.db, this.dialect, c)); }
  getConsumer(id: string) { return this.run(() => delivery.getConsumer(this.db, id)); }
  listConsumers(q: { kind?: ConsumerKind; tenantId?: string | null }, scan: Scan) { return this.run(() => delivery.listConsumers(this.db, q, scan)); }
  updateConsumer(id: string, patch: ConsumerPatch, at: string) { return this.run(() => delivery.updateConsumer(this.db, this.dialect, id, patch, at)); }
  deleteConsumer(id: string) { return this.atomically((db) => delivery.deleteConsumer(db, id)); }
  hasLiveConsumers(kinds: readonly ConsumerKind[]) { return this.run(() => delivery.hasLiveConsumers(this.db, this.dialect, kinds)); }
  discoverStreams(kinds: readonly ConsumerKind[], now: string, window: number) { return this.run(() => delivery.discoverStreams(this.db, this.dialect, kinds, now, window)); }
  claimStreams(owner: string, kinds: readonly ConsumerKind[], now: string, leaseUntil: string, limit: number) { return this.run(() => delivery.claimStreams(this.db, this.dialect, owner, kinds, now, leaseUntil, limit)); }
  streamEvents(tenantId: string, after: number, types: readonly string[] | null, limit: number) { return this.run(() => delivery.streamEvents(this.db, tenantId, after, types, limit)); }
  tenantHead(tenantId: string) { return this.run(() => delivery.tenantHead(this.db, tenantId)); }
  startConsumer(id: string, at: string) { return this.run(() => delivery.startConsumer(this.db, this.dialect, id, at)); }
  advanceStream(c: StreamClaim, position: number, now: string, leaseUntil: string, attempts: readonly NewDeliveryAttempt[] = []) {
    if (!attempts.length) return this.run(() => delivery.advanceStream(this.db, c, position, now, leaseUntil));
    // The attempts only if the stream is still ours: a process whose lease was taken records nothing.
    return this.atomically(async (db) => {
      if (!(await delivery.advanceStream(db, c, position, now, leaseUntil))) return false;
      await delivery.recordAttempts(db, attempts);
      return true;
    });
  }
  failStream(c: StreamClaim, attempts: number, next: string, error: string, now: string) { return this.run(() => delivery.failStream(this.db, c, attempts, next, error, now)); }
  releaseStream(c: StreamClaim, position: number, now: string) { return this.run(() => delivery.releaseStream(this.db, c, position, now)); }
  recordAttempt(a: NewDeliveryAttempt) { return this.run(() => delivery.recordAttempts(this.db, [a])); }
  deadLetter(c: StreamClaim, l: NewDeadLetter, reason: string, leaseUntil: string) { return this.atomically((db) => delivery.deadLetter(db, c, l, reason, leaseUntil)); }
  setConsumerState(id: string, state: ConsumerState, reason: string | null, at: string) { return this.run(() => delivery.setConsumerState(this.db, id, state, reason, at)); }
  listAttempts(id: string, q: { tenantId?: string; eventId?: string; outcome?: DeliveryOutcomeName }, scan: Scan) { return this.run(() => delivery.listAttempts(this.db, id, q, scan)); }
  listDeadLetters(id: string, q: { tenantId?: string; pending?: boolean }, scan: Scan) { return this.run(() => delivery.listDeadLetters(this.db, id, q, scan)); }
  replayDeadLetter(id: string, seq: number, now: string) { return this.run(() => delivery.replayDeadLetter(this.db, id, seq, now)); }
  replayFrom(id: string, eventId: string, now: string) { return this.run(() => delivery.replayFrom(this.db, id, eventId, now)); }
  claimReplays(owner: string, kinds: readonly ConsumerKind[], now: string, leaseUntil: string, limit: number) { return this.run(() => delivery.claimReplays(this.db, this.dialect, owner, kinds, now, leaseUntil, limit)); }
  finishReplay(c: ReplayClaim, result: { delivered: boolean; nextAttemptAt: string | null; error: string | null }, now: string) { return this.run(() => delivery.finishReplay(this.db, c, result, now)); }
  releaseReplay(c: ReplayClaim) { return this.run(() => delivery.releaseReplay(this.db, c)); }
  pruneAttempts(before: string, limit: number) { return this.run(() => delivery.pruneAttempts(this.db, before, limit)); }
  pruneDeadLetters(before: string, limit: number) { return this.run(() => delivery.pruneDeadLetters(this.db, before, limit)); }
  getEvent(id: string) { return this.run(() => delivery.getEvent(this.db, id)); }

  // ---- SCIM request log (issue 13: store/sql/request-log.ts) ---------------------------------

  appendRequestLog(entries: readonly NewRequestLogEntry[]) { return this.run(() => requestLog.appendRequestLog(this.db, this.dialect, entries)); }
  listRequestLog(tenantId: string, q: RequestLogQuery, scan: Scan) { return this.run(() => requestLog.listRequestLog(this.db, this.dialect, tenantId, q, scan)); }
  getRequestLogEntry(tenantId: string, seq: number) { return this.run(() => requestLog.getRequestLogEntry(this.db, tenantId, seq)); }
  requestLogHealth(tenantId: string, now: string) { return this.run(() => requestLog.requestLogHealth(this.db, tenantId, now)); }
  pruneRequestLog(before: string, limit: number) { return this.run(() => requestLog.pruneRequestLog(this.db, before, limit)); }
  capRequestLog(tenantId: string, keep: number, limit: number) { return this.run(() => requestLog.capRequestLog(this.db, tenantId, keep, limit)); }

  // ---- SAML single sign-on (issue 12): connections (saml-connections.ts) ----
  createSamlConnection(c: SamlConnectionRecord, record?: ActionRecord): Promise<void> {
    return this.atomically(async (db, tx) => {
      await samlConnections.createSamlConnection(db, this.dialect, c);
      await this.record(tx, record);
    });
  }
  getSamlConnection(tenantId: string, id: string) { return this.run(() => samlConnections.getSamlConnection(this.db, tenantId, id)); }
  listSamlConnections(tenantId: string) { return this.run(() => samlConnections.listSamlConnections(this.db, tenantId)); }
  updateSamlConnection(c: SamlConnectionRecord, record?: ActionRecord): Promise<boolean> {
    return this.atomically(async (db, tx) => {
      if (!(await samlConnections.updateSamlConnection(db, this.dialect, c))) return false;
      await this.record(tx, record);
      return true;
    });
  }
  deleteSamlConnection(tenantId: string, id: string, record?: ActionRecord): Promise<boolean> {
    return this.atomically(async (db, tx) => {
      if (!(await samlConnections.deleteSamlConnection(db, tenantId, id))) return false;
      await this.record(tx, record);
      return true;
    });
  }
  claimSamlRefreshes(now: string, claimUntil: string, limit: number) { return this.run(() => samlConnections.claimSamlRefreshes(this.db, this.dialect, now, claimUntil, limit)); }

  // The sign-in's short-lived state (store/sql/sso.ts).
  saveSamlRequest(q: SamlRequestRecord): Promise<void> { return this.run(() => sso.saveSamlRequest(this.db, q)); }
  takeSamlRequest(t: string, id: string, now: string): Promise<SamlRequestRecord | undefined> { return this.run(() => sso.takeSamlRequest(this.db, t, id, now)); }
  findSamlRequest(t: string, id: string, now: string): Promise<SamlRequestRecord | undefined> { return this.run(() => sso.findSamlRequest(this.db, t, id, now)); }
  acceptAssertionId(t: string, id: string, expiresAt: string, now: string): Promise<boolean> { return this.run(() => sso.acceptAssertionId(this.db, t, id, expiresAt, now)); }
  createSsoCode(c: SsoCodeRecord): Promise<void> { return this.run(() => sso.createSsoCode(this.db, c)); }
  redeemSsoCode(hash: string, now: string): Promise<SsoCodeRecord | undefined> { return this.run(() => sso.redeemSsoCode(this.db, hash, now)); }
  listSigningKeys(now: string): Promise<SigningKeyRecord[]> { return this.run(() => sso.listSigningKeys(this.db, now)); }
  insertSigningKey(k: SigningKeyRecord): Promise<void> { return this.run(() => sso.insertSigningKey(this.db, k)); }
  pruneSaml(now: string, limit: number): Promise<number> { return this.run(() => sso.pruneSaml(this.db, now, limit)); }

  // ---- console sessions and setup links (issue 13: console.ts) ----
  createSetupLink(l: SetupLinkRecord, record?: ActionRecord): Promise<void> {
    return this.atomically(async (db, tx) => {
      await consoleSql.createSetupLink(db, l);
      await this.record(tx, record);
    });
  }
  listSetupLinks(tenantId: string, limit: number) { return this.run(() => consoleSql.listSetupLinks(this.db, tenantId, limit)); }
  findSetupLinkByHash(hash: string) { return this.run(() => consoleSql.findSetupLinkByHash(this.db, hash)); }
  getSetupLink(id: string) { return this.run(() => consoleSql.getSetupLink(this.db, id)); }
  revokeSetupLink(tenantId: string, id: string, at: string, record?: ActionRecord): Promise<boolean> {
    return this.atomically(async (db, tx) => {
      if (!(await consoleSql.revokeSetupLink(db, tenantId, id, at))) return false;
      await this.record(tx, record);
      return true;
    });
  }
  completeSetupLink(id: string, at: string, record?: ActionRecord): Promise<boolean> {
    return this.atomically(async (db, tx) => {
      if (!(await consoleSql.completeSetupLink(db, id, at))) return false;
      await this.record(tx, record);
      return true;
    });
  }
  touchSetupLink(id: string, at: string) { return this.run(() => consoleSql.touchSetupLink(this.db, id, at)); }
  getAdminKey(id: string): Promise<AdminKeyRecord | undefined> {
    return this.run(async () => {
      if (!canNameRow(id)) return undefined;
      const r = await this.db.run(sql<Row>`SELECT * FROM admin_keys WHERE id = ${id}`);
      return r.rows[0] ? toAdminKey(r.rows[0]) : undefined;
    });
  }
  createConsoleSession(s: ConsoleSessionRecord) { return this.run(() => consoleSql.createConsoleSession(this.db, s)); }
  getConsoleSession(id: string) { return this.run(() => consoleSql.getConsoleSession(this.db, id)); }
  slideConsoleSession(id: string, idleExpiresAt: string) { return this.run(() => consoleSql.slideConsoleSession(this.db, id, idleExpiresAt)); }
  revokeConsoleSession(id: string, at: string) { return this.run(() => consoleSql.revokeConsoleSession(this.db, id, at)); }
  pruneConsole(now: string, linksExpiredBefore: string, limit: number) { return this.run(() => consoleSql.pruneConsole(this.db, now, linksExpiredBefore, limit)); }
}
