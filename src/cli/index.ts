// rollcall serve | migrate | tenant | token. Every command takes --db; the CLI and a running
// server can share one SQLite file (WAL mode).
import { Command, Option } from 'commander';
import { ConfigError, insecureSettings, loadConfig, type Config } from '../config/config.ts';
import { openStore, redactUrl, startServer, UnsupportedDatabase } from '../main.ts';
import { createTenant, requireTenant, TenantError } from '../provisioning/tenants/tenants.ts';
import { issueToken, parseDuration, revokeToken } from '../provisioning/tenants/tokens.ts';
import type { Store } from '../store/store.ts';

const program = new Command('rollcall').description('Rollcall: SCIM 2.0 provisioning server for SaaS apps.').showHelpAfterError();

const dbOption = () => new Option('--db <url>', 'database URL: sqlite:PATH, sqlite::memory: or postgres://user@host:5432/db (env ROLLCALL_DATABASE_URL)');

function config(opts: { db?: string; host?: string; port?: string }): Readonly<Config> {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ConfigError(`--port must be 0–65535, got ${opts.port}.`);
  return loadConfig({ databaseUrl: opts.db, host: opts.host, port });
}

async function withStore<T>(opts: { db?: string }, fn: (store: Store, c: Readonly<Config>) => Promise<T>): Promise<T> {
  const c = config(opts);
  const store = await openStore(c);
  try { return await fn(store, c); } finally { await store.close(); }
}

const scimUrl = (c: Config, slug: string) => `${c.publicUrl}/scim/v2/${slug}`;

program.command('serve')
  .description('serve SCIM on HOST:PORT (creates and migrates the database)')
  .option('--host <host>', 'interface to listen on (env ROLLCALL_HOST)')
  .option('--port <port>', 'port to listen on (env ROLLCALL_PORT)')
  .addOption(dbOption())
  .action(async (opts) => {
    const c = config(opts);
    const running = await startServer(c);
    const log = running.app.log;
    for (const warning of insecureSettings(c)) log.warn(`INSECURE: ${warning}`);
    log.info(`Rollcall is serving SCIM at ${c.publicUrl}/scim/v2/<tenant> (database ${redactUrl(c.databaseUrl)})`);
    const tenants = await running.store.listTenants();
    if (tenants.length === 0) {
      const db = opts.db ? ` --db ${JSON.stringify(opts.db)}` : '';
      log.info(`No tenants yet. Create one, with its first token, in another terminal: npx rollcall tenant create acme --name "Acme Inc"${db}`);
      log.info(`(Run the CLI with the same ROLLCALL_DATABASE_URL and ROLLCALL_PUBLIC_URL as the server, so it writes to this database and prints ${c.publicUrl} URLs.)`);
    } else {
      log.info(`${tenants.length} tenant(s): ${tenants.slice(0, 5).map((t) => scimUrl(c, t.slug)).join(', ')}${tenants.length > 5 ? ', …' : ''}`);
    }
    const stop = async (signal: string) => {
      log.info(`${signal} received: finishing requests in flight, then stopping.`);
      await running.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

program.command('migrate')
  .description('create or upgrade the database schema, then exit')
  .addOption(dbOption())
  .action(async (opts) => withStore(opts, async (_s, c) => { console.log(`Database ${redactUrl(c.databaseUrl)} is up to date.`); }));

const tenant = program.command('tenant').description('manage tenants (your customer organisations)');

tenant.command('create <slug>')
  .description('create a tenant and its first token; prints the SCIM base URL and the token (shown once)')
  .option('--name <name>', 'display name, e.g. "Acme Inc"')
  .option('--expires-in <duration>', 'token lifetime: 365d, 12h, 30m or never')
  .option('--json', 'print one JSON object')
  .addOption(dbOption())
  .action(async (slug: string, opts) => withStore(opts, async (store, c) => {
    const ttl = opts.expiresIn ? parseDuration(opts.expiresIn) : c.tokenTtlDays * 86_400_000;
    const t = await createTenant(store, slug, opts.name);
    const { token, record } = await issueToken(store, t, ttl);
    if (opts.json) {
      console.log(JSON.stringify({ tenant: t, scimUrl: scimUrl(c, t.slug), token, tokenId: record.id, expiresAt: record.expiresAt }));
      return;
    }
    console.log(`Tenant "${t.name}" (${t.slug}) created.\n`);
    console.log(`  SCIM base URL:  ${scimUrl(c, t.slug)}`);
    console.log(`  Bearer token:   ${token}`);
    console.log(`  Token id:       ${record.id} (expires ${record.expiresAt ?? 'never'})\n`);
    console.log('The token is shown only this once: paste it into the identity provider now.');
  }));

tenant.command('list')
  .description('list tenants')
  .option('--json', 'print JSON')
  .addOption(dbOption())
  .action(async (opts) => withStore(opts, async (store, c) => {
    const list = await store.listTenants();
    if (opts.json) { console.log(JSON.stringify(list.map((t) => ({ ...t, scimUrl: scimUrl(c, t.slug) })))); return; }
    if (!list.length) { console.log('No tenants. Create one: npx rollcall tenant create <slug>'); return; }
    for (const t of list) console.log(`${t.slug}\t${t.name}\t${scimUrl(c, t.slug)}`);
  }));

const token = program.command('token').description("manage a tenant's bearer tokens");

token.command('create <slug>')
  .description('issue another token for a tenant (several may be live at once, for rotation)')
  .option('--expires-in <duration>', 'lifetime: 365d, 12h, 30m or never')
  .option('--json', 'print one JSON object')
  .addOption(dbOption())
  .action(async (slug: string, opts) => withStore(opts, async (store, c) => {
    const t = await requireTenant(store, slug);
    const ttl = opts.expiresIn ? parseDuration(opts.expiresIn) : c.tokenTtlDays * 86_400_000;
    const { token: secret, record } = await issueToken(store, t, ttl);
    if (opts.json) { console.log(JSON.stringify({ tenant: t.slug, scimUrl: scimUrl(c, t.slug), token: secret, tokenId: record.id, expiresAt: record.expiresAt })); return; }
    console.log(`Token ${record.id} for ${t.slug} (expires ${record.expiresAt ?? 'never'}):\n\n  SCIM base URL:  ${scimUrl(c, t.slug)}\n  Bearer token:   ${secret}\n\nThe token is shown only this once.`);
  }));

token.command('list <slug>')
  .description("list a tenant's tokens (never the secrets)")
  .option('--json', 'print JSON')
  .addOption(dbOption())
  .action(async (slug: string, opts) => withStore(opts, async (store) => {
    const t = await requireTenant(store, slug);
    const list = (await store.listTokens(t.id)).map(({ hash: _hash, ...rest }) => rest);
    if (opts.json) { console.log(JSON.stringify(list)); return; }
    if (!list.length) { console.log(`Tenant ${slug} has no tokens.`); return; }
    const now = Date.now();
    for (const r of list) {
      const state = r.revokedAt ? `revoked ${r.revokedAt}` : r.expiresAt && Date.parse(r.expiresAt) <= now ? `expired ${r.expiresAt}` : `live, expires ${r.expiresAt ?? 'never'}`;
      console.log(`${r.id}\t…${r.hint}\tcreated ${r.createdAt}\t${state}\tlast used ${r.lastUsedAt ?? 'never'}`);
    }
  }));

token.command('revoke <slug> <tokenId>')
  .description('revoke a token; requests using it fail from the next one on')
  .addOption(dbOption())
  .action(async (slug: string, tokenId: string, opts) => withStore(opts, async (store) => {
    const t = await requireTenant(store, slug);
    await revokeToken(store, t, tokenId);
    console.log(`Token ${tokenId} of ${slug} revoked.`);
  }));

export async function run(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof TenantError || err instanceof UnsupportedDatabase) {
      console.error(`rollcall: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
