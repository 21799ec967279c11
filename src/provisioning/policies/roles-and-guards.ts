// The change hook of lane "roles and guards" (issue 11 items 3 and 6): works out the roles a change
// grants and revokes, checks the guards against it (a throw refuses the whole request: nothing
// written, no events), then hands the role events to the outbox, which writes them after the
// change's own. A tenant without roles or guards pays nothing: every step returns before any query.
import { newEvent } from '../../events/outbox.ts';
import type { EventActor, NewEvent, Tenant } from '../../store/store.ts';
import type { ChangeHook } from '../mutate.ts';
import { checkGuards } from './guards.ts';
import { roleNamed, type RolesSettings } from './roles-settings.ts';
import { roleDeltas, type RoleDelta } from './roles.ts';

export const rolesAndGuards: ChangeHook = async (tx, change, ctx) => {
  const deltas = await roleDeltas(tx, change, ctx);
  await checkGuards(tx, change, ctx, deltas);
  if (deltas.length) (change.derivedEvents ??= []).push(...roleEvents(ctx.tenant, deltas, [ctx.settings.policies.roles], change.at, ctx.actor, ctx.requestId));
};

/** user.role_granted / user.role_revoked, one per delta; a role's admin flag from the first settings that define it. */
export function roleEvents(tenant: Pick<Tenant, 'id' | 'slug'>, deltas: readonly RoleDelta[], settings: readonly RolesSettings[], at: string, actor: EventActor, requestId: string | null): NewEvent[] {
  return deltas.map((d) => newEvent(tenant, d.granted ? 'user.role_granted' : 'user.role_revoked', at, actor, requestId, {
    user: { id: d.userId, userName: d.userName },
    role: { name: d.role, admin: settings.map((s) => roleNamed(s, d.role)).find((r) => r !== undefined)?.admin === true },
    groups: d.via,
  }));
}
