// POST /admin/v1/sso/token: the app's server exchanges a sign-in code for the profile and a JWT
// (docs/sso.md "Handing the user to your app"). The one route an admin key of scope 'sso' may call
// (auth.ts), so the key an app keeps for sign-ins cannot manage tenants. Answered no-store, like an
// OAuth token response (RFC 6749 §5.1).
import type { FastifyInstance } from 'fastify';
import type { Handoff } from '../../../provisioning/sso/handoff.ts';
import { Problem } from '../problem.ts';
import { problems, time } from '../schemas.ts';

/** One message for an unknown, expired or used code: which it was is nobody's business but the server's. */
export const CODE_REFUSED = 'The code is unknown, expired or already used; start the sign-in again.';

const FORM_LIMIT = 4096;

const profileSchema = {
  type: 'object',
  required: ['id', 'userName', 'displayName', 'name', 'emails', 'groups', 'roles', 'tenant', 'connection', 'signedInAt', 'sessionExpiresAt'],
  properties: {
    id: { type: 'string', description: 'The user\'s id in Rollcall (the SCIM id): the JWT\'s sub' },
    userName: { type: 'string' },
    displayName: { type: ['string', 'null'] },
    name: { type: ['object', 'null'], additionalProperties: true, description: 'The SCIM name (givenName, familyName, …)' },
    emails: { type: 'array', items: { type: 'object', required: ['value'], properties: { value: { type: 'string' }, type: { type: 'string' }, primary: { type: 'boolean' } } } },
    groups: { type: 'array', items: { type: 'object', required: ['id', 'displayName'], properties: { id: { type: 'string' }, displayName: { type: 'string' } } } },
    roles: { type: 'array', items: { type: 'string' } },
    tenant: { type: 'object', required: ['id', 'slug', 'ssoRequired'], properties: { id: { type: 'string' }, slug: { type: 'string' }, ssoRequired: { type: 'boolean' } } },
    connection: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    signedInAt: time,
    sessionExpiresAt: { ...time, description: 'How long the app should keep the session: the JWT\'s exp' },
  },
} as const;

export function ssoRoutes(app: FastifyInstance, deps: { handoff: Handoff }): void {
  void app.register(async (scope) => {
    // Form-encoded too (code=…), as OAuth clients post to token endpoints; encapsulated to this route.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post('/sso/token', {
      config: { ssoScope: true },
      schema: {
        operationId: 'exchangeSsoCode', tags: ['sso'],
        summary: 'Exchange a sign-in code (once) for the signed-in user\'s profile and a JWT; admin keys of scope sso or admin',
        body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 200, description: 'The code the app received as ?code=' } } },
        response: {
          200: {
            type: 'object', required: ['profile', 'token', 'tokenType', 'expiresAt'],
            properties: {
              profile: profileSchema,
              token: { type: 'string', description: 'A JWT of the profile (ES256), verifiable with the keys at /sso/jwks.json' },
              tokenType: { type: 'string', enum: ['JWT'] },
              expiresAt: { ...time, description: 'The JWT\'s exp: the end of the session' },
            },
          },
          ...problems(400, 401, 403),
        },
      },
    }, async (request, reply) => {
      const { code } = request.body as { code: string };
      const got = await deps.handoff.exchange(code);
      if (!got) throw new Problem(400, 'invalid-value', CODE_REFUSED, { field: 'code', reason: 'invalidCode' });
      reply.header('cache-control', 'no-store');
      return { profile: got.profile, token: got.token, tokenType: 'JWT', expiresAt: got.profile.sessionExpiresAt };
    });
  });
}
