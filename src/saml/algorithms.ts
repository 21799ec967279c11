// The XML signature and encryption algorithms Rollcall accepts in a SAML response. The lists hold
// only what the verifier under node-saml (xml-crypto 6) can actually check: RSA with SHA-256/512
// (and RSA-PSS SHA-256), SHA-256/512 digests. SHA-384 and ECDSA are not implemented by xml-crypto
// 6, so they are refused here by name ('algorithm') rather than failing later as a bad signature.
// SHA-1 (signature and digest) is collision-broken (SHAttered, 2017) and accepted only when a
// connection explicitly allows it for an old IdP.
const SIGNATURE = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1',
]);
const SIGNATURE_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';

const DIGEST = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const DIGEST_SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

// Canonicalisation (of SignedInfo) and the transforms a SAML signature uses: the enveloped-signature
// transform and one canonicalisation (SAML core §5.4.3/5.4.4). Anything else (XPath, XSLT,
// base64 transforms) has no place in SAML and is how transform-based attacks start.
const CANONICALIZATION = new Set([
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
]);
const TRANSFORM = new Set([...CANONICALIZATION, 'http://www.w3.org/2000/09/xmldsig#enveloped-signature']);

// Encrypted assertions: AES (GCM preferred; CBC because Entra and older IdPs still use it) with the
// key transported by RSA-OAEP. RSA PKCS#1 v1.5 key transport (Bleichenbacher) and triple-DES are
// refused. These are what xml-encryption (under node-saml) can decrypt.
const DATA_ENCRYPTION = new Set([
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
]);
const KEY_TRANSPORT = new Set(['http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p']);

export type AlgorithmRole = 'signature' | 'digest' | 'canonicalization' | 'transform' | 'data-encryption' | 'key-transport';

export function algorithmAllowed(role: AlgorithmRole, uri: string, allowSha1: boolean): boolean {
  switch (role) {
    case 'signature': return SIGNATURE.has(uri) || (allowSha1 && uri === SIGNATURE_SHA1);
    case 'digest': return DIGEST.has(uri) || (allowSha1 && uri === DIGEST_SHA1);
    case 'canonicalization': return CANONICALIZATION.has(uri);
    case 'transform': return TRANSFORM.has(uri);
    case 'data-encryption': return DATA_ENCRYPTION.has(uri);
    case 'key-transport': return KEY_TRANSPORT.has(uri);
  }
}

export const SIGNING = {
  sha256: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', hash: 'sha256' },
} as const;
