import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authnRequestUrl, newRequestId } from './authn-request.ts';
import { TestIdp, fixtureKeyPair } from '../../test/support/saml-idp.ts';

const sp = { entityId: 'https://rollcall.example.test/saml/acme/metadata', acsUrl: 'https://rollcall.example.test/saml/acme/acs' };
const now = new Date('2026-03-01T12:00:00.000Z');

test('request ids are "_" and 32 random hex digits', () => {
  const a = newRequestId();
  assert.match(a, /^_[0-9a-f]{32}$/);
  assert.notEqual(a, newRequestId());
});

test('an unsigned AuthnRequest carries the id, ACS, issuer, IssueInstant from now, and the RelayState', async () => {
  const url = await authnRequestUrl({ sp, idpSsoUrl: 'https://idp.example.test/sso', id: '_abc', relayState: 'state & more', now });
  assert.ok(url.startsWith('https://idp.example.test/sso?SAMLRequest='));
  const read = TestIdp.readAuthnRequest(url);
  assert.equal(read.id, '_abc');
  assert.equal(read.acsUrl, sp.acsUrl);
  assert.equal(read.issuer, sp.entityId);
  assert.equal(read.relayState, 'state & more');
  assert.equal(read.destination, 'https://idp.example.test/sso');
  assert.equal(read.signed, false);
  assert.equal(read.forceAuthn, false);
  assert.match(read.xml, /IssueInstant="2026-03-01T12:00:00.000Z"/);
  assert.doesNotMatch(read.xml, /RequestedAuthnContext/);
});

test('with an SP key the query is signed (RSA-SHA256) and verifies with the SP certificate', async () => {
  const keys = fixtureKeyPair('sp');
  const url = await authnRequestUrl({ sp: { ...sp, ...keys }, idpSsoUrl: 'https://idp.example.test/sso', id: newRequestId(), relayState: 'r', now, forceAuthn: true });
  const read = TestIdp.readAuthnRequest(url);
  assert.equal(read.signed, true);
  assert.equal(read.forceAuthn, true);
  assert.equal(new URL(url).searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  assert.equal(TestIdp.authnRequestSignatureValid(url, keys.certificate), true);
  assert.equal(TestIdp.authnRequestSignatureValid(url, fixtureKeyPair('attacker').certificate), false);
  assert.equal(TestIdp.authnRequestSignatureValid(url.replace('RelayState=r', 'RelayState=s'), keys.certificate), false);
});

test('an SSO URL with its own query keeps it, and loses its fragment', async () => {
  const url = await authnRequestUrl({ sp, idpSsoUrl: 'https://idp.example.test/sso?app=42#x', id: '_a', relayState: '', now });
  const parsed = new URL(url);
  assert.equal(parsed.searchParams.get('app'), '42');
  assert.ok(parsed.searchParams.get('SAMLRequest'));
  assert.equal(parsed.searchParams.has('RelayState'), false);
  assert.equal(parsed.hash, '');
});

test('values are escaped in the request XML', async () => {
  const url = await authnRequestUrl({ sp: { ...sp, entityId: 'https://x.test/?a=1&b="2"<' }, idpSsoUrl: 'https://idp.example.test/sso', id: '_a', relayState: '', now });
  assert.equal(TestIdp.readAuthnRequest(url).issuer, 'https://x.test/?a=1&b="2"<');
});
