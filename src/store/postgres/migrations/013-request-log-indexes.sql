-- The SCIM request log's indexes, made cheaper to write (issue 13's budget: the log must cost SCIM
-- little; docs/performance.md "Request log"). Of the ~20 µs a logged GET spent inserting its row on
-- SQLite, two thirds went to the two indexes whose keys arrive in random order: every row landed on
-- a random page of them.
--   - request_log_resource now holds only the requests that changed a resource or failed on it
--     (not the successful reads, the bulk of the log): "what happened to this user" is its question,
--     and a successful GET of her did nothing to her. A write costs hundreds of microseconds, so its
--     share of this index is small beside it.
--   - request_log_request_id is unchanged: Rollcall's own request ids are now UUIDv7 (time first,
--     http/request-id.ts), so its rows arrive in key order like the others.
-- Kept identical in both dialects (migration-parity.test.ts).
DROP INDEX request_log_resource;
CREATE INDEX request_log_resource ON request_log (tenant_id, resource_id, seq)
  WHERE resource_id IS NOT NULL AND (method <> 'GET' OR status >= 400);
