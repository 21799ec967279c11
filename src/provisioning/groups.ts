// Group use cases. Members live in their own table: a PATCH that adds one member to a group of
// 100,000 touches one row, never the list.
import { randomUUID } from 'node:crypto';
import { listResponse, type ListQuery } from '../scim/list.ts';
import { applyPatch, toMemberValues, type MemberOp, type MemberValue } from '../scim/patch.ts';
import { applyProjection, wantsAttribute, ALL, type Projection } from '../scim/projection.ts';
import { checkRequired, normalizeResource, type AttrDoc } from '../scim/resource.ts';
import type { GroupRecord, StoreReads, StoreTx } from '../store/store.ts';
import { checkIfMatch, VersionConflict, groupNotFound, inTransaction, type ScimContext } from './context.ts';
import { renderGroup, renderMember, type Rendered } from './render.ts';

const EXTERNAL = new Set(['members']);

/** Members per page when streaming; a page is about 150 kB of JSON. */
const MEMBER_PAGE = 1000;

/**
 * With the default projection the members are streamed in pages after the response starts, so a
 * 100,000-member group never sits in memory. They are read after the use case's transaction, from
 * the store, in member-id order. Other projections (which may pick member sub-attributes) load them.
 */
async function render(ctx: ScimContext, reads: StoreReads, g: GroupRecord, projection: Projection = ALL): Promise<Rendered> {
  if (projection.mode === 'all') {
    return { resource: renderGroup(ctx.schemas.Group, ctx.baseUrl, g), version: g.version, members: memberPages(ctx, g.id) };
  }
  const members = wantsAttribute(projection, 'members') ? (await reads.membersOf(ctx.tenant.id, [g.id])).get(g.id) ?? [] : undefined;
  return { resource: applyProjection(renderGroup(ctx.schemas.Group, ctx.baseUrl, g, members), projection), version: g.version };
}

async function* memberPages(ctx: ScimContext, groupId: string): AsyncIterable<Record<string, unknown>[]> {
  let after: string | undefined;
  for (;;) {
    const page = await ctx.store.membersPage(ctx.tenant.id, groupId, after, MEMBER_PAGE);
    if (page.length) yield page.map((m) => renderMember(ctx.baseUrl, m));
    if (page.length < MEMBER_PAGE) return;
    after = page[page.length - 1].value;
  }
}

/** Splits a normalised Group body into its document and its members. */
function splitMembers(doc: AttrDoc): { doc: AttrDoc; members: MemberValue[] } {
  const { members, ...rest } = doc;
  return { doc: rest, members: toMemberValues(members) };
}

export async function createGroup(ctx: ScimContext, body: unknown, projection?: Projection): Promise<Rendered> {
  const { doc, members } = splitMembers(normalizeResource(ctx.schemas.Group, body));
  checkRequired(ctx.schemas.Group, doc);
  const now = new Date().toISOString();
  const group: GroupRecord = { id: randomUUID(), doc, created: now, lastModified: now, version: 1 };
  return inTransaction(ctx, async (tx) => {
    await tx.insertGroup(ctx.tenant.id, group);
    if (members.length) await tx.addMembers(ctx.tenant.id, group.id, members);
    return render(ctx, tx, group, projection);
  });
}

export async function getGroup(ctx: ScimContext, id: string, projection?: Projection): Promise<Rendered> {
  const group = await ctx.store.getGroup(ctx.tenant.id, id);
  if (!group) throw groupNotFound(id);
  return render(ctx, ctx.store, group, projection);
}

export async function listGroups(ctx: ScimContext, q: ListQuery) {
  const page = await ctx.store.listGroups(ctx.tenant.id, { filter: q.filter, sortBy: q.sortBy, sortOrder: q.sortOrder, offset: q.startIndex - 1, limit: q.count });
  const members = wantsAttribute(q.projection, 'members') && page.rows.length
    ? await ctx.store.membersOf(ctx.tenant.id, page.rows.map((g) => g.id)) : undefined;
  const resources = page.rows.map((g) => applyProjection(renderGroup(ctx.schemas.Group, ctx.baseUrl, g, members ? members.get(g.id) ?? [] : undefined), q.projection));
  return listResponse(resources, page.total, q.startIndex);
}

export async function replaceGroup(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  const { doc, members } = splitMembers(normalizeResource(ctx.schemas.Group, body));
  checkRequired(ctx.schemas.Group, doc);
  return inTransaction(ctx, async (tx) => {
    const current = await tx.lockGroup(ctx.tenant.id, id);
    if (!current) throw groupNotFound(id);
    checkIfMatch(ifMatch, current.version);
    const next: GroupRecord = { ...current, doc, lastModified: new Date().toISOString(), version: current.version + 1 };
    if (!(await tx.updateGroup(ctx.tenant.id, next, current))) throw new VersionConflict();
    await tx.replaceMembers(ctx.tenant.id, id, members);
    return render(ctx, tx, next, projection);
  });
}

async function applyMemberOps(tx: StoreTx, tenantId: string, groupId: string, ops: MemberOp[]): Promise<number> {
  let changed = 0;
  for (const op of ops) {
    switch (op.kind) {
      case 'add': changed += await tx.addMembers(tenantId, groupId, op.members); break;
      case 'remove': changed += await tx.removeMembers(tenantId, groupId, op.values); break;
      case 'removeAll': changed += await tx.removeAllMembers(tenantId, groupId); break;
      case 'removeMatching': changed += await tx.removeMembersMatching(tenantId, groupId, op.filter); break;
      case 'replace': changed += await tx.replaceMembers(tenantId, groupId, op.members); break;
    }
  }
  return changed;
}

export async function patchGroup(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  return inTransaction(ctx, async (tx) => {
    const current = await tx.lockGroup(ctx.tenant.id, id);
    if (!current) throw groupNotFound(id);
    checkIfMatch(ifMatch, current.version);
    const result = applyPatch(ctx.schemas.Group, current.doc, body, EXTERNAL);
    checkRequired(ctx.schemas.Group, result.doc);
    const membersChanged = await applyMemberOps(tx, ctx.tenant.id, id, result.memberOps);
    if (!result.changed && membersChanged === 0) return render(ctx, tx, current, projection);
    const next: GroupRecord = { ...current, doc: result.doc, lastModified: new Date().toISOString(), version: current.version + 1 };
    if (!(await tx.updateGroup(ctx.tenant.id, next, current))) throw new VersionConflict();
    return render(ctx, tx, next, projection);
  });
}

export async function deleteGroup(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const current = await tx.lockGroup(ctx.tenant.id, id);
    if (!current) throw groupNotFound(id);
    checkIfMatch(ifMatch, current.version);
    await tx.deleteGroup(ctx.tenant.id, id);
  });
}
