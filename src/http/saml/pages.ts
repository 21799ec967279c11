// The HTML pages of the SAML endpoints: what a person sees when a sign-in is refused (in words, with
// the reason and request id their administrator looks up in the sign-in events), the connection
// chooser, and the auto-submitted form of the JWT handoff. Plain HTML with no external resource;
// every interpolated value is escaped; headers forbid framing, referrers, caching and any script
// but the one handoff form's (by nonce). docs/sso.md "Error pages" lists each reason.
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../../text/escape-html.ts';
import type { SignInFailure } from '../../provisioning/sso/sign-in.ts';


const STYLE = 'body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222;line-height:1.5}'
  + 'h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}small,.ref{color:#666}details{margin-top:1.5rem}ul{padding-left:1.2rem}'
  + 'table{border-collapse:collapse;margin:1rem 0;width:100%}caption{text-align:left;font-weight:600}th,td{text-align:left;vertical-align:top;border-bottom:1px solid #ddd;padding:.3rem .5rem;word-break:break-all}';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function secure(reply: FastifyReply, csp = CSP): FastifyReply {
  return reply
    .header('content-security-policy', csp)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff');
}

/** A whole page: the title, the shared style, the body (already escaped by the caller). */
export function htmlPage(title: string, body: string, head = ''): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style>${head}</head><body>${body}</body></html>\n`;
}

/** The words a person reads for each refusal: a title and what to do. `who`: the connection to use. */
function words(reason: SignInFailure | 'not_found' | 'internal', extra: { connection?: string; tenant?: string }): { title: string; text: string } {
  switch (reason) {
    case 'unknown_user': return { title: 'You do not have access to this app yet', text: 'Your account was not found here. Ask your administrator to assign the app to you in your identity provider, then sign in again.' };
    case 'deactivated': return { title: 'Your account is deactivated', text: 'Your account is deactivated; ask your administrator.' };
    case 'wrong_connection': return { title: 'Sign in with another identity provider', text: `Your account must sign in through ${extra.connection ? `the identity provider "${extra.connection}"` : 'another identity provider'}.` };
    case 'ambiguous': case 'no_identity': case 'jit_refused': return { title: 'Your account could not be matched', text: 'Your identity provider signed you in, but your account here could not be found unambiguously. Ask your administrator; the reference below helps them.' };
    case 'replay': return { title: 'This sign-in was already used', text: 'Each sign-in can be used once. Go back to the app and sign in again.' };
    case 'in_response_to': return { title: 'This sign-in has expired', text: 'The sign-in was started too long ago, was already completed, or was started elsewhere. Go back to the app and sign in again.' };
    case 'idp_initiated': return { title: 'Start signing in from the app', text: 'Signing in from your identity provider\'s dashboard is not enabled for this app. Open the app and sign in there.' };
    case 'return_to': return { title: 'This address is not allowed', text: 'The page to return to after signing in is not one this app allows. Go back to the app and sign in again; if it keeps happening, tell your administrator.' };
    case 'unknown_tenant': case 'not_found': return { title: 'Page not found', text: 'There is no single sign-on page at this address. Check the link you followed.' };
    case 'no_connection': case 'unknown_connection': case 'connection_disabled': return { title: 'Single sign-on is not set up', text: 'Single sign-on is not (or no longer) set up for this identity provider. Ask your administrator.' };
    case 'idp_error': return { title: 'Your identity provider did not sign you in', text: 'Your identity provider answered with an error. Try again, or ask your administrator.' };
    case 'expired': case 'not_yet_valid': return { title: 'The sign-in took too long', text: 'The sign-in response is outside its time window (it took too long, or a clock is wrong). Sign in again; if it keeps happening, tell your administrator.' };
    case 'too_large': case 'not_base64': case 'not_xml': case 'doctype': case 'not_a_response': case 'no_response': case 'bad_request':
      return { title: 'The sign-in response could not be read', text: 'What arrived here is not a sign-in response this app can read. Start again from the app; if it keeps happening, tell your administrator.' };
    case 'internal': return { title: 'Something went wrong', text: 'The sign-in could not be completed because of an error on our side. Try again in a moment.' };
    default: return { title: 'The sign-in could not be verified', text: 'The sign-in response did not pass the checks that protect your account. Start again from the app; your administrator can look up the reference below.' };
  }
}

/** A refusal page: the words for the reason, the administrator's detail, the reason and request id. */
export function sendRefusal(reply: FastifyReply, status: number, reason: SignInFailure | 'not_found' | 'internal', o: { requestId: string; detail?: string; connection?: string; tenant?: string }): FastifyReply {
  const w = words(reason, o);
  let action = '';
  if (reason === 'wrong_connection' && o.connection && o.tenant) {
    const href = `./login?connection=${encodeURIComponent(o.connection)}`;
    action = `<p><a href="${escapeHtml(href)}">Sign in with ${escapeHtml(o.connection)}</a></p>`;
  }
  const detail = o.detail ? `<details><summary>Details for your administrator</summary><p>${escapeHtml(o.detail)}</p></details>` : '';
  const body = `<h1>${escapeHtml(w.title)}</h1><p>${escapeHtml(w.text)}</p>${action}${detail}`
    + `<p class="ref"><small>Reference: ${escapeHtml(reason)} · request ${escapeHtml(o.requestId)}</small></p>`;
  return secure(reply.code(status)).type('text/html; charset=utf-8').send(htmlPage(w.title, body));
}

/** Several identity providers: the person picks one (links back to the login with it named). */
export function sendChooser(reply: FastifyReply, connections: { id: string; name: string }[], returnTo: string | undefined): FastifyReply {
  const items = connections.map((c) => {
    const q = new URLSearchParams({ connection: c.name, ...(returnTo !== undefined ? { returnTo } : {}) });
    return `<li><a href="${escapeHtml(`./login?${q.toString()}`)}">${escapeHtml(c.name)}</a></li>`;
  }).join('');
  const body = `<h1>Choose how to sign in</h1><p>Your organisation signs in through more than one identity provider:</p><ul>${items}</ul>`;
  return secure(reply.code(200)).type('text/html; charset=utf-8').send(htmlPage('Choose how to sign in', body));
}

/**
 * The JWT handoff: a form POSTing the fields to the app, submitted by the one script the CSP allows
 * (its nonce), with a button when scripts are off. form-action allows the app's origin only.
 */
export function sendFormPost(reply: FastifyReply, url: string, fields: Record<string, string>): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  const origin = new URL(url).origin;
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
  const body = `<form id="handoff" method="post" action="${escapeHtml(url)}">${inputs}<noscript><p>Signed in. Continue to the app:</p><button type="submit">Continue</button></noscript></form>`
    + `<script nonce="${nonce}">document.getElementById('handoff').submit();</script>`;
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; base-uri 'none'; form-action ${origin}; frame-ancestors 'none'`;
  return secure(reply.code(200), csp).type('text/html; charset=utf-8').send(htmlPage('Signing in…', body));
}

/** A redirect that carries a code or an AuthnRequest: never cached, never in a Referer. */
export function sendRedirect(reply: FastifyReply, url: string): FastifyReply {
  return reply.code(302).header('location', url).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();
}
