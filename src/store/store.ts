// The narrow storage interface every driver implements and store/contract/ proves. Methods are
// named for what the use cases intend; every write runs inside `transaction`. Nothing here knows
// HTTP; filters arrive as the SCIM AST and are compiled to SQL by the driver (store/sql/).
import type { AttrPath, Filter } from '../scim/filter.ts';
import type { MemberValue } from '../scim/patch.ts';
import type { AttrDoc } from '../scim/resource.ts';
import type { Member, ResourceMeta } from '../scim/render.ts';
import type { ResourceSchema } from '../scim/schemas/resource-schema.ts';

export type { Member, ResourceMeta };

/**
 * The schemas of one tenant (core, enterprise and, later, its custom extensions), made and cached
 * per tenant settings version by provisioning/schemas.ts. Lists and writes take it: filters resolve
 * against it and the indexed rows of multi-valued attributes follow it. A driver derives its SQL
 * mapping from it once per object (store/sql/tables.ts), so the two are built together.
 */
export interface TenantSchemas {
  readonly User: ResourceSchema;
  readonly Group: ResourceSchema;
  /**
   * URNs of the tenant's custom extension schemas (settings "customSchemas"). Every attribute of
   * these has its values indexed in custom_values (store/sql/tables.ts); the built-in enterprise
   * extension keeps its values in the document only, as before.
   */
  readonly custom?: ReadonlySet<string>;
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
  /** Version of the tenant's settings document: 1 until it is first replaced. */
  settingsVersion: number;
  /**
   * SCIM mode (docs/policies.md "SCIM mode"): while enabled, IdP-managed users and groups are
   * read-only through the admin API and no local invitation is pending; disabled after
   * disableScim, until enableScim. A new tenant starts enabled.
   */
  scimEnabled: boolean;
}

/** A tenant as created: its settings start at version 1, with every default, and SCIM enabled. */
export type NewTenant = Omit<Tenant, 'settingsVersion' | 'scimEnabled'>;

export interface TokenRecord {
  id: string;
  tenantId: string;
  /** What the admin called it ("Okta production"); null when unnamed. */
  name: string | null;
  /** SHA-256 of the whole token, hex. The token itself is never stored. */
  hash: string;
  /** Last characters of the token, shown in listings so an admin can tell tokens apart. */
  hint: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Who created a user or group: the identity provider over SCIM, or the app through the admin API. */
export type Origin = 'scim' | 'local';

/** The app's lifecycle of a local user (an IdP-managed user has none: its SCIM `active` says it). */
export type UserStatus = 'invited' | 'active' | 'deactivated';
export const USER_STATUSES: readonly UserStatus[] = ['invited', 'active', 'deactivated'];

export interface UserRecord extends ResourceMeta {
  /** The canonical attribute document (userName, name, emails, extensions under their URN, …). */
  doc: AttrDoc;
  /** Set on records read from the store and on new records (absent means 'scim'). */
  origin?: Origin;
  /**
   * A local user's status, as read from the store and on new local records (null or absent for an
   * IdP-managed user). Written by insertUser, and by updateUser when it differs from `before`'s.
   */
  status?: UserStatus | null;
  /** Creation order, as read from the store: the keyset of admin API cursors. */
  seq?: number;
}

export interface GroupRecord extends ResourceMeta {
  /** displayName, externalId, … — never members, which live in their own table. */
  doc: AttrDoc;
  origin?: Origin;
  seq?: number;
}

/** An admin API key. Like SCIM tokens, only the SHA-256 of the key is stored. */
export interface AdminKeyRecord {
  id: string;
  name: string;
  /** 'admin': every operation; 'read': GET only; 'sso': only the sign-in code exchange (docs/sso.md). */
  scope: 'admin' | 'read' | 'sso';
  hash: string;
  hint: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** One admin action, as the audit log keeps it. Never holds a secret. */
export interface AuditEntry {
  /** Sortable: the time, then random characters (provisioning/admin/audit.ts). */
  id: string;
  at: string;
  keyId: string | null;
  keyName: string | null;
  /** "tenant.create", "token.rotate", "user.delete", … */
  action: string;
  tenantId: string | null;
  targetType: string;
  targetId: string | null;
  /** What changed, without secrets: names of changed fields, counts, ids. */
  summary: Record<string, unknown>;
  requestId: string | null;
}

/**
 * What an admin action writes besides its change: its audit entry and its events (issue 10), in the
 * change's own transaction, so that neither a change without its record nor a record without its
 * change can exist. The tenant and token writes of Store take it as an optional last argument
 * rather than moving onto StoreTx: the contract suite, the test helpers and the benches call those
 * methods as they are, and the interface stays as narrow as it was. Where what was done is known only
 * inside the transaction (a deletion's counts, a rotated token's new expiry) the argument is a
 * function of it, called once the change is made.
 */
/** An audit entry as listed: with its tenant's slug while the tenant exists (null once deleted, or server-wide). */
export interface ListedAuditEntry extends AuditEntry { tenantSlug: string | null }

export interface ActionRecord { audit?: AuditEntry; events?: readonly NewEvent[] }

/** Who made a change: a SCIM token, an admin key, the CLI, the vendor's code, or (sign-in events) a SAML connection. */
export interface EventActor { type: 'token' | 'adminKey' | 'cli' | 'library' | 'saml' | 'setupLink'; id: string | null; name: string | null }

/** An event as a change writes it (docs/events.md). */
export interface NewEvent {
  /** "evt_" + a random id: the same on every delivery (the webhook-id header). */
  id: string;
  tenantId: string;
  /** The tenant's slug when it happened. */
  tenantSlug: string;
  /** "user.created", "group.member_added", … (events/event-types.ts). */
  type: string;
  at: string;
  actor: EventActor;
  requestId: string | null;
  data: Record<string, unknown>;
}

/** An event as read back: with its position in commit order, overall and within its tenant. */
export interface EventRecord extends NewEvent {
  position: number;
  tenantPosition: number;
}

/** Events after a position (exclusive), in position order, optionally of one tenant and some types. */
/**
 * A page of the events feed: positions after `after` (oldest first), or with `newestFirst` positions
 * before `before` (newest first); never past `until`.
 */
export interface EventQuery { after?: number; before?: number; newestFirst?: boolean; until?: number; tenantId?: string; types?: readonly string[]; limit: number }

/** Keyset paging for the admin API: rows after `after` (exclusive), at most `limit`. */
export interface Scan { after?: string; limit: number }

export interface ListOptions {
  filter?: Filter;
  sortBy?: AttrPath;
  sortOrder: 'ascending' | 'descending';
  /** 0-based offset. */
  offset: number;
  /** 0 means "count only". */
  limit: number;
}

export interface Page<T> { total: number; rows: T[] }

/** A write would give two resources of one tenant the same unique value (compared case-insensitively). */
export class UniquenessViolation extends Error {
  /** `attribute`: "userName", "displayName", "slug", or a custom attribute as "<schema URN>:<name>". */
  constructor(readonly resourceType: 'User' | 'Group' | 'Tenant', readonly attribute: string) { super(`${resourceType}.${attribute} must be unique`); }
}

export class UnknownMembers extends Error {
  constructor(readonly values: string[]) { super(`unknown members: ${values.join(', ')}`); }
}

/**
 * The tenant a write is for was deleted after the request authenticated (a race with the admin
 * API's or the CLI's tenant deletion): nothing was written.
 */
export class TenantGone extends Error {
  constructor() { super('the tenant no longer exists'); }
}

/** The database cannot be reached (down, restarting, pool exhausted): worth retrying later. */
export class StoreUnavailable extends Error {
  constructor(readonly cause: unknown) { super('the database is unavailable'); }
}

/** The database aborted the transaction to break a deadlock or a serialization conflict: retry it. */
export class WriteConflict extends Error {
  constructor(readonly cause: unknown) { super('concurrent write conflict'); }
}

/**
 * PostgreSQL answered but will not let Rollcall in, for a reason only its administrator can fix:
 * the database or the role named in the URL does not exist (SQLSTATE 3D000; 28000 raised while
 * looking up the session user), or authentication failed (28P01, or 28000 from pg_hba.conf).
 * Retrying cannot help, so this is not StoreUnavailable; the CLI says what to do.
 */
export class PostgresRefused extends Error {
  constructor(
    readonly reason: 'noDatabase' | 'noRole' | 'authentication',
    /** host:port, database and role as the URL names them (pg's defaults where it names none). */
    readonly host: string,
    readonly database: string,
    readonly role: string,
    options: { cause: unknown },
  ) {
    super((options.cause as Error).message, options);
  }
}

/** Reads available both inside and outside a transaction. */
export interface StoreReads {
  getUser(tenantId: string, id: string): Promise<UserRecord | undefined>;
  /** A user and the groups it belongs to (ordered by name), in one query: GET /Users/{id}. */
  getUserWithGroups(tenantId: string, id: string): Promise<{ user: UserRecord; groups: { value: string; display: string }[] } | undefined>;
  listUsers(tenantId: string, schemas: TenantSchemas, options: ListOptions): Promise<Page<UserRecord>>;
  /** The groups each user belongs to (for the readOnly "groups" attribute), one query for a page. */
  groupsOfUsers(tenantId: string, userIds: string[]): Promise<Map<string, { value: string; display: string }[]>>;
  getGroup(tenantId: string, id: string): Promise<GroupRecord | undefined>;
  listGroups(tenantId: string, schemas: TenantSchemas, options: ListOptions): Promise<Page<GroupRecord>>;
  /** Members of some groups; callers ask only when the response will include members. */
  membersOf(tenantId: string, groupIds: string[]): Promise<Map<string, Member[]>>;
  /**
   * Users in creation order after the one with `afterSeq`, matching an optional filter: the admin
   * API's cursor pages (keyset on seq, so concurrent inserts and deletes never shift a page).
   */
  scanUsers(tenantId: string, schemas: TenantSchemas, filter: Filter | undefined, afterSeq: number | undefined, limit: number): Promise<UserRecord[]>;
  scanGroups(tenantId: string, schemas: TenantSchemas, filter: Filter | undefined, afterSeq: number | undefined, limit: number): Promise<GroupRecord[]>;
  /** Whether each id names a user or a group, and its userName or displayName (ids that name neither are left out); set-based, per 500. */
  namesOf(tenantId: string, ids: string[]): Promise<Map<string, { type: 'User' | 'Group'; name: string }>>;
  /** One page of a group's members in member-id order, after `after` (keyset): for streaming big groups. */
  membersPage(tenantId: string, groupId: string, after: string | undefined, limit: number): Promise<Member[]>;
}

export interface StoreTx extends StoreReads {
  /** Reads a user and holds its row until the transaction ends, so writers of one user queue. */
  lockUser(tenantId: string, id: string): Promise<UserRecord | undefined>;
  /** Reads a group and holds its row: concurrent member PATCHes to one group apply one by one. */
  lockGroup(tenantId: string, id: string): Promise<GroupRecord | undefined>;
  /** Throws UniquenessViolation('User', 'userName') when the userName is taken (case-insensitively). */
  insertUser(tenantId: string, schemas: TenantSchemas, user: UserRecord): Promise<void>;
  /**
   * Writes `user` if the stored version is still `before.version`; returns false otherwise.
   * `before` is the record as read (locked) in this transaction: the indexed rows of multi-valued
   * attributes are rewritten only when they differ from its own. A `user.origin` other than
   * `before.origin` is written too (account linking: a local user becomes IdP-managed).
   */
  updateUser(tenantId: string, schemas: TenantSchemas, user: UserRecord, before: UserRecord): Promise<boolean>;
  /**
   * Removes the user from every group it is a member of (each such group gets a new version; the
   * user's own version is the caller's to move, as updateUser does); returns the groups it left.
   */
  leaveAllGroups(tenantId: string, userId: string, at: string): Promise<string[]>;
  /** Deletes the user and every membership that names it; returns the groups it left, or undefined if there was no such user. */
  deleteUser(tenantId: string, id: string, at: string): Promise<{ groups: string[] } | undefined>;
  insertGroup(tenantId: string, schemas: TenantSchemas, group: GroupRecord): Promise<void>;
  /**
   * Writes `group` if the stored version is still `before.version`. `before` is the record as read
   * (locked) in this transaction: a changed displayName gives every member user a new version.
   */
  updateGroup(tenantId: string, schemas: TenantSchemas, group: GroupRecord, before: GroupRecord): Promise<boolean>;
  /** Deletes the group: returns the members it had and the groups it was itself a member of, or undefined. */
  deleteGroup(tenantId: string, id: string, at: string): Promise<{ members: string[]; groups: string[] } | undefined>;
  /**
   * Adds members, ignoring ones already present, and returns the ids actually added. Throws
   * UnknownMembers for ids that name no user or group. Membership changes give the member users a
   * new version (their "groups" changed). Every member method is set-based: a few statements per
   * 500 members, never one per member.
   */
  addMembers(tenantId: string, groupId: string, members: MemberValue[], at: string): Promise<string[]>;
  /** Removes these members; returns the ids actually removed. */
  removeMembers(tenantId: string, groupId: string, memberIds: string[], at: string): Promise<string[]>;
  removeAllMembers(tenantId: string, groupId: string, at: string): Promise<string[]>;
  /** Makes the member set exactly the given one, writing only the difference. */
  replaceMembers(tenantId: string, groupId: string, members: MemberValue[], at: string): Promise<{ added: string[]; removed: string[] }>;
  /** Removes the members matching a filter over the members' sub-attributes (value, type, display). */
  removeMembersMatching(tenantId: string, schemas: TenantSchemas, groupId: string, filter: Filter, at: string): Promise<string[]>;
  /**
   * Of these users, up to `limit` that are members of a group other than `groupId`, each with that
   * group (the one-group-per-user rule, provisioning/policies/group-rules.ts): one statement per 500
   * ids, stopping at the first batch that finds any.
   */
  usersInOtherGroups(tenantId: string, groupId: string, userIds: readonly string[], limit: number, ignoreGroupName?: string | null): Promise<GroupClash[]>;
  /**
   * Up to `limit` users that are direct members of more than one group, each with (up to 5 of) those
   * groups. `ignoreGroupName`: a group (by displayName, case-insensitively) that does not count (the default group).
   */
  usersInSeveralGroups(tenantId: string, limit: number, ignoreGroupName?: string | null): Promise<{ id: string; userName: string; groups: string[] }[]>;
  /**
   * Up to `limit` primary emails (lower-cased, as policies/identifier.ts primaryEmail reads them) that
   * more than one user has, each with its users in creation order: grouped in the database, one
   * statement for the emails and one for their users, never a read of every user.
   */
  usersSharingPrimaryEmail(tenantId: string, limit: number): Promise<{ email: string; users: { id: string; userName: string }[] }[]>;
  /** Of these ids, the users that are members of no group (the default group rule): one statement per 500 ids. */
  usersInNoGroup(tenantId: string, userIds: readonly string[]): Promise<string[]>;

  // ---- policies (issue 11: provisioning/policies/) -------------------------------------------

  /**
   * The users among `ids` (other ids are left out) with whether they are active and every group
   * they are a direct member of: set-based, one statement per 500 ids. Active: a local user whose
   * status is 'active', an IdP-managed one whose SCIM `active` is not false (absent counts as active).
   */
  usersAndTheirGroups(tenantId: string, ids: string[]): Promise<Map<string, { userName: string; active: boolean; groups: { id: string; displayName: string }[] }>>;
  /** The groups with these displayNames (compared case-insensitively). */
  groupsNamed(tenantId: string, displayNames: string[]): Promise<{ id: string; displayName: string }[]>;
  /** An active user (as usersAndTheirGroups says) that is a direct member of one of these groups, or undefined when there is none (one statement). */
  activeMemberOf(tenantId: string, groupIds: string[]): Promise<string | undefined>;
  /**
   * Makes the guards of one tenant check one transaction at a time, until this one ends: without it
   * two transactions could each deactivate one of the last two admins, each seeing the other still
   * active (PostgreSQL's read committed). A no-op where writers already run one at a time (SQLite).
   */
  serializePolicyChecks(tenantId: string): Promise<void>;
  /**
   * How many users each of these groups has as direct members (a nested group is not counted); groups
   * without any are 0. `activeOnly`: only the active ones (as usersAndTheirGroups counts them).
   */
  memberCounts(tenantId: string, groupIds: string[], opts?: { activeOnly?: boolean }): Promise<Map<string, number>>;

  /**
   * Appends events to the outbox in this transaction (one statement per 500): they commit with the
   * change or not at all.
   */
  appendEvents(events: readonly NewEvent[]): Promise<void>;
  /** Appends an admin action's audit entry in this transaction: it commits with the action or not at all. */
  appendAudit(entry: AuditEntry): Promise<void>;

  // ---- tenant settings (issue 9) -------------------------------------------------------------

  /**
   * The tenant as committed now (undefined: no such tenant), its row held against disableScim and
   * against a settings replacement (lockTenantSettings) until this transaction ends: whether SCIM is
   * enabled, and, when its settings are no longer at `knownVersion`, the current ones. A SCIM write
   * that took the IdP a new resource either commits before a disable (which then converts it) or
   * sees the disable; a write made under older settings either commits before a replacement (whose
   * checks then see it) or sees the settings that replaced them (provisioning/policies/tenant-now.ts).
   */
  tenantNow(tenantId: string, knownVersion: number): Promise<{ scimEnabled: boolean; settings?: StoredSettings } | undefined>;

  /** The tenant's settings, its row held until the transaction ends; undefined if there is no such tenant. */
  lockTenantSettings(tenantId: string): Promise<StoredSettings | undefined>;
  /** Writes the document as version `version` if the stored version is still `expected`; false otherwise. */
  writeTenantSettings(tenantId: string, document: unknown, version: number, expected: number): Promise<boolean>;
  /** How many users (or groups) hold a value of a custom attribute ("<schema URN>:<name>"). */
  countCustomValues(tenantId: string, attribute: CustomAttributeKey): Promise<number>;
  /**
   * Deletes every value of a custom attribute, from the index rows and from the documents, giving
   * each resource that held one a new version; returns how many resources changed.
   */
  dropCustomValues(tenantId: string, attribute: CustomAttributeKey, at: string): Promise<number>;
  /**
   * Makes the database enforce (or stop enforcing) an attribute's uniqueness over the values already
   * stored: `exact` compares as stored, `folded` case-insensitively, `none` not at all. Throws
   * UniquenessViolation when two resources already hold the same value.
   */
  setCustomUniqueness(tenantId: string, attribute: CustomAttributeKey, mode: 'none' | 'exact' | 'folded'): Promise<void>;
}

/** What disabling SCIM did (Store.disableScim). */
export interface ScimDisabled { users: number; groups: number; tokens: TokenRecord[] }

/** A user who is a member of another group than the one being written. */
export interface GroupClash { userId: string; userName: string; groupId: string; groupName: string }

/** A tenant's settings document as stored (null: never set) and its version. */
export interface StoredSettings { document: unknown; version: number }

/** A custom attribute: the resource type its schema extends, the schema URN, and the attribute name. */
export interface CustomAttributeKey { resourceType: 'User' | 'Group'; schema: string; name: string }

export interface Store extends StoreReads, SamlStore, ConsoleStore {
  /** Runs fn in one transaction: all of its writes commit together or not at all. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The migrations (file names) this store applied when it was opened; empty when the schema was current. */
  readonly migrationsApplied: readonly string[];
  /**
   * The SQLite file the SCIM request log is kept in, beside the main database file
   * (store/sqlite/request-log-file.ts); undefined when the log is a table of the main database
   * (PostgreSQL, an in-memory SQLite database).
   */
  readonly requestLogFile?: string;
  /**
   * The migrations this build carries that the database has not recorded as applied (file names),
   * read from the database now: empty when the schema is current. Throws (StoreUnavailable) when the
   * database does not answer. For /readyz (http/health.ts).
   */
  pendingMigrations(): Promise<string[]>;
  /**
   * How far delivery is behind, per consumer kind, read now (for /metrics): events after each live
   * consumer's stream positions, and when the oldest undelivered event was committed (for webhooks
   * and email counting events discovery has not met yet). Only kinds with a backlog are listed.
   */
  deliveryBacklog(): Promise<DeliveryBacklog[]>;
  /** The connection pool's use now (PostgreSQL); absent where there is no pool (SQLite: one connection). */
  poolUse?(): PoolUse;

  /**
   * Creates a tenant; with `settings` (a preset's document) its settings are written in the same
   * statement, as version 2 (version 1 means never set: every default).
   */
  createTenant(tenant: NewTenant, record?: ActionRecord, settings?: unknown): Promise<void>;
  findTenantBySlug(slug: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  /** Tenants in slug order after `after`, whose slug or name contains `search` (case-insensitively). */
  scanTenants(search: string | undefined, scan: Scan): Promise<Tenant[]>;
  /** Renames a tenant; false (and nothing written) when there is no such tenant. */
  renameTenant(tenantId: string, name: string, record?: ActionRecord): Promise<boolean>;
  /**
   * Deletes the tenant and everything of it (users, groups, memberships, tokens, settings) in one
   * transaction; returns how many users and groups went with it, or undefined if there was none.
   * Its events stay: the app must learn of the deletion (tenant.deleted); retention prunes them.
   */
  deleteTenant(tenantId: string, record?: (gone: { users: number; groups: number }) => ActionRecord): Promise<{ users: number; groups: number } | undefined>;

  /**
   * Enables SCIM for a disabled tenant, in one transaction: the tenant's mode, `token` issued, and
   * every pending invitation revoked (local users with status 'invited' become 'deactivated', each
   * with a new version). `record` gets those users (id and userName). Undefined (nothing written)
   * when there is no such tenant or SCIM is already enabled.
   */
  enableScim(tenantId: string, token: TokenRecord, at: string, record?: (revoked: { id: string; userName: string }[]) => ActionRecord): Promise<{ invitationsRevoked: number } | undefined>;
  /**
   * Disables SCIM for an enabled tenant, in one transaction: every IdP-managed user and group
   * becomes local (each with a new version; a user's status follows its `active`), every unrevoked
   * token is revoked, and the mode is 'disabled'. `record` gets the counts and the tokens as revoked.
   * Set-based: a few statements whatever the number of users. Undefined (nothing written) when
   * there is no such tenant or SCIM is already disabled.
   */
  disableScim(tenantId: string, at: string, record?: (done: ScimDisabled) => ActionRecord): Promise<ScimDisabled | undefined>;

  createToken(token: TokenRecord, record?: ActionRecord): Promise<void>;
  /** One round trip for authentication: the token with this hash, if it belongs to the tenant with this slug. */
  findTokenForTenant(hash: string, slug: string): Promise<{ token: TokenRecord; tenant: Tenant } | undefined>;
  listTokens(tenantId: string): Promise<TokenRecord[]>;
  /** Revokes a live or expired token; false (and nothing written) when it is absent or already revoked. */
  revokeToken(tenantId: string, tokenId: string, at: string, record?: ActionRecord): Promise<boolean>;
  /**
   * Rotation: creates `next` and, in the same transaction, makes the live token `tokenId` expire at
   * `oldUntil` (or keep its own earlier expiry). False (and nothing written) when that token is not
   * live: revoked, expired at `now`, or absent. `record` gets the old token as it now stands.
   */
  rotateToken(tenantId: string, tokenId: string, next: TokenRecord, oldUntil: string, now: string, record?: (previous: TokenRecord) => ActionRecord): Promise<boolean>;
  /** Records a use; drivers may skip the write when the last record is less than a minute old. */
  touchToken(tokenId: string, at: string): Promise<void>;
  /**
   * A stamp that changes whenever a token or tenant may have changed, through this store or any
   * other connection to the database (another process, the CLI, an admin's SQL). Authentication
   * results may be reused while it stays the same. Undefined when the driver cannot tell at the
   * moment (PostgreSQL while its notification connection is down): then nothing may be reused.
   */
  authStamp(): string | undefined;

  createAdminKey(key: AdminKeyRecord): Promise<void>;
  findAdminKeyByHash(hash: string): Promise<AdminKeyRecord | undefined>;
  listAdminKeys(): Promise<AdminKeyRecord[]>;
  revokeAdminKey(id: string, at: string): Promise<boolean>;
  /** Records a use; skipped when the last record is less than a minute old. */
  touchAdminKey(id: string, at: string): Promise<void>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Audit entries, newest first, before the entry `after` (exclusive). */
  listAudit(query: { tenantId?: string; action?: string; targetId?: string; since?: string; until?: string }, scan: Scan): Promise<ListedAuditEntry[]>;
  // ---- events (issue 10) ---------------------------------------------------------------------

  /** Events in commit order (store/sql/events.ts): only those that no late commit can precede. */
  readEvents(query: EventQuery): Promise<EventRecord[]>;
  /** The last position given (0 before the first event). */
  eventHead(): Promise<number>;
  /**
   * Gives positions to committed events that have none (PostgreSQL; on SQLite events get theirs at
   * insert and this does nothing); returns how many got one. Without `wait` it gives up at once when
   * another sequencer is running (the engine's wakeups); with it, it waits for that one and runs
   * after, so every event committed before the call has a position on return (the feed).
   */
  sequenceEvents(options?: { wait?: boolean }): Promise<number>;
  /**
   * Calls `listener` soon after this process committed events, and (PostgreSQL, through NOTIFY)
   * after any process's sequencer gave events their positions; returns a function that stops it.
   * Events committed by another process are otherwise found by polling (SQLite cannot hear other
   * processes at all; a PostgreSQL writer does not notify, to keep its commits concurrent).
   */
  onEvents(listener: () => void): () => void;
  /** Deletes up to `limit` events older than `before`; returns how many. */
  pruneEvents(before: string, limit: number): Promise<number>;

  // ---- tenant settings (issue 9) -------------------------------------------------------------

  /** A tenant's settings document (null: never set) and version; undefined if there is no such tenant. */
  readTenantSettings(tenantId: string): Promise<StoredSettings | undefined>;

  // ---- event delivery (issue 10: store/sql/delivery.ts, events/engine.ts) -------------------

  /** Creates a consumer starting at the current overall head (earlier events are not sent); returns it. */
  createConsumer(consumer: NewConsumer): Promise<ConsumerRecord>;
  getConsumer(id: string): Promise<ConsumerRecord | undefined>;
  /** Consumers of a kind, of one tenant (tenantId) or the global ones (null), in id order after `scan.after`. */
  listConsumers(query: { kind?: ConsumerKind; tenantId?: string | null }, scan: Scan): Promise<ConsumerRecord[]>;
  /** Writes the given fields (and updated_at); returns the consumer as it now stands, or undefined. */
  updateConsumer(id: string, patch: ConsumerPatch, at: string): Promise<ConsumerRecord | undefined>;
  /** Switches a switched-off consumer on, from the current head (earlier events are not sent); false when it was on. */
  startConsumer(id: string, at: string): Promise<boolean>;
  /** Deletes the consumer with its streams, attempts and dead letters; false when there was none. */
  deleteConsumer(id: string): Promise<boolean>;
  /** Whether any enabled consumer of these kinds, not marked gone, exists. */
  hasLiveConsumers(kinds: readonly ConsumerKind[]): Promise<boolean>;
  /**
   * Looks through events after each enabled consumer's scanned position (at most `window` positions
   * per call) and makes due the streams of the tenants they belong to, creating the streams of
   * tenants met for the first time. Returns how many streams it made due.
   */
  discoverStreams(kinds: readonly ConsumerKind[], now: string, window: number): Promise<number>;
  /** Takes up to `limit` due streams whose lease is free, of enabled, not-gone consumers of these kinds, leasing them to `owner`. */
  claimStreams(owner: string, kinds: readonly ConsumerKind[], now: string, leaseUntil: string, limit: number): Promise<StreamClaim[]>;
  /** A tenant's positioned events after a tenant position, in order, of some types (undefined: all). */
  streamEvents(tenantId: string, afterTenantPosition: number, types: readonly string[] | null, limit: number): Promise<EventRecord[]>;
  /** The tenant's last tenant position given (0 before its first event). */
  tenantHead(tenantId: string): Promise<number>;
  /**
   * Moves a stream past an event (attempts back to 0) and renews its lease, only while `claim`'s
   * lease is still this claim's: false when another process has taken the stream meanwhile. The
   * attempts that got it there are recorded in the same transaction (the engine batches them).
   */
  advanceStream(claim: StreamClaim, position: number, now: string, leaseUntil: string, attempts?: readonly NewDeliveryAttempt[]): Promise<boolean>;
  /** Records a failed attempt at the next event: the stream is due again at `nextAttemptAt`; releases the lease. */
  failStream(claim: StreamClaim, attempts: number, nextAttemptAt: string, error: string, now: string): Promise<boolean>;
  /** Releases the lease; the stream goes idle when `position` has reached its tenant's head, else stays due now. */
  releaseStream(claim: StreamClaim, position: number, now: string): Promise<boolean>;
  recordAttempt(attempt: NewDeliveryAttempt): Promise<void>;
  /** In one transaction: the dead letter, the stream moved past its event, the consumer marked failing. */
  deadLetter(claim: StreamClaim, letter: NewDeadLetter, reason: string, leaseUntil: string): Promise<boolean>;
  /** Sets a consumer's state ('ok', 'failing', 'gone') unless it is already that; returns whether it changed. */
  setConsumerState(id: string, state: ConsumerState, reason: string | null, at: string): Promise<boolean>;
  /** A consumer's attempts, newest first, before `scan.after` (a seq, exclusive). */
  listAttempts(consumerId: string, query: { tenantId?: string; eventId?: string; outcome?: DeliveryOutcomeName }, scan: Scan): Promise<DeliveryAttempt[]>;
  /** A consumer's dead letters, newest first, before `scan.after` (a seq, exclusive). */
  listDeadLetters(consumerId: string, query: { tenantId?: string; pending?: boolean }, scan: Scan): Promise<DeadLetter[]>;
  /** Asks for a dead letter to be delivered again (due `now`); undefined when there is no such letter. */
  replayDeadLetter(consumerId: string, seq: number, now: string): Promise<DeadLetter | undefined>;
  /**
   * Moves the consumer's stream of the event's tenant back to just before that event, so it and
   * every later event of the tenant are delivered again, in order. False when the event is unknown.
   */
  replayFrom(consumerId: string, eventId: string, now: string): Promise<boolean>;
  /** Takes up to `limit` due replays of dead letters (as claimStreams does streams). */
  claimReplays(owner: string, kinds: readonly ConsumerKind[], now: string, leaseUntil: string, limit: number): Promise<ReplayClaim[]>;
  /** Ends a replay's attempt: delivered (replayed_at), or due again at `nextAttemptAt`, or given up (null). */
  finishReplay(claim: ReplayClaim, result: { delivered: boolean; nextAttemptAt: string | null; error: string | null }, now: string): Promise<boolean>;
  /** Gives a replay back unattempted (a stopping process): due as before, takeable at once; false when the lease is no longer this claim's. */
  releaseReplay(claim: ReplayClaim): Promise<boolean>;
  /** Deletes up to `limit` attempts older than `before`; returns how many. */
  pruneAttempts(before: string, limit: number): Promise<number>;
  /** Deletes up to `limit` dead letters older than `before` not waiting for a replay; returns how many. */
  pruneDeadLetters(before: string, limit: number): Promise<number>;
  /** One event by id (for a replay). */
  getEvent(id: string): Promise<EventRecord | undefined>;

  // ---- SCIM request log (issue 13: store/sql/request-log.ts, provisioning/request-log/) -------

  /** Inserts recorded requests, a multi-row INSERT per few hundred (the recorder's batches). */
  appendRequestLog(entries: readonly NewRequestLogEntry[]): Promise<void>;
  /** A tenant's recorded requests, newest first, before the row `scan.after` (a seq, exclusive); bodies left out. */
  listRequestLog(tenantId: string, query: RequestLogQuery, scan: Scan): Promise<RequestLogEntry[]>;
  /** One recorded request of the tenant, with its bodies; undefined when the tenant has no such row. */
  getRequestLogEntry(tenantId: string, seq: number): Promise<RequestLogEntry | undefined>;
  /** The tenant's health from its log, as of `now`: indexed counts, never rows loaded (store/sql/request-log.ts). */
  requestLogHealth(tenantId: string, now: string): Promise<RequestLogHealth>;
  /** Deletes up to `limit` of the oldest rows older than `before` (any tenant); returns how many. */
  pruneRequestLog(before: string, limit: number): Promise<number>;
  /** Deletes up to `limit` of the tenant's oldest rows beyond its newest `keep`; returns how many. */
  capRequestLog(tenantId: string, keep: number, limit: number): Promise<number>;
}

/**
 * What the SAML sign-in needs of storage (issue 12): connections, the AuthnRequests awaiting an
 * answer, accepted assertion ids (replay), the one-time codes handed to the app, and the JWT
 * signing keys. Part of Store; apart here so the concern reads as one.
 */
export interface SamlStore {
  // connections (provisioning/sso/connections.ts)
  /** Inserts a connection; with `record`, its audit entry in the same transaction. Throws UniquenessViolation('Tenant', 'samlConnection.name'). */
  createSamlConnection(connection: SamlConnectionRecord, record?: ActionRecord): Promise<void>;
  getSamlConnection(tenantId: string, id: string): Promise<SamlConnectionRecord | undefined>;
  listSamlConnections(tenantId: string): Promise<SamlConnectionRecord[]>;
  /** Replaces the connection's fields (all but id, tenantId, createdAt); false when it is gone. */
  updateSamlConnection(connection: SamlConnectionRecord, record?: ActionRecord): Promise<boolean>;
  deleteSamlConnection(tenantId: string, id: string, record?: ActionRecord): Promise<boolean>;
  /**
   * Claims up to `limit` connections whose metadata URL is due (next_refresh_at <= now), moving
   * their next_refresh_at to `claimUntil` so another process does not fetch the same one meanwhile.
   */
  claimSamlRefreshes(now: string, claimUntil: string, limit: number): Promise<SamlConnectionRecord[]>;

  // AuthnRequests (saml_requests): InResponseTo, across processes
  saveSamlRequest(request: SamlRequestRecord): Promise<void>;
  /** Deletes and returns the tenant's unexpired request `id` (single use); undefined when none. */
  takeSamlRequest(tenantId: string, id: string, now: string): Promise<SamlRequestRecord | undefined>;
  /** The tenant's unexpired request `id`, left in place (a test sign-in's failure page reads it before any check). */
  findSamlRequest(tenantId: string, id: string, now: string): Promise<SamlRequestRecord | undefined>;

  /** Records an accepted assertion id; false when it was accepted before and has not expired (a replay). */
  acceptAssertionId(tenantId: string, id: string, expiresAt: string, now: string): Promise<boolean>;

  // one-time codes (sso_codes)
  createSsoCode(code: SsoCodeRecord): Promise<void>;
  /** Marks the code used and returns it, when it exists, is unused and unexpired; else undefined. Atomic across processes. */
  redeemSsoCode(hash: string, now: string): Promise<SsoCodeRecord | undefined>;

  // JWT signing keys (signing_keys)
  listSigningKeys(now: string): Promise<SigningKeyRecord[]>;
  insertSigningKey(key: SigningKeyRecord): Promise<void>;

  /** Deletes expired requests, assertion ids, codes and signing keys; returns how many rows went. */
  pruneSaml(now: string, limit: number): Promise<number>;
}

/** Which part of a SAML response must carry the IdP's signature. */
export type SamlSignedPart = 'assertion' | 'response' | 'either' | 'both';

/** One SAML identity provider a tenant trusts (saml_connections). */
export interface SamlConnectionRecord {
  id: string;
  tenantId: string;
  name: string;
  /** The IdP's entity id: the Issuer its responses must carry. */
  entityId: string;
  /** Where AuthnRequests are sent (HTTP-Redirect binding). */
  ssoUrl: string;
  /** Base64 DER signing certificates; several during a rollover. */
  certificates: string[];
  metadataUrl: string | null;
  metadataXml: string | null;
  signed: SamlSignedPart;
  allowSha1: boolean;
  idpInitiated: boolean;
  enabled: boolean;
  nextRefreshAt: string | null;
  refreshedAt: string | null;
  refreshError: string | null;
  refreshFailedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An AuthnRequest sent, awaiting its response. */
export interface SamlRequestRecord {
  tenantId: string; id: string; connectionId: string; returnTo: string | null; createdAt: string; expiresAt: string;
  /** 'test': an administrator's test sign-in (migration 012): answered by a result page, never a sign-in. */
  purpose: 'sign-in' | 'test';
}

/** A one-time sign-in code; only its SHA-256 (hex) is stored. `profile` is what the exchange returns. */
export interface SsoCodeRecord {
  hash: string; tenantId: string; userId: string; connectionId: string;
  profile: Record<string, unknown>; createdAt: string; expiresAt: string; usedAt: string | null;
}

/** A JWT signing key (JWKs as JSON objects). */
export interface SigningKeyRecord {
  kid: string; alg: string; publicJwk: Record<string, unknown>; privateJwk: Record<string, unknown>;
  createdAt: string; retiresAt: string; expiresAt: string;
}

// ---- event delivery (issue 10) -----------------------------------------------------------------

export type ConsumerKind = 'webhook' | 'email' | 'listeners';
export type ConsumerState = 'ok' | 'failing' | 'gone';
export type DeliveryOutcomeName = 'delivered' | 'failed' | 'dead' | 'skipped';

/** Store.deliveryBacklog: one consumer kind's streams that are behind. */
export interface DeliveryBacklog { kind: ConsumerKind; pending: number; oldestAt: string | null }

/** Store.poolUse: connections open (in use or idle), idle, requests waiting for one, and the most allowed. */
export interface PoolUse { total: number; idle: number; waiting: number; max: number }

/** Who receives events: a webhook endpoint, the welcome email, the in-process listeners. */
export interface ConsumerRecord {
  id: string;
  kind: ConsumerKind;
  /** null: every tenant's events (a global endpoint). */
  tenantId: string | null;
  url: string | null;
  description: string | null;
  /** Event types it receives; null: all. */
  types: string[] | null;
  enabled: boolean;
  /** whsec_…: stored readable (it is the HMAC key), never listed by the admin API. */
  secret: string | null;
  /** The secret before the last rotation: it signs too until previousUntil. */
  previousSecret: string | null;
  previousUntil: string | null;
  state: ConsumerState;
  stateReason: string | null;
  /** The overall head when it was created: events up to it are not sent. */
  startPosition: number;
  createdAt: string;
  updatedAt: string;
}

export type NewConsumer = Omit<ConsumerRecord, 'startPosition' | 'state' | 'stateReason' | 'updatedAt'>;

export type ConsumerPatch = Partial<Pick<ConsumerRecord, 'url' | 'description' | 'types' | 'enabled' | 'secret' | 'previousSecret' | 'previousUntil' | 'state' | 'stateReason'>>;

/** A stream held by one process: one consumer's progress through one tenant's events. */
export interface StreamClaim {
  consumerId: string;
  tenantId: string;
  /** The tenant position of the last event done. */
  position: number;
  /** Failed attempts at the next event so far. */
  attempts: number;
  /** This claim's lease token: writes succeed only while it still holds the stream. */
  lease: string;
}

export interface NewDeliveryAttempt {
  at: string;
  consumerId: string;
  tenantId: string;
  eventId: string;
  position: number;
  status: number | null;
  latencyMs: number | null;
  error: string | null;
  outcome: DeliveryOutcomeName;
}

export interface DeliveryAttempt extends NewDeliveryAttempt { seq: number }

export interface NewDeadLetter {
  consumerId: string;
  tenantId: string;
  eventId: string;
  position: number;
  tenantPosition: number;
  at: string;
  attempts: number;
  lastError: string | null;
}

export interface DeadLetter extends NewDeadLetter {
  seq: number;
  /** A replay is pending, due then. */
  replayAt: string | null;
  replayAttempts: number;
  replayedAt: string | null;
}

export interface ReplayClaim { seq: number; consumerId: string; tenantId: string; eventId: string; replayAttempts: number; lease: string }


// ---- SCIM request log (issue 13) -----------------------------------------------------------------

/** A recorded body: redacted JSON text (cut at the configured size), and the original's size in characters. */
export interface RecordedBody { text: string; size: number; truncated: boolean }

/** One SCIM request as the recorder writes it (provisioning/request-log/recorder.ts). */
export interface NewRequestLogEntry {
  tenantId: string;
  /** When it was answered. */
  at: string;
  method: string;
  /** The request target as received: path and query string. */
  path: string;
  /** The `filter` query parameter, decoded. */
  filter: string | null;
  status: number;
  scimType: string | null;
  detail: string | null;
  /** The SCIM error's machine-readable reason code (scim/errors.ts ErrorReason). */
  reason: string | null;
  latencyMs: number;
  requestId: string;
  /** The token that authenticated the request; null when authentication failed. */
  tokenId: string | null;
  userAgent: string | null;
  resourceType: 'User' | 'Group' | null;
  resourceId: string | null;
  /** null: the request had no body (a GET) or bodies are not recorded. */
  requestBody: RecordedBody | null;
  responseBody: RecordedBody | null;
}

export interface RequestLogEntry extends NewRequestLogEntry { seq: number }

/** Filters of a tenant's request log (the admin API's query parameters). */
export interface RequestLogQuery {
  /** 2 for 2xx, 4 for 4xx, … */
  statusClass?: number;
  method?: string;
  /** at >= since, at < until (ISO 8601). */
  since?: string;
  until?: string;
  /** Requests about this user or group. */
  resourceId?: string;
  requestId?: string;
}

/** Requests in a window and how they ended. */
export interface RequestCounts { requests: number; clientErrors: number; serverErrors: number }

/** What the health view reads from a tenant's log. */
export interface RequestLogHealth {
  lastRequestAt: string | null;
  lastHour: RequestCounts;
  lastDay: RequestCounts;
  /** The User-Agent of the newest authenticated request, and when it came. */
  lastClient: { userAgent: string | null; at: string } | null;
  /** The newest request answered with a status of 400 or more. */
  lastError: RequestLogEntry | null;
  /**
   * The last 24 hours as 24 one-hour windows ending at `now`, oldest first: window i covers
   * [now - (24 - i) h, now - (23 - i) h); the last is lastHour and together they are lastDay.
   */
  hourly: HourlyRequestCounts[];
}

/** Requests in one hour of the health view's day; `start` is the window's first instant (ISO 8601). */
export interface HourlyRequestCounts extends RequestCounts { start: string }

// ---- console sessions and setup links (issue 13: store/sql/console.ts, docs/console.md) ---------

/** What a setup link lets its holder set up (besides reading the tenant's setup pages). */
export type SetupPurpose = 'scim' | 'sso';

/** A customer setup link (setup_links). Only the SHA-256 (hex) of its "rcl_" token is stored. */
export interface SetupLinkRecord {
  id: string;
  tenantId: string;
  hash: string;
  purposes: SetupPurpose[];
  note: string | null;
  /** The admin key that made it, as it was then (null when made by the CLI or the library). */
  createdByKeyId: string | null;
  createdByKeyName: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  completedAt: string | null;
  lastUsedAt: string | null;
}

/** A setup link with the tenant it is for (slug and name as they are now). */
export interface SetupLinkWithTenant { link: SetupLinkRecord; tenant: { id: string; slug: string; name: string } }

/** A signed-in browser (console_sessions); `id` is the SHA-256 (hex) of the cookie's secret. */
export interface ConsoleSessionRecord {
  id: string;
  kind: 'admin' | 'setup';
  /** An admin session's key; null for a setup session. */
  adminKeyId: string | null;
  /** A setup session's link and its tenant; null for an admin session. */
  setupLinkId: string | null;
  tenantId: string | null;
  createdAt: string;
  /** Absolute end. */
  expiresAt: string;
  /** End unless used before then; slid forward on use (at most one write a minute). */
  idleExpiresAt: string;
  revokedAt: string | null;
}

/** What the console's sessions and the setup links need of storage (store/sql/console.ts). */
export interface ConsoleStore {
  /** Inserts a link; with `record`, its audit entry in the same transaction. */
  createSetupLink(link: SetupLinkRecord, record?: ActionRecord): Promise<void>;
  /** A tenant's links, newest first, at most `limit`. */
  listSetupLinks(tenantId: string, limit: number): Promise<SetupLinkRecord[]>;
  /** The link whose token has this hash, with its tenant; one indexed read. */
  findSetupLinkByHash(hash: string): Promise<SetupLinkWithTenant | undefined>;
  /** A link by id, with its tenant (a setup session's check on each request). */
  getSetupLink(id: string): Promise<SetupLinkWithTenant | undefined>;
  /**
   * Revokes the tenant's link `id` unless already revoked or completed, ending its sessions, in one
   * transaction with `record`; false (nothing written) otherwise.
   */
  revokeSetupLink(tenantId: string, id: string, at: string, record?: ActionRecord): Promise<boolean>;
  /** Marks the link completed (used up) unless revoked or completed already, ending its sessions; false otherwise. */
  completeSetupLink(id: string, at: string, record?: ActionRecord): Promise<boolean>;
  /** Sets the link's last use, at most once a minute (fresher values are left alone). */
  touchSetupLink(id: string, at: string): Promise<void>;
  /** An admin key by id (an admin session's check on each request). */
  getAdminKey(id: string): Promise<AdminKeyRecord | undefined>;
  createConsoleSession(session: ConsoleSessionRecord): Promise<void>;
  getConsoleSession(id: string): Promise<ConsoleSessionRecord | undefined>;
  /** Moves the session's idle end to `idleExpiresAt` when that is more than a minute later than the stored one (one write a minute at most). */
  slideConsoleSession(id: string, idleExpiresAt: string): Promise<void>;
  /** Ends a session (sign out); false when it was ended already or is unknown. */
  revokeConsoleSession(id: string, at: string): Promise<boolean>;
  /**
   * Deletes sessions that ended (expired, idle or revoked) before `now` and links that expired
   * before `linksExpiredBefore`, at most `limit` rows in all; returns how many went.
   */
  pruneConsole(now: string, linksExpiredBefore: string, limit: number): Promise<number>;
}
