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
 * Records an admin action. Ids sort by time: the ISO time, then this process's monotonic clock in
 * microseconds (so two entries one process writes within a millisecond keep their order, as the
 * CLI's "tenant created" then "its first token created" must), then random characters. The log
 * pages newest first by id alone. Entries of two processes within one millisecond sort in either
 * order, which is fine for actions that were concurrent anyway.
 */
export async function audit(store: Store, clock: Clock, actor: Actor, action: string, target: AuditTarget, summary: Record<string, unknown> = {}): Promise<void> {
  const at = isoNow(clock);
  await store.appendAudit({
    id: `${at}~${Math.floor(performance.now() * 1000).toString(36).padStart(11, '0')}${randomBytes(4).toString('hex')}`, at, keyId: actor.keyId, keyName: actor.keyName, action,
    tenantId: target.tenantId, targetType: target.type, targetId: target.id, summary, requestId: actor.requestId,
  });
}
