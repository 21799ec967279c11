// Where events go once committed: a webhook endpoint, the welcome email, the in-process listeners.
// The delivery engine (events/engine.ts) claims a consumer's stream of one tenant's events, hands
// them one at a time, in position order, to the consumer kind's Sink, and acts on the outcome:
// next event, retry later (backoff), or stop (dead letter, disabled endpoint).
import type { EventRecord } from '../store/store.ts';

/** What one attempt at one event came to. */
export interface DeliveryOutcome {
  /** Delivered: the stream moves on. */
  ok: boolean;
  /** The event does not concern this consumer (e.g. the tenant's welcome email is off): moves on, recorded as skipped. */
  skipped?: boolean;
  /** HTTP status, or SMTP reply code, when there was one. */
  status?: number;
  /** Why it failed, in words, without secrets (shown in the admin API's delivery attempts). */
  error?: string;
  /** The receiver asked for a pause (Retry-After on 429/503): the next attempt waits at least this long. */
  retryAfterMs?: number;
  /** The receiver said it is gone for good (HTTP 410): the consumer is disabled. */
  disable?: boolean;
  /** This event can never be delivered (e.g. SMTP 5xx for its recipient): dead-letter it now, no retries. */
  permanent?: boolean;
}

/** One consumer of events, as the engine hands it to its Sink. */
export interface ConsumerView {
  id: string;
  kind: 'webhook' | 'email' | 'listeners';
  /** null: every tenant's events. */
  tenantId: string | null;
  url: string | null;
}

export interface Sink {
  /** Whether this process can deliver for this kind now (the listeners' sink: only while some are registered). */
  active?(): boolean;
  deliver(event: EventRecord, consumer: ConsumerView, signal: AbortSignal): Promise<DeliveryOutcome>;
  /** Releases what it holds (the SMTP transport) once the engine has stopped. */
  close?(): void;
}
