// Every surface Rollcall serves, registered in one place: the standalone server (app.ts) registers
// them at its root, the library's plugin (library.ts) inside the scope a vendor's own Fastify server
// gives it (under the vendor's prefix). Each surface is an encapsulated plugin with its own body
// parsers, error format and 404, so nothing here changes how the routes beside it behave.
// A new surface is one more register() call below.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import type { Provisioning } from '../provisioning/service.ts';
import { registerAdminRoutes } from './admin/index.ts';
import type { Drains } from './drain.ts';
import { installScimErrors } from './scim/errors.ts';
import { registerScimRoutes } from './scim/routes.ts';
import { registerJwks } from './saml/jwks.ts';
import { Handoff } from '../provisioning/sso/handoff.ts';

export interface SurfaceDeps {
  config: Readonly<Config>;
  provisioning: Provisioning;
  /** Where a body answered 413 before it all arrived is read and thrown away (drain.ts). */
  drains: Drains;
}

export async function registerSurfaces(scope: FastifyInstance, deps: SurfaceDeps): Promise<void> {
  const { config, provisioning, drains } = deps;
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
    await scim.register(async (tenant) => registerScimRoutes(tenant, { config, provisioning }), { prefix: '/v2/:tenant' });
  }, { prefix: '/scim' });
  // One hand-off for the surfaces that sign in (SAML) and exchange codes (admin), so a process makes one signing key.
  const handoff = new Handoff(provisioning.store, provisioning.clock, config.saml, config.publicUrl);
  await scope.register(async (admin) => registerAdminRoutes(admin, { config, provisioning, handoff }), { prefix: '/admin/v1' });
  await scope.register(async (sso) => registerJwks(sso, { handoff }), { prefix: '/sso' });
}
