// RFC 7644 §4: /ServiceProviderConfig, /ResourceTypes, /Schemas. They say exactly what Rollcall
// supports; tests hold them to it.
import { notFound } from './errors.ts';
import { listResponse, type PagingLimits } from './list.ts';
import type { ResourceSchema } from './schemas/resource-schema.ts';
import type { SchemaDef } from './schemas/types.ts';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RT_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export interface DiscoveryContext {
  /** The tenant's SCIM base URL, e.g. https://idp.example.com/scim/v2/acme */
  baseUrl: string;
  resources: ResourceSchema[];
  limits: PagingLimits;
  /** /Bulk limits (RFC 7644 §3.7.4): bytes of one request, operations in one request. */
  maxPayloadSize: number;
  maxOperations: number;
}

export function serviceProviderConfig(ctx: DiscoveryContext) {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: true, maxOperations: ctx.maxOperations, maxPayloadSize: ctx.maxPayloadSize },
    filter: { supported: true, maxResults: ctx.limits.maxCount },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A Rollcall tenant token, sent as "Authorization: Bearer <token>".',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${ctx.baseUrl}/ServiceProviderConfig` },
  };
}

function resourceTypeDoc(ctx: DiscoveryContext, rs: ResourceSchema) {
  return {
    schemas: [RT_SCHEMA],
    ...rs.type,
    meta: { resourceType: 'ResourceType', location: `${ctx.baseUrl}/ResourceTypes/${rs.type.id}` },
  };
}

function schemaDoc(ctx: DiscoveryContext, s: SchemaDef) {
  return { schemas: [SCHEMA_SCHEMA], ...s, meta: { resourceType: 'Schema', location: `${ctx.baseUrl}/Schemas/${s.id}` } };
}

function allSchemas(ctx: DiscoveryContext): SchemaDef[] {
  const seen = new Map<string, SchemaDef>();
  for (const rs of ctx.resources) for (const s of [rs.core, ...rs.extensions]) seen.set(s.id, s);
  return [...seen.values()];
}

export function resourceTypes(ctx: DiscoveryContext, id?: string) {
  if (id === undefined) {
    const all = ctx.resources.map((rs) => resourceTypeDoc(ctx, rs));
    return listResponse(all, all.length, 1);
  }
  const rs = ctx.resources.find((r) => r.type.id.toLowerCase() === id.toLowerCase());
  if (!rs) throw notFound(`Resource type "${id}" does not exist; this server has ${ctx.resources.map((r) => r.type.id).join(' and ')}.`);
  return resourceTypeDoc(ctx, rs);
}

export function schemas(ctx: DiscoveryContext, id?: string) {
  const all = allSchemas(ctx);
  if (id === undefined) return listResponse(all.map((s) => schemaDoc(ctx, s)), all.length, 1);
  const s = all.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!s) throw notFound(`Schema "${id}" does not exist.`);
  return schemaDoc(ctx, s);
}
