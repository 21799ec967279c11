-- A tenant's resource count is kept in several rows ("stripes") that add up to it, instead of one.
-- With one row, every transaction that created or deleted a user in a tenant updated that row and
-- held its lock until commit, so on PostgreSQL a tenant's creations ran one at a time whatever the
-- pool size: an import did 122–133 users/s (bench/import.ts --rows 3000 --db postgres, waits seen in
-- pg_stat_activity: "Lock tuple" / "Lock transactionid" on this upsert). A writer now adds to the
-- stripe of its own connection (pg_backend_pid() % 16, store/sql/dialect.ts), and a count is the
-- sum of at most 16 rows. SQLite writes one transaction at a time anyway and keeps stripe 0.
ALTER TABLE resource_counts ADD COLUMN stripe INTEGER NOT NULL DEFAULT 0;
ALTER TABLE resource_counts DROP CONSTRAINT resource_counts_pkey;
ALTER TABLE resource_counts ADD PRIMARY KEY (tenant_id, resource, stripe);
