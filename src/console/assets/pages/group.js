// @ts-check
// One group: its name, who manages it, its attributes, and its members, paged (a group can have
// 100,000 of them). A local group can be deleted by an admin key; an IdP-managed one is read-only
// while SCIM mode is on, saying why.
import { api, seg } from '../lib/api.js';
import { attributesView, managedBadge, rawJson } from '../lib/directory.js';
import { h, replace } from '../lib/dom.js';
import { badge, button, emptyState, errorBox, link, pageTitle, pager, section, table, time } from '../lib/ui.js';

/** @typedef {{ id: string, type: 'User' | 'Group', display?: string }} Member */

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const base = `/tenants/${seg(ctx.params.tenant)}`;
  const path = `${base}/groups/${seg(ctx.params.id)}`;
  /** @type {[import('./tenants.js').Tenant, import('./groups.js').Group]} */
  const [tenant, g] = await Promise.all([api('GET', base), api('GET', path)]);
  return h('div', null,
    pageTitle(g.displayName),
    h('p', null, link(`${base}/groups`, '← All groups')),
    h('dl', { class: 'facts' },
      h('dt', null, 'Id'), h('dd', { class: 'mono' }, g.id),
      h('dt', null, 'Managed by'), h('dd', null, managedBadge(g.idpManaged), ' ', g.idpManaged ? 'Pushed by the identity provider over SCIM.' : 'Local: created in the application or through the admin API, or made local when SCIM was turned off.'),
      h('dt', null, 'Created'), h('dd', null, time(g.createdAt)),
      h('dt', null, 'Updated'), h('dd', null, time(g.updatedAt), ` (version ${g.version})`)),
    controls(ctx, tenant, g, base, path),
    section('Members', pager({
      label: 'members',
      load: (after) => api('GET', `${path}/members`, { query: { after, limit: 50 } }),
      render: (/** @type {Member[]} */ rows) => table({
        caption: `Members of ${g.displayName}`, captionHidden: true, rows,
        columns: [
          { label: 'Member', cell: (m) => link(`${base}/${m.type === 'Group' ? 'groups' : 'users'}/${seg(m.id)}`, m.display || m.id) },
          { label: 'Type', cell: (m) => badge(m.type, 'muted') },
          { label: 'Id', cell: (m) => h('span', { class: 'mono' }, m.id) },
        ],
      }),
      empty: () => emptyState(g.idpManaged ? 'No members. The identity provider sets the members when it pushes the group.' : 'No members.'),
    })),
    section('Attributes', attributesView(g.attributes), rawJson(g.attributes)),
    section('Requests', h('p', null, link(`${base}/requests?resourceId=${seg(g.id)}`, 'Requests about this group in the request log'))));
}

/**
 * @param {import('../console.js').PageContext} ctx
 * @param {import('./tenants.js').Tenant} tenant
 * @param {import('./groups.js').Group} g
 * @param {string} base
 * @param {string} path
 */
function controls(ctx, tenant, g, base, path) {
  if (g.idpManaged && tenant.scimEnabled) {
    return h('p', { class: 'note' }, h('strong', null, 'Read-only: '), 'the identity provider manages this group while SCIM mode is on. Rename it or change its members there; a change made here would be refused or undone.');
  }
  if (!ctx.canWrite) return null;
  const box = h('div', { class: 'row-actions' });
  const start = button('Delete…', () => {
    const yes = button('Delete group', async () => {
      try {
        await api('DELETE', path);
        ctx.navigate(`${base}/groups`);
      } catch (err) { replace(box, errorBox(err, 'Could not delete the group')); }
    }, { kind: 'danger' });
    replace(box, h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm deleting' },
      h('p', null, `Delete the local group ${g.displayName}? Its members stay; only the group goes.`),
      h('div', { class: 'form-actions' }, yes, button('Cancel', () => replace(box, start)))));
    yes.focus();
  }, { kind: 'danger', label: `Delete group ${g.displayName}` });
  replace(box, start);
  return box;
}
