// @ts-check
// One user: who it is, its status, who manages it, every attribute (core, enterprise, custom), the
// groups it belongs to and the roles they grant, and its requests in the log. A local user can be
// deleted by an admin key; an IdP-managed one is read-only while SCIM mode is on, and the page says
// why instead of offering controls.
import { api, seg } from '../lib/api.js';
import { attributesView, managedBadge, rawJson } from '../lib/directory.js';
import { h, replace } from '../lib/dom.js';
import { button, emptyState, errorBox, link, pageTitle, section, time } from '../lib/ui.js';
import { displayNameOf, statusBadge } from './users.js';

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const base = `/tenants/${seg(ctx.params.tenant)}`;
  /** @type {[import('./tenants.js').Tenant, import('./users.js').User]} */
  const [tenant, u] = await Promise.all([api('GET', base), api('GET', `${base}/users/${seg(ctx.params.id)}`)]);
  const name = displayNameOf(u);
  return h('div', null,
    pageTitle(u.userName),
    h('p', null, link(`${base}/users`, '← All users')),
    h('dl', { class: 'facts' },
      name ? [h('dt', null, 'Name'), h('dd', null, name)] : null,
      h('dt', null, 'Id'), h('dd', { class: 'mono' }, u.id),
      h('dt', null, 'Status'), h('dd', null, statusBadge(u)),
      h('dt', null, 'Managed by'), h('dd', null, managedBadge(u.idpManaged), ' ', u.idpManaged ? 'Created by the identity provider over SCIM.' : 'Local: created in the application or through the admin API, or made local when SCIM was turned off.'),
      h('dt', null, 'Created'), h('dd', null, time(u.createdAt)),
      h('dt', null, 'Updated'), h('dd', null, time(u.updatedAt), ` (version ${u.version})`)),
    controls(ctx, tenant, u, base),
    section('Attributes', attributesView(u.attributes), rawJson(u.attributes)),
    section('Groups',
      u.groups && u.groups.length
        ? h('ul', null, ...u.groups.map((g) => h('li', null, link(`${base}/groups/${seg(g.id)}`, g.displayName))))
        : emptyState('This user is in no group.')),
    u.roles && u.roles.length ? section('Roles',
      h('ul', null, ...u.roles.map((r) => h('li', null, h('strong', null, r.name), r.admin ? ' (admin)' : '', ' — from ', r.groups.map((g) => g.displayName).join(', '))))) : null,
    section('Requests', h('p', null, link(`${base}/requests?resourceId=${seg(u.id)}`, 'Requests about this user in the request log'))));
}

/**
 * @param {import('../console.js').PageContext} ctx
 * @param {import('./tenants.js').Tenant} tenant
 * @param {import('./users.js').User} u
 * @param {string} base
 */
function controls(ctx, tenant, u, base) {
  if (u.idpManaged && tenant.scimEnabled) {
    return h('p', { class: 'note' }, h('strong', null, 'Read-only: '), 'the identity provider manages this user while SCIM mode is on. Change or deprovision it there; a change made here would be refused or undone.');
  }
  if (!ctx.canWrite) return null;
  const box = h('div', { class: 'row-actions' });
  const ask = () => {
    const yes = button('Delete user', async () => {
      try {
        await api('DELETE', `${base}/users/${seg(u.id)}`);
        ctx.navigate(`${base}/users`);
      } catch (err) { replace(box, errorBox(err, 'Could not delete the user')); }
    }, { kind: 'danger' });
    replace(box, h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm deleting' },
      h('p', null, `Delete the local user ${u.userName} and its group memberships? This cannot be undone.`),
      h('div', { class: 'form-actions' }, yes, button('Cancel', () => replace(box, start)))));
    yes.focus();
  };
  const start = button('Delete…', ask, { kind: 'danger', label: `Delete user ${u.userName}` });
  replace(box, start);
  return box;
}
