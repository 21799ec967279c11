// The admin API's view of a tenant's users and groups: read any of them (filtered with the SCIM
// filter grammar, compiled to SQL as on the SCIM side; keyset pages), and create, replace and delete
// the *local* ones — created by the app, not by the identity provider. Writes go through the same
// mutate() as SCIM writes (one transaction, one Change, the same hooks), so policies and events
// will treat them alike. While SCIM is enabled for the tenant (policies/scim-mode.ts), IdP-managed
// users and groups are the IdP's to change: the admin API refuses, so that a change the IdP would
// silently undo on its next sync is never made; and no local user may be invited (the IdP adds
// people). Disabling SCIM makes them all local; should a straggling SCIM write land after that,
// its resource is editable too, since nothing will sync it any more.
import { parseFilter, type Filter } from '../../scim/filter.ts';
import type { StoredResource } from '../../scim/render.ts';
import { checkRequired, type AttrDoc } from '../../scim/resource.ts';
import type { GroupRecord, Member, UserRecord, UserStatus } from '../../store/store.ts';
import { notFoundIn, type ScimContext } from '../context.ts';
import { groupDoc } from '../groups.ts';
import { mutate, type Guard, type ResourceType } from '../mutate.ts';
import { userDoc } from '../users.ts';

/** The admin API was asked to change a user or group that the identity provider manages, while SCIM is enabled. */
export class IdpManaged extends Error {
  /** `reason`: a stable code for the problem's `reason` field. */
  readonly reason = 'scimEnabled';
  constructor(readonly resourceType: ResourceType, readonly id: string, readonly tenantSlug: string) {
    super(`${resourceType} ${id} is managed by the identity provider while SCIM is enabled for tenant "${tenantSlug}": change it in the identity provider (Okta, Entra), or disable SCIM (POST /admin/v1/tenants/${tenantSlug}/scim/disable) to make every user and group local.`);
  }
}

/** A local user cannot be invited while SCIM is enabled: the identity provider adds people (the Split article). */
export class InvitationsClosed extends Error {
  readonly reason = 'scimEnabled';
  constructor(readonly tenantSlug: string) {
    super(`Tenant "${tenantSlug}" has SCIM enabled: add the person in the identity provider instead of inviting them (an invitation is status "invited"), or create the user with status "active".`);
  }
}

/** While SCIM is on, only local resources are written here: the IdP's own are its to change (also the local import: importer.ts). */
export const localOnly = (ctx: ScimContext, type: ResourceType, id: string): Guard => (current) => {
  if (ctx.tenant.scimEnabled && (current.origin ?? 'scim') !== 'local') throw new IdpManaged(type, id, ctx.tenant.slug);
};

function checkStatus(ctx: ScimContext, status: UserStatus | undefined): void {
  if (status === 'invited' && ctx.tenant.scimEnabled) throw new InvitationsClosed(ctx.tenant.slug);
}

/** A filter from the query string, or undefined; invalid ones are SCIM invalidFilter errors naming the clause. */
export const filterOf = (text: string | undefined): Filter | undefined => (text === undefined || text.trim() === '' ? undefined : parseFilter(text));

export async function scanUsers(ctx: ScimContext, filter: string | undefined, afterSeq: number | undefined, limit: number): Promise<UserRecord[]> {
  return ctx.store.scanUsers(ctx.tenant.id, ctx.schemas, filterOf(filter), afterSeq, limit);
}

export async function scanGroups(ctx: ScimContext, filter: string | undefined, afterSeq: number | undefined, limit: number): Promise<GroupRecord[]> {
  return ctx.store.scanGroups(ctx.tenant.id, ctx.schemas, filterOf(filter), afterSeq, limit);
}

export async function readUser(ctx: ScimContext, id: string): Promise<{ user: UserRecord; groups: { value: string; display: string }[] }> {
  const found = await ctx.store.getUserWithGroups(ctx.tenant.id, id);
  if (!found) throw notFoundIn('User', id);
  return found;
}

export async function readGroup(ctx: ScimContext, id: string): Promise<GroupRecord> {
  const group = await ctx.store.getGroup(ctx.tenant.id, id);
  if (!group) throw notFoundIn('Group', id);
  return group;
}

/** A page of a group's members in member-id order after `after`. */
export async function groupMembers(ctx: ScimContext, id: string, after: string | undefined, limit: number): Promise<Member[]> {
  await readGroup(ctx, id);
  return ctx.store.membersPage(ctx.tenant.id, id, after, limit);
}

/**
 * Creates a local user from SCIM attributes (core at the top level, extensions under their URN);
 * returns it with its groups. `status`: 'invited' (refused while SCIM is enabled), 'active',
 * 'deactivated'; by default what its `active` says.
 */
export function createLocalUser(ctx: ScimContext, attributes: AttrDoc, status?: UserStatus): Promise<{ user: UserRecord; groups: { value: string; display: string }[] }> {
  const doc = userDoc(ctx, attributes);
  checkStatus(ctx, status);
  return mutate(ctx, { kind: 'create', type: 'User', doc, origin: 'local', status: status ?? (doc.active === false ? 'deactivated' : 'active') }, async (tx, change) => {
    // In no group, unless the default group policy put it in one, with a new version (policies/default-group.ts).
    if (ctx.settings.policies.groups.defaultGroup === null) return { user: change.after!, groups: [] };
    const found = await tx.getUserWithGroups(ctx.tenant.id, change.id);
    return { user: found!.user, groups: found!.groups };
  });
}

/** Replaces a local user's attributes (and its status, when given); `ifMatch` is an ETag or a version number. */
export function replaceLocalUser(ctx: ScimContext, id: string, attributes: AttrDoc, ifMatch?: string, status?: UserStatus): Promise<UserRecord> {
  const doc = userDoc(ctx, attributes, true);
  checkStatus(ctx, status);
  return mutate(ctx, { kind: 'replace', type: 'User', id, ifMatch, guard: localOnly(ctx, 'User', id), next: (current) => (checkRequired(ctx.schemas.User, doc, current.doc), { doc, status }) }, async (_tx, change) => change.after!);
}

export async function deleteLocalUser(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  await mutate(ctx, { kind: 'delete', type: 'User', id, ifMatch, guard: localOnly(ctx, 'User', id) }, async () => undefined);
}

/** Creates a local group; `members` are ids of users or groups of the tenant. */
export function createLocalGroup(ctx: ScimContext, attributes: AttrDoc, members: string[] = []): Promise<StoredResource> {
  const { doc } = groupDoc(ctx, attributes);
  return mutate(ctx, { kind: 'create', type: 'Group', doc, origin: 'local', members: members.map((value) => ({ value })) }, async (_tx, change) => change.after!);
}

/** Replaces a local group's attributes and, when given, its members (exactly that set). */
export function replaceLocalGroup(ctx: ScimContext, id: string, attributes: AttrDoc, members?: string[], ifMatch?: string): Promise<StoredResource> {
  const { doc } = groupDoc(ctx, attributes, true);
  const next = (current: StoredResource) => (checkRequired(ctx.schemas.Group, doc, current.doc), { doc, memberOps: members ? [{ kind: 'replace' as const, members: members.map((value) => ({ value })) }] : [] });
  return mutate(ctx, { kind: 'replace', type: 'Group', id, ifMatch, guard: localOnly(ctx, 'Group', id), next }, async (_tx, change) => change.after!);
}

export async function deleteLocalGroup(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  await mutate(ctx, { kind: 'delete', type: 'Group', id, ifMatch, guard: localOnly(ctx, 'Group', id) }, async () => undefined);
}
