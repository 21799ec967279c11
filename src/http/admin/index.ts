// The admin API surface, /admin/v1: JSON in and out, problem+json errors, admin-key authentication,
// route schemas from which @fastify/swagger serves the OpenAPI 3.1 document (unauthenticated, at
// /admin/v1/openapi.json: it describes the API, it holds no data). Registered by http/surfaces.ts (the server and the library plugin).
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.ts';
import type { Actor } from '../../provisioning/admin/audit.ts';
import type { Provisioning } from '../../provisioning/service.ts';
import { requireTenant, TenantError } from '../../provisioning/tenants/tenants.ts';
import type { Store, Tenant } from '../../store/store.ts';
import { rollcallVersion } from '../../cli/version.ts';
import { adminAuthentication } from './auth.ts';
import { installProblemErrors } from './problem.ts';
import { refuseUnstorableStrings, strictValidatorCompiler } from './validation.ts';
import { directoryRoutes } from './routes/directory.ts';
import { eventRoutes } from './routes/events.ts';
import { keyRoutes } from './routes/keys.ts';
import { requestLogRoutes } from './routes/requests.ts';
import { scimModeRoutes } from './routes/scim-mode.ts';
import { settingsRoutes } from './routes/settings.ts';
import { ssoRoutes } from './routes/sso.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { samlRoutes } from './routes/saml.ts';
import { sessionRoutes, setupSignInRoute } from './routes/sessions.ts';
import { setupLinkRoutes } from './routes/setup-links.ts';
import { ConsoleSessions } from '../../provisioning/admin/console-sessions.ts';
import { setupLinkActor } from '../../provisioning/tenants/setup-links.ts';
import { WebhookEndpoints } from '../../events/endpoints.ts';
import type { SamlConnections } from '../../provisioning/sso/connections.ts';
import type { Handoff } from '../../provisioning/sso/handoff.ts';
import { SetupWriteLimit } from './setup-limit.ts';

export interface AdminDeps {
  config: Readonly<Config>; provisioning: Provisioning;
  /** The sign-in hand-off and the SAML connections (provisioning/sso/services.ts), shared with the SAML surface. */
  handoff: Handoff;
  connections: SamlConnections;
}

/** The tenant a route's `{tenant}` path parameter names (slugs are lower-case), or a 404 problem. */
export const tenantIn = (store: Store, request: FastifyRequest): Promise<Tenant> =>
  requireTenant(store, (request.params as { tenant: string }).tenant.toLowerCase());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A `?tenant=` filter of a record that outlives its tenant (the audit log, the events feed): the
 * tenant's slug, or its id, which still selects once the tenant is deleted; undefined when absent.
 */
export async function tenantIdFilter(store: Store, tenant: string | undefined): Promise<string | undefined> {
  if (tenant === undefined) return undefined;
  const found = await store.findTenantBySlug(tenant.toLowerCase());
  if (found) return found.id;
  if (UUID.test(tenant)) return tenant;
  throw new TenantError(`No tenant has the slug "${tenant}".`, 404, 'tenant');
}

export const actorOf = (request: FastifyRequest): Actor => request.consoleSession?.kind === 'setup'
  ? setupLinkActor(request.consoleSession.setup.link, request.id)
  : ({ type: 'adminKey', keyId: request.adminKey?.id ?? null, keyName: request.adminKey?.name ?? null, requestId: request.id });

export async function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  installProblemErrors(app, deps.config.bodyLimitBytes, deps.config.retryAfterSeconds);
  app.setValidatorCompiler(strictValidatorCompiler());
  app.decorateRequest('adminKey', null);
  app.decorateRequest('consoleSession', null);
  app.decorateRequest('consoleSecret', null);
  // Console sessions (routes/sessions.ts) exist only while the console is on (config.console).
  const sessions = deps.config.console.enabled ? new ConsoleSessions(deps.provisioning.store, deps.provisioning.clock, deps.config.console) : undefined;
  const setupWrites = sessions && new SetupWriteLimit(deps.provisioning.clock);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Rollcall admin API', version: rollcallVersion(), description: 'Tenants, SCIM tokens, users and groups of a Rollcall server. docs/admin-api.md explains each resource and error.' },
      servers: [{ url: deps.config.publicUrl }],
      components: {
        securitySchemes: {
          adminKey: { type: 'http', scheme: 'bearer', description: 'An admin API key (rca_…)' },
          consoleSession: { type: 'apiKey', in: 'cookie', name: 'rollcall_session', description: 'A console session (POST /sessions); every request but GET and HEAD also sends its csrfToken as X-CSRF-Token (docs/console.md)' },
        },
      },
      security: [{ adminKey: [] }, { consoleSession: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (sessions) setupSignInRoute(app, { ...deps, sessions, setupWrites });
  await app.register(async (secured) => {
    secured.addHook('onRequest', adminAuthentication(deps.provisioning.store, deps.provisioning.clock,
      sessions && { sessions, publicOrigin: new URL(deps.config.publicUrl).origin }));
    // After authentication: what a setup session writes is limited per tenant (setup-limit.ts).
    if (setupWrites) secured.addHook('onRequest', setupWrites.hook);
    secured.addHook('preValidation', refuseUnstorableStrings);
    keyRoutes(secured, deps);
    eventRoutes(secured, deps);
    tenantRoutes(secured, deps);
    scimModeRoutes(secured, deps);
    directoryRoutes(secured, deps);
    settingsRoutes(secured, deps);
    webhookRoutes(secured, { ...deps, webhooks: new WebhookEndpoints(deps.provisioning.store, deps.provisioning.clock, deps.config.webhooks) });
    requestLogRoutes(secured, deps);
    samlRoutes(secured, deps);
    ssoRoutes(secured, deps);
    if (sessions) {
      sessionRoutes(secured, { ...deps, sessions });
      setupLinkRoutes(secured, deps);
    }
  });
}
