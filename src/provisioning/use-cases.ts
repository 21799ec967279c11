// The provisioning use cases as a vendor's own code calls them (library.ts): tenants, their tokens,
// and a tenant's users and groups. Each call is the same use case the SCIM surface runs
// (users.ts, groups.ts, search.ts, tenants/), through the context the provisioning service builds,
// with the parameters a SCIM request would carry given as plain values. Errors are the ones the
// SCIM surface renders: ScimError (status, scimType, reason) and TenantError.
import type { Config } from '../config/config.ts';
import { parseListQuery } from '../scim/list.ts';
import { parseProjection, type Projection } from '../scim/projection.ts';
import type { Rendered } from '../scim/render.ts';
import type { ResourceSchema } from '../scim/schemas/resource-schema.ts';
import type { Tenant, TokenRecord } from '../store/store.ts';
import type { ScimContext } from './context.ts';
import * as groups from './groups.ts';
import { searchAll } from './search.ts';
import type { Provisioning } from './service.ts';
import { createTenant, requireTenant, TenantError } from './tenants/tenants.ts';
import { checkLifetime, issueToken, revokeToken } from './tenants/tokens.ts';
import { disableScim, enableScim } from './policies/scim-mode.ts';
import * as users from './users.ts';

/** A SCIM resource as Rollcall returns it over HTTP (RFC 7643 §3): the JSON object, unchanged. */
export interface ScimResource {
  schemas: string[];
  id: string;
  externalId?: string;
  meta: { resourceType: string; created: string; lastModified: string; location: string; version: string };
  [attribute: string]: unknown;
}

/** A list response (RFC 7644 §3.4.2). */
export interface ScimListResponse {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: ScimResource[];
}

/** What a GET or a write returns of the resource (RFC 7644 §3.4.2.5); both as comma-separated SCIM paths. */
export interface ProjectionParams {
  attributes?: string;
  excludedAttributes?: string;
}

/** The list parameters of RFC 7644 §3.4.2, as a query string would give them. */
export interface ListParams extends ProjectionParams {
  /** e.g. `userName eq "ada@example.com"` or `emails[type eq "work" and value co "@example.com"]`. */
  filter?: string;
  sortBy?: string;
  sortOrder?: 'ascending' | 'descending';
  /** 1-based (default 1). */
  startIndex?: number;
  /** Page size (default and maximum: the configured paging limits). */
  count?: number;
}

export interface WriteOptions extends ProjectionParams {
  /** An ETag (meta.version) the resource must still have, or the write fails with 412 (RFC 7232). */
  ifMatch?: string;
}

/** A SCIM PATCH request (RFC 7644 §3.5.2); `schemas` may be left out. */
export interface PatchRequest {
  schemas?: string[];
  Operations: { op: 'add' | 'remove' | 'replace' | 'Add' | 'Remove' | 'Replace'; path?: string; value?: unknown }[];
}

/** A user or group body as a SCIM client would POST or PUT it; validated against the tenant's schemas. */
export interface ScimBody {
  schemas?: string[];
  [attribute: string]: unknown;
}

export interface ResourceUseCases {
  get(id: string, options?: ProjectionParams): Promise<ScimResource>;
  list(params?: ListParams): Promise<ScimListResponse>;
  create(body: ScimBody, options?: ProjectionParams): Promise<ScimResource>;
  replace(id: string, body: ScimBody, options?: WriteOptions): Promise<ScimResource>;
  patch(id: string, request: PatchRequest, options?: WriteOptions): Promise<ScimResource>;
  delete(id: string, options?: Pick<WriteOptions, 'ifMatch'>): Promise<void>;
}

/** One tenant's directory. The tenant is looked up on every call, so a scope may be kept. */
export interface TenantUseCases {
  readonly users: ResourceUseCases;
  readonly groups: ResourceUseCases;
  /** Users and then groups as one result set, as POST /.search at the service root (RFC 7644 §3.4.3). */
  search(params?: ListParams): Promise<ScimListResponse>;
}

/** A token as listed: never its secret nor its hash. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

export interface TenantsUseCases {
  /** `preset`: a settings bundle written with the tenant (docs/policies.md, Presets); `welcomeLink` for the presets that take one. */
  create(slug: string, options?: { name?: string; preset?: string; welcomeLink?: string }): Promise<Tenant>;
  list(): Promise<Tenant[]>;
  /** The tenant with this slug, or undefined. */
  get(slug: string): Promise<Tenant | undefined>;
  /** SCIM mode (docs/policies.md): enables SCIM for a disabled tenant; `token` is its new token, shown this once. */
  enableScim(slug: string, options?: { expiresInMs?: number | null }): Promise<{ token: string; record: TokenInfo; invitationsRevoked: number }>;
  /** Disables SCIM (`confirm` must be "DISABLE"): every IdP-managed user and group becomes local, every token is revoked. */
  disableScim(slug: string, confirm: string): Promise<{ users: number; groups: number; tokensRevoked: number }>;
}

export interface TokensUseCases {
  /** A new SCIM bearer token; `token` is its secret, shown this once and never stored. */
  issue(slug: string, options?: { expiresInMs?: number | null }): Promise<{ token: string; record: TokenInfo }>;
  list(slug: string): Promise<TokenInfo[]>;
  revoke(slug: string, tokenId: string): Promise<void>;
}

export interface UseCases {
  readonly tenants: TenantsUseCases;
  readonly tokens: TokensUseCases;
  tenant(slug: string): TenantUseCases;
}

const withoutHash = ({ hash: _hash, ...rest }: TokenRecord): TokenInfo => rest;

/**
 * Slugs are lower case; the SCIM surface folds the one in its URL the same way
 * (tenants/authentication.ts). Callers in plain JavaScript may pass anything: refused by name.
 */
function slugOf(slug: unknown): string {
  if (typeof slug !== 'string') throw new TenantError(`A tenant slug is a string, got ${slug === null ? 'null' : typeof slug}.`);
  return slug.toLowerCase();
}
const tenantOf = (provisioning: Provisioning, slug: string) => requireTenant(provisioning.store, slugOf(slug));

/** A token lifetime: milliseconds (a positive integer), or null for never; undefined for the configured default. */
function ttlOf(expiresInMs: number | null | undefined, defaultDays: number): number | null {
  if (expiresInMs === undefined) return defaultDays * 86_400_000;
  if (expiresInMs === null) return null;
  if (!Number.isSafeInteger(expiresInMs) || expiresInMs <= 0) throw new TenantError(`expiresInMs must be a positive whole number of milliseconds, or null for a token that never expires; got ${String(expiresInMs)}.`);
  return checkLifetime(expiresInMs);
}

export function useCases(provisioning: Provisioning, config: Readonly<Pick<Config, 'tokenTtlDays'>>): UseCases {
  const { store, clock } = provisioning;
  return {
    tenants: {
      create: (slug, options = {}) => createTenant(store, slug, options.name, clock, undefined, options.preset === undefined ? undefined : { name: options.preset, welcomeLink: options.welcomeLink }),
      list: () => store.listTenants(),
      get: async (slug) => store.findTenantBySlug(slugOf(slug)),
      async enableScim(slug, options = {}) {
        const done = await enableScim(store, await tenantOf(provisioning, slug), ttlOf(options.expiresInMs, config.tokenTtlDays), clock);
        return { token: done.token, record: withoutHash(done.record), invitationsRevoked: done.invitationsRevoked };
      },
      disableScim: async (slug, confirm) => disableScim(store, await tenantOf(provisioning, slug), confirm, clock),
    },
    tokens: {
      async issue(slug, options = {}) {
        const ttl = ttlOf(options.expiresInMs, config.tokenTtlDays);
        const { token, record } = await issueToken(store, await tenantOf(provisioning, slug), ttl, clock);
        return { token, record: withoutHash(record) };
      },
      list: async (slug) => (await store.listTokens((await tenantOf(provisioning, slug)).id)).map(withoutHash),
      revoke: async (slug, tokenId) => revokeToken(store, await tenantOf(provisioning, slug), tokenId, clock),
    },
    tenant(slug) {
      // A fresh context per call: it carries the tenant's schemas, which follow its settings.
      const ctx = async () => provisioning.context(await tenantOf(provisioning, slug));
      return {
        users: resourceUseCases(ctx, (c) => c.schemas.User, users),
        groups: resourceUseCases(ctx, (c) => c.schemas.Group, {
          createUser: groups.createGroup, getUser: groups.getGroup, listUsers: groups.listGroups,
          replaceUser: groups.replaceGroup, patchUser: groups.patchGroup, deleteUser: groups.deleteGroup,
        }),
        search: async (params = {}) => (await searchAll(await ctx(), { ...params })) as ScimListResponse,
      };
    },
  };
}

/** The six use cases of one resource type, named as users.ts names them (groups.ts has the same shapes). */
type ResourceFunctions = Pick<typeof users, 'createUser' | 'getUser' | 'listUsers' | 'replaceUser' | 'patchUser' | 'deleteUser'>;

function resourceUseCases(ctx: () => Promise<ScimContext>, schemaOf: (c: ScimContext) => ResourceSchema, fns: ResourceFunctions): ResourceUseCases {
  const projection = (c: ScimContext, p: ProjectionParams = {}): Projection | undefined =>
    (p.attributes === undefined && p.excludedAttributes === undefined ? undefined : parseProjection(schemaOf(c), p.attributes, p.excludedAttributes));
  return {
    async get(id, options) { const c = await ctx(); return resourceOf(await fns.getUser(c, id, projection(c, options))); },
    async list(params = {}) {
      const c = await ctx();
      return (await fns.listUsers(c, parseListQuery(schemaOf(c), { ...params }, c.limits))) as ScimListResponse;
    },
    async create(body, options) { const c = await ctx(); return resourceOf(await fns.createUser(c, body, projection(c, options))); },
    async replace(id, body, options = {}) { const c = await ctx(); return resourceOf(await fns.replaceUser(c, id, body, options.ifMatch, projection(c, options))); },
    async patch(id, request, options = {}) { const c = await ctx(); return resourceOf(await fns.patchUser(c, id, request, options.ifMatch, projection(c, options))); },
    async delete(id, options = {}) { await fns.deleteUser(await ctx(), id, options.ifMatch); },
  };
}

/**
 * The resource as the HTTP surface sends it. A group's members, streamed page by page over HTTP,
 * are gathered here into the array (pass excludedAttributes: 'members' to leave a big group's out).
 */
async function resourceOf(r: Rendered): Promise<ScimResource> {
  if (!r.members) return r.resource as ScimResource;
  const { meta, ...rest } = r.resource;
  const members: Record<string, unknown>[] = [];
  for await (const page of r.members) members.push(...page);
  return { ...rest, members, meta } as unknown as ScimResource;
}
