// Per-tenant limits on SCIM requests (docs/rate-limits.md): a request rate (a token bucket: a
// sustained rate with a burst) and requests in progress at once. Checked after authentication, so an
// unauthenticated flood never spends a tenant's budget; over a limit the answer is 429 with a SCIM
// error and an integer Retry-After, which Okta and Entra both wait out before retrying.
//
// Counted in this process's memory, not in the database: a check is a map lookup and a little
// arithmetic, where a shared counter would cost a database round trip on every request. With N
// processes a tenant gets up to N times each limit; docs/rate-limits.md says how to size for that.
// One ScimLimits per SCIM surface, made when the surface is registered (house rule 4): nothing here
// is module state.
//
// Failed authentications are limited per tenant URL too, but only to spare the database: past
// FAILED_AUTHENTICATIONS, a token this process has not accepted lately is answered 429 without
// being looked up, while the tenant's own token (remembered by Authentication) still goes through.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitConfig } from '../../config/config.ts';
import type { Clock } from '../../provisioning/clock.ts';
import type { Authentication } from '../../provisioning/tenants/authentication.ts';
import type { LimitsSettings } from '../../provisioning/tenants/limits-settings.ts';
import type { EventActor, Tenant } from '../../store/store.ts';
import { ScimError, tooManyRequests } from '../../scim/errors.ts';

/** The limits in force for one tenant: its settings over the server defaults. */
export interface Limits { requestsPerSecond: number; burst: number; concurrentRequests: number }

export function limitsFor(defaults: Readonly<RateLimitConfig>, tenant: Readonly<LimitsSettings> | undefined): Limits {
  return {
    requestsPerSecond: tenant?.requestsPerSecond ?? defaults.requestsPerSecond,
    burst: tenant?.burst ?? defaults.burst,
    concurrentRequests: tenant?.concurrentRequests ?? defaults.concurrentRequests,
  };
}

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

/**
 * Failed authentications on one tenant URL, per process: a burst of 100, then 10 a second. An IdP
 * with a wrong token fails a few times a minute; this is far beyond that, and keeps a flood of
 * made-up tokens from costing a database lookup each. Tokens are 256-bit random: there is nothing
 * to guess, so this is about load, not brute force.
 */
export const FAILED_AUTHENTICATIONS: Limits = { requestsPerSecond: 10, burst: 100, concurrentRequests: Infinity };

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
      return { admitted: false, limit: 'requestRate', retryAfterSeconds: Math.max(1, Math.ceil((1 - state.tokens) / limits.requestsPerSecond)) };
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

  /** Seconds until the bucket holds a request again (0: it holds one now). Takes nothing. */
  waiting(key: string, limits: Limits): number {
    const state = this.refill(key, limits, this.clock.now());
    return state.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - state.tokens) / limits.requestsPerSecond));
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
    // A clock that went back (a test's, or the system's) adds nothing and takes nothing.
    const elapsed = Math.max(0, now - state.at);
    state.tokens = Math.min(limits.burst, state.tokens + (elapsed * limits.requestsPerSecond) / 1000);
    state.at = now;
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

/** The detail of a 429: which limit, its value, and when to come back. */
function refusal(a: Extract<Admission, { admitted: false }>, limits: Limits) {
  const seconds = `${a.retryAfterSeconds} second${a.retryAfterSeconds === 1 ? '' : 's'}`;
  if (a.limit === 'concurrentRequests') {
    return tooManyRequests(`Too many requests of this tenant in progress at once: the limit is ${limits.concurrentRequests} at a time. Retry after ${seconds} (Retry-After).`,
      a.retryAfterSeconds, { code: 'concurrentRequests', limit: limits.concurrentRequests });
  }
  return tooManyRequests(`Too many requests for this tenant: the limit is ${limits.requestsPerSecond} per second, with bursts of up to ${limits.burst}. Retry after ${seconds} (Retry-After).`,
    a.retryAfterSeconds, { code: 'requestRate', limit: limits.requestsPerSecond });
}

/** The limits of one SCIM surface (http/scim/routes.ts): tenants' requests, and failed authentications per tenant URL. */
export class ScimLimits {
  private readonly tenants: TenantLimiter;
  private readonly failures: TenantLimiter;

  constructor(clock: Clock, private readonly defaults: Readonly<RateLimitConfig>, private readonly authentication: Authentication) {
    this.tenants = new TenantLimiter(clock);
    this.failures = new TenantLimiter(clock);
  }

  /**
   * Authentication.authenticate, counting failures per tenant URL. Past FAILED_AUTHENTICATIONS, a
   * token this process has not accepted lately is refused with 429 before any lookup.
   */
  async authenticate(slug: string, authorization: string | undefined): Promise<{ tenant: Tenant; actor: EventActor }> {
    const key = slug.toLowerCase();
    const wait = this.failures.waiting(key, FAILED_AUTHENTICATIONS);
    if (wait > 0 && !this.authentication.recognises(slug, authorization)) {
      throw tooManyRequests(`Too many failed authentications on this tenant's URL: more than ${FAILED_AUTHENTICATIONS.requestsPerSecond} per second. Retry after ${wait} second${wait === 1 ? '' : 's'} (Retry-After), with the tenant's token.`,
        wait, { code: 'failedAuthentications', limit: FAILED_AUTHENTICATIONS.requestsPerSecond });
    }
    try {
      return await this.authentication.authenticate(slug, authorization);
    } catch (err) {
      if (err instanceof ScimError && err.status === 401) this.failures.spend(key, FAILED_AUTHENTICATIONS);
      throw err;
    }
  }

  /**
   * Admits an authenticated SCIM request (routes.ts, at the end of its onRequest hook) or throws the
   * 429. The slot is released when the response closes: sent, failed, or the client gone. A client
   * that disconnects frees its slot while its request may still be finishing; it has spent its
   * request of the rate all the same, so the rate still bounds what it can start.
   */
  admit(request: FastifyRequest, reply: FastifyReply): void {
    const ctx = request.scim!;
    const limits = limitsFor(this.defaults, ctx.settings.limits);
    const admission = this.tenants.admit(ctx.tenant.id, limits);
    if (!admission.admitted) throw refusal(admission, limits);
    // Gone while it was being authenticated: 'close' has fired already and would not fire again.
    if (reply.raw.closed) admission.release();
    else reply.raw.once('close', admission.release);
  }

  /** Charges a /Bulk request's operations beyond the first (http/scim/bulk.ts): each is a request's work. */
  chargeOperations(request: FastifyRequest, operations: number): void {
    const ctx = request.scim!;
    this.tenants.charge(ctx.tenant.id, operations - 1, limitsFor(this.defaults, ctx.settings.limits));
  }
}
