// A real signing SAML IdP for the tests: responses are built as an IdP builds them and signed with
// xml-crypto (exclusive c14n, enveloped signature, RSA-SHA256 by default) using the test keys in
// test/fixtures/saml/ (test-only keys). Encrypted assertions are made with node:crypto as the XML
// Encryption spec describes (AES-256-GCM content key, RSA-OAEP key transport to the SP certificate),
// so the decrypting side (node-saml/xml-encryption) is exercised against an independent encryptor.
import { X509Certificate, createPublicKey, publicEncrypt, randomBytes, createCipheriv, constants, randomUUID, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

const FIXTURES = new URL('../fixtures/saml/', import.meta.url);

export type FixtureKey = 'idp' | 'idp-next' | 'attacker' | 'expired' | 'sp';

/** A key pair from test/fixtures/saml (test-only). */
export function fixtureKeyPair(name: FixtureKey): { privateKey: string; certificate: string } {
  return {
    privateKey: readFileSync(new URL(`${name}-key.pem`, FIXTURES), 'utf8'),
    certificate: readFileSync(new URL(`${name}-cert.pem`, FIXTURES), 'utf8'),
  };
}

/** The base64 DER of a PEM certificate, as metadata and TrustedIdp.certificates carry it. */
export function certificateBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

export const SAML_NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ALGORITHMS = {
  sha256: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
} as const;

export interface ResponseOptions {
  acsUrl: string;
  audience: string;
  nameId: string;
  nameIdFormat?: string;
  /** By Name; a value list for multi-valued attributes. */
  attributes?: Record<string, string | string[]>;
  /** FriendlyName per attribute Name, where the IdP sends one. */
  friendlyNames?: Record<string, string>;
  /** Put on the Response and on the SubjectConfirmationData (omitted for IdP-initiated). */
  inResponseTo?: string;
  /** The Response's Destination: the ACS by default, null to leave it out. */
  destination?: string | null;
  /** The SubjectConfirmationData's Recipient: the ACS by default. */
  recipient?: string;
  /** The Issuer of the Response and the Assertion: the IdP's entity id by default. */
  issuer?: string;
  assertionId?: string;
  responseId?: string;
  sessionIndex?: string;
  /** The IdP's clock (IssueInstant, and the default window around it): the real time by default. */
  now?: Date;
  /** Conditions NotBefore: now - 5 min by default. */
  notBefore?: Date;
  /** Conditions and SubjectConfirmationData NotOnOrAfter: now + 5 min by default. */
  notOnOrAfter?: Date;
  /** A status other than Success makes an error response without an assertion. */
  status?: string;
  statusMessage?: string;
  sign: 'assertion' | 'response' | 'both' | 'none';
  algorithm?: 'sha256' | 'sha1';
  /** Encrypt the (signed) assertion for this SP certificate (PEM). */
  encryptFor?: string;
  /** How to encrypt the assertion: AES-256-GCM by default. */
  encryption?: EncryptionOptions;
}

export interface EncryptionOptions {
  data?: 'aes256-gcm' | 'aes256-cbc' | 'tripledes-cbc';
}

export class TestIdp {
  readonly certificate: string;
  readonly certificatePem: string;

  private constructor(readonly entityId: string, readonly ssoUrl: string, private readonly privateKey: string, certificatePem: string) {
    this.certificatePem = certificatePem;
    this.certificate = certificateBase64(certificatePem);
  }

  static create(o: { entityId?: string; ssoUrl?: string; key?: FixtureKey } = {}): TestIdp {
    const pair = fixtureKeyPair(o.key ?? 'idp');
    return new TestIdp(o.entityId ?? 'https://idp.example.test/metadata', o.ssoUrl ?? 'https://idp.example.test/sso', pair.privateKey, pair.certificate);
  }

  metadataXml(o: { extraCertificates?: string[] } = {}): string {
    const keys = [this.certificate, ...(o.extraCertificates ?? []).map(certificateBase64)]
      .map((c) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
      .join('');
    return '<?xml version="1.0" encoding="UTF-8"?>\n'
      + `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="${SAML_NS.ds}" entityID="${esc(this.entityId)}">`
      + `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${SAML_NS.protocol}">${keys}`
      + `<md:NameIDFormat>${NAMEID_EMAIL}</md:NameIDFormat>`
      + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(this.ssoUrl)}"/>`
      + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(this.ssoUrl)}"/>`
      + '</md:IDPSSODescriptor></md:EntityDescriptor>\n';
  }

  responseXml(o: ResponseOptions): string {
    const now = o.now ?? new Date();
    const algorithm = o.algorithm ?? 'sha256';
    const issuer = o.issuer ?? this.entityId;
    const status = o.status ?? SUCCESS;
    const destination = o.destination === undefined ? o.acsUrl : o.destination;
    let assertion = '';
    if (status === SUCCESS) {
      assertion = this.assertionXml(o, now, issuer);
      if (o.sign === 'assertion' || o.sign === 'both') assertion = sign(assertion, '/*', this.privateKey, this.certificatePem, algorithm);
      if (o.encryptFor) assertion = encryptAssertion(assertion, o.encryptFor, o.encryption);
    }
    let response = `<samlp:Response xmlns:samlp="${SAML_NS.protocol}" xmlns:saml="${SAML_NS.assertion}" ID="${esc(o.responseId ?? newId())}" Version="2.0"`
      + ` IssueInstant="${now.toISOString()}"${destination === null ? '' : ` Destination="${esc(destination)}"`}`
      + `${o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : ''}>`
      + `<saml:Issuer>${esc(issuer)}</saml:Issuer>`
      + `<samlp:Status><samlp:StatusCode Value="${esc(status)}"/>${o.statusMessage ? `<samlp:StatusMessage>${esc(o.statusMessage)}</samlp:StatusMessage>` : ''}</samlp:Status>`
      + assertion
      + '</samlp:Response>';
    if (o.sign === 'response' || o.sign === 'both') response = sign(response, '/*', this.privateKey, this.certificatePem, algorithm);
    return response;
  }

  private assertionXml(o: ResponseOptions, now: Date, issuer: string): string {
    const notBefore = (o.notBefore ?? new Date(now.getTime() - 5 * 60_000)).toISOString();
    const notOnOrAfter = (o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
    const attributes = Object.entries(o.attributes ?? {}).map(([name, value]) => {
      const friendly = o.friendlyNames?.[name];
      const values = (Array.isArray(value) ? value : [value])
        .map((v) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`)
        .join('');
      return `<saml:Attribute Name="${esc(name)}"${friendly ? ` FriendlyName="${esc(friendly)}"` : ''} NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values}</saml:Attribute>`;
    }).join('');
    return `<saml:Assertion xmlns:saml="${SAML_NS.assertion}" ID="${esc(o.assertionId ?? newId())}" Version="2.0" IssueInstant="${now.toISOString()}">`
      + `<saml:Issuer>${esc(issuer)}</saml:Issuer>`
      + `<saml:Subject><saml:NameID Format="${esc(o.nameIdFormat ?? NAMEID_EMAIL)}">${esc(o.nameId)}</saml:NameID>`
      + '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
      + `<saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(o.recipient ?? o.acsUrl)}"${o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : ''}/>`
      + '</saml:SubjectConfirmation></saml:Subject>'
      + `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
      + `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${esc(o.sessionIndex ?? newId())}">`
      + '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'
      + (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '')
      + '</saml:Assertion>';
  }

  /** The SAMLResponse form field for `xml`. */
  post(xml: string): string {
    return Buffer.from(xml, 'utf8').toString('base64');
  }

  /** Signs the element at `xpath` of `xml` with this IdP's key (for tests that build their own XML). */
  sign(xml: string, xpath: string, o: { algorithm?: 'sha256' | 'sha1'; extraReferenceXpath?: string } = {}): string {
    return sign(xml, xpath, this.privateKey, this.certificatePem, o.algorithm ?? 'sha256', o.extraReferenceXpath);
  }

  /** Reads an HTTP-Redirect AuthnRequest URL as the IdP would. */
  static readAuthnRequest(redirectUrl: string): { id: string; acsUrl: string | null; issuer: string; relayState: string | null; signed: boolean; xml: string; destination: string | null; forceAuthn: boolean } {
    const url = new URL(redirectUrl);
    const request = url.searchParams.get('SAMLRequest');
    if (!request) throw new Error('The URL carries no SAMLRequest.');
    const xml = inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
    const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
    const issuer = root.getElementsByTagNameNS(SAML_NS.assertion, 'Issuer')[0];
    return {
      id: root.getAttribute('ID') ?? '',
      acsUrl: root.getAttribute('AssertionConsumerServiceURL'),
      issuer: issuer?.textContent ?? '',
      relayState: url.searchParams.get('RelayState'),
      signed: url.searchParams.has('Signature'),
      xml,
      destination: root.getAttribute('Destination'),
      forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    };
  }

  /**
   * Verifies the HTTP-Redirect signature of an AuthnRequest URL with the SP certificate, over the
   * parameters exactly as they were encoded in the URL (SAML bindings §3.4.4.1).
   */
  static authnRequestSignatureValid(redirectUrl: string, spCertificatePem: string): boolean {
    const query = new URL(redirectUrl).search.slice(1);
    const raw = new Map(query.split('&').map((p) => { const i = p.indexOf('='); return [p.slice(0, i), p.slice(i + 1)] as const; }));
    const signature = raw.get('Signature');
    const sigAlg = raw.get('SigAlg');
    if (!signature || !sigAlg) return false;
    const signedPart = ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => raw.has(k)).map((k) => `${k}=${raw.get(k)}`).join('&');
    const hash = decodeURIComponent(sigAlg) === ALGORITHMS.sha256.signature ? 'sha256' : 'sha1';
    return verify(hash, Buffer.from(signedPart, 'utf8'), new X509Certificate(spCertificatePem).publicKey, Buffer.from(decodeURIComponent(signature), 'base64'));
  }
}

/** Enveloped signature of the element at `xpath`, placed after its Issuer as SAML requires. */
function sign(xml: string, xpath: string, privateKey: string, certificatePem: string, algorithm: 'sha256' | 'sha1', extraReferenceXpath?: string): string {
  const alg = ALGORITHMS[algorithm];
  const sig = new SignedXml({
    privateKey,
    publicCert: certificatePem,
    signatureAlgorithm: alg.signature,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const transforms = ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'] as const;
  sig.addReference({ xpath, transforms, digestAlgorithm: alg.digest });
  if (extraReferenceXpath) sig.addReference({ xpath: extraReferenceXpath, transforms: ['http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: alg.digest });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

const DATA_ALGORITHMS = {
  'aes256-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', cipher: 'aes-256-gcm', key: 32, iv: 12 },
  'aes256-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', cipher: 'aes-256-cbc', key: 32, iv: 16 },
  'tripledes-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc', cipher: 'des-ede3-cbc', key: 24, iv: 8 },
} as const;

/** XML Encryption of a whole Assertion element: AES-256-GCM by default, key by RSA-OAEP (MGF1 SHA-1). */
function encryptAssertion(assertionXml: string, spCertificatePem: string, o: EncryptionOptions = {}): string {
  const alg = DATA_ALGORITHMS[o.data ?? 'aes256-gcm'];
  const key = randomBytes(alg.key);
  const iv = randomBytes(alg.iv);
  let content: Buffer;
  if (alg.cipher === 'aes-256-gcm') {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    content = Buffer.concat([iv, cipher.update(assertionXml, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  } else {
    const cipher = createCipheriv(alg.cipher, key, iv);
    content = Buffer.concat([iv, cipher.update(assertionXml, 'utf8'), cipher.final()]);
  }
  const publicKey = createPublicKey(new X509Certificate(spCertificatePem).publicKey.export({ type: 'spki', format: 'pem' }));
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
  const xenc = 'http://www.w3.org/2001/04/xmlenc#';
  return `<saml:EncryptedAssertion xmlns:saml="${SAML_NS.assertion}">`
    + `<xenc:EncryptedData xmlns:xenc="${xenc}" Type="${xenc}Element">`
    + `<xenc:EncryptionMethod Algorithm="${alg.uri}"/>`
    + `<ds:KeyInfo xmlns:ds="${SAML_NS.ds}"><xenc:EncryptedKey>`
    + `<xenc:EncryptionMethod Algorithm="${xenc}rsa-oaep-mgf1p"/>`
    + `<xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData>`
    + '</xenc:EncryptedKey></ds:KeyInfo>'
    + `<xenc:CipherData><xenc:CipherValue>${content.toString('base64')}</xenc:CipherValue></xenc:CipherData>`
    + '</xenc:EncryptedData></saml:EncryptedAssertion>';
}

function newId(): string {
  return `_${randomUUID().replace(/-/g, '')}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
