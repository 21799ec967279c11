-- SAML single sign-on (issue 12, docs/sso.md). Kept identical to the PostgreSQL migration of the
-- same name; SQLite keeps booleans as INTEGER 0/1 and JSON as text.

-- A tenant's SAML connections: what Rollcall trusts of one identity provider.
--   certificates      JSON array of the IdP's signing certificates (base64 DER, no PEM armour);
--                     several during a rollover, each accepted
--   metadata_url      where the IdP's metadata is refreshed from (NULL: uploaded XML only)
--   metadata_xml      the last good metadata document (uploaded, or fetched)
--   signed            which part must carry the IdP's signature: 'assertion', 'response',
--                     'either' (at least one of them) or 'both'
--   allow_sha1        RSA-SHA1 / SHA-1 digests accepted (off: refused)
--   idp_initiated     unsolicited responses (IdP-initiated login) accepted (off by default)
--   next_refresh_at   when the metadata URL is fetched next (NULL without a URL)
--   refreshed_at      the last successful fetch; refresh_error / refresh_failed_at the last failed
--                     one (cleared by the next success); a failed refresh keeps the last good values
CREATE TABLE saml_connections (
  id                 TEXT PRIMARY KEY,
  tenant_id          TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name               TEXT NOT NULL,
  entity_id          TEXT NOT NULL,
  sso_url            TEXT NOT NULL,
  certificates       TEXT NOT NULL,
  metadata_url       TEXT,
  metadata_xml       TEXT,
  signed             TEXT NOT NULL CHECK (signed IN ('assertion', 'response', 'either', 'both')),
  allow_sha1         INTEGER NOT NULL,
  idp_initiated      INTEGER NOT NULL,
  enabled            INTEGER NOT NULL,
  next_refresh_at    TEXT,
  refreshed_at       TEXT,
  refresh_error      TEXT,
  refresh_failed_at  TEXT,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE INDEX saml_connections_refresh ON saml_connections (next_refresh_at);

-- AuthnRequests Rollcall sent and not yet answered: the InResponseTo of a response must name one,
-- of the same tenant and connection, once (any process may receive the answer).
CREATE TABLE saml_requests (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  return_to      TEXT,
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

-- Assertion ids already accepted (replay): each accepted once, kept until the assertion expires.
CREATE TABLE saml_assertions (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);

-- One-time codes handed to the app after a sign-in (only their SHA-256 is stored), redeemed once
-- by the app server to server for the profile (JSON) they carry.
CREATE TABLE sso_codes (
  hash           TEXT PRIMARY KEY,
  tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id        TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  profile        TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  used_at        TEXT
);
CREATE INDEX sso_codes_expiry ON sso_codes (expires_at);

-- Keys that sign the sign-in JWTs (published at the JWKS URL). A private key cannot be hashed: it
-- is stored as a JWK, readable by whoever can read the database (docs/sso.md "Signing keys").
--   retires_at   after this no new token is signed with it; it stays published until expires_at
CREATE TABLE signing_keys (
  kid          TEXT PRIMARY KEY,
  alg          TEXT NOT NULL,
  public_jwk   TEXT NOT NULL,
  private_jwk  TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  retires_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL
);
