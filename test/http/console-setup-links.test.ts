// Customer setup links through the real server and database (docs/console.md "Setup links"): the
// vendor creates one (URL and token shown once, stored hashed), lists it with its status, revokes
// it; the customer opens it without an admin key and gets a setup session for that tenant only;
// an unknown, expired, revoked or used-up link opens nothing and says which; revoking or
// completing a link ends its sessions at once; what a setup session does is recorded as done by
// the link. ManualClock: expiry by moving time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ConsoleSessions } from '../../src/provisioning/admin/console-sessions.ts';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { generateToken } from '../../src/provisioning/tenants/token-format.ts';
import { expectProblem, scim, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { asBrowser, openSetupLink, signInWithKey } from '../support/console-session.ts';

const clock = new ManualClock(Date.parse('2026-04-01T00:00:00Z'));
let server: AdminTestServer;
let n = 0;

before(async () => { server = await startAdminServer({ server: { clock } }); });
after(async () => { await server?.close(); });

async function tenant(): Promise<string> {
  const slug = `sl-${process.pid}-${++n}`;
  assert.equal((await server.admin('POST', '/tenants', { body: { slug, name: `Customer ${n}` } })).status, 201);
  return slug;
}

async function makeLink(slug: string, body: Record<string, unknown> = {}) {
  const res = await server.admin('POST', `/tenants/${slug}/setup-links`, { body });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string; url: string; token: string; purposes: string[]; note: string | null; status: string; expiresAt: string; createdAt: string };
}

test('a link is created with its URL and token shown once, stored hashed, listed with its status and without its token', async () => {
  const slug = await tenant();
  const link = await makeLink(slug, { note: 'Acme IT (Jane)' });
  assert.match(link.token, /^rcl_[0-9A-Za-z]{49}$/);
  assert.equal(link.url, `${server.baseUrl}/setup/#${link.token}`, 'the token travels in the fragment, never sent to a server');
  assert.deepEqual(link.purposes, ['scim', 'sso'], 'both by default');
  assert.equal(link.status, 'active');
  assert.equal(link.note, 'Acme IT (Jane)');
  assert.equal(Date.parse(link.expiresAt) - Date.parse(link.createdAt), 7 * 86_400_000, '7 days by default');

  const stored = await server.query('SELECT hash FROM setup_links WHERE id = ?', [link.id]);
  assert.equal(stored[0].hash, createHash('sha256').update(link.token).digest('hex'));
  const list = await server.admin('GET', `/tenants/${slug}/setup-links`);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.body.items.length, 1);
  assert.deepEqual(Object.keys(list.body.items[0]).sort(), ['completedAt', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'note', 'purposes', 'revokedAt', 'status']);
  assert.ok(!list.text.includes(link.token) && !list.text.includes(stored[0].hash), 'neither the token nor its hash is listed');

  const audit = await server.admin('GET', `/audit?action=setupLink.create&targetId=${link.id}`);
  assert.equal(audit.body.data.length, 1);
  assert.equal(audit.body.data[0].keyId, server.adminKeyId);
  assert.ok(!JSON.stringify(audit.body).includes(link.token), 'the audit entry holds no secret');

  const short = await makeLink(slug, { purposes: ['scim'], expiresInHours: 1 });
  assert.deepEqual(short.purposes, ['scim']);
  assert.equal(Date.parse(short.expiresAt) - Date.parse(short.createdAt), 3600_000);
});

test('bad input to create is a 400 naming the field; a read key cannot create or revoke; an unknown tenant is a 404', async () => {
  const slug = await tenant();
  expectProblem(await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { purposes: [] } }), 400, { field: 'purposes' });
  expectProblem(await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { purposes: ['ldap'] } }), 400);
  expectProblem(await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { expiresInHours: 0 } }), 400, { field: 'expiresInHours' });
  expectProblem(await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { expiresInHours: 721 } }), 400, { field: 'expiresInHours' });
  expectProblem(await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { note: 'x'.repeat(201) } }), 400, { field: 'note' });
  expectProblem(await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { surprise: 1 } }), 400);
  expectProblem(await server.admin('POST', `/tenants/${slug}/setup-links`, { key: server.readKey, body: {} }), 403, { type: 'forbidden' });
  assert.equal((await server.admin('GET', `/tenants/${slug}/setup-links`, { key: server.readKey })).status, 200);
  expectProblem(await server.admin('POST', '/tenants/no-such-tenant/setup-links', { body: {} }), 404, { type: 'not-found' });
  const link = await makeLink(slug);
  expectProblem(await server.admin('DELETE', `/tenants/${slug}/setup-links/${link.id}`, { key: server.readKey }), 403);
  expectProblem(await server.admin('DELETE', `/tenants/${slug}/setup-links/sl_nope`), 404, { type: 'not-found' });
  const other = await tenant();
  expectProblem(await server.admin('DELETE', `/tenants/${other}/setup-links/${link.id}`), 404, { type: 'not-found' });
});

test('the customer opens the link without a key: a setup session for that tenant, its purposes, and the link marked used', async () => {
  const slug = await tenant();
  const link = await makeLink(slug, { note: 'Jane' });
  const s = await openSetupLink(server.baseUrl, link.token);
  assert.equal(s.body.kind, 'setup');
  const setup = s.body.setup as Record<string, unknown>;
  assert.equal(setup.linkId, link.id);
  assert.deepEqual(setup.purposes, ['scim', 'sso']);
  assert.equal((setup.tenant as { slug: string }).slug, slug);
  assert.equal((setup.tenant as { name: string }).name, `Customer ${n}`);
  assert.ok(s.setCookie.includes('HttpOnly') && s.setCookie.includes('SameSite=Strict'));
  assert.equal(s.body.key, undefined);

  const current = await asBrowser(server.baseUrl, s, 'GET', '/sessions/current');
  assert.equal(current.status, 200);
  assert.equal(current.body.kind, 'setup');
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}`)).status, 200);
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}/health`)).status, 200);

  // The customer makes their own SCIM token: shown once, and it works; the audit log says the link did it.
  const tok = await asBrowser(server.baseUrl, s, 'POST', `/tenants/${slug}/tokens`, { body: { name: 'Okta' } });
  assert.equal(tok.status, 201, tok.text);
  assert.equal((await scim(`${tok.body.scimUrl}/Users`, tok.body.token)).status, 200);
  const audit = await server.admin('GET', `/audit?action=token.create&targetId=${tok.body.id}`);
  assert.equal(audit.body.data[0].keyId, link.id);
  assert.equal(audit.body.data[0].keyName, 'setup link Jane');
  const events = await server.admin('GET', `/events?tenant=${slug}&types=token.created`);
  assert.equal(events.status, 200, events.text);
  const created = events.body.data.find((e: { data: { token: { id: string } } }) => e.data.token.id === tok.body.id);
  assert.deepEqual(created.actor, { type: 'setupLink', id: link.id, name: 'setup link Jane' });

  const listed = await server.admin('GET', `/tenants/${slug}/setup-links`);
  assert.equal(listed.body.items[0].lastUsedAt, new Date(clock.now()).toISOString());
  // Writes of a setup session need the CSRF token too.
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', `/tenants/${slug}/tokens`, { body: {}, csrf: false }), 403, { type: 'csrf' });
});

test('a wrong token opens nothing and says only "unknown"; hostile tokens are a 400 or a 404, never a 500', async () => {
  const unknown = await fetch(`${server.baseUrl}/admin/v1/setup/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: generateToken('rcl_') }) });
  const body = await unknown.json();
  assert.equal(unknown.status, 404);
  assert.equal(body.reason, 'unknown');
  assert.equal(unknown.headers.get('set-cookie'), null, 'no cookie for a refused link');
  for (const token of ['rcl_short', 'rca_' + 'x'.repeat(49), ' ', '\u0000', 'é'.repeat(100)]) {
    const res = await fetch(`${server.baseUrl}/admin/v1/setup/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    assert.ok(res.status === 404 || res.status === 400, `${JSON.stringify(token)}: ${res.status}`);
  }
  const missing = await fetch(`${server.baseUrl}/admin/v1/setup/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(missing.status, 400);
  // Opening a link from another site is refused (login CSRF).
  const slug = await tenant();
  const link = await makeLink(slug);
  const cross = await fetch(`${server.baseUrl}/admin/v1/setup/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ token: link.token }) });
  assert.equal(cross.status, 403);
});

test('an expired, a revoked and a completed link open nothing, each saying which (410)', async () => {
  const slug = await tenant();
  const expiring = await makeLink(slug, { expiresInHours: 1 });
  const revoked = await makeLink(slug);
  const completed = await makeLink(slug);
  const done = await openSetupLink(server.baseUrl, completed.token);
  assert.equal((await asBrowser(server.baseUrl, done, 'POST', '/setup/complete', { csrf: false })).status, 403, 'completing needs the CSRF token');
  const c = await asBrowser(server.baseUrl, done, 'POST', '/setup/complete');
  assert.equal(c.status, 204, c.text);
  assert.ok(/Max-Age=0/.test(c.headers.getSetCookie().join()), 'the cookie is cleared');
  expectProblem(await asBrowser(server.baseUrl, done, 'GET', `/tenants/${slug}`), 401, { type: 'unauthorized' });
  assert.equal((await server.admin('DELETE', `/tenants/${slug}/setup-links/${revoked.id}`)).status, 204);
  expectProblem(await server.admin('DELETE', `/tenants/${slug}/setup-links/${revoked.id}`), 409, { type: 'conflict' });
  expectProblem(await server.admin('DELETE', `/tenants/${slug}/setup-links/${completed.id}`), 409, { type: 'conflict', detail: /completed/ });
  clock.advance(3600_000);
  for (const [link, reason] of [[expiring, 'expired'], [revoked, 'revoked'], [completed, 'completed']] as const) {
    const res = await fetch(`${server.baseUrl}/admin/v1/setup/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: link.token }) });
    const body = await res.json();
    assert.equal(res.status, 410, `${reason}: ${JSON.stringify(body)}`);
    assert.equal(body.type, 'urn:rollcall:problem:gone');
    assert.equal(body.reason, reason);
    assert.ok(body.detail.length > 20);
  }
  const statuses = Object.fromEntries((await server.admin('GET', `/tenants/${slug}/setup-links`)).body.items.map((i: { id: string; status: string }) => [i.id, i.status]));
  assert.deepEqual(statuses, { [expiring.id]: 'expired', [revoked.id]: 'revoked', [completed.id]: 'completed' });
});

test('revoking a link ends the sessions it opened at once; an expiring link ends them when it expires', async () => {
  const slug = await tenant();
  const link = await makeLink(slug, { expiresInHours: 2 });
  const s = await openSetupLink(server.baseUrl, link.token);
  assert.equal(Date.parse(s.body.expiresAt as string), Date.parse(link.expiresAt), 'a setup session never outlives its link');
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}`)).status, 200);
  assert.equal((await server.admin('DELETE', `/tenants/${slug}/setup-links/${link.id}`)).status, 204);
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}`), 401, { type: 'unauthorized' });

  const later = await makeLink(slug, { expiresInHours: 1 });
  const t = await openSetupLink(server.baseUrl, later.token);
  clock.advance(25 * 60_000);
  assert.equal((await asBrowser(server.baseUrl, t, 'GET', `/tenants/${slug}`)).status, 200);
  clock.advance(25 * 60_000);
  assert.equal((await asBrowser(server.baseUrl, t, 'GET', `/tenants/${slug}`)).status, 200);
  clock.advance(11 * 60_000);
  expectProblem(await asBrowser(server.baseUrl, t, 'GET', `/tenants/${slug}`), 401, { type: 'unauthorized' });
});

test('an admin session cannot complete a setup; a setup session cannot make or see links, nor sign in with a key', async () => {
  const slug = await tenant();
  const admin = await signInWithKey(server.baseUrl, server.adminKey);
  expectProblem(await asBrowser(server.baseUrl, admin, 'POST', '/setup/complete'), 403, { type: 'forbidden' });
  // An admin console session makes links (with its CSRF token).
  const made = await asBrowser(server.baseUrl, admin, 'POST', `/tenants/${slug}/setup-links`, { body: { purposes: ['sso'] } });
  assert.equal(made.status, 201, made.text);
  const s = await openSetupLink(server.baseUrl, made.body.token);
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}/setup-links`), 403, { type: 'forbidden' });
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', `/tenants/${slug}/setup-links`, { body: {} }), 403, { type: 'forbidden' });
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', '/sessions'), 403, { type: 'forbidden' });
  // An sso-only link cannot reach the SCIM token routes.
  expectProblem(await asBrowser(server.baseUrl, s, 'POST', `/tenants/${slug}/tokens`, { body: {} }), 403, { type: 'forbidden', detail: /SSO only/ });
  assert.equal((await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}/saml/connections`)).status, 200);
});

test("deleting the tenant ends its links' sessions", async () => {
  const slug = await tenant();
  const link = await makeLink(slug);
  const s = await openSetupLink(server.baseUrl, link.token);
  assert.equal((await server.admin('DELETE', `/tenants/${slug}?confirm=${slug}`)).status, 200);
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', '/sessions/current'), 401, { type: 'unauthorized' });
});

test('pruning deletes ended sessions at once and links 30 days after they expire; live ones stay', async () => {
  const sessions = new ConsoleSessions(server.running.store, clock, { sessionHours: 12, idleMinutes: 30 });
  const slug = await tenant();
  const old = await makeLink(slug, { expiresInHours: 1 });
  const live = await makeLink(slug, { expiresInHours: 720 });
  const ended = await openSetupLink(server.baseUrl, live.token);
  const kept = await openSetupLink(server.baseUrl, live.token);
  assert.equal((await asBrowser(server.baseUrl, ended, 'DELETE', '/sessions/current')).status, 204);
  const count = async (table: string, id: string) => (await server.query(`SELECT count(*) AS n FROM ${table} WHERE ${table === 'setup_links' ? 'id' : 'setup_link_id'} = ?`, [id]))[0].n;
  assert.equal(Number(await count('console_sessions', live.id)), 2);
  await sessions.prune();
  assert.equal(Number(await count('console_sessions', live.id)), 1, 'the signed-out session went; the live one stayed');
  assert.equal((await asBrowser(server.baseUrl, kept, 'GET', `/tenants/${slug}`)).status, 200);
  clock.advance(29 * 86_400_000);
  await sessions.prune();
  assert.equal(Number(await count('setup_links', old.id)), 1, 'expired 29 days ago: still listed');
  clock.advance(2 * 86_400_000);
  await sessions.prune();
  assert.equal(Number(await count('setup_links', old.id)), 0, 'expired 31 days ago: gone');
  assert.equal(Number(await count('setup_links', live.id)), 1, 'a link still in its 30 days stays');
});

test("a setup session reads of the tenant only what setting up the IdP needs: not the request log's bodies, not the vendor's policies", async () => {
  const slug = await tenant();
  const settings = await server.admin('GET', `/tenants/${slug}/settings`);
  const doc = settings.body.settings;
  doc.policies.attributes.uniqueIdentifier = 'email';
  doc.customSchemas = [{ id: 'urn:ietf:params:scim:schemas:extension:acme:2.0:User', name: 'Acme', attributes: [{ name: 'badgeColour', type: 'string' }] }];
  const put = await server.admin('PUT', `/tenants/${slug}/settings`, { body: doc, headers: { 'if-match': String(settings.body.version) } });
  assert.equal(put.status, 200, put.text);
  const s = await openSetupLink(server.baseUrl, (await makeLink(slug, { purposes: ['sso'] })).token);
  const read = await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}/settings`);
  assert.equal(read.status, 200, read.text);
  // The vendor's own read is the whole document, with more in it than the setup session saw.
  const whole = (await server.admin('GET', `/tenants/${slug}/settings`)).body.settings;
  assert.deepEqual(read.body.settings, { customSchemas: whole.customSchemas, policies: { attributes: whole.policies.attributes } });
  assert.deepEqual(Object.keys(read.body).sort(), ['settings', 'version'], "nor the server's limits");
  assert.equal(read.body.settings.policies.attributes.uniqueIdentifier, 'email');
  assert.equal(whole.customSchemas[0].attributes[0].name, 'badgeColour');
  assert.ok(Object.keys(whole).length > 2 && Object.keys(whole.policies).length > 1, JSON.stringify(whole).slice(0, 200));
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}/requests`), 403, { type: 'forbidden' });
  expectProblem(await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}/requests/1`), 403, { type: 'forbidden' });
  const health = await asBrowser(server.baseUrl, s, 'GET', `/tenants/${slug}/health`);
  assert.equal(health.status, 200, health.text);
  assert.equal(health.body.lastError, null);
});
