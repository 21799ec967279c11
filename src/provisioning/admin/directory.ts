// The admin API's view of a tenant's users and groups: read any of them (filtered with the SCIM
// filter grammar, compiled to SQL as on the SCIM side; keyset pages), and create, replace and delete
// the *local* ones — created by the app, not by the identity provider. Writes go through the same
// mutate() as SCIM writes (one transaction, one Change, the same hooks), so policies and events
// will treat them alike. IdP-managed users and groups are the IdP's to change: the admin API
// refuses, so that a change the IdP would silently undo on its next sync is never made.
import { parseFilter, type Filter } from '../../scim/filter.ts';
import type { StoredResource } from '../../scim/render.ts';
import { checkRequired, type AttrDoc } from '../../scim/resource.ts';
import type { GroupRecord, Member, UserRecord } from '../../store/store.ts';
import { notFoundIn, type ScimContext } from '../context.ts';
import { groupDoc } from '../groups.ts';
import { mutate, type Guard, type ResourceType } from '../mutate.ts';
import { userDoc } from '../users.ts';

/** The admin API was asked to change a user or group that the identity provider manages. */
export class IdpManaged extends Error {
  constructor(readonly resourceType: ResourceType, readonly id: string) {
    super(`${resourceType} ${id} is managed by the identity provider (created over SCIM): change it there; the admin API changes only local ${resourceType === 'User' ? 'users' : 'groups'}.`);
  }
}

const localOnly = (type: ResourceType, id: string): Guard => (current) => {
  if ((current.origin ?? 'scim') !== 'local') throw new IdpManaged(type, id);
};

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

/** Creates a local user from SCIM attributes (core at the top level, extensions under their URN); returns it with its groups. */
export function createLocalUser(ctx: ScimContext, attributes: AttrDoc): Promise<{ user: StoredResource; groups: { value: string; display: string }[] }> {
  const doc = userDoc(ctx, attributes);
  return mutate(ctx, { kind: 'create', type: 'User', doc, origin: 'local' }, async (tx, change) => {
    // In no group, unless the default group policy put it in one, with a new version (policies/default-group.ts).
    if (ctx.settings.policies.groups.defaultGroup === null) return { user: change.after!, groups: [] };
    const found = await tx.getUserWithGroups(ctx.tenant.id, change.id);
    return { user: found!.user, groups: found!.groups };
  });
}

/** Replaces a local user's attributes; `ifMatch` is an ETag or a version number. */
export function replaceLocalUser(ctx: ScimContext, id: string, attributes: AttrDoc, ifMatch?: string): Promise<StoredResource> {
  const doc = userDoc(ctx, attributes, true);
  return mutate(ctx, { kind: 'replace', type: 'User', id, ifMatch, guard: localOnly('User', id), next: (current) => (checkRequired(ctx.schemas.User, doc, current.doc), { doc }) }, async (_tx, change) => change.after!);
}

export async function deleteLocalUser(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  await mutate(ctx, { kind: 'delete', type: 'User', id, ifMatch, guard: localOnly('User', id) }, async () => undefined);
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
  return mutate(ctx, { kind: 'replace', type: 'Group', id, ifMatch, guard: localOnly('Group', id), next }, async (_tx, change) => change.after!);
}

export async function deleteLocalGroup(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  await mutate(ctx, { kind: 'delete', type: 'Group', id, ifMatch, guard: localOnly('Group', id) }, async () => undefined);
}
