// validateSamlResponse on hostile or malformed input that is not an attack on the signature (those
// are in test/saml/validate-attacks.test.ts): every such input is a SamlRejected with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSamlResponse, type ValidateOptions } from './validate.ts';
import { SamlRejected } from './errors.ts';
import { TestIdp, type ResponseOptions } from '../../test/support/saml-idp.ts';

const idp = TestIdp.create();
const sp = { entityId: 'https://rollcall.example.test/saml/acme/metadata', acsUrl: 'https://rollcall.example.test/saml/acme/acs' };
const now = new Date('2026-03-01T12:00:00.000Z');
const base: ResponseOptions = { acsUrl: sp.acsUrl, audience: sp.entityId, nameId: 'ada@example.test', now, sign: 'assertion', inResponseTo: '_req1' };
const opts = (o: Partial<ValidateOptions> = {}): ValidateOptions => ({
  sp, idp: { entityId: idp.entityId, certificates: [idp.certificate], signed: 'either', allowSha1: false }, now, clockSkewMs: 60_000, maxBytes: 64 * 1024, ...o,
});

async function refused(field: string, reason: string, o: ValidateOptions = opts()): Promise<SamlRejected> {
  const err = await validateSamlResponse(field, o).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof SamlRejected, `expected SamlRejected(${reason}), got ${String(err)}`);
  assert.equal(err.reason, reason, err.message);
  return err;
}
const b64 = (xml: string) => Buffer.from(xml).toString('base64');

test('a response over the size limit is refused before it is decoded', async () => {
  await refused('A'.repeat(64 * 1024 + 4), 'too_large');
});

test('a field that is not base64 is refused', async () => {
  await refused('<samlp:Response/>', 'not_base64');
  await refused('', 'not_base64');
});

test('base64 wrapped in lines, as some IdPs post it, is accepted', async () => {
  const wrapped = idp.post(idp.responseXml(base)).replace(/.{76}/g, '$&\r\n');
  assert.equal((await validateSamlResponse(wrapped, opts())).nameId, 'ada@example.test');
});

test('text that is not XML, and malformed XML, are refused', async () => {
  await refused(b64('{"json": true}'), 'not_xml');
  await refused(b64('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><a></samlp:Response>'), 'not_xml');
});

test('a document nested thousands of levels deep is refused without overflowing the stack', async () => {
  const depth = 20_000;
  await refused(b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0">${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</samlp:Response>`), 'not_xml', opts({ maxBytes: 1024 * 1024 }));
});

// The shapes below once took seconds to minutes inside xmldom, a regular expression or node-saml's
// XPath before any signature was checked. The reasons show they are refused by the scan before
// parsing (too_large, not_xml), never reaching node-saml (which would say bad_signature).
const big = opts({ maxBytes: 1024 * 1024 });
const signedWith = (extra: string) => idp.post(idp.responseXml({ ...base, sign: 'response' }).replace('<saml:Issuer>', `${extra}<saml:Issuer>`));

test('a signed response holding more elements than any response has is refused before its signature is checked', async () => {
  const err = await refused(signedWith(`<samlp:Extensions>${'<e/>'.repeat(20_000)}</samlp:Extensions>`), 'too_large', big);
  assert.match(err.message, /more than 5000 elements/);
});

test('a signed response with tens of thousands of attributes on one element is refused before its signature is checked', async () => {
  let i = 0;
  const xml = idp.responseXml({ ...base, sign: 'response' }).replace('<samlp:Response ', `<samlp:Response ${Array.from({ length: 30_000 }, () => `a${i++}="" `).join('')}`);
  await refused(idp.post(xml), 'too_large', big);
});

test('a response of unclosed elements is refused before it is parsed', async () => {
  const err = await refused(b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0">${'<a>'.repeat(100_000)}`), 'not_xml', big);
  assert.match(err.message, /deeper than 100/);
});

test('a response of unclosed comments or CDATA sections is refused before it is parsed', async () => {
  await refused(b64(`<a>${'<!--'.repeat(100_000)}`), 'not_xml', big);
  await refused(b64(`<a>${'<![CDATA['.repeat(50_000)}`), 'not_xml', big);
});

test('XML that is not a SAML 2.0 Response is refused', async () => {
  await refused(b64('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0"/>'), 'not_a_response');
  await refused(b64('<Response Version="2.0"/>'), 'not_a_response');
  await refused(b64(idp.responseXml(base).replace('Version="2.0"', 'Version="1.1"')), 'not_a_response');
});

test('an IdP error status is refused as idp_error with the status codes and message', async () => {
  const err = await refused(idp.post(idp.responseXml({ ...base, sign: 'none', status: 'urn:oasis:names:tc:SAML:2.0:status:Requester', statusMessage: 'User is not assigned to this application' })), 'idp_error');
  assert.deepEqual(err.detail, { status: 'urn:oasis:names:tc:SAML:2.0:status:Requester', subStatus: null, message: 'User is not assigned to this application' });
});

test('a signed response without a Destination is refused', async () => {
  await refused(idp.post(idp.responseXml({ ...base, sign: 'response', destination: null })), 'destination');
});

test('an unsigned response without a Destination (only the assertion signed) is accepted', async () => {
  assert.equal((await validateSamlResponse(idp.post(idp.responseXml({ ...base, destination: null })), opts())).nameId, 'ada@example.test');
});

test('a Response InResponseTo other than the signed assertion\'s is refused', async () => {
  const xml = idp.responseXml(base).replace('InResponseTo="_req1">', 'InResponseTo="_other">');
  assert.ok(xml.includes('_other'));
  await refused(idp.post(xml), 'in_response_to');
});

test('an attribute named __proto__ stays an ordinary attribute', async () => {
  const result = await validateSamlResponse(idp.post(idp.responseXml({ ...base, attributes: { ['__proto__']: 'x', role: 'a' } })), opts());
  assert.deepEqual(Object.getOwnPropertyDescriptor(result.attributes, '__proto__')?.value, ['x']);
  assert.equal(Object.getPrototypeOf(result.attributes), Object.prototype);
});

test('a connection with no usable certificate refuses instead of throwing', async () => {
  await refused(idp.post(idp.responseXml(base)), 'bad_signature', opts({ idp: { entityId: idp.entityId, certificates: ['not a certificate'], signed: 'either', allowSha1: false } }));
});

test('an assertion without NameID is refused as subject', async () => {
  const xml = idp.responseXml({ ...base, sign: 'none' }).replace(/<saml:NameID[^>]*>[^<]*<\/saml:NameID>/, '');
  await refused(idp.post(idp.sign(xml, "/*/*[local-name(.)='Assertion']")), 'subject');
});

test('a bearer confirmation without NotOnOrAfter is refused as subject', async () => {
  const xml = idp.responseXml({ ...base, sign: 'none' }).replace(/(<saml:SubjectConfirmationData) NotOnOrAfter="[^"]*"/, '$1');
  await refused(idp.post(idp.sign(xml, "/*/*[local-name(.)='Assertion']")), 'subject');
});

test('a signature with an XPath transform is refused as algorithm', async () => {
  const xml = idp.responseXml(base).replace('<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>', '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/>');
  await refused(idp.post(xml), 'algorithm');
});

test('a time without a zone is refused instead of being read in the server\'s zone', async () => {
  const xml = idp.responseXml({ ...base, sign: 'none' }).replace(/(<saml:Conditions NotBefore="[^"]*)Z"/, '$1"');
  await refused(idp.post(idp.sign(xml, "/*/*[local-name(.)='Assertion']")), 'not_a_response');
});

test('a valid response cut short anywhere, or re-signed with any one assertion element removed, gives a SamlRejected or a result, never another error', async () => {
  const { DOMParser, XMLSerializer } = await import('@xmldom/xmldom');
  const full = idp.responseXml({ ...base, attributes: { email: 'ada@example.test' } });
  const outcomes = new Map<string, number>();
  const check = async (xml: string) => {
    const outcome = await validateSamlResponse(idp.post(xml), opts()).then(() => 'accepted', (e: unknown) => {
      assert.ok(e instanceof SamlRejected, `not a SamlRejected: ${String(e)}`);
      return e.reason;
    });
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  };
  for (let cut = 0; cut < full.length; cut += 97) await check(full.slice(0, cut));
  const unsigned = idp.responseXml({ ...base, sign: 'none', attributes: { email: 'ada@example.test' } });
  const count = new DOMParser().parseFromString(unsigned, 'text/xml').getElementsByTagName('*').length;
  for (let i = 0; i < count; i++) {
    const doc = new DOMParser().parseFromString(unsigned, 'text/xml');
    const el = doc.getElementsByTagName('*')[i];
    if (el.localName === 'Response' || el.localName === 'Assertion' || el === doc.documentElement) continue;
    el.parentNode!.removeChild(el);
    const xml = new XMLSerializer().serializeToString(doc);
    let signed: string;
    try {
      signed = idp.sign(xml, "/*/*[local-name(.)='Assertion']");
    } catch {
      signed = xml; // the Issuer the signature goes after was the element removed
    }
    await check(signed);
  }
  assert.ok((outcomes.get('not_xml') ?? 0) > 0 && (outcomes.get('subject') ?? 0) > 0, JSON.stringify([...outcomes]));
});

const signAssertion = (xml: string) => idp.post(idp.sign(xml, "/*/*[local-name(.)='Assertion']"));
const unsignedXml = () => idp.responseXml({ ...base, sign: 'none' });

test('a FriendlyName never adds values to an attribute Name; it is a key only when no Name uses it', async () => {
  const xml = idp.responseXml({ ...base, attributes: { email: 'real@example.test', 'urn:custom:nick': 'chosen@evil.test', 'urn:oid:2.5.4.42': 'Ada' }, friendlyNames: { 'urn:custom:nick': 'email', 'urn:oid:2.5.4.42': 'givenName' } });
  const { attributes } = await validateSamlResponse(idp.post(xml), opts());
  assert.deepEqual(attributes.email, ['real@example.test']);
  assert.deepEqual(attributes['urn:custom:nick'], ['chosen@evil.test']);
  assert.deepEqual(attributes.givenName, ['Ada']);
});

test('a FriendlyName that two attributes carry is not a key', async () => {
  const xml = idp.responseXml({ ...base, attributes: { 'urn:a': 'one', 'urn:b': 'two' }, friendlyNames: { 'urn:a': 'label', 'urn:b': 'label' } });
  const { attributes } = await validateSamlResponse(idp.post(xml), opts());
  assert.equal(Object.hasOwn(attributes, 'label'), false);
});

test('an Attribute without a Name is refused as not_a_response, not as a bad signature', async () => {
  await refused(signAssertion(unsignedXml().replace('</saml:AuthnStatement>', '</saml:AuthnStatement><saml:AttributeStatement><saml:Attribute><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>')), 'not_a_response');
});

test('a holder-of-key confirmation without NotOnOrAfter after the bearer one is accepted; before it, refused as not_a_response', async () => {
  const unsigned = unsignedXml();
  const bearer = /<saml:SubjectConfirmation [\s\S]*?<\/saml:SubjectConfirmation>/.exec(unsigned)![0];
  const hok = '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"><saml:SubjectConfirmationData Address="192.0.2.1"/></saml:SubjectConfirmation>';
  assert.equal((await validateSamlResponse(signAssertion(unsigned.replace(bearer, bearer + hok)), opts())).nameId, 'ada@example.test');
  // node-saml 5.1 parses the first confirmation's NotOnOrAfter and throws when it has none.
  await refused(signAssertion(unsigned.replace(bearer, hok + bearer)), 'not_a_response');
});

test('Conditions with NotBefore only is refused as not_a_response (node-saml cannot process it), not as subject', async () => {
  await refused(signAssertion(unsignedXml().replace(/(<saml:Conditions NotBefore="[^"]*") NotOnOrAfter="[^"]*"/, '$1')), 'not_a_response');
});

test('a duplicate ID in xml:id or in a prefixed ID attribute is refused as signature_wrapping', async () => {
  const xml = idp.responseXml(base);
  const id = /<saml:Assertion [^>]*ID="([^"]+)"/.exec(xml)![1];
  const inject = (attr: string) => xml.replace('<samlp:Status>', `<samlp:Extensions><e xmlns:x="urn:x" ${attr}="${id}"/></samlp:Extensions><samlp:Status>`);
  await refused(idp.post(inject('xml:id')), 'signature_wrapping');
  await refused(idp.post(inject('x:ID')), 'signature_wrapping');
});

test('an impossible date or hour is refused, not rolled over', async () => {
  const withEnd = (end: string) => signAssertion(unsignedXml().replace(/(<saml:SubjectConfirmationData [^>]*NotOnOrAfter=")[^"]*"/, `$1${end}"`));
  await refused(withEnd('2026-02-30T00:00:00Z'), 'not_a_response');
  await refused(withEnd('2026-03-01T24:00:00Z'), 'not_a_response');
  await refused(withEnd('2026-03-01T12:03:00+15:00'), 'not_a_response');
  assert.equal((await validateSamlResponse(withEnd('2026-03-01T12:03:00.5Z'), opts())).expiresAt, '2026-03-01T12:03:00.500Z');
});

test('a SAMLResponse that is not a string (a repeated form field) is refused, not a TypeError', async () => {
  await refused(['a', 'b'] as unknown as string, 'not_base64');
  await refused(undefined as unknown as string, 'not_base64');
});
