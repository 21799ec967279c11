// rollcall serve | migrate | tenant | token | admin-key | check (src/check/: a SCIM client, no
// database). Every other command takes --db; the CLI and a
// running server can share one SQLite file (WAL mode). Changes made here are in the audit log, by
// "rollcall CLI", like the admin API's by key.
import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, insecureSettings, loadConfig, sqliteFilename, type Config } from '../config/config.ts';
import { audit, CLI_ACTOR } from '../provisioning/admin/audit.ts';
import { systemClock } from '../provisioning/clock.ts';
import { ADMIN_SCOPES, createAdminKey, publicAdminKey, revokeAdminKey, type AdminScope } from '../provisioning/tenants/admin-keys.ts';
import { disableScim, DISABLE_CONFIRMATION, enableScim } from '../provisioning/policies/scim-mode.ts';
import { createTenant, deleteTenant, renameTenant, requireTenant, TenantError } from '../provisioning/tenants/tenants.ts';
import { secretState } from '../provisioning/tenants/token-format.ts';
import { listPresets, PRESET_NAMES } from '../provisioning/policies/presets.ts';
import { issueToken, parseDuration, revokeToken, rotateToken } from '../provisioning/tenants/tokens.ts';
import { openStore, redactUrl, UnsupportedDatabase } from '../store/open.ts';
import { PostgresRefused, type Store } from '../store/store.ts';
import { rollcallVersion } from './version.ts';
import { BadTarget, PROFILES, runCheck, type Profile } from '../check/run.ts';

/** A mistake in how the command was run (exit code 2, message on stderr, no stack trace). */
class UsageError extends Error {}

const program = new Command('rollcall').description('Rollcall: SCIM 2.0 provisioning server for SaaS apps.')
  .version(rollcallVersion(), '-V, --version', 'print the version of Rollcall')
  .showHelpAfterError();

const dbOption = () => new Option('--db <url>', 'database URL: sqlite:PATH, sqlite::memory: or postgres://user@host:5432/db (env ROLLCALL_DATABASE_URL)');

function config(opts: { db?: string; host?: string; port?: string }): Readonly<Config> {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ConfigError(`--port must be 0–65535, got ${opts.port}.`);
  return loadConfig({ databaseUrl: opts.db, host: opts.host, port });
}

/** A word for a shell command line, quoted only when it needs to be. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Only `serve` and `migrate` create a database. Any other command pointed at a SQLite file that is
 * not there is a typo or the wrong working directory: creating an empty database there would hand
 * out tenants and tokens that the running server has never heard of.
 */
function requireExistingDatabase(c: Readonly<Config>): void {
  const filename = sqliteFilename(c.databaseUrl);
  if (filename === undefined || filename === ':memory:') return;
  const isFile = (() => { try { return statSync(filename).isFile(); } catch { return false; } })();
  if (!isFile) throw new UsageError(`no Rollcall database at ${filename}; run \`rollcall migrate --db ${shellWord(c.databaseUrl)}\` to create one`);
}

async function withStore<T>(opts: { db?: string }, fn: (store: Store, c: Readonly<Config>) => Promise<T>, mode: { create?: boolean } = {}): Promise<T> {
  const c = config(opts);
  if (!mode.create) requireExistingDatabase(c);
  const store = await openStore(c).catch((err: unknown) => { throw explained(err, c); });
  try { return await fn(store, c); } finally { await store.close(); }
}

const scimUrl = (c: Config, slug: string) => `${c.publicUrl}/scim/v2/${slug}`;

program.command('serve')
  .description('serve SCIM on HOST:PORT (creates and migrates the database)')
  .option('--host <host>', 'interface to listen on (env ROLLCALL_HOST)')
  .option('--port <port>', 'port to listen on (env ROLLCALL_PORT)')
  .addOption(dbOption())
  .action(async (opts: { db?: string; host?: string; port?: string }) => {
    const c = config(opts);
    // The server's modules are loaded by `serve` alone: the other commands start in a fraction of the time.
    const { startServer } = await import('../main.ts');
    const running = await startServer(c).catch((err: unknown) => { throw explained(err, c); });
    const log = running.app.log;
    // docs/running.md "Stopping and restarting": exit 0 when every request accepted was answered and
    // the database closed cleanly; 1 when the timeout cut requests or a step failed; a second signal
    // exits at once with 128 + its number (130 SIGINT, 143 SIGTERM), as a shell reports a kill.
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) {
        const code = 128 + (signal === 'SIGINT' ? 2 : 15);
        log.warn({ signal, requestsInFlight: running.inFlight, exitCode: code }, `${signal} received again during shutdown: exiting at once with code ${code}; requests in flight are cut and claimed webhook deliveries are taken again once their leases expire`);
        process.exit(code);
      }
      stopping = true;
      log.info({ signal, requestsInFlight: running.inFlight, shutdownTimeoutMs: c.shutdownTimeoutMs },
        `shutdown started: ${signal} received; no new connections; waiting for ${running.inFlight} request(s) in flight (at most ${c.shutdownTimeoutMs} ms), then webhook deliveries, the request log and the database`);
      let code = 0;
      try {
        const r = await running.close();
        if (r.requests.cut) code = 1;
        log.info({ ...r, exitCode: code },
          `shutdown done in ${r.totalMs} ms (requests ${r.requestsMs} ms: ${r.requests.inFlightAtStart} in flight, ${r.requests.acceptedDuring} more on open connections, ${r.requests.cut} cut; deliveries ${r.deliveryMs} ms); exiting with code ${code}`);
      } catch (err) {
        code = 1;
        log.error({ err, exitCode: code }, `shutdown failed; exiting with code ${code}`);
      }
      process.exit(code);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    for (const warning of insecureSettings(c)) log.warn(`INSECURE: ${warning}`);
    log.info(`Rollcall is serving SCIM at ${c.publicUrl}/scim/v2/<tenant> (database ${redactUrl(c.databaseUrl)})`);
    if (c.console.enabled) log.info(`The console is at ${c.publicUrl}/console (sign in with an admin API key).`);
    if (!(await running.store.listAdminKeys()).some((k) => secretState(k, Date.now()) === 'live')) {
      const db = opts.db ? ` --db ${shellWord(opts.db)}` : '';
      log.info(`No admin API key yet: the admin API at ${c.publicUrl}/admin/v1 refuses every request until you create one, in another terminal: npx rollcall admin-key create --name "my app"${db} (the key is printed there, once; it is never written to this log).`);
    }
    const tenants = await running.store.listTenants();
    if (tenants.length === 0) {
      const db = opts.db ? ` --db ${JSON.stringify(opts.db)}` : '';
      log.info(`No tenants yet. Create one, with its first token, in another terminal: npx rollcall tenant create acme --name "Acme Inc"${db}`);
      log.info(`(Run the CLI with the same ROLLCALL_DATABASE_URL and ROLLCALL_PUBLIC_URL as the server, so it writes to this database and prints ${c.publicUrl} URLs.)`);
    } else {
      log.info(`${tenants.length} tenant(s): ${tenants.slice(0, 5).map((t) => scimUrl(c, t.slug)).join(', ')}${tenants.length > 5 ? ', …' : ''}`);
    }
  });

program.command('migrate')
  .description('create or upgrade the database schema, then exit')
  .addOption(dbOption())
  .action(async (opts: { db?: string }) => withStore(opts, async (store, c) => {
    const applied = store.migrationsApplied;
    if (!applied.length) { console.log(`Database ${redactUrl(c.databaseUrl)} is up to date: no migration to apply.`); return; }
    console.log(`Applied ${applied.length} migration${applied.length > 1 ? 's' : ''} to ${redactUrl(c.databaseUrl)}:`);
    for (const name of applied) console.log(`  ${name}`);
  }, { create: true }));

const tenant = program.command('tenant').description('manage tenants (your customer organisations)');

tenant.command('create <slug>')
  .description('create a tenant and its first token; prints the SCIM base URL and the token (shown once)')
  .option('--name <name>', 'display name, e.g. "Acme Inc"')
  .option('--expires-in <duration>', 'token lifetime: 365d, 12h, 30m or never')
  .option('--preset <name>', `write a preset's settings with the tenant: ${PRESET_NAMES.join(', ')} (see \`rollcall tenant presets\`)`)
  .option('--welcome-link <url>', 'with --preset teams: turn the welcome email on, pointing to this URL')
  .option('--json', 'print one JSON object')
  .addOption(dbOption())
  .action(async (slug: string, opts: { db?: string; name?: string; expiresIn?: string; preset?: string; welcomeLink?: string; json?: boolean }) => withStore(opts, async (store, c) => {
    const ttl = opts.expiresIn ? parseDuration(opts.expiresIn) : c.tokenTtlDays * 86_400_000;
    if (opts.welcomeLink !== undefined && opts.preset === undefined) throw new UsageError('--welcome-link goes with --preset teams');
    const preset = opts.preset === undefined ? undefined : { name: opts.preset, ...(opts.welcomeLink === undefined ? {} : { welcomeLink: opts.welcomeLink }) };
    const t = await createTenant(store, slug, opts.name, systemClock, CLI_ACTOR, preset);
    const { token, record } = await issueToken(store, t, ttl, systemClock, null, CLI_ACTOR);
    if (opts.json) {
      console.log(JSON.stringify({ tenant: t, scimUrl: scimUrl(c, t.slug), token, tokenId: record.id, expiresAt: record.expiresAt }));
      return;
    }
    console.log(`Tenant "${t.name}" (${t.slug}) created${opts.preset ? ` with the preset ${opts.preset}` : ''}.\n`);
    console.log(`  SCIM base URL:  ${scimUrl(c, t.slug)}`);
    console.log(`  Bearer token:   ${token}`);
    console.log(`  Token id:       ${record.id} (expires ${record.expiresAt ?? 'never'})\n`);
    console.log('The token is shown only this once: paste it into the identity provider now.');
  }));

tenant.command('presets')
  .description('list the presets `tenant create --preset` takes, and the settings each writes')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) => {
    const list = listPresets();
    if (opts.json) { console.log(JSON.stringify(list)); return; }
    for (const p of list) {
      console.log(`${p.name} (${p.pattern}): ${p.description}${p.options.includes('welcomeLink') ? ' Option: --welcome-link <url>.' : ''}`);
      console.log(`  ${JSON.stringify(p.settings)}\n`);
    }
  });

tenant.command('list')
  .description('list tenants')
  .option('--json', 'print JSON')
  .addOption(dbOption())
  .action(async (opts: { db?: string; json?: boolean }) => withStore(opts, async (store, c) => {
    const list = await store.listTenants();
    if (opts.json) { console.log(JSON.stringify(list.map((t) => ({ ...t, scimUrl: scimUrl(c, t.slug) })))); return; }
    if (!list.length) { console.log('No tenants. Create one: npx rollcall tenant create <slug>'); return; }
    for (const t of list) console.log(`${t.slug}\t${t.name}\t${scimUrl(c, t.slug)}`);
  }));

tenant.command('update <slug>')
  .description("rename a tenant (its slug, part of its SCIM URL, never changes)")
  .requiredOption('--name <name>', 'the new display name')
  .addOption(dbOption())
  .action(async (slug: string, opts: { db?: string; name: string }) => withStore(opts, async (store) => {
    const t = await requireTenant(store, slug);
    const renamed = await renameTenant(store, t, opts.name, systemClock, CLI_ACTOR);
    console.log(`Tenant ${slug} is now named "${renamed.name}".`);
  }));

tenant.command('delete <slug>')
  .description('delete a tenant with all its users, groups and tokens, for good')
  .requiredOption('--confirm <slug>', 'repeat the slug to confirm')
  .addOption(dbOption())
  .action(async (slug: string, opts: { db?: string; confirm: string }) => withStore(opts, async (store) => {
    const t = await requireTenant(store, slug);
    const gone = await deleteTenant(store, t, opts.confirm, systemClock, CLI_ACTOR);
    console.log(`Tenant ${slug} deleted, with ${gone.users} user(s) and ${gone.groups} group(s).`);
  }));

tenant.command('scim-enable <slug>')
  .description('enable SCIM for a tenant whose SCIM is disabled: issues its new token (shown once) and revokes pending invitations')
  .option('--expires-in <duration>', 'token lifetime: 365d, 12h, 30m or never')
  .option('--json', 'print one JSON object')
  .addOption(dbOption())
  .action(async (slug: string, opts: { db?: string; expiresIn?: string; json?: boolean }) => withStore(opts, async (store, c) => {
    const t = await requireTenant(store, slug);
    const ttl = opts.expiresIn ? parseDuration(opts.expiresIn) : c.tokenTtlDays * 86_400_000;
    const done = await enableScim(store, t, ttl, systemClock, null, CLI_ACTOR);
    if (opts.json) { console.log(JSON.stringify({ tenant: t.slug, scimUrl: scimUrl(c, t.slug), token: done.token, tokenId: done.record.id, expiresAt: done.record.expiresAt, invitationsRevoked: done.invitationsRevoked })); return; }
    console.log(`SCIM enabled for ${t.slug}; ${done.invitationsRevoked} pending invitation(s) revoked.\n\n  SCIM base URL:  ${scimUrl(c, t.slug)}\n  Bearer token:   ${done.token}\n\nThe token is shown only this once: paste it into the identity provider, and set up provisioning there again.`);
  }));

tenant.command('scim-disable <slug>')
  .description('disable SCIM for a tenant: every IdP-managed user and group becomes local, every token is revoked')
  .requiredOption('--confirm <word>', `type ${DISABLE_CONFIRMATION} to confirm`)
  .addOption(dbOption())
  .action(async (slug: string, opts: { db?: string; confirm: string }) => withStore(opts, async (store) => {
    const t = await requireTenant(store, slug);
    const done = await disableScim(store, t, opts.confirm, systemClock, CLI_ACTOR);
    console.log(`SCIM disabled for ${slug}: ${done.users} user(s) and ${done.groups} group(s) are now local, ${done.tokensRevoked} token(s) revoked.`);
  }));

const token = program.command('token').description("manage a tenant's bearer tokens");

token.command('create <slug>')
  .description('issue another token for a tenant (several may be live at once, for rotation)')
  .option('--expires-in <duration>', 'lifetime: 365d, 12h, 30m or never')
  .option('--json', 'print one JSON object')
  .addOption(dbOption())
  .action(async (slug: string, opts: { db?: string; expiresIn?: string; json?: boolean }) => withStore(opts, async (store, c) => {
    const t = await requireTenant(store, slug);
    const ttl = opts.expiresIn ? parseDuration(opts.expiresIn) : c.tokenTtlDays * 86_400_000;
    const { token: secret, record } = await issueToken(store, t, ttl, systemClock, null, CLI_ACTOR);
    if (opts.json) { console.log(JSON.stringify({ tenant: t.slug, scimUrl: scimUrl(c, t.slug), token: secret, tokenId: record.id, expiresAt: record.expiresAt })); return; }
    console.log(`Token ${record.id} for ${t.slug} (expires ${record.expiresAt ?? 'never'}):\n\n  SCIM base URL:  ${scimUrl(c, t.slug)}\n  Bearer token:   ${secret}\n\nThe token is shown only this once.`);
  }));

token.command('list <slug>')
  .description("list a tenant's tokens (never the secrets)")
  .option('--json', 'print JSON')
  .addOption(dbOption())
  .action(async (slug: string, opts: { db?: string; json?: boolean }) => withStore(opts, async (store) => {
    const t = await requireTenant(store, slug);
    const list = (await store.listTokens(t.id)).map(({ hash: _hash, ...rest }) => rest);
    if (opts.json) { console.log(JSON.stringify(list)); return; }
    if (!list.length) { console.log(`Tenant ${slug} has no tokens.`); return; }
    const now = Date.now();
    for (const r of list) {
      console.log(`${r.id}\t…${r.hint}\tcreated ${r.createdAt}\t${stateLine(r, now)}\tlast used ${r.lastUsedAt ?? 'never'}`);
    }
  }));

token.command('revoke <slug> <tokenId>')
  .description('revoke a token; requests using it fail from the next one on')
  .addOption(dbOption())
  .action(async (slug: string, tokenId: string, opts: { db?: string }) => withStore(opts, async (store) => {
    const t = await requireTenant(store, slug);
    await revokeToken(store, t, tokenId, systemClock, CLI_ACTOR);
    console.log(`Token ${tokenId} of ${slug} revoked.`);
  }));

token.command('rotate <slug> <tokenId>')
  .description('issue a new token; the old one keeps working until --old-expires-at (default: 7 days), then is refused as expired')
  .option('--old-expires-at <time>', 'when the old token stops working (ISO 8601, e.g. 2026-12-31T00:00:00Z)')
  .option('--expires-in <duration>', 'lifetime of the new token: 365d, 12h, 30m or never')
  .option('--json', 'print one JSON object')
  .addOption(dbOption())
  .action(async (slug: string, tokenId: string, opts: { db?: string; oldExpiresAt?: string; expiresIn?: string; json?: boolean }) => withStore(opts, async (store, c) => {
    const t = await requireTenant(store, slug);
    const ttl = opts.expiresIn ? parseDuration(opts.expiresIn) : c.tokenTtlDays * 86_400_000;
    const r = await rotateToken(store, t, tokenId, { ttlMs: ttl, oldUntil: opts.oldExpiresAt }, systemClock, CLI_ACTOR);
    if (opts.json) { console.log(JSON.stringify({ tenant: t.slug, scimUrl: scimUrl(c, t.slug), token: r.token, tokenId: r.record.id, expiresAt: r.record.expiresAt, previous: { tokenId, expiresAt: r.previous.expiresAt } })); return; }
    console.log(`New token ${r.record.id} for ${t.slug} (expires ${r.record.expiresAt ?? 'never'}):\n\n  SCIM base URL:  ${scimUrl(c, t.slug)}\n  Bearer token:   ${r.token}\n`);
    console.log(`The token is shown only this once. The old token ${tokenId} keeps working until ${r.previous.expiresAt}: paste the new one into the identity provider before then.`);
  }));

const adminKey = program.command('admin-key').description('manage admin API keys (for /admin/v1)');

adminKey.command('create')
  .description('create an admin API key; prints it once')
  .requiredOption('--name <name>', 'who or what uses it, e.g. "billing service"')
  .addOption(new Option('--scope <scope>', 'admin: everything; read: GET only; sso: the sign-in code exchange only').choices([...ADMIN_SCOPES]).default('admin'))
  .option('--expires-in <duration>', 'lifetime: 365d, 12h, 30m or never (the default)')
  .option('--json', 'print one JSON object')
  .addOption(dbOption())
  .action(async (opts: { db?: string; name: string; scope: AdminScope; expiresIn?: string; json?: boolean }) => withStore(opts, async (store, c) => {
    const { key, record } = await createAdminKey(store, { name: opts.name, scope: opts.scope, ttlMs: opts.expiresIn ? parseDuration(opts.expiresIn) : null });
    await audit(store, systemClock, CLI_ACTOR, 'adminKey.create', { type: 'adminKey', id: record.id, tenantId: null }, { name: record.name, scope: record.scope });
    if (opts.json) { console.log(JSON.stringify({ ...publicAdminKey(record), key })); return; }
    console.log(`Admin key ${record.id} "${record.name}" (scope ${record.scope}, expires ${record.expiresAt ?? 'never'}):\n\n  Admin API:  ${c.publicUrl}/admin/v1\n  Key:        ${key}\n\nThe key is shown only this once: store it in your app's secrets now.`);
  }));

adminKey.command('list')
  .description('list admin API keys (never the keys themselves)')
  .option('--json', 'print JSON')
  .addOption(dbOption())
  .action(async (opts: { db?: string; json?: boolean }) => withStore(opts, async (store) => {
    const list = (await store.listAdminKeys()).map(publicAdminKey);
    if (opts.json) { console.log(JSON.stringify(list)); return; }
    if (!list.length) { console.log('No admin keys. Create one: npx rollcall admin-key create --name "my app"'); return; }
    const now = Date.now();
    for (const k of list) {
      console.log(`${k.id}\t${k.name}\t${k.scope}\t…${k.hint}\t${stateLine(k, now)}\tlast used ${k.lastUsedAt ?? 'never'}`);
    }
  }));

adminKey.command('revoke <id>')
  .description('revoke an admin API key; requests using it fail from the next one on')
  .addOption(dbOption())
  .action(async (id: string, opts: { db?: string }) => withStore(opts, async (store) => {
    await revokeAdminKey(store, id);
    await audit(store, systemClock, CLI_ACTOR, 'adminKey.revoke', { type: 'adminKey', id, tenantId: null });
    console.log(`Admin key ${id} revoked.`);
  }));

program.command('check <scim-base-url>')
  .description('replay what Okta and Entra send against any SCIM 2.0 server, and report what would break (docs/check.md)')
  .addOption(new Option('--token <token>', 'the bearer token the server expects (ROLLCALL_CHECK_TOKEN keeps it out of the process list)').env('ROLLCALL_CHECK_TOKEN'))
  .option('--as <idp>', `which sequences to run: ${PROFILES.join(', ')}`, 'all')
  .option('--json', 'print a machine-readable report on stdout (progress goes to stderr)')
  .option('--keep', 'do not delete the users and groups the run created')
  .option('--timeout <seconds>', 'how long to wait for each answer', '30')
  .action(async (url: string, opts: { token?: string; as: Profile; json?: boolean; keep?: boolean; timeout: string }) => {
    // Checked here, not by commander, so that a usage mistake is exit code 2 and 1 stays "a check failed".
    if (!(PROFILES as readonly string[]).includes(opts.as)) throw new UsageError(`--as must be one of ${PROFILES.join(', ')}, got ${opts.as}`);
    const token = opts.token;
    if (!token) throw new UsageError('give the bearer token with --token or ROLLCALL_CHECK_TOKEN');
    const timeout = Number(opts.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) throw new UsageError(`--timeout must be a number of seconds from 0 to 3600, got ${opts.timeout}`);
    const stream = opts.json ? process.stderr : process.stdout;
    const report = await runCheck({
      baseUrl: url, token, as: opts.as, keep: opts.keep === true, timeoutMs: timeout * 1000,
      out: { write: (s) => { stream.write(s); }, tty: stream.isTTY === true },
    }).catch((err: unknown) => { throw err instanceof BadTarget ? new UsageError(err.message) : err; });
    if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = report.ok ? 0 : 1;
  });

/** A token's or key's state for a listing: "live, expires …", "expired …" or "revoked …". */
function stateLine(r: { revokedAt: string | null; expiresAt: string | null }, now: number): string {
  const state = secretState(r, now);
  return state === 'revoked' ? `revoked ${r.revokedAt}` : state === 'expired' ? `expired ${r.expiresAt}` : `live, expires ${r.expiresAt ?? 'never'}`;
}

/** Failures to open the database or the port, as a UsageError saying what to do; others unchanged. */
function explained(err: unknown, c: Readonly<Config>): unknown {
  if (err instanceof PostgresRefused) return new UsageError(refusedAdvice(err, c.databaseUrl));
  return listenFailure(err, c) ?? err;
}

/** The port cannot be had: say which, and what to do, instead of a stack trace. */
function listenFailure(err: unknown, c: Readonly<Config>): UsageError | undefined {
  const code = (err as { code?: string }).code;
  const where = `${c.host}:${c.port}`;
  if (code === 'EADDRINUSE') {
    return new UsageError(`${where} is already in use (another Rollcall, or another program, is listening there). `
      + `Stop it, or choose another port with --port or ROLLCALL_PORT (\`ss -ltnp 'sport = :${c.port}'\` shows who holds it).`);
  }
  if (code === 'EACCES') return new UsageError(`Not allowed to listen on ${where}: ports below 1024 need privileges. Use a port from 1024 up (the default is 8080) behind your proxy.`);
  if (code === 'EADDRNOTAVAIL') return new UsageError(`Cannot listen on ${where}: ${c.host} is not an address of this machine. Use --host 127.0.0.1, or 0.0.0.0 for every interface.`);
  return undefined;
}

/** PostgreSQL answered but refused: what is missing, and the command that creates it. */
function refusedAdvice(err: PostgresRefused, databaseUrl: string): string {
  const [host, port] = err.host.split(':');
  const at = `PostgreSQL at ${err.host}`;
  const migrate = `then run \`rollcall migrate --db ${shellWord(redactUrl(databaseUrl))}\``;
  switch (err.reason) {
    case 'noDatabase':
      return `${at} has no database "${err.database}". Create it (\`createdb -h ${host} -p ${port} -U ${err.role} ${err.database}\`, `
        + `or in psql: CREATE DATABASE "${err.database}" OWNER "${err.role}";), ${migrate}.`;
    case 'noRole':
      return `${at} has no role "${err.role}". Create it (in psql, as a superuser: CREATE ROLE "${err.role}" LOGIN PASSWORD '…';) `
        + `or name an existing role in the URL (postgres://ROLE:PASSWORD@${err.host}/${err.database}), ${migrate}.`;
    case 'authentication':
      return `${at} refused role "${err.role}": ${err.message}. Check the user name and password in the URL, `
        + 'and that pg_hba.conf lets this machine connect to that database (docs/postgres.md).';
  }
}

export async function run(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof TenantError || err instanceof UnsupportedDatabase || err instanceof UsageError) {
      console.error(`rollcall: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

/** For the commands defined in their own files (import.ts, export.ts), registered by rollcall.ts. */
export { program, dbOption, withStore, UsageError };
