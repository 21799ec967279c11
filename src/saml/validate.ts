// Validating a SAML response posted to the ACS (SAML 2.0 core §3.2.2, profiles §4.1.4.3).
//
// node-saml 5.1 verifies the XML signatures (and decrypts): it finds the enveloped signature of the
// Response and/or the Assertion, checks that its single Reference points at its parent, verifies it
// with the trusted certificates, and hands back the bytes it verified. Everything else is done here,
// because node-saml either does not do it or does it with its own clock:
//   before it: size, base64, safe parse (no DOCTYPE), nesting depth, root element, IdP status,
//     comments, duplicate IDs, nested Responses, exactly one assertion in the whole document, every
//     Signature's place, references and algorithms, Destination, the Response's Issuer, and which
//     signatures the connection requires;
//   after it, on the assertion node-saml verified (never on the raw document): Issuer, time window
//     with our `now` and skew, audience, bearer SubjectConfirmation (Recipient, NotOnOrAfter), NameID,
//     and every value returned.
// node-saml's own time checks read the wall clock, so they are switched off (acceptedClockSkewMs -1)
// and done here with the injected `now`; its audience check is off (audience: false) and done here,
// so that every failure after a good signature carries its own reason.
import { X509Certificate } from 'node:crypto';
import { SAML, ValidateInResponseTo, type CacheProvider } from '@node-saml/node-saml';
import { decryptXml, getVerifiedXml } from '@node-saml/node-saml/lib/xml.js';
import { XMLSerializer } from '@xmldom/xmldom';
import { parseXml, RESPONSE_LIMITS, XmlRefused } from './xml.ts';
import { SamlRejected, type SamlRejectReason } from './errors.ts';
import { algorithmAllowed, type AlgorithmRole } from './algorithms.ts';
import { NS, children, descendants, is, isElement, textOf, walk } from './dom.ts';

export interface SpIdentity { entityId: string; acsUrl: string; privateKey?: string; certificate?: string }  // PEM
export interface TrustedIdp {
  entityId: string;
  /** Signing certificates, base64 DER or PEM; during a rollover both are listed and either verifies. */
  certificates: string[];
  /** Which signature the connection requires; every signature present must verify whatever this says. */
  signed: 'assertion' | 'response' | 'either' | 'both';
  allowSha1: boolean;
}
export interface ValidateOptions { sp: SpIdentity; idp: TrustedIdp; now: Date; clockSkewMs: number; maxBytes: number }
export interface ValidatedResponse {
  assertionId: string;
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  /** By attribute Name; also by FriendlyName when no attribute has it as Name and only one carries it. */
  attributes: Record<string, string[]>;
  sessionIndex: string | null;
  /** From the signed assertion's SubjectConfirmationData; null means unsolicited (IdP-initiated). */
  inResponseTo: string | null;
  /**
   * ISO: the earliest NotOnOrAfter in the assertion, without the clock skew: the assertion is
   * accepted until expiresAt + skew, so the replay record must be kept at least that long.
   */
  expiresAt: string;
}

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

function reject(reason: SamlRejectReason, message: string, detail?: Record<string, unknown>): never {
  throw new SamlRejected(reason, message, detail);
}

export async function validateSamlResponse(samlResponse: string, options: ValidateOptions): Promise<ValidatedResponse> {
  const { sp, idp } = options;
  // The ACS form parser refuses a repeated field, but an array or anything else must not become a
  // TypeError here whoever calls this.
  if (typeof samlResponse !== 'string') reject('not_base64', 'The SAMLResponse field is not a single text value.');
  if (samlResponse.length > options.maxBytes) reject('too_large', `The SAML response is larger than ${options.maxBytes} bytes.`, { bytes: samlResponse.length });
  // IdPs may wrap the base64 at 64 or 76 characters; anything else than base64 is refused.
  const base64 = samlResponse.replace(/[\r\n\t ]/g, '');
  if (!base64 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) reject('not_base64', 'The SAMLResponse field is not base64.');
  const xml = Buffer.from(base64, 'base64').toString('utf8');
  const doc = parse(xml, 'The SAML response');
  const root = doc.documentElement;

  if (!is(root, NS.protocol, 'Response') || root.getAttribute('Version') !== '2.0') {
    reject('not_a_response', 'The document is not a SAML 2.0 Response.', { root: root.localName });
  }
  checkStatus(root);
  checkShape(root);

  const assertions = [...descendants(root, NS.assertion, 'Assertion'), ...descendants(root, NS.assertion, 'EncryptedAssertion')];
  if (assertions.length !== 1) reject('assertion_count', `The response holds ${assertions.length} assertions; exactly one is accepted.`, { count: assertions.length });
  const assertion = assertions[0];
  if (assertion.parentNode !== root) reject('signature_wrapping', 'The assertion is not a direct child of the Response.');
  const encrypted = assertion.localName === 'EncryptedAssertion';

  const signatures = checkSignatures(root, encrypted ? [root] : [root, assertion], idp.allowSha1);
  const responseSigned = signatures.has(root);
  const assertionSigned = !encrypted && signatures.has(assertion);

  // Destination: when present it must be this ACS; a signed Response must carry it (SAML profiles
  // §4.1.4.5), so a response signed for another SP cannot be posted here.
  const destination = root.getAttribute('Destination');
  if (destination !== null && destination !== '' ? destination !== sp.acsUrl : responseSigned) {
    reject('destination', 'The response is addressed to another Destination than this ACS.', { expected: sp.acsUrl, received: destination || null });
  }
  const responseIssuer = children(root, NS.assertion, 'Issuer');
  if (responseIssuer.length > 1 || (responseIssuer.length === 1 && textOf(responseIssuer[0]).trim() !== idp.entityId)) {
    reject('issuer', 'The response was issued by another IdP than this connection trusts.', { expected: idp.entityId, received: responseIssuer.map((i) => textOf(i).trim()) });
  }

  const needResponse = idp.signed === 'response' || idp.signed === 'both';
  const needAssertion = idp.signed === 'assertion' || idp.signed === 'both';
  if (needResponse && !responseSigned) reject('unsigned', 'The connection requires a signed Response and this one is not signed.', { required: idp.signed });
  if (needAssertion && !encrypted && !assertionSigned) reject('unsigned', 'The connection requires a signed assertion and this one is not signed.', { required: idp.signed });
  if (!responseSigned && !assertionSigned && !encrypted) reject('unsigned', 'Neither the response nor the assertion is signed.', { required: idp.signed });

  if (!encrypted) nodeSamlPreconditions(assertion);
  if (encrypted) {
    if (!sp.privateKey) reject('encrypted_unsupported', 'The assertion is encrypted and this service provider has no decryption key configured.');
    checkEncryptionAlgorithms(assertion, responseSigned);
  }

  const certificates = idp.certificates.map(toPem).filter((c): c is string => c !== null);
  if (certificates.length === 0) reject('bad_signature', 'The connection has no usable signing certificate.', { certificates: idp.certificates.length });

  // node-saml: only signature verification and decryption are asked of it. Every signature present
  // must verify (want* follow what is present, the requirement was checked above); an encrypted
  // assertion must be signed inside unless the Response signature covers it.
  const saml = new SAML({
    callbackUrl: sp.acsUrl,
    issuer: sp.entityId,
    audience: false,
    idpCert: certificates,
    wantAuthnResponseSigned: responseSigned,
    wantAssertionsSigned: encrypted ? needAssertion || !responseSigned : assertionSigned,
    acceptedClockSkewMs: -1,
    validateInResponseTo: ValidateInResponseTo.never,
    decryptionPvk: sp.privateKey,
    cacheProvider: noCache,
  });
  let verifiedXml: string | undefined;
  try {
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: base64 });
    verifiedXml = profile?.getAssertionXml?.();
  } catch {
    // Everything node-saml checks here is the signature (or the decryption it needs). Its message is
    // dropped, not passed on in the detail: it differs between bad padding, good padding and a
    // plaintext that parsed, which is a padding oracle for anyone who sees it (the ACS page, an
    // event). One reason and one message for every failure between decryption and verification.
    reject('bad_signature', 'The response signature does not verify with the connection\'s certificates.');
  }
  if (!verifiedXml) reject('bad_signature', 'No signed assertion could be obtained from the response.');

  // From here on only the verified bytes are read.
  const signed = parse(verifiedXml, 'The signed assertion').documentElement;
  if (!is(signed, NS.assertion, 'Assertion')) reject('signature_wrapping', 'The signed content is not an assertion.');
  if (!encrypted && signed.getAttribute('ID') !== assertion.getAttribute('ID')) reject('signature_wrapping', 'The signed assertion is not the assertion in the response.');
  if (encrypted) await checkDecryptedSignature(assertion, sp.privateKey!, idp.allowSha1, needAssertion, certificates);

  const result = readAssertion(signed, options);
  const responseInResponseTo = root.getAttribute('InResponseTo') || null;
  if (responseInResponseTo !== null && responseInResponseTo !== result.inResponseTo) {
    reject('in_response_to', 'The response answers another request than its signed assertion does.', { response: responseInResponseTo, assertion: result.inResponseTo });
  }
  return result;
}

function parse(xml: string, what: string): Document {
  try {
    // The limits are checked by a linear scan before the parser runs (xml.ts).
    return parseXml(xml, RESPONSE_LIMITS);
  } catch (err) {
    if (!(err instanceof XmlRefused)) throw err;
    const reason: SamlRejectReason = err.reason === 'doctype' ? 'doctype' : err.reason === 'too_many_elements' ? 'too_large' : 'not_xml';
    reject(reason, `${what} is not acceptable XML: ${err.message}`);
  }
}

function checkStatus(root: Element): void {
  const status = children(root, NS.protocol, 'Status');
  const code = status.length === 1 ? children(status[0], NS.protocol, 'StatusCode') : [];
  if (code.length !== 1) reject('not_a_response', 'The response has no Status.');
  const value = code[0].getAttribute('Value');
  if (value === SUCCESS) return;
  const sub = children(code[0], NS.protocol, 'StatusCode')[0]?.getAttribute('Value') ?? null;
  const message = children(status[0], NS.protocol, 'StatusMessage')[0];
  reject('idp_error', 'The IdP did not sign the user in.', { status: value, subStatus: sub, message: message ? textOf(message).trim().slice(0, 200) : null });
}

const ID_NAMES = new Set(['ID', 'Id', 'id']);

// Shapes no IdP produces and every wrapping attack needs.
function checkShape(root: Element): void {
  const ids = new Set<string>();
  for (const [node] of walk(root)) {
    // A comment splits a text node: exclusive c14n drops it, so the signature still verifies, and a
    // reader that takes the first text node gets a truncated value (CVE-2017-11427 and its kin).
    // No IdP puts comments in a response, so they are refused rather than trusted to every reader.
    if (node.nodeType === 8) reject('signature_wrapping', 'The response contains an XML comment.');
    if (node.nodeType === 7) reject('signature_wrapping', 'The response contains a processing instruction.');
    if (!isElement(node)) continue;
    if (node !== root && is(node, NS.protocol, 'Response')) reject('signature_wrapping', 'The response contains another Response.');
    // xml-crypto resolves a Reference by any attribute whose local name is ID, Id or id, in any
    // namespace (xml:id, x:ID included): a second element carrying the same value is how a signed
    // element and the one read are made to differ.
    for (let i = 0; i < node.attributes.length; i++) {
      const attribute = node.attributes[i];
      if (!ID_NAMES.has(attribute.localName) || attribute.value === '') continue;
      const id = attribute.value;
      if (ids.has(id)) reject('signature_wrapping', 'Two elements in the response carry the same ID.', { id: id.slice(0, 100) });
      ids.add(id);
    }
  }
}

/**
 * Every ds:Signature in the document must sit directly in one of `allowedParents`, one per parent,
 * with exactly one Reference to its parent's ID and only allowed algorithms. Returns the parents
 * that carry a signature.
 */
function checkSignatures(root: Element, allowedParents: Element[], allowSha1: boolean): Set<Element> {
  const signed = new Set<Element>();
  for (const signature of descendants(root, NS.ds, 'Signature')) {
    const parent = signature.parentNode;
    if (!isElement(parent) || !allowedParents.includes(parent)) reject('signature_wrapping', 'A signature sits where SAML puts none.');
    if (signed.has(parent)) reject('signature_wrapping', 'An element is signed twice.');
    signed.add(parent);
    const signedInfo = children(signature, NS.ds, 'SignedInfo');
    if (signedInfo.length !== 1) reject('signature_wrapping', 'A signature does not have exactly one SignedInfo.');
    const references = descendants(signedInfo[0], NS.ds, 'Reference');
    if (references.length !== 1) reject('signature_wrapping', `A signature has ${references.length} references; SAML signs exactly one element.`, { references: references.length });
    const id = parent.getAttribute('ID');
    if (!id || references[0].getAttribute('URI') !== `#${id}`) reject('signature_wrapping', 'A signature does not reference the element it is in.');
    const algorithms: [AlgorithmRole, Element[]][] = [
      ['canonicalization', children(signedInfo[0], NS.ds, 'CanonicalizationMethod')],
      ['signature', children(signedInfo[0], NS.ds, 'SignatureMethod')],
      ['digest', children(references[0], NS.ds, 'DigestMethod')],
    ];
    for (const [role, elements] of algorithms) {
      if (elements.length !== 1) reject('signature_wrapping', `A signature does not have exactly one ${role} method.`);
      checkAlgorithm(role, elements[0], allowSha1);
    }
    for (const transform of descendants(references[0], NS.ds, 'Transform')) checkAlgorithm('transform', transform, allowSha1);
  }
  return signed;
}

function checkAlgorithm(role: AlgorithmRole, el: Element, allowSha1: boolean): void {
  const uri = el.getAttribute('Algorithm') ?? '';
  if (!algorithmAllowed(role, uri, allowSha1)) {
    const sha1 = /sha1$/.test(uri) && (role === 'signature' || role === 'digest');
    reject('algorithm', sha1 ? `The response uses SHA-1 (${role}), which this connection does not allow.` : `The ${role} algorithm ${uri.slice(0, 100)} is not accepted.`, { role, algorithm: uri.slice(0, 200) });
  }
}

// node-saml reads some times as dates before its (disabled) time checks and throws on a missing one,
// and reads every Attribute's Name; said here with a reason instead of surfacing as a bad signature.
// What it parses, exactly (saml.js 5.1): IssueInstant; NotOnOrAfter of Conditions when Conditions
// has any attribute; NotOnOrAfter of the first SubjectConfirmation whose SubjectConfirmationData has
// any attribute (it stops at that one). So a holder-of-key confirmation after the bearer one is fine,
// and one before it without NotOnOrAfter cannot be processed. Only the shape is read from the
// unverified assertion; no value from it is used.
function nodeSamlPreconditions(assertion: Element): void {
  const parses = (el: Element, name: string) => !Number.isNaN(Date.parse(el.getAttribute(name) ?? ''));
  if (!parses(assertion, 'IssueInstant')) reject('not_a_response', 'The assertion has no valid IssueInstant.');
  const conditions = children(assertion, NS.assertion, 'Conditions');
  if (conditions.length > 1) reject('not_a_response', 'The assertion has more than one Conditions element.');
  if (conditions.length === 1 && conditions[0].attributes.length > 0 && !parses(conditions[0], 'NotOnOrAfter')) {
    reject('not_a_response', 'The assertion\'s Conditions has no valid NotOnOrAfter; the signature library (node-saml) cannot process such an assertion.');
  }
  const subject = children(assertion, NS.assertion, 'Subject')[0];
  const confirmations = subject ? children(subject, NS.assertion, 'SubjectConfirmation') : [];
  for (const confirmation of confirmations) {
    const data = children(confirmation, NS.assertion, 'SubjectConfirmationData')[0];
    if (!data || data.attributes.length === 0) continue;
    if (parses(data, 'NotOnOrAfter')) break;
    if (confirmation.getAttribute('Method') === BEARER) reject('subject', 'The bearer SubjectConfirmationData has no NotOnOrAfter.');
    reject('not_a_response', 'A SubjectConfirmation before the bearer one has no NotOnOrAfter; the signature library (node-saml) cannot process such an assertion.');
  }
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, NS.assertion, 'Attribute')) {
      if (!attribute.getAttribute('Name')) reject('not_a_response', 'An Attribute has no Name.');
    }
  }
}

// xml-encryption (under node-saml) finds the parts it decrypts with by local name only, whatever the
// namespace, taking the first match in the document: an <x:EncryptionMethod> in another namespace
// placed before the real one would choose the algorithm unseen by a namespace-aware check (3DES got
// through that way). So every element with one of these local names must be in its namespace, every
// EncryptionMethod must sit in an EncryptedData or EncryptedKey (one each), and every one is checked.
const ENCRYPTION_NAMES: Record<string, string> = {
  EncryptedData: NS.xenc, EncryptedKey: NS.xenc, EncryptionMethod: NS.xenc, CipherData: NS.xenc, CipherValue: NS.xenc,
  CipherReference: NS.xenc, KeyInfo: NS.ds, RetrievalMethod: NS.ds,
};

// AES-CBC has no integrity of its own: decrypting attacker-chosen ciphertext and reporting how it
// failed is a padding oracle. It is accepted only inside a signed Response, whose signature node-saml
// verifies before it decrypts anything (so altered ciphertext is refused before decryption); GCM is
// accepted either way.
const CBC = new Set(['http://www.w3.org/2001/04/xmlenc#aes128-cbc', 'http://www.w3.org/2001/04/xmlenc#aes256-cbc']);

function checkEncryptionAlgorithms(encryptedAssertion: Element, responseSigned: boolean): void {
  const data = children(encryptedAssertion, NS.xenc, 'EncryptedData');
  if (data.length !== 1) reject('assertion_count', 'The encrypted assertion does not hold exactly one EncryptedData.');
  for (const [node] of walk(encryptedAssertion)) {
    if (!isElement(node) || !Object.hasOwn(ENCRYPTION_NAMES, node.localName)) continue;
    if (node.namespaceURI !== ENCRYPTION_NAMES[node.localName]) {
      reject('algorithm', `The encrypted assertion has a ${node.localName} element in another namespace than XML Encryption's.`, { namespace: (node.namespaceURI ?? '').slice(0, 200) });
    }
    if (node.localName === 'EncryptedData' || node.localName === 'EncryptedKey') {
      if (children(node, NS.xenc, 'EncryptionMethod').length !== 1) reject('algorithm', `An ${node.localName} does not name exactly one EncryptionMethod.`);
    }
    if (node.localName !== 'EncryptionMethod') continue;
    const owner = node.parentNode;
    if (!isElement(owner) || !(is(owner, NS.xenc, 'EncryptedData') || is(owner, NS.xenc, 'EncryptedKey'))) reject('algorithm', 'An EncryptionMethod sits outside an EncryptedData or EncryptedKey.');
    checkAlgorithm(is(owner, NS.xenc, 'EncryptedKey') ? 'key-transport' : 'data-encryption', node, false);
    const uri = node.getAttribute('Algorithm') ?? '';
    if (CBC.has(uri) && !responseSigned) {
      reject('algorithm', 'The assertion is encrypted with AES-CBC in an unsigned Response; AES-CBC is accepted only when the Response is signed (or use AES-GCM).', { role: 'data-encryption', algorithm: uri });
    }
  }
}

// After node-saml has verified and decrypted, the inner signature's structure, algorithms and (when
// node-saml did not, see below) validity are checked on a second decryption of the same bytes
// (node-saml hands back the verified content with the signature taken out). Done only after
// verification, so it gives no decryption oracle.
async function checkDecryptedSignature(encryptedAssertion: Element, privateKey: string, allowSha1: boolean, required: boolean, certificates: string[]): Promise<void> {
  let decrypted: string;
  try {
    decrypted = await decryptXml(new XMLSerializer().serializeToString(encryptedAssertion), privateKey);
  } catch {
    reject('bad_signature', 'The encrypted assertion could not be decrypted again.');
  }
  const inner = parse(decrypted, 'The decrypted assertion').documentElement;
  if (!is(inner, NS.assertion, 'Assertion')) reject('assertion_count', 'The encrypted assertion does not hold an Assertion.');
  checkShape(inner);
  if (descendants(inner, NS.assertion, 'Assertion').length !== 1) reject('assertion_count', 'The encrypted assertion holds more than one Assertion.');
  const signed = checkSignatures(inner, [inner], allowSha1);
  if (required && !signed.has(inner)) reject('unsigned', 'The connection requires a signed assertion and the encrypted one is not signed.');
  // When the Response signature is what node-saml verified, it does not look at a signature inside
  // the encrypted assertion; one that is there must still verify (every signature present must),
  // or an assertion signed by any key would pass inside a genuinely signed Response.
  if (signed.has(inner)) {
    let verified: string | null;
    try {
      verified = getVerifiedXml(decrypted, inner, certificates);
    } catch {
      verified = null;
    }
    if (!verified) reject('bad_signature', 'The response signature does not verify with the connection\'s certificates.');
  }
}

function readAssertion(a: Element, { sp, idp, now, clockSkewMs }: ValidateOptions): ValidatedResponse {
  const nowMs = now.getTime();
  const assertionId = a.getAttribute('ID');
  if (!assertionId) reject('subject', 'The assertion has no ID.');

  const issuer = children(a, NS.assertion, 'Issuer');
  if (issuer.length !== 1 || textOf(issuer[0]).trim() !== idp.entityId) {
    reject('issuer', 'The assertion was issued by another IdP than this connection trusts.', { expected: idp.entityId, received: issuer.map((i) => textOf(i).trim()) });
  }

  const expiries: number[] = [];
  const conditions = children(a, NS.assertion, 'Conditions');
  if (conditions.length !== 1) reject('audience', 'The assertion has no Conditions, so it names no audience.');
  checkWindow(conditions[0], nowMs, clockSkewMs, expiries, false);
  const restrictions = children(conditions[0], NS.assertion, 'AudienceRestriction');
  // Every AudienceRestriction must be met (SAML core §2.5.1.4); at least one is required (profiles §4.1.4.2).
  if (restrictions.length === 0) reject('audience', 'The assertion names no audience.');
  for (const r of restrictions) {
    const audiences = children(r, NS.assertion, 'Audience').map((x) => textOf(x).trim());
    if (!audiences.includes(sp.entityId)) reject('audience', 'The assertion is meant for another service provider.', { expected: sp.entityId, received: audiences.slice(0, 5) });
  }

  const subject = children(a, NS.assertion, 'Subject');
  if (subject.length !== 1) reject('subject', 'The assertion does not have exactly one Subject.');
  const nameIds = children(subject[0], NS.assertion, 'NameID');
  const nameId = nameIds.length === 1 ? textOf(nameIds[0]).trim() : '';
  if (!nameId) reject('subject', 'The assertion\'s Subject has no NameID (encrypted NameIDs are not supported).');

  // Web browser SSO needs a bearer confirmation meant for this ACS and still open (profiles §4.1.4.2).
  const bearers = children(subject[0], NS.assertion, 'SubjectConfirmation').filter((c) => c.getAttribute('Method') === BEARER);
  if (bearers.length === 0) reject('subject', 'The assertion has no bearer SubjectConfirmation.');
  let confirmation: { inResponseTo: string | null; notOnOrAfter: number } | undefined;
  let firstFailure: SamlRejected | undefined;
  for (const bearer of bearers) {
    try {
      const data = children(bearer, NS.assertion, 'SubjectConfirmationData');
      if (data.length !== 1) reject('subject', 'A bearer SubjectConfirmation has no SubjectConfirmationData.');
      const recipient = data[0].getAttribute('Recipient');
      if (recipient !== sp.acsUrl) reject('recipient', 'The assertion is for another Recipient than this ACS.', { expected: sp.acsUrl, received: recipient });
      if (!data[0].getAttribute('NotOnOrAfter')) reject('subject', 'The bearer SubjectConfirmationData has no NotOnOrAfter.');
      const own: number[] = [];
      checkWindow(data[0], nowMs, clockSkewMs, own, false);
      confirmation = { inResponseTo: data[0].getAttribute('InResponseTo') || null, notOnOrAfter: own[0] };
      break;
    } catch (err) {
      if (!(err instanceof SamlRejected)) throw err;
      firstFailure ??= err;
    }
  }
  if (!confirmation) throw firstFailure!;
  expiries.push(confirmation.notOnOrAfter);

  const authn = children(a, NS.assertion, 'AuthnStatement');
  if (authn.length === 0) reject('subject', 'The assertion has no AuthnStatement: it does not say the user signed in.');
  for (const s of authn) checkWindow(s, nowMs, clockSkewMs, [], true);

  // By Name (the same Name in two statements is one attribute). A FriendlyName is a display label
  // the IdP chooses freely, so it never adds values to a key: it is a second key only when no
  // attribute has it as its Name and exactly one attribute Name carries it (urn:custom:nick with
  // FriendlyName "email" must not become, or add to, attributes.email).
  const attributes = new Map<string, string[]>();
  const friendly = new Map<string, Set<string>>();
  for (const statement of children(a, NS.assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) reject('not_a_response', 'An Attribute has no Name.');
      attributes.set(name, [...(attributes.get(name) ?? []), ...children(attribute, NS.assertion, 'AttributeValue').map(textOf)]);
      const label = attribute.getAttribute('FriendlyName');
      if (label && label !== name) friendly.set(label, (friendly.get(label) ?? new Set()).add(name));
    }
  }
  for (const [label, names] of friendly) {
    if (names.size === 1 && !attributes.has(label)) attributes.set(label, attributes.get([...names][0])!);
  }

  const format = nameIds[0].getAttribute('Format');
  return {
    assertionId,
    issuer: idp.entityId,
    nameId,
    nameIdFormat: format || null,
    // fromEntries defines own properties, so an attribute named __proto__ stays data.
    attributes: Object.fromEntries(attributes),
    sessionIndex: authn[0].getAttribute('SessionIndex') || null,
    inResponseTo: confirmation.inResponseTo,
    expiresAt: new Date(Math.min(...expiries)).toISOString(),
  };
}

/** NotBefore / NotOnOrAfter (or SessionNotOnOrAfter) of `el` against now, with the skew both ways. */
function checkWindow(el: Element, nowMs: number, skewMs: number, expiries: number[], session: boolean): void {
  const notBefore = session ? null : el.getAttribute('NotBefore');
  const notOnOrAfter = el.getAttribute(session ? 'SessionNotOnOrAfter' : 'NotOnOrAfter');
  if (notBefore) {
    if (nowMs + skewMs < instant(notBefore)) reject('not_yet_valid', 'The assertion is not valid yet (check the clocks of the IdP and this server).', { notBefore });
  }
  if (notOnOrAfter) {
    const end = instant(notOnOrAfter);
    if (nowMs - skewMs >= end) reject('expired', session ? 'The IdP session of this assertion has ended.' : 'The assertion has expired.', { notOnOrAfter });
    expiries.push(end);
  }
}

// xs:dateTime as SAML uses it (core §1.3.3: UTC, "Z"); a time without a zone would be read in the
// server's local zone by Date.parse, so it is refused. Every field is checked by a round trip, since
// Date rolls 2026-02-30 over to 2 March and T24:00:00 to the next day instead of refusing them.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function instant(value: string): number {
  const m = DATE_TIME.exec(value);
  const [y, mo, d, h, mi, sec] = m ? m.slice(1, 7).map(Number) : [];
  const utc = m ? new Date(Date.UTC(y, mo - 1, d, h, mi, sec)) : null;
  const fieldsHold = !!utc && utc.getUTCFullYear() === y && utc.getUTCMonth() === mo - 1 && utc.getUTCDate() === d
    && utc.getUTCHours() === h && utc.getUTCMinutes() === mi && utc.getUTCSeconds() === sec
    && (m![8] === undefined || (Number(m![9]) <= 14 && Number(m![10]) <= 59));
  const ms = fieldsHold ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) reject('not_a_response', `The assertion has a malformed time: ${value.slice(0, 40)}.`);
  return ms;
}

function toPem(certificate: string): string | null {
  const pem = certificate.includes('-----BEGIN')
    ? certificate
    : `-----BEGIN CERTIFICATE-----\n${certificate.replace(/\s+/g, '')}\n-----END CERTIFICATE-----\n`;
  try {
    return new X509Certificate(pem).toString();
  } catch {
    return null;
  }
}

// node-saml asks its cache only for InResponseTo checks, which are off (lane S checks request ids in
// the database so that any process can). Its default in-memory cache would be per instance anyway.
const noCache: CacheProvider = {
  saveAsync: async () => null,
  getAsync: async () => null,
  removeAsync: async () => null,
};
