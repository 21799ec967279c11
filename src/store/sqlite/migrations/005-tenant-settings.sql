-- Tenant settings (issue 9): one validated JSON document per tenant, versioned for If-Match. NULL
-- means "never set" (every default applies); the version starts at 1 and moves on every replace.
-- The version is read with the tenant on every authenticated request, so a process learns of a
-- change made elsewhere without another query (provisioning/schemas.ts).
ALTER TABLE tenants ADD COLUMN settings TEXT;
ALTER TABLE tenants ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 1;

-- One row per value of every attribute of a tenant's custom extension schemas (users and groups:
-- the attribute key "<schema URN>:<name>" names its resource type, and ids are random UUIDs). The
-- document keeps the values too; these rows are their index, as user_values is for emails, so a
-- filter or sort on a custom attribute is an index lookup, never a scan of JSON.
--   str      the value as text (strings, references, dateTimes as normalised ISO-8601 UTC)
--   str_lc   lower-cased text, for attributes compared case-insensitively
--   num      integers and decimals
--   flag     booleans
--   unique_key  set only for attributes with uniqueness "server": the database enforces it per
--               tenant (NULLs never collide, in SQLite and PostgreSQL alike)
CREATE TABLE custom_values (
  tenant_id    TEXT NOT NULL,
  resource_id  TEXT NOT NULL,
  attr         TEXT NOT NULL,
  ordinal      INTEGER NOT NULL,
  str          TEXT,
  str_lc       TEXT,
  num          REAL,
  flag         INTEGER,
  unique_key   TEXT,
  PRIMARY KEY (tenant_id, resource_id, attr, ordinal)
) WITHOUT ROWID;
CREATE INDEX custom_values_str_lc ON custom_values (tenant_id, attr, str_lc);
CREATE INDEX custom_values_str ON custom_values (tenant_id, attr, str);
CREATE INDEX custom_values_num ON custom_values (tenant_id, attr, num);
CREATE UNIQUE INDEX custom_values_unique ON custom_values (tenant_id, attr, unique_key);
