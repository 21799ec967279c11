// The outbox's SQL (migration 006, docs/events.md): appending a change's events inside its
// transaction, giving them positions in commit order, and reading them back in that order.
//
// Positions. An app reading the feed keeps the last position it saw and asks for what comes after,
// so a position must never be given to an event after a later one has been read. Insertion order
// cannot promise that on PostgreSQL: a transaction that inserts first may commit last, and a reader
// in between would pass over its event for good. So PostgreSQL writers insert events without a
// position, and the sequencer (sequence() below, one at a time under an advisory lock) gives
// positions afterwards to the events it can see — committed ones — continuing from the last it gave.
// An event that commits late is simply seen by a later run and numbered after everything numbered so
// far: no reader can have passed it. Within one run, events are numbered by (transaction id,
// insertion order). Writers never wait for one another: no counter row is shared between concurrent
// SCIM writes, of one tenant or of many (measured: docs/design.md "Events"). SQLite's writers commit
// one at a time (BEGIN IMMEDIATE), so there the position is given at insert, from the same
// event_heads rows.
import { sql } from './kysely.ts';
import type { EventActor, EventQuery, EventRecord, NewEvent } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
/** Rows per INSERT: 12 parameters each, well inside both databases' limits. */
const CHUNK = 500;
/** The overall head's key in event_heads. */
const ALL = '';
/** pg_advisory_xact_lock key of the sequencer ("rcevents"). */
export const SEQUENCER_LOCK = '8242543633787285107';

const parse = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

export const toEvent = (r: Row): EventRecord => ({
  id: r.id as string, tenantId: r.tenant_id as string, tenantSlug: r.tenant_slug as string, type: r.type as string, at: r.at as string,
  position: Number(r.position), tenantPosition: Number(r.tenant_position), actor: parse(r.actor) as EventActor,
  requestId: (r.request_id as string) ?? null, data: parse(r.data) as Record<string, unknown>,
});

/** Appends events in one INSERT per 500; on SQLite with their positions, on PostgreSQL for the sequencer. */
export async function appendEvents(db: QueryRunner, dialect: SqlDialect, events: readonly NewEvent[]): Promise<void> {
  if (!events.length) return;
  if (!dialect.oneWriter) {
    for (let i = 0; i < events.length; i += CHUNK) {
      const rows = events.slice(i, i + CHUNK).map((e) => sql`(${e.id}, ${e.tenantId}, ${e.tenantSlug}, ${e.type}, ${e.at}, NULL, NULL, ${JSON.stringify(e.actor)}, ${e.requestId}, ${JSON.stringify(e.data)})`);
      await db.run(sql`INSERT INTO events (id, tenant_id, tenant_slug, type, at, position, tenant_position, actor, request_id, data) VALUES ${sql.join(rows)}`);
    }
    return;
  }
  // SQLite: this transaction holds the write lock, so it can take the next positions itself.
  const positions = await takePositions(db, events.map((e) => e.tenantId));
  for (let i = 0; i < events.length; i += CHUNK) {
    const rows = events.slice(i, i + CHUNK).map((e, k) => {
      const p = positions[i + k];
      return sql`(${e.id}, ${e.tenantId}, ${e.tenantSlug}, ${e.type}, ${e.at}, ${p.position}, ${p.tenantPosition}, ${JSON.stringify(e.actor)}, ${e.requestId}, ${JSON.stringify(e.data)})`;
    });
    await db.run(sql`INSERT INTO events (id, tenant_id, tenant_slug, type, at, position, tenant_position, actor, request_id, data) VALUES ${sql.join(rows)}`);
  }
}

/**
 * The next positions, overall and per tenant, for events of these tenants in this order: the heads
 * move once, in one statement that returns where they now stand (a SELECT then an UPDATE cost twice
 * as much on SQLite: bench, "Issue 10"). Only one writer may call it at a time: SQLite's writer, or
 * PostgreSQL's sequencer under its lock.
 */
async function takePositions(db: QueryRunner, tenantIds: readonly string[]): Promise<{ position: number; tenantPosition: number }[]> {
  const counts = new Map<string, number>([[ALL, tenantIds.length]]);
  for (const t of tenantIds) counts.set(t, (counts.get(t) ?? 0) + 1);
  const rows = [...counts].map(([t, n]) => sql`(${t}, ${n})`);
  const moved = await db.run(sql<Row>`INSERT INTO event_heads (tenant_id, position) VALUES ${sql.join(rows)}
    ON CONFLICT (tenant_id) DO UPDATE SET position = event_heads.position + excluded.position RETURNING tenant_id, position`);
  // Each head as it stood before: where it now stands less the count taken.
  const heads = new Map(moved.rows.map((r) => [r.tenant_id as string, Number(r.position) - counts.get(r.tenant_id as string)!]));
  let all = heads.get(ALL)!;
  return tenantIds.map((t) => {
    const tenantPosition = heads.get(t)! + 1;
    heads.set(t, tenantPosition);
    return { position: ++all, tenantPosition };
  });
}

/**
 * PostgreSQL's sequencer: gives positions, in (txid, seq) order, to up to `limit` committed events
 * that have none; returns how many. Run inside a transaction that holds SEQUENCER_LOCK, so positions
 * are given by one sequencer at a time, never twice, each run after the last one's.
 */
export async function sequence(db: QueryRunner, limit: number): Promise<number> {
  const ready = await db.run(sql<Row>`SELECT seq, tenant_id FROM events WHERE position IS NULL ORDER BY txid, seq LIMIT ${limit}`);
  if (!ready.rows.length) return 0;
  const positions = await takePositions(db, ready.rows.map((r) => r.tenant_id as string));
  await db.run(sql`UPDATE events SET position = v.position, tenant_position = v.tenant_position
    FROM unnest(${ready.rows.map((r) => String(r.seq))}::bigint[], ${positions.map((p) => p.position)}::bigint[], ${positions.map((p) => p.tenantPosition)}::bigint[])
      AS v(seq, position, tenant_position)
    WHERE events.seq = v.seq`);
  return ready.rows.length;
}

/**
 * Events in position order after `after`, or newest first before `before`: only positioned ones, so a
 * reader never passes a late commit.
 */
export async function readEvents(db: QueryRunner, q: EventQuery): Promise<EventRecord[]> {
  const desc = q.newestFirst === true;
  const order = desc ? sql`DESC` : sql`ASC`;
  const cursor = desc ? q.before : q.after;
  const conds = [sql`position IS NOT NULL`];
  if (q.until !== undefined) conds.push(sql`position <= ${q.until}`);
  if (q.types?.length) conds.push(sql`type IN (${sql.join(q.types)})`);
  if (q.tenantId !== undefined) {
    // One tenant's events: by (tenant_id, tenant_position), the index they are stored in order in.
    // Given "tenant_id = ? AND position > ?", SQLite took that index and read every event of the
    // tenant from its first (the same trap as in delivery.ts): the cursor's position is turned into
    // the tenant's own position first (the tenant's last event at or before it, or before it when
    // reading newest first), a seek from its end.
    let bound: number | undefined;
    if (cursor !== undefined && (desc || cursor > 0)) {
      const r = await db.run(sql<Row>`SELECT tenant_position FROM events WHERE tenant_id = ${q.tenantId} AND position IS NOT NULL
        AND ${desc ? sql`position < ${cursor}` : sql`position <= ${cursor}`} ORDER BY tenant_position DESC LIMIT 1`);
      bound = r.rows[0] ? Number(r.rows[0].tenant_position) : 0;
    }
    if (desc) {
      if (bound === 0) return [];
      if (bound !== undefined) conds.push(sql`tenant_position <= ${bound}`);
    } else {
      conds.push(sql`tenant_position > ${bound ?? 0}`);
    }
    const r = await db.run(sql<Row>`SELECT * FROM events WHERE tenant_id = ${q.tenantId} AND ${sql.join(conds, sql` AND `)}
      ORDER BY tenant_position ${order} LIMIT ${q.limit}`);
    return r.rows.map(toEvent);
  }
  if (cursor !== undefined) conds.push(desc ? sql`position < ${cursor}` : sql`position > ${cursor}`);
  const r = await db.run(sql<Row>`SELECT * FROM events WHERE ${sql.join(conds, sql` AND `)} ORDER BY position ${order} LIMIT ${q.limit}`);
  return r.rows.map(toEvent);
}

/** The last position given overall (0 before the first event). */
export async function eventHead(db: QueryRunner): Promise<number> {
  const r = await db.run(sql<Row>`SELECT position FROM event_heads WHERE tenant_id = ${ALL}`);
  return r.rows[0] ? Number(r.rows[0].position) : 0;
}

/**
 * Deletes up to `limit` positioned events older than `before`, oldest first; returns how many. Heads
 * are kept. Events are inserted in time order, so the oldest `limit` by seq are looked at and those
 * older than `before` go: no index on `at` (one index less for every write to maintain).
 */
export async function pruneEvents(db: QueryRunner, before: string, limit: number): Promise<number> {
  const r = await db.run(sql`DELETE FROM events WHERE seq IN (SELECT seq FROM (SELECT seq, at, position FROM events ORDER BY seq LIMIT ${limit}) AS oldest
    WHERE oldest.at < ${before} AND oldest.position IS NOT NULL)`);
  return Number(r.numAffectedRows ?? 0);
}
