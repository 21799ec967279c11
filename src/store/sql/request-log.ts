// The SCIM request log's SQL (migration 010, provisioning/request-log/recorder.ts, the admin API's
// /requests and /health). Rows arrive in batches, one multi-row INSERT per CHUNK; every read is by
// one of the table's indexes, and no read loads more rows than it returns:
//   - lists walk (tenant_id, seq) newest first, or the partial indexes of failed requests
//     (status >= 400) and of the requests that changed or failed on a resource (migration 013:
//     successful reads are left out of it, which halved the log's cost to a GET; migration 015:
//     keyed in seq order with the resource id beside it, so a logged write is appended to it rather
//     than written on a random page, and a list by resource compares ids in the index). The conditions
//     those partial indexes need are written as literals, never bound parameters: SQLite (and
//     PostgreSQL's generic plans) can use a partial index only when the query's own text implies
//     its WHERE;
//   - health counts the day's 24 hourly windows in one pass over (tenant_id, at, status), an index
//     that holds every column the count reads, so the table itself is not visited.
import { sql } from './kysely.ts';
import type { HourlyRequestCounts, NewRequestLogEntry, RecordedBody, RequestCounts, RequestLogEntry, RequestLogHealth, RequestLogQuery, Scan } from '../store.ts';
import type { SqlDialect } from './dialect.ts';
import { canNameRow } from './lookup-key.ts';
import type { QueryRunner } from './runner.ts';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => Number(v ?? 0);

/** Rows per INSERT: 22 parameters each, far below either database's limit on parameters. */
const CHUNK = 200;

/** The columns a list shows: everything but the bodies. */
const SUMMARY = sql.raw(`seq, tenant_id, at, method, path, filter, status, scim_type, detail, reason, latency_ms, request_id, token_id, user_agent,
  resource_type, resource_id, request_size, request_truncated, response_size, response_truncated`);

const body = (text: unknown, size: unknown, truncated: unknown): RecordedBody | null =>
  typeof text === 'string' ? { text, size: num(size), truncated: Boolean(truncated) } : null;

const toEntry = (r: Row): RequestLogEntry => ({
  seq: num(r.seq), tenantId: r.tenant_id as string, at: r.at as string, method: r.method as string, path: r.path as string, filter: str(r.filter),
  status: num(r.status), scimType: str(r.scim_type), detail: str(r.detail), reason: str(r.reason), latencyMs: num(r.latency_ms),
  requestId: r.request_id as string, tokenId: str(r.token_id), userAgent: str(r.user_agent),
  resourceType: str(r.resource_type) as RequestLogEntry['resourceType'], resourceId: str(r.resource_id),
  requestBody: body(r.request_body, r.request_size, r.request_truncated),
  responseBody: body(r.response_body, r.response_size, r.response_truncated),
});

export async function appendRequestLog(db: QueryRunner, d: SqlDialect, entries: readonly NewRequestLogEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += CHUNK) {
    const rows = entries.slice(i, i + CHUNK).map((e) => sql`(${e.tenantId}, ${e.at}, ${e.method}, ${e.path}, ${e.filter}, ${e.status}, ${e.scimType}, ${e.detail},
      ${e.reason}, ${e.latencyMs}, ${e.requestId}, ${e.tokenId}, ${e.userAgent}, ${e.resourceType}, ${e.resourceId},
      ${e.requestBody?.text ?? null}, ${e.requestBody?.size ?? 0}, ${d.boolParam(e.requestBody?.truncated ?? false)},
      ${e.responseBody?.text ?? null}, ${e.responseBody?.size ?? 0}, ${d.boolParam(e.responseBody?.truncated ?? false)})`);
    await db.run(sql`INSERT INTO request_log (tenant_id, at, method, path, filter, status, scim_type, detail, reason, latency_ms, request_id, token_id,
        user_agent, resource_type, resource_id, request_body, request_size, request_truncated, response_body, response_size, response_truncated)
      VALUES ${sql.join(rows)}`);
  }
}

/** The condition of a status class; 4xx and 5xx name the failed-requests index's own condition. */
function statusClass(c: number) {
  const from = c * 100;
  return sql.raw(c >= 4 ? `status >= 400 AND status >= ${from} AND status < ${from + 100}` : `status >= ${from} AND status < ${from + 100}`);
}

export async function listRequestLog(db: QueryRunner, d: SqlDialect, tenantId: string, q: RequestLogQuery, scan: Scan): Promise<RequestLogEntry[]> {
  if (!canNameRow(tenantId)) return [];
  const conds = [sql`tenant_id = ${tenantId}`];
  if (q.statusClass !== undefined) conds.push(statusClass(q.statusClass));
  if (q.method !== undefined) conds.push(sql`method = ${q.method}`);
  if (q.since !== undefined) conds.push(sql`at >= ${q.since}`);
  if (q.until !== undefined) conds.push(sql`at < ${q.until}`);
  if (q.resourceId !== undefined) conds.push(sql`resource_id = ${q.resourceId} AND resource_id IS NOT NULL AND (method <> 'GET' OR status >= 400)`);
  if (q.requestId !== undefined) conds.push(sql`request_id = ${q.requestId}`);
  if (scan.after !== undefined) conds.push(sql`seq < ${Number(scan.after)}`);
  // By a resource: its index holds the id in seq order (migration 015), so the walk compares ids
  // in the index and visits the table only for the rows it returns.
  const index = q.resourceId !== undefined ? d.indexedBy('request_log_resource') : sql``;
  const r = await db.run(sql<Row>`SELECT ${SUMMARY} FROM request_log${index} WHERE ${sql.join(conds, sql` AND `)} ORDER BY seq DESC LIMIT ${scan.limit}`);
  return r.rows.map(toEntry);
}

export async function getRequestLogEntry(db: QueryRunner, tenantId: string, seq: number): Promise<RequestLogEntry | undefined> {
  if (!canNameRow(tenantId) || !Number.isSafeInteger(seq)) return undefined;
  const r = await db.run(sql<Row>`SELECT * FROM request_log WHERE tenant_id = ${tenantId} AND seq = ${seq}`);
  return r.rows[0] ? toEntry(r.rows[0]) : undefined;
}

const counts = (n: unknown, c4: unknown, c5: unknown): RequestCounts => ({ requests: num(n), clientErrors: num(c4), serverErrors: num(c5) });

/** The health view's day: 24 one-hour windows ending at `now` (RequestLogHealth.hourly). */
const HOURS = 24;

export async function requestLogHealth(db: QueryRunner, tenantId: string, now: string): Promise<RequestLogHealth> {
  const t = Date.parse(now);
  const startOf = (i: number) => new Date(t - (HOURS - i) * 3600_000).toISOString();
  const hourly: HourlyRequestCounts[] = Array.from({ length: HOURS }, (_, i) => ({ start: startOf(i), ...counts(0, 0, 0) }));
  const last = await db.run(sql<Row>`SELECT at FROM request_log WHERE tenant_id = ${tenantId} ORDER BY seq DESC LIMIT 1`);
  if (!last.rows.length) {
    return { lastRequestAt: null, lastHour: counts(0, 0, 0), lastDay: counts(0, 0, 0), lastClient: null, lastError: null, hourly };
  }
  // One pass over the day's index entries counts each hour's window (newest first in the CASE, so a
  // row falls in the latest window that began at or before it); the hour and the day are sums of them.
  const bucket = sql.join(Array.from({ length: HOURS - 1 }, (_, k) => sql`WHEN at >= ${startOf(HOURS - 1 - k)} THEN ${sql.raw(String(HOURS - 1 - k))}`), sql` `);
  const rows = (await db.run(sql<Row>`SELECT b, count(*) AS n,
      sum(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END) AS c4,
      sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS c5
    FROM (SELECT CASE ${bucket} ELSE 0 END AS b, status FROM request_log WHERE tenant_id = ${tenantId} AND at >= ${startOf(0)}) AS day
    GROUP BY b`)).rows;
  for (const r of rows) {
    const i = num(r.b);
    if (i >= 0 && i < HOURS) hourly[i] = { start: startOf(i), ...counts(r.n, r.c4, r.c5) };
  }
  const sum = (a: RequestCounts, b: RequestCounts) => counts(a.requests + b.requests, a.clientErrors + b.clientErrors, a.serverErrors + b.serverErrors);
  const lastDay = hourly.reduce<RequestCounts>((acc, hr) => sum(acc, hr), counts(0, 0, 0));
  const lastHour = counts(hourly[HOURS - 1].requests, hourly[HOURS - 1].clientErrors, hourly[HOURS - 1].serverErrors);
  // The newest authenticated request: the client that holds the tenant's token, not whoever probed the URL.
  const client = (await db.run(sql<Row>`SELECT user_agent, at FROM request_log WHERE tenant_id = ${tenantId} AND token_id IS NOT NULL ORDER BY seq DESC LIMIT 1`)).rows[0];
  const error = (await db.run(sql<Row>`SELECT ${SUMMARY} FROM request_log WHERE tenant_id = ${tenantId} AND status >= 400 ORDER BY seq DESC LIMIT 1`)).rows[0];
  return {
    lastRequestAt: last.rows[0].at as string,
    lastHour,
    lastDay,
    lastClient: client ? { userAgent: str(client.user_agent), at: client.at as string } : null,
    lastError: error ? toEntry(error) : null,
    hourly,
  };
}

/**
 * Deletes up to `limit` of the oldest rows (by seq) that are older than `before`. Rows are inserted
 * in about time order, so the oldest by seq are the ones looked at: no index on `at` alone is kept
 * for retention (as events are pruned: store/sql/events.ts).
 */
export async function pruneRequestLog(db: QueryRunner, before: string, limit: number): Promise<number> {
  const r = await db.run(sql`DELETE FROM request_log WHERE seq IN (SELECT seq FROM (SELECT seq, at FROM request_log ORDER BY seq LIMIT ${limit}) AS oldest
    WHERE oldest.at < ${before})`);
  return Number(r.numAffectedRows ?? 0);
}

/** Deletes up to `limit` of the tenant's oldest rows beyond its newest `keep` (the row cap). */
export async function capRequestLog(db: QueryRunner, tenantId: string, keep: number, limit: number): Promise<number> {
  if (!canNameRow(tenantId)) return 0;
  // The newest row past the cap, found by walking the tenant's index from its newest end.
  const edge = (await db.run(sql<Row>`SELECT seq FROM request_log WHERE tenant_id = ${tenantId} ORDER BY seq DESC LIMIT 1 OFFSET ${keep}`)).rows[0];
  if (!edge) return 0;
  const r = await db.run(sql`DELETE FROM request_log WHERE seq IN (SELECT seq FROM request_log WHERE tenant_id = ${tenantId} AND seq <= ${num(edge.seq)}
    ORDER BY seq LIMIT ${limit})`);
  return Number(r.numAffectedRows ?? 0);
}
