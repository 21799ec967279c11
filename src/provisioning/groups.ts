// Group use cases. Members live in their own table: a PATCH that adds one member to a group of
// 100,000 touches one row, never the list. Every write goes through mutate().
import { listResponse, type ListQuery } from '../scim/list.ts';
import { checkAttributeLimits } from '../scim/attribute-limits.ts';
import { applyPatch, toMemberValues, type MemberValue } from '../scim/patch.ts';
import { applyProjection, wantsAttribute, ALL, type Projection } from '../scim/projection.ts';
import { renderGroup, renderMember, type Rendered, type StoredResource } from '../scim/render.ts';
import { checkRequired, normalizeResource, type AttrDoc } from '../scim/resource.ts';
import { ScimError, uniqueness } from '../scim/errors.ts';
import type { StoreReads } from '../store/store.ts';
import { notFoundIn, type ScimContext } from './context.ts';
import { mutate } from './mutate.ts';

const EXTERNAL = new Set(['members']);

/** Members per page when streaming; a page is about 150 kB of JSON. */
const MEMBER_PAGE = 1000;

/**
 * With the default projection the members are streamed in pages after the response starts, so a
 * 100,000-member group never sits in memory. They are read after the use case's transaction, from
 * the store, in member-id order. Other projections (which may pick member sub-attributes) load them.
 */
async function render(ctx: ScimContext, reads: StoreReads, g: StoredResource, projection: Projection = ALL): Promise<Rendered> {
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

/** A request body as the group document (without members) and the members it names, checked. */
export function groupDoc(ctx: ScimContext, body: unknown, replacing = false): { doc: AttrDoc; members: MemberValue[] } {
  const { members, ...doc } = normalizeResource(ctx.schemas.Group, body, ctx.ignored);
  if (!replacing) checkRequired(ctx.schemas.Group, doc);
  checkAttributeLimits(doc, ctx.attributeLimits);
  return { doc, members: toMemberValues(members) };
}

export async function createGroup(ctx: ScimContext, body: unknown, projection?: Projection): Promise<Rendered> {
  const { doc, members } = groupDoc(ctx, body);
  try {
    return await mutate(ctx, { kind: 'create', type: 'Group', doc, members }, (tx, change) => render(ctx, tx, change.after!, projection));
  } catch (err) {
    throw await localGroupClash(ctx, err, String(doc.displayName));
  }
}

/**
 * A group pushed under the name of one the app created itself (through the admin API) is refused
 * with the way out: Okta's Push Groups can link the pushed group to the existing one (Entra matches
 * by displayName before it creates, so it finds the group and never gets here). Looked up only
 * after the insert failed, so a successful create pays nothing.
 */
async function localGroupClash(ctx: ScimContext, err: unknown, name: string): Promise<unknown> {
  if (!(err instanceof ScimError) || err.reason?.code !== 'uniqueness' || err.reason.resourceType !== 'Group' || err.reason.attribute !== 'displayName') return err;
  const filter = { op: 'eq' as const, path: { attr: 'displayName', text: 'displayName' }, value: name };
  const [existing] = (await ctx.store.listGroups(ctx.tenant.id, ctx.schemas, { filter, sortOrder: 'ascending', offset: 0, limit: 1 })).rows;
  if (existing?.origin !== 'local') return err;
  return uniqueness(`A group with this name exists (${JSON.stringify(existing.doc.displayName)}, created in the app); link it in Okta (Push Groups → Link group) instead of pushing a new one.`,
    { code: 'localGroupExists', resourceType: 'Group', attribute: 'displayName' });
}

export async function getGroup(ctx: ScimContext, id: string, projection?: Projection): Promise<Rendered> {
  const group = await ctx.store.getGroup(ctx.tenant.id, id);
  if (!group) throw notFoundIn('Group', id);
  return render(ctx, ctx.store, group, projection);
}

export async function listGroups(ctx: ScimContext, q: ListQuery) {
  const page = await ctx.store.listGroups(ctx.tenant.id, ctx.schemas, { filter: q.filter, sortBy: q.sortBy, sortOrder: q.sortOrder, offset: q.startIndex - 1, limit: q.count });
  const members = wantsAttribute(q.projection, 'members') && page.rows.length
    ? await ctx.store.membersOf(ctx.tenant.id, page.rows.map((g) => g.id)) : undefined;
  const resources = page.rows.map((g) => applyProjection(renderGroup(ctx.schemas.Group, ctx.baseUrl, g, members ? members.get(g.id) ?? [] : undefined), q.projection));
  return listResponse(resources, page.total, q.startIndex);
}

export async function replaceGroup(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  const { doc, members } = groupDoc(ctx, body, true);
  const next = (current: StoredResource) => (checkRequired(ctx.schemas.Group, doc, current.doc), { doc, memberOps: [{ kind: 'replace' as const, members }] });
  return mutate(ctx, { kind: 'replace', type: 'Group', id, ifMatch, next }, (tx, change) => render(ctx, tx, change.after!, projection));
}

export async function patchGroup(ctx: ScimContext, id: string, body: unknown, ifMatch?: string, projection?: Projection): Promise<Rendered> {
  const next = (current: StoredResource) => {
    const result = applyPatch(ctx.schemas.Group, current.doc, body, EXTERNAL, ctx.ignored);
    checkRequired(ctx.schemas.Group, result.doc, current.doc);
    if (result.changed) checkAttributeLimits(result.doc, ctx.attributeLimits);
    return { doc: result.doc, memberOps: result.memberOps };
  };
  return mutate(ctx, { kind: 'patch', type: 'Group', id, ifMatch, next }, (tx, change) => render(ctx, tx, change.after!, projection));
}

export async function deleteGroup(ctx: ScimContext, id: string, ifMatch?: string): Promise<void> {
  await mutate(ctx, { kind: 'delete', type: 'Group', id, ifMatch }, async () => undefined);
}
