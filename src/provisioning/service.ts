// The provisioning service, made once in main.ts: it authenticates SCIM requests and builds each
// request's use-case context (tenant, schemas, base URL, clock, hooks). The HTTP edge holds only it.
import type { AttributeLimits } from '../scim/attribute-limits.ts';
import type { DiscoveryContext } from '../scim/discovery.ts';
import type { PagingLimits } from '../scim/list.ts';
import type { EventActor, Store, Tenant } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { LIBRARY_ACTOR, type ScimContext } from './context.ts';
import type { ChangeHook } from './mutate.ts';
import { outbox } from '../events/outbox.ts';
import { tenantNowHook } from './policies/tenant-now.ts';
import { defaultGroup } from './policies/default-group.ts';
import { groupRules } from './policies/group-rules.ts';
import { rolesAndGuards } from './policies/roles-and-guards.ts';
import { SchemaCatalog } from './schemas.ts';
import { Authentication } from './tenants/authentication.ts';

/** Hooks that make the follow-up writes a change calls for, after its events (each records its own). */
const CONSEQUENCES: readonly ChangeHook[] = [defaultGroup];

export interface ProvisioningOptions {
  store: Store;
  clock: Clock;
  /** Base of every URL Rollcall returns (config.publicUrl), without a trailing slash. */
  publicUrl: string;
  paging: PagingLimits;
  /** Size bounds on written resource documents (config.attributeLimits). */
  attributeLimits: AttributeLimits;
  /** Largest accepted /Bulk request body, advertised in /ServiceProviderConfig. */
  maxPayloadSize: number;
  /** Most operations in one /Bulk request, advertised in /ServiceProviderConfig. */
  maxOperations: number;
  hooks?: ChangeHook[];
}

export class Provisioning {
  readonly store: Store;
  readonly clock: Clock;
  readonly authentication: Authentication;
  private readonly schemas: SchemaCatalog;
  private readonly checks: readonly ChangeHook[];
  private readonly hooks: readonly ChangeHook[];

  constructor(private readonly options: ProvisioningOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.authentication = new Authentication(options.store, options.clock);
    this.schemas = new SchemaCatalog(options.store);
    // The policies check every change first (a refusal costs the other hooks nothing); the outbox
    // records it only once every other hook has accepted it. After it come the consequences of the
    // change (the default group's memberships), which record their own events after the change's.
    // The tenant as committed now (SCIM mode, settings replaced during the request:
    // policies/tenant-now.ts) checks last, just before the outbox.
    this.checks = Object.freeze([rolesAndGuards, groupRules, ...(options.hooks ?? []), tenantNowHook]);
    this.hooks = Object.freeze([...this.checks, outbox, ...CONSEQUENCES]);
  }

  /** A tenant's SCIM base URL, for meta.location, $ref and discovery. */
  scimBaseUrl(slug: string): string {
    return `${this.options.publicUrl}/scim/v2/${slug}`;
  }

  /**
   * A request's context, with the tenant's schemas and settings at the version its record carries,
   * and who is acting (LIBRARY_ACTOR unless told: the vendor's own code).
   */
  async context(tenant: Tenant, who: { actor?: EventActor; requestId?: string | null; hooks?: readonly ChangeHook[] } = {}): Promise<ScimContext> {
    const { schemas, settings, version } = await this.schemas.configurationOf(tenant);
    return {
      store: this.store, schemas, settings, settingsVersion: version, tenant, baseUrl: this.scimBaseUrl(tenant.slug),
      limits: this.options.paging, attributeLimits: this.options.attributeLimits, clock: this.clock,
      // A request's own hooks (the admin API's audit entry) run after the service's, before the outbox.
      hooks: who.hooks?.length ? [...this.checks, ...who.hooks, outbox, ...CONSEQUENCES] : this.hooks,
      ignored: [], actor: who.actor ?? LIBRARY_ACTOR, requestId: who.requestId ?? null,
    };
  }

  /** What the discovery documents describe, from a request's context (its schemas and base URL). */
  discovery(ctx: ScimContext): DiscoveryContext {
    return { baseUrl: ctx.baseUrl, resources: [ctx.schemas.User, ctx.schemas.Group], limits: ctx.limits, maxPayloadSize: this.options.maxPayloadSize, maxOperations: this.options.maxOperations };
  }
}
