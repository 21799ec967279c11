// The one write path: every SCIM create, replace, patch and delete of a user or group goes through
// mutate(), which locks the resource, checks If-Match, builds the next state, writes it
// conditionally, and yields a Change. Policies (checking) and the outbox (appending events) take
// the Change through the context's hooks, inside the same transaction: a hook that throws undoes
// the write, and a write cannot commit without its hooks having seen it.
import { randomUUID } from 'node:crypto';
import { changedPaths } from '../scim/diff.ts';
import type { MemberOp, MemberValue } from '../scim/patch.ts';
import type { StoredResource } from '../scim/render.ts';
import { checkImmutable, type AttrDoc } from '../scim/resource.ts';
import type { NewEvent, Origin, StoreTx, UserRecord, UserStatus } from '../store/store.ts';
import { isoNow } from './clock.ts';
import { checkIfMatch, inTransaction, notFoundIn, VersionConflict, type ScimContext } from './context.ts';
import { linkTargetFor, userWrite, type UserWrite } from './policies/user-rules.ts';

export type ResourceType = 'User' | 'Group';

/** What one write did. */
export interface Change {
  kind: 'create' | 'replace' | 'patch' | 'delete';
  resourceType: ResourceType;
  id: string;
  /** The resource as it was (absent on create). */
  before?: StoredResource;
  /** The resource as it is now (absent on delete; the same as before when nothing changed). */
  after?: StoredResource;
  /**
   * The attribute paths whose values changed (scim/diff.ts), plus "members" when a group's members
   * changed. Empty when the request changed nothing: then nothing was written.
   */
  changedPaths: string[];
  /** Groups: the member ids actually added and removed, in request order (an id added then removed is in both). */
  members?: { added: string[]; removed: string[] };
  /** The same, step by step in the order they were applied (the events follow it: an id added then removed ends removed). */
  memberSteps?: { added: boolean; ids: string[] }[];
  /**
   * A deleted user or group: the groups it was a member of, and has left. Also a user the IdP
   * deactivated under the remove-memberships deprovisioning mode (policies.deprovisioning).
   */
  leftGroups?: string[];
  /**
   * Account linking (policies.linking): a local user the IdP took over, by POST /Users matching it
   * or by its first PUT/PATCH of it. Kind 'replace': `before` is the local user, `after` the
   * IdP-managed one (same id, the IdP's document).
   */
  linked?: boolean;
  /** active=false that a deprovisioning mode turned into more: 'delete' (kind 'delete') or 'remove-memberships'. */
  deprovisioned?: 'remove-memberships' | 'delete';
  /** When the change was made (the clock's time, also its lastModified). */
  at: string;
  /** Events a policy hook derived from the change (roles granted and revoked): the outbox writes them after the change's own. */
  derivedEvents?: NewEvent[];
}

/** Sees every change inside its transaction; throwing refuses it (the transaction rolls back). */
export type ChangeHook = (tx: StoreTx, change: Change, ctx: ScimContext) => Promise<void>;

/**
 * The next state of a resource: its document, and for groups the member operations to apply; for
 * a local user (admin API) its status when it changes (policies/scim-mode.ts), a changed path "status".
 */
export interface Next { doc: AttrDoc; memberOps?: MemberOp[]; status?: UserStatus }

/** Checks the current state before anything is written (the admin API: only local resources); throws to refuse. */
export type Guard = (current: StoredResource & { origin?: Origin }) => void;

/**
 * `fromIdp`: the identity provider's write (the SCIM use cases), to which the user policies apply
 * (policies/user-rules.ts); the admin API's writes of local users leave it out.
 */
export type Mutation =
  | { kind: 'create'; type: ResourceType; doc: AttrDoc; members?: MemberValue[]; origin?: Origin; status?: UserStatus; fromIdp?: boolean }
  | { kind: 'replace' | 'patch'; type: ResourceType; id: string; ifMatch?: string; guard?: Guard; next: (current: StoredResource) => Next; fromIdp?: boolean }
  | { kind: 'delete'; type: ResourceType; id: string; ifMatch?: string; guard?: Guard };

/**
 * Runs one mutation in one transaction (retried on a lost race), passes its Change through the
 * hooks, then hands it to `then` — still inside the transaction — for the response.
 */
export function mutate<T>(ctx: ScimContext, m: Mutation, then: (tx: StoreTx, change: Change) => Promise<T>): Promise<T> {
  return inTransaction(ctx, async (tx) => {
    const change = await apply(ctx, tx, m, isoNow(ctx.clock));
    for (const hook of ctx.hooks) await hook(tx, change, ctx);
    return then(tx, change);
  });
}

async function apply(ctx: ScimContext, tx: StoreTx, m: Mutation, at: string): Promise<Change> {
  const t = ctx.tenant.id;
  if (m.kind === 'create') {
    if (m.type === 'User' && m.fromIdp) {
      const target = await linkTargetFor(ctx, tx, m.doc);
      if (target) return link(ctx, tx, target.id, m.doc, at);
    }
    const record: StoredResource & { origin: Origin; status?: UserStatus } = { id: randomUUID(), doc: m.doc, created: at, lastModified: at, version: 1, origin: m.origin ?? 'scim' };
    if (m.status) record.status = m.status;
    const paths = Object.keys(m.doc).filter((k) => m.doc[k] !== undefined);
    if (m.type === 'User') {
      await tx.insertUser(t, ctx.schemas, record);
      return { kind: 'create', resourceType: 'User', id: record.id, after: record, changedPaths: paths.sort(), at };
    }
    await tx.insertGroup(t, ctx.schemas, record);
    const added = m.members?.length ? await tx.addMembers(t, record.id, m.members, at) : [];
    if (added.length) paths.push('members');
    return { kind: 'create', resourceType: 'Group', id: record.id, after: record, changedPaths: paths.sort(), members: { added, removed: [] }, memberSteps: added.length ? [{ added: true, ids: added }] : [], at };
  }

  const current = m.type === 'User' ? await tx.lockUser(t, m.id) : await tx.lockGroup(t, m.id);
  if (!current) throw notFoundIn(m.type, m.id);
  m.guard?.(current);
  checkIfMatch(m.ifMatch, current.version);

  if (m.kind === 'delete') {
    if (m.type === 'User') {
      const gone = await tx.deleteUser(t, m.id, at);
      return { kind: 'delete', resourceType: 'User', id: m.id, before: current, changedPaths: [], leftGroups: gone?.groups ?? [], at };
    }
    const gone = await tx.deleteGroup(t, m.id, at);
    const removed = gone?.members ?? [];
    return { kind: 'delete', resourceType: 'Group', id: m.id, before: current, changedPaths: [], members: { added: [], removed }, memberSteps: removed.length ? [{ added: false, ids: removed }] : [], leftGroups: gone?.groups ?? [], at };
  }

  let next = m.next(current);
  let rules: UserWrite | undefined;
  if (m.type === 'User' && m.fromIdp) {
    rules = await userWrite(ctx, tx, current, next.doc);
    next = { ...next, doc: rules.doc };
  }
  checkImmutable(ctx.schemas[m.type], current.doc, next.doc, m.kind === 'replace');
  if (rules?.deprovision === 'delete') {
    // active=false under the delete mode: as DELETE (its memberships go, each an event).
    const gone = await tx.deleteUser(t, m.id, at);
    return { kind: 'delete', resourceType: 'User', id: m.id, before: current, changedPaths: [], leftGroups: gone?.groups ?? [], deprovisioned: 'delete', at };
  }
  const steps = m.type === 'Group' ? await applyMemberOps(ctx, tx, m.id, next.memberOps ?? [], at) : undefined;
  const members = steps && { added: steps.filter((s) => s.added).flatMap((s) => s.ids), removed: steps.filter((s) => !s.added).flatMap((s) => s.ids) };
  const paths = changedPaths(current.doc, next.doc);
  if (members && (members.added.length || members.removed.length)) paths.push('members');
  if (next.status !== undefined && next.status !== ((current as UserRecord).status ?? null)) paths.push('status');
  const base = { kind: m.kind, resourceType: m.type, id: m.id, before: current, changedPaths: paths.sort(), members, memberSteps: steps, at };
  // Nothing changed: nothing written, same version (a link changes the origin: written).
  if (!paths.length && !rules?.link) return { ...base, after: current };
  const record: StoredResource & { origin?: Origin; status?: UserStatus | null } = { ...current, doc: next.doc, lastModified: at, version: current.version + 1 };
  if (next.status !== undefined) record.status = next.status;
  if (rules?.link) record.origin = 'scim';
  const written = m.type === 'User' ? await tx.updateUser(t, ctx.schemas, record, current) : await tx.updateGroup(t, ctx.schemas, record, current);
  if (!written) throw new VersionConflict();
  const change: Change = { ...base, after: record };
  if (rules?.link) change.linked = true;
  if (rules?.deprovision === 'remove-memberships') {
    // The user's version moved with this write; its groups each get a new one.
    change.leftGroups = await tx.leaveAllGroups(t, m.id, at);
    change.deprovisioned = 'remove-memberships';
  }
  return change;
}

/** Account linking on create: the local user becomes IdP-managed, keeps its id, and takes the IdP's document. */
async function link(ctx: ScimContext, tx: StoreTx, id: string, doc: AttrDoc, at: string): Promise<Change> {
  const t = ctx.tenant.id;
  const current = await tx.lockUser(t, id);
  // Gone or taken over since it was found: run the request again.
  if (!current || current.origin !== 'local') throw new VersionConflict();
  checkImmutable(ctx.schemas.User, current.doc, doc, true);
  const record: StoredResource & { origin: Origin } = { ...current, doc, lastModified: at, version: current.version + 1, origin: 'scim' };
  if (!await tx.updateUser(t, ctx.schemas, record, current)) throw new VersionConflict();
  return { kind: 'replace', resourceType: 'User', id, before: current, after: record, changedPaths: changedPaths(current.doc, doc).sort(), linked: true, at };
}

/** Applies a PATCH's member operations, set-based, collecting the ids each actually added or removed, in order. */
async function applyMemberOps(ctx: ScimContext, tx: StoreTx, groupId: string, ops: MemberOp[], at: string): Promise<{ added: boolean; ids: string[] }[]> {
  const tenantId = ctx.tenant.id;
  const steps: { added: boolean; ids: string[] }[] = [];
  const step = (added: boolean, ids: string[]) => { if (ids.length) steps.push({ added, ids }); };
  for (const op of ops) {
    switch (op.kind) {
      case 'add': step(true, await tx.addMembers(tenantId, groupId, op.members, at)); break;
      case 'remove': step(false, await tx.removeMembers(tenantId, groupId, op.values, at)); break;
      case 'removeAll': step(false, await tx.removeAllMembers(tenantId, groupId, at)); break;
      case 'removeMatching': step(false, await tx.removeMembersMatching(tenantId, ctx.schemas, groupId, op.filter, at)); break;
      case 'replace': {
        const r = await tx.replaceMembers(tenantId, groupId, op.members, at);
        step(false, r.removed);
        step(true, r.added);
        break;
      }
    }
  }
  return steps;
}
