// GET /sso/jwks.json: the public keys that verify the sign-in JWTs (provisioning/sso/handoff.ts), as
// a JSON Web Key Set (RFC 7517 §5). Public and unauthenticated: it holds only public keys. Cached
// briefly by clients and proxies: a new key is published the moment it first signs, and verifiers
// (jose's createRemoteJWKSet among them) fetch the set again when they meet an unknown kid.
import type { FastifyInstance } from 'fastify';
import type { Handoff } from '../../provisioning/sso/handoff.ts';

export const JWKS_PATH = '/sso/jwks.json';

/** Registers GET /jwks.json on `scope`, which surfaces.ts registers at the prefix /sso. */
export function registerJwks(scope: FastifyInstance, deps: { handoff: Handoff }): void {
  scope.get('/jwks.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    reply.type('application/json; charset=utf-8');
    return deps.handoff.jwks();
  });
}
