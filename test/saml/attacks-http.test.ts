// The attack set (test/support/saml-attacks.ts: XML signature wrapping XSW1–XSW8, comments in the
// NameID and DigestValue, extra assertions, foreign keys, tampering, time, audience, algorithms,
// entity expansion) posted through HTTP to a tenant's ACS, each after a real SP-initiated login: none
// may sign anyone in, each gives a refusal page and a user.sign_in_failed event with its reason.
// Then hostile bodies (empty, JSON, huge, garbage, repeated fields): never a 500, never a code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../src/config/config.ts';
import { startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { attackVariants } from '../support/saml-attacks.ts';
import { TestIdp } from '../support/saml-idp.ts';
import {
  expectFailedEvent, expectRefusal, followToApp, postAcs, provision, signInEvents, spInitiated, ssoKey, ssoTenant, startApp, startLogin,
  type SsoTenant, type TestApp,
} from '../support/sso.ts';

let server: AdminTestServer;
let app: TestApp;
let t: SsoTenant;
// The hostile bodies go to a tenant of their own: the ACS records at most 30 pre-signature refusals a
// minute per tenant, and the attack variants above use them up on `t`.
let h: SsoTenant;

before(async () => {
  // A small response limit, so that "huge" is cheap to send; every refusal recorded (this file makes
  // more unverified ones in a minute than the default bound: sign-in.test.ts tests the bound).
  server = await startAdminServer({ config: { saml: { ...DEFAULTS.saml, maxResponseBytes: 64 * 1024, unverifiedFailureEventsPerMinute: 1000 } } });
  app = await startApp(server.baseUrl, await ssoKey(server));
  t = await ssoTenant(server, app);
  h = await ssoTenant(server, app, { prefix: 'hostile' });
  await provision(t, 'victim@acme.example');
  await provision(t, 'admin@acme.example');
});
after(async () => {
  await app?.close();
  await server?.close();
});

async function setSigned(signed: string): Promise<void> {
  const r = await server.admin('PATCH', `/tenants/${t.slug}/saml/connections/${t.connectionId}`, { body: { signed } });
  assert.equal(r.status, 200, r.text);
}

/** The sign-ins this file made on purpose (the controls); every other attempt must add none. */
let legitimate = 0;

/** Nobody but the controls was handed to the app, and no other sign-in succeeded in the tenant. */
async function nobodySignedIn(): Promise<void> {
  assert.equal(app.visits.length, legitimate, 'the app was handed nothing');
  assert.equal((await signInEvents(server, t.slug)).filter((e) => e.type === 'user.signed_in').length, legitimate);
}

describe('every attack variant through POST /acs', () => {
  // The variants are made from a valid response answering a real AuthnRequest, so that a refusal is
  // the attack's doing and not a missing request. The attacker: the IdP's entity id, another key.
  const attacker = TestIdp.create({ key: 'attacker' });

  test('the valid response the variants are made from would sign the victim in (control)', async () => {
    const { acs } = await spInitiated(t, 'victim@acme.example', {});
    const visit = await followToApp(acs, app);
    assert.equal(visit.exchange?.status, 200);
    legitimate++;
  });

  test('each variant is refused with its reason, a page and an event, and signs nobody in', async (s) => {
    const login = TestIdp.readAuthnRequest((await startLogin(t)).location!);
    const options = { acsUrl: t.acsUrl, audience: t.spEntityId, nameId: 'victim@acme.example', sign: 'assertion' as const, inResponseTo: login.id };
    const valid = t.idp.responseXml(options);
    const variants = attackVariants(valid, { idp: t.idp, attacker, options, evilNameId: 'admin@acme.example' });
    assert.ok(variants.length >= 20, `the attack set is whole (${variants.length})`);
    for (const v of variants) {
      await s.test(v.name, async () => {
        // A variant about the signature the connection requires (e.g. "both" and one present) runs
        // with the connection set so.
        if (v.signed) await setSigned(v.signed);
        try {
          const res = await postAcs(t.acsUrl, { SAMLResponse: Buffer.from(v.xml, 'utf8').toString('base64'), RelayState: login.id });
          assert.ok(res.status === 400 || res.status === 403, `${v.name}: refused with 400/403, got ${res.status}: ${res.text.slice(0, 300)}`);
          const e = await expectFailedEvent(server, t.slug, v.reason);
          expectRefusal(res, res.status, e.data.reason);
          assert.equal(e.data.user, null, `${v.name}: no user is named from an unverified response`);
          await nobodySignedIn();
        } finally {
          if (v.signed) await setSigned('either');
        }
      });
    }
  });
});

describe('replay and hostile bodies', () => {
  test('a response that signed someone in, posted again, is refused as a replay', async () => {
    const first = await spInitiated(t, 'admin@acme.example');
    await followToApp(first.acs, app);
    legitimate++;
    const again = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(first.xml), RelayState: first.requestId });
    expectRefusal(again, 403, 'replay');
    await expectFailedEvent(server, t.slug, 'replay');
    await nobodySignedIn();
  });

  const hostile: { name: string; init: RequestInit; status: number[]; reason: string | string[] }[] = [
    { name: 'an empty body', init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }, status: [400], reason: 'no_response' },
    { name: 'no body and no content type', init: { method: 'POST' }, status: [400], reason: 'no_response' },
    { name: 'a JSON body', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ SAMLResponse: 'PHNhbWw+' }) }, status: [400], reason: 'no_response' },
    { name: 'garbage base64', init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=%%%***not-base64***' }, status: [400], reason: ['not_base64', 'not_xml'] },
    { name: 'base64 of no XML', init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `SAMLResponse=${encodeURIComponent(Buffer.from('hello, world').toString('base64'))}` }, status: [400], reason: 'not_xml' },
    { name: 'SAMLResponse given twice', init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=a&SAMLResponse=b' }, status: [400], reason: 'no_response' },
    { name: 'broken percent-encoding', init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=%E0%A4%A&RelayState=%' }, status: [400], reason: ['not_base64', 'not_xml'] },
    { name: 'a response just over the limit', init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `SAMLResponse=${'A'.repeat(64 * 1024 + 4)}` }, status: [400], reason: 'too_large' },
  ];
  for (const body of hostile) {
    test(`${body.name}: a refusal page and an event, never a 500`, async () => {
      const res = await fetch(h.acsUrl, { ...body.init, redirect: 'manual' });
      const a = { status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers };
      assert.ok(body.status.includes(a.status), `${body.name}: ${a.status} ${a.text.slice(0, 300)}`);
      const e = await expectFailedEvent(server, h.slug, body.reason);
      expectRefusal(a, a.status, e.data.reason);
    });
  }

  test('a body far over the limit is cut off with a 413 page before it is parsed', async () => {
    const res = await fetch(t.acsUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `SAMLResponse=${'A'.repeat(4 * 1024 * 1024)}` });
    const a = { status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers };
    expectRefusal(a, 413, 'too_large');
  });

  test('HTML in a refused value comes back escaped', async () => {
    const res = await fetch(`${server.baseUrl}/saml/%3Cscript%3Ealert(1)%3C%2Fscript%3E/login`, { redirect: 'manual' });
    const text = await res.text();
    assert.equal(res.status, 404);
    assert.ok(!text.includes('<script>alert(1)</script>'), text);
  });

  test('nothing in this file signed anybody in', async () => {
    await nobodySignedIn();
  });
});
