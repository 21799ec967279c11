-- The admin API (docs/admin-api.md): admin keys, token names, where a user or group came from, and
-- the audit log of admin actions. Kept identical to the PostgreSQL migration of the same name.
CREATE TABLE admin_keys (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  scope         TEXT NOT NULL,
  hash          TEXT NOT NULL,
  hint          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  expires_at    TEXT,
  revoked_at    TEXT,
  last_used_at  TEXT
);
CREATE UNIQUE INDEX admin_keys_hash ON admin_keys (hash);

ALTER TABLE tokens ADD COLUMN name TEXT;

-- 'scim': created by the identity provider (IdP-managed); 'local': created by the app through the
-- admin API. Rows written before this migration all came over SCIM.
ALTER TABLE users ADD COLUMN origin TEXT NOT NULL DEFAULT 'scim';
ALTER TABLE groups ADD COLUMN origin TEXT NOT NULL DEFAULT 'scim';

-- No foreign key to tenants: the record of a tenant's deletion outlives the tenant.
CREATE TABLE audit_log (
  id           TEXT PRIMARY KEY,
  at           TEXT NOT NULL,
  key_id       TEXT,
  key_name     TEXT,
  action       TEXT NOT NULL,
  tenant_id    TEXT,
  target_type  TEXT NOT NULL,
  target_id    TEXT,
  summary      TEXT NOT NULL,
  request_id   TEXT
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at, id);
