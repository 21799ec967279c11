import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spMetadataXml } from './sp-metadata.ts';
import { parseXml } from './xml.ts';
import { NS, descendants } from './dom.ts';
import { fixtureKeyPair, certificateBase64 } from '../../test/support/saml-idp.ts';

const sp = { entityId: 'https://rollcall.example.test/saml/acme/metadata', acsUrl: 'https://rollcall.example.test/saml/acme/acs' };

test('SP metadata names the entity id, the HTTP-POST ACS and the NameID formats', () => {
  const doc = parseXml(spMetadataXml(sp, { wantAssertionsSigned: true }));
  const root = doc.documentElement;
  assert.equal(root.getAttribute('entityID'), sp.entityId);
  const [descriptor] = descendants(root, NS.md, 'SPSSODescriptor');
  assert.equal(descriptor.getAttribute('AuthnRequestsSigned'), 'false');
  assert.equal(descriptor.getAttribute('WantAssertionsSigned'), 'true');
  const [acs] = descendants(root, NS.md, 'AssertionConsumerService');
  assert.equal(acs.getAttribute('Location'), sp.acsUrl);
  assert.equal(acs.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
  assert.deepEqual(descendants(root, NS.md, 'NameIDFormat').map((n) => n.textContent), [
    'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  ]);
  assert.equal(descendants(root, NS.md, 'KeyDescriptor').length, 0);
});

test('with an SP key the certificate is published for signing and encryption', () => {
  const keys = fixtureKeyPair('sp');
  const doc = parseXml(spMetadataXml({ ...sp, ...keys }, { wantAssertionsSigned: false }));
  const root = doc.documentElement;
  assert.equal(descendants(root, NS.md, 'SPSSODescriptor')[0].getAttribute('AuthnRequestsSigned'), 'true');
  assert.deepEqual(descendants(root, NS.md, 'KeyDescriptor').map((k) => k.getAttribute('use')), ['signing', 'encryption']);
  for (const c of descendants(root, NS.ds, 'X509Certificate')) assert.equal(c.textContent, certificateBase64(keys.certificate));
});

test('the entity id and ACS are escaped', () => {
  const doc = parseXml(spMetadataXml({ entityId: 'https://x.test/?a=1&b="2"', acsUrl: 'https://x.test/acs?a=<>' }, { wantAssertionsSigned: true }));
  assert.equal(doc.documentElement.getAttribute('entityID'), 'https://x.test/?a=1&b="2"');
  assert.equal(descendants(doc.documentElement, NS.md, 'AssertionConsumerService')[0].getAttribute('Location'), 'https://x.test/acs?a=<>');
});
