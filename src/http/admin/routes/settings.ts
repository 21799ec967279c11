// /admin/v1/tenants/{tenant}/settings: one versioned document per tenant, read whole and replaced
// whole with If-Match (docs/admin-api.md, docs/custom-attributes.md).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { audit, eventActor } from '../../../provisioning/admin/audit.ts';
import { readSettings, replaceSettings, SettingsError, tenantSettingsJsonSchema, type TenantSettings } from '../../../provisioning/tenants/settings.ts';
import { AddressRefused, checkEndpointUrl, type AddressPolicy } from '../../../events/webhook-address-guard.ts';
import { etag } from '../../../scim/etag.ts';
import { limitsFor } from '../../scim/rate-limit.ts';
import type { AdminDeps } from '../index.ts';
import { actorOf, tenantIn } from '../index.ts';
import { Problem } from '../problem.ts';
import { problems, slugParam } from '../schemas.ts';

// The document's schema without its $id: Fastify compiles it for the body and the response alike.
const { $id: _id, ...settingsSchema } = tenantSettingsJsonSchema;
const limitsInForceSchema = {
  type: 'object',
  required: ['enabled', 'requestsPerSecond', 'burst', 'concurrentRequests'],
  description: "The SCIM request limits this tenant gets from each Rollcall process: the document's limits over the server defaults (ROLLCALL_RATE_LIMIT_*). Read only; not part of the document.",
  properties: {
    enabled: { type: 'boolean', description: 'false when the server runs with ROLLCALL_RATE_LIMIT=off: nothing is limited' },
    requestsPerSecond: { type: 'number' }, burst: { type: 'integer' }, concurrentRequests: { type: 'integer' },
  },
} as const;
const readSchema = {
  type: 'object',
  required: ['version', 'settings'],
  properties: { version: { type: 'integer', description: 'Send it back as If-Match when replacing' }, settings: settingsSchema, limitsInForce: limitsInForceSchema },
} as const;
const params = { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } as const;

/** If-Match as a settings version: "3", W/"3" or "3" in quotes. */
function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!m) throw new Problem(400, 'invalid-request', `If-Match must be the settings version last read (e.g. If-Match: 3 or W/"3"), not ${JSON.stringify(header.slice(0, 50))}.`, { field: 'If-Match' });
  return Number(m[1]);
}

/** The part of a settings document a setup link may read (see GET /tenants/{t}/settings). */
function forSetup(settings: unknown): Record<string, unknown> {
  const doc = (settings ?? {}) as { policies?: { attributes?: unknown }; customSchemas?: unknown };
  const attributes = doc.policies?.attributes;
  return {
    // The attribute policy whole (the unique identifier, and whether userName may change): it says
    // how the IdP's mappings must be set up, and nothing about the vendor's roles or hooks.
    ...(attributes === undefined ? {} : { policies: { attributes } }),
    ...(Array.isArray(doc.customSchemas) ? { customSchemas: doc.customSchemas } : {}),
  };
}

export function settingsRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps.provisioning;
  const tenantOf = (request: FastifyRequest) => tenantIn(store, request);
  // What a support engineer looking at a tenant's 429s needs: the values in force, not only the
  // tenant's overrides (a value left out of the document follows the server default).
  const limitsInForce = (settings: TenantSettings) => ({ enabled: deps.config.rateLimit.enabled, ...limitsFor(deps.config.rateLimit, settings.limits) });

  app.get('/tenants/:tenant/settings', {
    config: { setup: 'read' },
    schema: { operationId: 'getSettings', tags: ['settings'], summary: "A tenant's settings document and its version", params, response: { 200: readSchema, ...problems(401, 404) } },
  }, async (request, reply) => {
    const read = await readSettings(store, await tenantOf(request));
    reply.header('ETag', etag(read.version));
    // A setup session (the customer's IT admin) gets what configuring the IdP needs and no more: the
    // attribute policy (the unique identifier) and the custom attributes, not the vendor's roles, guards or hooks.
    if (request.consoleSession?.kind === 'setup') return { ...read, settings: forSetup(read.settings) };
    return { ...read, limitsInForce: limitsInForce(read.settings) };
  });

  app.put('/tenants/:tenant/settings', {
    schema: {
      operationId: 'replaceSettings', tags: ['settings'], params,
      summary: 'Replace the settings document (If-Match: the version read). Removing a custom attribute that holds values is refused unless dropValues=true',
      headers: { type: 'object', properties: { 'if-match': { type: 'string', maxLength: 100 } } },
      querystring: { type: 'object', additionalProperties: false, properties: { dropValues: { type: 'boolean', default: false } } },
      body: settingsSchema,
      response: {
        200: { ...readSchema, properties: { ...readSchema.properties, dropped: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
        ...problems(400, 401, 403, 404, 409, 412),
      },
    },
  }, async (request, reply) => {
    const t = await tenantOf(request);
    const { dropValues } = request.query as { dropValues: boolean };
    checkApprovalUrl(request.body, deps.config.webhooks);
    const before = await readSettings(store, t);
    const replaced = await replaceSettings(store, t, request.body, { expectedVersion: expectedVersion(request), dropValues, clock, actor: eventActor(actorOf(request)), requestId: request.id });
    // The approval webhook's secret is never read back: its change is counted from the flag.
    const changed = (['scim', 'customSchemas', 'welcomeEmail', 'policies'] as const).filter((k) => JSON.stringify(before.settings[k]) !== JSON.stringify(replaced.settings[k]) || (k === 'policies' && replaced.secretChanged));
    await audit(store, clock, actorOf(request), 'settings.replace', { type: 'settings', id: t.id, tenantId: t.id },
      { version: replaced.version, changed, ...(replaced.dropped.length ? { dropped: replaced.dropped } : {}), ...(replaced.secretChanged ? { approvalSecretChanged: true } : {}) });
    reply.header('ETag', etag(replaced.version));
    return { ...replaced, limitsInForce: limitsInForce(replaced.settings) };
  });
}

/**
 * The approval webhook's URL against this server's address rules (config.webhooks), when saved, for a
 * clear error then; the call checks it again, resolved addresses included (policies/vetoes.ts).
 */
function checkApprovalUrl(body: unknown, policy: AddressPolicy): void {
  const url = (body as { policies?: { approval?: { webhook?: { url?: unknown } | null } } } | null)?.policies?.approval?.webhook?.url;
  if (typeof url !== 'string') return;
  try {
    checkEndpointUrl(url, policy);
  } catch (err) {
    if (!(err instanceof AddressRefused)) throw err;
    const problem = { pointer: '/policies/approval/webhook/url', message: err.message };
    throw new SettingsError({ code: 'invalidSettings', problems: [problem] }, `The settings are not valid: ${problem.pointer} ${problem.message}`);
  }
}
