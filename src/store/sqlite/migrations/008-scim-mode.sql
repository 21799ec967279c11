-- SCIM mode (issue 11 item 7, docs/policies.md "SCIM mode"). Kept identical to the PostgreSQL
-- migration of the same name.
--   tenants.scim_mode  'enabled': the identity provider manages the tenant's IdP-managed users and
--                      groups (they are read-only through the admin API) and no local invitation
--                      may be pending; 'disabled': after POST .../scim/disable, every user and group
--                      is local and every token revoked. Existing tenants were provisioned over
--                      SCIM as soon as they had a token: they start 'enabled', as new ones do.
--   users.status       the app's lifecycle of a *local* user: 'invited' (an invitation is pending),
--                      'active', 'deactivated'. NULL for an IdP-managed user, whose SCIM `active`
--                      says it. Existing local users take theirs from `active`.
ALTER TABLE tenants ADD COLUMN scim_mode TEXT NOT NULL DEFAULT 'enabled' CHECK (scim_mode IN ('enabled', 'disabled'));
ALTER TABLE users ADD COLUMN status TEXT CHECK (status IN ('invited', 'active', 'deactivated'));
UPDATE users SET status = CASE WHEN active = 0 THEN 'deactivated' ELSE 'active' END WHERE origin = 'local';
