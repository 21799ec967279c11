// Reading an identity provider's SAML metadata (SAML 2.0 Metadata, OASIS saml-metadata-2.0-os):
// what Rollcall needs to trust it: its entity id (the Issuer of its responses), where to send an
// AuthnRequest (SingleSignOnService), and the certificates its signatures are checked with
// (KeyDescriptor). Pure: the document arrives as text, `now` as a Date; errors are typed with a
// reason, and their messages are written for the customer's IT admin who uploaded the file.
import { X509Certificate, createHash } from 'node:crypto';
import { parseXml, XmlRefused } from './xml.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** Entra's federation metadata is about 20 KB and Okta's 5 KB; a megabyte leaves room for aggregates. */
const DEFAULT_METADATA_MAX_BYTES = 1024 * 1024;
const MAX_ENTITY_ID = 1024;
const MAX_URL = 2048;

export type MetadataProblem =
  | 'not_xml' | 'doctype' | 'too_large' | 'several_entities' | 'no_idp_descriptor' | 'no_sso_url'
  | 'post_binding_only' | 'bad_sso_url' | 'no_signing_certificate' | 'expired_certificate' | 'bad_certificate';

/** Metadata Rollcall cannot use; `reason` says why, the message says what to do. */
export class MetadataRefused extends Error {
  constructor(readonly reason: MetadataProblem, message: string) { super(message); }
}

/** A signing certificate as the admin API shows it. */
export interface CertificateInfo {
  /** Base64 DER, whitespace removed (the form stored and given to the signature check). */
  der: string;
  /** SHA-256 of the DER, as colon-separated hex (what IdP consoles show as the "thumbprint"/"fingerprint"). */
  fingerprint: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  expired: boolean;
  pem: string;
}

export interface IdpMetadata {
  entityId: string;
  /** Where AuthnRequests go. */
  ssoUrl: string;
  ssoBinding: 'HTTP-Redirect';
  /** Base64 DER signing certificates that are valid at `now` (or not yet valid: an announced rollover). */
  certificates: string[];
  /** Things the admin should know that did not stop the metadata being used (an expired certificate left out, …). */
  warnings: string[];
  /** WantAuthnRequestsSigned on the IdP's descriptor: the IdP refuses unsigned AuthnRequests. */
  wantAuthnRequestsSigned: boolean;
  /** The NameID formats the IdP says it supports. */
  nameIdFormats: string[];
}

export interface ParseOptions {
  /** Of an aggregate (EntitiesDescriptor) with several identity providers: which one. */
  entityId?: string;
  /** Largest document accepted, in bytes (UTF-8), checked before anything is parsed. */
  maxBytes?: number;
}

const elementChildren = (parent: Element, ns: string, local: string): Element[] => {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) out.push(n as Element);
  }
  return out;
};

const describe = (e: Element): string => `<${e.prefix ? `${e.prefix}:` : ''}${e.localName}>`;

/**
 * Parses an IdP's metadata document. Throws MetadataRefused when it cannot be used. Several
 * identity providers in one aggregate are refused (naming their entity ids) unless `entityId`
 * picks one: trusting whichever came first would be a guess.
 */
export function parseIdpMetadata(xml: string, now: Date, options: ParseOptions = {}): IdpMetadata {
  const maxBytes = options.maxBytes ?? DEFAULT_METADATA_MAX_BYTES;
  if (typeof xml !== 'string') throw new MetadataRefused('not_xml', 'The metadata must be an XML document (text).');
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) {
    throw new MetadataRefused('too_large', `The metadata document is larger than ${maxBytes} bytes, the most accepted. Download the metadata of this one application from the identity provider, not a federation-wide aggregate.`);
  }
  let doc: Document;
  try {
    doc = parseXml(xml.replace(/^\uFEFF/, ''));
  } catch (err) {
    if (!(err instanceof XmlRefused)) throw err;
    if (err.reason === 'doctype') throw new MetadataRefused('doctype', `${err.message} Download the metadata again from the identity provider; SAML metadata never has one.`);
    throw new MetadataRefused('not_xml', `This is not SAML metadata: ${err.message} Paste or upload the XML file the identity provider offers as "SAML metadata" or "Federation metadata XML".`);
  }
  const entity = pickEntity(doc.documentElement, options.entityId);
  const entityId = (entity.getAttribute('entityID') ?? '').trim();
  if (!entityId) throw new MetadataRefused('no_idp_descriptor', 'The EntityDescriptor has no entityID attribute, so the identity provider cannot be recognised in its responses.');
  if (entityId.length > MAX_ENTITY_ID) throw new MetadataRefused('no_idp_descriptor', `The entityID is longer than ${MAX_ENTITY_ID} characters; this is not an identity provider's metadata.`);

  // An EntityDescriptor may describe several roles; only the identity provider's counts. Entra puts
  // RoleDescriptors (WS-Federation) before it, each with its own KeyDescriptors: those are not read.
  const idps = elementChildren(entity, MD, 'IDPSSODescriptor')
    .filter((d) => (d.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL));
  if (!idps.length) {
    throw new MetadataRefused('no_idp_descriptor', `The metadata of ${entityId} has no IDPSSODescriptor supporting SAML 2.0: it does not describe a SAML identity provider (is it a service provider's metadata?). Download the identity provider's metadata for this application.`);
  }
  const idp = idps[0];

  const services = elementChildren(idp, MD, 'SingleSignOnService');
  const redirect = services.find((s) => s.getAttribute('Binding') === HTTP_REDIRECT);
  if (!redirect) {
    if (services.some((s) => s.getAttribute('Binding') === HTTP_POST)) {
      // Rollcall sends AuthnRequests by redirect (the browser follows a Location); an IdP that only
      // takes them as a form post would need an auto-submitting page of ours to start every sign-in.
      throw new MetadataRefused('post_binding_only', `${entityId} accepts sign-in requests only by HTTP-POST; Rollcall sends them by HTTP-Redirect. Enable the HTTP-Redirect binding for single sign-on at the identity provider, or create the connection by hand with its redirect SSO URL.`);
    }
    throw new MetadataRefused('no_sso_url', `The metadata of ${entityId} has no SingleSignOnService with the HTTP-Redirect binding, so Rollcall does not know where to send users to sign in.`);
  }
  const ssoUrl = checkSsoUrl(redirect.getAttribute('Location') ?? '');

  const warnings: string[] = [];
  const certificates: string[] = [];
  const expired: CertificateInfo[] = [];
  for (const kd of elementChildren(idp, MD, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue; // "encryption" keys encrypt to the IdP; they never sign
    for (const text of Array.from(kd.getElementsByTagNameNS(DS, 'X509Certificate'))) {
      const info = describeCertificate(text.textContent ?? '', now);
      if (certificates.includes(info.der) || expired.some((e) => e.der === info.der)) continue;
      if (info.expired) expired.push(info);
      else {
        certificates.push(info.der);
        if (Date.parse(info.notBefore) > now.getTime()) warnings.push(`The certificate ${info.subject} (SHA-256 ${info.fingerprint}) is valid only from ${info.notBefore}; it is kept for the rollover.`);
      }
    }
  }
  if (!certificates.length && expired.length) {
    throw new MetadataRefused('expired_certificate', `Every signing certificate in the metadata of ${entityId} has expired (${expired.map((e) => `${e.subject}, SHA-256 ${e.fingerprint}, expired ${e.notAfter}`).join('; ')}). Renew the SAML signing certificate at the identity provider, then download its metadata again.`);
  }
  if (!certificates.length) {
    throw new MetadataRefused('no_signing_certificate', `The metadata of ${entityId} has no signing certificate (no KeyDescriptor with an X509Certificate for signing), so its sign-ins could not be verified. Download the full metadata from the identity provider, not a summary of it.`);
  }
  for (const e of expired) warnings.push(`The certificate ${e.subject} (SHA-256 ${e.fingerprint}) expired ${e.notAfter} and is left out; the others are used.`);

  const validUntil = entity.getAttribute('validUntil');
  if (validUntil && Date.parse(validUntil) < now.getTime()) warnings.push(`The metadata says it was valid until ${validUntil}; download it again from the identity provider.`);

  return {
    entityId,
    ssoUrl,
    ssoBinding: 'HTTP-Redirect',
    certificates,
    warnings,
    wantAuthnRequestsSigned: idp.getAttribute('WantAuthnRequestsSigned') === 'true',
    nameIdFormats: elementChildren(idp, MD, 'NameIDFormat').map((n) => (n.textContent ?? '').trim()).filter(Boolean),
  };
}

/** The EntityDescriptor to read: the root, or the one identity provider (or the chosen one) of an aggregate. */
function pickEntity(root: Element, wanted: string | undefined): Element {
  if (root.namespaceURI === MD && root.localName === 'EntityDescriptor') {
    if (wanted !== undefined && root.getAttribute('entityID') !== wanted) {
      throw new MetadataRefused('no_idp_descriptor', `The metadata describes ${root.getAttribute('entityID') ?? 'an entity without an entityID'}, not ${wanted}.`);
    }
    return root;
  }
  if (root.namespaceURI !== MD || root.localName !== 'EntitiesDescriptor') {
    throw new MetadataRefused('no_idp_descriptor', `This XML is not SAML metadata: its root element is ${describe(root)}, where an <EntityDescriptor> (namespace ${MD}) was expected.`);
  }
  const all: Element[] = [];
  const walk = (e: Element) => {
    for (const c of elementChildren(e, MD, 'EntityDescriptor')) all.push(c);
    for (const c of elementChildren(e, MD, 'EntitiesDescriptor')) walk(c);
  };
  walk(root);
  const idps = all.filter((e) => elementChildren(e, MD, 'IDPSSODescriptor').length > 0);
  if (wanted !== undefined) {
    const chosen = idps.find((e) => e.getAttribute('entityID') === wanted);
    if (!chosen) throw new MetadataRefused('no_idp_descriptor', `The metadata has no identity provider ${wanted}${idps.length ? `; it has ${listIds(idps)}` : ''}.`);
    return chosen;
  }
  if (idps.length > 1) {
    throw new MetadataRefused('several_entities', `The metadata describes ${idps.length} identity providers (${listIds(idps)}); say which one with "entityId".`);
  }
  if (!idps.length) throw new MetadataRefused('no_idp_descriptor', 'The metadata describes no identity provider (no EntityDescriptor with an IDPSSODescriptor).');
  return idps[0];
}

const listIds = (es: Element[]): string => {
  const ids = es.map((e) => JSON.stringify(e.getAttribute('entityID') ?? ''));
  return ids.length > 10 ? `${ids.slice(0, 10).join(', ')} and ${ids.length - 10} more` : ids.join(', ');
};

/**
 * The SSO URL is where users' browsers are sent: only http(s), never javascript: or data: (a
 * redirect there would run script on Rollcall's origin), and no credentials in it.
 */
export function checkSsoUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try { url = new URL(text); } catch {
    throw new MetadataRefused('bad_sso_url', `The single sign-on URL ${JSON.stringify(text.slice(0, 200))} is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MetadataRefused('bad_sso_url', `The single sign-on URL must be an https:// URL, not ${url.protocol}.`);
  if (url.username || url.password) throw new MetadataRefused('bad_sso_url', 'The single sign-on URL must not contain a user name or password.');
  if (text.length > MAX_URL) throw new MetadataRefused('bad_sso_url', `The single sign-on URL is longer than ${MAX_URL} characters.`);
  return url.href;
}

/**
 * A certificate as base64 DER (PEM armour and whitespace removed), checked to be an X.509
 * certificate, with what an admin recognises it by. Throws MetadataRefused('bad_certificate').
 */
export function describeCertificate(text: string, now: Date): CertificateInfo {
  const given = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const shown = given.length > 40 ? `${given.slice(0, 20)}…${given.slice(-12)}` : given;
  if (!given || !/^[A-Za-z0-9+/]+={0,2}$/.test(given)) throw new MetadataRefused('bad_certificate', `A signing certificate is not base64 text (${JSON.stringify(shown)}). Copy the certificate again from the identity provider.`);
  const raw = Buffer.from(given, 'base64');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(raw);
  } catch {
    throw new MetadataRefused('bad_certificate', `A signing certificate (${JSON.stringify(shown)}) is not an X.509 certificate, or is cut short. Copy the certificate again from the identity provider.`);
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new MetadataRefused('bad_certificate', `A signing certificate (${JSON.stringify(shown)}) has validity dates that cannot be read.`);
  }
  // Stored in canonical base64, so the same certificate pasted twice compares equal.
  const der = raw.toString('base64');
  return {
    der,
    fingerprint: createHash('sha256').update(raw).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:'),
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    expired: notAfter.getTime() < now.getTime(),
    pem: `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`,
  };
}
