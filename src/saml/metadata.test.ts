import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeCertificate, MetadataRefused, parseIdpMetadata, type MetadataProblem } from './metadata.ts';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/saml/metadata/${name}`, import.meta.url), 'utf8');
const der = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
const okta = fixture('okta.xml');
const entra = fixture('entra.xml');
const oktaCert = der(fixture('okta.pem'));
const entraCurrent = der(fixture('entra-current.pem'));
const entraNext = der(fixture('entra-next.pem'));
const expiredCert = der(fixture('expired.pem'));
const now = new Date();

const refused = (xml: string, reason: MetadataProblem, message?: RegExp, options?: Parameters<typeof parseIdpMetadata>[2]) =>
  assert.throws(() => parseIdpMetadata(xml, now, options), (e: unknown) => {
    assert.ok(e instanceof MetadataRefused, String(e));
    assert.equal(e.reason, reason, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });

const withCertificates = (certs: string[]) => okta.replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/,
  certs.map((c) => `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join(''));

test("Okta's metadata: entity id, the HTTP-Redirect SSO URL, its one certificate with the line breaks removed", () => {
  const m = parseIdpMetadata(okta, now);
  assert.equal(m.entityId, 'http://www.okta.com/exk1fcia6d6EMsf6P0h8');
  assert.equal(m.ssoUrl, 'https://dev-123456.okta.com/app/dev-123456_rollcall_1/exk1fcia6d6EMsf6P0h8/sso/saml');
  assert.equal(m.ssoBinding, 'HTTP-Redirect');
  assert.deepEqual(m.certificates, [oktaCert]);
  assert.deepEqual(m.warnings, []);
  assert.equal(m.wantAuthnRequestsSigned, false);
  assert.ok(m.nameIdFormats.includes('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'));
});

test("Entra's metadata: the IDPSSODescriptor's two signing certificates (rollover), not the RoleDescriptors' before it", () => {
  const m = parseIdpMetadata(entra, now);
  assert.equal(m.entityId, 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/');
  assert.equal(m.ssoUrl, 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/saml2');
  assert.deepEqual(m.certificates, [entraCurrent, entraNext]);
  assert.ok(!m.certificates.includes(expiredCert), "the WS-Federation role's expired certificate is not read");
  assert.deepEqual(m.warnings, []);
});

test('a KeyDescriptor for encryption is not a signing certificate; one without "use" is', () => {
  const enc = okta.replace('use="signing"', 'use="encryption"');
  refused(enc, 'no_signing_certificate', /no signing certificate/);
  assert.deepEqual(parseIdpMetadata(okta.replace('use="signing"', ''), now).certificates, [oktaCert]);
});

test('not XML, JSON, and malformed markup are refused as not_xml, naming what to upload', () => {
  refused('{"entityId": "x"}', 'not_xml', /SAML metadata/);
  refused('just some text', 'not_xml');
  refused('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">', 'not_xml');
  refused('', 'not_xml');
});

test('a billion-laughs document and an external entity are refused before anything is expanded', () => {
  const lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol3;"/>';
  refused(lol, 'doctype', /DOCTYPE/);
  refused(okta.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'), 'doctype');
});

test('a document over the size limit is refused before it is parsed', () => {
  refused(okta, 'too_large', /larger than 1000 bytes/, { maxBytes: 1000 });
});

test("a service provider's metadata, or another XML document, is not an identity provider's", () => {
  const sp = '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://app.example.com"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>';
  refused(sp, 'no_idp_descriptor', /service provider/);
  refused('<html><body>Sign in</body></html>', 'no_idp_descriptor', /root element is <html>/);
});

test('without an HTTP-Redirect SingleSignOnService: refused, saying so when only HTTP-POST is offered', () => {
  refused(okta.replace(/<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"[^>]*\/>/, ''), 'post_binding_only', /HTTP-Redirect/);
  refused(okta.replace(/<md:SingleSignOnService[^>]*\/>/g, ''), 'no_sso_url');
});

test('an SSO URL that is not http(s) is refused: users are redirected there', () => {
  refused(okta.replace(/Location="https:\/\/dev-123456[^"]*"/g, 'Location="javascript:alert(1)"'), 'bad_sso_url', /https/);
});

test('metadata with no signing certificate is refused, naming the IdP', () => {
  refused(withCertificates([]), 'no_signing_certificate', /exk1fcia6d6EMsf6P0h8/);
});

test('metadata whose only certificate has expired is refused; with a valid one beside it, the expired one is left out with a warning', () => {
  refused(withCertificates([expiredCert]), 'expired_certificate', /expired 2021-01-01T00:00:00\.000Z.*Renew/);
  const m = parseIdpMetadata(withCertificates([expiredCert, oktaCert]), now);
  assert.deepEqual(m.certificates, [oktaCert]);
  assert.equal(m.warnings.length, 1);
  assert.match(m.warnings[0], /Expired IdP Signing.*expired 2021-01-01/);
});

test('a certificate that is not base64 or not X.509 is refused as bad_certificate', () => {
  refused(withCertificates(['not a certificate!']), 'bad_certificate', /not base64/);
  refused(withCertificates([Buffer.from('hello world, not DER').toString('base64')]), 'bad_certificate', /not an X\.509 certificate/);
  refused(withCertificates([oktaCert.slice(0, 200)]), 'bad_certificate');
});

test('an aggregate with one identity provider is read; with several, refused listing them unless entityId picks one', () => {
  const inner = (xml: string) => xml.replace(/^<\?xml[^>]*\?>/, '');
  const one = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${inner(okta)}</md:EntitiesDescriptor>`;
  assert.equal(parseIdpMetadata(one, now).entityId, 'http://www.okta.com/exk1fcia6d6EMsf6P0h8');
  const two = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${inner(okta)}${inner(entra)}</md:EntitiesDescriptor>`;
  refused(two, 'several_entities', /2 identity providers \("http:\/\/www\.okta\.com\/exk1fcia6d6EMsf6P0h8", "https:\/\/sts\.windows\.net\/.*"\); say which one with "entityId"/);
  assert.deepEqual(parseIdpMetadata(two, now, { entityId: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' }).certificates, [entraCurrent, entraNext]);
  refused(two, 'no_idp_descriptor', /no identity provider https:\/\/nope/, { entityId: 'https://nope' });
});

test('a certificate is described as an admin recognises it: SHA-256 fingerprint, subject, validity, PEM', () => {
  const c = describeCertificate(fixture('okta.pem'), now);
  assert.equal(c.der, oktaCert);
  assert.match(c.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.match(c.subject, /CN=dev-123456/);
  assert.equal(c.expired, false);
  assert.ok(Date.parse(c.notAfter) > Date.parse(c.notBefore));
  assert.equal(der(c.pem), oktaCert);
  assert.equal(describeCertificate(expiredCert, now).expired, true);
});
