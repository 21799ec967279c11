-- The request log's index of the requests that changed or failed on a resource, keyed in the order
-- rows arrive (tenant_id, seq, resource_id) instead of by resource (tenant_id, resource_id, seq).
-- Keyed by resource, every logged write landed on a random page of the index: on SQLite that page
-- was written again at every commit, and a logged PATCH spent more inserting into this one index
-- (~17 µs) than into the table and the four others together (docs/performance.md "Issue 13").
-- Keyed by seq, rows are appended at the index's end, as they are to the others. A request log
-- filtered by a user or group id now walks the tenant's write and error entries newest first,
-- comparing the id held in the index without visiting the table, until it has a page: the
-- tenant's row cap (100,000 by default) bounds that walk. On SQLite the log's own file (and an
-- in-memory database's table) is rekeyed when opened (sqlite/request-log-file.ts
-- resourceIndexInOrder). Kept identical in both dialects (migration-parity.test.ts).
DROP INDEX request_log_resource;
CREATE INDEX request_log_resource ON request_log (tenant_id, seq, resource_id)
  WHERE resource_id IS NOT NULL AND (method <> 'GET' OR status >= 400);
