-- Per-tenant resource counts, kept in the same transaction as every insert and delete, so an
-- unfiltered list (an IdP's import) knows totalResults without counting 100,000 rows each page.
CREATE TABLE resource_counts (
  tenant_id  TEXT NOT NULL,
  resource   TEXT NOT NULL,
  n          INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, resource)
);
INSERT INTO resource_counts (tenant_id, resource, n) SELECT tenant_id, 'users', count(*) FROM users GROUP BY tenant_id;
INSERT INTO resource_counts (tenant_id, resource, n) SELECT tenant_id, 'groups', count(*) FROM groups GROUP BY tenant_id;
