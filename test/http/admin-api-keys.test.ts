// The admin API's credentials, through the real server and database: admin keys (missing, garbled,
// unknown, revoked, expired; read scope; last use), the SCIM/admin separation of credentials, and a
// tenant's SCIM tokens managed over the API (shown once, revoke, rotate with an overlap that ends).
// The server runs on a ManualClock, so expiry is tested by moving time, never by sleeping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { ADMIN_KEY_PREFIX, generateToken } from '../../src/provisioning/tenants/token-format.ts';
import { expectProblem, scim, startAdminServer, type AdminAnswer, type AdminTestServer } from '../support/admin.ts';
import { assertScimError } from '../support/scim-errors.ts';

const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
let server: AdminTestServer;
let slugN = 0;
const newSlug = (p: string) => `${p}-${process.pid}-${++slugN}`;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

before(async () => { server = await startAdminServer({ server: { clock } }); });
after(async () => { await server?.close(); });

/** A 401 problem with the Bearer challenge; returns its detail. */
function expect401(res: AdminAnswer, detail?: RegExp): string {
  const b = expectProblem(res, 401, { type: 'unauthorized', detail });
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/, 'a 401 carries WWW-Authenticate: Bearer');
  return b.detail;
}

async function newTenantWithToken(prefix: string): Promise<{ slug: string; scimUrl: string; token: string; tokenId: string }> {
  const slug = newSlug(prefix);
  assert.equal((await server.admin('POST', '/tenants', { body: { slug } })).status, 201);
  const t = await server.admin('POST', `/tenants/${slug}/tokens`, { body: { name: 'okta' } });
  assert.equal(t.status, 201, t.text);
  return { slug, scimUrl: t.body.scimUrl, token: t.body.token, tokenId: t.body.id };
}

test('an admin key is accepted (control for every refusal below)', async () => {
  const res = await server.admin('GET', '/tenants');
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.body.data));
});

test('no Authorization header, an empty one, or another scheme: 401 problem+json with WWW-Authenticate saying how to authenticate', async () => {
  expect401(await server.admin('GET', '/tenants', { key: null }), /admin API key|rca_/);
  expect401(await server.admin('GET', '/tenants', { key: null, headers: { authorization: '' } }));
  expect401(await server.admin('GET', '/tenants', { key: null, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }), /Bearer/);
});

test('a garbled key (truncated, altered, not a key at all) is refused saying what is wrong with it', async () => {
  expect401(await server.admin('GET', '/tenants', { key: server.adminKey.slice(0, -3) }), /truncated/);
  const altered = server.adminKey.slice(0, 10) + (server.adminKey[10] === 'A' ? 'B' : 'A') + server.adminKey.slice(11);
  expect401(await server.admin('GET', '/tenants', { key: altered }), /checksum/);
  expect401(await server.admin('GET', '/tenants', { key: 'hunter2' }), /rca_/);
});

test('unknown well-formed keys all get one uniform detail that reveals nothing about existing keys', async () => {
  const a = expect401(await server.admin('GET', '/tenants', { key: generateToken(ADMIN_KEY_PREFIX) }));
  const b = expect401(await server.admin('GET', '/tenants/some-tenant/tokens', { key: generateToken(ADMIN_KEY_PREFIX) }));
  assert.equal(a, b);
  assert.doesNotMatch(a, /test admin|test reader|ak_/);
});

test('a SCIM token on /admin is refused with 401 saying an admin API key is expected', async () => {
  expect401(await server.admin('GET', '/tenants', { key: server.token }), /admin API key/);
});

test('an admin key on /scim/v2/<tenant> is refused with a SCIM 401 saying a SCIM token is expected', async () => {
  const res = await scim(`${server.scimUrl}/Users`, server.adminKey);
  const body = assertScimError(res, 401, undefined, /admin API key/);
  assert.match(body.detail, /SCIM token/);
});

test('a revoked key is refused from the next request on; revoking it again is a 409, an unknown id a 404', async () => {
  const made = await server.admin('POST', '/admin-keys', { body: { name: 'short-lived', scope: 'admin' } });
  assert.equal(made.status, 201, made.text);
  assert.equal((await server.admin('GET', '/tenants', { key: made.body.key })).status, 200);
  assert.equal((await server.admin('DELETE', `/admin-keys/${made.body.id}`)).status, 204);
  expect401(await server.admin('GET', '/tenants', { key: made.body.key }), /revoked/);
  expectProblem(await server.admin('DELETE', `/admin-keys/${made.body.id}`), 409, { type: 'conflict' });
  expectProblem(await server.admin('DELETE', '/admin-keys/ak_000000000000'), 404, { type: 'not-found' });
});

test('a key that has expired is refused as expired', async () => {
  const made = await server.admin('POST', '/admin-keys', { body: { name: 'one hour', scope: 'read', expiresIn: '1h' } });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.body.expiresAt, new Date(clock.now() + 3_600_000).toISOString());
  assert.equal((await server.admin('GET', '/tenants', { key: made.body.key })).status, 200);
  clock.advance(3_600_000);
  try {
    expect401(await server.admin('GET', '/tenants', { key: made.body.key }), /expired/);
  } finally { clock.advance(1000); }
});

test('an admin key is shown once: the listing never holds the key or its hash; the new key works', async () => {
  const made = await server.admin('POST', '/admin-keys', { body: { name: 'billing service', scope: 'read' } });
  assert.equal(made.status, 201, made.text);
  assert.match(made.body.key, /^rca_[0-9A-Za-z]{49}$/);
  assert.equal(made.body.hint, made.body.key.slice(-4));
  const list = await server.admin('GET', '/admin-keys');
  assert.equal(list.status, 200);
  const mine = list.body.data.find((k: { id: string }) => k.id === made.body.id);
  assert.deepEqual({ name: mine.name, scope: mine.scope }, { name: 'billing service', scope: 'read' });
  for (const k of list.body.data) assert.equal('key' in k || 'hash' in k, false);
  assert.ok(!list.text.includes(made.body.key) && !list.text.includes(sha256(made.body.key)));
  assert.ok(!list.text.includes(server.adminKey) && !list.text.includes(sha256(server.adminKey)));
  assert.equal((await server.admin('GET', '/tenants', { key: made.body.key })).status, 200);
});

test("a key's last use is recorded and shown in the listing", async () => {
  const made = await createAdminKey(server.running.store, { name: 'used once', scope: 'read', ttlMs: null }, clock);
  const before = (await server.admin('GET', '/admin-keys')).body.data.find((k: { id: string }) => k.id === made.record.id);
  assert.equal(before.lastUsedAt, null);
  assert.equal((await server.admin('GET', '/tenants', { key: made.key })).status, 200);
  let seen: string | null = null;
  // The use is recorded best effort, after the answer: give it a moment.
  for (let i = 0; i < 50 && seen === null; i++) {
    seen = (await server.admin('GET', '/admin-keys')).body.data.find((k: { id: string }) => k.id === made.record.id).lastUsedAt;
    if (seen === null) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(seen, new Date(clock.now()).toISOString());
});

test('a read-scope key can GET everything but every write is a 403 problem that writes nothing', async () => {
  const t = await newTenantWithToken('readonly');
  const user = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'local.reader@example.com' } } });
  assert.equal(user.status, 201, user.text);
  const group = await server.admin('POST', `/tenants/${t.slug}/groups`, { body: { attributes: { displayName: 'Readers' } } });
  assert.equal(group.status, 201, group.text);
  const reads = ['/tenants', `/tenants/${t.slug}`, `/tenants/${t.slug}/tokens`, `/tenants/${t.slug}/users`, `/tenants/${t.slug}/users/${user.body.id}`,
    `/tenants/${t.slug}/groups`, `/tenants/${t.slug}/groups/${group.body.id}`, `/tenants/${t.slug}/groups/${group.body.id}/members`, '/admin-keys', '/audit'];
  for (const path of reads) assert.equal((await server.admin('GET', path, { key: server.readKey })).status, 200, `GET ${path}`);

  const snapshot = async () => JSON.stringify(await Promise.all(['/tenants?limit=500', `/tenants/${t.slug}/tokens`, `/tenants/${t.slug}/users`, `/tenants/${t.slug}/groups`, '/admin-keys', '/audit?limit=500']
    .map(async (p) => (await server.admin('GET', p)).body)));
  const before = await snapshot();
  const writes: [string, string, unknown][] = [
    ['POST', '/tenants', { slug: newSlug('nope') }],
    ['PATCH', `/tenants/${t.slug}`, { name: 'Renamed' }],
    ['DELETE', `/tenants/${t.slug}?confirm=${t.slug}`, undefined],
    ['POST', `/tenants/${t.slug}/tokens`, {}],
    ['POST', `/tenants/${t.slug}/tokens/${t.tokenId}/rotate`, {}],
    ['DELETE', `/tenants/${t.slug}/tokens/${t.tokenId}`, undefined],
    ['POST', `/tenants/${t.slug}/users`, { attributes: { userName: 'sneaky@example.com' } }],
    ['PUT', `/tenants/${t.slug}/users/${user.body.id}`, { attributes: { userName: 'renamed@example.com' } }],
    ['DELETE', `/tenants/${t.slug}/users/${user.body.id}`, undefined],
    ['POST', `/tenants/${t.slug}/groups`, { attributes: { displayName: 'Sneaky' } }],
    ['PUT', `/tenants/${t.slug}/groups/${group.body.id}`, { attributes: { displayName: 'Renamed' } }],
    ['DELETE', `/tenants/${t.slug}/groups/${group.body.id}`, undefined],
    ['POST', '/admin-keys', { name: 'escalate', scope: 'admin' }],
    ['DELETE', `/admin-keys/${server.adminKeyId}`, undefined],
  ];
  for (const [method, path, body] of writes) {
    expectProblem(await server.admin(method, path, { key: server.readKey, body }), 403, { type: 'forbidden', detail: /read/ });
  }
  assert.equal(await snapshot(), before, 'no write of a read key changed anything');
  assert.equal((await scim(`${t.scimUrl}/Users`, t.token)).status, 200, 'the token the read key tried to revoke still works');
});

test('/admin/v1/openapi.json is readable without a key and describes the secured operations', async () => {
  const res = await server.admin('GET', '/openapi.json', { key: null });
  assert.equal(res.status, 200);
  assert.equal(res.body.openapi, '3.1.0');
  assert.ok(res.body.paths['/tenants'] || res.body.paths['/admin/v1/tenants'], Object.keys(res.body.paths).join(', '));
});

test('a SCIM token is created over the API, shown once, and works on SCIM; the listing never shows it or its hash', async () => {
  const t = await newTenantWithToken('tokens');
  assert.match(t.token, /^rcs_/);
  assert.match(t.scimUrl, new RegExp(`/scim/v2/${t.slug}$`));
  assert.equal((await scim(`${t.scimUrl}/Users`, t.token)).status, 200);
  const list = await server.admin('GET', `/tenants/${t.slug}/tokens`);
  assert.equal(list.status, 200);
  const [tok] = list.body.data;
  assert.equal(list.body.data.length, 1);
  assert.equal(tok.id, t.tokenId);
  assert.equal(tok.name, 'okta');
  assert.equal(tok.hint, t.token.slice(-4));
  assert.equal(tok.status, 'live');
  assert.ok(!list.text.includes(t.token) && !list.text.includes(sha256(t.token)), 'neither secret nor hash in the listing');
  assert.equal('token' in tok || 'hash' in tok, false);
});

test("a token's last use shows in the listing after it is used on SCIM", async () => {
  const t = await newTenantWithToken('tokenuse');
  assert.equal((await scim(`${t.scimUrl}/Users`, t.token)).status, 200);
  let seen: string | null = null;
  for (let i = 0; i < 50 && seen === null; i++) {
    seen = (await server.admin('GET', `/tenants/${t.slug}/tokens`)).body.data[0].lastUsedAt;
    if (seen === null) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(seen, new Date(clock.now()).toISOString());
});

test('a revoked token gets a SCIM 401 on the very next request; revoking again is a 409, an unknown token a 404', async () => {
  const t = await newTenantWithToken('revoke');
  assert.equal((await scim(`${t.scimUrl}/Users`, t.token)).status, 200, 'authenticated (and remembered) before the revocation');
  assert.equal((await server.admin('DELETE', `/tenants/${t.slug}/tokens/${t.tokenId}`)).status, 204);
  assertScimError(await scim(`${t.scimUrl}/Users`, t.token), 401, undefined, /revoked/);
  expectProblem(await server.admin('DELETE', `/tenants/${t.slug}/tokens/${t.tokenId}`), 409, { type: 'conflict' });
  expectProblem(await server.admin('DELETE', `/tenants/${t.slug}/tokens/tok_000000000000`), 404, { type: 'not-found' });
  const listed = (await server.admin('GET', `/tenants/${t.slug}/tokens`)).body.data[0];
  assert.equal(listed.status, 'revoked');
  assert.equal(listed.revokedAt, new Date(clock.now()).toISOString());
});

test("rotation: both tokens work during the overlap; the old one has expiresAt = oldExpiresAt and is refused as expired once it passes", async () => {
  const t = await newTenantWithToken('rotate');
  const until = new Date(clock.now() + 2 * 86_400_000).toISOString();
  const r = await server.admin('POST', `/tenants/${t.slug}/tokens/${t.tokenId}/rotate`, { body: { oldExpiresAt: until } });
  assert.equal(r.status, 201, r.text);
  assert.match(r.body.token, /^rcs_/);
  assert.notEqual(r.body.token, t.token);
  assert.notEqual(r.body.id, t.tokenId);
  assert.equal(r.body.name, 'okta', 'the new token keeps the name');
  assert.equal(r.body.previous.id, t.tokenId);
  assert.equal(r.body.previous.expiresAt, until);
  assert.equal(r.body.previous.status, 'live');
  const listed = (await server.admin('GET', `/tenants/${t.slug}/tokens`)).body.data;
  assert.equal(listed.find((x: { id: string }) => x.id === t.tokenId).expiresAt, until);
  assert.equal((await scim(`${t.scimUrl}/Users`, t.token)).status, 200, 'old token during the overlap');
  assert.equal((await scim(`${t.scimUrl}/Users`, r.body.token)).status, 200, 'new token');

  clock.set(until);
  assertScimError(await scim(`${t.scimUrl}/Users`, t.token), 401, undefined, /expired/);
  assert.equal((await scim(`${t.scimUrl}/Users`, r.body.token)).status, 200, 'the new token outlives the overlap');
  const after = (await server.admin('GET', `/tenants/${t.slug}/tokens`)).body.data;
  assert.equal(after.find((x: { id: string }) => x.id === t.tokenId).status, 'expired');
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/tokens/${t.tokenId}/rotate`, { body: {} }), 409, { type: 'conflict', detail: /expired/ });
  clock.advance(1000);
});

test('rotation without a time keeps the old token working for 7 days', async () => {
  const t = await newTenantWithToken('rotate7');
  const r = await server.admin('POST', `/tenants/${t.slug}/tokens/${t.tokenId}/rotate`);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.previous.expiresAt, new Date(clock.now() + 7 * 86_400_000).toISOString());
  clock.advance(7 * 86_400_000 - 1000);
  assert.equal((await scim(`${t.scimUrl}/Users`, t.token)).status, 200);
  clock.advance(1000);
  assertScimError(await scim(`${t.scimUrl}/Users`, t.token), 401, undefined, /expired/);
  assert.equal((await scim(`${t.scimUrl}/Users`, r.body.token)).status, 200);
  clock.advance(1000);
});

test('rotating a revoked token is a 409; an overlap ending in the past or an unknown token are refused', async () => {
  const t = await newTenantWithToken('rotaterevoked');
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/tokens/${t.tokenId}/rotate`, { body: { oldExpiresAt: '2000-01-01T00:00:00Z' } }), 400, { detail: /past/ });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/tokens/tok_000000000000/rotate`, { body: {} }), 404, { type: 'not-found' });
  assert.equal((await server.admin('DELETE', `/tenants/${t.slug}/tokens/${t.tokenId}`)).status, 204);
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/tokens/${t.tokenId}/rotate`, { body: {} }), 409, { type: 'conflict', detail: /revoked/ });
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/tokens`)).body.data.length, 1, 'no token was issued by the refused rotations');
});

test("tenant B's token id through tenant A's path is a 404, and B's token keeps working", async () => {
  const a = await newTenantWithToken('tok-a');
  const b = await newTenantWithToken('tok-b');
  expectProblem(await server.admin('DELETE', `/tenants/${a.slug}/tokens/${b.tokenId}`), 404, { type: 'not-found' });
  expectProblem(await server.admin('POST', `/tenants/${a.slug}/tokens/${b.tokenId}/rotate`, { body: {} }), 404, { type: 'not-found' });
  assert.equal((await scim(`${b.scimUrl}/Users`, b.token)).status, 200);
  assert.equal((await server.admin('GET', `/tenants/${b.slug}/tokens`)).body.data.length, 1);
});
