// User use cases. Each write is one transaction (context.ts inTransaction).
import { randomUUID } from 'node:crypto';
import { listResponse, type ListQuery } from '../scim/list.ts';
import { applyPatch } from '../scim/patch.ts';
import { applyProjection, wantsAttribute, ALL, type Projection } from '../scim/projection.ts';
import { checkRequired, normalizeResource } from '../scim/resource.ts';
import type { StoreReads, UserRecord } from '../store/store.ts';
import { checkIfMatch, VersionConflict, inTransaction, userNotFound, type ScimContext } from './context.ts';
import { renderUser, type Rendered } from './render.ts';

type Group = { value: string; display: string };


/** `known`: the user's groups when the caller already has them (read along, or none for a new user). */
async function render(ctx: ScimContext, reads: StoreReads, u: UserRecord, projection: Projection = ALL, known?: Group[]): Promise<Rendered> {
  const groups = !wantsAttribute(projection, 'groups') ? undefined
    : known ?? (await reads.groupsOfUsers(ctx.tenant.id, [u.id])).get(u.id) ?? [];
  return { resource: applyProjection(renderUser(ctx.schemas.User, ctx.baseUrl, u, groups), projection), version: u.version };
}

export async function createUser(ctx: ScimContext, body: unknown, projection?: Projection): Promise<Rendered> {
  const doc = normalizeResource(ctx.schemas.User, body);
  checkRequired(ctx.schemas.User, doc);
  const now = new Date().toISOString();
  const user: UserRecord = { id: randomUUID(), doc, created: now, lastModified: now, version: 1 };
  return inTransaction(ctx, async (tx) => {
    await tx.insertUser(ctx.tenant.id, user);
    return render(ctx, tx, user, projection, []); // created a moment ago: in no group yet
  });
}

export async function getUser(ctx: ScimContext, id: string, projection: Projection = ALL): Promise<Rendered> {
  if (!wantsAttribute(projection, 'groups')) {
    const user = await ctx.store.getUser(ctx.tenant.id, id);
    if (!user) throw userNotFound(id);
    return render(ctx, ctx.store, user, projection);
  }
  const found = await ctx.store.getUserWithGroups(ctx.tenant.id, id);
  if (!found) throw userNotFound(id);
  return render(ctx, ctx.store, found.user, projection, found.groups);
}

export async function listUsers(ctx: ScimContext, q: ListQuery) {
  const page = await ctx.store.listUsers(ctx.tenant.id, { filter: q.filter, sortBy: q.sortBy, sortOrder: q.sortOrder, offset: q.startIndex - 1, limit: q.count });
  const groups = wantsAttribute(q.projection, 'groups') && page.rows.length
    ? await ctx.store.groupsOfUsers(ctx.tenant.id, page.rows.map((u) => u.id)) : undefined;
  const resources = page.rows.map((u) => applyProjection(renderUser(ctx.schemas.User, ctx.baseUrl, u, groups ? groups.get(u.id) ?? [] : undefined), q.projection));
  return listResponse(resources, page.total, q.startIndex);
}

/** PUT: the body replaces every writable attribute (RFC 7644 §3.5.1). */
export async function replaceUser(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  const doc = normalizeResource(ctx.schemas.User, body);
  checkRequired(ctx.schemas.User, doc);
  return inTransaction(ctx, async (tx) => {
    const current = await tx.lockUser(ctx.tenant.id, id);
    if (!current) throw userNotFound(id);
    checkIfMatch(ifMatch, current.version);
    const next: UserRecord = { ...current, doc, lastModified: new Date().toISOString(), version: current.version + 1 };
    if (!(await tx.updateUser(ctx.tenant.id, next, current))) throw new VersionConflict();
    return render(ctx, tx, next, projection);
  });
}

export async function patchUser(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  return inTransaction(ctx, async (tx) => {
    const current = await tx.lockUser(ctx.tenant.id, id);
    if (!current) throw userNotFound(id);
    checkIfMatch(ifMatch, current.version);
    const result = applyPatch(ctx.schemas.User, current.doc, body);
    if (!result.changed) return render(ctx, tx, current, projection);
    checkRequired(ctx.schemas.User, result.doc);
    const next: UserRecord = { ...current, doc: result.doc, lastModified: new Date().toISOString(), version: current.version + 1 };
    if (!(await tx.updateUser(ctx.tenant.id, next, current))) throw new VersionConflict();
    return render(ctx, tx, next, projection);
  });
}

export async function deleteUser(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const current = await tx.lockUser(ctx.tenant.id, id);
    if (!current) throw userNotFound(id);
    checkIfMatch(ifMatch, current.version);
    await tx.deleteUser(ctx.tenant.id, id);
  });
}
