// The sign-in's short-lived state (migration 009, provisioning/sso/handoff.ts, http/saml/): the
// AuthnRequests awaiting an answer, accepted assertion ids, the one-time codes handed to the app,
// and the keys that sign the JWTs. Everything single-use is decided by one statement whose WHERE
// clause holds the condition (DELETE … RETURNING, UPDATE … WHERE used_at IS NULL RETURNING,
// INSERT … ON CONFLICT … WHERE), so two processes racing for the same row cannot both win: on
// PostgreSQL the second statement waits for the first's row lock and re-checks the condition
// (READ COMMITTED), on SQLite there is one writer at a time.
//
// Times are ISO 8601 strings as Date#toISOString writes them (fixed width, UTC), so comparing them
// as text compares them as times.
import { sql, type RawBuilder } from './kysely.ts';
import type { SamlRequestRecord, SigningKeyRecord, SsoCodeRecord } from '../store.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
const json = (v: unknown): Record<string, unknown> => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

const toRequest = (r: Row): SamlRequestRecord => ({
  tenantId: r.tenant_id as string, id: r.id as string, connectionId: r.connection_id as string, returnTo: (r.return_to as string | null) ?? null,
  createdAt: r.created_at as string, expiresAt: r.expires_at as string, purpose: r.purpose === 'test' ? 'test' : 'sign-in',
});
const toCode = (r: Row): SsoCodeRecord => ({
  hash: r.hash as string, tenantId: r.tenant_id as string, userId: r.user_id as string, connectionId: r.connection_id as string,
  profile: json(r.profile), createdAt: r.created_at as string, expiresAt: r.expires_at as string, usedAt: (r.used_at as string | null) ?? null,
});
const toKey = (r: Row): SigningKeyRecord => ({
  kid: r.kid as string, alg: r.alg as string, publicJwk: json(r.public_jwk), privateJwk: json(r.private_jwk),
  createdAt: r.created_at as string, retiresAt: r.retires_at as string, expiresAt: r.expires_at as string,
});

export async function saveSamlRequest(db: QueryRunner, q: SamlRequestRecord): Promise<void> {
  await db.run(sql`INSERT INTO saml_requests (tenant_id, id, connection_id, return_to, created_at, expires_at, purpose)
    VALUES (${q.tenantId}, ${q.id}, ${q.connectionId}, ${q.returnTo}, ${q.createdAt}, ${q.expiresAt}, ${q.purpose})`);
}

export async function findSamlRequest(db: QueryRunner, tenantId: string, id: string, now: string): Promise<SamlRequestRecord | undefined> {
  const r = await db.run(sql<Row>`SELECT * FROM saml_requests WHERE tenant_id = ${tenantId} AND id = ${id} AND expires_at > ${now}`);
  return r.rows[0] ? toRequest(r.rows[0]) : undefined;
}

/** Deletes the request whatever its expiry (an expired one is of no use either) and returns it only while unexpired. */
export async function takeSamlRequest(db: QueryRunner, tenantId: string, id: string, now: string): Promise<SamlRequestRecord | undefined> {
  const r = await db.run(sql<Row>`DELETE FROM saml_requests WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING *`);
  const row = r.rows[0];
  return row && (row.expires_at as string) > now ? toRequest(row) : undefined;
}

/**
 * Inserts the id, or takes over a row whose assertion has expired (the id may come round again
 * once the assertion it belonged to can no longer be replayed); a row returned means accepted.
 */
export async function acceptAssertionId(db: QueryRunner, tenantId: string, id: string, expiresAt: string, now: string): Promise<boolean> {
  const r = await db.run(sql<Row>`INSERT INTO saml_assertions (tenant_id, id, expires_at) VALUES (${tenantId}, ${id}, ${expiresAt})
    ON CONFLICT (tenant_id, id) DO UPDATE SET expires_at = excluded.expires_at WHERE saml_assertions.expires_at <= ${now}
    RETURNING id`);
  return r.rows.length === 1;
}

export async function createSsoCode(db: QueryRunner, c: SsoCodeRecord): Promise<void> {
  await db.run(sql`INSERT INTO sso_codes (hash, tenant_id, user_id, connection_id, profile, created_at, expires_at, used_at)
    VALUES (${c.hash}, ${c.tenantId}, ${c.userId}, ${c.connectionId}, ${JSON.stringify(c.profile)}, ${c.createdAt}, ${c.expiresAt}, ${c.usedAt})`);
}

export async function redeemSsoCode(db: QueryRunner, hash: string, now: string): Promise<SsoCodeRecord | undefined> {
  const r = await db.run(sql<Row>`UPDATE sso_codes SET used_at = ${now}
    WHERE hash = ${hash} AND used_at IS NULL AND expires_at > ${now} RETURNING *`);
  return r.rows[0] ? toCode(r.rows[0]) : undefined;
}

/** The keys still published at `now` (retired ones included until they expire), newest first. */
export async function listSigningKeys(db: QueryRunner, now: string): Promise<SigningKeyRecord[]> {
  const r = await db.run(sql<Row>`SELECT * FROM signing_keys WHERE expires_at > ${now} ORDER BY created_at DESC, kid`);
  return r.rows.map(toKey);
}

export async function insertSigningKey(db: QueryRunner, k: SigningKeyRecord): Promise<void> {
  await db.run(sql`INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at, retires_at, expires_at)
    VALUES (${k.kid}, ${k.alg}, ${JSON.stringify(k.publicJwk)}, ${JSON.stringify(k.privateJwk)}, ${k.createdAt}, ${k.retiresAt}, ${k.expiresAt})`);
}

/**
 * Deletes expired rows, at most `limit` in all (a bounded statement per table, so a large backlog
 * is worked off in short statements that never hold the write lock for long); returns how many.
 * A used code goes when it expires: until then it still answers "already used" (no difference
 * visible to the caller either way).
 */
export async function pruneSaml(db: QueryRunner, now: string, limit: number): Promise<number> {
  let left = limit;
  const prune = async (statement: (n: number) => RawBuilder<unknown>) => {
    if (left <= 0) return;
    const r = await db.run(statement(left));
    left -= Number(r.numAffectedRows ?? 0n);
  };
  await prune((n) => sql`DELETE FROM saml_requests WHERE (tenant_id, id) IN
    (SELECT tenant_id, id FROM saml_requests WHERE expires_at <= ${now} LIMIT ${n})`);
  await prune((n) => sql`DELETE FROM saml_assertions WHERE (tenant_id, id) IN
    (SELECT tenant_id, id FROM saml_assertions WHERE expires_at <= ${now} LIMIT ${n})`);
  await prune((n) => sql`DELETE FROM sso_codes WHERE hash IN (SELECT hash FROM sso_codes WHERE expires_at <= ${now} LIMIT ${n})`);
  await prune((n) => sql`DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys WHERE expires_at <= ${now} LIMIT ${n})`);
  return limit - left;
}
