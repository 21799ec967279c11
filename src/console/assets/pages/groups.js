// @ts-check
// A tenant's groups: searched with a SCIM filter, paged, each marked IdP-managed or local; read-only
// for the IdP-managed ones while SCIM mode is on, saying why.
import { seg } from '../lib/api.js';
import { managedBadge, resourceList } from '../lib/directory.js';
import { link, time } from '../lib/ui.js';

/**
 * @typedef {{ id: string, displayName: string, idpManaged: boolean, createdAt: string, updatedAt: string, version: number, attributes: Record<string, any> }} Group
 */

/** @param {import('../console.js').PageContext} ctx */
export function render(ctx) {
  return resourceList(ctx, {
    title: 'Groups', what: 'groups', examples: ['displayName sw "Eng"', 'displayName eq "Admins"'],
    columns: (base) => [
      { label: 'Name', cell: (/** @type {Group} */ g) => link(`${base}/groups/${seg(g.id)}`, g.displayName) },
      { label: 'Managed by', cell: (g) => managedBadge(g.idpManaged) },
      { label: 'Created', cell: (g) => time(g.createdAt) },
      { label: 'Updated', cell: (g) => time(g.updatedAt) },
    ],
    empty: () => 'No groups yet. Groups appear when the identity provider pushes them (Okta: Push Groups; Entra ID: assign groups to the application and provision them).',
  });
}
