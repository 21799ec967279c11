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
import { TenantLimiter, type Admission, type Limits } from '../tenant-limiter.ts';

/** The limits in force for one tenant: its settings over the server defaults. */
export function limitsFor(defaults: Readonly<RateLimitConfig>, tenant: Readonly<LimitsSettings> | undefined): Limits {
  // Most tenants override nothing: the defaults themselves, no object made per request.
  if (tenant?.requestsPerSecond === undefined && tenant?.burst === undefined && tenant?.concurrentRequests === undefined) return defaults;
  return {
    requestsPerSecond: tenant?.requestsPerSecond ?? defaults.requestsPerSecond,
    burst: tenant?.burst ?? defaults.burst,
    concurrentRequests: tenant?.concurrentRequests ?? defaults.concurrentRequests,
  };
}

/**
 * Failed authentications on one tenant URL, per process: a burst of 100, then 10 a second. An IdP
 * with a wrong token fails a few times a minute; this is far beyond that, and keeps a flood of
 * made-up tokens from costing a database lookup each. Tokens are 256-bit random: there is nothing
 * to guess, so this is about load, not brute force.
 */
export const FAILED_AUTHENTICATIONS: Limits = { requestsPerSecond: 10, burst: 100, concurrentRequests: Infinity };

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
