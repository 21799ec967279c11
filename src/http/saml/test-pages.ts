// The result pages of a test sign-in (docs/sso.md "Test sign-in"): what the IdP sent and what Rollcall
// made of it, for the administrator who started the test from the console or a setup link. Built as
// pages.ts builds its pages: plain HTML, every interpolated value escaped, no script, the same headers.
// "What to change" speaks to the person at the identity provider (Okta's and Entra's own words in
// brackets), because that is where almost every failed test is fixed.
import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../../text/escape-html.ts';
import type { SignInFailure, TestSignInFailed, TestSignInResult } from '../../provisioning/sso/sign-in.ts';
import { htmlPage, secure } from './pages.ts';

const NOTE = '<p class="ref"><small>This was a test: nobody was signed in to the app, no user was created, and no sign-in event was written. Close this tab and go back to the page you started the test from.</small></p>';

/** What to change, by reason: at the IdP mostly; some reasons are fixed in Rollcall instead. */
export function testAdvice(reason: SignInFailure, pinned?: string): string {
  switch (reason) {
    case 'audience': return 'The Audience in the response is not this tenant\'s SP entity id. At the identity provider, set the Audience URI (Okta: "Audience URI (SP Entity ID)"; Entra: "Identifier (Entity ID)") to the entity id shown on the setup page, exactly.';
    case 'recipient': case 'destination': return 'The response was addressed to another URL than this tenant\'s ACS. At the identity provider, set the Single sign-on URL (Okta) or Reply URL (Entra) to the ACS URL shown on the setup page, exactly.';
    case 'issuer': return 'The response comes from another identity provider (its Issuer) than the connection was made from. Upload the metadata of the app you are testing again, or check that you signed in to the right IdP app.';
    case 'bad_signature': return 'The response is signed with a certificate the connection does not have. The identity provider\'s signing certificate changed, or the metadata belongs to another app: upload this app\'s current metadata again.';
    case 'unsigned': return 'A signature the connection requires is missing. Sign the assertion at the identity provider (Okta: "Assertion Signature: Signed"; Entra: "Signing Option: Sign SAML assertion", or sign both), or change which part the connection requires.';
    case 'algorithm': return 'The identity provider signs with an algorithm that is refused (SHA-1). Choose RSA-SHA256 at the identity provider (Okta: "Signature Algorithm"; Entra: "Signing Algorithm").';
    case 'encrypted_unsupported': return 'The assertion is encrypted, but this server has no decryption key. Turn assertion encryption off at the identity provider.';
    case 'expired': case 'not_yet_valid': return 'The response is outside its validity window. Check that the identity provider\'s and this server\'s clocks are right, and try again promptly.';
    case 'idp_error': return 'The identity provider refused to sign you in. Check that you are assigned to the app at the identity provider, then test again.';
    case 'subject': case 'no_identity': return 'The response does not identify the user. Send a NameID (Okta: "Name ID format" and "Application username"; Entra: "Unique User Identifier" claim) with the value this tenant matches users by, or the attribute its SSO settings name.';
    case 'unknown_user': return 'The identity provider signed you in, but no user of this tenant has that identifier. Make the NameID the same value as the user\'s SCIM userName or email (as the tenant matches users), and make sure the user is assigned to the app and provisioned.';
    case 'ambiguous': return 'Several users of this tenant have that identifier. Make the value unique, or ask the vendor to match users by another attribute.';
    case 'deactivated': return 'The user is deactivated here. Assign the app to them again at the identity provider (SCIM reactivates them), then test again.';
    case 'wrong_connection': return `This user is pinned to ${pinned === undefined ? 'another SAML connection' : `the SAML connection "${pinned}"`} (the tenant's SSO settings name the attribute). Test that connection instead, or change the user's attribute at the identity provider.`;
    case 'jit_refused': return 'The user could not be created at sign-in. The message above says which value was refused; change it at the identity provider\'s attribute statements.';
    case 'in_response_to': case 'replay': case 'idp_initiated': return 'Start the test again from the setup page (a test answers only the request it started, once); do not start it from the identity provider\'s dashboard.';
    case 'unknown_connection': return 'The connection was deleted while the test ran. Add it again and test it.';
    default: return 'What arrived is not a SAML response this server can read. Check that the identity provider posts its response (HTTP-POST binding) to the ACS URL shown on the setup page.';
  }
}

function attributesTable(attributes: Record<string, string[]>): string {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return '<p>The response carried no attributes.</p>';
  const rows = names.map((n) => `<tr><th scope="row">${escapeHtml(n)}</th><td>${(attributes[n] ?? []).map((x) => escapeHtml(x)).join('<br>')}</td></tr>`).join('');
  return `<table><caption>Attributes received</caption><thead><tr><th scope="col">Name</th><th scope="col">Values</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const row = (label: string, value: string | null) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${value === null ? '<em>none</em>' : escapeHtml(value)}</td></tr>`;

export function sendTestSucceeded(reply: FastifyReply, r: TestSignInResult, requestId: string): FastifyReply {
  const who = r.user.outcome === 'matched'
    ? `<p>The Rollcall user it signs in: <strong>${escapeHtml(r.user.userName)}</strong>${r.user.displayName ? ` (${escapeHtml(r.user.displayName)})` : ''}, id <code>${escapeHtml(r.user.id)}</code>.</p>`
    : `<p>No user of this tenant has this ${escapeHtml(r.identifier.matchBy)} yet: just-in-time provisioning would create <strong>${escapeHtml(r.user.userName)}</strong>${r.user.emails.length ? ` (${r.user.emails.map(escapeHtml).join(', ')})` : ''} at the first real sign-in. Nothing was created by this test.</p>`;
  const body = '<h1>Test sign-in succeeded</h1>'
    + `<p>The identity provider of the SAML connection <strong>${escapeHtml(r.connection.name)}</strong> signed you in, and the response passed every check a sign-in must pass.</p>`
    + `<table><caption>Subject</caption><tbody>${row('NameID', r.nameId)}${row('NameID format', r.nameIdFormat)}${row('Session index', r.sessionIndex)}`
    + `${row(`Matched by (${r.identifier.attribute ? `attribute ${r.identifier.attribute}` : 'NameID'} as ${r.identifier.matchBy})`, r.identifier.value)}`
    + `${row('Session would expire', r.sessionExpiresAt)}</tbody></table>`
    + who
    + attributesTable(r.attributes)
    + NOTE
    + `<p class="ref"><small>Reference: test succeeded · request ${escapeHtml(requestId)}</small></p>`;
  return secure(reply.code(200)).type('text/html; charset=utf-8').send(htmlPage('Test sign-in succeeded', body));
}

export function sendTestFailed(reply: FastifyReply, f: TestSignInFailed, requestId: string): FastifyReply {
  const found = f.found.nameId !== null
    ? `<h2>What the identity provider sent</h2><table><caption>Subject</caption><tbody>${row('NameID', f.found.nameId)}</tbody></table>${attributesTable(f.found.attributes ?? {})}`
    : '';
  const body = '<h1>Test sign-in failed</h1>'
    + (f.found.connection ? `<p>SAML connection <strong>${escapeHtml(f.found.connection.name)}</strong>.</p>` : '')
    + `<h2>What went wrong</h2><p>${escapeHtml(f.message)}</p>`
    + `<h2>What to change</h2><p>${escapeHtml(testAdvice(f.reason, f.found.pinned))}</p>`
    + found
    + NOTE
    + `<p class="ref"><small>Reference: ${escapeHtml(f.reason)} · request ${escapeHtml(requestId)}</small></p>`;
  return secure(reply.code(200)).type('text/html; charset=utf-8').send(htmlPage('Test sign-in failed', body));
}
