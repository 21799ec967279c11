// Webhook endpoints, as the admin API manages them (docs/events.md "Webhooks"): per tenant or global,
// each with a URL, a secret shown once, an event-type filter and an enabled flag; their delivery
// attempts and dead letters, and replay. The routes (http/admin/) call these use cases and turn an
// EndpointError into a problem+json answer.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../provisioning/clock.ts';
import type { ConsumerRecord, DeadLetter, DeliveryAttempt, DeliveryOutcomeName, Scan, Store, Tenant } from '../store/store.ts';
import { expandTypes } from './event-types.ts';
import { AddressRefused, checkEndpointUrl, type AddressPolicy } from './webhook-address-guard.ts';
import { newWebhookSecret } from './webhook-signing.ts';

/** A request the use cases refuse: the status the admin API answers with, and the input at fault. */
export class EndpointError extends Error {
  constructor(message: string, readonly status: 400 | 404 | 409 = 400, readonly field?: string) { super(message); }
}

/** An endpoint as listed: everything but its secret. */
export interface Endpoint {
  id: string;
  /** null: a global endpoint, receiving every tenant's events. */
  tenantId: string | null;
  url: string;
  description: string | null;
  /** The event types it receives; null: all. */
  types: string[] | null;
  enabled: boolean;
  /** 'ok'; 'failing' once an event was dead-lettered (until a delivery succeeds); 'gone' after a 410 (until re-enabled). */
  state: ConsumerRecord['state'];
  stateReason: string | null;
  /** While a rotated-out secret still signs: until when. */
  previousSecretUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointInput {
  url: string;
  /** Event types or "resource.*" patterns; null or absent: every type. */
  types?: string[] | null;
  description?: string | null;
  enabled?: boolean;
}

export type EndpointPatch = Partial<EndpointInput>;

/** Which endpoints a caller may reach: one tenant's (its id), the global ones (null), or any (undefined). */
export type EndpointScope = string | null | undefined;

const MAX_URL = 2048;
const MAX_DESCRIPTION = 1000;
const DEFAULT_OVERLAP_MS = 24 * 60 * 60 * 1000;
const MAX_OVERLAP_MS = 7 * 24 * 60 * 60 * 1000;

export const newEndpointId = (): string => `wh_${randomBytes(12).toString('base64url')}`;

function view(c: ConsumerRecord, now: number): Endpoint {
  const overlap = c.previousSecret && c.previousUntil && Date.parse(c.previousUntil) > now ? c.previousUntil : null;
  return {
    id: c.id, tenantId: c.tenantId, url: c.url ?? '', description: c.description, types: c.types, enabled: c.enabled,
    state: c.state, stateReason: c.stateReason, previousSecretUntil: overlap, createdAt: c.createdAt, updatedAt: c.updatedAt,
  };
}

export class WebhookEndpoints {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly policy: AddressPolicy) {}

  private now(): string { return new Date(this.clock.now()).toISOString(); }

  /** Creates an endpoint; the secret is returned this once (it is never listed). */
  async create(tenant: Tenant | null, input: EndpointInput): Promise<{ endpoint: Endpoint; secret: string }> {
    if (!input || typeof input !== 'object') throw new EndpointError('Send a JSON object with at least "url".', 400);
    const url = this.url(input.url);
    const types = input.types === undefined ? null : this.types(input.types);
    const description = input.description === undefined ? null : this.description(input.description);
    const enabled = input.enabled === undefined ? true : this.enabled(input.enabled);
    const secret = newWebhookSecret();
    // An endpoint starts at the head: every event committed before it must have its position first
    // (PostgreSQL numbers them after commit), or it would be sent events older than itself.
    await this.store.sequenceEvents({ wait: true });
    const c = await this.store.createConsumer({
      id: newEndpointId(), kind: 'webhook', tenantId: tenant?.id ?? null, url, description, types, enabled,
      secret, previousSecret: null, previousUntil: null, createdAt: this.now(),
    });
    return { endpoint: view(c, this.clock.now()), secret };
  }

  async list(scope: EndpointScope, scan: Scan): Promise<Endpoint[]> {
    const rows = await this.store.listConsumers({ kind: 'webhook', tenantId: scope }, scan);
    return rows.map((c) => view(c, this.clock.now()));
  }

  async get(id: string, scope?: EndpointScope): Promise<Endpoint> {
    return view(await this.find(id, scope), this.clock.now());
  }

  /** Changes url, types, description or enabled; re-enabling an endpoint the receiver said was gone (410) makes it 'ok' again. */
  async update(id: string, patch: EndpointPatch, scope?: EndpointScope): Promise<Endpoint> {
    if (!patch || typeof patch !== 'object') throw new EndpointError('Send a JSON object of the fields to change.', 400);
    const current = await this.find(id, scope);
    const changes: Parameters<Store['updateConsumer']>[1] = {};
    if (patch.url !== undefined) changes.url = this.url(patch.url);
    if (patch.types !== undefined) changes.types = this.types(patch.types);
    if (patch.description !== undefined) changes.description = this.description(patch.description);
    if (patch.enabled !== undefined) {
      changes.enabled = this.enabled(patch.enabled);
      if (changes.enabled && current.state === 'gone') { changes.state = 'ok'; changes.stateReason = null; }
    }
    const c = await this.store.updateConsumer(id, changes, this.now());
    if (!c) throw notFound(id);
    return view(c, this.clock.now());
  }

  /**
   * A new secret, returned this once. The previous one goes on signing beside it for `overlapMs`
   * (default 24 h, at most 7 days; 0 ends it now), so receivers can switch without losing a delivery.
   */
  async rotateSecret(id: string, options: { overlapMs?: number } = {}, scope?: EndpointScope): Promise<{ endpoint: Endpoint; secret: string }> {
    const overlap = options.overlapMs ?? DEFAULT_OVERLAP_MS;
    if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_OVERLAP_MS) {
      throw new EndpointError(`The overlap must be a whole number of milliseconds from 0 to ${MAX_OVERLAP_MS} (7 days).`, 400, 'overlapMs');
    }
    const current = await this.find(id, scope);
    const secret = newWebhookSecret();
    const c = await this.store.updateConsumer(id, {
      secret,
      previousSecret: overlap > 0 ? current.secret : null,
      previousUntil: overlap > 0 ? new Date(this.clock.now() + overlap).toISOString() : null,
    }, this.now());
    if (!c) throw notFound(id);
    return { endpoint: view(c, this.clock.now()), secret };
  }

  async delete(id: string, scope?: EndpointScope): Promise<void> {
    await this.find(id, scope);
    if (!(await this.store.deleteConsumer(id))) throw notFound(id);
  }

  /** Delivery attempts, newest first; page with `scan.after` = the last one's seq. */
  async listAttempts(id: string, query: { tenantId?: string; eventId?: string; outcome?: DeliveryOutcomeName }, scan: Scan, scope?: EndpointScope): Promise<DeliveryAttempt[]> {
    await this.find(id, scope);
    if (scan.after !== undefined && !/^\d{1,15}$/.test(scan.after)) throw new EndpointError('The cursor is not one this list gave.', 400, 'after');
    return this.store.listAttempts(id, query, scan);
  }

  async listDeadLetters(id: string, query: { tenantId?: string; pending?: boolean }, scan: Scan, scope?: EndpointScope): Promise<DeadLetter[]> {
    await this.find(id, scope);
    if (scan.after !== undefined && !/^\d{1,15}$/.test(scan.after)) throw new EndpointError('The cursor is not one this list gave.', 400, 'after');
    return this.store.listDeadLetters(id, query, scan);
  }

  /**
   * Delivers again: one dead letter (by its seq), on its own; or, from an event on, that event and
   * every later one of its tenant, in order (the endpoint's stream of that tenant is moved back).
   */
  async replay(id: string, what: { deadLetter: number } | { fromEvent: string }, scope?: EndpointScope): Promise<{ replayed: 'deadLetter' | 'fromEvent' }> {
    const c = await this.find(id, scope);
    if ('deadLetter' in what) {
      if (!Number.isSafeInteger(what.deadLetter)) throw new EndpointError('deadLetter must be a dead letter\'s seq (a number).', 400, 'deadLetter');
      const letter = await this.store.replayDeadLetter(id, what.deadLetter, this.now());
      if (!letter) throw new EndpointError(`Endpoint ${id} has no dead letter ${what.deadLetter}.`, 404, 'deadLetter');
      return { replayed: 'deadLetter' };
    }
    if (typeof what.fromEvent !== 'string' || !/^evt_[A-Za-z0-9_-]{1,64}$/.test(what.fromEvent)) throw new EndpointError('fromEvent must be an event id (evt_…).', 400, 'fromEvent');
    const event = await this.store.getEvent(what.fromEvent);
    // A tenant's endpoint never receives another tenant's events: such an id is unknown to it.
    if (!event || (c.tenantId !== null && event.tenantId !== c.tenantId)) throw new EndpointError(`No event ${what.fromEvent} is kept for this endpoint (it may be older than the retention).`, 404, 'fromEvent');
    if (!(await this.store.replayFrom(id, what.fromEvent, this.now()))) throw new EndpointError(`No event ${what.fromEvent} is kept.`, 404, 'fromEvent');
    return { replayed: 'fromEvent' };
  }

  private async find(id: string, scope: EndpointScope): Promise<ConsumerRecord> {
    const c = typeof id === 'string' && /^wh_[A-Za-z0-9_-]{1,64}$/.test(id) ? await this.store.getConsumer(id) : undefined;
    if (!c || c.kind !== 'webhook' || (scope !== undefined && c.tenantId !== scope)) throw notFound(id);
    return c;
  }

  private url(raw: unknown): string {
    if (typeof raw !== 'string' || !raw.trim()) throw new EndpointError('"url" must be the receiver\'s https:// URL.', 400, 'url');
    if (raw.length > MAX_URL) throw new EndpointError(`"url" must be at most ${MAX_URL} characters.`, 400, 'url');
    try {
      return checkEndpointUrl(raw.trim(), this.policy).href;
    } catch (err) {
      if (err instanceof AddressRefused) throw new EndpointError(err.message, 400, 'url');
      throw err;
    }
  }

  private types(raw: unknown): string[] | null {
    if (raw === null) return null;
    if (!Array.isArray(raw) || raw.some((t) => typeof t !== 'string')) throw new EndpointError('"types" must be an array of event types such as "user.created" or "group.*", or null for every type.', 400, 'types');
    if (!raw.length) throw new EndpointError('"types" is empty, so nothing would be sent: list some event types, or use null for every type.', 400, 'types');
    const { types, unknown } = expandTypes(raw as string[]);
    if (unknown.length) throw new EndpointError(`Unknown event type(s): ${unknown.map((u) => JSON.stringify(u.slice(0, 100))).join(', ')}.`, 400, 'types');
    return types;
  }

  private description(raw: unknown): string | null {
    if (raw === null) return null;
    if (typeof raw !== 'string' || raw.length > MAX_DESCRIPTION) throw new EndpointError(`"description" must be a string of at most ${MAX_DESCRIPTION} characters.`, 400, 'description');
    return raw;
  }

  private enabled(raw: unknown): boolean {
    if (typeof raw !== 'boolean') throw new EndpointError('"enabled" must be true or false.', 400, 'enabled');
    return raw;
  }
}

function notFound(id: string): EndpointError {
  return new EndpointError(`No webhook endpoint ${JSON.stringify(String(id).slice(0, 100))}.`, 404);
}
