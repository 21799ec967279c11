-- Test sign-ins (issue 13 item 3, docs/sso.md "Test sign-in"): an AuthnRequest the admin console or a
-- setup link sent to try a SAML connection. Its response is validated as a sign-in is, but shown on a
-- result page: no code is handed to the app and no user.signed_in event is written; a response to a
-- test request cannot sign anyone in, nor can a real sign-in's response be shown as a test.
-- Kept identical to the SQLite migration of the same name.
--   purpose   'sign-in' (the app's users) or 'test' (the administrator's try)
ALTER TABLE saml_requests ADD COLUMN purpose TEXT NOT NULL DEFAULT 'sign-in' CHECK (purpose IN ('sign-in', 'test'));
