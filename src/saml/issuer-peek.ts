// Which identity provider a SAML response claims to come from, read before it is validated, only to
// choose which of a tenant's connections (and so which certificates) to validate it with. Nothing
// read here is trusted: the validator (validate.ts) then checks the signed Issuer against the chosen
// connection's entity id, so a response that lies here is refused there. The size is checked before
// anything is decoded, and the XML goes through parseXml with the validator's own limits (no DOCTYPE, no
// entities, no more elements than a response may have), so this read costs no more than validation's.
import { parseXml, RESPONSE_LIMITS } from './xml.ts';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const BASE64 = /^[A-Za-z0-9+/=\s]*$/;

/**
 * The Issuer of a SAMLResponse form field (base64): the Response's own Issuer, else the first
 * Assertion's. Undefined when the field is too large, not base64, not XML, or names no issuer: the
 * caller then lets the validator say precisely what is wrong.
 */
export function peekIssuer(samlResponse: string, maxBytes: number): string | undefined {
  if (samlResponse.length === 0 || samlResponse.length > maxBytes || !BASE64.test(samlResponse)) return undefined;
  try {
    const doc = parseXml(Buffer.from(samlResponse, 'base64').toString('utf8'), RESPONSE_LIMITS);
    const root = doc.documentElement;
    if (root?.namespaceURI !== SAMLP || root.localName !== 'Response') return undefined;
    const direct = childText(root, SAML, 'Issuer');
    if (direct !== undefined) return direct;
    for (let n = root.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1 && (n as Element).namespaceURI === SAML && (n as Element).localName === 'Assertion') return childText(n as Element, SAML, 'Issuer');
    }
    return undefined;
  } catch {
    // Any refusal (doctype, malformed) is the validator's to report, with its own reason.
    return undefined;
  }
}

function childText(parent: Element, ns: string, name: string): string | undefined {
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) return (n.textContent ?? '').trim();
  }
  return undefined;
}
