// In-process listeners (issue #10 item 4; docs/library.md "Events"): the vendor's own code, when
// Rollcall is embedded, called with each event after its change committed. `rc.on(type, fn)` adds
// to the ListenerRegistry of that Rollcall instance; the delivery engine runs the ListenerSink like
// any other consumer, in position order per tenant, never inside a SCIM request's transaction, so
// a slow or failing listener cannot slow or fail the identity provider's request.
//
// At-least-once, as webhooks: if any listener of an event throws or rejects, the event fails and
// the engine retries it with its backoff, and on the retry EVERY listener matching that event runs
// again, including those that succeeded. Later events of that tenant wait behind it. Listeners
// should therefore be idempotent (the event id is the same on every call).
import { Registrations } from '../provisioning/registrations.ts';
import { EVENT_TYPES, expandTypes, type EventType } from './event-types.ts';
import { payloadOf, type EventPayload } from './payload.ts';
import type { EventRecord } from '../store/store.ts';
import type { ConsumerView, DeliveryOutcome, Sink } from './sink.ts';

/** A listener: the event as webhooks and the feed carry it, and a signal that aborts when the engine gives up on the attempt. */
export type EventListener = (event: EventPayload, context: { signal: AbortSignal }) => unknown;

/** A type pattern that names no event type: refused when the listener is added, not ignored. */
export class UnknownEventType extends Error {
  constructor(readonly patterns: string[]) {
    super(`${patterns.map((p) => JSON.stringify(p)).join(', ')} ${patterns.length === 1 ? 'is not an event type' : 'are not event types'}: use a type (${EVENT_TYPES.slice(0, 3).join(', ')}, …), a resource's every type ("user.*", "group.*"), or "*".`);
    this.name = 'UnknownEventType';
  }
}

interface Registration { pattern: string; types: ReadonlySet<EventType> | 'all'; fn: EventListener }

/** The listeners of one Rollcall instance, in the order they were added. */
export class ListenerRegistry {
  private readonly registrations = new Registrations<Registration>();

  /**
   * Calls `fn` with every event of `pattern`: a type ("user.deactivated"), a resource's every type
   * ("user.*") or "*" (all). Returns a function that removes exactly this registration. The same
   * function added twice is called twice.
   */
  on(pattern: string, fn: EventListener): () => void {
    if (typeof fn !== 'function') throw new TypeError('A listener must be a function: rc.on("user.created", (event) => { … }).');
    if (typeof pattern !== 'string') throw new UnknownEventType([String(pattern)]);
    let types: Registration['types'] = 'all';
    if (pattern !== '*') {
      const expanded = expandTypes([pattern]);
      if (expanded.unknown.length) throw new UnknownEventType(expanded.unknown);
      types = new Set(expanded.types);
    }
    return this.registrations.add({ pattern, types, fn });
  }

  /** Removes the earliest registration of `fn` under `pattern` (as EventEmitter's off does); false if there was none. */
  off(pattern: string, fn: EventListener): boolean {
    return this.registrations.remove(pattern, fn);
  }

  /** How many registrations there are. */
  get size(): number {
    return this.registrations.size;
  }

  /** The listeners an event of this type goes to, in the order they were added. */
  matching(type: string): EventListener[] {
    return this.registrations.matching((r) => r.types === 'all' || r.types.has(type as EventType));
  }
}

/** Where the engine's 'listeners' consumer delivers: this process's registry. */
export class ListenerSink implements Sink {
  constructor(private readonly registry: ListenerRegistry) {}

  /** Only a process with listeners delivers them (several Rollcall processes may share a database, each with its own). */
  active(): boolean {
    return this.registry.size > 0;
  }

  async deliver(event: EventRecord, _consumer: ConsumerView, signal: AbortSignal): Promise<DeliveryOutcome> {
    const listeners = this.registry.matching(event.type);
    if (!listeners.length) return { ok: true, skipped: true, error: `no listener for ${event.type}` };
    const failures: string[] = [];
    // One after another, in the order they were added, each awaited; each gets its own copy, so one
    // listener changing the object cannot change what the next one sees.
    for (const fn of listeners) {
      if (signal.aborted) return { ok: false, error: 'the attempt was aborted before every listener ran' };
      try {
        await untilAborted(Promise.resolve(fn(structuredClone(payloadOf(event)), { signal })), signal);
      } catch (err) {
        failures.push(describe(err));
      }
    }
    if (!failures.length) return { ok: true };
    return { ok: false, error: `${failures.length} of ${listeners.length} listeners failed: ${failures.join('; ')}`.slice(0, 1000) };
  }
}

/** A listener's promise, or a rejection when the engine aborts the attempt (a listener that never settles would hold its tenant's events forever). */
function untilAborted(p: Promise<unknown>, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('did not finish before the attempt was aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  try { return `threw ${JSON.stringify(err)}`; } catch { return 'threw a value that is not an Error'; }
}
