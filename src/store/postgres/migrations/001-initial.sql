-- Rollcall schema v1 (PostgreSQL). Every primary key and index leads with tenant_id, so the
-- tables can be distributed by tenant (Citus: see docs/postgres.md). Timestamps are ISO-8601 text,
-- exactly as in SQLite, so both drivers compare and return them identically.
CREATE TABLE tenants (
  id          text PRIMARY KEY,
  slug        text NOT NULL UNIQUE,
  name        text NOT NULL,
  created_at  text NOT NULL
);

CREATE TABLE tokens (
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id            text NOT NULL,
  hash          text NOT NULL,
  hint          text NOT NULL,
  created_at    text NOT NULL,
  expires_at    text,
  revoked_at    text,
  last_used_at  text,
  PRIMARY KEY (tenant_id, id)
);
-- Looked up by hash before the tenant is known (the token names its tenant).
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);

CREATE TABLE users (
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id              text NOT NULL,
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  user_name       text NOT NULL,
  user_name_lc    text NOT NULL,
  external_id     text,
  display_name_lc text,
  active          boolean,
  doc             jsonb NOT NULL,
  created         text NOT NULL,
  last_modified   text NOT NULL,
  version         integer NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
-- Case-insensitive uniqueness is the database's job: a unique index on the folded userName.
CREATE UNIQUE INDEX users_user_name ON users (tenant_id, user_name_lc);
CREATE INDEX users_external_id ON users (tenant_id, external_id);
CREATE INDEX users_display_name ON users (tenant_id, display_name_lc);
CREATE INDEX users_last_modified ON users (tenant_id, last_modified);
CREATE INDEX users_seq ON users (tenant_id, seq);

CREATE TABLE user_values (
  tenant_id   text NOT NULL,
  user_id     text NOT NULL,
  attr        text NOT NULL,
  ordinal     integer NOT NULL,
  value       text,
  value_lc    text,
  type_lc     text,
  display_lc  text,
  "primary"   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, user_id, attr, ordinal)
);
CREATE INDEX user_values_value ON user_values (tenant_id, attr, value_lc text_pattern_ops);

CREATE TABLE groups (
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id              text NOT NULL,
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  display_name    text NOT NULL,
  display_name_lc text NOT NULL,
  external_id     text,
  doc             jsonb NOT NULL,
  created         text NOT NULL,
  last_modified   text NOT NULL,
  version         integer NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX groups_display_name ON groups (tenant_id, display_name_lc);
CREATE INDEX groups_external_id ON groups (tenant_id, external_id);
CREATE INDEX groups_last_modified ON groups (tenant_id, last_modified);
CREATE INDEX groups_seq ON groups (tenant_id, seq);

CREATE TABLE group_members (
  tenant_id    text NOT NULL,
  group_id     text NOT NULL,
  member_id    text NOT NULL,
  member_type  text NOT NULL,
  display      text,
  PRIMARY KEY (tenant_id, group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (tenant_id, member_id, group_id);
