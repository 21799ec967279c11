// Rollcall embedded in a vendor's own Fastify server: `createRollcall` on the run's database, its
// plugin mounted under /identity beside the vendor's own JSON routes, listening on a real port.
// The SCIM surface there behaves as `rollcall serve` (Okta's SPEC test), the vendor's routes keep
// Fastify's defaults, and the use cases the vendor's code calls share state with the SCIM surface.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { freePort } from '../../harness/processes.ts';
import { RollcallAdmin } from '../../src/client/index.ts';
import { loadConfig } from '../../src/config/config.ts';
import { openStore } from '../../src/main.ts';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { ConfigError, createRollcall, ScimError, TenantError, type Rollcall } from '../../src/library.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { assertOktaSuitePasses, externalSuitesSkip } from '../support/external-suites.ts';
import { assertScimError, type Answer } from '../support/scim-errors.ts';
import { testDatabase } from '../support/test-database.ts';

/** Rollcall's body limit here; the vendor's server keeps Fastify's default of 1 MiB. */
const SCIM_BODY_LIMIT = 2 * 1024 * 1024;

let db: { url: string; drop: () => Promise<void> };
let app: FastifyInstance;
let rc: Rollcall;
let origin: string;

before(async () => {
  db = await testDatabase();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  rc = await createRollcall({ database: db.url, publicUrl: `${origin}/identity`, bodyLimitBytes: SCIM_BODY_LIMIT });
  // The vendor's app: Fastify's defaults, its own JSON API, Rollcall under /identity.
  app = Fastify();
  app.post('/api/echo', async (request) => ({ echo: request.body }));
  app.get('/api/fail', async () => { throw new Error('vendor failure'); });
  await app.register(rc.plugin, { prefix: '/identity' });
  await app.listen({ host: '127.0.0.1', port });
});

after(async () => {
  await app?.close();
  await rc?.close();
  await db?.drop();
});

/** A fetch answer with its body read (as assertScimError takes it). */
async function read(input: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(input, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const scimJson = (token: string) => ({ ...bearer(token), 'content-type': 'application/scim+json' });

async function tenantWithToken(slug: string): Promise<string> {
  await rc.tenants.create(slug, { name: `Tenant ${slug}` });
  return (await rc.tokens.issue(slug)).token;
}

test("Okta's SCIM 2.0 SPEC test passes against the plugin mounted under /identity", { skip: externalSuitesSkip }, async () => {
  const token = await tenantWithToken('okta-embedded');
  assert.equal(rc.scimUrl('okta-embedded'), `${origin}/identity/scim/v2/okta-embedded`);
  await assertOktaSuitePasses(rc.scimUrl('okta-embedded'), token);
});

test('every URL Rollcall returns includes the prefix, from publicUrl', async () => {
  const token = await tenantWithToken('urls');
  const base = `${origin}/identity/scim/v2/urls`;
  const spc = await fetch(`${base}/ServiceProviderConfig`, { headers: bearer(token) });
  assert.equal(spc.status, 200);
  assert.equal((await spc.json()).meta.location, `${base}/ServiceProviderConfig`);
  const created = await fetch(`${base}/Users`, { method: 'POST', headers: scimJson(token), body: JSON.stringify({ schemas: [USER_SCHEMA], userName: 'loc@example.com' }) });
  assert.equal(created.status, 201);
  const user = await created.json();
  assert.equal(user.meta.location, `${base}/Users/${user.id}`);
  assert.equal(created.headers.get('location'), user.meta.location);
  assert.equal((await fetch(user.meta.location, { headers: bearer(token) })).status, 200, 'meta.location is where the user is');
});

test("the vendor's routes beside the plugin keep Fastify's own parsers, errors, 404 and body limit", async () => {
  const echo = (body: string, type: string) => fetch(`${origin}/api/echo`, { method: 'POST', headers: { 'content-type': type }, body });

  const ok = await echo('{"a":1}', 'application/json');
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { echo: { a: 1 } });

  // Malformed JSON: Fastify's error, not a SCIM one.
  const bad = await echo('{nope', 'application/json');
  assert.equal(bad.status, 400);
  assert.match(bad.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal((await bad.json()).code, 'FST_ERR_CTP_INVALID_JSON_BODY');

  // SCIM parses every content type as JSON; the vendor's routes still refuse what they do not parse.
  const xml = await echo('<a/>', 'text/xml');
  assert.equal(xml.status, 415);
  assert.equal((await xml.json()).code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE');

  // The vendor's body limit is Fastify's default (1 MiB), not Rollcall's.
  const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) });
  const tooLarge = await echo(big, 'application/json');
  assert.equal(tooLarge.status, 413);
  assert.equal((await tooLarge.json()).code, 'FST_ERR_CTP_BODY_TOO_LARGE');

  // Fastify's 404 and error handler, outside /identity/scim (inside the prefix too).
  for (const path of ['/api/nope', '/identity/nope']) {
    const missing = await fetch(`${origin}${path}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { message: `Route GET:${path} not found`, error: 'Not Found', statusCode: 404 });
  }
  const failed = await fetch(`${origin}/api/fail`);
  assert.equal(failed.status, 500);
  assert.deepEqual(await failed.json(), { statusCode: 500, error: 'Internal Server Error', message: 'vendor failure' });
});

test('inside the plugin, SCIM errors, the SCIM 404 and Rollcall’s own body limit apply', async () => {
  const token = await tenantWithToken('scoped');
  const base = `${origin}/identity/scim/v2/scoped`;
  assertScimError(await read(`${origin}/identity/scim/elsewhere`), 404);
  assertScimError(await read(`${base}/Nope`, { headers: bearer(token) }), 404);
  assertScimError(await read(`${base}/Users`), 401);
  assertScimError(await read(`${base}/Users`, { method: 'POST', headers: scimJson(token), body: '{nope' }), 400, 'invalidSyntax');
  // Larger than the vendor's 1 MiB, within Rollcall's 2 MiB: parsed (and refused for its content, as SCIM).
  const padded = (n: number) => JSON.stringify({ schemas: [USER_SCHEMA], userName: 'big@example.com', title: 'x'.repeat(n) });
  assertScimError(await read(`${base}/Users`, { method: 'POST', headers: scimJson(token), body: padded(1.5 * 1024 * 1024) }), 400, 'invalidValue');
  assertScimError(await read(`${base}/Users`, { method: 'POST', headers: scimJson(token), body: padded(SCIM_BODY_LIMIT) }), 413);
  // A content type the vendor's server has no parser for is still SCIM JSON here.
  const created = await fetch(`${base}/Users`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'text/plain' }, body: JSON.stringify({ userName: 'plain@example.com' }) });
  assert.equal(created.status, 201);
});

test("the use cases the vendor's code calls and the SCIM surface see one directory", async () => {
  const token = await tenantWithToken('shared');
  const acme = rc.tenant('shared');
  const base = `${origin}/identity/scim/v2/shared`;

  // Written by the app, read by the IdP.
  const ada = await acme.users.create({ userName: 'ada@example.com', name: { givenName: 'Ada' }, emails: [{ value: 'ada@example.com', type: 'work' }] });
  assert.equal(ada.meta.location, `${base}/Users/${ada.id}`);
  const overHttp = await (await fetch(`${base}/Users/${ada.id}`, { headers: bearer(token) })).json();
  assert.equal(overHttp.userName, 'ada@example.com');

  // Written by the IdP, read by the app.
  const patched = await fetch(`${base}/Users/${ada.id}`, {
    method: 'PATCH', headers: scimJson(token),
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] }),
  });
  assert.equal(patched.status, 200);
  assert.equal((await acme.users.get(ada.id)).active, false);

  const eng = await acme.groups.create({ displayName: 'Engineering', members: [{ value: ada.id }] });
  assert.deepEqual((eng.members as { value: string }[]).map((m) => m.value), [ada.id]);
  assert.equal((await acme.groups.get(eng.id, { excludedAttributes: 'members' })).members, undefined);
  const grace = await acme.users.create({ userName: 'grace@example.com' });
  const withGrace = await acme.groups.patch(eng.id, { Operations: [{ op: 'add', path: 'members', value: [{ value: grace.id }] }] });
  assert.equal((withGrace.members as unknown[]).length, 2);

  // Filters, sorting and paging are the SCIM ones.
  const found = await acme.users.list({ filter: 'emails[type eq "work"].value sw "ada"' });
  assert.deepEqual(found.Resources.map((u) => u.id), [ada.id]);
  const sorted = await acme.users.list({ sortBy: 'userName', sortOrder: 'descending', count: 1 });
  assert.equal(sorted.totalResults, 2);
  assert.deepEqual(sorted.Resources.map((u) => u.userName), ['grace@example.com']);
  const everything = await acme.search({ count: 10 });
  assert.deepEqual(everything.Resources.map((r) => r.meta.resourceType), ['User', 'User', 'Group']);

  // Errors are the SCIM surface's own, typed.
  await assert.rejects(acme.users.create({ userName: 'ADA@example.com' }), (err) => err instanceof ScimError && err.status === 409 && err.scimType === 'uniqueness');
  await assert.rejects(acme.users.list({ filter: 'userName eq' }), (err) => err instanceof ScimError && err.scimType === 'invalidFilter');
  await assert.rejects(acme.users.replace(ada.id, { userName: 'ada@example.com' }, { ifMatch: 'W/"1"' }), (err) => err instanceof ScimError && err.status === 412);

  // Joining a group moved grace's version: If-Match takes the one just read.
  const current = await acme.users.get(grace.id);
  assert.notEqual(current.meta.version, grace.meta.version);
  const replaced = await acme.users.replace(grace.id, { userName: 'grace.hopper@example.com' }, { ifMatch: current.meta.version });
  assert.equal(replaced.userName, 'grace.hopper@example.com');
  await acme.users.delete(grace.id);
  await assert.rejects(acme.users.get(grace.id), (err) => err instanceof ScimError && err.status === 404);
  assert.equal((await fetch(`${base}/Users/${grace.id}`, { headers: bearer(token) })).status, 404);
  await acme.groups.delete(eng.id);
  assert.equal((await acme.groups.list()).totalResults, 0);
});

test('tenants and tokens from the app: a revoked token is refused at once, a tenant never sees another', async () => {
  const token = await tenantWithToken('keys');
  const other = await tenantWithToken('keys-other');
  assert.equal((await rc.tenants.get('KEYS'))?.name, 'Tenant keys');
  assert.equal(await rc.tenants.get('nobody'), undefined);
  assert.ok((await rc.tenants.list()).some((t) => t.slug === 'keys-other'));
  await assert.rejects(rc.tenants.create('keys'), TenantError);
  await assert.rejects(rc.tenants.create('Not A Slug'), TenantError);
  await assert.rejects(rc.tenant('nobody').users.list(), TenantError);

  const base = `${origin}/identity/scim/v2/keys`;
  assert.equal((await fetch(`${base}/Users`, { headers: bearer(other) })).status, 401, "another tenant's token");
  const [listed] = await rc.tokens.list('keys');
  assert.equal('hash' in listed, false, 'a listed token carries no hash');
  assert.equal(listed.hint, token.slice(-4));
  assert.equal((await fetch(`${base}/Users`, { headers: bearer(token) })).status, 200);
  await rc.tokens.revoke('keys', listed.id);
  assertScimError(await read(`${base}/Users`, { headers: bearer(token) }), 401);
  for (const expiresInMs of [0, -1, 1.5, Number.NaN]) await assert.rejects(rc.tokens.issue('keys', { expiresInMs }), TenantError);
  await assert.rejects(rc.tenants.get(42 as never), TenantError);
  const never = await rc.tokens.issue('keys', { expiresInMs: null });
  assert.equal(never.record.expiresAt, null);
  assert.equal((await fetch(`${base}/Users`, { headers: bearer(never.token) })).status, 200);
});

test('the admin API is mounted by the same plugin, under <prefix>/admin/v1, and the typed client reaches it at publicUrl', async () => {
  await tenantWithToken('admin-seen');
  // An admin key, made as `rollcall admin-key create` would, on another connection to the same database.
  const other = await openStore(loadConfig({ databaseUrl: db.url }, {}));
  const { key } = await createAdminKey(other, { name: 'embedded test', scope: 'read', ttlMs: null }).finally(() => other.close());
  const admin = RollcallAdmin({ baseUrl: `${origin}/identity`, key });
  const { data, error, response } = await admin.GET('/admin/v1/tenants/{tenant}', { params: { path: { tenant: 'admin-seen' } } });
  assert.equal(response.status, 200, JSON.stringify(error));
  assert.equal(data?.slug, 'admin-seen');
  const unauthenticated = await fetch(`${origin}/identity/admin/v1/tenants`);
  assert.equal(unauthenticated.status, 401);
  assert.match(unauthenticated.headers.get('content-type') ?? '', /^application\/problem\+json/);
  // The OpenAPI document's server is publicUrl, its paths start at /admin/v1: together, the mounted URLs.
  const doc = await (await fetch(`${origin}/identity/admin/v1/openapi.json`)).json();
  assert.deepEqual(doc.servers, [{ url: `${origin}/identity` }]);
  assert.ok('/admin/v1/tenants' in doc.paths);
});

test('a plugin registered under a prefix that publicUrl lacks is refused, saying which URL to pass', async () => {
  const other = Fastify();
  try {
    await assert.rejects(async () => { await other.register(rc.plugin, { prefix: '/directory' }); },
      (err) => err instanceof ConfigError && err.message.includes(`"${origin}/directory"`));
  } finally { await other.close(); }
});

test('close() closes the database once; a closed instance mounts nowhere', async () => {
  const own = await testDatabase();
  const closing = await createRollcall({ database: own.url, publicUrl: 'https://app.example.com/identity' });
  try {
    await closing.tenants.create('gone');
    await closing.close();
    await closing.close();
    await assert.rejects(closing.tenants.list());
    const late = Fastify();
    await assert.rejects(async () => { await late.register(closing.plugin, { prefix: '/identity' }); }, ConfigError);
    await late.close();
  } finally { await own.drop(); }
});

test('createRollcall refuses missing or unusable options with a clear error', async () => {
  await assert.rejects(createRollcall({ database: 'sqlite::memory:' } as never), /options\.publicUrl/);
  await assert.rejects(createRollcall({ database: 'mysql://x', publicUrl: 'https://a.example.com' }), ConfigError);
  await assert.rejects(createRollcall({ database: 'sqlite::memory:', publicUrl: 'app.example.com/identity' }), ConfigError);
});
