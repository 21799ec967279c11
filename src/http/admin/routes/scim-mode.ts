// /admin/v1/tenants/{tenant}/scim/enable and /scim/disable: the tenant's SCIM mode
// (provisioning/policies/scim-mode.ts, docs/policies.md "SCIM mode"). Each change writes its audit
// entry and its events in its own transaction.
import type { FastifyInstance } from 'fastify';
import { disableScim, DISABLE_CONFIRMATION, enableScim } from '../../../provisioning/policies/scim-mode.ts';
import { parseDuration } from '../../../provisioning/tenants/tokens.ts';
import type { AdminDeps } from '../index.ts';
import { actorOf, tenantIn } from '../index.ts';
import { tenantJson, tokenJson } from '../render.ts';
import { issuedTokenSchema, problems, slugParam, tenantSchema } from '../schemas.ts';

const tenantParams = { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } as const;

export function scimModeRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { provisioning, config } = deps;
  const { store, clock } = provisioning;

  app.post('/tenants/:tenant/scim/enable', {
    schema: {
      operationId: 'enableScim', tags: ['tenants'], params: tenantParams,
      summary: 'Enable SCIM for a tenant whose SCIM is disabled: issues its new token (shown this once) and revokes every pending local invitation',
      body: {
        type: ['object', 'null'], additionalProperties: false,
        properties: {
          name: { type: 'string', maxLength: 100 },
          expiresIn: { type: 'string', maxLength: 20, description: 'Lifetime of the new token: 365d, 12h, 30m or never (default: the server\'s ROLLCALL_TOKEN_TTL_DAYS)' },
        },
      },
      response: {
        201: {
          type: 'object', required: ['token', 'tenant', 'invitationsRevoked'],
          properties: { ...issuedTokenSchema.properties, tenant: tenantSchema, invitationsRevoked: { type: 'integer', description: 'Local users whose invitation was revoked (status invited → deactivated)' } },
        },
        ...problems(400, 401, 403, 404, 409),
      },
    },
  }, async (request, reply) => {
    const t = await tenantIn(store, request);
    const body = (request.body ?? {}) as { name?: string; expiresIn?: string };
    const ttl = body.expiresIn === undefined ? config.tokenTtlDays * 86_400_000 : parseDuration(body.expiresIn);
    const done = await enableScim(store, t, ttl, clock, body.name?.trim() || null, actorOf(request));
    const scimUrl = provisioning.scimBaseUrl(t.slug);
    return reply.code(201).send({ ...tokenJson(done.record, clock.now()), token: done.token, scimUrl, tenant: tenantJson({ ...t, scimEnabled: true }, scimUrl), invitationsRevoked: done.invitationsRevoked });
  });

  app.post('/tenants/:tenant/scim/disable', {
    schema: {
      operationId: 'disableScim', tags: ['tenants'], params: tenantParams,
      summary: `Disable SCIM for a tenant (confirm: "${DISABLE_CONFIRMATION}" required): every IdP-managed user and group becomes local and every SCIM token is revoked, in one transaction`,
      body: { type: 'object', additionalProperties: false, required: ['confirm'], properties: { confirm: { type: 'string', maxLength: 100, description: `The word ${DISABLE_CONFIRMATION}, exactly` } } },
      response: {
        200: {
          type: 'object', required: ['tenant', 'usersConverted', 'groupsConverted', 'tokensRevoked'],
          properties: {
            tenant: tenantSchema,
            usersConverted: { type: 'integer', description: 'IdP-managed users made local' },
            groupsConverted: { type: 'integer', description: 'IdP-managed groups made local' },
            tokensRevoked: { type: 'integer', description: 'SCIM tokens revoked (every one not already revoked)' },
          },
        },
        ...problems(400, 401, 403, 404, 409),
      },
    },
  }, async (request) => {
    const t = await tenantIn(store, request);
    const done = await disableScim(store, t, (request.body as { confirm: string }).confirm, clock, actorOf(request));
    return { tenant: tenantJson({ ...t, scimEnabled: false }, provisioning.scimBaseUrl(t.slug)), usersConverted: done.users, groupsConverted: done.groups, tokensRevoked: done.tokensRevoked };
  });
}
