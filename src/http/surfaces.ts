// Every surface Rollcall serves, registered in one place: the standalone server (app.ts) registers
// them at its root, the library's plugin (library.ts) inside the scope a vendor's own Fastify server
// gives it (under the vendor's prefix). Each surface is an encapsulated plugin with its own body
// parsers, error format and 404, so nothing here changes how the routes beside it behave.
// A new surface is one more register() call below.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import type { RequestLog } from '../provisioning/request-log/recorder.ts';
import type { Provisioning } from '../provisioning/service.ts';
import type { SsoServices } from '../provisioning/sso/services.ts';
import { registerAdminRoutes } from './admin/index.ts';
import type { Drains } from './drain.ts';
import { installScimErrors } from './scim/errors.ts';
import { registerScimRoutes } from './scim/routes.ts';
import { registerSamlRoutes } from './saml/routes.ts';
import { registerJwks } from './saml/jwks.ts';
import { registerConsole } from './console/routes.ts';

export interface SurfaceDeps {
  config: Readonly<Config>;
  provisioning: Provisioning;
  /** Single sign-on (provisioning/sso/services.ts): the sign-in use case and the handoff to the app. */
  sso: SsoServices;
  /** Where a body answered 413 before it all arrived is read and thrown away (drain.ts). */
  drains: Drains;
  /** The SCIM request log's writer (provisioning/request-log/recorder.ts); absent: nothing recorded. */
  requestLog?: RequestLog;
}

export async function registerSurfaces(scope: FastifyInstance, deps: SurfaceDeps): Promise<void> {
  const { config, provisioning, drains, sso, requestLog } = deps;
  // The SCIM error a reply answers with, for the request log (request-log.ts); scoped to these surfaces.
  scope.decorateReply('scimError', null);
  // A body found too large is answered while the client is still sending: read the rest (up to a
  // bound) instead of closing on it, so the client gets to read the answer (drain.ts).
  scope.addHook('onError', async (request, reply, err) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') drains.start(request, reply);
  });
  await scope.register(async (scim) => {
    // Anything under /scim that is not a tenant's endpoint still gets a SCIM 404.
    installScimErrors(scim, config.bodyLimitBytes, config.retryAfterSeconds);
    await scim.register(async (tenant) => registerScimRoutes(tenant, { config, provisioning, requestLog }), { prefix: '/v2/:tenant' });
  }, { prefix: '/scim' });
  await scope.register(async (admin) => registerAdminRoutes(admin, { config, provisioning, handoff: sso.handoff, connections: sso.connections }), { prefix: '/admin/v1' });
  // The SAML service provider: browsers post here, so it answers in HTML pages (http/saml/pages.ts).
  await scope.register(async (saml) => registerSamlRoutes(saml, { config, signIn: sso.signIn }), { prefix: '/saml' });
  // The public keys of the sign-in JWTs (handoff.ts): the same handoff as the sign-in and the exchange.
  await scope.register(async (jwks) => registerJwks(jwks, { handoff: sso.handoff }), { prefix: '/sso' });
  // The admin console's pages and files (http/console/), unless ROLLCALL_CONSOLE=off.
  if (config.console.enabled) await scope.register(async (pages) => registerConsole(pages, { config }));
}
