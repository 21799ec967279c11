-- The outbox (issue 10, docs/events.md): every change of a tenant's users, groups, tokens or the
-- tenant itself writes its events here in the change's own transaction. Kept identical to the
-- PostgreSQL migration of the same name (see there for each column). SQLite's writers commit one
-- at a time (BEGIN IMMEDIATE), so an event's position is given when it is inserted; txid is unused.
-- No foreign key to tenants: tenant.deleted outlives its tenant.
CREATE TABLE events (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL,
  tenant_id        TEXT NOT NULL,
  tenant_slug      TEXT NOT NULL,
  type             TEXT NOT NULL,
  at               TEXT NOT NULL,
  txid             INTEGER,
  position         INTEGER,
  tenant_position  INTEGER,
  actor            TEXT NOT NULL,
  request_id       TEXT,
  data             TEXT NOT NULL
);
CREATE UNIQUE INDEX events_id ON events (id);
CREATE UNIQUE INDEX events_position ON events (position);
CREATE UNIQUE INDEX events_tenant_position ON events (tenant_id, tenant_position);
CREATE INDEX events_unsequenced ON events (txid, seq) WHERE position IS NULL;

-- The last position given, overall and per tenant (tenant_id '' is the overall one).
CREATE TABLE event_heads (
  tenant_id  TEXT PRIMARY KEY,
  position   INTEGER NOT NULL
);
