// /admin/v1/tenants/{tenant}/users and /groups: read everything, write the local ones.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditHook, eventActor } from '../../../provisioning/admin/audit.ts';
import {
  createLocalGroup, createLocalUser, deleteLocalGroup, deleteLocalUser, groupMembers, readGroup, readUser, replaceLocalGroup, replaceLocalUser, scanGroups, scanUsers,
} from '../../../provisioning/admin/directory.ts';
import type { ScimContext } from '../../../provisioning/context.ts';
import { effectiveRoles } from '../../../provisioning/policies/roles.ts';
import type { AttrDoc } from '../../../scim/resource.ts';
import type { AdminDeps } from '../index.ts';
import { actorOf, tenantIn } from '../index.ts';
import { decodeCursor, page, pageOf, pagingQuery } from '../paging.ts';
import { groupJson, memberJson, userJson } from '../render.ts';
import { groupSchema, idParam, memberSchema, problems, slugParam, userSchema, userStatus } from '../schemas.ts';
import type { UserStatus } from '../../../store/store.ts';

const params = { type: 'object', required: ['tenant'], properties: { tenant: slugParam } } as const;
const itemParams = { type: 'object', required: ['tenant', 'id'], properties: { tenant: slugParam, id: idParam } } as const;
const listQuery = {
  type: 'object', additionalProperties: false,
  properties: { filter: { type: 'string', maxLength: 4000, description: 'A SCIM filter (RFC 7644 §3.4.2.2), e.g. userName sw "a"' }, ...pagingQuery },
} as const;
const attributesBody = (extra: Record<string, object> = {}) => ({
  type: 'object', additionalProperties: false, required: ['attributes'],
  properties: { attributes: { type: 'object', additionalProperties: true, description: 'SCIM attributes: core at the top level, extensions under their URN' }, ...extra },
}) as const;
const membersField = { members: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 255 }, description: 'Ids of the users and groups that are members (the whole set)' } };
const statusField = { status: { ...userStatus, type: 'string', enum: ['invited', 'active', 'deactivated'], description: 'The local user\'s status; invited is refused (409) while SCIM is enabled for the tenant. On create, by default: what `active` says' } };
const ifMatchHeaders = { type: 'object', properties: { 'if-match': { type: 'string', maxLength: 100, description: 'The version (or ETag) last read; refused with 412 if it has changed since' } } } as const;

/** If-Match as the SCIM side reads it: a bare version number is taken as its weak ETag. */
const ifMatchOf = (request: FastifyRequest): string | undefined => {
  const v = request.headers['if-match'];
  return typeof v === 'string' && /^\d+$/.test(v.trim()) ? `W/"${v.trim()}"` : v;
};

export function directoryRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { provisioning } = deps;
  const { store } = provisioning;
  // The admin key acts; the write's audit entry is written in its transaction (auditHook).
  const contextOf = async (request: FastifyRequest): Promise<ScimContext> => {
    const actor = actorOf(request);
    return provisioning.context(await tenantIn(store, request), { actor: eventActor(actor), requestId: request.id, hooks: [auditHook(actor)] });
  };
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
  const created = (reply: FastifyReply, body: object) => reply.code(201).send(body);

  app.get('/tenants/:tenant/users', {
    schema: { operationId: 'listUsers', tags: ['users'], summary: 'Users in creation order, optionally filtered', params, querystring: listQuery, response: { 200: pageOf(userSchema), ...problems(400, 401, 404) } },
  }, async (request) => {
    const ctx = await contextOf(request);
    const q = request.query as { filter?: string; after?: string; limit: number };
    const after = decodeCursor<number>(q.after, 'number');
    return page(q.limit, (n) => scanUsers(ctx, q.filter, after, n), (u) => u.seq!, (u) => userJson(u));
  });

  app.get('/tenants/:tenant/users/:id', {
    schema: { operationId: 'getUser', tags: ['users'], summary: 'A user, with the groups it belongs to and the roles they grant it', params: itemParams, response: { 200: userSchema, ...problems(401, 404) } },
  }, async (request) => {
    const ctx = await contextOf(request);
    const found = await readUser(ctx, idOf(request));
    const roles = effectiveRoles(ctx.settings.policies.roles, found.groups.map((g) => ({ id: g.value, displayName: g.display })));
    return { ...userJson(found.user, found.groups), roles };
  });

  app.post('/tenants/:tenant/users', {
    schema: { operationId: 'createUser', tags: ['users'], summary: 'Create a local user (not managed by the identity provider), or invite one (status invited) while SCIM is disabled', params, body: attributesBody(statusField), response: { 201: userSchema, ...problems(400, 401, 403, 404, 409) } },
  }, async (request, reply) => {
    const ctx = await contextOf(request);
    const body = request.body as { attributes: AttrDoc; status?: UserStatus };
    const { user: u, groups } = await createLocalUser(ctx, body.attributes, body.status);
    return created(reply, userJson({ ...u, origin: 'local' }, groups));
  });

  app.put('/tenants/:tenant/users/:id', {
    schema: { operationId: 'replaceUser', tags: ['users'], summary: "Replace a local user's attributes (and its status, when given)", params: itemParams, headers: ifMatchHeaders, body: attributesBody(statusField), response: { 200: userSchema, ...problems(400, 401, 403, 404, 409, 412) } },
  }, async (request) => {
    const ctx = await contextOf(request);
    const body = request.body as { attributes: AttrDoc; status?: UserStatus };
    const u = await replaceLocalUser(ctx, idOf(request), body.attributes, ifMatchOf(request), body.status);
    return userJson(u);
  });

  app.delete('/tenants/:tenant/users/:id', {
    schema: { operationId: 'deleteUser', tags: ['users'], summary: 'Delete a local user and its memberships', params: itemParams, headers: ifMatchHeaders, response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409, 412) } },
  }, async (request, reply) => {
    const ctx = await contextOf(request);
    await deleteLocalUser(ctx, idOf(request), ifMatchOf(request));
    return reply.code(204).send();
  });

  app.get('/tenants/:tenant/groups', {
    schema: { operationId: 'listGroups', tags: ['groups'], summary: 'Groups in creation order, optionally filtered', params, querystring: listQuery, response: { 200: pageOf(groupSchema), ...problems(400, 401, 404) } },
  }, async (request) => {
    const ctx = await contextOf(request);
    const q = request.query as { filter?: string; after?: string; limit: number };
    const after = decodeCursor<number>(q.after, 'number');
    return page(q.limit, (n) => scanGroups(ctx, q.filter, after, n), (g) => g.seq!, groupJson);
  });

  app.get('/tenants/:tenant/groups/:id', {
    schema: { operationId: 'getGroup', tags: ['groups'], summary: 'A group (its members are paged: listGroupMembers)', params: itemParams, response: { 200: groupSchema, ...problems(401, 404) } },
  }, async (request) => groupJson(await readGroup(await contextOf(request), idOf(request))));

  app.get('/tenants/:tenant/groups/:id/members', {
    schema: {
      operationId: 'listGroupMembers', tags: ['groups'], summary: "A group's members, in id order", params: itemParams,
      querystring: { type: 'object', additionalProperties: false, properties: pagingQuery }, response: { 200: pageOf(memberSchema), ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const ctx = await contextOf(request);
    const q = request.query as { after?: string; limit: number };
    const after = decodeCursor<string>(q.after, 'string');
    return page(q.limit, (n) => groupMembers(ctx, idOf(request), after, n), (m) => m.value, memberJson);
  });

  app.post('/tenants/:tenant/groups', {
    schema: { operationId: 'createGroup', tags: ['groups'], summary: 'Create a local group', params, body: attributesBody(membersField), response: { 201: groupSchema, ...problems(400, 401, 403, 404, 409) } },
  }, async (request, reply) => {
    const ctx = await contextOf(request);
    const body = request.body as { attributes: AttrDoc; members?: string[] };
    const g = await createLocalGroup(ctx, body.attributes, body.members);
    return created(reply, groupJson({ ...g, origin: 'local' }));
  });

  app.put('/tenants/:tenant/groups/:id', {
    schema: {
      operationId: 'replaceGroup', tags: ['groups'], summary: "Replace a local group's attributes and, if given, its members", params: itemParams, headers: ifMatchHeaders,
      body: attributesBody(membersField), response: { 200: groupSchema, ...problems(400, 401, 403, 404, 409, 412) },
    },
  }, async (request) => {
    const ctx = await contextOf(request);
    const body = request.body as { attributes: AttrDoc; members?: string[] };
    const g = await replaceLocalGroup(ctx, idOf(request), body.attributes, body.members, ifMatchOf(request));
    return groupJson(g);
  });

  app.delete('/tenants/:tenant/groups/:id', {
    schema: { operationId: 'deleteGroup', tags: ['groups'], summary: 'Delete a local group', params: itemParams, headers: ifMatchHeaders, response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409, 412) } },
  }, async (request, reply) => {
    const ctx = await contextOf(request);
    await deleteLocalGroup(ctx, idOf(request), ifMatchOf(request));
    return reply.code(204).send();
  });
}
