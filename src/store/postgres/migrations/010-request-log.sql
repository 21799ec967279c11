-- The SCIM request log (issue 13, docs/request-log.md): one row per request of a tenant's SCIM
-- surface, written in batches by provisioning/request-log/recorder.ts, read by the admin API
-- (/admin/v1/tenants/{tenant}/requests and /health). Kept identical to the SQLite migration of
-- the same name.
--   seq               the row's id (the admin API's `id` and cursor): insertion order
--   at                when the request was answered (ISO 8601, UTC)
--   path              the request target as received (path and query string), capped
--   filter            the `filter` query parameter, decoded, capped
--   scim_type, detail, reason   the SCIM error the request was answered with (NULL on success)
--   latency_ms        from the request's arrival to its answer
--   token_id          the SCIM token that authenticated it (NULL when authentication failed)
--   resource_type, resource_id  the User or Group the request was about (from the URL, or the
--                     Location of a POST's 201)
--   request_body, response_body  redacted JSON text, at most the configured size; *_size the size
--                     of the original body in characters, *_truncated whether the text was cut
-- No foreign key to tenants: a batch written just after its tenant was deleted must not fail the
-- other tenants' rows; the tenant's deletion removes its rows, retention the stragglers.
CREATE TABLE request_log (
  seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id           TEXT NOT NULL,
  at                  TEXT NOT NULL,
  method              TEXT NOT NULL,
  path                TEXT NOT NULL,
  filter              TEXT,
  status              integer NOT NULL,
  scim_type           TEXT,
  detail              TEXT,
  reason              TEXT,
  latency_ms          double precision NOT NULL,
  request_id          TEXT NOT NULL,
  token_id            TEXT,
  user_agent          TEXT,
  resource_type       TEXT,
  resource_id         TEXT,
  request_body        TEXT,
  request_size        bigint NOT NULL,
  request_truncated   boolean NOT NULL,
  response_body       TEXT,
  response_size       bigint NOT NULL,
  response_truncated  boolean NOT NULL
);
-- A tenant's requests newest first (the list, its cursor, the last request, the IdP seen).
CREATE INDEX request_log_tenant ON request_log (tenant_id, seq);
-- Health's counts over the last hour and day, read from the index alone (status included).
CREATE INDEX request_log_tenant_at ON request_log (tenant_id, at, status);
-- Failed requests only: the last error, and the 4xx/5xx filters, without walking the successes.
CREATE INDEX request_log_errors ON request_log (tenant_id, seq) WHERE status >= 400;
-- Everything that happened to one user or group.
CREATE INDEX request_log_resource ON request_log (tenant_id, resource_id, seq) WHERE resource_id IS NOT NULL;
-- "Quote request id …": support staff look a request up by the id its answer carried.
CREATE INDEX request_log_request_id ON request_log (tenant_id, request_id);
