// Why a SAML response was refused. The reason is machine-readable (the ACS page, the
// user.sign_in_failed event and the tests read it); the message is for a human reading the log and
// never carries key material or the whole document.
export type SamlRejectReason =
  | 'too_large'            // the form field is over the size limit, or the XML holds more elements than any response does (both checked before parsing)
  | 'not_base64'
  | 'not_xml'              // empty, malformed (an unclosed comment or CDATA included), or nested deeper than any SAML message is
  | 'doctype'              // a DOCTYPE/entity declaration: entity expansion and XXE are refused unparsed
  | 'not_a_response'       // well-formed XML but not a SAML 2.0 samlp:Response
  | 'idp_error'            // the IdP answered with a status other than Success (detail.status)
  | 'unsigned'             // a signature the connection requires is missing
  | 'bad_signature'        // a signature does not verify with any trusted certificate
  | 'signature_wrapping'   // the document is shaped so that what is signed and what is read could differ
  | 'algorithm'            // a signature, digest, canonicalisation or encryption algorithm not allowed
  | 'assertion_count'      // not exactly one Assertion/EncryptedAssertion in the whole document
  | 'encrypted_unsupported'// an encrypted assertion, but this SP has no decryption key
  | 'issuer'
  | 'audience'
  | 'recipient'
  | 'destination'
  | 'expired'
  | 'not_yet_valid'
  | 'subject'              // no usable NameID or bearer SubjectConfirmation
  | 'in_response_to';      // the Response's InResponseTo differs from the signed assertion's

export class SamlRejected extends Error {
  constructor(readonly reason: SamlRejectReason, message: string, readonly detail?: Record<string, unknown>) {
    super(message);
    this.name = 'SamlRejected';
  }
}
