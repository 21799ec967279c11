// What every use case needs: the store, the tenant's schemas, the tenant and its SCIM base URL, the
// clock, and the hooks every change passes through. Made per request by the provisioning service.
import { invalidValue, notFound, preconditionFailed, unauthorized, uniqueness, ScimError } from '../scim/errors.ts';
import { etag, etagMatches } from '../scim/etag.ts';
import type { AttributeLimits } from '../scim/attribute-limits.ts';
import type { PagingLimits } from '../scim/list.ts';
import { TenantGone, UniquenessViolation, UnknownMembers, WriteConflict, type EventActor, type Store, type StoreTx, type Tenant, type TenantSchemas } from '../store/store.ts';
import { eventActor, LIBRARY_ADMIN_ACTOR } from './admin/audit.ts';
import type { Clock } from './clock.ts';
import type { ChangeHook } from './mutate.ts';
import type { TenantSettings } from './tenants/settings-document.ts';

export interface ScimContext {
  store: Store;
  /** The tenant's schemas (provisioning/schemas.ts): the same object while its settings are unchanged. */
  schemas: TenantSchemas;
  tenant: Tenant;
  /** The tenant's SCIM base URL, for meta.location and $ref. */
  baseUrl: string;
  limits: PagingLimits;
  /** Size bounds every written resource document must meet (config.attributeLimits). */
  attributeLimits: AttributeLimits;
  clock: Clock;
  /** Called with every change inside its transaction (policies, the outbox); a throw rolls it back. */
  hooks: readonly ChangeHook[];
  /** The tenant's settings at the same version as `schemas`. */
  settings: Readonly<TenantSettings>;
  /** The version of `settings` (policies/tenant-now.ts: a write checks it against the committed one). */
  settingsVersion: number;
  /**
   * Attributes this request sent that no schema of the tenant defines (names only), collected by the
   * use cases so the edge can log them: ignoring them is right (RFC 7644 §3.3), ignoring them
   * silently hid missing custom-attribute mappings. Per request, like the context itself.
   */
  ignored: string[];
  /**
   * Changes this request made that the attribute rules dropped (policies.attributes, otherChanges
   * "ignore"): attribute paths, logged by the edge like `ignored`. Made on first use.
   */
  ignoredChanges?: string[];
  /** Who is making the request (the SCIM token, the admin key, the vendor's code): every event names it. */
  actor: EventActor;
  /** The HTTP request's id (null outside a request): every event carries it, as do the logs. */
  requestId: string | null;
}

/** Who acts when the vendor's own code calls the use cases (library.ts). */
export const LIBRARY_ACTOR: EventActor = Object.freeze(eventActor(LIBRARY_ADMIN_ACTOR));

/** Thrown by a use case that lost a race for a resource's version: rolls back, then runs again. */
export class VersionConflict extends Error {}
const MAX_ATTEMPTS = 5;

/**
 * Runs a use case in one transaction, retrying when another writer changed the resource between
 * our read and our conditional write, and turning store failures into SCIM errors.
 */
export async function inTransaction<T>(ctx: ScimContext, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.store.transaction(fn);
    } catch (err) {
      if (!(err instanceof VersionConflict) && !(err instanceof WriteConflict)) throw toScimError(err);
      if (attempt >= MAX_ATTEMPTS) throw new ScimError(409, 'The resource is being changed by other requests at this moment; retry the request.');
    }
  }
}

function toScimError(err: unknown): unknown {
  if (err instanceof UniquenessViolation) {
    const what = err.resourceType === 'Group' ? 'group' : err.resourceType === 'Tenant' ? 'tenant' : 'user';
    return uniqueness(`A ${what} with this ${err.attribute} already exists in this tenant (compared case-insensitively).`,
      { code: 'uniqueness', resourceType: err.resourceType, attribute: err.attribute });
  }
  if (err instanceof TenantGone) return unauthorized('This tenant was deleted while the request was being handled; its tokens no longer work. Nothing was written.');
  if (err instanceof UnknownMembers) {
    const shown = err.values.slice(0, 5).map((v) => JSON.stringify(v)).join(', ');
    return invalidValue(`Members must be users or groups of this tenant (other than the group itself); ${shown}${err.values.length > 5 ? ` and ${err.values.length - 5} more` : ''} ${err.values.length === 1 ? 'is' : 'are'} not.`,
      { code: 'unknownMembers', attribute: 'members' });
  }
  return err;
}

/** RFC 7232 If-Match against a resource's current version ("*" matches any). */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined || ifMatch.trim() === '') return;
  if (etagMatches(ifMatch, version)) return;
  throw preconditionFailed(`The resource has changed: its version is ${etag(version)}, but If-Match asked for ${ifMatch}. Read it again and retry.`, { code: 'versionMismatch' });
}

export const notFoundIn = (type: 'User' | 'Group', id: string) => notFound(`${type} ${JSON.stringify(id)} not found.`);
