// User use cases. Every write goes through mutate() (one transaction, one Change).
import { ScimError, uniqueness } from '../scim/errors.ts';
import { listResponse, type ListQuery } from '../scim/list.ts';
import { checkAttributeLimits } from '../scim/attribute-limits.ts';
import { applyPatch } from '../scim/patch.ts';
import { applyProjection, wantsAttribute, ALL, type Projection } from '../scim/projection.ts';
import { renderUser, type Rendered, type StoredResource } from '../scim/render.ts';
import { checkRequired, normalizeResource, type AttrDoc } from '../scim/resource.ts';
import type { StoreReads } from '../store/store.ts';
import { notFoundIn, type ScimContext } from './context.ts';
import { mutate, type Change, type Guard } from './mutate.ts';
import { identifierOf, usersWithIdentifier } from './policies/identifier.ts';
import { localUserRefused } from './policies/user-rules.ts';

type Group = { value: string; display: string };

/** `known`: the user's groups when the caller already has them (read along, or none for a new user). */
async function render(ctx: ScimContext, reads: StoreReads, u: StoredResource, projection: Projection = ALL, known?: Group[]): Promise<Rendered> {
  const groups = !wantsAttribute(projection, 'groups') ? undefined
    : known ?? (await reads.groupsOfUsers(ctx.tenant.id, [u.id])).get(u.id) ?? [];
  return { resource: applyProjection(renderUser(ctx.schemas.User, ctx.baseUrl, u, groups), projection), version: u.version };
}

/**
 * A request body as the user document it describes, checked (types, limits, and for a new user the
 * required attributes; a replacement checks them against the stored user: checkRequired).
 */
export function userDoc(ctx: ScimContext, body: unknown, replacing = false): AttrDoc {
  const doc = normalizeResource(ctx.schemas.User, body, ctx.ignored);
  if (!replacing) checkRequired(ctx.schemas.User, doc);
  checkAttributeLimits(doc, ctx.attributeLimits);
  return doc;
}

export async function createUser(ctx: ScimContext, body: unknown, projection?: Projection): Promise<Rendered> {
  const doc = userDoc(ctx, body);
  try {
    return await mutate(ctx, { kind: 'create', type: 'User', doc, fromIdp: true }, async (tx, change) => {
      // Created a moment ago: in no group yet, unless the default group policy put it in one
      // (policies/default-group.ts), which gave it a new version too. A linked local user keeps its
      // groups: read them.
      if (change.linked) return render(ctx, tx, change.after!, projection);
      if (ctx.settings.policies.groups.defaultGroup === null) return render(ctx, tx, change.after!, projection, []);
      const found = await tx.getUserWithGroups(ctx.tenant.id, change.id);
      return render(ctx, tx, found!.user, projection, found!.groups);
    });
  } catch (err) {
    throw await localHolderNamed(ctx, doc, err);
  }
}

/**
 * A POST whose userName a local user has, while account linking is off: the userName index refused
 * it (no read was spent before the insert); diagnosed only now, so the IdP admin learns that linking
 * is the way (after SCIM was disabled and re-enabled, every user the IdP pushes again is such a one).
 */
async function localHolderNamed(ctx: ScimContext, doc: AttrDoc, err: unknown): Promise<unknown> {
  if (!(err instanceof ScimError) || err.reason?.code !== 'uniqueness' || err.reason.attribute !== 'userName' || ctx.settings.policies.linking.enabled) return err;
  const value = identifierOf('userName', doc);
  const holder = value === undefined ? undefined : (await usersWithIdentifier(ctx.store, ctx, 'userName', value))[0];
  if (holder?.origin !== 'local') return err;
  return uniqueness(`The user ${JSON.stringify(String(holder.doc.userName))} is a local user of this app (created in the app, or made local when SCIM was disabled) and account linking is off, so ${JSON.stringify(String(doc.userName))} cannot be created; ask the app's admin to turn on account linking, then retry, and the identity provider takes the user over.`,
    { code: 'uniqueness', resourceType: 'User', attribute: 'userName' });
}

export async function getUser(ctx: ScimContext, id: string, projection: Projection = ALL): Promise<Rendered> {
  if (!wantsAttribute(projection, 'groups')) {
    const user = await ctx.store.getUser(ctx.tenant.id, id);
    if (!user) throw notFoundIn('User', id);
    return render(ctx, ctx.store, user, projection);
  }
  const found = await ctx.store.getUserWithGroups(ctx.tenant.id, id);
  if (!found) throw notFoundIn('User', id);
  return render(ctx, ctx.store, found.user, projection, found.groups);
}

export async function listUsers(ctx: ScimContext, q: ListQuery) {
  const page = await ctx.store.listUsers(ctx.tenant.id, ctx.schemas, { filter: q.filter, sortBy: q.sortBy, sortOrder: q.sortOrder, offset: q.startIndex - 1, limit: q.count });
  const groups = wantsAttribute(q.projection, 'groups') && page.rows.length
    ? await ctx.store.groupsOfUsers(ctx.tenant.id, page.rows.map((u) => u.id)) : undefined;
  const resources = page.rows.map((u) => applyProjection(renderUser(ctx.schemas.User, ctx.baseUrl, u, groups ? groups.get(u.id) ?? [] : undefined), q.projection));
  return listResponse(resources, page.total, q.startIndex);
}

/** PUT: the body replaces every writable attribute (RFC 7644 §3.5.1). */
export async function replaceUser(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  const doc = userDoc(ctx, body, true);
  return mutate(ctx, { kind: 'replace', type: 'User', id, ifMatch, fromIdp: true, next: (current) => (checkRequired(ctx.schemas.User, doc, current.doc), { doc }) }, (tx, change) => renderWritten(ctx, tx, change, projection));
}

export async function patchUser(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  const next = (current: StoredResource) => {
    const result = applyPatch(ctx.schemas.User, current.doc, body, undefined, ctx.ignored);
    if (result.changed) {
      checkRequired(ctx.schemas.User, result.doc, current.doc);
      checkAttributeLimits(result.doc, ctx.attributeLimits);
    }
    return { doc: result.doc };
  };
  return mutate(ctx, { kind: 'patch', type: 'User', id, ifMatch, fromIdp: true, next }, (tx, change) => renderWritten(ctx, tx, change, projection));
}

/**
 * The answer to a PUT or PATCH: the user as written, or, when the delete deprovisioning mode turned
 * its deactivation into a deletion, the user as it was with active=false and no groups (Okta and
 * Entra expect the resource back; a later GET answers 404).
 */
function renderWritten(ctx: ScimContext, reads: StoreReads, change: Change, projection?: Projection): Promise<Rendered> {
  if (change.kind !== 'delete') return render(ctx, reads, change.after!, projection);
  const gone = change.before!;
  return render(ctx, reads, { ...gone, doc: { ...gone.doc, active: false }, lastModified: change.at, version: gone.version + 1 }, projection, []);
}

export async function deleteUser(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  // A local user is the app's while account linking is off (policies/user-rules.ts localUserRefused).
  const guard: Guard = (current) => { if (current.origin === 'local' && !ctx.settings.policies.linking.enabled) throw localUserRefused(current.doc); };
  await mutate(ctx, { kind: 'delete', type: 'User', id, ifMatch, guard }, async () => undefined);
}
