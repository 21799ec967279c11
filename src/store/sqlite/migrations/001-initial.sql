-- Rollcall schema v1 (SQLite). Every table is keyed by tenant; see docs/storage.md.
CREATE TABLE tenants (
  id          TEXT PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE tokens (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  hash          TEXT NOT NULL,
  hint          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  expires_at    TEXT,
  revoked_at    TEXT,
  last_used_at  TEXT,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);

-- seq: creation order, the stable tiebreaker for paging.
CREATE TABLE users (
  seq             INTEGER PRIMARY KEY,
  tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id              TEXT NOT NULL,
  user_name       TEXT NOT NULL,
  user_name_lc    TEXT NOT NULL,
  external_id     TEXT,
  display_name_lc TEXT,
  active          INTEGER,
  doc             TEXT NOT NULL,
  created         TEXT NOT NULL,
  last_modified   TEXT NOT NULL,
  version         INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_id ON users (tenant_id, id);
CREATE UNIQUE INDEX users_user_name ON users (tenant_id, user_name_lc);
CREATE INDEX users_external_id ON users (tenant_id, external_id);
CREATE INDEX users_display_name ON users (tenant_id, display_name_lc);
CREATE INDEX users_last_modified ON users (tenant_id, last_modified);
CREATE INDEX users_seq ON users (tenant_id, seq);

-- One row per value of a multi-valued attribute of the standard shape (emails, phoneNumbers, …).
CREATE TABLE user_values (
  tenant_id   TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  attr        TEXT NOT NULL,
  ordinal     INTEGER NOT NULL,
  value       TEXT,
  value_lc    TEXT,
  type_lc     TEXT,
  display_lc  TEXT,
  "primary"   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, user_id, attr, ordinal)
) WITHOUT ROWID;
CREATE INDEX user_values_value ON user_values (tenant_id, attr, value_lc);

CREATE TABLE groups (
  seq             INTEGER PRIMARY KEY,
  tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id              TEXT NOT NULL,
  display_name    TEXT NOT NULL,
  display_name_lc TEXT NOT NULL,
  external_id     TEXT,
  doc             TEXT NOT NULL,
  created         TEXT NOT NULL,
  last_modified   TEXT NOT NULL,
  version         INTEGER NOT NULL
);
CREATE UNIQUE INDEX groups_id ON groups (tenant_id, id);
CREATE UNIQUE INDEX groups_display_name ON groups (tenant_id, display_name_lc);
CREATE INDEX groups_external_id ON groups (tenant_id, external_id);
CREATE INDEX groups_last_modified ON groups (tenant_id, last_modified);
CREATE INDEX groups_seq ON groups (tenant_id, seq);

-- Membership, indexed from both sides: a group's members, and a member's groups.
CREATE TABLE group_members (
  tenant_id    TEXT NOT NULL,
  group_id     TEXT NOT NULL,
  member_id    TEXT NOT NULL,
  member_type  TEXT NOT NULL,
  display      TEXT,
  PRIMARY KEY (tenant_id, group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members (tenant_id, member_id, group_id);
