// The SP-initiated AuthnRequest, sent with the HTTP-Redirect binding (SAML bindings §3.4): the
// request is DEFLATEd, base64-encoded and put in the query string with the RelayState; when the SP
// has a key, the query is signed (SigAlg + Signature over the exact encoded parameters, §3.4.4.1).
// Built here rather than with node-saml's getAuthorizeUrlAsync because that one stamps
// IssueInstant from the wall clock and always adds a RequestedAuthnContext of
// PasswordProtectedTransport, which makes Entra refuse users who signed in with MFA or passwordless.
import { randomBytes, sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { SpIdentity } from './validate.ts';
import { SIGNING } from './algorithms.ts';
import { escapeXml as escape } from './dom.ts';

/** A fresh request ID: '_' + 32 hex (an xs:ID must not start with a digit). */
export function newRequestId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

export async function authnRequestUrl(o: { sp: SpIdentity; idpSsoUrl: string; id: string; relayState: string; now: Date; forceAuthn?: boolean }): Promise<string> {
  const xml = authnRequestXml(o);
  const params: [string, string][] = [['SAMLRequest', deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64')]];
  if (o.relayState) params.push(['RelayState', o.relayState]);
  if (o.sp.privateKey) params.push(['SigAlg', SIGNING.sha256.signature]);
  let query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  if (o.sp.privateKey) {
    const signature = sign(SIGNING.sha256.hash, Buffer.from(query, 'utf8'), o.sp.privateKey).toString('base64');
    query += `&Signature=${encodeURIComponent(signature)}`;
  }
  // The IdP's SSO URL may carry its own query (some IdPs put the app id there); a fragment never
  // reaches the server, so it is dropped.
  const url = new URL(o.idpSsoUrl);
  url.hash = '';
  const base = url.toString();
  return `${base}${url.search ? '&' : '?'}${query}`;
}

function authnRequestXml(o: { sp: SpIdentity; idpSsoUrl: string; id: string; now: Date; forceAuthn?: boolean }): string {
  // NameIDPolicy "unspecified" lets the IdP send the format it is configured with (Okta, Entra and
  // Google all refuse or ignore a request for a format they were not set up for).
  return '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"'
    + ` ID="${escape(o.id)}" Version="2.0" IssueInstant="${o.now.toISOString()}" Destination="${escape(o.idpSsoUrl)}"`
    + ` AssertionConsumerServiceURL="${escape(o.sp.acsUrl)}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"`
    + (o.forceAuthn ? ' ForceAuthn="true"' : '')
    + `><saml:Issuer>${escape(o.sp.entityId)}</saml:Issuer>`
    + '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/>'
    + '</samlp:AuthnRequest>';
}
