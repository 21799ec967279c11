// The console's sessions and the customer setup links (migration 011, provisioning/tenants/
// setup-links.ts, provisioning/admin/console-sessions.ts). Every read is by a primary key or a
// unique index: a session by the hash of its cookie's secret, a link by the hash of its token, so a
// right and a wrong secret cost the same one indexed read. Ending a link ends its sessions in the
// same statement group (one transaction, the caller's), so no session outlives its link.
//
// Times are ISO 8601 strings as Date#toISOString writes them (fixed width, UTC): comparing them as
// text compares them as times.
import { sql, type RawBuilder } from './kysely.ts';
import type { ConsoleSessionRecord, SetupLinkRecord, SetupLinkWithTenant, SetupPurpose } from '../store.ts';
import { canNameRow } from './lookup-key.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const toLink = (r: Row): SetupLinkRecord => ({
  id: r.id as string, tenantId: r.tenant_id as string, hash: r.hash as string,
  purposes: String(r.purposes).split(',').filter(Boolean) as SetupPurpose[], note: str(r.note),
  createdByKeyId: str(r.created_by_key_id), createdByKeyName: str(r.created_by_key_name),
  createdAt: r.created_at as string, expiresAt: r.expires_at as string, revokedAt: str(r.revoked_at),
  completedAt: str(r.completed_at), lastUsedAt: str(r.last_used_at),
});

const toLinkWithTenant = (r: Row): SetupLinkWithTenant => ({
  link: toLink(r), tenant: { id: r.tenant_id as string, slug: r.tenant_slug as string, name: r.tenant_name as string },
});

const toSession = (r: Row): ConsoleSessionRecord => ({
  id: r.id as string, kind: r.kind as ConsoleSessionRecord['kind'], adminKeyId: str(r.admin_key_id), setupLinkId: str(r.setup_link_id),
  tenantId: str(r.tenant_id), createdAt: r.created_at as string, expiresAt: r.expires_at as string,
  idleExpiresAt: r.idle_expires_at as string, revokedAt: str(r.revoked_at),
});

export async function createSetupLink(db: QueryRunner, l: SetupLinkRecord): Promise<void> {
  await db.run(sql`INSERT INTO setup_links (id, tenant_id, hash, purposes, note, created_by_key_id, created_by_key_name, created_at, expires_at,
      revoked_at, completed_at, last_used_at)
    VALUES (${l.id}, ${l.tenantId}, ${l.hash}, ${l.purposes.join(',')}, ${l.note}, ${l.createdByKeyId}, ${l.createdByKeyName}, ${l.createdAt},
      ${l.expiresAt}, ${l.revokedAt}, ${l.completedAt}, ${l.lastUsedAt})`);
}

export async function listSetupLinks(db: QueryRunner, tenantId: string, limit: number): Promise<SetupLinkRecord[]> {
  if (!canNameRow(tenantId)) return [];
  const r = await db.run(sql<Row>`SELECT * FROM setup_links WHERE tenant_id = ${tenantId} ORDER BY created_at DESC, id DESC LIMIT ${limit}`);
  return r.rows.map(toLink);
}

const WITH_TENANT = sql.raw('SELECT l.*, t.slug AS tenant_slug, t.name AS tenant_name FROM setup_links l JOIN tenants t ON t.id = l.tenant_id');

export async function findSetupLinkByHash(db: QueryRunner, hash: string): Promise<SetupLinkWithTenant | undefined> {
  if (!canNameRow(hash)) return undefined;
  const r = await db.run(sql<Row>`${WITH_TENANT} WHERE l.hash = ${hash}`);
  return r.rows[0] ? toLinkWithTenant(r.rows[0]) : undefined;
}

export async function getSetupLink(db: QueryRunner, id: string): Promise<SetupLinkWithTenant | undefined> {
  if (!canNameRow(id)) return undefined;
  const r = await db.run(sql<Row>`${WITH_TENANT} WHERE l.id = ${id}`);
  return r.rows[0] ? toLinkWithTenant(r.rows[0]) : undefined;
}

/** Ends every live session of a link (inside the caller's transaction). */
async function endLinkSessions(db: QueryRunner, linkId: string, at: string): Promise<void> {
  await db.run(sql`UPDATE console_sessions SET revoked_at = ${at} WHERE setup_link_id = ${linkId} AND revoked_at IS NULL`);
}

/** Revokes the tenant's link while it is neither revoked nor completed; its sessions end with it. */
export async function revokeSetupLink(db: QueryRunner, tenantId: string, id: string, at: string): Promise<boolean> {
  if (!canNameRow(id) || !canNameRow(tenantId)) return false;
  const r = await db.run(sql`UPDATE setup_links SET revoked_at = ${at} WHERE tenant_id = ${tenantId} AND id = ${id} AND revoked_at IS NULL AND completed_at IS NULL`);
  if (Number(r.numAffectedRows ?? 0) === 0) return false;
  await endLinkSessions(db, id, at);
  return true;
}

/** Marks the link used up while it is neither revoked nor completed; its sessions end with it. */
export async function completeSetupLink(db: QueryRunner, id: string, at: string): Promise<boolean> {
  if (!canNameRow(id)) return false;
  const r = await db.run(sql`UPDATE setup_links SET completed_at = ${at} WHERE id = ${id} AND revoked_at IS NULL AND completed_at IS NULL`);
  if (Number(r.numAffectedRows ?? 0) === 0) return false;
  await endLinkSessions(db, id, at);
  return true;
}

const minuteBefore = (at: string) => new Date(Date.parse(at) - 60_000).toISOString();

export async function touchSetupLink(db: QueryRunner, id: string, at: string): Promise<void> {
  await db.run(sql`UPDATE setup_links SET last_used_at = ${at} WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < ${minuteBefore(at)})`);
}

export async function createConsoleSession(db: QueryRunner, s: ConsoleSessionRecord): Promise<void> {
  await db.run(sql`INSERT INTO console_sessions (id, kind, admin_key_id, setup_link_id, tenant_id, created_at, expires_at, idle_expires_at, revoked_at)
    VALUES (${s.id}, ${s.kind}, ${s.adminKeyId}, ${s.setupLinkId}, ${s.tenantId}, ${s.createdAt}, ${s.expiresAt}, ${s.idleExpiresAt}, ${s.revokedAt})`);
}

export async function getConsoleSession(db: QueryRunner, id: string): Promise<ConsoleSessionRecord | undefined> {
  if (!canNameRow(id)) return undefined;
  const r = await db.run(sql<Row>`SELECT * FROM console_sessions WHERE id = ${id}`);
  return r.rows[0] ? toSession(r.rows[0]) : undefined;
}

/** The condition holds the "more than a minute later" rule, so a busy session writes once a minute at most. */
export async function slideConsoleSession(db: QueryRunner, id: string, idleExpiresAt: string): Promise<void> {
  await db.run(sql`UPDATE console_sessions SET idle_expires_at = ${idleExpiresAt}
    WHERE id = ${id} AND revoked_at IS NULL AND idle_expires_at < ${minuteBefore(idleExpiresAt)}`);
}

export async function revokeConsoleSession(db: QueryRunner, id: string, at: string): Promise<boolean> {
  if (!canNameRow(id)) return false;
  const r = await db.run(sql`UPDATE console_sessions SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/**
 * Bounded statements, one per kind of row, so a backlog is worked off in short statements. A
 * link's sessions go with it (ON DELETE CASCADE), and they have ended by then anyway: a session
 * never outlives its link's expiry (provisioning/admin/console-sessions.ts).
 */
export async function pruneConsole(db: QueryRunner, now: string, linksExpiredBefore: string, limit: number): Promise<number> {
  let left = limit;
  const prune = async (statement: (n: number) => RawBuilder<unknown>) => {
    if (left <= 0) return;
    const r = await db.run(statement(left));
    left -= Number(r.numAffectedRows ?? 0n);
  };
  await prune((n) => sql`DELETE FROM console_sessions WHERE id IN (SELECT id FROM console_sessions
    WHERE expires_at <= ${now} OR idle_expires_at <= ${now} OR revoked_at IS NOT NULL LIMIT ${n})`);
  await prune((n) => sql`DELETE FROM setup_links WHERE id IN (SELECT id FROM setup_links WHERE expires_at < ${linksExpiredBefore} LIMIT ${n})`);
  return limit - left;
}
