// Test sign-in (issue 13 item 3, docs/sso.md "Test sign-in"), through real HTTP on the run's database
// (SQLite, or PostgreSQL with ROLLCALL_TEST_DATABASE=postgres) with the real signing test IdP:
// POST /admin/v1/tenants/{t}/saml/connections/{id}/test answers the IdP URL with a test AuthnRequest;
// the IdP's response posted to the ACS is validated as a sign-in's and answered with a result page,
// never a code, a user or a sign-in event; a test response cannot sign anyone in, nor a sign-in's be
// shown as a test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DISABLE_CONFIRMATION } from '../../src/provisioning/policies/scim-mode.ts';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { TestIdp, type ResponseOptions } from '../support/saml-idp.ts';
import {
  expectFailedEvent, expectRefusal, followToApp, goodResponse, postAcs, provision, signInEvents, ssoKey, ssoTenant, startApp, startLogin,
  type Answer, type SsoTenant, type TestApp,
} from '../support/sso.ts';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let server: AdminTestServer;
let app: TestApp;

before(async () => {
  server = await startAdminServer();
  app = await startApp(server.baseUrl, await ssoKey(server));
});
after(async () => {
  await app?.close();
  await server?.close();
});

/** Starts a test of the tenant's connection; returns the AuthnRequest as the IdP reads it. */
async function startTest(t: SsoTenant, connectionId = t.connectionId): Promise<ReturnType<typeof TestIdp.readAuthnRequest> & { url: string; expiresAt: string }> {
  const r = await server.admin('POST', `/tenants/${t.slug}/saml/connections/${connectionId}/test`);
  assert.equal(r.status, 200, r.text);
  const body = r.body as { url: string; requestId: string; expiresAt: string };
  assert.ok(body.url.startsWith(`${t.idp.ssoUrl}?`), body.url);
  const request = TestIdp.readAuthnRequest(body.url);
  assert.equal(request.id, body.requestId);
  return { ...request, url: body.url, expiresAt: body.expiresAt };
}

/** The IdP answers the test request; the browser posts it to the ACS with the RelayState. */
async function answerTest(t: SsoTenant, nameId: string, o: Partial<ResponseOptions> & { idp?: TestIdp; relayState?: string | null } = {}): Promise<{ acs: Answer; requestId: string }> {
  const request = await startTest(t);
  const idp = o.idp ?? t.idp;
  const xml = idp.responseXml({ acsUrl: t.acsUrl, audience: t.spEntityId, nameId, sign: 'assertion', inResponseTo: request.id, ...o });
  const relay = o.relayState === undefined ? request.relayState : o.relayState;
  const acs = await postAcs(t.acsUrl, { SAMLResponse: idp.post(xml), ...(relay === null ? {} : { RelayState: relay ?? '' }) });
  return { acs, requestId: request.id };
}

/** A result page: 200 HTML with the SAML pages' headers, this heading, nothing handed to the app. */
function expectResultPage(a: Answer, heading: 'Test sign-in succeeded' | 'Test sign-in failed', reason?: string): void {
  assert.equal(a.status, 200, a.text.slice(0, 800));
  assert.equal(a.location, null, 'a test redirects nowhere');
  assert.match(a.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(a.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal(a.headers.get('x-frame-options'), 'DENY');
  assert.equal(a.headers.get('cache-control'), 'no-store');
  assert.ok(a.text.includes(`<h1>${heading}</h1>`), a.text.slice(0, 800));
  if (reason) assert.ok(a.text.includes(`Reference: ${reason} `), `reason ${reason}: ${a.text.slice(0, 1500)}`);
  assert.doesNotMatch(a.text, /code=|<form|<script/i, 'no code, no form post to the app');
  assert.match(a.text, /This was a test: nobody was signed in/);
}

async function userCount(slug: string): Promise<number> {
  const r = await server.admin('GET', `/tenants/${slug}/users?limit=200`);
  assert.equal(r.status, 200, r.text);
  return (r.body as { data: unknown[] }).data.length;
}

describe('starting a test sign-in', () => {
  test('answers the IdP URL with a signed, ForceAuthn AuthnRequest whose RelayState is "test." and its id, stored as a test, and is audited', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    const request = await startTest(t);
    assert.equal(request.relayState, `test.${request.id}`);
    assert.equal(request.acsUrl, t.acsUrl);
    assert.equal(request.issuer, t.spEntityId);
    assert.equal(request.forceAuthn, true, 'the IdP asks who is there, even when its session is open');
    assert.ok(Date.parse(request.expiresAt) > Date.now());
    const rows = await server.query('SELECT purpose, connection_id FROM saml_requests WHERE id = ?', [request.id]);
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ purpose: 'test', connection_id: t.connectionId }]);
    const audit = await server.admin('GET', `/audit?tenant=${t.slug}&action=samlConnection.test`);
    assert.equal(audit.status, 200, audit.text);
    assert.equal(audit.body.data.length, 1);
    assert.equal(audit.body.data[0].targetId, t.connectionId);
    assert.equal(audit.body.data[0].keyId, server.adminKeyId);
  });

  test('an unknown connection, another tenant\'s connection and an unknown tenant are 404; a read key may not start one', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    const other = await ssoTenant(server, app, { prefix: 'tsi' });
    expectProblem(await server.admin('POST', `/tenants/${t.slug}/saml/connections/saml_nope/test`), 404);
    expectProblem(await server.admin('POST', `/tenants/${t.slug}/saml/connections/${other.connectionId}/test`), 404);
    expectProblem(await server.admin('POST', `/tenants/no-such-tenant/saml/connections/${t.connectionId}/test`), 404);
    expectProblem(await server.admin('POST', `/tenants/${t.slug}/saml/connections/${t.connectionId}/test`, { key: server.readKey }), 403);
    expectProblem(await server.admin('POST', `/tenants/${t.slug}/saml/connections/${t.connectionId}/test`, { key: null }), 401);
  });
});

describe('the result page', () => {
  test('succeeded: NameID, format, attributes, the user it matched and the session expiry; no code, no sign-in event', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    const id = await provision(t, 'ada@acme.example', { displayName: 'Ada <Lovelace>' });
    const { acs } = await answerTest(t, 'ada@acme.example', { attributes: { firstName: 'Ada', groups: ['eng', 'ops<&>'] } });
    expectResultPage(acs, 'Test sign-in succeeded', 'test succeeded');
    assert.ok(acs.text.includes('<td>ada@acme.example</td>'), 'the NameID');
    assert.ok(acs.text.includes('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'), 'its format');
    assert.ok(acs.text.includes('<th scope="row">groups</th><td>eng<br>ops&lt;&amp;&gt;</td>'), 'attributes, escaped');
    assert.ok(acs.text.includes(id), 'the matched user\'s id');
    assert.ok(acs.text.includes('Ada &lt;Lovelace&gt;'), 'its display name, escaped');
    assert.match(acs.text, /Session would expire<\/th><td>\d{4}-\d\d-\d\dT/);
    assert.equal(app.visits.length, 0, 'nothing reached the app');
    assert.deepEqual((await signInEvents(server, t.slug)).map((e) => e.type), [], 'no user.signed_in, no user.sign_in_failed');
  });

  test('JIT on and SCIM off: the unknown user "would be created", and is not', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi', sso: { justInTime: true } });
    const off = await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm: DISABLE_CONFIRMATION } });
    assert.equal(off.status, 200, off.text);
    const before = await userCount(t.slug);
    const { acs } = await answerTest(t, 'new@acme.example');
    expectResultPage(acs, 'Test sign-in succeeded');
    assert.match(acs.text, /just-in-time provisioning would create <strong>new@acme\.example<\/strong>/);
    assert.equal(await userCount(t.slug), before, 'no user created');
    const created = await server.admin('GET', `/events?tenant=${t.slug}&types=user.created`);
    assert.equal(created.body.data.length, 0);
  });

  test('failed, unknown user: the reason in words and what to change, the NameID received, no event', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    const { acs } = await answerTest(t, 'stranger@acme.example');
    expectResultPage(acs, 'Test sign-in failed', 'unknown_user');
    assert.match(acs.text, /No user of tenant .* has the userName &quot;stranger@acme\.example&quot;/);
    assert.match(acs.text, /<h2>What to change<\/h2><p>The identity provider signed you in, but no user/);
    assert.ok(acs.text.includes('<td>stranger@acme.example</td>'));
    assert.deepEqual(await signInEvents(server, t.slug), []);
  });

  test('failed before any check passed: a certificate the connection does not have, a wrong audience, an expired response', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    await provision(t, 'ada@acme.example');
    const attacker = TestIdp.create({ key: 'attacker', entityId: t.idp.entityId, ssoUrl: t.idp.ssoUrl });
    const { acs: signature } = await answerTest(t, 'ada@acme.example', { idp: attacker });
    expectResultPage(signature, 'Test sign-in failed', 'bad_signature');
    assert.match(signature.text, /upload this app&#39;s current metadata again|upload this app's current metadata again/);
    assert.doesNotMatch(signature.text, /ada@acme\.example/, 'nothing unverified is shown as received');

    const { acs: audience } = await answerTest(t, 'ada@acme.example', { audience: 'https://wrong.example/sp' });
    expectResultPage(audience, 'Test sign-in failed', 'audience');
    assert.match(audience.text, /Audience URI/);

    const old = new Date(Date.now() - 3_600_000);
    const { acs: expired } = await answerTest(t, 'ada@acme.example', { now: old });
    expectResultPage(expired, 'Test sign-in failed', 'expired');
    assert.deepEqual(await signInEvents(server, t.slug), [], 'a test writes no sign-in event, passed or failed');
  });

  test('a disabled connection can be tested; a deactivated user fails the test', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi', connection: { enabled: false } });
    const id = await provision(t, 'gone@acme.example');
    const r = await server.admin('PATCH', `/tenants/${t.slug}/users/${id}`, { body: { active: false } });
    if (r.status !== 200) {
      // Users are read-only while SCIM is on: deactivate through SCIM as the IdP would.
      const s = await fetch(`${t.scimUrl}/Users/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] }) });
      assert.equal(s.status, 200, await s.text());
    }
    const { acs } = await answerTest(t, 'gone@acme.example');
    expectResultPage(acs, 'Test sign-in failed', 'deactivated');
  });

  test('a user pinned to another connection fails the test as a sign-in would (wrong_connection), naming the connection to test instead', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi', sso: { connectionAttribute: `${ENTERPRISE}:organization` } });
    await provision(t, 'pinned@acme.example', { schemas: [CORE_USER, ENTERPRISE], [ENTERPRISE]: { organization: 'entra' } });
    const { acs } = await answerTest(t, 'pinned@acme.example');
    expectResultPage(acs, 'Test sign-in failed', 'wrong_connection');
    assert.match(acs.text, /<h2>What to change<\/h2><p>This user is pinned to the SAML connection &quot;entra&quot;/);
    assert.deepEqual(await signInEvents(server, t.slug), []);

    // Pinned to the connection tested: matched, as the sign-in would be.
    await provision(t, 'okta-user@acme.example', { schemas: [CORE_USER, ENTERPRISE], [ENTERPRISE]: { organization: 'okta' } });
    expectResultPage((await answerTest(t, 'okta-user@acme.example')).acs, 'Test sign-in succeeded');
  });
});

describe('a test is not a sign-in, nor a sign-in a test', () => {
  test('a test response posted without its RelayState is refused as a sign-in (event), which uses the test up', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    await provision(t, 'ada@acme.example');
    const request = await startTest(t);
    const xml = goodResponse(t, 'ada@acme.example', { inResponseTo: request.id });
    const asSignIn = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(xml) });
    expectRefusal(asSignIn, 400, 'in_response_to');
    assert.match(asSignIn.text, /answers a test sign-in, which signs no one in/);
    await expectFailedEvent(server, t.slug, 'in_response_to');
    assert.equal(app.visits.filter((v) => v.code).length, 0);
    // Its request was taken by that refusal: the RelayState names nothing now, and the assertion was seen.
    expectRefusal(await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(xml), RelayState: request.relayState! }), 403, 'replay');
  });

  test('a sign-in\'s response posted with a test\'s RelayState fails the test and leaves the sign-in to complete', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    await provision(t, 'ada@acme.example');
    const test = await startTest(t);
    const login = await startLogin(t);
    assert.equal(login.status, 302, login.text);
    const real = TestIdp.readAuthnRequest(login.location!);
    const realXml = goodResponse(t, 'ada@acme.example', { inResponseTo: real.id });
    const crossed = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(realXml), RelayState: test.relayState! });
    expectResultPage(crossed, 'Test sign-in failed', 'in_response_to');
    // Neither the real request nor the response was used up: posted as the sign-in it is, it signs in.
    const acs = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(realXml), RelayState: real.id });
    const visit = await followToApp(acs, app);
    assert.equal(visit.exchange?.status, 200);
    assert.equal(visit.exchange.body.profile.userName, 'ada@acme.example');
    const events = await signInEvents(server, t.slug);
    assert.deepEqual(events.map((e) => e.type), ['user.signed_in'], 'the test wrote nothing; the sign-in its event');
  });

  test('a test is answered once: the same response posted again fails as a replay', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    await provision(t, 'ada@acme.example');
    const request = await startTest(t);
    const fields = { SAMLResponse: t.idp.post(goodResponse(t, 'ada@acme.example', { inResponseTo: request.id })), RelayState: request.relayState! };
    expectResultPage(await postAcs(t.acsUrl, fields), 'Test sign-in succeeded');
    const second = await postAcs(t.acsUrl, fields);
    // The request is used up: the RelayState names nothing now, so it is a sign-in's refusal.
    expectRefusal(second, 403, 'replay');
  });
});

describe('from a setup link (the customer\'s IT admin)', () => {
  /** A setup session of a link of `slug` for `purposes`: its cookie and CSRF token. */
  async function setupSession(slug: string, purposes: string[]): Promise<{ cookie: string; csrf: string; linkId: string }> {
    const made = await server.admin('POST', `/tenants/${slug}/setup-links`, { body: { purposes } });
    assert.equal(made.status, 201, made.text);
    const r = await fetch(`${server.baseUrl}/admin/v1/setup/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: made.body.token }) });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
    return { cookie, csrf: (JSON.parse(text) as { csrfToken: string }).csrfToken, linkId: made.body.id as string };
  }
  const post = (path: string, s: { cookie: string; csrf: string }) =>
    fetch(`${server.baseUrl}/admin/v1${path}`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });

  test('an SSO link\'s session tests its own tenant\'s connection (audited as the link); not another tenant\'s, not from a SCIM-only link, not without CSRF', async () => {
    const t = await ssoTenant(server, app, { prefix: 'tsi' });
    const other = await ssoTenant(server, app, { prefix: 'tsi' });
    const sso = await setupSession(t.slug, ['sso']);
    const ok = await post(`/tenants/${t.slug}/saml/connections/${t.connectionId}/test`, sso);
    const okText = await ok.text();
    assert.equal(ok.status, 200, okText);
    assert.ok((JSON.parse(okText) as { url: string }).url.startsWith(t.idp.ssoUrl));
    const audit = await server.admin('GET', `/audit?tenant=${t.slug}&action=samlConnection.test`);
    assert.equal(audit.body.data.length, 1);
    assert.equal(audit.body.data[0].keyId, sso.linkId, 'the setup link started it');
    assert.equal((await post(`/tenants/${other.slug}/saml/connections/${other.connectionId}/test`, sso)).status, 403);
    const noCsrf = await fetch(`${server.baseUrl}/admin/v1/tenants/${t.slug}/saml/connections/${t.connectionId}/test`, { method: 'POST', headers: { cookie: sso.cookie } });
    assert.equal(noCsrf.status, 403);
    const scimOnly = await setupSession(t.slug, ['scim']);
    assert.equal((await post(`/tenants/${t.slug}/saml/connections/${t.connectionId}/test`, scimOnly)).status, 403);
  });
});

