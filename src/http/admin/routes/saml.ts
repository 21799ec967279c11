// /admin/v1/tenants/{tenant}/saml/connections: a tenant's SAML identity providers (docs/sso.md
// "Connecting an identity provider"), made from metadata (uploaded XML or a URL) or from values
// typed in, with the SP values the customer's IT admin enters at the IdP (`sp`). The use cases
// (provisioning/sso/connections.ts) write each change with its audit entry.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConnectionInput, ConnectionPatch, SamlConnections } from '../../../provisioning/sso/connections.ts';
import type { AdminDeps } from '../index.ts';
import { actorOf, tenantIn } from '../index.ts';
import { pageOf } from '../paging.ts';
import { invalid } from '../problem.ts';
import { nullableTime, problems, slugParam, time } from '../schemas.ts';

const certificateSchema = {
  type: 'object',
  required: ['fingerprint', 'subject', 'notBefore', 'notAfter', 'expired', 'pem'],
  properties: {
    fingerprint: { type: 'string', description: "SHA-256 of the certificate (colon-separated hex), as IdP consoles show it" },
    subject: { type: 'string' },
    notBefore: time,
    notAfter: time,
    expired: { type: 'boolean' },
    pem: { type: 'string', description: 'The certificate itself (public)' },
  },
} as const;

const spSchema = {
  type: 'object',
  required: ['entityId', 'acsUrl', 'metadataUrl', 'loginUrl'],
  description: "What the customer's IT admin enters at the identity provider for this tenant",
  properties: {
    entityId: { type: 'string', description: "The SP entity id (Okta: Audience URI; Entra: Identifier)" },
    acsUrl: { type: 'string', description: 'Assertion Consumer Service URL, HTTP-POST (Okta: Single sign-on URL; Entra: Reply URL)' },
    metadataUrl: { type: 'string', description: "Rollcall's SP metadata for this tenant, for IdPs that import it" },
    loginUrl: { type: 'string', description: 'Where the app sends users to sign in (?returnTo=…&connection=…)' },
  },
} as const;

const connectionSchema = {
  type: 'object',
  required: ['id', 'name', 'entityId', 'ssoUrl', 'certificates', 'metadataUrl', 'signed', 'allowSha1', 'idpInitiated', 'enabled',
    'refreshedAt', 'refreshError', 'refreshFailedAt', 'nextRefreshAt', 'createdAt', 'updatedAt', 'sp', 'warnings'],
  properties: {
    id: { type: 'string', description: 'saml_…' },
    name: { type: 'string' },
    entityId: { type: 'string', description: "The IdP's entity id: the Issuer its responses must carry" },
    ssoUrl: { type: 'string', description: 'Where sign-in requests are sent (HTTP-Redirect binding)' },
    certificates: { type: 'array', items: certificateSchema, description: "The IdP's signing certificates; each is accepted (two during a rollover)" },
    metadataUrl: { type: ['string', 'null'], description: 'Where the metadata is refreshed from; null: uploaded or typed in' },
    signed: { type: 'string', enum: ['assertion', 'response', 'either', 'both'], description: 'Which part of a response must carry the IdP signature' },
    allowSha1: { type: 'boolean', description: 'Accept RSA-SHA1 signatures and SHA-1 digests (off: refused)' },
    idpInitiated: { type: 'boolean', description: 'Accept sign-ins started at the IdP (unsolicited responses)' },
    enabled: { type: 'boolean' },
    refreshedAt: { ...nullableTime, description: 'The last successful fetch of the metadata URL' },
    refreshError: { type: ['string', 'null'], description: 'Why the last refresh failed (the last good metadata is kept); null once one succeeds' },
    refreshFailedAt: nullableTime,
    nextRefreshAt: nullableTime,
    createdAt: time,
    updatedAt: time,
    sp: spSchema,
    warnings: { type: 'array', items: { type: 'string' }, description: 'Certificates expired or about to, left out of the metadata, …' },
  },
} as const;

const options = {
  signed: connectionSchema.properties.signed,
  allowSha1: { type: 'boolean', description: 'default false' },
  idpInitiated: { type: 'boolean', description: 'default false' },
  enabled: { type: 'boolean', description: 'default true' },
} as const;

const sources = {
  metadataXml: { type: 'string', minLength: 1, description: "The IdP's metadata XML document" },
  entityId: { type: 'string', minLength: 1, maxLength: 1024, description: "With metadata: which IdP of an aggregate. By hand: the IdP's entity id" },
  ssoUrl: { type: 'string', minLength: 1, maxLength: 2048, description: 'By hand: the IdP single sign-on URL (HTTP-Redirect)' },
  certificates: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 20_000 }, description: 'By hand: signing certificates, PEM or base64 (two during a rollover)' },
} as const;

const createBody = {
  type: 'object', additionalProperties: false, required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    ...sources,
    metadataUrl: { type: 'string', minLength: 1, maxLength: 2048, description: 'https:// URL of the metadata, fetched now and refreshed daily' },
    ...options,
  },
} as const;

const updateBody = {
  type: 'object', additionalProperties: false, minProperties: 1,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    ...sources,
    metadataUrl: { type: ['string', 'null'], minLength: 1, maxLength: 2048, description: 'A new URL (fetched now), or null to stop refreshing and keep the values' },
    ...options,
  },
} as const;

const XML_TYPES = ['application/samlmetadata+xml', 'application/xml', 'text/xml'];
const xmlBody = { type: 'string', minLength: 1, description: "The IdP's metadata XML document" } as const;

export function samlRoutes(app: FastifyInstance, deps: AdminDeps & { connections: SamlConnections }): void {
  const { store } = deps.provisioning;
  const { connections } = deps;
  const base = '/tenants/:tenant/saml/connections';
  const tags = ['saml'];
  const baseParams = { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } as const;
  const idParams = { type: 'object', required: ['tenant', 'id'], properties: { tenant: slugParam, id: { type: 'string', maxLength: 100 } } } as const;
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.get(base, {
    config: { setup: 'sso' },
    schema: { operationId: 'listSamlConnections', tags, summary: "A tenant's SAML connections (identity providers)", params: baseParams, response: { 200: pageOf(connectionSchema), ...problems(401, 404) } },
  }, async (request) => {
    const tenant = await tenantIn(store, request);
    // A tenant has a handful: one page, always.
    return { data: await connections.list(tenant), next: null };
  });

  // The metadata file may also be sent as it is (Content-Type application/samlmetadata+xml or
  // application/xml), naming the connection in the query: `curl --data-binary @metadata.xml`.
  // The XML parser is registered in this route's own context, so no other admin route takes XML.
  void app.register(async (xml) => {
    xml.addContentTypeParser(XML_TYPES, { parseAs: 'string' }, (_request, body, done) => { done(null, body); });
    xml.post(base, {
      config: { setup: 'sso' },
      schema: {
        operationId: 'createSamlConnection', tags, params: baseParams,
        summary: 'Add an identity provider: from its metadata ("metadataXml" or "metadataUrl") or by hand ("entityId", "ssoUrl", "certificates"); or send the metadata XML itself as the body, with ?name=',
        querystring: {
          type: 'object', additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100, description: 'With an XML body: the connection\'s name' },
            entityId: { type: 'string', minLength: 1, maxLength: 1024, description: 'With an XML body: which IdP of an aggregate' },
          },
        },
        body: { content: { 'application/json': { schema: createBody }, ...Object.fromEntries(XML_TYPES.map((t): [string, { schema: typeof xmlBody }] => [t, { schema: xmlBody }])) } },
        response: { 201: connectionSchema, ...problems(400, 401, 403, 404, 409) },
      },
    }, async (request, reply) => {
      const tenant = await tenantIn(store, request);
      const q = request.query as { name?: string; entityId?: string };
      let input: ConnectionInput;
      if (typeof request.body === 'string') {
        if (q.name === undefined) throw invalid('name', 'With the metadata XML as the body, name the connection in the query: ?name=Okta.');
        input = { name: q.name, metadataXml: request.body, ...(q.entityId !== undefined ? { entityId: q.entityId } : {}) };
      } else {
        if (q.name !== undefined || q.entityId !== undefined) throw invalid(q.name !== undefined ? 'name' : 'entityId', 'With a JSON body, give "name" and "entityId" in the body, not the query.');
        input = request.body as ConnectionInput;
      }
      const created = await connections.create(tenant, input, actorOf(request));
      return reply.code(201).send(created);
    });
  });

  app.get(`${base}/:id`, {
    config: { setup: 'sso' },
    schema: { operationId: 'getSamlConnection', tags, params: idParams, response: { 200: connectionSchema, ...problems(401, 404) } },
  }, async (request) => connections.get(await tenantIn(store, request), idOf(request)));

  app.patch(`${base}/:id`, {
    config: { setup: 'sso' },
    schema: {
      operationId: 'updateSamlConnection', tags, params: idParams, body: updateBody,
      summary: 'Rename, change options, replace the metadata (XML or URL) or the certificates (send both during a rollover)',
      response: { 200: connectionSchema, ...problems(400, 401, 403, 404, 409) },
    },
  }, async (request) => connections.update(await tenantIn(store, request), idOf(request), request.body as ConnectionPatch, actorOf(request)));

  app.delete(`${base}/:id`, {
    schema: { operationId: 'deleteSamlConnection', tags, summary: 'Remove a connection: its users can no longer sign in through it', params: idParams, response: { 204: { type: 'null' }, ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    await connections.delete(await tenantIn(store, request), idOf(request), actorOf(request));
    return reply.code(204).send();
  });

  // A test sign-in (docs/sso.md "Test sign-in"): the browser is sent to `url` (the IdP, with an
  // AuthnRequest stored as a test); the IdP posts to the ACS, which shows the result page.
  app.post(`${base}/:id/test`, {
    config: { setup: 'sso' },
    schema: {
      operationId: 'testSamlConnection', tags, params: idParams,
      summary: 'Start a test sign-in: open `url` in the browser; the ACS answers with a page saying what the IdP sent and which user it would sign in (or why not), and signs no one in',
      response: {
        200: {
          type: 'object', required: ['url', 'requestId', 'expiresAt'],
          properties: {
            url: { type: 'string', description: 'The identity provider URL with the test AuthnRequest (HTTP-Redirect binding): open it in the browser' },
            requestId: { type: 'string', description: 'The AuthnRequest ID the response must answer' },
            expiresAt: { ...time, description: 'Until when the identity provider\'s answer is accepted' },
          },
        },
        ...problems(401, 403, 404),
      },
    },
  }, async (request) => connections.test(await tenantIn(store, request), idOf(request), actorOf(request)));

  app.post(`${base}/:id/refresh`, {
    schema: {
      operationId: 'refreshSamlConnection', tags, params: idParams,
      summary: 'Fetch the metadata URL now. A failed fetch keeps the last good metadata and answers 200 with refreshError set',
      response: { 200: connectionSchema, ...problems(401, 403, 404, 409) },
    },
  }, async (request) => connections.refresh(await tenantIn(store, request), idOf(request), actorOf(request)));
}
