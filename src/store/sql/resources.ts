// The resource half of the Store (users, groups, memberships) in SQL shared by both drivers.
// A driver supplies the executor (a connection, inside or outside a transaction) and its dialect.
import { sql } from './kysely.ts';
import type { Filter } from '../../scim/filter.ts';
import type { MemberValue } from '../../scim/patch.ts';
import type { AttrDoc } from '../../scim/resource.ts';
import type { AuditEntry, CustomAttributeKey, GroupClash, GroupRecord, ListOptions, Member, NewEvent, Origin, Page, StoredSettings, StoreTx, TenantSchemas, UserRecord, UserStatus } from '../store.ts';
import { appendEvents } from './events.ts';
import * as custom from './custom-values.ts';
import { TenantGone, UniquenessViolation, UnknownMembers } from '../store.ts';
import type { Sql, SqlDialect } from './dialect.ts';
import type { QueryRunner } from './runner.ts';
import { FilterCompiler } from './filter-sql.ts';
import { canNameRow } from './lookup-key.ts';
import { findAttribute } from '../../scim/schemas/types.ts';
import { groupMapping, hasValueRows, userMapping, type ResourceMapping } from './tables.ts';

type Row = Record<string, unknown>;

/** SQLite binds at most 32,766 parameters; stay far below for IN lists and multi-row inserts. */
const CHUNK = 500;

function chunks<T>(list: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * LIMIT / OFFSET values. A bare parameter there makes SQLite re-prepare the statement on every
 * execution (the value steers its planner), which cost 5–7 µs a query, half of a point lookup
 * (docs/performance.md); behind a CAST it is an ordinary bound value. PostgreSQL takes both alike.
 */
const limitValue = (n: number): Sql => sql`CAST(${n} AS BIGINT)`;

/** A multi-valued attribute's value as indexed text: a string as it is, anything else as its JSON. */
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const lc = (v: unknown): string | null => (v === undefined || v === null ? null : text(v).toLowerCase());
const parseDoc = (v: unknown): AttrDoc => (typeof v === 'string' ? JSON.parse(v) as AttrDoc : (v as AttrDoc));

/** A tenant row's settings document (null: never set; text on SQLite, jsonb on PostgreSQL) with its version. */
export const storedSettingsOf = (row: Row): StoredSettings => ({
  document: row.settings === null || row.settings === undefined ? null : typeof row.settings === 'string' ? JSON.parse(row.settings) as unknown : row.settings,
  version: Number(row.settings_version),
});

function toRecord(row: Row): UserRecord & GroupRecord {
  const r: UserRecord & GroupRecord = { id: row.id as string, doc: parseDoc(row.doc), created: row.created as string, lastModified: row.last_modified as string, version: Number(row.version) };
  if (row.origin !== undefined) r.origin = row.origin as Origin;
  // Only local users have one (an IdP-managed user's record stays as it was before statuses).
  if (row.status !== undefined && row.status !== null) r.status = row.status as UserStatus;
  if (row.seq !== undefined) r.seq = Number(row.seq);
  return r;
}

/**
 * The status column of a user: none for an IdP-managed one; a local one's own, or (a local user
 * written without one) what its `active` says.
 */
function statusOf(origin: Origin, u: Pick<UserRecord, 'status' | 'doc'>): UserStatus | null {
  if (origin !== 'local') return null;
  return u.status ?? (u.doc.active === false ? 'deactivated' : 'active');
}

type Mappings = { users: ResourceMapping; groups: ResourceMapping };

export class SqlResources implements StoreTx {
  /**
   * The SQL mapping of each tenant schema object, built on its first use. Provisioning keeps one
   * schema object per tenant settings version, so this is built once per version, and forgotten
   * with the object. One map per store object: nothing is shared across stores.
   */
  private readonly mappings: WeakMap<TenantSchemas, Mappings>;

  /**
   * `authChanged` is told of every write that authentication results depend on (a tenant's settings
   * version): the store counts them into its authStamp.
   */
  constructor(readonly db: QueryRunner, private readonly dialect: SqlDialect, mappings?: WeakMap<TenantSchemas, Mappings>, private readonly authChanged: () => void = () => {},
    /** Told when this transaction appended events (SQLite wakes its own dispatcher after the commit). */
    private readonly eventsAppended: () => void = () => {}) {
    this.mappings = mappings ?? new WeakMap();
  }

  /** The same resources over another connection (a transaction), sharing the mapping cache. */
  on(db: QueryRunner, eventsAppended?: () => void): SqlResources { return new SqlResources(db, this.dialect, this.mappings, this.authChanged, eventsAppended); }

  async appendAudit(e: AuditEntry): Promise<void> {
    await this.db.run(sql`INSERT INTO audit_log (id, at, key_id, key_name, action, tenant_id, target_type, target_id, summary, request_id)
      VALUES (${e.id}, ${e.at}, ${e.keyId}, ${e.keyName}, ${e.action}, ${e.tenantId}, ${e.targetType}, ${e.targetId}, ${JSON.stringify(e.summary)}, ${e.requestId})`);
  }

  async appendEvents(events: readonly NewEvent[]): Promise<void> {
    if (!events.length) return;
    await appendEvents(this.db, this.dialect, events);
    this.eventsAppended();
  }

  private mapping(schemas: TenantSchemas): Mappings {
    let m = this.mappings.get(schemas);
    if (!m) this.mappings.set(schemas, (m = { users: userMapping(schemas.User, schemas.custom), groups: groupMapping(schemas.Group, schemas.custom) }));
    return m;
  }

  /**
   * Runs a write whose only possible unique-constraint failure is `attribute` (ids are random
   * UUIDs), classified by the driver's error code, never by message text.
   */
  private async unique<T>(resourceType: 'User' | 'Group', attribute: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (this.dialect.isUniqueViolation(err)) throw new UniquenessViolation(resourceType, attribute);
      // The only reference a new user or group row makes is to its tenant.
      if (this.dialect.isForeignKeyViolation(err)) throw new TenantGone();
      throw err;
    }
  }

  private async list(mapping: ResourceMapping, tenantId: string, o: ListOptions): Promise<Page<UserRecord>> {
    const compiler = new FilterCompiler(this.dialect, mapping, tenantId);
    const where = o.filter ? sql`r.tenant_id = ${tenantId} AND ${compiler.compile(o.filter)}` : sql`r.tenant_id = ${tenantId}`;
    const table = sql.table(mapping.table);
    const count = async () => o.filter
      ? Number((await this.db.run(sql<{ n: number }>`SELECT count(*) AS n FROM ${table} r WHERE ${where}`)).rows[0]?.n ?? 0)
      : await this.count(tenantId, mapping.table);
    if (o.limit === 0) return { total: await count(), rows: [] };
    const rows = (await this.page(table, where, compiler, o)).map(toRecord);
    // A page that ends before its limit is the last one: the total follows from it, and the
    // separate count (a second query, a full scan for unindexed filters) is not needed. This is
    // the common case of the lookups IdPs send before every create ("userName eq ...").
    if (rows.length < o.limit && (rows.length > 0 || o.offset === 0)) return { total: o.offset + rows.length, rows };
    return { total: await count(), rows };
  }

  private async page(table: Sql, where: Sql, compiler: FilterCompiler, o: ListOptions): Promise<Row[]> {
    const columns = sql`r.id, r.doc, r.created, r.last_modified, r.version, r.origin`;
    if (!o.sortBy && o.offset === 0) {
      return (await this.db.run(sql<Row>`SELECT ${columns} FROM ${table} r WHERE ${where} ORDER BY r.seq LIMIT ${limitValue(o.limit)}`)).rows;
    }
    if (!o.sortBy) {
      // Creation order: find the page's first seq with an index-only walk over (tenant_id, seq),
      // then read just the page, instead of reading and discarding `offset` whole rows.
      return (await this.db.run(sql<Row>`SELECT ${columns} FROM ${table} r WHERE ${where}
        AND r.seq >= (SELECT r.seq FROM ${table} r WHERE ${where} ORDER BY r.seq LIMIT 1 OFFSET ${limitValue(o.offset)})
        ORDER BY r.seq LIMIT ${limitValue(o.limit)}`)).rows;
    }
    const dir = o.sortOrder === 'descending' ? sql`DESC` : sql`ASC`;
    const order = sql`${compiler.sortExpression(o.sortBy)} ${dir} NULLS LAST, r.seq ${dir}`;
    return (await this.db.run(sql<Row>`SELECT ${columns} FROM ${table} r WHERE ${where} ORDER BY ${order} LIMIT ${limitValue(o.limit)} OFFSET ${limitValue(o.offset)}`)).rows;
  }

  private async count(tenantId: string, resource: string): Promise<number> {
    // The sum of the count's stripes (migration 014).
    const r = await this.db.run(sql<{ n: number }>`SELECT SUM(n) AS n FROM resource_counts WHERE tenant_id = ${tenantId} AND resource = ${resource}`);
    return Number(r.rows[0]?.n ?? 0);
  }

  private async adjustCount(tenantId: string, resource: string, delta: number): Promise<void> {
    await this.db.run(sql`INSERT INTO resource_counts (tenant_id, resource, stripe, n) VALUES (${tenantId}, ${resource}, ${this.dialect.counterStripe}, ${delta})
      ON CONFLICT (tenant_id, resource, stripe) DO UPDATE SET n = resource_counts.n + ${delta}`);
  }

  /** One user or group by id; `lock` holds its row for the rest of the transaction. */
  private async byId(table: 'users' | 'groups', tenantId: string, id: string, lock: boolean): Promise<UserRecord | undefined> {
    if (!canNameRow(id)) return undefined;
    const res = await this.db.run(sql<Row>`SELECT id, doc, created, last_modified, version, origin${table === 'users' ? sql`, status` : sql``} FROM ${sql.table(table)}
      WHERE tenant_id = ${tenantId} AND id = ${id}${lock ? this.dialect.forUpdate : sql``}`);
    return res.rows[0] ? toRecord(res.rows[0]) : undefined;
  }

  getUser(tenantId: string, id: string) { return this.byId('users', tenantId, id, false); }
  lockUser(tenantId: string, id: string) { return this.byId('users', tenantId, id, true); }
  getGroup(tenantId: string, id: string): Promise<GroupRecord | undefined> { return this.byId('groups', tenantId, id, false); }
  lockGroup(tenantId: string, id: string): Promise<GroupRecord | undefined> { return this.byId('groups', tenantId, id, true); }

  listUsers(tenantId: string, schemas: TenantSchemas, options: ListOptions) { return this.list(this.mapping(schemas).users, tenantId, options); }
  scanUsers(tenantId: string, schemas: TenantSchemas, filter: Filter | undefined, afterSeq: number | undefined, limit: number) {
    return this.scan(this.mapping(schemas).users, tenantId, filter, afterSeq, limit);
  }
  scanGroups(tenantId: string, schemas: TenantSchemas, filter: Filter | undefined, afterSeq: number | undefined, limit: number) {
    return this.scan(this.mapping(schemas).groups, tenantId, filter, afterSeq, limit);
  }

  /** Keyset paging in creation order: an index walk over (tenant_id, seq) from the cursor on. */
  private async scan(mapping: ResourceMapping, tenantId: string, filter: Filter | undefined, afterSeq: number | undefined, limit: number): Promise<UserRecord[]> {
    const compiler = new FilterCompiler(this.dialect, mapping, tenantId);
    const conds = [sql`r.tenant_id = ${tenantId}`];
    if (afterSeq !== undefined) conds.push(sql`r.seq > ${afterSeq}`);
    if (filter) conds.push(compiler.compile(filter));
    const res = await this.db.run(sql<Row>`SELECT r.id, r.doc, r.created, r.last_modified, r.version, r.origin${mapping.table === 'users' ? sql`, r.status` : sql``}, r.seq FROM ${sql.table(mapping.table)} r
      WHERE ${sql.join(conds, sql` AND `)} ORDER BY r.seq LIMIT ${limitValue(limit)}`);
    return res.rows.map(toRecord);
  }
  listGroups(tenantId: string, schemas: TenantSchemas, options: ListOptions) { return this.list(this.mapping(schemas).groups, tenantId, options); }

  async getUserWithGroups(tenantId: string, id: string) {
    if (!canNameRow(id)) return undefined;
    const pairs = this.dialect.jsonPairs(sql`g.id`, sql`g.display_name`, sql`g.display_name_lc`);
    const res = await this.db.run(sql<Row>`SELECT u.id, u.doc, u.created, u.last_modified, u.version, u.origin, u.status,
      (SELECT ${pairs} FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
        WHERE m.tenant_id = u.tenant_id AND m.member_id = u.id) AS user_groups
      FROM users u WHERE u.tenant_id = ${tenantId} AND u.id = ${id}`);
    const row = res.rows[0];
    if (!row) return undefined;
    // SQLite hands JSON back as text, pg as parsed JSON; no groups is '[]' or NULL.
    const raw: unknown = typeof row.user_groups === 'string' ? JSON.parse(row.user_groups) : row.user_groups ?? [];
    return { user: toRecord(row), groups: (raw as [string, string][]).map(([value, display]) => ({ value, display })) };
  }

  async groupsOfUsers(tenantId: string, userIds: string[]) {
    const out = new Map<string, { value: string; display: string }[]>();
    for (const ids of chunks(userIds.filter(canNameRow))) {
      if (!ids.length) continue;
      const res = await this.db.run(sql<Row>`SELECT m.member_id, g.id, g.display_name FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
        WHERE m.tenant_id = ${tenantId} AND m.member_id IN (${sql.join(ids)}) ORDER BY g.display_name_lc`);
      for (const r of res.rows) {
        const list = out.get(r.member_id as string) ?? [];
        list.push({ value: r.id as string, display: r.display_name as string });
        out.set(r.member_id as string, list);
      }
    }
    return out;
  }

  /** The member columns with a display: the client's own, else the member's current name. */
  private memberSelect(where: Sql, order: Sql, limit?: number): Promise<{ rows: Row[] }> {
    return this.db.run(sql<Row>`SELECT m.group_id, m.member_id, m.member_type, coalesce(m.display, ${this.dialect.jsonText(sql.ref('u.doc'), ['displayName'])}, u.user_name, g.display_name) AS display
      FROM group_members m
      LEFT JOIN users u ON m.member_type = 'User' AND u.tenant_id = m.tenant_id AND u.id = m.member_id
      LEFT JOIN groups g ON m.member_type = 'Group' AND g.tenant_id = m.tenant_id AND g.id = m.member_id
      WHERE ${where} ORDER BY ${order}${limit === undefined ? sql`` : sql` LIMIT ${limitValue(limit)}`}`);
  }

  private static toMember(r: Row): Member {
    const m: Member = { value: r.member_id as string, type: r.member_type as 'User' | 'Group' };
    if (r.display) m.display = r.display as string;
    return m;
  }

  async membersOf(tenantId: string, groupIds: string[]) {
    const out = new Map<string, Member[]>();
    for (const ids of chunks(groupIds.filter(canNameRow))) {
      if (!ids.length) continue;
      const res = await this.memberSelect(sql`m.tenant_id = ${tenantId} AND m.group_id IN (${sql.join(ids)})`, sql`m.group_id, m.member_id`);
      for (const r of res.rows) {
        const list = out.get(r.group_id as string) ?? [];
        list.push(SqlResources.toMember(r));
        out.set(r.group_id as string, list);
      }
    }
    return out;
  }

  async namesOf(tenantId: string, ids: string[]): Promise<Map<string, { type: 'User' | 'Group'; name: string }>> {
    const out = new Map<string, { type: 'User' | 'Group'; name: string }>();
    for (const part of chunks([...new Set(ids)].filter(canNameRow))) {
      if (!part.length) continue;
      const r = await this.db.run(sql<Row>`SELECT id, 'User' AS type, user_name AS name FROM users WHERE tenant_id = ${tenantId} AND id IN (${sql.join(part)})
        UNION ALL SELECT id, 'Group' AS type, display_name AS name FROM groups WHERE tenant_id = ${tenantId} AND id IN (${sql.join(part)})`);
      for (const row of r.rows) out.set(row.id as string, { type: row.type as 'User' | 'Group', name: row.name as string });
    }
    return out;
  }

  async membersPage(tenantId: string, groupId: string, after: string | undefined, limit: number): Promise<Member[]> {
    if (!canNameRow(groupId) || (after !== undefined && !canNameRow(after))) return [];
    const where = after === undefined
      ? sql`m.tenant_id = ${tenantId} AND m.group_id = ${groupId}`
      : sql`m.tenant_id = ${tenantId} AND m.group_id = ${groupId} AND m.member_id > ${after}`;
    return (await this.memberSelect(where, sql`m.member_id`, limit)).rows.map((r) => SqlResources.toMember(r));
  }

  // ---- policies (issue 11) ------------------------------------------------------------------

  /**
   * Whether a user is active, as the guards count it (policies/user-active.ts isActiveUser says the same
   * in memory): a local user by its status (the app's lifecycle: only 'active'; its SCIM `active`
   * is not what the app goes by), an IdP-managed one by its SCIM `active`, where absent means active
   * (RFC 7643 §4.1.1 leaves it to the provider; Rollcall never blocks on absence).
   */
  private activeUser(alias: string): Sql {
    const col = (c: string) => sql.ref(`${alias}.${c}`);
    return sql`((${col('origin')} = 'local' AND ${col('status')} = 'active')
      OR ((${col('origin')} <> 'local' OR ${col('status')} IS NULL) AND (${col('active')} IS NULL OR ${col('active')} <> ${this.dialect.bool(false)})))`;
  }

  async usersAndTheirGroups(tenantId: string, ids: string[]) {
    const out = new Map<string, { userName: string; active: boolean; groups: { id: string; displayName: string }[] }>();
    for (const part of chunks([...new Set(ids)].filter(canNameRow))) {
      if (!part.length) continue;
      const res = await this.db.run(sql<Row>`SELECT u.id AS user_id, u.user_name, ${this.activeUser('u')} AS is_active, g.id AS group_id, g.display_name
        FROM users u LEFT JOIN group_members m ON m.tenant_id = u.tenant_id AND m.member_id = u.id
        LEFT JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
        WHERE u.tenant_id = ${tenantId} AND u.id IN (${sql.join(part)})`);
      for (const r of res.rows) {
        const id = r.user_id as string;
        let entry = out.get(id);
        if (!entry) { entry = { userName: r.user_name as string, active: r.is_active === true || r.is_active === 1, groups: [] }; out.set(id, entry); }
        if (r.group_id !== null && r.group_id !== undefined) entry.groups.push({ id: r.group_id as string, displayName: r.display_name as string });
      }
    }
    return out;
  }

  async groupsNamed(tenantId: string, displayNames: string[]) {
    const out: { id: string; displayName: string }[] = [];
    for (const part of chunks([...new Set(displayNames.map((n) => n.toLowerCase()))])) {
      if (!part.length) continue;
      const res = await this.db.run(sql<Row>`SELECT id, display_name FROM groups WHERE tenant_id = ${tenantId} AND display_name_lc IN (${sql.join(part)})`);
      for (const r of res.rows) out.push({ id: r.id as string, displayName: r.display_name as string });
    }
    return out;
  }

  async activeMemberOf(tenantId: string, groupIds: string[]) {
    const ids = [...new Set(groupIds)].filter(canNameRow);
    if (!ids.length) return undefined;
    const res = await this.db.run(sql<Row>`SELECT u.id FROM group_members m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.member_id
      WHERE m.tenant_id = ${tenantId} AND m.group_id IN (${sql.join(ids)}) AND m.member_type = 'User' AND ${this.activeUser('u')} LIMIT 1`);
    return res.rows[0]?.id as string | undefined;
  }

  async serializePolicyChecks(tenantId: string): Promise<void> {
    const lock = this.dialect.transactionLock(`rollcall:policies:${tenantId}`);
    if (lock) await this.db.run(lock);
  }

  async memberCounts(tenantId: string, groupIds: string[], opts: { activeOnly?: boolean } = {}) {
    const out = new Map<string, number>();
    for (const part of chunks([...new Set(groupIds)].filter(canNameRow))) {
      if (!part.length) continue;
      for (const id of part) out.set(id, 0);
      const res = opts.activeOnly
        ? await this.db.run(sql<Row>`SELECT m.group_id, count(*) AS n FROM group_members m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.member_id
          WHERE m.tenant_id = ${tenantId} AND m.group_id IN (${sql.join(part)}) AND m.member_type = 'User' AND ${this.activeUser('u')} GROUP BY m.group_id`)
        : await this.db.run(sql<Row>`SELECT group_id, count(*) AS n FROM group_members WHERE tenant_id = ${tenantId} AND group_id IN (${sql.join(part)}) AND member_type = 'User' GROUP BY group_id`);
      for (const r of res.rows) out.set(r.group_id as string, Number(r.n));
    }
    return out;
  }

  // ---- writes -------------------------------------------------------------------------------

  private userColumns(u: UserRecord) {
    const d = u.doc;
    return {
      user_name: String(d.userName),
      user_name_lc: String(d.userName).toLowerCase(),
      external_id: (d.externalId as string | undefined) ?? null,
      display_name_lc: lc(d.displayName),
      active: this.dialect.boolParam(d.active === undefined ? null : d.active === true),
    };
  }

  async insertUser(tenantId: string, schemas: TenantSchemas, u: UserRecord): Promise<void> {
    const c = this.userColumns(u);
    const origin = u.origin ?? 'scim';
    await this.unique('User', 'userName', () => this.db.run(sql`INSERT INTO users (tenant_id, id, user_name, user_name_lc, external_id, display_name_lc, active, doc, created, last_modified, version, origin, status)
      VALUES (${tenantId}, ${u.id}, ${c.user_name}, ${c.user_name_lc}, ${c.external_id}, ${c.display_name_lc}, ${c.active}, ${JSON.stringify(u.doc)}, ${u.created}, ${u.lastModified}, ${u.version}, ${origin}, ${statusOf(origin, u)})`));
    await this.insertValues(tenantId, u.id, this.valueRows(schemas, u.doc));
    if (schemas.custom?.size) await custom.insertCustomRows(this.db, this.dialect, 'User', tenantId, u.id, custom.customRows(schemas, schemas.User, u.doc));
    await this.adjustCount(tenantId, 'users', 1);
  }

  /** Rewrites a resource's custom value rows when they differ from the ones of its previous document. */
  private async updateCustomRows(resourceType: 'User' | 'Group', tenantId: string, schemas: TenantSchemas, id: string, doc: AttrDoc, before: AttrDoc): Promise<void> {
    if (!schemas.custom?.size) return;
    const rs = schemas[resourceType];
    const rows = custom.customRows(schemas, rs, doc);
    if (JSON.stringify(rows) === JSON.stringify(custom.customRows(schemas, rs, before))) return;
    await custom.deleteCustomRows(this.db, tenantId, id);
    await custom.insertCustomRows(this.db, this.dialect, resourceType, tenantId, id, rows);
  }

  async updateUser(tenantId: string, schemas: TenantSchemas, u: UserRecord, before: UserRecord): Promise<boolean> {
    const c = this.userColumns(u);
    const res = await this.unique('User', 'userName', () => this.db.run(sql`UPDATE users SET user_name = ${c.user_name}, user_name_lc = ${c.user_name_lc}, external_id = ${c.external_id},
      display_name_lc = ${c.display_name_lc}, active = ${c.active}, doc = ${JSON.stringify(u.doc)}, last_modified = ${u.lastModified}, version = ${u.version}
      WHERE tenant_id = ${tenantId} AND id = ${u.id} AND version = ${before.version}`));
    if (Number(res.numAffectedRows ?? 0) === 0) return false;
    // Only a linked user changes origin, only a local user's lifecycle its status: the common
    // update keeps its one statement.
    const origin = u.origin ?? before.origin ?? 'scim';
    const status = statusOf(origin, u.status === undefined ? before : u);
    if (origin !== (before.origin ?? 'scim') || status !== (before.status ?? null)) {
      await this.db.run(sql`UPDATE users SET origin = ${origin}, status = ${status} WHERE tenant_id = ${tenantId} AND id = ${u.id}`);
    }
    await this.updateCustomRows('User', tenantId, schemas, u.id, u.doc, before.doc);
    // Most updates (deactivate, a title, a name) leave emails and the other indexed values alone.
    const rows = this.valueRows(schemas, u.doc);
    if (JSON.stringify(rows) === JSON.stringify(this.valueRows(schemas, before.doc))) return true;
    await this.db.run(sql`DELETE FROM user_values WHERE tenant_id = ${tenantId} AND user_id = ${u.id}`);
    await this.insertValues(tenantId, u.id, rows);
    return true;
  }

  /** The indexed rows of multi-valued attributes (tables.ts hasValueRows), as plain tuples. */
  private valueRows(schemas: TenantSchemas, doc: AttrDoc): [string, number, string | null, string | null, string | null, string | null, boolean][] {
    const rows: [string, number, string | null, string | null, string | null, string | null, boolean][] = [];
    const rs = schemas.User;
    for (const s of [rs.core, ...rs.extensions]) {
      const bag = (s === rs.core ? doc : doc[s.id]) as Record<string, unknown> | undefined;
      if (!bag) continue;
      for (const def of s.attributes) {
        if (!hasValueRows(def)) continue;
        const values = bag[def.name];
        if (!Array.isArray(values)) continue;
        const key = s === rs.core ? def.name : `${s.id}:${def.name}`;
        values.forEach((v: Record<string, unknown>, i) => {
          const value = v.value === undefined ? null : text(v.value);
          rows.push([key, i, value, lc(value), lc(v.type), lc(v.display), v.primary === true]);
        });
      }
    }
    return rows;
  }

  private async insertValues(tenantId: string, userId: string, rows: ReturnType<SqlResources['valueRows']>): Promise<void> {
    for (const part of chunks(rows, 100)) {
      const tuples = part.map(([key, i, value, valueLc, typeLc, displayLc, primary]) =>
        sql`(${tenantId}, ${userId}, ${key}, ${i}, ${value}, ${valueLc}, ${typeLc}, ${displayLc}, ${this.dialect.boolParam(primary)})`);
      await this.db.run(sql`INSERT INTO user_values (tenant_id, user_id, attr, ordinal, value, value_lc, type_lc, display_lc, "primary") VALUES ${sql.join(tuples)}`);
    }
  }

  async deleteUser(tenantId: string, id: string, at: string): Promise<{ groups: string[] } | undefined> {
    if (!canNameRow(id)) return undefined;
    const res = await this.db.run(sql`DELETE FROM users WHERE tenant_id = ${tenantId} AND id = ${id}`);
    if (Number(res.numAffectedRows ?? 0) === 0) return undefined;
    await this.adjustCount(tenantId, 'users', -1);
    await this.db.run(sql`DELETE FROM user_values WHERE tenant_id = ${tenantId} AND user_id = ${id}`);
    await custom.deleteCustomRows(this.db, tenantId, id);
    return { groups: await this.removeFromAllGroups(tenantId, id, at) };
  }

  async leaveAllGroups(tenantId: string, userId: string, at: string): Promise<string[]> {
    if (!canNameRow(userId)) return [];
    return this.removeFromAllGroups(tenantId, userId, at);
  }

  /** A deleted member leaves every group; each of those groups gets a new version. Returns their ids. */
  private async removeFromAllGroups(tenantId: string, memberId: string, at: string): Promise<string[]> {
    const res = await this.db.run(sql<Row>`UPDATE groups SET version = version + 1, last_modified = ${at}
      WHERE tenant_id = ${tenantId} AND id IN (SELECT group_id FROM group_members WHERE tenant_id = ${tenantId} AND member_id = ${memberId}) RETURNING id`);
    await this.db.run(sql`DELETE FROM group_members WHERE tenant_id = ${tenantId} AND member_id = ${memberId}`);
    return res.rows.map((r) => r.id as string);
  }

  async insertGroup(tenantId: string, schemas: TenantSchemas, g: GroupRecord): Promise<void> {
    const name = String(g.doc.displayName);
    await this.unique('Group', 'displayName', () => this.db.run(sql`INSERT INTO groups (tenant_id, id, display_name, display_name_lc, external_id, doc, created, last_modified, version, origin)
      VALUES (${tenantId}, ${g.id}, ${name}, ${name.toLowerCase()}, ${(g.doc.externalId as string | undefined) ?? null}, ${JSON.stringify(g.doc)}, ${g.created}, ${g.lastModified}, ${g.version}, ${g.origin ?? 'scim'})`));
    if (schemas.custom?.size) await custom.insertCustomRows(this.db, this.dialect, 'Group', tenantId, g.id, custom.customRows(schemas, schemas.Group, g.doc));
    await this.adjustCount(tenantId, 'groups', 1);
  }

  async updateGroup(tenantId: string, schemas: TenantSchemas, g: GroupRecord, before: GroupRecord): Promise<boolean> {
    const name = String(g.doc.displayName);
    const expectedVersion = before.version;
    if (String(before.doc.displayName) !== name) {
      // Renamed: every member's "groups[].display" changes, so every member gets a new version.
      const members = await this.db.run(sql<Row>`SELECT member_id FROM group_members WHERE tenant_id = ${tenantId} AND group_id = ${g.id} AND member_type = 'User'`);
      await this.touchUsers(tenantId, members.rows, g.lastModified);
    }
    const res = await this.unique('Group', 'displayName', () => this.db.run(sql`UPDATE groups SET display_name = ${name}, display_name_lc = ${name.toLowerCase()}, external_id = ${(g.doc.externalId as string | undefined) ?? null},
      doc = ${JSON.stringify(g.doc)}, last_modified = ${g.lastModified}, version = ${g.version}
      WHERE tenant_id = ${tenantId} AND id = ${g.id} AND version = ${expectedVersion}`));
    if (Number(res.numAffectedRows ?? 0) === 0) return false;
    await this.updateCustomRows('Group', tenantId, schemas, g.id, g.doc, before.doc);
    return true;
  }

  async deleteGroup(tenantId: string, id: string, at: string): Promise<{ members: string[]; groups: string[] } | undefined> {
    if (!canNameRow(id)) return undefined;
    const res = await this.db.run(sql`DELETE FROM groups WHERE tenant_id = ${tenantId} AND id = ${id}`);
    if (Number(res.numAffectedRows ?? 0) === 0) return undefined;
    await this.adjustCount(tenantId, 'groups', -1);
    await custom.deleteCustomRows(this.db, tenantId, id);
    const members = await this.removeAllMembers(tenantId, id, at);
    return { members, groups: await this.removeFromAllGroups(tenantId, id, at) };
  }

  async addMembers(tenantId: string, groupId: string, members: MemberValue[], at: string): Promise<string[]> {
    const unique = [...new Map(members.map((m) => [m.value, m])).values()];
    const unnameable = unique.filter((m) => !canNameRow(m.value)).map((m) => m.value);
    if (unnameable.length) throw new UnknownMembers(unnameable);
    const added: string[] = [];
    for (const part of chunks(unique)) {
      const ids = part.map((m) => m.value);
      // Each member must exist: a user, or (nested) a group of the same tenant.
      const found = await this.db.run(sql<Row>`SELECT id, 'User' AS t FROM users WHERE tenant_id = ${tenantId} AND id IN (${sql.join(ids)})
        UNION ALL SELECT id, 'Group' AS t FROM groups WHERE tenant_id = ${tenantId} AND id IN (${sql.join(ids)})`);
      const kinds = new Map(found.rows.map((r) => [r.id as string, r.t as 'User' | 'Group']));
      const missing = ids.filter((id) => !kinds.has(id));
      if (missing.length) throw new UnknownMembers(missing);
      if (ids.includes(groupId)) throw new UnknownMembers([groupId]);
      const values = part.map((m) => sql`(${tenantId}, ${groupId}, ${m.value}, ${kinds.get(m.value)!}, ${m.display ?? null})`);
      const res = await this.db.run(sql<Row>`INSERT INTO group_members (tenant_id, group_id, member_id, member_type, display) VALUES ${sql.join(values)}
        ON CONFLICT DO NOTHING RETURNING member_id`);
      added.push(...await this.touchUsers(tenantId, res.rows, at));
    }
    return added;
  }

  /**
   * A user's "groups" attribute changes with its memberships, so the user gets a new version too
   * (its ETag must not survive the change). Returns the member ids of the rows given.
   */
  private async touchUsers(tenantId: string, rows: Row[], at: string): Promise<string[]> {
    const memberIds = rows.map((r) => r.member_id as string);
    for (const ids of chunks(memberIds)) {
      await this.db.run(sql`UPDATE users SET version = version + 1, last_modified = ${at} WHERE tenant_id = ${tenantId} AND id IN (${sql.join(ids)})`);
    }
    return memberIds;
  }

  async removeMembers(tenantId: string, groupId: string, memberIds: string[], at: string): Promise<string[]> {
    const removed: string[] = [];
    for (const ids of chunks([...new Set(memberIds)].filter(canNameRow))) {
      const res = await this.db.run(sql<Row>`DELETE FROM group_members WHERE tenant_id = ${tenantId} AND group_id = ${groupId} AND member_id IN (${sql.join(ids)}) RETURNING member_id`);
      removed.push(...await this.touchUsers(tenantId, res.rows, at));
    }
    return removed;
  }

  async removeAllMembers(tenantId: string, groupId: string, at: string): Promise<string[]> {
    const res = await this.db.run(sql<Row>`DELETE FROM group_members WHERE tenant_id = ${tenantId} AND group_id = ${groupId} RETURNING member_id`);
    return this.touchUsers(tenantId, res.rows, at);
  }

  /** Makes the member set exactly `members`: only the difference is written. */
  async replaceMembers(tenantId: string, groupId: string, members: MemberValue[], at: string): Promise<{ added: string[]; removed: string[] }> {
    const current = await this.db.run(sql<Row>`SELECT member_id FROM group_members WHERE tenant_id = ${tenantId} AND group_id = ${groupId}`);
    const have = new Set(current.rows.map((r) => r.member_id as string));
    const want = new Set(members.map((m) => m.value));
    const removed = await this.removeMembers(tenantId, groupId, [...have].filter((id) => !want.has(id)), at);
    return { added: await this.addMembers(tenantId, groupId, members.filter((m) => !have.has(m.value)), at), removed };
  }

  async removeMembersMatching(tenantId: string, schemas: TenantSchemas, groupId: string, filter: Filter, at: string): Promise<string[]> {
    const groups = this.mapping(schemas).groups;
    const compiler = new FilterCompiler(this.dialect, groups, tenantId);
    const membersDef = findAttribute(groups.rs.core.attributes, 'members')!;
    const source = groups.rowSources.members;
    const cond = compiler.compileInner(membersDef, filter, (sub) => source.sub(sub.name) ?? { expr: sql`NULL`, type: sub.type, caseExact: sub.caseExact });
    const res = await this.db.run(sql<Row>`DELETE FROM group_members WHERE tenant_id = ${tenantId} AND group_id = ${groupId} AND member_id IN (
      SELECT m.member_id FROM group_members m WHERE m.tenant_id = ${tenantId} AND m.group_id = ${groupId} AND ${cond}) RETURNING member_id`);
    return this.touchUsers(tenantId, res.rows, at);
  }

  async usersInOtherGroups(tenantId: string, groupId: string, userIds: readonly string[], limit: number, ignoreGroupName: string | null = null): Promise<GroupClash[]> {
    const ignore = ignoreGroupName === null ? sql`` : sql` AND g.display_name_lc <> ${ignoreGroupName.toLowerCase()}`;
    const out: GroupClash[] = [];
    // Walks group_members_member (tenant_id, member_id, group_id): one index probe per id.
    for (const ids of chunks([...new Set(userIds)].filter(canNameRow))) {
      if (!ids.length) continue;
      const res = await this.db.run(sql<Row>`SELECT m.member_id, u.user_name, g.id AS group_id, g.display_name
        FROM group_members m
        JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.member_id
        JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
        WHERE m.tenant_id = ${tenantId} AND m.member_id IN (${sql.join(ids)}) AND m.member_type = 'User' AND m.group_id <> ${groupId}${ignore}
        ORDER BY u.user_name_lc, g.display_name_lc LIMIT ${limitValue(limit)}`);
      for (const r of res.rows) out.push({ userId: r.member_id as string, userName: r.user_name as string, groupId: r.group_id as string, groupName: r.display_name as string });
      if (out.length) return out;
    }
    return out;
  }

  async usersInSeveralGroups(tenantId: string, limit: number, ignoreGroupName: string | null = null): Promise<{ id: string; userName: string; groups: string[] }[]> {
    const ignored = ignoreGroupName?.toLowerCase();
    const ignore = ignored === undefined ? sql`` : sql` AND g.display_name_lc <> ${ignored}`;
    const res = await this.db.run(sql<Row>`SELECT m.member_id, u.user_name FROM group_members m
      JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.member_id
      JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
      WHERE m.tenant_id = ${tenantId} AND m.member_type = 'User'${ignore}
      GROUP BY m.member_id, u.user_name, u.user_name_lc HAVING count(*) > 1 ORDER BY u.user_name_lc LIMIT ${limitValue(limit)}`);
    if (!res.rows.length) return [];
    const groups = await this.groupsOfUsers(tenantId, res.rows.map((r) => r.member_id as string));
    const counted = (g: { display: string }) => ignored === undefined || g.display.toLowerCase() !== ignored;
    return res.rows.map((r) => ({ id: r.member_id as string, userName: r.user_name as string, groups: (groups.get(r.member_id as string) ?? []).filter(counted).slice(0, 5).map((g) => g.display) }));
  }

  async usersSharingPrimaryEmail(tenantId: string, limit: number): Promise<{ email: string; users: { id: string; userName: string }[] }[]> {
    // A user's primary email as policies/identifier.ts primaryEmail says: the first email marked
    // primary, else the first one; lower-cased (value_lc) and trimmed; empty is none. Grouped in the
    // database (by the user_values index), so the check reads the clashes, never every user.
    const yes = this.dialect.bool(true);
    const primaries = sql`SELECT e.user_id, trim(e.value_lc) AS email FROM user_values e
      WHERE e.tenant_id = ${tenantId} AND e.attr = 'emails' AND e.value_lc IS NOT NULL AND (
        (e."primary" = ${yes} AND e.ordinal = (SELECT min(p.ordinal) FROM user_values p WHERE p.tenant_id = e.tenant_id AND p.user_id = e.user_id AND p.attr = 'emails' AND p."primary" = ${yes}))
        OR (e.ordinal = 0 AND NOT EXISTS (SELECT 1 FROM user_values p WHERE p.tenant_id = e.tenant_id AND p.user_id = e.user_id AND p.attr = 'emails' AND p."primary" = ${yes})))`;
    const shared = await this.db.run(sql<Row>`SELECT email FROM (${primaries}) pe WHERE email <> '' GROUP BY email HAVING count(*) > 1 ORDER BY email LIMIT ${limitValue(limit)}`);
    if (!shared.rows.length) return [];
    const emails = shared.rows.map((r) => r.email as string);
    const holders = await this.db.run(sql<Row>`SELECT pe.email, u.id, u.user_name FROM (${primaries}) pe JOIN users u ON u.tenant_id = ${tenantId} AND u.id = pe.user_id
      WHERE pe.email IN (${sql.join(emails)}) ORDER BY u.seq`);
    const out = new Map(emails.map((e) => [e, [] as { id: string; userName: string }[]]));
    for (const r of holders.rows) out.get(r.email as string)?.push({ id: r.id as string, userName: r.user_name as string });
    return [...out].map(([email, users]) => ({ email, users }));
  }

  async usersInNoGroup(tenantId: string, userIds: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const ids of chunks([...new Set(userIds)].filter(canNameRow))) {
      if (!ids.length) continue;
      const res = await this.db.run(sql<Row>`SELECT u.id FROM users u WHERE u.tenant_id = ${tenantId} AND u.id IN (${sql.join(ids)})
        AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.tenant_id = u.tenant_id AND m.member_id = u.id)`);
      out.push(...res.rows.map((r) => r.id as string));
    }
    return out;
  }

  // ---- tenant settings (issue 9) -------------------------------------------------------------

  async tenantNow(tenantId: string, knownVersion: number): Promise<{ scimEnabled: boolean; settings?: StoredSettings } | undefined> {
    if (!canNameRow(tenantId)) return undefined;
    // The document only when it is not the version the caller has (rarely: a replacement raced it).
    const r = await this.db.run(sql<Row>`SELECT scim_mode, settings_version, CASE WHEN settings_version <> ${knownVersion} THEN settings END AS settings
      FROM tenants WHERE id = ${tenantId}${this.dialect.forKeyShare}`);
    const row = r.rows[0];
    if (!row) return undefined;
    const scimEnabled = row.scim_mode !== 'disabled';
    const version = Number(row.settings_version);
    if (version === knownVersion) return { scimEnabled };
    return { scimEnabled, settings: storedSettingsOf(row) };
  }

  async lockTenantSettings(tenantId: string): Promise<StoredSettings | undefined> {
    if (!canNameRow(tenantId)) return undefined;
    const r = await this.db.run(sql<Row>`SELECT settings, settings_version FROM tenants WHERE id = ${tenantId}${this.dialect.forUpdate}`);
    const row = r.rows[0];
    return row ? storedSettingsOf(row) : undefined;
  }

  async writeTenantSettings(tenantId: string, document: unknown, version: number, expected: number): Promise<boolean> {
    const r = await this.db.run(sql`UPDATE tenants SET settings = ${JSON.stringify(document)}, settings_version = ${version}
      WHERE id = ${tenantId} AND settings_version = ${expected}`);
    // Inside the transaction on purpose: on SQLite a request that sees the new stamp looks the tenant
    // up again, and that read waits at the transaction gate until this commits (sqlite-runner.ts).
    this.authChanged();
    return Number(r.numAffectedRows ?? 0) > 0;
  }

  countCustomValues(tenantId: string, attribute: CustomAttributeKey): Promise<number> {
    return custom.countCustomValues(this.db, tenantId, attribute);
  }

  dropCustomValues(tenantId: string, attribute: CustomAttributeKey, at: string): Promise<number> {
    return custom.dropCustomValues(this.db, this.dialect, tenantId, attribute, at);
  }

  setCustomUniqueness(tenantId: string, attribute: CustomAttributeKey, mode: 'none' | 'exact' | 'folded'): Promise<void> {
    return custom.setCustomUniqueness(this.db, this.dialect, attribute.resourceType, tenantId, attribute, mode);
  }
}
