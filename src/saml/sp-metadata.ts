// The SP metadata a tenant's IT admin gives the IdP (SAML metadata §2.4.4): entity id, the ACS
// (HTTP-POST only: the Redirect binding cannot carry a signed response of useful size), the NameID
// formats Rollcall can match users by, and, when the SP has a key, the certificate the IdP uses to
// check signed AuthnRequests and to encrypt assertions.
import { escapeXml as escape } from './dom.ts';
import type { SpIdentity } from './validate.ts';

const ENCRYPTION_METHODS = [
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
];

export function spMetadataXml(sp: SpIdentity, o: { wantAssertionsSigned: boolean }): string {
  const cert = sp.certificate ? certificateBody(sp.certificate) : null;
  const keyInfo = cert ? `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` : '';
  const keys = cert
    ? `<md:KeyDescriptor use="signing">${keyInfo}</md:KeyDescriptor>`
      + `<md:KeyDescriptor use="encryption">${keyInfo}${ENCRYPTION_METHODS.map((m) => `<md:EncryptionMethod Algorithm="${m}"/>`).join('')}</md:KeyDescriptor>`
    : '';
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escape(sp.entityId)}">`
    + `<md:SPSSODescriptor AuthnRequestsSigned="${sp.privateKey && cert ? 'true' : 'false'}" WantAssertionsSigned="${o.wantAssertionsSigned ? 'true' : 'false'}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`
    + keys
    + '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>'
    + '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>'
    + `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escape(sp.acsUrl)}" index="0" isDefault="true"/>`
    + '</md:SPSSODescriptor></md:EntityDescriptor>\n';
}

/** The base64 DER of a PEM certificate (or of an already bare base64 one), without line breaks. */
function certificateBody(certificate: string): string {
  return certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
