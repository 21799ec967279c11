// A token bucket and a count of requests in progress per key (a tenant), in this process's memory:
// what the SCIM limits (http/scim/rate-limit.ts) and the setup-session write limit
// (http/admin/setup-limit.ts) are made of. A check is a map lookup and a little arithmetic. Made by
// its owner (house rule 4); time comes from the injected clock, so tests move it instead of sleeping.
import type { Clock } from '../provisioning/clock.ts';

/** A bucket of `burst` requests refilled at `requestsPerSecond`, and `concurrentRequests` in progress at most. */
export interface Limits { requestsPerSecond: number; burst: number; concurrentRequests: number }

/** One tenant's bucket and its requests in progress. */
interface TenantState { tokens: number; at: number; inFlight: number }

export type Admission =
  | { admitted: true; release: () => void }
  | { admitted: false; limit: 'requestRate' | 'concurrentRequests'; retryAfterSeconds: number };

/**
 * Tenants are tracked only while they have requests in progress or a bucket not yet full again;
 * past this many entries, the ones in neither state are dropped (they would read the same when made
 * anew), so the map holds the tenants active in the last burst/rate seconds and never grows for ever.
 */
const SWEEP_AT = 10_000;

export class TenantLimiter {
  private readonly tenants = new Map<string, TenantState>();

  constructor(private readonly clock: Clock) {}

  /**
   * Admits one request of the tenant or says which limit refuses it and for how long. A refused
   * request spends nothing, so a client that waits Retry-After out is then admitted. The release
   * of an admitted request must be called once it is over (calling it again does nothing).
   */
  admit(key: string, limits: Limits): Admission {
    const now = this.clock.now();
    const state = this.refill(key, limits, now);
    if (state.inFlight >= limits.concurrentRequests) {
      // A slot frees when any request of the tenant finishes, which is milliseconds away: the least
      // Retry-After can say is 1 second.
      return { admitted: false, limit: 'concurrentRequests', retryAfterSeconds: 1 };
    }
    if (state.tokens < 1) {
      return { admitted: false, limit: 'requestRate', retryAfterSeconds: secondsUntilToken(state, limits) };
    }
    state.tokens -= 1;
    state.inFlight += 1;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        state.inFlight -= 1;
      },
    };
  }

  /**
   * Charges `count` more requests to an admitted one (a /Bulk request's other operations). The bucket
   * may go below zero: the request itself is not refused half-read, the tenant's next requests wait
   * until the rate has paid the operations back.
   */
  charge(key: string, count: number, limits: Limits): void {
    if (count <= 0) return;
    const state = this.refill(key, limits, this.clock.now());
    state.tokens -= count;
  }

  /**
   * Seconds until the bucket holds a request again (0: it holds one now). Takes nothing, and tracks
   * no new key: a key without a bucket has a full one (the failed-authentication check asks this on
   * every request, and most tenants never fail one).
   */
  waiting(key: string, limits: Limits): number {
    if (!this.tenants.has(key)) return 0;
    const state = this.refill(key, limits, this.clock.now());
    return state.tokens >= 1 ? 0 : secondsUntilToken(state, limits);
  }

  /** Takes one request from the bucket if it holds any (a failure counted; never below empty). */
  spend(key: string, limits: Limits): void {
    const state = this.refill(key, limits, this.clock.now());
    state.tokens = Math.max(0, state.tokens - 1);
  }

  /** Tenants tracked now (for tests of the sweep). */
  get size(): number { return this.tenants.size; }

  private refill(key: string, limits: Limits, now: number): TenantState {
    let state = this.tenants.get(key);
    if (!state) {
      if (this.tenants.size >= SWEEP_AT) this.sweep(limits, now);
      state = { tokens: limits.burst, at: now, inFlight: 0 };
      this.tenants.set(key, state);
      return state;
    }
    // A clock that went back (a test's, or the system's) adds nothing and takes nothing: the bucket
    // refills again from its last time once the clock has passed it.
    if (now > state.at) {
      state.tokens = Math.min(limits.burst, state.tokens + ((now - state.at) * limits.requestsPerSecond) / 1000);
      state.at = now;
    }
    return state;
  }

  /**
   * Drops tenants with nothing in progress and a bucket refilled by now (at the rate given, a bound
   * for the others'). If that frees too little (keys made up faster than they refill), everything
   * is forgotten, so a sweep never runs on every request: forgetting only ever lets requests through.
   */
  private sweep(limits: Limits, now: number): void {
    for (const [key, s] of this.tenants) {
      if (s.inFlight === 0 && s.tokens + ((now - s.at) * limits.requestsPerSecond) / 1000 >= limits.burst) this.tenants.delete(key);
    }
    if (this.tenants.size > SWEEP_AT / 2) {
      // In-progress counts are lost with it: their releases then act on states no longer in the map.
      this.tenants.clear();
    }
  }
}

/** Whole seconds (at least 1) until the bucket's refill brings it back to one request. */
function secondsUntilToken(state: TenantState, limits: Limits): number {
  return Math.max(1, Math.ceil((1 - state.tokens) / limits.requestsPerSecond));
}
