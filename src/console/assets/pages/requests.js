// @ts-check
// A tenant's SCIM request log (GET …/requests), newest first, paged, with its filters: status
// class, method, time range, the user or group a request was about, a request id. The filters live
// in the page's address, so a filtered view can be reloaded, bookmarked and linked to (the overview
// links to the failed requests).
import { api, seg } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { badge, button, emptyState, field, input, link, pageTitle, pager, select, table, time } from '../lib/ui.js';

/**
 * @typedef {{ id: number, at: string, method: string, path: string, filter: string | null, status: number, scimType: string | null,
 *   detail: string | null, reason: string | null, latencyMs: number, requestId: string, tokenId: string | null, userAgent: string | null,
 *   identityProvider: string | null, resourceType: 'User' | 'Group' | null, resourceId: string | null }} RequestSummary
 */

const FILTERS = ['status', 'method', 'since', 'until', 'resourceId', 'requestId'];

/** A status as a badge coloured by its class. @param {number} status */
export const statusBadge = (status) => badge(String(status), status >= 500 ? 'bad' : status >= 400 ? 'warn' : status >= 300 ? 'info' : 'ok');

/** An ISO time as a datetime-local input's value, in the reader's time zone. @param {string | null} iso */
function localValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const base = `/tenants/${seg(ctx.params.tenant)}`;
  const path = `${base}/requests`;
  /** @type {Record<string, string>} */
  const q = {};
  for (const k of FILTERS) { const v = ctx.query.get(k); if (v) q[k] = v; }
  const filtered = Object.keys(q).length > 0;

  const status = select('status', [['', 'Any status'], ['2xx', '2xx: succeeded'], ['4xx', '4xx: refused (client errors)'], ['5xx', '5xx: server errors'], ['3xx', '3xx'], ['1xx', '1xx']], q.status ?? '');
  const method = select('method', [['', 'Any method'], ...['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => /** @type {[string, string]} */ ([m, m]))], q.method ?? '');
  const since = input({ name: 'since', type: 'datetime-local', value: localValue(q.since ?? null) });
  const until = input({ name: 'until', type: 'datetime-local', value: localValue(q.until ?? null) });
  const resourceId = input({ name: 'resourceId', value: q.resourceId ?? '', maxLength: 255 });
  const requestId = input({ name: 'requestId', value: q.requestId ?? '', maxLength: 100 });
  const filters = h('form', {
    role: 'search', 'aria-label': 'Filter requests', class: 'filters',
    on: {
      submit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        const p = new URLSearchParams();
        if (status.value) p.set('status', status.value);
        if (method.value) p.set('method', method.value);
        // datetime-local is the reader's local time; the API takes an instant.
        if (since.value) p.set('since', new Date(since.value).toISOString());
        if (until.value) p.set('until', new Date(until.value).toISOString());
        if (resourceId.value.trim()) p.set('resourceId', resourceId.value.trim());
        if (requestId.value.trim()) p.set('requestId', requestId.value.trim());
        const s = p.toString();
        ctx.navigate(s ? `${path}?${s}` : path);
      },
    },
  },
  h('div', { class: 'filter-grid' },
    field('Status', status), field('Method', method),
    field('From', since, 'Answered at or after, your local time'), field('Until', until, 'Answered before'),
    field('User or group id', resourceId), field('Request id', requestId, 'The x-request-id of the answer')),
  h('div', { class: 'form-actions' },
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply filters'),
    filtered ? button('Clear filters', () => ctx.navigate(path)) : null,
    button('Refresh', () => ctx.refresh())));

  return h('div', null,
    pageTitle('Request log'),
    h('p', { class: 'hint' }, 'Every SCIM request of this tenant, newest first, with bodies redacted (passwords and configured attributes never stored). Kept for the configured retention.'),
    filters,
    pager({
      label: 'requests',
      load: (after) => api('GET', path, { query: { ...q, after, limit: 50 } }),
      render: (/** @type {RequestSummary[]} */ rows) => table({
        caption: 'SCIM requests', captionHidden: true, rows,
        columns: [
          { label: 'Time', cell: (r) => link(`${path}/${r.id}`, time(r.at)) },
          { label: 'Request', cell: (r) => h('span', { class: 'mono' }, `${r.method} ${r.path}`) },
          { label: 'Status', cell: (r) => statusBadge(r.status) },
          { label: 'Error', cell: (r) => (r.status >= 400 ? [r.scimType ? h('code', null, r.scimType) : null, r.detail ? h('div', { class: 'hint clip' }, r.detail) : null] : null) },
          {
            label: 'Client',
            cell: (r) => [r.identityProvider ?? h('span', { class: 'muted', title: r.userAgent ?? '' }, 'Not recognised'),
              r.tokenId ? null : h('div', { class: 'hint' }, 'Not authenticated')],
          },
          { label: 'Time taken', cell: (r) => `${r.latencyMs < 10 ? r.latencyMs.toFixed(1) : Math.round(r.latencyMs)} ms`, class: 'num' },
        ],
      }),
      empty: () => (filtered
        ? emptyState('No recorded request matches these filters.', button('Clear filters', () => ctx.navigate(path)))
        : emptyState('No SCIM request recorded yet. Give the identity provider the SCIM base URL and a token, then run its connection test: the requests appear here.',
          link(`${base}/scim`, 'Go to SCIM setup'))),
    }));
}
