// SAML sign-in end to end, through real HTTP on the run's database (SQLite, or PostgreSQL with
// ROLLCALL_TEST_DATABASE=postgres): a real signing test IdP (test/support/saml-idp.ts), the SP
// endpoints, and the vendor's app as a real loopback server exchanging the code it is handed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DISABLE_CONFIRMATION } from '../../src/provisioning/policies/scim-mode.ts';
import { startAdminServer, scim, type AdminTestServer } from '../support/admin.ts';
import { fixtureKeyPair, TestIdp } from '../support/saml-idp.ts';
import Fastify from 'fastify';
import { DEFAULTS } from '../../src/config/config.ts';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { createRollcall } from '../../src/library.ts';
import {
  expectFailedEvent, expectRefusal, followToApp, goodResponse, postAcs, provision, setSso, signInEvents, spInitiated, ssoKey, ssoTenant, startApp, startLogin,
  type TestApp,
} from '../support/sso.ts';

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

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('SP endpoints', () => {
  test('the SP metadata names the tenant\'s entity id and ACS, as application/samlmetadata+xml', async () => {
    const t = await ssoTenant(server, app);
    const res = await fetch(`${server.baseUrl}/saml/${t.slug}/metadata`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/samlmetadata\+xml/);
    const xml = await res.text();
    assert.ok(xml.includes(`entityID="${t.spEntityId}"`), xml);
    assert.ok(xml.includes(`Location="${t.acsUrl}"`), xml);
  });

  test('an unknown tenant\'s metadata, login and ACS are 404 pages', async () => {
    for (const path of ['metadata', 'login']) {
      const res = await fetch(`${server.baseUrl}/saml/no-such-tenant/${path}`, { redirect: 'manual' });
      expectRefusal({ status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers }, 404, 'unknown_tenant');
    }
    expectRefusal(await postAcs(`${server.baseUrl}/saml/no-such-tenant/acs`, { SAMLResponse: 'x' }), 404, 'unknown_tenant');
    const other = await fetch(`${server.baseUrl}/saml/whatever/nothing-here`);
    assert.equal(other.status, 404);
    assert.match(other.headers.get('content-type') ?? '', /^text\/html/);
  });

  test('login refuses a returnTo outside the allow-list with a page, and sends nobody to the IdP', async () => {
    const t = await ssoTenant(server, app);
    for (const returnTo of ['https://evil.example/app', '//evil.example/app', `${app.url}/application`, 'javascript:alert(1)']) {
      const r = await startLogin(t, { returnTo });
      expectRefusal(r, 400, 'return_to');
    }
  });

  test('login with several enabled connections and none named lists them; naming one redirects to its IdP', async () => {
    const t = await ssoTenant(server, app);
    const second = TestIdp.create({ entityId: `https://entra.example/${t.slug}` });
    const c = await server.admin('POST', `/tenants/${t.slug}/saml/connections`, { body: { name: 'entra <b>', metadataXml: second.metadataXml() } });
    assert.equal(c.status, 201, c.text);
    const choose = await startLogin(t, { returnTo: `${app.url}/app/x` });
    assert.equal(choose.status, 200);
    assert.ok(choose.text.includes('entra &lt;b&gt;'), 'names are escaped');
    assert.ok(!choose.text.includes('entra <b>'));
    assert.ok(choose.text.includes('connection=okta'));
    const named = await startLogin(t, { connection: 'entra <b>' });
    assert.equal(named.status, 302);
    assert.ok(named.location!.startsWith(second.ssoUrl), named.location!);
    expectRefusal(await startLogin(t, { connection: 'nope' }), 404, 'unknown_connection');
  });
});

describe('SP-initiated sign-in', () => {
  test('a provisioned user signs in: AuthnRequest → signed response → code at the app → profile by exchange', async () => {
    const t = await ssoTenant(server, app);
    const id = await provision(t, 'ada@acme.example', { name: { givenName: 'Ada', familyName: 'Lovelace' }, displayName: 'Ada Lovelace' });
    const group = await scim(`${t.scimUrl}/Groups`, t.token, 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering', members: [{ value: id }] });
    assert.equal(group.status, 201, group.text);

    const login = await startLogin(t, { returnTo: `${app.url}/app/reports?x=1` });
    assert.equal(login.status, 302);
    assert.equal(login.headers.get('cache-control'), 'no-store');
    assert.ok(login.location!.startsWith(t.idp.ssoUrl), login.location!);
    const request = TestIdp.readAuthnRequest(login.location!);
    assert.equal(request.issuer, t.spEntityId);
    assert.equal(request.acsUrl, t.acsUrl);
    assert.equal(request.relayState, request.id, 'RelayState is the request id, not the URL');
    assert.ok(!login.location!.includes(encodeURIComponent(`${app.url}/app/reports`)), 'the returnTo never travels to the IdP');

    const xml = goodResponse(t, 'ADA@acme.example', { inResponseTo: request.id });
    const acs = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(xml), RelayState: request.id });
    const visit = await followToApp(acs, app);
    assert.equal(visit.path, '/app/reports');
    assert.ok(new URL(acs.location!).searchParams.get('x') === '1', 'the returnTo\'s own query is kept');
    assert.ok(visit.code && visit.code.length >= 32);
    assert.equal(visit.exchange?.status, 200, JSON.stringify(visit.exchange));
    const { profile, token } = visit.exchange.body;
    assert.equal(profile.id, id);
    assert.equal(profile.userName, 'ada@acme.example');
    assert.equal(profile.displayName, 'Ada Lovelace');
    assert.deepEqual(profile.name, { givenName: 'Ada', familyName: 'Lovelace' });
    assert.deepEqual(profile.emails.map((e: { value: string }) => e.value), ['ada@acme.example']);
    assert.deepEqual(profile.groups.map((g: { displayName: string }) => g.displayName), ['Engineering']);
    assert.deepEqual(profile.tenant, { id: profile.tenant.id, slug: t.slug, ssoRequired: false });
    assert.deepEqual(profile.connection, { id: t.connectionId, name: 'okta' });
    assert.ok(Date.parse(profile.sessionExpiresAt) > Date.parse(profile.signedInAt));
    assert.equal(typeof token, 'string');

    // The code is single use.
    const again = await fetch(`${server.baseUrl}/admin/v1/sso/token`, { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ code: visit.code }) });
    assert.equal(again.status, 400);

    const events = await signInEvents(server, t.slug);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'user.signed_in');
    assert.deepEqual(events[0].data.user, { id, userName: 'ada@acme.example' });
    assert.deepEqual(events[0].data.connection, { id: t.connectionId, name: 'okta' });
    assert.equal(events[0].data.authnRequestId, request.id);
    assert.equal(events[0].data.idpInitiated, false);
    assert.deepEqual(events[0].actor, { type: 'saml', id: t.connectionId, name: 'okta' });
  });

  test('the JWT handoff posts a signed token to the app with an auto-submitted form; it verifies against the JWKS', async () => {
    const t = await ssoTenant(server, app, { sso: { handoff: 'jwt' } });
    const id = await provision(t, 'grace@acme.example');
    const { acs } = await spInitiated(t, 'grace@acme.example');
    assert.equal(acs.status, 200, acs.text.slice(0, 500));
    const csp = acs.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.ok(acs.text.includes(`<script nonce="${nonce}">`));
    assert.match(csp, new RegExp(`form-action ${app.url.replace(/[.]/g, '\\.')}`));
    assert.ok(!/<script(?![^>]*nonce)/.test(acs.text), 'no script without the nonce');
    assert.ok(!/src=|href=/.test(acs.text), 'no external resource');
    const form = /<form[^>]*action="([^"]+)"[^>]*>[\s\S]*name="token" value="([^"]+)"/.exec(acs.text);
    assert.ok(form, acs.text);
    assert.equal(form[1], `${app.url}/app/home`);
    const { payload } = await jwtVerify(form[2], createRemoteJWKSet(new URL(`${server.baseUrl}/sso/jwks.json`)));
    assert.equal(payload.sub, id);
  });

  test('a deactivated user gets the "deactivated" page, an event naming them, and no code', async () => {
    const t = await ssoTenant(server, app);
    const id = await provision(t, 'gone@acme.example', { active: false });
    const { acs } = await spInitiated(t, 'gone@acme.example');
    expectRefusal(acs, 403, 'deactivated');
    assert.match(acs.text, /your account is deactivated; ask your administrator/i);
    const e = await expectFailedEvent(server, t.slug, 'deactivated');
    assert.deepEqual(e.data.user, { id, userName: 'gone@acme.example' });
    assert.equal(e.data.nameId, 'gone@acme.example');
    assert.deepEqual(e.data.connection, { id: t.connectionId, name: 'okta' });
    assert.equal(app.visits.filter((v) => v.path.includes(t.slug)).length, 0);
  });

  test('an unknown user is told to ask for the app to be assigned; JIT does not apply while SCIM is on', async () => {
    const t = await ssoTenant(server, app, { sso: { justInTime: true } });
    const { acs } = await spInitiated(t, 'stranger@acme.example');
    expectRefusal(acs, 403, 'unknown_user');
    assert.match(acs.text, /ask your administrator to assign the app to you/i);
    const e = await expectFailedEvent(server, t.slug, 'unknown_user');
    assert.equal(e.data.user, null);
  });

  test('with SCIM off and JIT on, an unknown user is created (user.created by the connection) and signed in; with JIT off, refused', async () => {
    const t = await ssoTenant(server, app, { sso: { justInTime: true } });
    const off = await server.admin('POST', `/tenants/${t.slug}/scim/disable`, { body: { confirm: DISABLE_CONFIRMATION } });
    assert.equal(off.status, 200, off.text);
    const { acs } = await spInitiated(t, 'new@acme.example', { response: { attributes: { firstName: ['New'], lastName: ['Person'] } } });
    const visit = await followToApp(acs, app);
    assert.equal(visit.exchange?.status, 200);
    assert.equal(visit.exchange.body.profile.userName, 'new@acme.example');
    assert.deepEqual(visit.exchange.body.profile.name, { givenName: 'New', familyName: 'Person' });
    const created = await server.admin('GET', `/events?tenant=${t.slug}&types=user.created`);
    assert.equal(created.body.data.length, 1);
    assert.deepEqual(created.body.data[0].actor, { type: 'saml', id: t.connectionId, name: 'okta' });
    // The second sign-in finds the same user.
    const second = await followToApp((await spInitiated(t, 'NEW@acme.example')).acs, app);
    assert.equal(second.exchange!.body.profile.id, visit.exchange.body.profile.id);

    await setSso(server, t.slug, app, { justInTime: false });
    expectRefusal((await spInitiated(t, 'other@acme.example')).acs, 403, 'unknown_user');
  });

  test('matchBy email finds the user by email case-insensitively; nameIdAttribute reads an attribute instead of the NameID', async () => {
    const t = await ssoTenant(server, app, { sso: { matchBy: 'email' } });
    const id = await provision(t, 'lin', { emails: [{ value: 'Lin.Wei@Acme.example', primary: true }] });
    const byEmail = await followToApp((await spInitiated(t, 'lin.wei@acme.EXAMPLE')).acs, app);
    assert.equal(byEmail.exchange!.body.profile.id, id);

    await setSso(server, t.slug, app, { matchBy: 'userName', nameIdAttribute: 'uid' });
    const byAttribute = await followToApp((await spInitiated(t, 'opaque-123', { response: { attributes: { uid: ['LIN'] } } })).acs, app);
    assert.equal(byAttribute.exchange!.body.profile.id, id);
    const missing = (await spInitiated(t, 'lin')).acs;
    expectRefusal(missing, 400, 'no_identity');
  });

  test('a user pinned to another connection is refused with a page naming it; pinned to this one, signed in', async () => {
    const t = await ssoTenant(server, app, { sso: { connectionAttribute: `${ENTERPRISE}:organization` } });
    await provision(t, 'pinned@acme.example', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE], [ENTERPRISE]: { organization: 'entra' } });
    const { acs } = await spInitiated(t, 'pinned@acme.example');
    expectRefusal(acs, 403, 'wrong_connection');
    assert.ok(acs.text.includes('entra'), 'the page names the connection to use');
    await expectFailedEvent(server, t.slug, 'wrong_connection');

    await provision(t, 'okta-user@acme.example', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE], [ENTERPRISE]: { organization: 'okta' } });
    const ok = await followToApp((await spInitiated(t, 'okta-user@acme.example')).acs, app);
    assert.equal(ok.exchange!.body.profile.userName, 'okta-user@acme.example');
  });

  test('an InResponseTo no request of this tenant has (unknown, already answered, another tenant\'s) is refused', async () => {
    const t = await ssoTenant(server, app);
    await provision(t, 'ada@acme.example');
    const unknown = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(goodResponse(t, 'ada@acme.example', { inResponseTo: '_00000000000000000000000000000000' })) });
    expectRefusal(unknown, 400, 'in_response_to');
    await expectFailedEvent(server, t.slug, 'in_response_to');

    // Another tenant's AuthnRequest, answered to this tenant's ACS (correct audience for this one).
    const other = await ssoTenant(server, app, { idp: t.idp });
    const otherLogin = TestIdp.readAuthnRequest((await startLogin(other)).location!);
    const crossed = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(goodResponse(t, 'ada@acme.example', { inResponseTo: otherLogin.id })) });
    expectRefusal(crossed, 400, 'in_response_to');

    // A request answered once cannot be answered again (a fresh assertion, same InResponseTo).
    const first = await spInitiated(t, 'ada@acme.example');
    await followToApp(first.acs, app);
    const second = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(goodResponse(t, 'ada@acme.example', { inResponseTo: first.requestId })) });
    expectRefusal(second, 400, 'in_response_to');
  });

  test('a response for tenant A posted to tenant B\'s ACS is refused (audience/recipient/destination), even from an IdP both trust', async () => {
    const a = await ssoTenant(server, app);
    const b = await ssoTenant(server, app, { idp: a.idp });
    await provision(a, 'ada@acme.example');
    await provision(b, 'ada@acme.example');
    const login = TestIdp.readAuthnRequest((await startLogin(a)).location!);
    const forA = a.idp.post(goodResponse(a, 'ada@acme.example', { inResponseTo: login.id }));
    const refused = await postAcs(b.acsUrl, { SAMLResponse: forA });
    const event = await expectFailedEvent(server, b.slug, ['audience', 'recipient', 'destination']);
    expectRefusal(refused, 400, event.data.reason);
    assert.equal((await signInEvents(server, a.slug)).length, 0, 'nothing happened in tenant A');
  });
});

describe('IdP-initiated sign-in', () => {
  test('is refused by default; once the connection allows it, lands on the default URL or an allowed RelayState', async () => {
    const t = await ssoTenant(server, app);
    await provision(t, 'ada@acme.example');
    const unsolicited = () => t.idp.post(goodResponse(t, 'ada@acme.example'));
    expectRefusal(await postAcs(t.acsUrl, { SAMLResponse: unsolicited() }), 400, 'idp_initiated');
    await expectFailedEvent(server, t.slug, 'idp_initiated');

    const on = await server.admin('PATCH', `/tenants/${t.slug}/saml/connections/${t.connectionId}`, { body: { idpInitiated: true } });
    assert.equal(on.status, 200, on.text);
    const home = await postAcs(t.acsUrl, { SAMLResponse: unsolicited() });
    assert.equal((await followToApp(home, app)).path, '/app/home');
    const deep = await postAcs(t.acsUrl, { SAMLResponse: unsolicited(), RelayState: `${app.url}/app/deep/link` });
    assert.equal((await followToApp(deep, app)).path, '/app/deep/link');
    const evil = await postAcs(t.acsUrl, { SAMLResponse: unsolicited(), RelayState: 'https://evil.example/app' });
    assert.equal((await followToApp(evil, app)).path, '/app/home', 'a RelayState outside the allow-list is ignored');
    const events = await signInEvents(server, t.slug);
    assert.deepEqual(events.map((e) => e.type), ['user.sign_in_failed', 'user.signed_in', 'user.signed_in', 'user.signed_in']);
    assert.equal(events[1].data.idpInitiated, true);
    assert.equal(events[1].data.authnRequestId, null);
  });
});

describe('several connections', () => {
  test('the response\'s Issuer picks the connection it is checked with; a disabled connection\'s response is refused', async () => {
    const t = await ssoTenant(server, app);
    await provision(t, 'ada@acme.example');
    const entra = TestIdp.create({ entityId: `https://sts.entra.example/${t.slug}/`, key: 'idp-next' });
    const c = await server.admin('POST', `/tenants/${t.slug}/saml/connections`, { body: { name: 'entra', metadataXml: entra.metadataXml() } });
    assert.equal(c.status, 201, c.text);
    const viaEntra = { ...t, idp: entra };
    const signedIn = await followToApp((await spInitiated(viaEntra, 'ada@acme.example', { connection: 'entra' })).acs, app);
    assert.deepEqual(signedIn.exchange?.body.profile.connection, { id: c.body.id, name: 'entra' });

    // Okta's response to a request made for Entra: the request belongs to another connection.
    const forEntra = TestIdp.readAuthnRequest((await startLogin(t, { connection: 'entra' })).location!);
    expectRefusal(await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(goodResponse(t, 'ada@acme.example', { inResponseTo: forEntra.id })) }), 400, 'in_response_to');

    const off = await server.admin('PATCH', `/tenants/${t.slug}/saml/connections/${c.body.id}`, { body: { enabled: false } });
    assert.equal(off.status, 200, off.text);
    const unsolicited = await postAcs(t.acsUrl, { SAMLResponse: entra.post(goodResponse(viaEntra, 'ada@acme.example')) });
    expectRefusal(unsolicited, 400, 'connection_disabled');
    assert.equal((await expectFailedEvent(server, t.slug, 'connection_disabled')).data.connection?.name, 'entra');
    expectRefusal(await startLogin(t, { connection: 'entra' }), 400, 'connection_disabled');
  });

  test('two users with the same email, matched by email, are refused as ambiguous', async () => {
    const t = await ssoTenant(server, app, { sso: { matchBy: 'email' } });
    await provision(t, 'one', { emails: [{ value: 'shared@acme.example', primary: true }] });
    await provision(t, 'two', { emails: [{ value: 'SHARED@acme.example', primary: true }] });
    expectRefusal((await spInitiated(t, 'shared@acme.example')).acs, 400, 'ambiguous');
    await expectFailedEvent(server, t.slug, 'ambiguous');
  });
});

describe('with an SP key', () => {
  let keyed: AdminTestServer;
  let keyedApp: TestApp;
  const sp = fixtureKeyPair('sp');
  before(async () => {
    keyed = await startAdminServer({ config: { saml: { ...DEFAULTS.saml, spPrivateKey: sp.privateKey, spCertificate: sp.certificate } } });
    keyedApp = await startApp(keyed.baseUrl, await ssoKey(keyed));
  });
  after(async () => {
    await keyedApp?.close();
    await keyed?.close();
  });

  test('AuthnRequests are signed, the metadata carries the certificate, and an encrypted assertion signs in', async () => {
    const t = await ssoTenant(keyed, keyedApp);
    await provision(t, 'ada@acme.example');
    const metadata = await (await fetch(`${keyed.baseUrl}/saml/${t.slug}/metadata`)).text();
    const base64 = sp.certificate.replace(/-----[^-]+-----|\s/g, '');
    assert.ok(metadata.includes(base64), 'the SP certificate is in the metadata');
    const login = await startLogin(t);
    assert.ok(TestIdp.readAuthnRequest(login.location!).signed);
    assert.ok(TestIdp.authnRequestSignatureValid(login.location!, sp.certificate), 'the signature verifies with the SP certificate');
    const { acs } = await spInitiated(t, 'ada@acme.example', { response: { encryptFor: sp.certificate } });
    const visit = await followToApp(acs, keyedApp);
    assert.equal(visit.exchange?.body.profile.userName, 'ada@acme.example');
  });
});

describe('embedded (library.ts)', () => {
  test('the plugin serves the SAML endpoints under its prefix, with the prefix in the SP\'s URLs', async () => {
    const origin = 'https://app.example.com';
    const rc = await createRollcall({ database: 'sqlite::memory:', publicUrl: `${origin}/identity` });
    const app = Fastify();
    try {
      await app.register(rc.plugin, { prefix: '/identity' });
      await rc.tenants.create('embedded');
      const res = await app.inject({ method: 'GET', url: '/identity/saml/embedded/metadata' });
      assert.equal(res.statusCode, 200);
      assert.ok(res.body.includes(`entityID="${origin}/identity/saml/embedded/metadata"`), res.body);
      assert.ok(res.body.includes(`Location="${origin}/identity/saml/embedded/acs"`), res.body);
      const none = await app.inject({ method: 'GET', url: '/identity/saml/embedded/login' });
      assert.equal(none.statusCode, 400, 'no allow-list yet: a page, not a redirect');
      assert.match(none.headers['content-type'] as string, /^text\/html/);
    } finally {
      await app.close();
      await rc.close();
    }
  });
});

describe('refusals nobody vouched for', () => {
  test('junk posted to the ACS is recorded as events only up to the per-minute bound; the next window says how many were left out; verified refusals are always recorded', async () => {
    const clock = new ManualClock(Date.now());
    const bounded = await startAdminServer({ server: { clock }, config: { saml: { ...DEFAULTS.saml, unverifiedFailureEventsPerMinute: 3 } } });
    const boundedApp = await startApp(bounded.baseUrl, await ssoKey(bounded));
    try {
      const t = await ssoTenant(bounded, boundedApp);
      const junk = Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">junk</samlp:Response>').toString('base64');
      for (let i = 0; i < 5; i++) {
        const a = await postAcs(t.acsUrl, { SAMLResponse: junk });
        assert.equal(a.status, 400, 'every one is refused, recorded or not');
      }
      let failed = (await signInEvents(bounded, t.slug)).filter((e) => e.type === 'user.sign_in_failed');
      assert.equal(failed.length, 3, 'three recorded, two only counted');
      assert.ok(failed.every((e) => (e.data as { verified?: boolean }).verified === false));

      // A refusal of a response the IdP signed (here: unsolicited, which the connection does not
      // accept) is recorded past the bound: only the IdP can cause it.
      const unknown = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(goodResponse(t, 'nobody@acme.example', { now: new Date(clock.now()) })) });
      assert.equal(unknown.status, 400, unknown.text);
      failed = (await signInEvents(bounded, t.slug)).filter((e) => e.type === 'user.sign_in_failed');
      assert.equal(failed.length, 4);
      assert.deepEqual({ reason: failed[3].data.reason, verified: (failed[3].data as { verified?: boolean }).verified }, { reason: 'idp_initiated', verified: true });

      clock.advance(61_000);
      await postAcs(t.acsUrl, { SAMLResponse: junk });
      failed = (await signInEvents(bounded, t.slug)).filter((e) => e.type === 'user.sign_in_failed');
      assert.equal(failed.length, 5);
      assert.equal((failed[4].data as { suppressedBefore?: number }).suppressedBefore, 2, 'the first of the next minute counts the two left out');
    } finally {
      await boundedApp.close();
      await bounded.close();
    }
  });
});
