// @ts-check
// A tenant's users: searched with a SCIM filter (a bad filter shows the admin API's error in its
// words), paged, each marked IdP-managed or local. While SCIM mode is on, IdP-managed users are
// read-only, and the page says so.
import { seg } from '../lib/api.js';
import { managedBadge, resourceList } from '../lib/directory.js';
import { h } from '../lib/dom.js';
import { badge, link, time } from '../lib/ui.js';

/**
 * @typedef {{ id: string, userName: string, active: boolean, status: 'invited' | 'active' | 'deactivated' | null, idpManaged: boolean,
 *   createdAt: string, updatedAt: string, version: number, attributes: Record<string, any>,
 *   groups?: Array<{ id: string, displayName: string }>, roles?: Array<{ name: string, admin: boolean, groups: Array<{ id: string, displayName: string }> }> }} User
 */

/** A user's name for people, from the attributes the IdP usually sends. @param {User} u */
export function displayNameOf(u) {
  const a = u.attributes ?? {};
  if (typeof a.displayName === 'string' && a.displayName) return a.displayName;
  const n = a.name;
  if (n && typeof n === 'object') {
    if (typeof n.formatted === 'string' && n.formatted) return n.formatted;
    const parts = [n.givenName, n.familyName].filter((x) => typeof x === 'string' && x);
    if (parts.length) return parts.join(' ');
  }
  return '';
}

/** @param {User} u */
export function statusBadge(u) {
  if (u.status === 'invited') return badge('Invited', 'warn');
  if (u.status === 'deactivated' || !u.active) return badge('Deactivated', 'muted');
  return badge('Active', 'ok');
}

/** @param {import('../console.js').PageContext} ctx */
export function render(ctx) {
  return resourceList(ctx, {
    title: 'Users', what: 'users', examples: ['userName sw "a"', 'emails.value co "@example.com"', 'active eq false'],
    columns: (base) => [
      { label: 'User name', cell: (/** @type {User} */ u) => link(`${base}/users/${seg(u.id)}`, u.userName) },
      { label: 'Name', cell: (u) => displayNameOf(u) || h('span', { class: 'muted' }, '—') },
      { label: 'Status', cell: (u) => statusBadge(u) },
      { label: 'Managed by', cell: (u) => managedBadge(u.idpManaged) },
      { label: 'Updated', cell: (u) => time(u.updatedAt) },
    ],
    empty: (tenant) => (tenant.scimEnabled
      ? 'No users yet. They appear here when the identity provider pushes them: assign people to the application in the identity provider, then watch the request log.'
      : 'No users yet. SCIM is off for this tenant, so only the application creates users; turn SCIM on to let the identity provider push them.'),
  });
}
