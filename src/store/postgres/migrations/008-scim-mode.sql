-- SCIM mode (issue 11 item 7, docs/policies.md "SCIM mode"); see the SQLite migration of the same
-- name for the columns.
ALTER TABLE tenants ADD COLUMN scim_mode text NOT NULL DEFAULT 'enabled' CHECK (scim_mode IN ('enabled', 'disabled'));
ALTER TABLE users ADD COLUMN status text CHECK (status IN ('invited', 'active', 'deactivated'));
UPDATE users SET status = CASE WHEN active = false THEN 'deactivated' ELSE 'active' END WHERE origin = 'local';

-- Authentication memory holds the tenant with its SCIM mode: a change of it reaches every process.
DROP TRIGGER tenants_auth_changed ON tenants;
CREATE TRIGGER tenants_auth_changed AFTER UPDATE OF id, slug, settings_version, scim_mode OR DELETE OR TRUNCATE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION rollcall_auth_changed();
