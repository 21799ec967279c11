// The SCIM 2.0 route group under /scim/v2/:tenant. Each handler authenticates (preHandler),
// parses the request into the core's plain objects, calls one use case, and renders the result.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bulkLimits, type Config } from '../../config/config.ts';
import { serviceProviderConfig, resourceTypes, schemas } from '../../scim/discovery.ts';
import { methodNotAllowed, notImplemented, invalidValue } from '../../scim/errors.ts';
import { etag, etagMatches } from '../../scim/etag.ts';
import { parseListQuery } from '../../scim/list.ts';
import { parseProjection } from '../../scim/projection.ts';
import type { Rendered } from '../../scim/render.ts';
import type { ResourceSchema } from '../../scim/schemas/resource-schema.ts';
import type { ScimContext } from '../../provisioning/context.ts';
import * as users from '../../provisioning/users.ts';
import * as groups from '../../provisioning/groups.ts';
import { searchAll } from '../../provisioning/search.ts';
import type { Provisioning } from '../../provisioning/service.ts';
import { parseJsonBody, searchBody } from './body.ts';
import { installScimErrors, SCIM_CONTENT_TYPE } from './errors.ts';
import { installRequestCapture } from './request-capture.ts';
import { registerBulk } from './bulk.ts';
import { ScimLimits } from './rate-limit.ts';
import type { RequestLog } from '../../provisioning/request-log/recorder.ts';

declare module 'fastify' {
  interface FastifyRequest { scim?: ScimContext }
}

type Req = FastifyRequest<{ Params: { tenant: string; id?: string }; Querystring: Record<string, unknown> }>;

/**
 * The SCIM surface, registered under /scim/v2/:tenant. Its body parser, error format and 404 are
 * its own (Fastify encapsulates them in this plugin), so other surfaces — form-encoded SAML posts,
 * the problem+json admin API, HTML console pages — live beside it with theirs.
 */
export async function registerScimRoutes(app: FastifyInstance, deps: { config: Readonly<Config>; provisioning: Provisioning; requestLog?: RequestLog }): Promise<void> {
  const { config, provisioning } = deps;
  // First, so that it sees every answer of the tenant's routes (docs/request-log.md). Not installed
  // at all while the log is off: then it costs nothing.
  app.decorateRequest('scimRawBody', undefined);
  if (deps.requestLog?.enabled) installRequestCapture(app, deps.requestLog, provisioning.clock);

  // SCIM bodies are JSON whatever the client calls them (application/scim+json, application/json,
  // or a missing/odd type from a hand-rolled client). The body limit is the parser's own, so it
  // holds when this surface is mounted in a vendor's server whose limit is another (library.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: config.bodyLimitBytes }, (request, body, done) => {
    request.scimRawBody = body as string;
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  installScimErrors(app, config.bodyLimitBytes, config.retryAfterSeconds);

  // Declared up front so every request object keeps one shape (Fastify's advice; V8 deoptimises otherwise).
  app.decorateRequest('scim', undefined);
  // The per-tenant limits (rate-limit.ts): this surface's own counts; not made at all when turned off.
  const limits = config.rateLimit.enabled ? new ScimLimits(provisioning.clock, config.rateLimit, provisioning.authentication) : undefined;
  const authentication = limits ?? provisioning.authentication;
  // onRequest: before the body is read, so an unauthenticated client cannot make us parse 10 MiB.
  app.addHook('onRequest', async (request: Req, reply) => {
    const { tenant, actor } = await authentication.authenticate(request.params.tenant, request.headers.authorization);
    request.scim = await provisioning.context(tenant, { actor, requestId: request.id });
    // Only once authenticated: a flood of bad tokens never spends the tenant's budget.
    limits?.admit(request, reply);
  });

  // Attributes a client sent that no schema of the tenant defines are ignored (never fatal), but
  // not silently: one warning per request names them (never their values), so an IdP mapping for a
  // custom attribute the tenant has not defined shows up in the log. Logged when the response is
  // done, so a request refused later for another reason still reports them.
  app.addHook('onResponse', (request: Req, _reply, done) => {
    const ignored = request.scim?.ignored;
    if (ignored?.length) logIgnored(request, ignored);
    const dropped = request.scim?.ignoredChanges;
    if (dropped?.length) {
      request.log.warn({ tenant: request.scim!.tenant.slug, ignoredChanges: [...new Set(dropped)].slice(0, MAX_IGNORED_LOGGED) },
        'changes ignored: the tenant\'s attribute rules (policies.attributes.changeable) do not accept them');
    }
    done();
  });

  const ctx = (request: Req) => request.scim!;
  const discovery = (request: Req) => provisioning.discovery(request.scim!);

  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(SCIM_CONTENT_TYPE).send(body);
  const header = (request: Req, name: string) => {
    const v = request.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const query = (request: Req) => request.query as Record<string, string | undefined>;
  const projectionOf = (rs: ResourceSchema, request: Req) => parseProjection(rs, query(request).attributes, query(request).excludedAttributes);

  /** One resource: ETag header, and 304 when If-None-Match already names this version (RFC 7644 §3.14). */
  const sendResource = async (request: Req, reply: FastifyReply, status: number, r: Rendered, endpoint?: string) => {
    reply.header('ETag', etag(r.version));
    const inm = header(request, 'if-none-match');
    if (request.method === 'GET' && inm && etagMatches(inm, r.version)) {
      return reply.code(304).send();
    }
    // A projection may leave meta out (?attributes=userName): the Location is the resource's all the same.
    if (status === 201) reply.header('Location', (r.resource.meta as { location?: string } | undefined)?.location ?? `${request.scim!.baseUrl}/${endpoint}/${encodeURIComponent(String(r.resource.id))}`);
    if (r.members) return send(reply, status, await streamWithMembers(r.resource, r.members));
    return send(reply, status, r.resource);
  };

  /** The `id` route parameter, rejected early when it cannot be an id at all. */
  const idOf = (request: Req): string => {
    const id = request.params.id ?? '';
    if (id.length === 0 || id.length > 255) throw invalidValue('The resource id in the URL is empty or longer than 255 characters.');
    return id;
  };

  for (const [endpoint, type, ops] of [
    ['Users', 'User', { create: users.createUser, get: users.getUser, list: users.listUsers, replace: users.replaceUser, patch: users.patchUser, remove: users.deleteUser }],
    ['Groups', 'Group', { create: groups.createGroup, get: groups.getGroup, list: groups.listGroups, replace: groups.replaceGroup, patch: groups.patchGroup, remove: groups.deleteGroup }],
  ] as const) {
    const rs = (request: Req) => request.scim!.schemas[type];
    app.get(`/${endpoint}`, async (request: Req, reply) => send(reply, 200, await ops.list(ctx(request), parseListQuery(rs(request), request.query, config.paging))));
    app.post(`/${endpoint}`, async (request: Req, reply) => sendResource(request, reply, 201, await ops.create(ctx(request), request.body, projectionOf(rs(request), request)), endpoint));
    app.post(`/${endpoint}/.search`, async (request: Req, reply) => send(reply, 200, await ops.list(ctx(request), parseListQuery(rs(request), searchBody(request.body), config.paging))));
    app.get(`/${endpoint}/:id`, async (request: Req, reply) => sendResource(request, reply, 200, await ops.get(ctx(request), idOf(request), projectionOf(rs(request), request))));
    app.put(`/${endpoint}/:id`, async (request: Req, reply) => sendResource(request, reply, 200, await ops.replace(ctx(request), idOf(request), request.body, header(request, 'if-match'), projectionOf(rs(request), request))));
    app.patch(`/${endpoint}/:id`, async (request: Req, reply) => {
      const result = await ops.patch(ctx(request), idOf(request), request.body, header(request, 'if-match'), projectionOf(rs(request), request));
      // PATCH as identity providers send it (no attributes/excludedAttributes) is answered as the
      // tenant's settings say (scim.patchResponse): by default 200 with the user, and 204 with the
      // ETag for a group. Okta and Entra do not read a group's body, which for a big group is every
      // member — megabytes per membership change (RFC 7644 §3.5.2 allows 204; docs/idp-quirks.md).
      // Asked for a projection, the client gets the resource it asked for.
      const mode = ctx(request).settings.scim.patchResponse[type === 'User' ? 'users' : 'groups'];
      if (mode === 204 && !wantsBody(request)) return reply.code(204).header('ETag', etag(result.version)).send();
      return sendResource(request, reply, 200, result);
    });
    app.delete(`/${endpoint}/:id`, async (request: Req, reply) => {
      await ops.remove(ctx(request), idOf(request), header(request, 'if-match'));
      return reply.code(204).send();
    });
    disallow(app, `/${endpoint}`, ['GET', 'POST']);
    disallow(app, `/${endpoint}/.search`, ['POST']);
    disallow(app, `/${endpoint}/:id`, ['GET', 'PUT', 'PATCH', 'DELETE']);
  }

  // POST /.search at the root searches Users and then Groups as one result set (RFC 7644 §3.4.3).
  app.post('/.search', async (request: Req, reply) => send(reply, 200, await searchAll(ctx(request), searchBody(request.body))));

  app.get('/ServiceProviderConfig', async (request: Req, reply) => send(reply, 200, serviceProviderConfig(discovery(request))));
  // The route name of Microsoft's old reference server, which its Postman suite still calls.
  app.get('/serviceConfiguration', async (request: Req, reply) => send(reply, 200, serviceProviderConfig(discovery(request))));
  app.get('/ResourceTypes', async (request: Req, reply) => send(reply, 200, resourceTypes(discovery(request))));
  app.get('/ResourceTypes/:id', async (request: Req, reply) => send(reply, 200, resourceTypes(discovery(request), request.params.id)));
  app.get('/Schemas', async (request: Req, reply) => send(reply, 200, schemas(discovery(request))));
  app.get('/Schemas/:id', async (request: Req, reply) => send(reply, 200, schemas(discovery(request), request.params.id)));
  for (const path of ['/ServiceProviderConfig', '/serviceConfiguration', '/ResourceTypes', '/ResourceTypes/:id', '/Schemas', '/Schemas/:id']) disallow(app, path, ['GET']);
  disallow(app, '/.search', ['POST']);

  registerBulk(app, {
    limits: bulkLimits(config), retryAfterSeconds: config.retryAfterSeconds,
    onOperations: limits && ((request, count) => limits.chargeOperations(request, count)),
  });
  disallow(app, '/Bulk', ['POST']);
  app.all('/Me', async () => { throw notImplemented('/Me is not supported: Rollcall tokens belong to a tenant, not to a user.'); });
}

/**
 * The resource as a stream of JSON text with its members written page by page before "meta". The
 * first page is read before anything is sent, so a failing database still gets a proper SCIM error.
 */
async function streamWithMembers(resource: Record<string, unknown>, pages: AsyncIterable<Record<string, unknown>[]>): Promise<Readable> {
  const { meta, ...rest } = resource;
  const iterator = pages[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* chunks() {
    yield `${JSON.stringify(rest).slice(0, -1)},"members":[`;
    let separator = '';
    for (let page = first; !page.done; page = await iterator.next()) {
      yield separator + page.value.map((m) => JSON.stringify(m)).join(',');
      separator = ',';
    }
    yield `],"meta":${JSON.stringify(meta)}}`;
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Names logged per request at most, and characters per name: a hostile body cannot flood the log. */
const MAX_IGNORED_LOGGED = 20;
const MAX_IGNORED_NAME = 200;

function logIgnored(request: Req, names: string[]): void {
  const unique = [...new Set(names)];
  request.log.warn({
    tenant: request.scim!.tenant.slug,
    ignoredAttributes: unique.slice(0, MAX_IGNORED_LOGGED).map((n) => n.slice(0, MAX_IGNORED_NAME)),
    ignoredCount: unique.length,
  }, 'attributes ignored: no schema of the tenant defines them');
}

/** True when the request asked for a projection of the resource, so it wants the resource back. */
function wantsBody(request: Req): boolean {
  return Object.keys(request.query).some((k) => /^(attributes|excludedattributes)$/i.test(k));
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Every other method on a known path is 405 with an Allow header, not a misleading 404. */
function disallow(app: FastifyInstance, path: string, allowed: string[]): void {
  const others = ALL_METHODS.filter((m) => !allowed.includes(m));
  if (!others.length) return;
  app.route({ method: others, url: path, handler: async (request) => {
    throw methodNotAllowed(`${request.method} is not allowed on this endpoint; use ${allowed.join(', ')}.`, allowed);
  } });
}

