// The outbox: the last of every change's hooks (provisioning/mutate.ts), writing the change's events
// in the change's own transaction. A change cannot commit without its events, nor an event without
// its change, whatever happens to the process afterwards: delivery (events/engine.ts) reads them
// from the table once they have committed.
import { randomUUID } from 'node:crypto';
import { renderGroup, renderUser } from '../scim/render.ts';
import type { EventActor, NewEvent, StoreTx, Tenant } from '../store/store.ts';
import type { ScimContext } from '../provisioning/context.ts';
import type { Change, ChangeHook } from '../provisioning/mutate.ts';
import type { EventType } from './event-types.ts';

/**
 * "evt_", the time in ms as 12 hex digits, then 20 random hex digits (80 bits): unique without
 * coordination, the same on every delivery. Time first, so ids are inserted in order into their
 * unique index: random ids dirtied a different index page per write, and the commit wrote them all
 * (bench, docs/performance.md "Issue 10"). randomUUID draws from Node's cached entropy.
 */
export const newEventId = (): string => `evt_${Date.now().toString(16).padStart(12, '0')}${randomUUID().replace(/-/g, '').slice(12, 32)}`;

type Names = Map<string, { type: 'User' | 'Group'; name: string }>;

/** The events of one change of a user or group, in the order they happened. */
export async function eventsOf(tx: StoreTx, change: Change, ctx: ScimContext): Promise<NewEvent[]> {
  const out: NewEvent[] = [];
  const emit = (type: EventType, data: Record<string, unknown>) => out.push(newEvent(ctx.tenant, type, change.at, ctx.actor, ctx.requestId, data));
  const tenantId = ctx.tenant.id;

  if (change.resourceType === 'User') {
    const user = (r: NonNullable<Change['after']>) => renderUser(ctx.schemas.User, ctx.baseUrl, r);
    if (change.kind === 'create') {
      emit('user.created', { user: user(change.after!) });
      return out;
    }
    // Memberships it left (deleted, or deactivated under the remove-memberships mode): each one an
    // event, first, so the app never keeps a member that is gone.
    const left = change.leftGroups ?? [];
    if (left.length) {
      const names = await tx.namesOf(tenantId, left);
      const member = { id: change.id, type: 'User', userName: change.before!.doc.userName };
      for (const g of left) emit('group.member_removed', { group: { id: g, displayName: names.get(g)?.name ?? null }, member });
    }
    if (change.kind === 'delete') {
      emit('user.deleted', { user: user(change.before!) });
    } else if (change.changedPaths.length || change.linked) {
      const paths = change.changedPaths.filter((p) => p !== 'active');
      const wasActive = change.before!.doc.active !== false;
      const isActive = change.after!.doc.active !== false;
      const rendered = user(change.after!); // one rendering for both events of a PATCH that does both
      // A linked user: its local document (replaced by the IdP's) travels in the event as `previous`.
      if (change.linked) emit('user.linked', { user: rendered, previous: user(change.before!), changedPaths: paths });
      else if (paths.length) emit('user.updated', { user: rendered, changedPaths: paths });
      if (wasActive !== isActive) emit(isActive ? 'user.reactivated' : 'user.deactivated', { user: rendered });
    }
    return out;
  }

  const group = (r: NonNullable<Change['after']>) => renderGroup(ctx.schemas.Group, ctx.baseUrl, r);
  const current = change.after ?? change.before!;
  const ref = { id: change.id, displayName: current.doc.displayName };
  const steps = change.memberSteps ?? [];
  const memberIds = steps.flatMap((s) => s.ids);
  const names: Names = memberIds.length ? await tx.namesOf(tenantId, memberIds) : new Map<string, { type: 'User' | 'Group'; name: string }>();
  const memberEvents = () => {
    for (const step of steps) {
      const type = step.added ? 'group.member_added' : 'group.member_removed';
      for (const id of step.ids) emit(type, { group: ref, member: memberOf(id, names) });
    }
  };

  if (change.kind === 'create') {
    emit('group.created', { group: group(change.after!) });
    memberEvents();
  } else if (change.kind === 'delete') {
    memberEvents();
    const left = change.leftGroups ?? [];
    if (left.length) {
      const parents = await tx.namesOf(tenantId, left);
      for (const g of left) emit('group.member_removed', { group: { id: g, displayName: parents.get(g)?.name ?? null }, member: { id: change.id, type: 'Group', displayName: current.doc.displayName } });
    }
    emit('group.deleted', { group: group(change.before!) });
  } else {
    const paths = change.changedPaths.filter((p) => p !== 'members');
    if (paths.length) emit('group.updated', { group: group(change.after!), changedPaths: paths });
    memberEvents();
  }
  return out;
}

function memberOf(id: string, names: Names): Record<string, unknown> {
  const found = names.get(id);
  if (!found) return { id, type: 'User', userName: null };
  return found.type === 'User' ? { id, type: 'User', userName: found.name } : { id, type: 'Group', displayName: found.name };
}

export function newEvent(tenant: Pick<Tenant, 'id' | 'slug'>, type: EventType, at: string, actor: EventActor, requestId: string | null, data: Record<string, unknown>): NewEvent {
  return { id: newEventId(), tenantId: tenant.id, tenantSlug: tenant.slug, type, at, actor, requestId, data };
}

/** The ChangeHook every Provisioning service ends with (provisioning/service.ts). */
export const outbox: ChangeHook = async (tx, change, ctx) => {
  const events = await eventsOf(tx, change, ctx);
  // After the change's own events: a role follows from the membership that grants it.
  if (change.derivedEvents?.length) events.push(...change.derivedEvents);
  await tx.appendEvents(events);
};
