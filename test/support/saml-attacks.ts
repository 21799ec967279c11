// The attack set: responses an attacker can make from one valid signed response (and from the
// test IdP where the attack needs something the IdP really signed, such as an expired assertion).
// Independent of the validator, so the unit tests (test/saml/validate-attacks.test.ts) and the
// end-to-end tests through HTTP replay the same list; each names the one reason its refusal carries.
//
// XSW1–XSW8 follow the classic signature-wrapping catalogue (Somorovsky et al., "On Breaking SAML:
// Be Whoever You Want to Be", USENIX Security 2012, as SAML Raider implements it): the signed
// element is kept somewhere the verifier finds it while an evil copy sits where a naive reader looks.
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { SamlRejectReason } from '../../src/saml/errors.ts';
import type { TrustedIdp } from '../../src/saml/validate.ts';
import { SAML_NS, type ResponseOptions, type TestIdp } from './saml-idp.ts';

export interface AttackVariant {
  name: string;
  xml: string;
  /** The reason Rollcall gives for this variant (each variant is built so that only one applies). */
  reason: SamlRejectReason;
  /** The reason when the connection requires both signatures, when it is not `reason`. */
  reasonIfBoth?: SamlRejectReason;
  /** The signature the connection requires for this variant, when it is not the base one. */
  signed?: TrustedIdp['signed'];
}

export interface AttackContext {
  /** The IdP the SP trusts, which made `validResponseXml`. */
  idp: TestIdp;
  /** The same entity id with a key the SP does not trust. */
  attacker: TestIdp;
  /** The options `validResponseXml` was made with (its `now` is the validator's now). */
  options: ResponseOptions;
  /** The NameID the attacker wants to be: admin@… by default. */
  evilNameId?: string;
}

export function attackVariants(validResponseXml: string, ctx: AttackContext): AttackVariant[] {
  const { idp, attacker, options } = ctx;
  const evil = ctx.evilNameId ?? 'admin@victim.example.test';
  const now = options.now ?? new Date();
  const responseSigned = idp.responseXml({ ...options, sign: 'response' });
  const assertionSigned = idp.responseXml({ ...options, sign: 'assertion' });
  const other = 'https://other.example.test';
  const variants: AttackVariant[] = [];
  const add = (name: string, xml: string, reason: SamlRejectReason, o: { signed?: TrustedIdp['signed']; reasonIfBoth?: SamlRejectReason } = {}) => variants.push({ name, xml, reason, ...o });

  // XSW1: the signed Response is moved into its own Signature; an evil Response wraps it.
  add('XSW1: signed response copied into the signature of an evil response', edit(responseSigned, (doc) => {
    const response = doc.documentElement;
    const original = withoutSignature(response.cloneNode(true) as Element);
    response.setAttribute('ID', '_evil_response');
    setNameId(response, evil);
    signatureOf(response).appendChild(original);
  }), 'signature_wrapping');

  // XSW2: as XSW1, with the signed Response as a sibling before the (now detached) signature.
  add('XSW2: signed response copied before a detached signature in an evil response', edit(responseSigned, (doc) => {
    const response = doc.documentElement;
    const original = withoutSignature(response.cloneNode(true) as Element);
    response.setAttribute('ID', '_evil_response');
    setNameId(response, evil);
    response.insertBefore(original, signatureOf(response));
  }), 'signature_wrapping');

  // XSW3: an unsigned evil assertion before the signed one.
  add('XSW3: evil assertion inserted before the signed assertion', edit(assertionSigned, (doc) => {
    const assertion = assertionOf(doc);
    const copy = evilCopy(assertion, evil, '_evil_assertion');
    assertion.parentNode!.insertBefore(copy, assertion);
  }), 'assertion_count');

  // XSW4: the signed assertion moved inside an evil one.
  add('XSW4: signed assertion wrapped inside an evil assertion', edit(assertionSigned, (doc) => {
    const assertion = assertionOf(doc);
    const copy = evilCopy(assertion, evil, '_evil_assertion');
    assertion.parentNode!.replaceChild(copy, assertion);
    copy.appendChild(assertion);
  }), 'assertion_count');

  // XSW5: the signed assertion's content changed (signature kept); an unmodified copy with the same
  // ID appended, for a verifier that looks the reference up elsewhere.
  add('XSW5: modified signed assertion plus an unsigned original copy at the end', edit(assertionSigned, (doc) => {
    const assertion = assertionOf(doc);
    const original = withoutSignature(assertion.cloneNode(true) as Element);
    setNameId(assertion, evil);
    doc.documentElement.appendChild(original);
  }), 'signature_wrapping');

  // XSW6: as XSW5, with the original copy inside the evil assertion's signature.
  add('XSW6: modified signed assertion with the original copy inside its signature', edit(assertionSigned, (doc) => {
    const assertion = assertionOf(doc);
    const original = withoutSignature(assertion.cloneNode(true) as Element);
    setNameId(assertion, evil);
    signatureOf(assertion).appendChild(original);
  }), 'signature_wrapping');

  // XSW7: an evil assertion in samlp:Extensions (schema-valid place for foreign content).
  add('XSW7: evil assertion in an Extensions element before the signed assertion', edit(assertionSigned, (doc) => {
    const assertion = assertionOf(doc);
    const extensions = doc.createElementNS(SAML_NS.protocol, 'samlp:Extensions');
    extensions.appendChild(evilCopy(assertion, evil, assertion.getAttribute('ID')!));
    doc.documentElement.insertBefore(extensions, assertion);
  }), 'signature_wrapping');

  // XSW8: as XSW6, with the original copy in a ds:Object of the signature.
  add('XSW8: modified signed assertion with the original copy in a ds:Object of its signature', edit(assertionSigned, (doc) => {
    const assertion = assertionOf(doc);
    const original = withoutSignature(assertion.cloneNode(true) as Element);
    setNameId(assertion, evil);
    const object = doc.createElementNS(SAML_NS.ds, 'ds:Object');
    object.appendChild(original);
    signatureOf(assertion).appendChild(object);
  }), 'signature_wrapping');

  // The IdP signed "victim@example.test.evil.test" (the attacker's own account); a comment after
  // "victim@example.test" keeps the signature valid (c14n drops comments) and fools a reader that
  // stops at the first text node. Refused, never read truncated.
  const longName = `${options.nameId}.evil.test`;
  add('comment inside the NameID', edit(idp.responseXml({ ...options, nameId: longName, sign: 'assertion' }), (doc) => {
    const nameId = doc.getElementsByTagNameNS(SAML_NS.assertion, 'NameID')[0];
    nameId.textContent = '';
    nameId.appendChild(doc.createTextNode(options.nameId));
    nameId.appendChild(doc.createComment(''));
    nameId.appendChild(doc.createTextNode('.evil.test'));
  }), 'signature_wrapping');

  add('comment inside the DigestValue', edit(validResponseXml, (doc) => {
    const digest = doc.getElementsByTagNameNS(SAML_NS.ds, 'DigestValue')[0];
    const value = digest.textContent ?? '';
    digest.textContent = '';
    digest.appendChild(doc.createTextNode(value.slice(0, 10)));
    digest.appendChild(doc.createComment('x'));
    digest.appendChild(doc.createTextNode(value.slice(10)));
  }), 'signature_wrapping');

  // Two assertions, each really signed by the IdP (the second for another user).
  const second = assertionOf(parse(idp.responseXml({ ...options, nameId: evil, sign: 'assertion' })));
  add('two signed assertions', edit(assertionSigned, (doc) => {
    doc.documentElement.appendChild(doc.importNode(second, true));
  }), 'assertion_count');

  add('unsigned assertion in a signed response (connection requires signed assertions)', responseSigned, 'unsigned', { signed: 'assertion' });

  add('response and assertion signed by another key', attacker.responseXml({ ...options, sign: 'both' }), 'bad_signature');

  add('a second Reference in SignedInfo', idp.sign(idp.responseXml({ ...options, sign: 'none' }), "/*/*[local-name(.)='Assertion']", {
    extraReferenceXpath: "/*/*[local-name(.)='Assertion']/*[local-name(.)='Subject']",
  }), 'signature_wrapping');

  add('signature removed', edit(validResponseXml, (doc) => {
    for (const s of Array.from(doc.getElementsByTagNameNS(SAML_NS.ds, 'Signature'))) s.parentNode!.removeChild(s);
  }), 'unsigned');

  add('attribute modified after signing', edit(idp.responseXml({ ...options, attributes: { ...options.attributes, role: 'member' }, sign: 'assertion' }), (doc) => {
    const values = Array.from(doc.getElementsByTagNameNS(SAML_NS.assertion, 'AttributeValue'));
    values.find((v) => v.textContent === 'member')!.textContent = 'admin';
  }), 'bad_signature');

  const signAs = options.sign === 'none' ? 'both' : options.sign;
  const hour = 3_600_000;
  add('expired assertion', idp.responseXml({ ...options, sign: signAs, now: new Date(now.getTime() - hour) }), 'expired');
  add('assertion not yet valid', idp.responseXml({ ...options, sign: signAs, now: new Date(now.getTime() + hour) }), 'not_yet_valid');
  add('wrong audience', idp.responseXml({ ...options, sign: signAs, audience: `${other}/metadata` }), 'audience');
  add('wrong recipient', idp.responseXml({ ...options, sign: signAs, recipient: `${other}/acs` }), 'recipient');
  add('wrong destination', idp.responseXml({ ...options, sign: signAs, destination: `${other}/acs` }), 'destination');
  add('wrong issuer', idp.responseXml({ ...options, sign: signAs, issuer: `${other}/idp` }), 'issuer');
  add('SHA-1 when the connection does not allow it', idp.responseXml({ ...options, sign: signAs, algorithm: 'sha1' }), 'algorithm');

  // Made by the IdP's key from an unsigned response edited first, so that only the named check fails.
  const unsigned = idp.responseXml({ ...options, sign: 'none' });
  const signAssertion = (xml: string) => idp.sign(xml, "/*/*[local-name(.)='Assertion']");
  add('wrong issuer in the assertion, none in the response', signAssertion(unsigned
    .replace(/(<samlp:Response[^>]*>)<saml:Issuer>[^<]*<\/saml:Issuer>/, '$1')
    .replace(/(<saml:Assertion[^>]*>)<saml:Issuer>[^<]*</, `$1<saml:Issuer>${other}/idp<`)), 'issuer');
  add('a second AudienceRestriction naming another SP', signAssertion(unsigned.replace('</saml:AudienceRestriction>',
    `</saml:AudienceRestriction><saml:AudienceRestriction><saml:Audience>${other}/metadata</saml:Audience></saml:AudienceRestriction>`)), 'audience');
  const bearer = /<saml:SubjectConfirmation [\s\S]*?<\/saml:SubjectConfirmation>/.exec(unsigned)![0];
  const elsewhere = bearer.replace(/Recipient="[^"]*"/, `Recipient="${other}/acs"`);
  add('two bearer SubjectConfirmations, both for another ACS', signAssertion(unsigned.replace(bearer, elsewhere + elsewhere)), 'recipient');

  add('billion laughs (entity expansion)', '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    + '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
    + `<samlp:Response xmlns:samlp="${SAML_NS.protocol}" ID="_x" Version="2.0"><samlp:Status><samlp:StatusCode Value="&lol4;"/></samlp:Status></samlp:Response>`, 'doctype');
  add('external entity (XXE)', '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + `<samlp:Response xmlns:samlp="${SAML_NS.protocol}" ID="_x" Version="2.0"><samlp:Status><samlp:StatusMessage>&xxe;</samlp:StatusMessage></samlp:Status></samlp:Response>`, 'doctype');

  return variants;
}

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

function edit(xml: string, change: (doc: Document) => void): string {
  const doc = parse(xml);
  change(doc);
  return new XMLSerializer().serializeToString(doc);
}

function assertionOf(doc: Document): Element {
  return doc.getElementsByTagNameNS(SAML_NS.assertion, 'Assertion')[0];
}

/** The ds:Signature that is a direct child of `el`. */
function signatureOf(el: Element): Element {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === SAML_NS.ds && (n as Element).localName === 'Signature') return n as Element;
  }
  throw new Error('The element is not signed.');
}

function withoutSignature(el: Element): Element {
  el.removeChild(signatureOf(el));
  return el;
}

function setNameId(scope: Element, value: string): void {
  scope.getElementsByTagNameNS(SAML_NS.assertion, 'NameID')[0].textContent = value;
}

function evilCopy(assertion: Element, nameId: string, id: string): Element {
  const copy = withoutSignature(assertion.cloneNode(true) as Element);
  copy.setAttribute('ID', id);
  setNameId(copy, nameId);
  return copy;
}
