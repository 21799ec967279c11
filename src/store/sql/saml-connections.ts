// SAML connections' SQL (migration 009, provisioning/sso/connections.ts): a tenant's identity
// providers, and the claim of those whose metadata URL is due for a refresh.
//
// Claims. A due connection (next_refresh_at <= now) is claimed by moving its next_refresh_at to the
// claim's end in the same statement that picks it, so a second process claiming meanwhile does not
// pick it too (PostgreSQL: FOR UPDATE SKIP LOCKED in the pick; SQLite: one writer at a time). The
// refresher then writes the connection's next time itself; if the process dies mid-fetch the
// connection is due again when the claim ends.
import { sql } from './kysely.ts';
import { UniquenessViolation, type SamlConnectionRecord, type SamlSignedPart } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { canNameRow } from './lookup-key.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const toSamlConnection = (r: Row): SamlConnectionRecord => ({
  id: r.id as string, tenantId: r.tenant_id as string, name: r.name as string, entityId: r.entity_id as string, ssoUrl: r.sso_url as string,
  certificates: JSON.parse(r.certificates as string) as string[], metadataUrl: str(r.metadata_url), metadataXml: str(r.metadata_xml),
  signed: r.signed as SamlSignedPart, allowSha1: Boolean(r.allow_sha1), idpInitiated: Boolean(r.idp_initiated), enabled: Boolean(r.enabled),
  nextRefreshAt: str(r.next_refresh_at), refreshedAt: str(r.refreshed_at), refreshError: str(r.refresh_error), refreshFailedAt: str(r.refresh_failed_at),
  createdAt: r.created_at as string, updatedAt: r.updated_at as string,
});

export async function createSamlConnection(db: QueryRunner, d: SqlDialect, c: SamlConnectionRecord): Promise<void> {
  try {
    await db.run(sql`INSERT INTO saml_connections (id, tenant_id, name, entity_id, sso_url, certificates, metadata_url, metadata_xml, signed,
        allow_sha1, idp_initiated, enabled, next_refresh_at, refreshed_at, refresh_error, refresh_failed_at, created_at, updated_at)
      VALUES (${c.id}, ${c.tenantId}, ${c.name}, ${c.entityId}, ${c.ssoUrl}, ${JSON.stringify(c.certificates)}, ${c.metadataUrl}, ${c.metadataXml}, ${c.signed},
        ${d.boolParam(c.allowSha1)}, ${d.boolParam(c.idpInitiated)}, ${d.boolParam(c.enabled)}, ${c.nextRefreshAt}, ${c.refreshedAt}, ${c.refreshError},
        ${c.refreshFailedAt}, ${c.createdAt}, ${c.updatedAt})`);
  } catch (err) {
    if (d.isUniqueViolation(err)) throw new UniquenessViolation('Tenant', 'samlConnection.name');
    throw err;
  }
}

export async function getSamlConnection(db: QueryRunner, tenantId: string, id: string): Promise<SamlConnectionRecord | undefined> {
  if (!canNameRow(tenantId) || !canNameRow(id)) return undefined;
  const r = await db.run(sql<Row>`SELECT * FROM saml_connections WHERE tenant_id = ${tenantId} AND id = ${id}`);
  return r.rows[0] ? toSamlConnection(r.rows[0]) : undefined;
}

/** A tenant has a handful of connections: listed whole, by name. */
export async function listSamlConnections(db: QueryRunner, tenantId: string): Promise<SamlConnectionRecord[]> {
  if (!canNameRow(tenantId)) return [];
  const r = await db.run(sql<Row>`SELECT * FROM saml_connections WHERE tenant_id = ${tenantId} ORDER BY name, id`);
  return r.rows.map(toSamlConnection);
}

export async function updateSamlConnection(db: QueryRunner, d: SqlDialect, c: SamlConnectionRecord): Promise<boolean> {
  if (!canNameRow(c.tenantId) || !canNameRow(c.id)) return false;
  try {
    const r = await db.run(sql`UPDATE saml_connections SET name = ${c.name}, entity_id = ${c.entityId}, sso_url = ${c.ssoUrl},
        certificates = ${JSON.stringify(c.certificates)}, metadata_url = ${c.metadataUrl}, metadata_xml = ${c.metadataXml}, signed = ${c.signed},
        allow_sha1 = ${d.boolParam(c.allowSha1)}, idp_initiated = ${d.boolParam(c.idpInitiated)}, enabled = ${d.boolParam(c.enabled)},
        next_refresh_at = ${c.nextRefreshAt}, refreshed_at = ${c.refreshedAt}, refresh_error = ${c.refreshError}, refresh_failed_at = ${c.refreshFailedAt},
        updated_at = ${c.updatedAt}
      WHERE tenant_id = ${c.tenantId} AND id = ${c.id}`);
    return Number(r.numAffectedRows ?? 0) > 0;
  } catch (err) {
    if (d.isUniqueViolation(err)) throw new UniquenessViolation('Tenant', 'samlConnection.name');
    throw err;
  }
}

export async function deleteSamlConnection(db: QueryRunner, tenantId: string, id: string): Promise<boolean> {
  if (!canNameRow(tenantId) || !canNameRow(id)) return false;
  // Its AuthnRequests in flight go with it: a response to one must not find a connection to use.
  await db.run(sql`DELETE FROM saml_requests WHERE tenant_id = ${tenantId} AND connection_id = ${id}`);
  const r = await db.run(sql`DELETE FROM saml_connections WHERE tenant_id = ${tenantId} AND id = ${id}`);
  return Number(r.numAffectedRows ?? 0) > 0;
}

export async function claimSamlRefreshes(db: QueryRunner, d: SqlDialect, now: string, claimUntil: string, limit: number): Promise<SamlConnectionRecord[]> {
  if (limit <= 0) return [];
  // Most ticks find nothing due: a read answers that without taking SQLite's write lock.
  if (!(await db.run(sql<Row>`SELECT 1 AS due FROM saml_connections WHERE next_refresh_at <= ${now} LIMIT 1`)).rows.length) return [];
  const r = await db.run(sql<Row>`UPDATE saml_connections SET next_refresh_at = ${claimUntil}
    WHERE id IN (SELECT sc.id FROM saml_connections sc WHERE sc.next_refresh_at <= ${now} AND sc.metadata_url IS NOT NULL
      ORDER BY sc.next_refresh_at LIMIT ${limit}${d.skipLocked('sc')})
    AND next_refresh_at <= ${now}
    RETURNING *`);
  return r.rows.map(toSamlConnection);
}
