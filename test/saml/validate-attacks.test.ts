// The attack set against validateSamlResponse, and the positive cases it must still accept: a real
// IdP (test/support/saml-idp.ts, xml-crypto with the test keys) signs every response.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSamlResponse, type TrustedIdp, type ValidateOptions } from '../../src/saml/validate.ts';
import { SamlRejected, type SamlRejectReason } from '../../src/saml/errors.ts';
import { TestIdp, fixtureKeyPair, type ResponseOptions } from '../support/saml-idp.ts';
import { attackVariants } from '../support/saml-attacks.ts';

const idp = TestIdp.create();
const attacker = TestIdp.create({ key: 'attacker' });
const sp = { entityId: 'https://rollcall.example.test/saml/acme/metadata', acsUrl: 'https://rollcall.example.test/saml/acme/acs', ...fixtureKeyPair('sp') };
const now = new Date('2026-03-01T12:00:00.000Z');
const base: ResponseOptions = {
  acsUrl: sp.acsUrl, audience: sp.entityId, nameId: 'victim@example.test', now, sign: 'both',
  attributes: { email: 'victim@example.test', groups: ['staff', 'admins'] }, friendlyNames: { email: 'mail' },
  inResponseTo: '_0123456789abcdef0123456789abcdef', sessionIndex: '_session1',
};

function options(o: { signed?: TrustedIdp['signed']; certificates?: string[]; allowSha1?: boolean; withSpKey?: boolean } = {}): ValidateOptions {
  return {
    sp: o.withSpKey === false ? { entityId: sp.entityId, acsUrl: sp.acsUrl } : sp,
    idp: { entityId: idp.entityId, certificates: o.certificates ?? [idp.certificate], signed: o.signed ?? 'either', allowSha1: o.allowSha1 ?? false },
    now, clockSkewMs: 60_000, maxBytes: 256 * 1024,
  };
}

async function refusedWith(xml: string, reason: SamlRejectReason, opts: ValidateOptions): Promise<SamlRejected> {
  let returned: unknown;
  let error: unknown;
  try {
    returned = await validateSamlResponse(idp.post(xml), opts);
  } catch (err) {
    error = err;
  }
  assert.equal(returned, undefined, 'nothing may be returned');
  assert.ok(error instanceof SamlRejected, `expected a SamlRejected, got ${String(error)}`);
  assert.equal(error.reason, reason, error.message);
  return error;
}

describe('every attack variant is refused with its reason (connection accepting either signature)', () => {
  const valid = idp.responseXml(base);
  for (const variant of attackVariants(valid, { idp, attacker, options: base })) {
    test(variant.name, async () => {
      await refusedWith(variant.xml, variant.reason, options({ signed: variant.signed ?? 'either' }));
    });
  }
});

describe('the XSW variants are refused just the same when the connection requires both signatures', () => {
  const valid = idp.responseXml(base);
  for (const variant of attackVariants(valid, { idp, attacker, options: base }).filter((v) => v.name.startsWith('XSW'))) {
    test(variant.name, async () => {
      await refusedWith(variant.xml, variant.reasonIfBoth ?? variant.reason, options({ signed: 'both' }));
    });
  }
});

describe('valid responses', () => {
  test('a response with a signed assertion is accepted, every value read from the signed assertion', async () => {
    const assertionId = '_assertion_1';
    const result = await validateSamlResponse(idp.post(idp.responseXml({ ...base, sign: 'assertion', assertionId })), options({ signed: 'assertion' }));
    assert.deepEqual(result, {
      assertionId,
      issuer: idp.entityId,
      nameId: 'victim@example.test',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      attributes: { email: ['victim@example.test'], mail: ['victim@example.test'], groups: ['staff', 'admins'] },
      sessionIndex: '_session1',
      inResponseTo: base.inResponseTo,
      expiresAt: '2026-03-01T12:05:00.000Z',
    });
  });

  test('a signed response with an unsigned assertion is accepted when the connection asks for a signed response', async () => {
    const result = await validateSamlResponse(idp.post(idp.responseXml({ ...base, sign: 'response' })), options({ signed: 'response' }));
    assert.equal(result.nameId, 'victim@example.test');
  });

  test('a response signed twice (response and assertion) is accepted when the connection requires both', async () => {
    const result = await validateSamlResponse(idp.post(idp.responseXml({ ...base, sign: 'both' })), options({ signed: 'both' }));
    assert.equal(result.nameId, 'victim@example.test');
  });

  for (const sign of ['assertion', 'response'] as const) {
    test(`a connection requiring both signatures refuses a response with only the ${sign} signed`, async () => {
      await refusedWith(idp.responseXml({ ...base, sign }), 'unsigned', options({ signed: 'both' }));
    });
  }

  test('a connection requiring a signed response refuses one with only the assertion signed', async () => {
    await refusedWith(idp.responseXml({ ...base, sign: 'assertion' }), 'unsigned', options({ signed: 'response' }));
  });

  test('an unsolicited (IdP-initiated) response is accepted with inResponseTo null', async () => {
    const result = await validateSamlResponse(idp.post(idp.responseXml({ ...base, inResponseTo: undefined })), options());
    assert.equal(result.inResponseTo, null);
  });

  test('certificate rollover: a response signed with either of two trusted certificates is accepted', async () => {
    const next = TestIdp.create({ key: 'idp-next' });
    const both = options({ certificates: [idp.certificatePem, next.certificate] });
    assert.equal((await validateSamlResponse(idp.post(idp.responseXml(base)), both)).nameId, 'victim@example.test');
    assert.equal((await validateSamlResponse(next.post(next.responseXml(base)), both)).nameId, 'victim@example.test');
    await refusedWith(next.responseXml(base), 'bad_signature', options());
  });

  test('an encrypted, signed assertion is decrypted with the SP key and accepted', async () => {
    const xml = idp.responseXml({ ...base, sign: 'assertion', encryptFor: sp.certificate });
    assert.ok(xml.includes('EncryptedAssertion') && !xml.includes('victim@'));
    const result = await validateSamlResponse(idp.post(xml), options({ signed: 'assertion' }));
    assert.equal(result.nameId, 'victim@example.test');
    assert.deepEqual(result.attributes.groups, ['staff', 'admins']);
  });

  test('an encrypted assertion in a signed response is accepted', async () => {
    const xml = idp.responseXml({ ...base, sign: 'response', encryptFor: sp.certificate });
    assert.equal((await validateSamlResponse(idp.post(xml), options({ signed: 'response' }))).nameId, 'victim@example.test');
  });

  test('an encrypted assertion is refused when the SP has no decryption key', async () => {
    const xml = idp.responseXml({ ...base, sign: 'assertion', encryptFor: sp.certificate });
    await refusedWith(xml, 'encrypted_unsupported', options({ withSpKey: false }));
  });

  test('an assertion encrypted for another key is refused', async () => {
    const xml = idp.responseXml({ ...base, sign: 'assertion', encryptFor: fixtureKeyPair('attacker').certificate });
    await refusedWith(xml, 'bad_signature', options());
  });

  test('an assertion encrypted but not signed, in an unsigned response, is refused', async () => {
    const xml = idp.responseXml({ ...base, sign: 'none', encryptFor: sp.certificate });
    await refusedWith(xml, 'bad_signature', options());
  });

  test('an assertion encrypted with triple-DES is refused as algorithm', async () => {
    const xml = idp.responseXml({ ...base, sign: 'assertion', encryptFor: sp.certificate, encryption: { data: 'tripledes-cbc' } });
    await refusedWith(xml, 'algorithm', options());
  });

  test('a look-alike EncryptionMethod in another namespace, placed before the real one, is refused as algorithm', async () => {
    // xml-encryption takes the first element named EncryptionMethod whatever its namespace: the
    // 3DES-encrypted content would be decrypted while the xenc element names AES-GCM.
    const tripleDes = 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc';
    const xml = idp.responseXml({ ...base, sign: 'assertion', encryptFor: sp.certificate, encryption: { data: 'tripledes-cbc' } })
      .replace(`<xenc:EncryptionMethod Algorithm="${tripleDes}"/>`, `<x:EncryptionMethod xmlns:x="urn:x" Algorithm="${tripleDes}"/><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>`);
    const err = await refusedWith(xml, 'algorithm', options());
    assert.match(err.message, /another namespace/);
  });

  test('AES-CBC is accepted in a signed Response and refused as algorithm when only the assertion is signed', async () => {
    const inSigned = idp.responseXml({ ...base, sign: 'both', encryptFor: sp.certificate, encryption: { data: 'aes256-cbc' } });
    assert.equal((await validateSamlResponse(idp.post(inSigned), options({ signed: 'both' }))).nameId, 'victim@example.test');
    const assertionOnly = idp.responseXml({ ...base, sign: 'assertion', encryptFor: sp.certificate, encryption: { data: 'aes256-cbc' } });
    await refusedWith(assertionOnly, 'algorithm', options());
  });

  test('an encrypted assertion signed by an untrusted key is refused even inside a Response the IdP signed', async () => {
    const inner = attacker.responseXml({ ...base, sign: 'assertion', encryptFor: sp.certificate }).match(/<saml:EncryptedAssertion[\s\S]*<\/saml:EncryptedAssertion>/)![0];
    const shell = idp.responseXml({ ...base, sign: 'none' }).replace(/<saml:Assertion[\s\S]*<\/saml:Assertion>/, inner);
    const signedShell = idp.sign(shell, '/*');
    await refusedWith(signedShell, 'bad_signature', options({ signed: 'response' }));
    await refusedWith(signedShell, 'bad_signature', options({ signed: 'either' }));
  });

  test('of two bearer SubjectConfirmations, one for this ACS is enough', async () => {
    const unsigned = idp.responseXml({ ...base, sign: 'none' });
    const bearer = /<saml:SubjectConfirmation [\s\S]*?<\/saml:SubjectConfirmation>/.exec(unsigned)![0];
    const xml = idp.sign(unsigned.replace(bearer, bearer.replace(/Recipient="[^"]*"/, 'Recipient="https://other.example.test/acs"') + bearer), "/*/*[local-name(.)='Assertion']");
    assert.equal((await validateSamlResponse(idp.post(xml), options())).nameId, 'victim@example.test');
  });

  test('a failed decryption says nothing of how it failed', async () => {
    const xml = idp.responseXml({ ...base, sign: 'assertion', encryptFor: fixtureKeyPair('attacker').certificate });
    const err = await refusedWith(xml, 'bad_signature', options());
    assert.equal(err.detail, undefined);
    assert.equal(err.message, 'The response signature does not verify with the connection\'s certificates.');
  });

  test('the comment-in-NameID case is refused, never read truncated', async () => {
    const valid = idp.responseXml(base);
    const variant = attackVariants(valid, { idp, attacker, options: base }).find((v) => v.name === 'comment inside the NameID')!;
    const refused = await refusedWith(variant.xml, 'signature_wrapping', options());
    assert.match(refused.message, /comment/);
  });

  test('SHA-1 is accepted when the connection allows it', async () => {
    const result = await validateSamlResponse(idp.post(idp.responseXml({ ...base, algorithm: 'sha1' })), options({ allowSha1: true }));
    assert.equal(result.nameId, 'victim@example.test');
  });

  test('the clock skew is applied both ways, with the given now', async () => {
    // NotOnOrAfter is now + 5 min: 5m30s later it is still inside a 60 s skew, 6m01s later it is not.
    const at = (ms: number) => ({ ...options(), now: new Date(now.getTime() + ms) });
    const xml = idp.responseXml(base);
    assert.equal((await validateSamlResponse(idp.post(xml), at(5 * 60_000 + 30_000))).nameId, 'victim@example.test');
    await refusedWith(xml, 'expired', at(6 * 60_000 + 1000));
    // NotBefore is now - 5 min: 5m30s earlier it is inside the skew, 6m01s earlier it is not.
    assert.equal((await validateSamlResponse(idp.post(xml), at(-(5 * 60_000 + 30_000)))).nameId, 'victim@example.test');
    await refusedWith(xml, 'not_yet_valid', at(-(6 * 60_000 + 1000)));
  });

  test('expiresAt is the earliest NotOnOrAfter in the assertion', async () => {
    const result = await validateSamlResponse(idp.post(idp.responseXml({ ...base, notOnOrAfter: new Date(now.getTime() + 120_000) })), options());
    assert.equal(result.expiresAt, '2026-03-01T12:02:00.000Z');
  });
});
