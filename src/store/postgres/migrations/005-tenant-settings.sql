-- Tenant settings (issue 9): one validated JSON document per tenant, versioned for If-Match. NULL
-- means "never set" (every default applies); the version starts at 1 and moves on every replace.
-- The version is read with the tenant on every authenticated request, so a process learns of a
-- change made elsewhere without another query (provisioning/schemas.ts).
ALTER TABLE tenants ADD COLUMN settings jsonb;
ALTER TABLE tenants ADD COLUMN settings_version integer NOT NULL DEFAULT 1;

-- A settings change must reach every process's authentication memory, which holds the tenant
-- with its settings version: the tenants trigger now fires on the version too (see 003).
DROP TRIGGER tenants_auth_changed ON tenants;
CREATE TRIGGER tenants_auth_changed AFTER UPDATE OF id, slug, settings_version OR DELETE OR TRUNCATE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION rollcall_auth_changed();

-- One row per value of every attribute of a tenant's custom extension schemas; see the SQLite
-- migration for the columns. text_pattern_ops on the folded text: LIKE 'x%' (sw) uses the index.
CREATE TABLE custom_values (
  tenant_id    text NOT NULL,
  resource_id  text NOT NULL,
  attr         text NOT NULL,
  ordinal      integer NOT NULL,
  str          text,
  str_lc       text,
  num          double precision,
  flag         boolean,
  unique_key   text,
  PRIMARY KEY (tenant_id, resource_id, attr, ordinal)
);
CREATE INDEX custom_values_str_lc ON custom_values (tenant_id, attr, str_lc text_pattern_ops);
CREATE INDEX custom_values_str ON custom_values (tenant_id, attr, str);
CREATE INDEX custom_values_num ON custom_values (tenant_id, attr, num);
CREATE UNIQUE INDEX custom_values_unique ON custom_values (tenant_id, attr, unique_key);
