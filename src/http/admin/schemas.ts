// JSON schemas of the admin API's resources. Fastify validates requests and serialises responses
// with them, and @fastify/swagger turns them into the OpenAPI document the typed client is
// generated from (src/client/): one description, three uses, so they cannot drift apart.
import { problemSchema } from './problem.ts';

export const time = { type: 'string', format: 'date-time' } as const;
export const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const tenantSchema = {
  type: 'object',
  required: ['id', 'slug', 'name', 'createdAt', 'scimUrl', 'scimEnabled'],
  properties: {
    id: { type: 'string' },
    scimEnabled: { type: 'boolean', description: 'SCIM mode (docs/policies.md): true while the identity provider provisions the tenant (IdP-managed users and groups read-only here, no invitations); false after scim/disable, when everything is local and every token revoked' },
    slug: { type: 'string', description: 'Names the tenant in URLs: /scim/v2/<slug>, /admin/v1/tenants/<slug>' },
    name: { type: 'string' },
    createdAt: time,
    scimUrl: { type: 'string', description: 'The SCIM base URL to give the identity provider' },
  },
} as const;

export const tokenSchema = {
  type: 'object',
  required: ['id', 'name', 'hint', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt', 'status'],
  properties: {
    id: { type: 'string' },
    name: { type: ['string', 'null'] },
    hint: { type: 'string', description: 'The last four characters of the token' },
    createdAt: time,
    expiresAt: nullableTime,
    revokedAt: nullableTime,
    lastUsedAt: { ...nullableTime, description: 'Recorded at most once a minute' },
    status: { type: 'string', enum: ['live', 'expired', 'revoked'] },
  },
} as const;

export const issuedTokenSchema = {
  type: 'object',
  required: ['token', 'scimUrl', ...tokenSchema.required],
  properties: {
    ...tokenSchema.properties,
    token: { type: 'string', description: 'The bearer token: shown this once, never again' },
    scimUrl: { type: 'string' },
  },
} as const;

export const adminKeySchema = {
  type: 'object',
  required: ['id', 'name', 'scope', 'hint', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', enum: ['admin', 'read', 'sso'] },
    hint: { type: 'string' },
    createdAt: time,
    expiresAt: nullableTime,
    revokedAt: nullableTime,
    lastUsedAt: nullableTime,
  },
} as const;

export const issuedAdminKeySchema = {
  type: 'object',
  required: ['key', ...adminKeySchema.required],
  properties: { ...adminKeySchema.properties, key: { type: 'string', description: 'The key: shown this once, never again' } },
} as const;

const attributes = {
  type: 'object',
  additionalProperties: true,
  description: 'SCIM attributes (RFC 7643) as the SCIM side stores them: core attributes at the top level, extension attributes under their schema URN',
} as const;

/** A local user's lifecycle (docs/policies.md "SCIM mode"); null for an IdP-managed user, whose `active` says it. */
export const userStatus = {
  type: ['string', 'null'], enum: ['invited', 'active', 'deactivated', null],
  description: "A local user's status: invited (an invitation is pending; revoked, becoming deactivated, when SCIM is enabled), active, deactivated. null for an IdP-managed user",
} as const;

const resourceMeta = {
  idpManaged: { type: 'boolean', description: 'true: created by the identity provider over SCIM, changed only there while SCIM is enabled; false: local, created through this API or made local by disabling SCIM' },
  createdAt: time,
  updatedAt: time,
  version: { type: 'integer', description: 'Increases with every change; send it back as If-Match to update safely' },
} as const;

export const userSchema = {
  type: 'object',
  required: ['id', 'userName', 'active', 'status', 'idpManaged', 'createdAt', 'updatedAt', 'version', 'attributes'],
  properties: {
    id: { type: 'string' },
    userName: { type: 'string' },
    active: { type: 'boolean', description: 'false once the identity provider has deactivated the user' },
    status: userStatus,
    ...resourceMeta,
    groups: { type: 'array', items: { type: 'object', required: ['id', 'displayName'], properties: { id: { type: 'string' }, displayName: { type: 'string' } } } },
    roles: {
      type: 'array',
      description: 'GET of one user: its effective roles (settings policies.roles), each with the groups that grant it; empty when none',
      items: {
        type: 'object', required: ['name', 'admin', 'groups'],
        properties: {
          name: { type: 'string' }, admin: { type: 'boolean' },
          groups: { type: 'array', items: { type: 'object', required: ['id', 'displayName'], properties: { id: { type: 'string' }, displayName: { type: 'string' } } } },
        },
      },
    },
    attributes,
  },
} as const;

export const groupSchema = {
  type: 'object',
  required: ['id', 'displayName', 'idpManaged', 'createdAt', 'updatedAt', 'version', 'attributes'],
  properties: { id: { type: 'string' }, displayName: { type: 'string' }, ...resourceMeta, attributes },
} as const;

export const memberSchema = {
  type: 'object',
  required: ['id', 'type'],
  properties: { id: { type: 'string' }, type: { type: 'string', enum: ['User', 'Group'] }, display: { type: 'string' } },
} as const;

export const auditEntrySchema = {
  type: 'object',
  required: ['id', 'at', 'keyId', 'keyName', 'action', 'tenantId', 'targetType', 'targetId', 'summary', 'requestId'],
  properties: {
    id: { type: 'string' },
    at: time,
    keyId: { type: ['string', 'null'], description: 'The admin key that acted; null for the CLI' },
    keyName: { type: ['string', 'null'] },
    action: { type: 'string', description: 'e.g. tenant.create, token.rotate, user.delete' },
    tenantId: { type: ['string', 'null'] },
    tenantSlug: { type: ['string', 'null'], description: 'The tenant\'s slug while it exists; null once it is deleted, and for server-wide actions' },
    targetType: { type: 'string' },
    targetId: { type: ['string', 'null'] },
    summary: { type: 'object', additionalProperties: true, description: 'What changed: field names, counts, ids; never a secret' },
    requestId: { type: ['string', 'null'] },
  },
} as const;

export const eventSchema = {
  type: 'object',
  required: ['id', 'type', 'timestamp', 'tenant', 'position', 'tenantPosition', 'actor', 'requestId', 'data'],
  properties: {
    id: { type: 'string', description: 'evt_…: the same in the feed, on every webhook delivery (webhook-id) and to listeners' },
    type: { type: 'string', description: 'user.created, group.member_added, … (docs/events.md)' },
    timestamp: time,
    tenant: { type: 'object', required: ['id', 'slug'], properties: { id: { type: 'string' }, slug: { type: 'string' } } },
    position: { type: 'integer', description: 'Commit order over all tenants, gap-free' },
    tenantPosition: { type: 'integer', description: 'Commit order within the tenant: 1, 2, 3, … with no gaps' },
    actor: {
      type: 'object', required: ['type', 'id', 'name'],
      properties: { type: { type: 'string', enum: ['token', 'adminKey', 'cli', 'library', 'saml', 'setupLink'] }, id: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } },
    },
    requestId: { type: ['string', 'null'] },
    data: { type: 'object', additionalProperties: true, description: 'The resource as the app needs it (docs/events.md)' },
  },
} as const;

/** Error responses every operation may give, by status. */
export const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, { description: 'Problem details (RFC 9457)', ...problemSchema }]));

export const slugParam = { type: 'string', maxLength: 63, description: 'The tenant slug' } as const;
export const idParam = { type: 'string', maxLength: 255 } as const;
