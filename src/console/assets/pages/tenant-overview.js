// @ts-check
// A tenant at a glance: its name, slug and SCIM mode; its SCIM health from the request log (the
// day's hours as a larger chart, the last request, counts and error rates, the identity provider
// seen); the last error with what it means; and links to the tenant's other pages.
import { absoluteUrl, api, seg } from '../lib/api.js';
import { hourlyChart, loadHealth, percent, plural } from '../lib/chart.js';
import { docUrl } from '../lib/docs.js';
import { h } from '../lib/dom.js';
import { explainError } from '../lib/scim-errors.js';
import { async, badge, copyField, link, pageTitle, section, time } from '../lib/ui.js';

/** @typedef {import('../lib/chart.js').Health} Health */

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const slug = ctx.params.tenant;
  const base = `/tenants/${seg(slug)}`;
  /** @type {import('./tenants.js').Tenant} */
  const t = await api('GET', base);
  return h('div', null,
    pageTitle(t.name || t.slug),
    h('dl', { class: 'facts' },
      h('dt', null, 'Slug'), h('dd', { class: 'mono' }, t.slug),
      h('dt', null, 'SCIM mode'), h('dd', null, t.scimEnabled
        ? [badge('On', 'ok'), ' The identity provider provisions this tenant; the users and groups it manages are read-only here.']
        : [badge('Off', 'muted'), ' No identity provider provisions this tenant; everything is local. ', link(`${base}/scim`, 'Turn SCIM on')]),
      h('dt', null, 'Created'), h('dd', null, time(t.createdAt))),
    copyField('SCIM base URL', absoluteUrl(`/scim/v2/${t.slug}`), 'The identity provider\'s SCIM connector uses this with a token from SCIM setup.'),
    section('SCIM health', async('health', () => loadHealth(t.slug).then((hl) => healthView(hl, base)))),
    section('Go to',
      h('ul', { class: 'quick-links' },
        h('li', null, link(`${base}/scim`, 'SCIM setup and tokens')),
        h('li', null, link(`${base}/users`, 'Users')),
        h('li', null, link(`${base}/groups`, 'Groups')),
        h('li', null, link(`${base}/requests`, 'Request log')),
        h('li', null, link(`${base}/requests?status=4xx`, 'Failed requests (4xx)')),
        h('li', null, link(`${base}/sso`, 'Single sign-on')))));
}

/** @param {Health} hl @param {string} base */
function healthView(hl, base) {
  const day = hl.last24Hours;
  const hour = hl.lastHour;
  const e = hl.lastError;
  const why = e ? explainError(e) : null;
  return h('div', null,
    hl.recording ? null : h('p', { class: 'warn' }, 'This server does not record SCIM requests (ROLLCALL_REQUEST_LOG=off): health cannot be shown.'),
    hourlyChart(hl.hourly, { size: 'large' }),
    h('p', { class: 'hint' }, 'Requests per hour (blue) and the errors among them (red), over the last 24 hours.'),
    h('dl', { class: 'facts' },
      h('dt', null, 'Last request'), h('dd', null, hl.lastRequestAt ? time(hl.lastRequestAt) : 'None yet: the identity provider has not called the SCIM base URL.'),
      h('dt', null, 'Last hour'), h('dd', null, `${plural(hour.requests, 'request', 'requests')}, ${plural(hour.clientErrors + hour.serverErrors, 'error', 'errors')} (${percent(hour.errorRate)})`),
      h('dt', null, 'Last 24 hours'), h('dd', null, `${plural(day.requests, 'request', 'requests')}, ${plural(day.clientErrors, 'client error', 'client errors')} (4xx), ${plural(day.serverErrors, 'server error', 'server errors')} (5xx): ${percent(day.errorRate)}`),
      h('dt', null, 'Identity provider'), h('dd', null, hl.identityProvider
        ? [hl.identityProvider.name ?? 'Not recognised', ' ', h('span', { class: 'hint mono' }, hl.identityProvider.userAgent ?? ''), ' — last seen ', time(hl.identityProvider.lastSeenAt)]
        : 'None yet: no request has authenticated with a token of this tenant.')),
    e ? h('section', { class: 'last-error', 'aria-label': 'Last error' },
      h('h3', null, 'Last error'),
      h('p', null, time(e.at), ' ', h('span', { class: 'mono' }, `${e.method} ${e.path}`), ' answered ', badge(String(e.status), 'bad'), e.scimType ? [' ', h('code', null, e.scimType)] : null),
      e.detail ? h('p', null, e.detail) : null,
      why ? h('p', null, h('strong', null, `${why.title}. `), why.meaning, ' ', why.reasonText ?? why.fix, ' ', h('a', { href: docUrl('errors.md', why.anchor ?? 'what-each-error-means') }, 'What each SCIM error means')) : null,
      h('p', null, link(`${base}/requests/${e.id}`, 'Show this request'))) : h('p', null, 'No failed request recorded.'));
}
