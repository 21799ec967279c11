// What a tenant or token action writes besides the change itself, in the change's own transaction
// (store.ts ActionRecord): its audit entry and its tenant.* / token.* events (docs/events.md). The
// event data names the tenant and the token as the app needs them, never a token's secret or hash.
import type { EventType } from '../../events/event-types.ts';
import { newEvent } from '../../events/outbox.ts';
import type { ActionRecord, Tenant, TokenRecord } from '../../store/store.ts';
import { auditEntry, eventActor, type Actor, type AuditTarget } from '../admin/audit.ts';

export const tenantData = (t: Pick<Tenant, 'id' | 'slug' | 'name'>) => ({ id: t.id, slug: t.slug, name: t.name });

/** A token as events show it: what a listing shows, without the hash (the secret is never stored). */
export const tokenData = (r: TokenRecord) => ({ id: r.id, name: r.name, hint: r.hint, createdAt: r.createdAt, expiresAt: r.expiresAt, revokedAt: r.revokedAt });

export interface ActionOf {
  at: string;
  by: Actor;
  tenant: Pick<Tenant, 'id' | 'slug'>;
  /** The audit log's action ("tenant.create", "token.rotate", …), its target and summary. */
  action: string;
  target: AuditTarget['type'];
  targetId: string;
  summary?: Record<string, unknown>;
  /** The events, in order; none when nothing the app sees changed. */
  events: [EventType, Record<string, unknown>][];
}

/** One action's audit entry and events, at one time, naming one actor and request. */
export function actionRecord(a: ActionOf): ActionRecord {
  const actor = eventActor(a.by);
  return {
    audit: auditEntry(a.at, a.by, a.action, { type: a.target, id: a.targetId, tenantId: a.tenant.id }, a.summary),
    events: a.events.map(([type, data]) => newEvent(a.tenant, type, a.at, actor, a.by.requestId, data)),
  };
}
