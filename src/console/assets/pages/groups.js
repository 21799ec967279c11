// @ts-check
// A tenant's groups: searched with a SCIM filter, paged, each marked IdP-managed or local; read-only
// for the IdP-managed ones while SCIM mode is on, saying why.
import { api, seg } from '../lib/api.js';
import { filterForm, managedBadge, readOnlyNote } from '../lib/directory.js';
import { h } from '../lib/dom.js';
import { emptyState, link, pageTitle, pager, table, time } from '../lib/ui.js';

/**
 * @typedef {{ id: string, displayName: string, idpManaged: boolean, createdAt: string, updatedAt: string, version: number, attributes: Record<string, any> }} Group
 */

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const slug = ctx.params.tenant;
  const base = `/tenants/${seg(slug)}`;
  const filter = ctx.query.get('filter') ?? '';
  /** @type {import('./tenants.js').Tenant} */
  const tenant = await api('GET', base);
  return h('div', null,
    pageTitle('Groups'),
    readOnlyNote(tenant.scimEnabled, 'groups', `${base}/scim`),
    filterForm(ctx, { path: `${base}/groups`, what: 'groups', examples: ['displayName sw "Eng"', 'displayName eq "Admins"'] }),
    pager({
      label: 'groups',
      load: (after) => api('GET', `${base}/groups`, { query: { filter, after, limit: 50 } }),
      render: (/** @type {Group[]} */ rows) => table({
        caption: filter ? `Groups matching ${filter}` : 'Groups', captionHidden: true, rows,
        columns: [
          { label: 'Name', cell: (g) => link(`${base}/groups/${seg(g.id)}`, g.displayName) },
          { label: 'Managed by', cell: (g) => managedBadge(g.idpManaged) },
          { label: 'Created', cell: (g) => time(g.createdAt) },
          { label: 'Updated', cell: (g) => time(g.updatedAt) },
        ],
      }),
      empty: () => (filter
        ? emptyState(`No group matches the filter ${filter}.`, link(`${base}/groups`, 'Show every group'))
        : emptyState('No groups yet. Groups appear when the identity provider pushes them (Okta: Push Groups; Entra ID: assign groups to the application and provision them).',
          link(`${base}/requests`, 'Open the request log'))),
    }));
}
