// The audit log of admin actions: who (admin key id and name, or the CLI), what, on which target,
// when, and a summary of what changed (names of changed fields, counts, ids: never a secret).
import { randomBytes } from 'node:crypto';
import type { AuditEntry, EventActor, Store } from '../../store/store.ts';
import { isoNow, type Clock } from '../clock.ts';
import type { ChangeHook } from '../mutate.ts';

/**
 * Who acted: an admin key (through the API), the operator at the server (the CLI), or the vendor's
 * own code calling the use cases (the library), or a customer's IT admin through a setup link
 * ('setupLink': keyId is the link's id, keyName "setup link <note or id>"). `type` is what the action's events name as actor.
 */
export interface Actor { type: 'adminKey' | 'cli' | 'library' | 'setupLink'; keyId: string | null; keyName: string | null; requestId: string | null }
export const CLI_ACTOR: Actor = Object.freeze({ type: 'cli', keyId: null, keyName: 'rollcall CLI', requestId: null });
/** The vendor's code (library.ts, use-cases.ts), and any caller of the tenant and token use cases that names no one. */
export const LIBRARY_ADMIN_ACTOR: Actor = Object.freeze({ type: 'library', keyId: null, keyName: null, requestId: null });

/** The actor as events name it (store.ts EventActor): the same key id and name the audit entry holds. */
export const eventActor = (actor: Actor): EventActor => ({ type: actor.type, id: actor.keyId, name: actor.keyName });

export interface AuditTarget { type: 'tenant' | 'token' | 'user' | 'group' | 'adminKey' | 'settings' | 'webhook' | 'samlConnection' | 'setupLink'; id: string | null; tenantId: string | null }

/**
 * An audit entry, for the store to write (inside the action's own transaction, or by audit()). Ids
 * sort by time: the ISO time, then this process's monotonic clock in microseconds (so two entries
 * one process writes within a millisecond keep their order, as the CLI's "tenant created" then
 * "its first token created" must), then random characters. The log pages newest first by id alone.
 * Entries of two processes within one millisecond sort in either order, which is fine for actions
 * that were concurrent anyway.
 */
export function auditEntry(at: string, actor: Actor, action: string, target: AuditTarget, summary: Record<string, unknown> = {}): AuditEntry {
  return {
    id: `${at}~${Math.floor(performance.now() * 1000).toString(36).padStart(11, '0')}${randomBytes(4).toString('hex')}`, at, keyId: actor.keyId, keyName: actor.keyName, action,
    tenantId: target.tenantId, targetType: target.type, targetId: target.id, summary, requestId: actor.requestId,
  };
}

/**
 * Records an admin action after the fact, in a transaction of its own. Tenant and token actions
 * write theirs inside the action's transaction instead (tenants/tenant-records.ts).
 */
export async function audit(store: Store, clock: Clock, actor: Actor, action: string, target: AuditTarget, summary: Record<string, unknown> = {}): Promise<void> {
  await store.appendAudit(auditEntry(isoNow(clock), actor, action, target, summary));
}

/**
 * The admin API's local user and group writes (admin/directory.ts) record their audit entry through
 * this hook, inside the write's transaction with its events: an action cannot commit unrecorded.
 */
export function auditHook(actor: Actor): ChangeHook {
  return async (tx, change, ctx) => {
    const type = change.resourceType === 'User' ? 'user' : 'group';
    const action = `${type}.${change.kind === 'create' ? 'create' : change.kind === 'delete' ? 'delete' : 'replace'}`;
    const summary: Record<string, unknown> = {};
    if (change.kind === 'create') summary[type === 'user' ? 'userName' : 'displayName'] = change.after!.doc[type === 'user' ? 'userName' : 'displayName'];
    if (change.kind === 'replace' || change.kind === 'patch') { summary.version = change.after!.version; summary.changedPaths = change.changedPaths; }
    if (change.members) { summary.membersAdded = change.members.added.length; summary.membersRemoved = change.members.removed.length; }
    await tx.appendAudit(auditEntry(change.at, actor, action, { type, id: change.id, tenantId: ctx.tenant.id }, summary));
  };
}
