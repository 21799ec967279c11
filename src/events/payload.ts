// An event as the vendor's app receives it: the webhook body, the feed's item and the in-process
// listener's argument are this same object (docs/events.md).
import type { EventActor, EventRecord } from '../store/store.ts';

export interface EventPayload {
  id: string;
  type: string;
  /** When the change happened (ISO 8601, UTC). */
  timestamp: string;
  tenant: { id: string; slug: string };
  /** Commit order over all tenants; gap-free. */
  position: number;
  /** Commit order within the tenant: 1, 2, 3, … with no gaps, so a missed event shows. */
  tenantPosition: number;
  actor: EventActor;
  requestId: string | null;
  data: Record<string, unknown>;
}

export function payloadOf(e: EventRecord): EventPayload {
  return {
    id: e.id, type: e.type, timestamp: e.at, tenant: { id: e.tenantId, slug: e.tenantSlug },
    position: e.position, tenantPosition: e.tenantPosition, actor: e.actor, requestId: e.requestId, data: e.data,
  };
}
