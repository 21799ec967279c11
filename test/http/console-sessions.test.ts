// Console sessions through the real server and database (docs/console.md "Signing in and
// sessions", "Security"): an admin key exchanged for an HttpOnly, SameSite=Strict cookie and a
// CSRF token; writes refused without the token, from another origin or another site; a read key's
// session only reads; a session ends on sign-out, when its key is revoked or expires, after its
// idle time and at its absolute end. The server runs on a ManualClock: expiry is tested by moving
// time, never by sleeping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { asBrowser, signInWithKey } from '../support/console-session.ts';

const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
let server: AdminTestServer;
let n = 0;
const slug = () => `cs-${process.pid}-${++n}`;

before(async () => { server = await startAdminServer({ server: { clock } }); });
after(async () => { await server?.close(); });

test('an admin key signs in: a cookie that is HttpOnly, SameSite=Strict, Path=/ and not Secure over http; the session names its key', async () => {
  const s = await signInWithKey(server.baseUrl, server.adminKey);
  const attrs = s.setCookie.split(';').map((a) => a.trim().toLowerCase());
  assert.ok(attrs.includes('httponly'), s.setCookie);
  assert.ok(attrs.includes('samesite=strict'), s.setCookie);
  assert.ok(attrs.includes('path=/'), s.setCookie);
  assert.ok(!attrs.includes('secure'), 'plain http: no Secure (the browser would drop the cookie)');
  assert.ok(attrs.includes(`max-age=${12 * 3600}`), `12 hours by default: ${s.setCookie}`);
  assert.match(s.cookie, /^rollcall_session=[A-Za-z0-9_-]{43}$/);
  assert.equal(s.body.kind, 'admin');
  assert.deepEqual(s.body.key, { id: server.adminKeyId, name: 'test admin', scope: 'admin' });
  assert.equal(s.body.expiresAt, '2026-03-01T12:00:00.000Z');
  assert.match(s.csrfToken, /^[A-Za-z0-9_-]{43}$/);

  const current = await asBrowser(server.baseUrl, s, 'GET', '/sessions/current');
  assert.equal(current.status, 200, current.text);
  assert.equal(current.headers.get('cache-control'), 'no-store');
  assert.equal(current.body.csrfToken, s.csrfToken, 'the same CSRF token for the life of the session');
  assert.equal(current.body.kind, 'admin');

  // Only the secret's hash is stored: the cookie's value is nowhere in the table.
  const secret = s.cookie.split('=')[1];
  const rows = await server.query('SELECT id FROM console_sessions WHERE id = ?', [createHash('sha256').update(secret).digest('hex')]);
  assert.equal(rows.length, 1);
  assert.equal((await server.query('SELECT id FROM console_sessions WHERE id = ?', [secret])).length, 0);
});

test('a session reads and writes like its key; every write needs the X-CSRF-Token', async () => {
  const s = await signInWithKey(server.baseUrl, server.adminKey);
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', '/tenants')).status, 200);
  const name = slug();
  const noToken = await asBrowser(server.baseUrl, s, 'POST', '/tenants', { body: { slug: name }, csrf: false });
  expectProblem(noToken, 403, { type: 'csrf', detail: /X-CSRF-Token/ });
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', '/tenants', { body: { slug: name }, csrf: 'x'.repeat(43) }), 403, { type: 'csrf' });
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', '/tenants', { body: { slug: name }, csrf: '' }), 403, { type: 'csrf' });
  assert.equal((await server.admin('GET', `/tenants/${name}`)).status, 404, 'nothing was created by the refused requests');
  const ok = await asBrowser(server.baseUrl, s, 'POST', '/tenants', { body: { slug: name } });
  assert.equal(ok.status, 201, ok.text);
  // The audit log names the key the session acts as.
  const audit = await server.admin('GET', `/audit?action=tenant.create&targetId=${ok.body.id}`);
  assert.equal(audit.body.data[0].keyId, server.adminKeyId);
  // Another session's CSRF token is not this one's.
  const other = await signInWithKey(server.baseUrl, server.adminKey);
  expectProblem(await asBrowser(server.baseUrl, s, 'PATCH', `/tenants/${name}`, { body: { name: 'x' }, csrf: other.csrfToken }), 403, { type: 'csrf' });
});

test('a cookie-authenticated request from another origin or another site is refused, reads included', async () => {
  const s = await signInWithKey(server.baseUrl, server.adminKey);
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', '/tenants', { body: { slug: slug() }, headers: { origin: 'https://evil.example' } }), 403, { type: 'csrf', detail: /another origin/ });
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', '/tenants', { headers: { origin: 'https://evil.example' } }), 403, { type: 'csrf' });
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', '/tenants', { headers: { 'sec-fetch-site': 'cross-site' } }), 403, { type: 'csrf', detail: /cross-site/ });
  // The console's own origin, and same-origin / same-site fetch metadata, pass.
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', '/tenants', { headers: { origin: server.baseUrl, 'sec-fetch-site': 'same-origin' } })).status, 200);
  assert.equal((await asBrowser(server.baseUrl, s, 'POST', '/tenants', { body: { slug: slug() }, headers: { origin: server.baseUrl } })).status, 201);
});

test('a request with an Authorization header ignores the cookie', async () => {
  const s = await signInWithKey(server.baseUrl, server.adminKey);
  // A key's request needs no CSRF token, cookie or not.
  const res = await server.admin('POST', '/tenants', { body: { slug: slug() }, headers: { cookie: s.cookie } });
  assert.equal(res.status, 201, res.text);
  // A bad key is not rescued by a good cookie.
  expectProblem(await server.admin('GET', '/tenants', { key: 'rca_nope', headers: { cookie: s.cookie } }), 401, { type: 'unauthorized' });
  // And sessions/current says there is no session on a key's request.
  expectProblem(await server.admin('GET', '/sessions/current', { headers: { cookie: s.cookie } }), 401, { type: 'unauthorized' });
});

test('a read key signs in; its session reads and cannot write, as the key could not', async () => {
  const s = await signInWithKey(server.baseUrl, server.readKey);
  assert.deepEqual(s.body.key, { id: server.readKeyId, name: 'test reader', scope: 'read' });
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', '/tenants')).status, 200);
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', '/tenants', { body: { slug: slug() } }), 403, { type: 'forbidden', detail: /read scope/ });
  // Signing out is the session's own business, not a write of the key's.
  assert.equal((await asBrowser(server.baseUrl, s, 'DELETE', '/sessions/current')).status, 204);
});

test('an sso key, a bad key and no key cannot sign in; a session cannot make another session', async () => {
  const sso = await createAdminKey(server.running.store, { name: 'app sign-in', scope: 'sso', ttlMs: null }, clock);
  expectProblem(await server.admin('POST', '/sessions', { key: sso.key }), 403, { type: 'forbidden', detail: /sso scope/ });
  expectProblem(await server.admin('POST', '/sessions', { key: 'rca_garbage' }), 401, { type: 'unauthorized' });
  expectProblem(await server.admin('POST', '/sessions', { key: null }), 401, { type: 'unauthorized' });
  const s = await signInWithKey(server.baseUrl, server.adminKey);
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', '/sessions'), 403, { type: 'forbidden' });
});

test('signing out ends the session and clears the cookie; the cookie is refused afterwards', async () => {
  const s = await signInWithKey(server.baseUrl, server.adminKey);
  expectProblem(await asBrowser(server.baseUrl, s, 'DELETE', '/sessions/current', { csrf: false }), 403, { type: 'csrf' });
  const out = await asBrowser(server.baseUrl, s, 'DELETE', '/sessions/current');
  assert.equal(out.status, 204);
  const cleared = out.headers.getSetCookie().find((c) => c.startsWith('rollcall_session='));
  assert.ok(cleared && /Max-Age=0/i.test(cleared) && /^rollcall_session=;/.test(cleared), `the cookie is cleared: ${cleared}`);
  const b = expectProblem(await asBrowser(server.baseUrl, s, 'GET', '/tenants'), 401, { type: 'unauthorized', detail: /ended/ });
  assert.equal((b as { reason?: string }).reason, 'session');
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', '/sessions/current'), 401, { type: 'unauthorized' });
});

test('a session dies with its key: revoked, or expired', async () => {
  const k = await createAdminKey(server.running.store, { name: 'short-lived', scope: 'admin', ttlMs: 2 * 3600_000 }, clock);
  const s = await signInWithKey(server.baseUrl, k.key);
  assert.equal(s.body.expiresAt, new Date(clock.now() + 2 * 3600_000).toISOString(), 'never past the key\'s own expiry');
  const r = await signInWithKey(server.baseUrl, k.key);
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', '/tenants')).status, 200);
  assert.equal((await server.admin('DELETE', `/admin-keys/${k.record.id}`)).status, 204);
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', '/tenants'), 401, { type: 'unauthorized', detail: /revoked/ });
  expectProblem(await asBrowser(server.baseUrl, r, 'GET', '/sessions/current'), 401, { type: 'unauthorized', detail: /revoked/ });

  const e = await createAdminKey(server.running.store, { name: 'expiring', scope: 'admin', ttlMs: 3600_000 }, clock);
  const es = await signInWithKey(server.baseUrl, e.key);
  // Idle limit is 30 minutes: keep the session used while the key runs out.
  for (let i = 0; i < 3; i++) {
    clock.advance(20 * 60_000);
    if (i < 2) assert.equal((await asBrowser(server.baseUrl, es, 'GET', '/tenants')).status, 200, `after ${(i + 1) * 20} minutes`);
  }
  expectProblem(await asBrowser(server.baseUrl, es, 'GET', '/tenants'), 401, { type: 'unauthorized' });
});

test('a session ends after 30 idle minutes, each use moving the idle end on; and 12 hours after sign-in whatever the use', async () => {
  const idle = await signInWithKey(server.baseUrl, server.adminKey);
  clock.advance(29 * 60_000);
  assert.equal((await asBrowser(server.baseUrl, idle, 'GET', '/tenants')).status, 200, 'used within 30 minutes');
  clock.advance(29 * 60_000);
  assert.equal((await asBrowser(server.baseUrl, idle, 'GET', '/tenants')).status, 200, '58 minutes after sign-in, 29 after the last use');
  clock.advance(31 * 60_000);
  expectProblem(await asBrowser(server.baseUrl, idle, 'GET', '/tenants'), 401, { type: 'unauthorized', detail: /idle/ });

  const busy = await signInWithKey(server.baseUrl, server.adminKey);
  for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
    clock.advance(20 * 60_000);
    const res = await asBrowser(server.baseUrl, busy, 'GET', '/sessions/current');
    assert.equal(res.status, 200, `${minutes + 20} minutes in: ${res.text}`);
  }
  clock.advance(20 * 60_000);
  expectProblem(await asBrowser(server.baseUrl, busy, 'GET', '/tenants'), 401, { type: 'unauthorized', detail: /expired/ });
});

test('a garbled or unknown cookie is a 401, never a 500', async () => {
  for (const value of ['x', 'A'.repeat(43), '%00', '"quoted"', 'a'.repeat(5000), '\u00e9t\u00e9']) {
    const res = await fetch(`${server.baseUrl}/admin/v1/tenants`, { headers: { cookie: `rollcall_session=${encodeURIComponent(value)}` } });
    assert.equal(res.status, 401, `${value.slice(0, 20)}: ${res.status}`);
  }
  // Other cookies of the site are ignored; the session cookie is found among them.
  const s = await signInWithKey(server.baseUrl, server.adminKey);
  const res = await fetch(`${server.baseUrl}/admin/v1/tenants`, { headers: { cookie: `theme=dark; ${s.cookie}; other=1` } });
  assert.equal(res.status, 200);
});

test('two session cookies are refused, not chosen between (a planted cookie cannot win over the real one)', async () => {
  const mine = await signInWithKey(server.baseUrl, server.adminKey);
  const planted = await signInWithKey(server.baseUrl, server.readKey);
  const both = { cookie: `${planted.cookie}; ${mine.cookie}`, csrfToken: mine.csrfToken };
  const b = expectProblem(await asBrowser(server.baseUrl, both, 'GET', '/sessions/current'), 401, { type: 'unauthorized', detail: /2 Rollcall session cookies/ });
  assert.equal((b as { reason?: string }).reason, 'session');
  // Each alone still works.
  assert.equal((await asBrowser(server.baseUrl, mine, 'GET', '/sessions/current')).status, 200);
});

test('signing in again ends the session the browser held before', async () => {
  const first = await signInWithKey(server.baseUrl, server.adminKey);
  const again = await fetch(`${server.baseUrl}/admin/v1/sessions`, { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}`, cookie: first.cookie } });
  assert.equal(again.status, 201);
  const second = again.headers.getSetCookie()[0].split(';')[0];
  assert.notEqual(second, first.cookie);
  expectProblem(await asBrowser(server.baseUrl, first, 'GET', '/sessions/current'), 401, { type: 'unauthorized', detail: /ended/ });
  assert.equal((await asBrowser(server.baseUrl, { cookie: second, csrfToken: '' }, 'GET', '/sessions/current')).status, 200);
});
