// A small limit on what setup sessions write (docs/console.md "What a setup link can reach"): SCIM
// tokens created, SAML connections saved and tested, and the link opened again (each opening is a
// new session). The customer's IT admin does a handful of these; a leaked link, or a script behind
// one, must not make thousands of tokens or test sign-ins. Counted per tenant and process, in this
// object's memory (made with the admin routes, house rule 4), after the session is authenticated.
// Admin keys and admin console sessions are not limited: they are the vendor's own.
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../provisioning/clock.ts';
import { TenantLimiter, type Limits } from '../tenant-limiter.ts';
import { Problem } from './problem.ts';

/** 30 writes at once, then one every 10 seconds: a setup takes a few; retrying a test sign-in a few dozen. */
export const SETUP_WRITES: Limits = { requestsPerSecond: 0.1, burst: 30, concurrentRequests: Infinity };

const READS = new Set(['GET', 'HEAD']);

export class SetupWriteLimit {
  private readonly limiter: TenantLimiter;

  constructor(clock: Clock) {
    this.limiter = new TenantLimiter(clock);
  }

  /** Counts one setup-session write for the tenant, or throws the 429 problem (with Retry-After). */
  take(tenantId: string): void {
    const admission = this.limiter.admit(tenantId, SETUP_WRITES);
    if (!admission.admitted) {
      const s = admission.retryAfterSeconds;
      throw new Problem(429, 'too-many-requests',
        `This setup link has made too many changes in a short time (at most ${SETUP_WRITES.burst} at once, then one every ${1 / SETUP_WRITES.requestsPerSecond} seconds). Retry after ${s} second${s === 1 ? '' : 's'}.`,
        { reason: 'setupWrites' }, { 'Retry-After': String(s) });
    }
    admission.release(); // a rate only: nothing is counted as in progress
  }

  /**
   * The onRequest hook after authentication (http/admin/index.ts): a setup session's writes count,
   * but not signing out or completing the setup (the 'session' routes), which end it.
   */
  readonly hook = async (request: FastifyRequest): Promise<void> => {
    const session = request.consoleSession;
    if (session?.kind !== 'setup' || READS.has(request.method) || request.routeOptions.config?.setup === 'session') return;
    this.take(session.setup.tenant.id);
  };
}
