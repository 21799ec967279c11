// The audit log of admin actions: who (admin key id and name, or the CLI), what, on which target,
// when, and a summary of what changed (names of changed fields, counts, ids: never a secret).
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.ts';
import { isoNow, type Clock } from '../clock.ts';

/** Who acted: an admin key (through the API), or the operator at the server (the CLI). */
export interface Actor { keyId: string | null; keyName: string | null; requestId: string | null }
export const CLI_ACTOR: Actor = { keyId: null, keyName: 'rollcall CLI', requestId: null };

export interface AuditTarget { type: 'tenant' | 'token' | 'user' | 'group' | 'adminKey' | 'settings'; id: string | null; tenantId: string | null }

/**
 * Records an admin action. Ids sort by time (the ISO time, then random characters), so the log pages
 * newest first by id alone; two entries of one millisecond sort in random order, which is fine for
 * a record of actions that were concurrent anyway.
 */
export async function audit(store: Store, clock: Clock, actor: Actor, action: string, target: AuditTarget, summary: Record<string, unknown> = {}): Promise<void> {
  const at = isoNow(clock);
  await store.appendAudit({
    id: `${at}~${randomBytes(6).toString('hex')}`, at, keyId: actor.keyId, keyName: actor.keyName, action,
    tenantId: target.tenantId, targetType: target.type, targetId: target.id, summary, requestId: actor.requestId,
  });
}
