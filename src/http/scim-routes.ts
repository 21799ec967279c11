// The SCIM 2.0 route group under /scim/v2/:tenant. Each handler authenticates (preHandler),
// parses the request into the core's plain objects, calls one use case, and renders the result.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.ts';
import { serviceProviderConfig, resourceTypes, schemas, type DiscoveryContext } from '../scim/discovery.ts';
import { methodNotAllowed, notImplemented, invalidValue, ScimError } from '../scim/errors.ts';
import { listResponse, parseListQuery, SEARCH_REQUEST_SCHEMA } from '../scim/list.ts';
import { parseProjection } from '../scim/projection.ts';
import { resourceSchemas, type ResourceSchema } from '../scim/schemas/resource-schema.ts';
import type { Store, Tenant } from '../store/store.ts';
import type { ScimContext } from '../provisioning/context.ts';
import * as users from '../provisioning/users.ts';
import * as groups from '../provisioning/groups.ts';
import { authenticate } from '../provisioning/tenants.ts';
import { etag, etagMatches, type Rendered } from '../provisioning/render.ts';
import { SCIM_CONTENT_TYPE } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyRequest { tenant?: Tenant }
}

type Req = FastifyRequest<{ Params: { tenant: string; id?: string }; Querystring: Record<string, unknown> }>;

const SCHEMAS = resourceSchemas();

export async function registerScimRoutes(app: FastifyInstance, deps: { config: Readonly<Config>; store: Store }): Promise<void> {
  const { config, store } = deps;

  // Declared up front so every request object keeps one shape (Fastify's advice; V8 deoptimises otherwise).
  app.decorateRequest('tenant', undefined);
  // onRequest: before the body is read, so an unauthenticated client cannot make us parse 10 MiB.
  app.addHook('onRequest', async (request: Req) => {
    request.tenant = await authenticate(store, request.params.tenant, request.headers.authorization);
  });

  const baseUrl = (slug: string) => `${config.publicUrl}/scim/v2/${slug}`;
  const ctx = (request: Req): ScimContext => ({ store, schemas: SCHEMAS, tenant: request.tenant!, baseUrl: baseUrl(request.tenant!.slug), limits: config.paging });
  const discovery = (request: Req): DiscoveryContext => ({
    baseUrl: baseUrl(request.tenant!.slug), resources: [SCHEMAS.User, SCHEMAS.Group], limits: config.paging,
    maxPayloadSize: config.bodyLimitBytes,
  });

  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(SCIM_CONTENT_TYPE).send(body);
  const header = (request: Req, name: string) => {
    const v = request.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const projectionOf = (rs: ResourceSchema, request: Req) => {
    const q = request.query as Record<string, string | undefined>;
    return parseProjection(rs, q.attributes, q.excludedAttributes);
  };

  /** One resource: ETag header, and 304 when If-None-Match already names this version (RFC 7644 §3.14). */
  const sendResource = async (request: Req, reply: FastifyReply, status: number, r: Rendered) => {
    reply.header('ETag', etag(r.version));
    const inm = header(request, 'if-none-match');
    if (request.method === 'GET' && inm && etagMatches(inm, r.version)) {
      return reply.code(304).send();
    }
    if (status === 201) reply.header('Location', (r.resource.meta as { location: string }).location);
    if (r.members) return send(reply, status, await streamWithMembers(r.resource, r.members));
    return send(reply, status, r.resource);
  };

  /** The `id` route parameter, rejected early when it cannot be an id at all. */
  const idOf = (request: Req): string => {
    const id = request.params.id ?? '';
    if (id.length === 0 || id.length > 255) throw invalidValue('The resource id in the URL is empty or longer than 255 characters.');
    return id;
  };

  for (const [endpoint, rs, ops] of [
    ['Users', SCHEMAS.User, { create: users.createUser, get: users.getUser, list: users.listUsers, replace: users.replaceUser, patch: users.patchUser, remove: users.deleteUser }],
    ['Groups', SCHEMAS.Group, { create: groups.createGroup, get: groups.getGroup, list: groups.listGroups, replace: groups.replaceGroup, patch: groups.patchGroup, remove: groups.deleteGroup }],
  ] as const) {
    app.get(`/${endpoint}`, async (request: Req, reply) => send(reply, 200, await ops.list(ctx(request), parseListQuery(rs, request.query, config.paging))));
    app.post(`/${endpoint}`, async (request: Req, reply) => sendResource(request, reply, 201, await ops.create(ctx(request), request.body, projectionOf(rs, request))));
    app.post(`/${endpoint}/.search`, async (request: Req, reply) => send(reply, 200, await ops.list(ctx(request), parseListQuery(rs, searchBody(request.body), config.paging))));
    app.get(`/${endpoint}/:id`, async (request: Req, reply) => sendResource(request, reply, 200, await ops.get(ctx(request), idOf(request), projectionOf(rs, request))));
    app.put(`/${endpoint}/:id`, async (request: Req, reply) => sendResource(request, reply, 200, await ops.replace(ctx(request), idOf(request), request.body, header(request, 'if-match'), projectionOf(rs, request))));
    app.patch(`/${endpoint}/:id`, async (request: Req, reply) => sendResource(request, reply, 200, await ops.patch(ctx(request), idOf(request), request.body, header(request, 'if-match'), projectionOf(rs, request))));
    app.delete(`/${endpoint}/:id`, async (request: Req, reply) => {
      await ops.remove(ctx(request), idOf(request), header(request, 'if-match'));
      return reply.code(204).send();
    });
    disallow(app, `/${endpoint}`, ['GET', 'POST']);
    disallow(app, `/${endpoint}/.search`, ['POST']);
    disallow(app, `/${endpoint}/:id`, ['GET', 'PUT', 'PATCH', 'DELETE']);
  }

  // POST /.search at the root searches Users and then Groups as one result set (RFC 7644 §3.4.3).
  app.post('/.search', async (request: Req, reply) => {
    const params = searchBody(request.body);
    const c = ctx(request);
    const results: unknown[] = [];
    const unknown: ScimError[] = [];
    let total = 0;
    let startIndex = 1;
    for (const [rs, list] of [[SCHEMAS.User, users.listUsers], [SCHEMAS.Group, groups.listGroups]] as const) {
      const q = parseListQuery(rs, params, config.paging);
      startIndex = q.startIndex;
      // A filter naming an attribute this type lacks (userName on Groups) matches none of it.
      let count: number;
      try {
        count = (await list(c, { ...q, sortBy: undefined, count: 0 })).totalResults;
      } catch (err) {
        if (!isUnknownAttribute(err)) throw err;
        unknown.push(err);
        continue;
      }
      const skip = Math.max(0, q.startIndex - 1 - total);
      const want = q.count - results.length;
      if (want > 0 && skip < count) {
        const page = { ...q, startIndex: skip + 1, count: want };
        // RFC 7644 §3.4.2.3: resources without the sort attribute come last, unsorted.
        const rows = await list(c, page).catch((err) => {
          if (q.sortBy && isUnknownAttribute(err)) return list(c, { ...page, sortBy: undefined });
          throw err;
        });
        results.push(...rows.Resources);
      }
      total += count;
    }
    if (unknown.length === 2) throw unknown[0]; // unknown to every resource type: a typo, say so
    return send(reply, 200, listResponse(results, total, startIndex));
  });

  app.get('/ServiceProviderConfig', async (request: Req, reply) => send(reply, 200, serviceProviderConfig(discovery(request))));
  // The route name of Microsoft's old reference server, which its Postman suite still calls.
  app.get('/serviceConfiguration', async (request: Req, reply) => send(reply, 200, serviceProviderConfig(discovery(request))));
  app.get('/ResourceTypes', async (request: Req, reply) => send(reply, 200, resourceTypes(discovery(request))));
  app.get('/ResourceTypes/:id', async (request: Req, reply) => send(reply, 200, resourceTypes(discovery(request), request.params.id)));
  app.get('/Schemas', async (request: Req, reply) => send(reply, 200, schemas(discovery(request))));
  app.get('/Schemas/:id', async (request: Req, reply) => send(reply, 200, schemas(discovery(request), request.params.id)));
  for (const path of ['/ServiceProviderConfig', '/serviceConfiguration', '/ResourceTypes', '/ResourceTypes/:id', '/Schemas', '/Schemas/:id']) disallow(app, path, ['GET']);
  disallow(app, '/.search', ['POST']);

  app.all('/Bulk', async () => { throw notImplemented('/Bulk is not supported by this server (ServiceProviderConfig says bulk.supported: false). Send each operation as its own request.'); });
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

/** A /.search body is the list parameters as JSON (RFC 7644 §3.4.3). */
function searchBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidValue(`A /.search body must be a JSON object with "schemas": ["${SEARCH_REQUEST_SCHEMA}"].`);
  const b = { ...(body as Record<string, unknown>) };
  for (const key of ['attributes', 'excludedAttributes']) {
    const k = Object.keys(b).find((x) => x.toLowerCase() === key.toLowerCase());
    if (k && Array.isArray(b[k])) b[k] = (b[k] as unknown[]).join(',');
  }
  return b;
}

function isUnknownAttribute(err: unknown): err is ScimError {
  return err instanceof ScimError && /is not an attribute of/.test(err.message);
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Every other method on a known path is 405 with an Allow header, not a misleading 404. */
function disallow(app: FastifyInstance, path: string, allowed: string[]): void {
  const others = ALL_METHODS.filter((m) => !allowed.includes(m));
  if (!others.length) return;
  app.route({ method: others as unknown as string[], url: path, handler: async (request) => {
    throw methodNotAllowed(`${request.method} is not allowed on this endpoint; use ${allowed.join(', ')}.`, allowed);
  } });
}

