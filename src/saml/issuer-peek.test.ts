import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peekIssuer } from './issuer-peek.ts';

const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';

test('the Response\'s own Issuer, else the Assertion\'s, is read (only to pick the connection)', () => {
  assert.equal(peekIssuer(b64(`<samlp:Response xmlns:samlp="${P}" xmlns:saml="${A}"><saml:Issuer> https://idp.example/ </saml:Issuer></samlp:Response>`), 10_000), 'https://idp.example/');
  assert.equal(peekIssuer(b64(`<samlp:Response xmlns:samlp="${P}" xmlns:saml="${A}"><saml:Assertion><saml:Issuer>https://a.example</saml:Issuer></saml:Assertion></samlp:Response>`), 10_000), 'https://a.example');
});

test('nothing is read from what is too large, not base64, not XML, has a DOCTYPE, or is not a SAML Response', () => {
  const ok = b64(`<samlp:Response xmlns:samlp="${P}" xmlns:saml="${A}"><saml:Issuer>x</saml:Issuer></samlp:Response>`);
  assert.equal(peekIssuer(ok, ok.length - 1), undefined);
  assert.equal(peekIssuer('%%%not base64', 10_000), undefined);
  assert.equal(peekIssuer(b64('hello'), 10_000), undefined);
  assert.equal(peekIssuer(b64(`<!DOCTYPE r [<!ENTITY x "y">]><samlp:Response xmlns:samlp="${P}" xmlns:saml="${A}"><saml:Issuer>&x;</saml:Issuer></samlp:Response>`), 10_000), undefined);
  assert.equal(peekIssuer(b64(`<Response><Issuer>x</Issuer></Response>`), 10_000), undefined);
  assert.equal(peekIssuer('', 10_000), undefined);
});
