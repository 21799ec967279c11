// @ts-check
// The audit log (GET /admin/v1/audit): every admin action, newest first, with the key that made it,
// filtered by tenant and action, paged by cursor. Filters live in the page's address.
import { api } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { emptyState, field, form, input, pageTitle, pager, table, time } from '../lib/ui.js';

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
  const list = pager({
    label: 'audit entries',
    load: (after) => api('GET', '/audit', { query: { tenant, action, after, limit: 50 } }),
    empty: () => emptyState(tenant || action ? 'No entry matches these filters.' : 'No admin action yet. Creating a tenant, a token or a webhook, or changing settings, is recorded here.'),
    render: (rows) => table({
      caption: 'Audit entries, newest first', rows,
      columns: [
        { label: 'Time', cell: (e) => time(e.at) },
        { label: 'Action', cell: (e) => h('strong', null, e.action) },
        { label: 'By', cell: (e) => (e.keyName ?? e.keyId ?? h('span', { class: 'muted' }, 'the server (CLI or library)')) },
        { label: 'Target', cell: (e) => h('span', null, e.targetType, ' ', h('span', { class: 'mono' }, e.targetId ?? '')) },
        { label: 'Tenant', cell: (e) => (e.tenantId ? h('span', { class: 'mono' }, e.tenantId) : h('span', { class: 'muted' }, 'server-wide')) },
        { label: 'Details', cell: (e) => (e.summary && Object.keys(e.summary).length ? h('code', { class: 'summary' }, JSON.stringify(e.summary)) : '') },
        { label: 'Request', cell: (e) => (e.requestId ? h('span', { class: 'mono muted' }, e.requestId) : '') },
      ],
    }),
  });
  return h('div', null,
    pageTitle('Audit log'),
    h('p', null, 'What was done with admin keys, the CLI and the library, newest first.'),
    filters,
    list);
}
