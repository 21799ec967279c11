-- The outbox (issue 10, docs/events.md): every change of a tenant's users, groups, tokens or the
-- tenant itself writes its events here in the change's own transaction. Kept identical to the
-- SQLite migration of the same name, but for how a position is given (below).
--
--   seq              insertion order: unique, but NOT commit order on PostgreSQL (a transaction that
--                    inserted first may commit last)
--   txid             the writing transaction (pg_current_xact_id()); unused on SQLite
--   position         commit order over all tenants, gap-free: NULL until the sequencer
--                    (store/sql/events.ts) gives it, after the commit, following the last position
--                    given. SQLite gives it at insert (its writers commit one at a time, so insert
--                    order is commit order).
--   tenant_position  the same, counted per tenant: 1, 2, 3, … with no gaps, so an app can tell that
--                    it missed one
--   tenant_slug      the tenant's slug when the event happened (the tenant may be renamed or gone)
--   actor            JSON: {"type": "token"|"adminKey"|"cli"|"library", "id", "name"}
--   data             JSON: the event's payload (docs/events.md); json, not jsonb, to keep its keys in
--                    the order SCIM renders them
-- No foreign key to tenants: tenant.deleted outlives its tenant.
CREATE TABLE events (
  seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               text NOT NULL,
  tenant_id        text NOT NULL,
  tenant_slug      text NOT NULL,
  type             text NOT NULL,
  at               text NOT NULL,
  txid             xid8 DEFAULT pg_current_xact_id(),
  position         bigint,
  tenant_position  bigint,
  actor            json NOT NULL,
  request_id       text,
  data             json NOT NULL
);
CREATE UNIQUE INDEX events_id ON events (id);
CREATE UNIQUE INDEX events_position ON events (position);
CREATE UNIQUE INDEX events_tenant_position ON events (tenant_id, tenant_position);
-- What the sequencer looks for: few rows at any moment (events wait there for milliseconds).
CREATE INDEX events_unsequenced ON events (txid, seq) WHERE position IS NULL;

-- The last position given, overall and per tenant (tenant_id '' is the overall one): written only by
-- the sequencer (one at a time, under an advisory lock), never by a SCIM write.
CREATE TABLE event_heads (
  tenant_id  text PRIMARY KEY,
  position   bigint NOT NULL
);

-- No trigger notifies when events are inserted: PostgreSQL serialises the commits of transactions
-- that NOTIFY (a lock held through the commit's WAL flush), which cut concurrent SCIM writes to
-- 0.28-0.41 of their rate (bench/event-positions.ts, docs/design.md "Events"). The writing process
-- wakes its own delivery engine after the commit; the sequencer, which runs one at a time anyway,
-- sends the notification other processes wait for (channel rollcall_events).
