// What a console cookie can reach, checked against EVERY admin route (read from the server's own
// OpenAPI document, which test/http/admin-openapi.test.ts proves lists every route it has):
//   - a setup session (a customer's setup link, with its CSRF token) reaches only the routes marked
//     for setup, only for its own tenant, and the SCIM or SSO ones only when its link was made for
//     them; everything else is a 403 before the route runs, and another tenant's routes answer the
//     same 403 whether that tenant exists or not (no existence oracle);
//   - an admin session without the X-CSRF-Token header is refused (403 csrf) on every route that
//     is not a GET, and nothing it asked for happens.
// A route added later is covered by this test without touching it: it is refused to setup sessions
// unless it is marked, and the list below must then name it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { asBrowser, openSetupLink, signInWithKey, type BrowserSession } from '../support/console-session.ts';

type Operation = { operationId: string; security?: unknown[] };
type Doc = { paths: Record<string, Record<string, Operation>> };

/** What a setup session may call, and for which purpose of its link ('read': any link). */
const SETUP_ROUTES: Record<string, 'read' | 'scim' | 'sso' | 'session'> = {
  'GET /admin/v1/tenants/{tenant}': 'read',
  'GET /admin/v1/tenants/{tenant}/settings': 'read',
  'GET /admin/v1/tenants/{tenant}/health': 'read',
  'GET /admin/v1/tenants/{tenant}/tokens': 'scim',
  'POST /admin/v1/tenants/{tenant}/tokens': 'scim',
  'GET /admin/v1/tenants/{tenant}/saml/connections': 'sso',
  'POST /admin/v1/tenants/{tenant}/saml/connections': 'sso',
  'GET /admin/v1/tenants/{tenant}/saml/connections/{id}': 'sso',
  'PATCH /admin/v1/tenants/{tenant}/saml/connections/{id}': 'sso',
  'POST /admin/v1/tenants/{tenant}/saml/connections/{id}/test': 'sso',
  'GET /admin/v1/sessions/current': 'session',
  'DELETE /admin/v1/sessions/current': 'session',
  'POST /admin/v1/setup/complete': 'session',
};

let server: AdminTestServer;
let routes: { method: string; path: string; key: string; public: boolean }[];
let own: string;
let other: string;

before(async () => {
  server = await startAdminServer();
  own = `own-${process.pid}`;
  other = `other-${process.pid}`;
  for (const slug of [own, other]) assert.equal((await server.admin('POST', '/tenants', { body: { slug } })).status, 201);
  const doc = await (await fetch(`${server.baseUrl}/admin/v1/openapi.json`)).json() as Doc;
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => ({
    method: m.toUpperCase(), path, key: `${m.toUpperCase()} ${path}`,
    // An operation that declares no security (opening a setup link) takes no session at all.
    public: Array.isArray(op.security) && op.security.length === 0,
  })));
  assert.ok(routes.length >= 60, `the OpenAPI document was read (${routes.length} operations)`);
});
after(async () => { await server?.close(); });

/** The route's URL with its parameters filled: the tenant given, every other id a made-up one. */
const urlOf = (path: string, tenant: string) =>
  path.replace(/^\/admin\/v1/, '').replace(/\{(\w+)\}/g, (_, name: string) => (name === 'tenant' ? tenant : name === 'tokenId' ? 'tok_nope' : 'nope'));

/** Calls every route but the ones that would end the session, with the session's cookie and CSRF token. */
async function sweep(session: BrowserSession, tenant: string): Promise<Map<string, { status: number; text: string; type?: string }>> {
  const out = new Map<string, { status: number; text: string; type?: string }>();
  for (const r of routes) {
    if (r.public || r.key === 'DELETE /admin/v1/sessions/current' || r.key === 'POST /admin/v1/setup/complete') continue;
    const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
    const res = await asBrowser(server.baseUrl, session, r.method, urlOf(r.path, tenant), { body });
    out.set(r.key, { status: res.status, text: res.text.slice(0, 300), type: res.body?.type });
  }
  return out;
}

test('the list of setup routes names only routes the server has (a rename cannot silently widen or narrow it)', () => {
  const have = new Set(routes.map((r) => r.key));
  for (const key of Object.keys(SETUP_ROUTES)) assert.ok(have.has(key), `${key} is not an admin route`);
});

test("a setup session for SCIM and SSO reaches exactly the setup routes of its own tenant, and nothing else", async () => {
  const link = await server.admin('POST', `/tenants/${own}/setup-links`, { body: { purposes: ['scim', 'sso'] } });
  const session = await openSetupLink(server.baseUrl, link.body.token);
  const answers = await sweep(session, own);
  const reached: string[] = [];
  for (const [key, a] of answers) {
    const allowed = SETUP_ROUTES[key] !== undefined;
    if (allowed) {
      assert.ok(a.status !== 401 && a.status !== 403, `${key} is a setup route and must be reachable: ${a.status} ${a.text}`);
      reached.push(key);
    } else {
      assert.equal(a.status, 403, `${key} is not a setup route: ${a.status} ${a.text}`);
      assert.equal(a.type, 'urn:rollcall:problem:forbidden', `${key}: ${a.text}`);
    }
  }
  assert.ok(reached.length >= 11, `the setup routes were reached: ${reached.join(', ')}`);
  // The refusals came before anything ran: both tenants are still there, with no new token or key.
  assert.equal((await server.admin('GET', `/tenants/${own}`)).status, 200);
  assert.equal((await server.admin('GET', `/tenants/${other}`)).status, 200);
  assert.equal((await server.admin('GET', '/admin-keys')).body.data.length, 2, 'no admin key was made');
  // The session still works after the sweep (nothing ended it), and its own routes end it.
  assert.equal((await asBrowser(server.baseUrl, session, 'GET', '/sessions/current')).status, 200);
  assert.equal((await asBrowser(server.baseUrl, session, 'DELETE', '/sessions/current')).status, 204);
});

test("another tenant's setup routes answer a setup session 403, whether that tenant exists or not", async () => {
  const link = await server.admin('POST', `/tenants/${own}/setup-links`, { body: {} });
  const session = await openSetupLink(server.baseUrl, link.body.token);
  for (const tenant of [other, 'no-such-tenant-anywhere']) {
    const answers = await sweep(session, tenant);
    for (const [key, a] of answers) {
      if (!key.includes('{tenant}')) continue;
      assert.equal(a.status, 403, `${key} for ${tenant}: ${a.status} ${a.text}`);
      assert.equal(a.type, 'urn:rollcall:problem:forbidden');
    }
    // The answers for a tenant that exists and one that does not are the same.
    const detail = (await asBrowser(server.baseUrl, session, 'GET', `/tenants/${tenant}`)).body.detail;
    assert.equal(detail, `A setup link opens only the setup of tenant "${own}": this operation is not part of it.`);
  }
});

test('a setup link made for SCIM only cannot reach the SSO routes, and one for SSO only not the SCIM routes', async () => {
  for (const [purpose, refused] of [['scim', 'sso'], ['sso', 'scim']] as const) {
    const link = await server.admin('POST', `/tenants/${own}/setup-links`, { body: { purposes: [purpose] } });
    const session = await openSetupLink(server.baseUrl, link.body.token);
    const answers = await sweep(session, own);
    for (const [key, mark] of Object.entries(SETUP_ROUTES)) {
      const a = answers.get(key);
      if (!a) continue;
      if (mark === refused) {
        assert.equal(a.status, 403, `${key} with a ${purpose}-only link: ${a.text}`);
        assert.match(a.text, new RegExp(`made for ${purpose.toUpperCase()} only`));
      } else assert.ok(a.status !== 401 && a.status !== 403, `${key} with a ${purpose}-only link: ${a.status} ${a.text}`);
    }
  }
});

test('an admin session without the CSRF token is refused on every route that is not a GET, and nothing happens', async () => {
  const session = await signInWithKey(server.baseUrl, server.adminKey);
  const noCsrf = { ...session, csrfToken: '' };
  let writes = 0;
  for (const r of routes) {
    if (r.public || r.method === 'GET') continue;
    writes++;
    const body = r.method === 'DELETE' ? undefined : {};
    const res = await asBrowser(server.baseUrl, noCsrf, r.method, urlOf(r.path, own), { body, csrf: false });
    expectProblem(res, 403, { type: 'csrf' });
  }
  assert.ok(writes >= 30, `every write route was tried (${writes})`);
  // A wrong token is no better than none.
  expectProblem(await asBrowser(server.baseUrl, session, 'DELETE', `/tenants/${own}?confirm=${own}`, { csrf: 'wrong' }), 403, { type: 'csrf' });
  assert.equal((await server.admin('GET', `/tenants/${own}`)).status, 200, 'the tenant was not deleted');
  assert.equal((await asBrowser(server.baseUrl, session, 'GET', '/sessions/current')).status, 200, 'nor was the session signed out');
});
