// Whether a user is active, as the guards and the roles' events count it (issue 11 item 3). Local
// users (created through the admin API) have a status, the app's lifecycle; IdP-managed users have
// only their SCIM `active`.
import type { AttrDoc } from '../../scim/resource.ts';
import type { Origin, UserStatus } from '../../store/store.ts';

/**
 * Whether a user counts as active for the guards: a local user (origin 'local') by its status, the
 * app's lifecycle (an invited or deactivated local user holds no role that keeps the app usable,
 * whatever its SCIM `active` says); an IdP-managed user by its SCIM `active` (absent: active). The
 * store's activeMemberOf and usersAndTheirGroups count the same way (store/sql/resources.ts).
 */
export function isActiveUser(r: { doc: AttrDoc; origin?: Origin; status?: UserStatus | null }): boolean {
  if (r.origin === 'local' && r.status) return r.status === 'active';
  return r.doc.active !== false;
}
