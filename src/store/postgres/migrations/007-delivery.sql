-- Delivery of events (issue 10, docs/events.md): who receives them (consumers), how far each has got
-- per tenant (delivery_streams), what each attempt came to (delivery_attempts) and what could not be
-- delivered (delivery_dead_letters). Kept identical to the SQLite migration of the same name.

-- A consumer: a webhook endpoint (of one tenant, or global: tenant_id NULL = every tenant), or one of
-- the built-in kinds ('email': the welcome email; 'listeners': in-process listeners of the library).
--   types            JSON array of event types, or NULL for every type
--   secret           whsec_…: stored readable, unlike tokens (hashed), because it is the HMAC key
--                    every delivery is signed with; previous_secret signs too until previous_until
--                    (rotation overlap, Standard Webhooks "Signature scheme")
--   state            'ok' | 'failing' (an event was dead-lettered) | 'gone' (the receiver answered 410)
--   start_position   the overall head when the consumer was created: earlier events are not sent
--                    (replay can reach them)
--   scanned_position how far the engine has looked through events for tenants without a stream yet
CREATE TABLE consumers (
  id                text PRIMARY KEY,
  kind              text NOT NULL,
  tenant_id         text REFERENCES tenants(id) ON DELETE CASCADE,
  url               text,
  description       text,
  types             text,
  enabled           boolean NOT NULL,
  secret            text,
  previous_secret   text,
  previous_until    text,
  state             text NOT NULL,
  state_reason      text,
  start_position    bigint NOT NULL,
  scanned_position  bigint NOT NULL,
  created_at        text NOT NULL,
  updated_at        text NOT NULL
);
CREATE INDEX consumers_tenant ON consumers (tenant_id);

INSERT INTO consumers (id, kind, tenant_id, url, description, types, enabled, secret, previous_secret, previous_until, state, state_reason, start_position, scanned_position, created_at, updated_at)
SELECT k.id, k.id, NULL, NULL, k.description, k.types, k.enabled, NULL, NULL, NULL, 'ok', NULL, h.position, h.position, now_text.at, now_text.at
-- The welcome email needs only user.created: other events never reach it (nor cost an attempt).
-- It starts switched off, and is switched on (from the head) when a tenant first turns its welcome
-- email on (provisioning/tenants/settings.ts): until then no process spends a thing on it.
FROM (VALUES ('email', 'Welcome email', '["user.created"]', false), ('listeners', 'In-process listeners', NULL, true)) AS k(id, description, types, enabled),
     (SELECT COALESCE((SELECT position FROM event_heads WHERE tenant_id = ''), 0) AS position) AS h,
     (SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at) AS now_text;

-- One consumer's progress through one tenant's events, made when the engine first meets an event of
-- that tenant after the consumer's start. position: the tenant_position of the last event done.
-- next_attempt_at: when the stream is due (NULL: idle, nothing known to do; the engine sets it when
-- it sees a new event of the tenant), so finding work reads only due streams, not every tenant.
-- lease_owner/lease_until: the claim of one process (a process killed mid-delivery loses it when it
-- expires, and another takes the stream from the last position done).
CREATE TABLE delivery_streams (
  consumer_id      text NOT NULL REFERENCES consumers(id) ON DELETE CASCADE,
  tenant_id        text NOT NULL,
  position         bigint NOT NULL,
  attempts         integer NOT NULL,
  next_attempt_at  text,
  lease_owner      text,
  lease_until      text,
  last_error       text,
  updated_at       text NOT NULL,
  PRIMARY KEY (consumer_id, tenant_id)
);
CREATE INDEX delivery_streams_due ON delivery_streams (next_attempt_at);

-- Every attempt, readable through the admin API; pruned with the events' retention.
CREATE TABLE delivery_attempts (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           text NOT NULL,
  consumer_id  text NOT NULL REFERENCES consumers(id) ON DELETE CASCADE,
  tenant_id    text NOT NULL,
  event_id     text NOT NULL,
  position     bigint NOT NULL,
  status       integer,
  latency_ms   integer,
  error        text,
  outcome      text NOT NULL
);
CREATE INDEX delivery_attempts_consumer ON delivery_attempts (consumer_id, seq);
CREATE INDEX delivery_attempts_at ON delivery_attempts (at);

-- Events given up on (after the retry schedule, or at once when permanent). replay_at: a replay was
-- asked for and is due then (NULL: none pending); replayed_at: when a replay delivered it.
CREATE TABLE delivery_dead_letters (
  seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer_id      text NOT NULL REFERENCES consumers(id) ON DELETE CASCADE,
  tenant_id        text NOT NULL,
  event_id         text NOT NULL,
  position         bigint NOT NULL,
  tenant_position  bigint NOT NULL,
  at               text NOT NULL,
  attempts         integer NOT NULL,
  last_error       text,
  replay_at        text,
  replay_attempts  integer NOT NULL,
  lease_owner      text,
  lease_until      text,
  replayed_at      text
);
CREATE INDEX delivery_dead_letters_consumer ON delivery_dead_letters (consumer_id, seq);
CREATE INDEX delivery_dead_letters_replay ON delivery_dead_letters (replay_at);
