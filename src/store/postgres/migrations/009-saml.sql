-- SAML single sign-on (issue 12, docs/sso.md). Kept identical to the SQLite migration of the same
-- name (booleans are boolean here, INTEGER 0/1 there; JSON is text in both).

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
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name               text NOT NULL,
  entity_id          text NOT NULL,
  sso_url            text NOT NULL,
  certificates       text NOT NULL,
  metadata_url       text,
  metadata_xml       text,
  signed             text NOT NULL CHECK (signed IN ('assertion', 'response', 'either', 'both')),
  allow_sha1         boolean NOT NULL,
  idp_initiated      boolean NOT NULL,
  enabled            boolean NOT NULL,
  next_refresh_at    text,
  refreshed_at       text,
  refresh_error      text,
  refresh_failed_at  text,
  created_at         text NOT NULL,
  updated_at         text NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE INDEX saml_connections_refresh ON saml_connections (next_refresh_at);

-- AuthnRequests Rollcall sent and not yet answered: the InResponseTo of a response must name one,
-- of the same tenant and connection, once (any process may receive the answer).
CREATE TABLE saml_requests (
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id             text NOT NULL,
  connection_id  text NOT NULL,
  return_to      text,
  created_at     text NOT NULL,
  expires_at     text NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

-- Assertion ids already accepted (replay): each accepted once, kept until the assertion expires.
CREATE TABLE saml_assertions (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id          text NOT NULL,
  expires_at  text NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);

-- One-time codes handed to the app after a sign-in (only their SHA-256 is stored), redeemed once
-- by the app server to server for the profile (JSON) they carry.
CREATE TABLE sso_codes (
  hash           text PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id        text NOT NULL,
  connection_id  text NOT NULL,
  profile        text NOT NULL,
  created_at     text NOT NULL,
  expires_at     text NOT NULL,
  used_at        text
);
CREATE INDEX sso_codes_expiry ON sso_codes (expires_at);

-- Keys that sign the sign-in JWTs (published at the JWKS URL). A private key cannot be hashed: it
-- is stored as a JWK, readable by whoever can read the database (docs/sso.md "Signing keys").
--   retires_at   after this no new token is signed with it; it stays published until expires_at
CREATE TABLE signing_keys (
  kid          text PRIMARY KEY,
  alg          text NOT NULL,
  public_jwk   text NOT NULL,
  private_jwk  text NOT NULL,
  created_at   text NOT NULL,
  retires_at   text NOT NULL,
  expires_at   text NOT NULL
);
