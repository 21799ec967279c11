-- The admin console's sessions and the customer setup links (issue 13, docs/console.md, "Console
-- sessions" in docs/design.md). Kept identical to the PostgreSQL migration of the same name.
--
-- setup_links: a time-limited link a vendor gives a customer's IT admin to set up their own tenant.
--   hash          SHA-256 (hex) of the link's "rcl_" token; the token itself is never stored
--   purposes      what the link may set up, comma-separated: "scim", "sso" or "scim,sso"
--   created_by_*  the admin key that made it (id and name as they were), for the audit trail
--   completed_at  the customer said they were done: the link is used up
-- Pruned 30 days after it expires (provisioning/tenants/setup-links.ts).
CREATE TABLE setup_links (
  id                   TEXT PRIMARY KEY,
  tenant_id            TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  hash                 TEXT NOT NULL,
  purposes             TEXT NOT NULL,
  note                 TEXT,
  created_by_key_id    TEXT,
  created_by_key_name  TEXT,
  created_at           TEXT NOT NULL,
  expires_at           TEXT NOT NULL,
  revoked_at           TEXT,
  completed_at         TEXT,
  last_used_at         TEXT
);
-- The lookup of a presented token: one indexed read whether the token is right or wrong.
CREATE UNIQUE INDEX setup_links_hash ON setup_links (hash);
-- A tenant's links, newest first (the admin API's list).
CREATE INDEX setup_links_tenant ON setup_links (tenant_id, created_at);
-- Retention.
CREATE INDEX setup_links_expires ON setup_links (expires_at);

-- console_sessions: a signed-in browser. The cookie holds a 32-byte random secret; the row's id is
-- its SHA-256 (hex), so a database read gives no usable cookie. The CSRF token is derived from the
-- secret (HMAC), so it is not stored at all.
--   kind             'admin' (signed in with an admin key) or 'setup' (opened a setup link)
--   admin_key_id     the key of an admin session: the session dies with the key
--   setup_link_id    the link of a setup session: the session dies with the link
--   tenant_id        the tenant of a setup session (its link's), NULL for an admin session
--   expires_at       absolute end (ROLLCALL_CONSOLE_SESSION_HOURS after sign-in)
--   idle_expires_at  end unless used before (ROLLCALL_CONSOLE_IDLE_MINUTES), slid at most once a minute
CREATE TABLE console_sessions (
  id               TEXT PRIMARY KEY,
  kind             TEXT NOT NULL,
  admin_key_id     TEXT,
  setup_link_id    TEXT REFERENCES setup_links(id) ON DELETE CASCADE,
  tenant_id        TEXT,
  created_at       TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  idle_expires_at  TEXT NOT NULL,
  revoked_at       TEXT
);
-- Ending a link's sessions when it is revoked or completed.
CREATE INDEX console_sessions_link ON console_sessions (setup_link_id);
-- Retention.
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
