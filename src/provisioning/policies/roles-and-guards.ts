// The change hook of lane "roles and guards" (issue 11 items 3 and 6): works out the roles a change
// grants and revokes, checks the guards against it (a throw refuses the whole request: nothing
// written, no events), then hands the role events to the outbox, which writes them after the
// change's own. A tenant without roles or guards pays nothing: every step returns before any query.
import { newEvent } from '../../events/outbox.ts';
import type { ChangeHook } from '../mutate.ts';
import { checkGuards } from './guards.ts';
import { roleNamed } from './roles-settings.ts';
import { roleDeltas } from './roles.ts';

export const rolesAndGuards: ChangeHook = async (tx, change, ctx) => {
  const deltas = await roleDeltas(tx, change, ctx);
  await checkGuards(tx, change, ctx, deltas);
  if (!deltas.length) return;
  const roles = ctx.settings.policies.roles;
  const events = (change.derivedEvents ??= []);
  for (const d of deltas) {
    events.push(newEvent(ctx.tenant, d.granted ? 'user.role_granted' : 'user.role_revoked', change.at, ctx.actor, ctx.requestId, {
      user: { id: d.userId, userName: d.userName },
      role: { name: d.role, admin: roleNamed(roles, d.role)?.admin === true },
      groups: d.via,
    }));
  }
};
