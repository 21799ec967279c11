// @ts-check
// One SCIM request from the log: when, what, the answer's status, scimType and detail, what the
// error means and what to do (lib/scim-errors.js, linking to docs/errors.md), and the request and
// response bodies as recorded (redacted, perhaps cut), pretty-printed.
import { api, seg } from '../lib/api.js';
import { docUrl } from '../lib/docs.js';
import { h } from '../lib/dom.js';
import { explainError } from '../lib/scim-errors.js';
import { link, pageTitle, section, time } from '../lib/ui.js';
import { statusBadge } from './requests.js';

/**
 * @typedef {{ text: string, size: number, truncated: boolean } | null} Body
 * @typedef {import('./requests.js').RequestSummary & { requestBody: Body, responseBody: Body }} RequestEntry
 */

/** A recorded body: pretty-printed when it is whole JSON, as recorded otherwise. @param {string} label @param {Body} b */
function bodyView(label, b) {
  if (!b) return section(label, h('p', { class: 'muted' }, 'No body.'));
  let shown = b.text;
  if (!b.truncated) {
    try { shown = JSON.stringify(JSON.parse(b.text), null, 2); } catch { /* not JSON: shown as recorded */ }
  }
  return section(label,
    b.truncated ? h('p', { class: 'hint' }, `Cut at ${b.text.length.toLocaleString()} of ${b.size.toLocaleString()} characters (the server's request log body limit).`) : null,
    h('pre', { tabindex: 0, 'aria-label': label }, shown));
}

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const base = `/tenants/${seg(ctx.params.tenant)}`;
  /** @type {RequestEntry} */
  const r = await api('GET', `${base}/requests/${seg(ctx.params.id)}`);
  const why = explainError(r);
  const about = r.resourceId && r.resourceType ? `${base}/${r.resourceType === 'Group' ? 'groups' : 'users'}/${seg(r.resourceId)}` : null;
  return h('div', null,
    pageTitle(`${r.method} request answered ${r.status}`),
    h('p', null, link(`${base}/requests`, '← The request log')),
    h('dl', { class: 'facts' },
      h('dt', null, 'Request'), h('dd', { class: 'mono' }, `${r.method} ${r.path}`),
      h('dt', null, 'Status'), h('dd', null, statusBadge(r.status)),
      r.filter ? [h('dt', null, 'Filter'), h('dd', { class: 'mono' }, r.filter)] : null,
      h('dt', null, 'Answered'), h('dd', null, time(r.at), ` in ${r.latencyMs < 10 ? r.latencyMs.toFixed(1) : Math.round(r.latencyMs)} ms`),
      h('dt', null, 'Request id'), h('dd', { class: 'mono' }, r.requestId),
      h('dt', null, 'Client'), h('dd', null, r.identityProvider ?? 'Not recognised', r.userAgent ? [' ', h('span', { class: 'hint mono' }, r.userAgent)] : null),
      h('dt', null, 'Token'), h('dd', null, r.tokenId ? h('span', { class: 'mono' }, r.tokenId) : 'None accepted (authentication failed)'),
      about ? [h('dt', null, r.resourceType === 'Group' ? 'Group' : 'User'), h('dd', null, link(/** @type {string} */ (about), r.resourceId ?? ''), ' · ',
        link(`${base}/requests?resourceId=${seg(r.resourceId ?? '')}`, 'its other requests'))] : null),
    why ? h('section', { class: 'error-explained', 'aria-labelledby': 'what-it-means' },
      h('h2', { id: 'what-it-means' }, 'What went wrong'),
      h('dl', { class: 'facts' },
        r.scimType ? [h('dt', null, 'scimType'), h('dd', null, h('code', null, r.scimType))] : null,
        h('dt', null, 'Detail'), h('dd', null, r.detail ?? h('span', { class: 'muted' }, 'None sent')),
        r.reason ? [h('dt', null, 'Reason'), h('dd', null, h('code', null, r.reason))] : null),
      h('p', null, h('strong', null, `${why.title}. `), why.meaning),
      why.reasonText ? h('p', null, why.reasonText) : null,
      h('p', null, h('strong', null, 'What to do: '), why.fix),
      h('p', null, h('a', { href: docUrl('errors.md', why.anchor ?? 'what-each-error-means') }, 'What each SCIM error means (docs/errors.md)'))) : null,
    bodyView('Request body', r.requestBody),
    bodyView('Response body', r.responseBody));
}
