// @ts-check
// The audit log (GET /admin/v1/audit): every admin action, newest first, with the key that made it,
// filtered by tenant and action, paged by cursor. Filters live in the page's address.
import { api, seg } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { emptyState, field, form, input, link, pageTitle, pager, table, time } from '../lib/ui.js';

/** @typedef {import('../console.js').PageContext} PageContext */

/** @param {PageContext} ctx */
export async function render(ctx) {
  const tenant = ctx.query.get('tenant') || undefined;
  const action = ctx.query.get('action') || undefined;
  const filters = form({
    label: 'Filter the audit log', submit: 'Show entries',
    onSubmit: (values) => {
      const q = new URLSearchParams();
      if (values.tenant?.trim()) q.set('tenant', values.tenant.trim());
      if (values.action?.trim()) q.set('action', values.action.trim());
      const qs = q.toString();
      ctx.navigate(qs ? `/audit?${qs}` : '/audit');
    },
  },
  field('Tenant', input({ name: 'tenant', value: tenant ?? '', placeholder: 'acme' }), 'A tenant\'s slug (or id, which still works once it is deleted); empty for every tenant and the server-wide actions.'),
  field('Action', input({ name: 'action', value: action ?? '', placeholder: 'token.create' }), 'One action exactly, e.g. tenant.create, token.revoke, settings.replace, webhook.create.'));
  // Entries name tenants by id (it outlives the slug); the API adds the slug while the tenant exists.
  /** @param {{ tenantId: string, tenantSlug?: string | null }} e */
  const tenantCell = (e) => (e.tenantSlug
    ? link(`/tenants/${seg(e.tenantSlug)}`, e.tenantSlug)
    : h('span', { class: 'mono', title: 'a tenant that no longer exists' }, e.tenantId));
  const list = pager({
    label: 'audit entries',
    load: (after) => api('GET', '/audit', { query: { tenant, action, after, limit: 50 } }),
    empty: () => emptyState(tenant || action ? 'No entry matches these filters.' : 'No admin action yet. Creating a tenant, a token or a webhook, or changing settings, is recorded here.'),
    render: (rows) => table({
      caption: 'Audit entries, newest first', rows,
      columns: [
        { label: 'Time', cell: (e) => h('span', null, time(e.at), e.requestId ? h('div', { class: 'muted mono', title: 'request id' }, e.requestId) : null) },
        { label: 'Action', cell: (e) => h('strong', null, e.action) },
        { label: 'By', cell: (e) => (e.keyName ?? e.keyId ?? h('span', { class: 'muted' }, 'the server (CLI or library)')) },
        { label: 'Target', cell: (e) => h('span', null, e.targetType, ' ', h('span', { class: 'mono' }, e.targetId ?? '')) },
        { label: 'Tenant', cell: (e) => (e.tenantId ? tenantCell(e) : h('span', { class: 'muted' }, 'server-wide')) },
        { label: 'Details', cell: (e) => summaryText(e.summary) },
      ],
    }),
  });
  return h('div', null,
    pageTitle('Audit log'),
    h('p', null, 'What was done with admin keys, the CLI and the library, newest first.'),
    filters,
    list);
}

/**
 * What the server recorded with an entry, one "key: value" line each (values as JSON), as text.
 * @param {unknown} summary
 */
function summaryText(summary) {
  if (!summary || typeof summary !== 'object' || Object.keys(summary).length === 0) return '';
  const lines = Object.entries(summary).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return h('code', { class: 'summary' }, lines.join('\n'));
}
