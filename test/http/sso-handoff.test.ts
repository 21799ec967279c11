// Handing a signed-in user to the app (docs/sso.md "Handing the user to your app", "Signing keys"),
// through the real server and database: codes issued by the hand-off the SAML sign-in calls,
// exchanged once at POST /admin/v1/sso/token with an sso-scoped key, JWTs verified with jose against
// the JWKS the server publishes, and signing keys rotated by moving the injected clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { cli } from '../../harness/processes.ts';
import { DEFAULTS } from '../../src/config/config.ts';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { Handoff, JWT_AUDIENCE, type SignInProfile } from '../../src/provisioning/sso/handoff.ts';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';

const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
const saml = DEFAULTS.saml;
const REFUSED = /^The code is unknown, expired or already used; start the sign-in again\.$/;

let server: AdminTestServer;
let handoff: Handoff;
let ssoKey: string;
let profileBase: Omit<SignInProfile, 'signedInAt' | 'sessionExpiresAt'>;

before(async () => {
  server = await startAdminServer({ tenant: 'sso-main', server: { clock } });
  // The hand-off as the SAML sign-in (lane S) uses it: same store, clock and public URL as the server.
  handoff = new Handoff(server.running.store, clock, saml, server.baseUrl);
  ssoKey = (await createAdminKey(server.running.store, { name: 'app sign-in', scope: 'sso', ttlMs: null }, clock)).key;
  const tenant = (await server.running.store.findTenantBySlug('sso-main'))!;
  profileBase = {
    id: 'u-1', userName: 'ada@acme.example', displayName: 'Ada Lovelace', name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: 'ada@acme.example', type: 'work', primary: true }], groups: [{ id: 'g-1', displayName: 'Engineering' }], roles: ['admin'],
    tenant: { id: tenant.id, slug: tenant.slug, ssoRequired: true }, connection: { id: 'c-1', name: 'Okta' },
  };
});
after(async () => { await server?.close(); });

const profile = (): SignInProfile => ({
  ...profileBase, signedInAt: new Date(clock.now()).toISOString(), sessionExpiresAt: new Date(clock.now() + saml.sessionTtlMs).toISOString(),
});
const exchange = (code: string, key: string | null = ssoKey) => server.admin('POST', '/sso/token', { key, body: { code } });
async function issueCode(target = 'https://app.example/sso/callback?state=a%20b'): Promise<{ code: string; url: URL; profile: SignInProfile }> {
  const p = profile();
  const step = await handoff.issue('code', new URL(target), p);
  assert.equal(step.kind, 'redirect');
  const url = new URL(step.url);
  return { code: url.searchParams.get('code')!, url, profile: p };
}
const jwks = () => createRemoteJWKSet(new URL(`${server.baseUrl}/sso/jwks.json`));
const verify = (token: string, keys: JWTVerifyGetKey = jwks()) =>
  jwtVerify(token, keys, { issuer: server.baseUrl, audience: JWT_AUDIENCE, algorithms: ['ES256'], currentDate: new Date(clock.now()) });

test('a code goes to the app on its own URL, the app\'s query kept as written; only its hash is stored', async () => {
  const { code, url } = await issueCode();
  assert.equal(url.origin + url.pathname, 'https://app.example/sso/callback');
  assert.match(url.search, /^\?state=a%20b&code=[A-Za-z0-9_-]{43}$/, 'state kept byte for byte, the code appended');
  const rows = await server.query('SELECT hash, profile FROM sso_codes');
  assert.ok(rows.length >= 1);
  assert.ok(rows.every((r) => r.hash !== code && !String(r.profile).includes(code)), 'the clear code is not stored');
  const replaced = await handoff.issue('code', new URL('https://app.example/cb?code=planted&x=1'), profile());
  const got = new URL((replaced as { url: string }).url);
  assert.deepEqual(got.searchParams.getAll('code').length, 1, 'a code already in returnTo is replaced, not left first in line');
  assert.notEqual(got.searchParams.get('code'), 'planted');
});

test('the code is exchanged once for the profile and a JWT; again, unknown or malformed: the same 400', async () => {
  const { code, profile: p } = await issueCode();
  const ok = await exchange(code);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  assert.deepEqual(ok.body.profile, p);
  assert.equal(ok.body.tokenType, 'JWT');
  assert.equal(ok.body.expiresAt, p.sessionExpiresAt);
  const { payload, protectedHeader } = await verify(ok.body.token);
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, p.id);
  assert.equal(payload.tid, p.tenant.id);
  assert.equal(payload.exp, Date.parse(p.sessionExpiresAt) / 1000);
  assert.deepEqual(payload.profile, p);

  const bodies: unknown[] = [];
  for (const again of [code, `${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`, 'not-a-code', 'x'.repeat(200)]) {
    const r = await exchange(again);
    const b = expectProblem(r, 400, { type: 'invalid-value', field: 'code', detail: REFUSED });
    bodies.push({ ...b, instance: undefined });
  }
  assert.ok(bodies.every((b) => JSON.stringify(b) === JSON.stringify(bodies[0])), 'used, unknown and malformed codes are told apart by nothing');
});

test('two exchanges of one code at the same moment: exactly one gets the profile', async () => {
  for (let round = 0; round < 3; round++) {
    const { code } = await issueCode();
    const answers = await Promise.all([exchange(code), exchange(code), exchange(code)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400], answers.map((a) => a.text).join('\n'));
  }
});

test('a code expires after the code TTL', async () => {
  const { code } = await issueCode();
  clock.advance(saml.codeTtlMs);
  expectProblem(await exchange(code), 400, { field: 'code', detail: REFUSED });
  const fresh = await issueCode();
  clock.advance(saml.codeTtlMs - 1);
  assert.equal((await exchange(fresh.code)).status, 200, 'still good a millisecond before');
});

test('the exchange takes a form-encoded body too, and refuses a body without a code', async () => {
  const { code } = await issueCode();
  const res = await fetch(`${server.baseUrl}/admin/v1/sso/token`, {
    method: 'POST', headers: { authorization: `Bearer ${ssoKey}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { profile: { id: string } }).profile.id, 'u-1');
  expectProblem(await server.admin('POST', '/sso/token', { key: ssoKey, body: {} }), 400, { field: 'code' });
  expectProblem(await server.admin('POST', '/sso/token', { key: ssoKey, body: { code: 'x', extra: 1 } }), 400, { field: 'extra' });
});

test('an sso-scoped key may only exchange codes; admin keys may exchange too, read keys may not', async () => {
  expectProblem(await server.admin('GET', '/tenants', { key: ssoKey }), 403, { type: 'forbidden', detail: /sso scope/ });
  expectProblem(await server.admin('POST', '/tenants', { key: ssoKey, body: { slug: 'nope' } }), 403);
  expectProblem(await server.admin('GET', '/admin-keys', { key: ssoKey }), 403);
  expectProblem(await server.admin('GET', '/tenants/sso-main/settings', { key: ssoKey }), 403);
  const { code } = await issueCode();
  expectProblem(await exchange(code, server.readKey), 403);
  expectProblem(await exchange(code, null), 401);
  assert.equal((await exchange(code, server.adminKey)).status, 200, 'the read and unauthenticated attempts did not use the code');
});

test('sso keys are created through the admin API and the CLI', async () => {
  const made = await server.admin('POST', '/admin-keys', { body: { name: 'app', scope: 'sso' } });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.body.scope, 'sso');
  const listed = await server.admin('GET', '/admin-keys');
  assert.ok(listed.body.data.some((k: { id: string; scope: string }) => k.id === made.body.id && k.scope === 'sso'));
  const { code } = await issueCode();
  assert.equal((await exchange(code, made.body.key)).status, 200);

  const r = cli(['admin-key', 'create', '--name', 'app from cli', '--scope', 'sso', '--json', '--db', server.databaseUrl]);
  assert.equal(r.code, 0, r.stderr);
  const fromCli = JSON.parse(r.stdout) as { key: string; scope: string };
  assert.equal(fromCli.scope, 'sso');
  expectProblem(await server.admin('GET', '/tenants', { key: fromCli.key }), 403);
  const second = await issueCode();
  assert.equal((await exchange(second.code, fromCli.key)).status, 200);
});

test('the jwt hand-off posts a signed token of the profile to the app URL', async () => {
  const p = profile();
  const step = await handoff.issue('jwt', new URL('https://app.example/sso/callback?state=s1'), p);
  assert.equal(step.kind, 'form_post');
  if (step.kind !== 'form_post') return;
  assert.equal(step.url, 'https://app.example/sso/callback?state=s1');
  assert.deepEqual(Object.keys(step.fields), ['token']);
  const { payload } = await verify(step.fields.token);
  assert.deepEqual(payload.profile, p);
  await assert.rejects(jwtVerify(step.fields.token, jwks(), { issuer: server.baseUrl, audience: 'another-app', currentDate: new Date(clock.now()) }), 'the audience is checked');
});

test('the JWKS is public JSON of public keys only', async () => {
  await handoff.sign(profile());
  const res = await fetch(`${server.baseUrl}/sso/jwks.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const set = (await res.json()) as JSONWebKeySet;
  assert.ok(set.keys.length >= 1);
  for (const k of set.keys) {
    assert.equal(k.kty, 'EC');
    assert.equal(k.alg, 'ES256');
    assert.equal(k.use, 'sig');
    assert.equal(typeof k.kid, 'string');
    assert.equal((k as { d?: string }).d, undefined, 'no private part');
  }
});

test('key rotation: after retiresAt a new kid signs; the old stays published until its expiresAt; two processes making a key at once both verify', async () => {
  const kidOf = async () => decodeProtectedHeader(await handoff.sign(profile())).kid!;
  const fetchSet = async () => (await (await fetch(`${server.baseUrl}/sso/jwks.json`)).json()) as JSONWebKeySet;
  const first = await kidOf();
  assert.equal(await kidOf(), first, 'the same key signs until it retires');
  const [key] = (await server.running.store.listSigningKeys(new Date(clock.now()).toISOString())).filter((k) => k.kid === first);
  assert.equal(Date.parse(key.retiresAt) - Date.parse(key.createdAt), saml.signingKeyRotationMs);
  assert.equal(Date.parse(key.expiresAt) - Date.parse(key.retiresAt), saml.signingKeyRotationMs + saml.sessionTtlMs);

  const oldToken = await handoff.sign(profile());
  const oldSignedAt = new Date(clock.now());
  clock.set(key.retiresAt);
  const { code } = await issueCode();
  const viaServer = await exchange(code);
  assert.equal(viaServer.status, 200, viaServer.text);
  const second = decodeProtectedHeader(viaServer.body.token).kid!;
  assert.notEqual(second, first, 'a new key signs once the first retired');
  assert.equal(await kidOf(), second, 'and every process then signs with it');
  const set = await fetchSet();
  assert.ok(set.keys.some((k) => k.kid === first) && set.keys.some((k) => k.kid === second), 'both published');
  assert.equal(decodeProtectedHeader(oldToken).kid, first);
  await verify(viaServer.body.token, createLocalJWKSet(set));
  await jwtVerify(oldToken, createLocalJWKSet(set), { issuer: server.baseUrl, audience: JWT_AUDIENCE, currentDate: oldSignedAt });

  clock.set(key.expiresAt);
  assert.ok(!(await fetchSet()).keys.some((k) => k.kid === first), 'the first key is gone once expired');

  // Two processes (two hand-offs over one database) finding no signing key at the same moment.
  const other = new Handoff(server.running.store, clock, saml, server.baseUrl);
  const current = (await server.running.store.listSigningKeys(new Date(clock.now()).toISOString())).find((k) => k.kid === second)!;
  clock.set(current.retiresAt);
  const tokens = await Promise.all([handoff.sign(profile()), other.sign(profile())]);
  const after = createLocalJWKSet(await fetchSet());
  for (const t of tokens) await verify(t, after);
  const kids = new Set(tokens.map((t) => decodeProtectedHeader(t).kid));
  assert.ok(!kids.has(second), 'neither signed with the retired key');
});
