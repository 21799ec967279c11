// Delivery's SQL (migration 007, events/engine.ts): consumers, their streams (one per consumer and
// tenant), attempts and dead letters.
//
// Finding work. A stream is due when next_attempt_at <= now; idle streams hold NULL there, so the
// claim reads the due ones through an index and never looks at every tenant. Streams are made due by
// discovery: the engine looks through the events after each consumer's scanned position (a window of
// positions per call, over the events(position) index), and for each tenant it meets makes that
// consumer's stream due, creating it (just before the tenant's first event met) if it is the first.
// A worker that catches up releases its stream as idle only if no later event of the tenant has been
// given a position (event_heads, compared in the same statement): an event positioned after that
// statement is met by discovery, which makes the stream due again.
//
// Claims. A lease (owner token + until) marks a stream as one process's; every write a worker makes
// names its lease, so a process whose lease expired and was taken over cannot move the stream.
// PostgreSQL picks with FOR UPDATE SKIP LOCKED, so processes claiming together take different rows
// without waiting for each other; SQLite has one writer at a time and needs no lock.
import { sql } from './kysely.ts';
import type {
  ConsumerKind, ConsumerPatch, ConsumerRecord, DeadLetter, DeliveryAttempt, DeliveryBacklog, DeliveryOutcomeName, EventRecord, NewConsumer,
  NewDeadLetter, NewDeliveryAttempt, ReplayClaim, Scan, StreamClaim, ConsumerState,
} from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { toEvent } from './events.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const parseTypes = (v: unknown): string[] | null => (typeof v === 'string' ? (JSON.parse(v) as string[]) : null);

export const toConsumer = (r: Row): ConsumerRecord => ({
  id: r.id as string, kind: r.kind as ConsumerKind, tenantId: str(r.tenant_id), url: str(r.url), description: str(r.description),
  types: parseTypes(r.types), enabled: Boolean(r.enabled), secret: str(r.secret), previousSecret: str(r.previous_secret),
  previousUntil: str(r.previous_until), state: r.state as ConsumerState, stateReason: str(r.state_reason),
  startPosition: Number(r.start_position), createdAt: r.created_at as string, updatedAt: r.updated_at as string,
});

const toAttempt = (r: Row): DeliveryAttempt => ({
  seq: Number(r.seq), at: r.at as string, consumerId: r.consumer_id as string, tenantId: r.tenant_id as string, eventId: r.event_id as string,
  position: Number(r.position), status: r.status === null ? null : Number(r.status), latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
  error: str(r.error), outcome: r.outcome as DeliveryOutcomeName,
});

const toDeadLetter = (r: Row): DeadLetter => ({
  seq: Number(r.seq), consumerId: r.consumer_id as string, tenantId: r.tenant_id as string, eventId: r.event_id as string,
  position: Number(r.position), tenantPosition: Number(r.tenant_position), at: r.at as string, attempts: Number(r.attempts),
  lastError: str(r.last_error), replayAt: str(r.replay_at), replayAttempts: Number(r.replay_attempts), replayedAt: str(r.replayed_at),
});

/** The overall head, read inside statements. */
const HEAD = sql`COALESCE((SELECT position FROM event_heads WHERE tenant_id = ''), 0)`;

export async function createConsumer(db: QueryRunner, d: SqlDialect, c: NewConsumer): Promise<ConsumerRecord> {
  await db.run(sql`INSERT INTO consumers (id, kind, tenant_id, url, description, types, enabled, secret, previous_secret, previous_until,
      state, state_reason, start_position, scanned_position, created_at, updated_at)
    VALUES (${c.id}, ${c.kind}, ${c.tenantId}, ${c.url}, ${c.description}, ${c.types ? JSON.stringify(c.types) : null}, ${d.boolParam(c.enabled)},
      ${c.secret}, ${c.previousSecret}, ${c.previousUntil}, 'ok', NULL, ${HEAD}, ${HEAD}, ${c.createdAt}, ${c.createdAt})`);
  return (await getConsumer(db, c.id))!;
}

export async function getConsumer(db: QueryRunner, id: string): Promise<ConsumerRecord | undefined> {
  const r = await db.run(sql<Row>`SELECT * FROM consumers WHERE id = ${id}`);
  return r.rows[0] ? toConsumer(r.rows[0]) : undefined;
}

export async function listConsumers(db: QueryRunner, q: { kind?: ConsumerKind; tenantId?: string | null }, scan: Scan): Promise<ConsumerRecord[]> {
  const conds = [sql`1 = 1`];
  if (q.kind) conds.push(sql`kind = ${q.kind}`);
  if (q.tenantId === null) conds.push(sql`tenant_id IS NULL`);
  else if (q.tenantId !== undefined) conds.push(sql`tenant_id = ${q.tenantId}`);
  if (scan.after !== undefined) conds.push(sql`id > ${scan.after}`);
  const r = await db.run(sql<Row>`SELECT * FROM consumers WHERE ${sql.join(conds, sql` AND `)} ORDER BY id LIMIT ${scan.limit}`);
  return r.rows.map(toConsumer);
}

const COLUMNS: Record<keyof ConsumerPatch, string> = {
  url: 'url', description: 'description', types: 'types', enabled: 'enabled', secret: 'secret', previousSecret: 'previous_secret',
  previousUntil: 'previous_until', state: 'state', stateReason: 'state_reason',
};

export async function updateConsumer(db: QueryRunner, d: SqlDialect, id: string, patch: ConsumerPatch, at: string): Promise<ConsumerRecord | undefined> {
  const sets = [sql`updated_at = ${at}`];
  for (const [key, column] of Object.entries(COLUMNS) as [keyof ConsumerPatch, string][]) {
    if (!(key in patch)) continue;
    const v = patch[key];
    const value = key === 'types' ? (v ? JSON.stringify(v) : null) : key === 'enabled' ? d.boolParam(v as boolean) : v;
    sets.push(sql`${sql.id(column)} = ${value}`);
  }
  const r = await db.run(sql`UPDATE consumers SET ${sql.join(sets)} WHERE id = ${id}`);
  if (!Number(r.numAffectedRows ?? 0)) return undefined;
  return getConsumer(db, id);
}

/** Switches a switched-off consumer on, starting at the current head; false when it was on already. */
export async function startConsumer(db: QueryRunner, d: SqlDialect, id: string, at: string): Promise<boolean> {
  const r = await db.run(sql`UPDATE consumers SET enabled = ${d.boolParam(true)}, start_position = ${HEAD}, scanned_position = ${HEAD}, updated_at = ${at}
    WHERE id = ${id} AND enabled = ${d.boolParam(false)}`);
  return Number(r.numAffectedRows ?? 0) > 0;
}

export async function deleteConsumer(db: QueryRunner, id: string): Promise<boolean> {
  // Children first: the same on both databases whether or not foreign keys cascade.
  for (const table of ['delivery_attempts', 'delivery_dead_letters', 'delivery_streams']) {
    await db.run(sql`DELETE FROM ${sql.table(table)} WHERE consumer_id = ${id}`);
  }
  const r = await db.run(sql`DELETE FROM consumers WHERE id = ${id}`);
  return Number(r.numAffectedRows ?? 0) > 0;
}

const live = (d: SqlDialect, kinds: readonly ConsumerKind[], alias = 'c') =>
  sql`${sql.ref(`${alias}.enabled`)} = ${d.bool(true)} AND ${sql.ref(`${alias}.state`)} <> 'gone' AND ${sql.ref(`${alias}.kind`)} IN (${sql.join(kinds)})`;

/**
 * Delivery's backlog per consumer kind (Store.deliveryBacklog, for /metrics): for each live
 * consumer's stream behind its tenant's head, the events after its position, and the commit time of
 * the event it delivers next (through the (tenant_id, tenant_position) index: one row per stream).
 * Streams are one per consumer and tenant with events, so this reads no event table scan. A consumer
 * with a type filter counts the events it will skip too, until its stream next runs.
 */
export async function deliveryBacklog(db: QueryRunner, d: SqlDialect): Promise<DeliveryBacklog[]> {
  const r = await db.run(sql<Row>`SELECT c.kind AS kind, SUM(h.position - s.position) AS pending, MIN(e.at) AS oldest
    FROM delivery_streams s
    JOIN consumers c ON c.id = s.consumer_id
    JOIN event_heads h ON h.tenant_id = s.tenant_id
    LEFT JOIN events e ON e.tenant_id = s.tenant_id AND e.tenant_position = s.position + 1
    WHERE ${live(d, ['webhook', 'email', 'listeners'])} AND h.position > s.position
    GROUP BY c.kind ORDER BY c.kind`);
  const out = new Map<ConsumerKind, DeliveryBacklog>(r.rows.map((row) => [row.kind as ConsumerKind, { kind: row.kind as ConsumerKind, pending: Number(row.pending), oldestAt: str(row.oldest) }]));
  // Events discovery has not looked through yet (no stream knows of them) count towards the oldest
  // age, so that delivery stopped altogether (its thread gone) shows as a growing age, not as no
  // backlog. Not added to pending: a tenant's stream, once found, counts them from its head.
  // Webhooks and email only: the listeners' consumer is looked through only while the library has
  // a listener registered, and `rollcall serve` never has one.
  const unscanned = await db.run(sql<Row>`SELECT c.kind AS kind, MIN(e.at) AS oldest
    FROM consumers c JOIN events e ON e.position = c.scanned_position + 1
    WHERE ${live(d, ['webhook', 'email'])}
    GROUP BY c.kind`);
  for (const row of unscanned.rows) {
    const kind = row.kind as ConsumerKind;
    const oldest = str(row.oldest);
    const known = out.get(kind);
    if (!known) out.set(kind, { kind, pending: 0, oldestAt: oldest });
    else if (oldest !== null && (known.oldestAt === null || oldest < known.oldestAt)) known.oldestAt = oldest;
  }
  return [...out.values()];
}

/** Whether any enabled, not-gone consumer of these kinds exists (the delivery thread starts only then). */
export async function hasLiveConsumers(db: QueryRunner, d: SqlDialect, kinds: readonly ConsumerKind[]): Promise<boolean> {
  if (!kinds.length) return false;
  const r = await db.run(sql<Row>`SELECT 1 AS one FROM consumers c WHERE ${live(d, kinds)} LIMIT 1`);
  return r.rows.length > 0;
}

export async function discoverStreams(db: QueryRunner, d: SqlDialect, kinds: readonly ConsumerKind[], now: string, window: number): Promise<number> {
  if (!kinds.length) return 0;
  const behind = await db.run(sql<Row>`SELECT c.id, c.tenant_id, c.scanned_position, h.p AS head FROM consumers c, (SELECT ${HEAD} AS p) AS h
    WHERE ${live(d, kinds)} AND c.scanned_position < h.p`);
  let made = 0;
  for (const c of behind.rows) {
    const from = Number(c.scanned_position);
    const upto = Math.min(Number(c.head), from + window);
    // The position range alone, and a tenant endpoint's own tenant picked out here: with
    // "AND tenant_id = ?" SQLite chose the (tenant_id, tenant_position) index and read every event of
    // the tenant, 80-100 ms per pass at 80,000 events, until writes stalled (bench, "Issue 10").
    const seen = (await db.run(sql<Row>`SELECT tenant_id, MIN(tenant_position) AS first FROM events
      WHERE position > ${from} AND position <= ${upto} GROUP BY tenant_id`)).rows.filter((r) => c.tenant_id === null || r.tenant_id === c.tenant_id);
    // A window can meet thousands of tenants; a statement binds at most 32,766 values on SQLite.
    for (let i = 0; i < seen.length; i += STREAMS_PER_STATEMENT) made += await makeDue(db, d, c.id as string, seen.slice(i, i + STREAMS_PER_STATEMENT), now);
    await db.run(sql`UPDATE consumers SET scanned_position = ${upto} WHERE id = ${c.id as string} AND scanned_position = ${from}`);
  }
  return made;
}

/** Tenants per statement when discovery makes streams due (5 values a row in the upsert). */
const STREAMS_PER_STATEMENT = 1000;

/** Makes the consumer's streams of these tenants due: created, or woken if idle. Returns how many changed. */
async function makeDue(db: QueryRunner, d: SqlDialect, consumerId: string, tenants: Row[], now: string): Promise<number> {
  let todo = tenants;
  // On SQLite, streams already due (or waiting out a backoff) are left out first: under steady writes
  // a tenant's stream is usually due or being worked, and an upsert that changes nothing still
  // queues for the one write lock behind the SCIM writers. Safe there because writes run one at a
  // time: a release (releaseStream) that committed before the events met here were written left
  // next_attempt_at NULL, which this read sees; one that began after them compares with an
  // event_heads that counts them, and keeps the stream due. Not on PostgreSQL: a release whose
  // statement started before the sequencer committed these events, and commits after this read,
  // would leave the stream idle with them undelivered. There the upsert waits for that release's
  // row lock and checks the row as committed.
  if (d.oneWriter) {
    const busy = new Set((await db.run(sql<Row>`SELECT tenant_id FROM delivery_streams WHERE consumer_id = ${consumerId}
      AND tenant_id IN (${sql.join(tenants.map((r) => r.tenant_id as string))}) AND next_attempt_at IS NOT NULL`)).rows.map((r) => r.tenant_id));
    todo = tenants.filter((r) => !busy.has(r.tenant_id));
  }
  if (!todo.length) return 0;
  const rows = todo.map((r) => sql`(${consumerId}, ${r.tenant_id as string}, ${Number(r.first) - 1}, 0, ${now}, ${now})`);
  // A stream that exists is made due only if idle: one waiting out a backoff keeps its time.
  const r = await db.run(sql`INSERT INTO delivery_streams (consumer_id, tenant_id, position, attempts, next_attempt_at, updated_at)
    VALUES ${sql.join(rows)}
    ON CONFLICT (consumer_id, tenant_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at
    WHERE delivery_streams.next_attempt_at IS NULL`);
  return Number(r.numAffectedRows ?? 0);
}

export async function claimStreams(db: QueryRunner, d: SqlDialect, owner: string, kinds: readonly ConsumerKind[], now: string, leaseUntil: string, limit: number): Promise<StreamClaim[]> {
  if (!kinds.length || limit <= 0) return [];
  // Most wakes find nothing due: a read answers that without a write (on SQLite, without queueing
  // behind the SCIM writers for the one write lock).
  if (!(await db.run(sql<Row>`SELECT 1 AS due FROM delivery_streams WHERE next_attempt_at <= ${now} LIMIT 1`)).rows.length) return [];
  const free = (alias: string) => sql`(${sql.ref(`${alias}.lease_until`)} IS NULL OR ${sql.ref(`${alias}.lease_until`)} <= ${now})`;
  const r = await db.run(sql<Row>`UPDATE delivery_streams SET lease_owner = ${owner}, lease_until = ${leaseUntil}
    FROM (SELECT ds.consumer_id AS cid, ds.tenant_id AS tid FROM delivery_streams ds JOIN consumers c ON c.id = ds.consumer_id
      WHERE ds.next_attempt_at <= ${now} AND ${free('ds')} AND ${live(d, kinds)}
      ORDER BY ds.next_attempt_at LIMIT ${limit}${d.skipLocked('ds')}) AS pick
    WHERE delivery_streams.consumer_id = pick.cid AND delivery_streams.tenant_id = pick.tid AND ${free('delivery_streams')}
    RETURNING consumer_id, tenant_id, position, attempts`);
  return r.rows.map((row) => ({ consumerId: row.consumer_id as string, tenantId: row.tenant_id as string, position: Number(row.position), attempts: Number(row.attempts), lease: owner }));
}

export async function streamEvents(db: QueryRunner, tenantId: string, after: number, types: readonly string[] | null, limit: number): Promise<EventRecord[]> {
  const typed = types ? (types.length ? sql` AND type IN (${sql.join(types)})` : sql` AND 1 = 0`) : sql``;
  const r = await db.run(sql<Row>`SELECT * FROM events WHERE tenant_id = ${tenantId} AND tenant_position > ${after}${typed}
    ORDER BY tenant_position LIMIT ${limit}`);
  return r.rows.map(toEvent);
}

export async function tenantHead(db: QueryRunner, tenantId: string): Promise<number> {
  const r = await db.run(sql<Row>`SELECT position FROM event_heads WHERE tenant_id = ${tenantId}`);
  return r.rows[0] ? Number(r.rows[0].position) : 0;
}

const held = (c: StreamClaim) => sql`consumer_id = ${c.consumerId} AND tenant_id = ${c.tenantId} AND lease_owner = ${c.lease}`;
const changed = (r: { numAffectedRows?: bigint }) => Number(r.numAffectedRows ?? 0) > 0;

export async function advanceStream(db: QueryRunner, c: StreamClaim, position: number, now: string, leaseUntil: string): Promise<boolean> {
  return changed(await db.run(sql`UPDATE delivery_streams SET position = ${position}, attempts = 0, last_error = NULL, lease_until = ${leaseUntil}, updated_at = ${now}
    WHERE ${held(c)}`));
}

export async function failStream(db: QueryRunner, c: StreamClaim, attempts: number, nextAttemptAt: string, error: string, now: string): Promise<boolean> {
  return changed(await db.run(sql`UPDATE delivery_streams SET attempts = ${attempts}, next_attempt_at = ${nextAttemptAt}, last_error = ${error},
    lease_owner = NULL, lease_until = NULL, updated_at = ${now} WHERE ${held(c)}`));
}

export async function releaseStream(db: QueryRunner, c: StreamClaim, position: number, now: string): Promise<boolean> {
  return changed(await db.run(sql`UPDATE delivery_streams SET position = ${position}, lease_owner = NULL, lease_until = NULL, updated_at = ${now},
    next_attempt_at = CASE WHEN ${position} >= COALESCE((SELECT h.position FROM event_heads h WHERE h.tenant_id = delivery_streams.tenant_id), 0) THEN NULL ELSE ${now} END
    WHERE ${held(c)}`));
}

/** Several attempts in one INSERT (the engine records a run of deliveries with the stream's advance). */
export async function recordAttempts(db: QueryRunner, list: readonly NewDeliveryAttempt[]): Promise<void> {
  for (let i = 0; i < list.length; i += 500) {
    const rows = list.slice(i, i + 500).map((a) => sql`(${a.at}, ${a.consumerId}, ${a.tenantId}, ${a.eventId}, ${a.position}, ${a.status}, ${a.latencyMs}, ${a.error}, ${a.outcome})`);
    await db.run(sql`INSERT INTO delivery_attempts (at, consumer_id, tenant_id, event_id, position, status, latency_ms, error, outcome) VALUES ${sql.join(rows)}`);
  }
}

/** Run inside one transaction (SqlStore.deadLetter). */
export async function deadLetter(db: QueryRunner, c: StreamClaim, l: NewDeadLetter, reason: string, leaseUntil: string): Promise<boolean> {
  if (!(await advanceStream(db, c, l.tenantPosition, l.at, leaseUntil))) return false;
  await db.run(sql`INSERT INTO delivery_dead_letters (consumer_id, tenant_id, event_id, position, tenant_position, at, attempts, last_error, replay_at, replay_attempts)
    VALUES (${l.consumerId}, ${l.tenantId}, ${l.eventId}, ${l.position}, ${l.tenantPosition}, ${l.at}, ${l.attempts}, ${l.lastError}, NULL, 0)`);
  await setConsumerState(db, l.consumerId, 'failing', reason, l.at);
  return true;
}

export async function setConsumerState(db: QueryRunner, id: string, state: ConsumerState, reason: string | null, at: string): Promise<boolean> {
  // 'gone' is left only by the admin re-enabling the endpoint (updateConsumer), never by a late success.
  const guard = state === 'gone' ? sql`` : sql` AND state <> 'gone'`;
  return changed(await db.run(sql`UPDATE consumers SET state = ${state}, state_reason = ${reason}, updated_at = ${at}
    WHERE id = ${id} AND (state <> ${state} OR state_reason IS DISTINCT FROM ${reason})${guard}`));
}

export async function listAttempts(db: QueryRunner, consumerId: string, q: { tenantId?: string; eventId?: string; outcome?: DeliveryOutcomeName }, scan: Scan): Promise<DeliveryAttempt[]> {
  const conds = [sql`consumer_id = ${consumerId}`];
  if (q.tenantId) conds.push(sql`tenant_id = ${q.tenantId}`);
  if (q.eventId) conds.push(sql`event_id = ${q.eventId}`);
  if (q.outcome) conds.push(sql`outcome = ${q.outcome}`);
  if (scan.after !== undefined) conds.push(sql`seq < ${Number(scan.after)}`);
  const r = await db.run(sql<Row>`SELECT * FROM delivery_attempts WHERE ${sql.join(conds, sql` AND `)} ORDER BY seq DESC LIMIT ${scan.limit}`);
  return r.rows.map(toAttempt);
}

export async function listDeadLetters(db: QueryRunner, consumerId: string, q: { tenantId?: string; pending?: boolean }, scan: Scan): Promise<DeadLetter[]> {
  const conds = [sql`consumer_id = ${consumerId}`];
  if (q.tenantId) conds.push(sql`tenant_id = ${q.tenantId}`);
  if (q.pending === true) conds.push(sql`replayed_at IS NULL`);
  if (scan.after !== undefined) conds.push(sql`seq < ${Number(scan.after)}`);
  const r = await db.run(sql<Row>`SELECT * FROM delivery_dead_letters WHERE ${sql.join(conds, sql` AND `)} ORDER BY seq DESC LIMIT ${scan.limit}`);
  return r.rows.map(toDeadLetter);
}

export async function replayDeadLetter(db: QueryRunner, consumerId: string, seq: number, now: string): Promise<DeadLetter | undefined> {
  await db.run(sql`UPDATE delivery_dead_letters SET replay_at = ${now}, replay_attempts = 0, replayed_at = NULL
    WHERE consumer_id = ${consumerId} AND seq = ${seq}`);
  const r = await db.run(sql<Row>`SELECT * FROM delivery_dead_letters WHERE consumer_id = ${consumerId} AND seq = ${seq}`);
  return r.rows[0] ? toDeadLetter(r.rows[0]) : undefined;
}

export async function replayFrom(db: QueryRunner, consumerId: string, eventId: string, now: string): Promise<boolean> {
  const e = await db.run(sql<Row>`SELECT tenant_id, tenant_position FROM events WHERE id = ${eventId} AND tenant_position IS NOT NULL`);
  if (!e.rows[0]) return false;
  const tenantId = e.rows[0].tenant_id as string;
  const before = Number(e.rows[0].tenant_position) - 1;
  // The lease is dropped too: a worker still holding it can no longer move the stream (its writes name its lease).
  await db.run(sql`INSERT INTO delivery_streams (consumer_id, tenant_id, position, attempts, next_attempt_at, updated_at)
    VALUES (${consumerId}, ${tenantId}, ${before}, 0, ${now}, ${now})
    ON CONFLICT (consumer_id, tenant_id) DO UPDATE SET position = excluded.position, attempts = 0, next_attempt_at = excluded.next_attempt_at,
      lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = excluded.updated_at`);
  return true;
}

export async function claimReplays(db: QueryRunner, d: SqlDialect, owner: string, kinds: readonly ConsumerKind[], now: string, leaseUntil: string, limit: number): Promise<ReplayClaim[]> {
  if (!kinds.length || limit <= 0) return [];
  if (!(await db.run(sql<Row>`SELECT 1 AS due FROM delivery_dead_letters WHERE replay_at <= ${now} LIMIT 1`)).rows.length) return [];
  const free = (alias: string) => sql`(${sql.ref(`${alias}.lease_until`)} IS NULL OR ${sql.ref(`${alias}.lease_until`)} <= ${now})`;
  const r = await db.run(sql<Row>`UPDATE delivery_dead_letters SET lease_owner = ${owner}, lease_until = ${leaseUntil}
    FROM (SELECT dl.seq AS pseq FROM delivery_dead_letters dl JOIN consumers c ON c.id = dl.consumer_id
      WHERE dl.replay_at <= ${now} AND ${free('dl')} AND ${live(d, kinds)}
      ORDER BY dl.replay_at LIMIT ${limit}${d.skipLocked('dl')}) AS pick
    WHERE delivery_dead_letters.seq = pick.pseq AND ${free('delivery_dead_letters')}
    RETURNING seq, consumer_id, tenant_id, event_id, replay_attempts`);
  return r.rows.map((row) => ({ seq: Number(row.seq), consumerId: row.consumer_id as string, tenantId: row.tenant_id as string, eventId: row.event_id as string, replayAttempts: Number(row.replay_attempts), lease: owner }));
}

export async function finishReplay(db: QueryRunner, c: ReplayClaim, result: { delivered: boolean; nextAttemptAt: string | null; error: string | null }, now: string): Promise<boolean> {
  const done = result.delivered ? sql`replayed_at = ${now}, replay_at = NULL` : sql`replay_at = ${result.nextAttemptAt}, replay_attempts = replay_attempts + 1, last_error = ${result.error}`;
  return changed(await db.run(sql`UPDATE delivery_dead_letters SET ${done}, lease_owner = NULL, lease_until = NULL
    WHERE seq = ${c.seq} AND lease_owner = ${c.lease}`));
}

export async function releaseReplay(db: QueryRunner, c: ReplayClaim): Promise<boolean> {
  return changed(await db.run(sql`UPDATE delivery_dead_letters SET lease_owner = NULL, lease_until = NULL WHERE seq = ${c.seq} AND lease_owner = ${c.lease}`));
}

export async function pruneAttempts(db: QueryRunner, before: string, limit: number): Promise<number> {
  const r = await db.run(sql`DELETE FROM delivery_attempts WHERE seq IN (SELECT seq FROM delivery_attempts WHERE at < ${before} ORDER BY seq LIMIT ${limit})`);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Deletes up to `limit` dead letters older than `before` that wait for no replay: by then their
 * events are past the retention too, so they could not be replayed anyway.
 */
export async function pruneDeadLetters(db: QueryRunner, before: string, limit: number): Promise<number> {
  const r = await db.run(sql`DELETE FROM delivery_dead_letters WHERE seq IN (SELECT seq FROM delivery_dead_letters WHERE at < ${before} AND replay_at IS NULL ORDER BY seq LIMIT ${limit})`);
  return Number(r.numAffectedRows ?? 0);
}

export async function getEvent(db: QueryRunner, id: string): Promise<EventRecord | undefined> {
  const r = await db.run(sql<Row>`SELECT * FROM events WHERE id = ${id} AND position IS NOT NULL`);
  return r.rows[0] ? toEvent(r.rows[0]) : undefined;
}
