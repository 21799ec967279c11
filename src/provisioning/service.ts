// The provisioning service, made once in main.ts: it authenticates SCIM requests and builds each
// request's use-case context (tenant, schemas, base URL, clock, hooks). The HTTP edge holds only it.
import type { AttributeLimits } from '../scim/attribute-limits.ts';
import type { DiscoveryContext } from '../scim/discovery.ts';
import type { PagingLimits } from '../scim/list.ts';
import type { Store, Tenant } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { ScimContext } from './context.ts';
import type { ChangeHook } from './mutate.ts';
import { SchemaCatalog } from './schemas.ts';
import { Authentication } from './tenants/authentication.ts';

export interface ProvisioningOptions {
  store: Store;
  clock: Clock;
  /** Base of every URL Rollcall returns (config.publicUrl), without a trailing slash. */
  publicUrl: string;
  paging: PagingLimits;
  /** Size bounds on written resource documents (config.attributeLimits). */
  attributeLimits: AttributeLimits;
  /** Largest accepted request body, advertised in /ServiceProviderConfig. */
  maxPayloadSize: number;
  hooks?: ChangeHook[];
}

export class Provisioning {
  readonly store: Store;
  readonly clock: Clock;
  readonly authentication: Authentication;
  private readonly schemas: SchemaCatalog;
  private readonly hooks: readonly ChangeHook[];

  constructor(private readonly options: ProvisioningOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.authentication = new Authentication(options.store, options.clock);
    this.schemas = new SchemaCatalog(options.store);
    this.hooks = Object.freeze([...(options.hooks ?? [])]);
  }

  /** A tenant's SCIM base URL, for meta.location, $ref and discovery. */
  scimBaseUrl(slug: string): string {
    return `${this.options.publicUrl}/scim/v2/${slug}`;
  }

  /** A request's context, with the tenant's schemas and settings at the version its record carries. */
  async context(tenant: Tenant): Promise<ScimContext> {
    const { schemas, settings } = await this.schemas.configurationOf(tenant);
    return {
      store: this.store, schemas, settings, tenant, baseUrl: this.scimBaseUrl(tenant.slug),
      limits: this.options.paging, attributeLimits: this.options.attributeLimits, clock: this.clock, hooks: this.hooks,
      ignored: [],
    };
  }

  /** What the discovery documents describe, from a request's context (its schemas and base URL). */
  discovery(ctx: ScimContext): DiscoveryContext {
    return { baseUrl: ctx.baseUrl, resources: [ctx.schemas.User, ctx.schemas.Group], limits: ctx.limits, maxPayloadSize: this.options.maxPayloadSize };
  }
}
