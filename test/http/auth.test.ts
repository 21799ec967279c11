// Bearer-token authentication of the SCIM endpoints, through the real server and its SQLite file.
// Every refusal is a 401 SCIM error with WWW-Authenticate, whose detail says what is wrong with
// the token but never whether another tenant exists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { startTestServer, type TestServer } from '../support/server.ts';
import { TEST_DATABASE } from '../support/test-database.ts';
import { expectScimError } from '../support/scim-errors.ts';
import { generateToken } from '../../src/provisioning/tenants/token-format.ts';
import { issueToken, revokeToken } from '../../src/provisioning/tenants/tokens.ts';
import type { Tenant } from '../../src/store/store.ts';


let server: TestServer;
let slugCounter = 0;

before(async () => { server = await startTestServer(); });
after(async () => { await server?.close(); });

function newSlug(prefix: string): string {
  return `${prefix}-${process.pid}-${++slugCounter}`;
}

async function tenantFor(slug: string): Promise<Tenant> {
  const t = await server.running.store.findTenantBySlug(slug);
  assert.ok(t, `tenant ${slug} exists`);
  return t;
}

function get(scimUrl: string, authorization?: string, path = '/Users'): Promise<Response> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  return fetch(scimUrl + path, { headers });
}

/** Asserts a 401 SCIM error with WWW-Authenticate; returns its detail. */
async function expect401(res: Response, detailPattern?: RegExp): Promise<string> {
  const wwwAuth = res.headers.get('www-authenticate');
  const { detail } = await expectScimError(res, 401, undefined, detailPattern);
  assert.ok(wwwAuth, 'a 401 carries WWW-Authenticate');
  assert.match(wwwAuth, /^Bearer\b/);
  assert.ok(detail.length > 10, 'the detail explains the refusal');
  return detail;
}

test('a valid token is accepted (control for every refusal below)', async () => {
  const res = await get(server.scimUrl, `Bearer ${server.token}`);
  assert.equal(res.status, 200);
  const body = await res.json() as { totalResults: number };
  assert.equal(typeof body.totalResults, 'number');
});

test('a request without an Authorization header is refused and told how to authenticate', async () => {
  await expect401(await get(server.scimUrl), /Bearer/);
});

test('an empty Authorization header is refused like a missing one', async () => {
  const detail = await expect401(await get(server.scimUrl, ''));
  const missing = await expect401(await get(server.scimUrl));
  assert.equal(detail, missing);
});

test('a non-Bearer scheme is refused with a detail naming the Bearer scheme', async () => {
  await expect401(await get(server.scimUrl, `Basic ${Buffer.from('admin:admin').toString('base64')}`), /Bearer scheme/);
  await expect401(await get(server.scimUrl, `Token ${server.token}`), /Bearer scheme/);
  // The scheme alone, without a token, is not a Bearer credential either.
  await expect401(await get(server.scimUrl, 'non-token'), /Bearer scheme/);
});

test('a bearer value that is not a Rollcall token says so', async () => {
  await expect401(await get(server.scimUrl, 'Bearer non-token'), /not a Rollcall token/);
  await expect401(await get(server.scimUrl, 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig'), /not a Rollcall token/);
});

test('a truncated token is reported as truncated', async () => {
  await expect401(await get(server.scimUrl, `Bearer ${server.token.slice(0, -1)}`), /truncated/);
});

test('a token with an appended character is reported as such, not accepted', async () => {
  await expect401(await get(server.scimUrl, `Bearer ${server.token}x`), /appended/);
});

test('an altered token fails its checksum', async () => {
  const t = server.token;
  // Change one character of the random body (not the checksum): same length, same alphabet.
  const i = 10;
  const altered = t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
  assert.notEqual(altered, t);
  assert.equal(altered.length, t.length);
  await expect401(await get(server.scimUrl, `Bearer ${altered}`), /checksum/);
});

test('a well-formed token that was never issued is "not recognised"', async () => {
  await expect401(await get(server.scimUrl, `Bearer ${generateToken()}`), /not recognised/);
});

test('a revoked token works until revoked, then is refused as revoked', async () => {
  const slug = newSlug('revoke');
  const { scimUrl, token } = await server.createTenant(slug);
  assert.equal((await get(scimUrl, `Bearer ${token}`)).status, 200);
  const tenant = await tenantFor(slug);
  const second = await issueToken(server.running.store, tenant, 86_400_000);
  assert.equal((await get(scimUrl, `Bearer ${second.token}`)).status, 200);
  await revokeToken(server.running.store, tenant, second.record.id);
  await expect401(await get(scimUrl, `Bearer ${second.token}`), /revoked/);
  // Revoking one token leaves the tenant's other tokens working (rotation).
  assert.equal((await get(scimUrl, `Bearer ${token}`)).status, 200);
});

test("a token revoked outside this server (another process, an admin's SQL) is refused from the next request on", async () => {
  const slug = newSlug('revoke-elsewhere');
  const { scimUrl } = await server.createTenant(slug);
  const issued = await issueToken(server.running.store, await tenantFor(slug), null);
  // Used twice, so any reuse of the first authentication would show on the request after the revocation.
  for (let i = 0; i < 2; i++) assert.equal((await get(scimUrl, `Bearer ${issued.token}`)).status, 200);
  await server.query('UPDATE tokens SET revoked_at = ? WHERE id = ?', [new Date().toISOString(), issued.record.id]);
  // SQLite sees another connection's commit on the next request; PostgreSQL tells each server
  // process by notification, which arrives within milliseconds.
  const deadline = Date.now() + (TEST_DATABASE === 'postgres' ? 2000 : 0);
  let res = await get(scimUrl, `Bearer ${issued.token}`);
  while (res.status === 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
    res = await get(scimUrl, `Bearer ${issued.token}`);
  }
  await expect401(res, /revoked/);
});

test('an expired token is refused as expired', async () => {
  const slug = newSlug('expire');
  const { scimUrl } = await server.createTenant(slug);
  const issued = await issueToken(server.running.store, await tenantFor(slug), 1);
  await new Promise((r) => setTimeout(r, 20));
  await expect401(await get(scimUrl, `Bearer ${issued.token}`), /expired/);
});

test('extra white space between the scheme and the token, and a lower-case scheme, are tolerated', async () => {
  assert.equal((await get(server.scimUrl, `Bearer    ${server.token}`)).status, 200);
  assert.equal((await get(server.scimUrl, `bearer ${server.token}`)).status, 200);
  // Trailing white space sent on the wire (fetch would strip it, node:http does not).
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(server.scimUrl + '/Users');
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers: { authorization: `Bearer \t${server.token} \t` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 200);
});

test("tenant A's token on tenant B's URL is refused exactly like an unknown token", async () => {
  const a = await server.createTenant(newSlug('iso-a'));
  const b = await server.createTenant(newSlug('iso-b'));
  assert.equal((await get(b.scimUrl, `Bearer ${b.token}`)).status, 200);
  const crossDetail = await expect401(await get(b.scimUrl, `Bearer ${a.token}`));
  const unknownDetail = await expect401(await get(b.scimUrl, `Bearer ${generateToken()}`));
  assert.equal(crossDetail, unknownDetail, 'the detail must not reveal that tenant B exists or that the token is valid elsewhere');
  assert.ok(!crossDetail.includes(new URL(a.scimUrl).pathname.split('/').pop()!), 'the detail does not name tenant A');
});

test('a valid token on an unknown tenant slug gets the same 401 as an unknown token', async () => {
  const unknownSlugUrl = `${server.baseUrl}/scim/v2/no-such-tenant-${process.pid}`;
  const onUnknownTenant = await expect401(await get(unknownSlugUrl, `Bearer ${server.token}`));
  const unknownToken = await expect401(await get(server.scimUrl, `Bearer ${generateToken()}`));
  assert.equal(onUnknownTenant, unknownToken);
  // And no authentication at all on an unknown tenant is the same 401 as on a known one.
  assert.equal(await expect401(await get(unknownSlugUrl)), await expect401(await get(server.scimUrl)));
});

test('authentication guards every SCIM endpoint, discovery and writes included', async () => {
  const bogus = `Bearer ${generateToken()}`;
  for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes', '/Groups', '/Users/some-id']) {
    await expect401(await get(server.scimUrl, bogus, path));
  }
  const post = await fetch(server.scimUrl + '/Users', {
    method: 'POST', headers: { authorization: bogus, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'intruder' }),
  });
  await expect401(post);
  // Nothing was created by the refused request.
  const list = await fetch(`${server.scimUrl}/Users?filter=${encodeURIComponent('userName eq "intruder"')}`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal((await list.json() as { totalResults: number }).totalResults, 0);
});

test('only the SHA-256 of a token is stored, and its use is recorded', async () => {
  const slug = newSlug('hash');
  const { scimUrl, token } = await server.createTenant(slug);
  const tenant = await tenantFor(slug);
  {
    type Row = Record<string, string | null>;
    const rows = async () => (await server.query('SELECT * FROM tokens WHERE tenant_id = ?', [tenant.id])) as Row[];
    const before = await rows();
    assert.equal(before.length, 1);
    const all = (await server.query('SELECT * FROM tokens')) as Row[];
    for (const row of all) {
      for (const [col, value] of Object.entries(row)) {
        assert.ok(value === null || !String(value).includes(token), `column ${col} must not hold the clear token`);
        // Not even the random body without its prefix.
        assert.ok(value === null || !String(value).includes(token.slice(4, 40)), `column ${col} must not hold part of the token`);
      }
    }
    assert.equal(before[0].hash, createHash('sha256').update(token).digest('hex'));
    assert.equal(before[0].last_used_at, null, 'a token never used has no last_used_at');

    const startedAt = Date.now();
    assert.equal((await get(scimUrl, `Bearer ${token}`)).status, 200);
    // The use is recorded best-effort after authentication: give it a moment.
    let lastUsed: string | null = null;
    for (let i = 0; i < 50 && !lastUsed; i++) {
      lastUsed = (await rows())[0].last_used_at;
      if (!lastUsed) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(lastUsed, 'last_used_at is recorded after a request');
    assert.ok(Date.parse(lastUsed) >= startedAt - 1000 && Date.parse(lastUsed) <= Date.now() + 1000, `last_used_at ${lastUsed} is the time of the request`);
  }
});
