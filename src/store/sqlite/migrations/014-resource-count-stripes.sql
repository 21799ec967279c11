-- A tenant's resource count is kept in several rows ("stripes") that add up to it, instead of one
-- (the PostgreSQL migration of the same name says why). SQLite writes one transaction at a time, so
-- it always uses stripe 0; the column is here so both databases have one schema
-- (migration-parity.test.ts). SQLite cannot change a primary key in place: the table is rebuilt.
CREATE TABLE resource_counts_striped (
  tenant_id  TEXT NOT NULL,
  resource   TEXT NOT NULL,
  n          INTEGER NOT NULL,
  stripe     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, resource, stripe)
);
INSERT INTO resource_counts_striped (tenant_id, resource, n, stripe) SELECT tenant_id, resource, n, 0 FROM resource_counts;
DROP TABLE resource_counts;
ALTER TABLE resource_counts_striped RENAME TO resource_counts;
