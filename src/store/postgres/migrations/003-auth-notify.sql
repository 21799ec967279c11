-- Running processes keep authentication results while no token or tenant has changed. Any change
-- that matters to authentication, however it is made (the CLI, another process, an admin's SQL),
-- notifies every listening process on the channel rollcall_auth, which then forgets what it kept.
CREATE FUNCTION rollcall_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rollcall_auth', '');
  RETURN NULL;
END
$$;

-- last_used_at is left out: recording a use changes nothing about who may authenticate.
CREATE TRIGGER tokens_auth_changed AFTER UPDATE OF tenant_id, id, hash, expires_at, revoked_at OR DELETE OR TRUNCATE ON tokens
  FOR EACH STATEMENT EXECUTE FUNCTION rollcall_auth_changed();
CREATE TRIGGER tenants_auth_changed AFTER UPDATE OF id, slug OR DELETE OR TRUNCATE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION rollcall_auth_changed();
