-- The admin API (docs/admin-api.md): admin keys, token names, where a user or group came from, and
-- the audit log of admin actions. Kept identical to the SQLite migration of the same name.
CREATE TABLE admin_keys (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  scope         text NOT NULL,
  hash          text NOT NULL,
  hint          text NOT NULL,
  created_at    text NOT NULL,
  expires_at    text,
  revoked_at    text,
  last_used_at  text
);
CREATE UNIQUE INDEX admin_keys_hash ON admin_keys (hash);

ALTER TABLE tokens ADD COLUMN name text;

-- 'scim': created by the identity provider (IdP-managed); 'local': created by the app through the
-- admin API. Rows written before this migration all came over SCIM.
ALTER TABLE users ADD COLUMN origin text NOT NULL DEFAULT 'scim';
ALTER TABLE groups ADD COLUMN origin text NOT NULL DEFAULT 'scim';

-- No foreign key to tenants: the record of a tenant's deletion outlives the tenant.
CREATE TABLE audit_log (
  id           text PRIMARY KEY,
  at           text NOT NULL,
  key_id       text,
  key_name     text,
  action       text NOT NULL,
  tenant_id    text,
  target_type  text NOT NULL,
  target_id    text,
  summary      jsonb NOT NULL,
  request_id   text
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at, id);
