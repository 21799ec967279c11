// The OpenAPI document of /admin/v1 is the contract the typed client is generated from, so it
// must be complete and true: every admin route is in it, every operation answers as it declares
// (each response validated against its declared schema, through the real server and database),
// and the committed client types are what the document generates today.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { clientSchemaSource } from '../../harness/openapi.ts';
import { RollcallAdmin } from '../../src/client/index.ts';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { DEFAULTS } from '../../src/config/config.ts';
import { systemClock } from '../../src/provisioning/clock.ts';
import { Handoff } from '../../src/provisioning/sso/handoff.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Operation = { operationId: string; responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Doc = { paths: Record<string, Record<string, Operation>> };

let server: TestServer;
let key: string;
before(async () => {
  server = await startTestServer();
  key = (await createAdminKey(server.running.store, { name: 'openapi walk', scope: 'admin', ttlMs: null })).key;
});
after(async () => { await server?.close(); });

/** Full paths and methods of the admin routes the server has, read from Fastify's own route tree. */
function registeredAdminRoutes(tree: string): Set<string> {
  const out = new Set<string>();
  // Each line: tree drawing, then a segment relative to the nearest shallower line, then (METHODS).
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│├└─]*)(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length;
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop();
    const parent = stack.length ? stack[stack.length - 1].path : '';
    const path = `${parent}/${m[2]}`.replace(/\/{2,}/g, '/');
    stack.push({ depth, path });
    for (const method of m[3]?.split(', ') ?? []) {
      if (path.startsWith('/admin/v1/') && method !== 'HEAD' && path !== '/admin/v1/openapi.json') out.add(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return out;
}

test('every admin route is in the OpenAPI document, and the document lists no route the server lacks', async () => {
  const doc = await (await fetch(`${server.baseUrl}/admin/v1/openapi.json`)).json() as Doc;
  const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
  const registered = registeredAdminRoutes(server.running.app.printRoutes({ commonPrefix: false }));
  assert.ok(registered.size >= 20, `the route tree was read (${registered.size} routes)`);
  assert.deepEqual([...registered].sort(), [...documented].sort());
});

test('the committed client types are what the OpenAPI document generates (npm run generate:client)', async () => {
  const committed = readFileSync(new URL('../../src/client/schema.ts', import.meta.url), 'utf8');
  assert.ok(committed === await clientSchemaSource(), 'src/client/schema.ts is stale: run `npm run generate:client` and commit it');
});

test('every operation answers with a status and a body its declared response schema accepts', async () => {
  const doc = await (await fetch(`${server.baseUrl}/admin/v1/openapi.json`)).json() as Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const admin = RollcallAdmin({ baseUrl: server.baseUrl, key });

  // What the walk works on: a tenant with a SCIM user, a local user, a local group, tokens and a spare key.
  const slug = 'walk';
  const { token } = await server.createTenant(slug);
  const scimUser = await (await fetch(`${server.baseUrl}/scim/v2/${slug}/Users`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ userName: 'idp.user@example.com' }),
  })).json() as { id: string };
  const local = await admin.POST('/admin/v1/tenants/{tenant}/users', { params: { path: { tenant: slug } }, body: { attributes: { userName: 'local@example.com' } } });
  const group = await admin.POST('/admin/v1/tenants/{tenant}/groups', { params: { path: { tenant: slug } }, body: { attributes: { displayName: 'Walkers' }, members: [local.data!.id, scimUser.id] } });
  const spareToken = await admin.POST('/admin/v1/tenants/{tenant}/tokens', { params: { path: { tenant: slug } }, body: { name: 'spare' } });
  const rotatable = await admin.POST('/admin/v1/tenants/{tenant}/tokens', { params: { path: { tenant: slug } }, body: { name: 'to rotate' } });
  const keyToRevoke = (await createAdminKey(server.running.store, { name: 'to revoke', scope: 'read', ttlMs: null })).record.id;
  await admin.POST('/admin/v1/tenants', { body: { slug: 'walk-doomed' } });
  // SCIM mode: one tenant to disable, one (disabled here) to enable again.
  await admin.POST('/admin/v1/tenants', { body: { slug: 'walk-scim-off' } });
  await admin.POST('/admin/v1/tenants', { body: { slug: 'walk-scim-on' } });
  await admin.POST('/admin/v1/tenants/{tenant}/scim/disable', { params: { path: { tenant: 'walk-scim-on' } }, body: { confirm: 'DISABLE' } });
  const tenantHook = (await admin.POST('/admin/v1/tenants/{tenant}/webhooks', { params: { path: { tenant: slug } }, body: { url: 'https://hooks.example.com/walk' } })).data!.id;
  const globalHook = (await admin.POST('/admin/v1/webhooks', { body: { url: 'https://hooks.example.com/all' } })).data!.id;
  const walkEvent = (await admin.GET('/admin/v1/events', { params: { query: { tenant: slug, limit: 1 } } })).data!.data[0].id;
  const oktaMetadata = readFileSync(new URL('../fixtures/saml/metadata/okta.xml', import.meta.url), 'utf8');
  const samlConnection = (await admin.POST('/admin/v1/tenants/{tenant}/saml/connections', { params: { path: { tenant: slug } }, body: { name: 'Walk IdP', metadataXml: oktaMetadata } })).data!.id;
  // A sign-in code as the SAML sign-in issues it (provisioning/sso/handoff.ts), for the exchange.
  const walkTenant = (await server.running.store.findTenantBySlug(slug))!;
  const signedIn = new Date();
  const step = await new Handoff(server.running.store, systemClock, DEFAULTS.saml, server.baseUrl).issue('code', new URL('https://app.example/sso'), {
    id: local.data!.id, userName: 'walker', displayName: null, name: null, emails: [], groups: [], roles: [],
    tenant: { id: walkTenant.id, slug, ssoRequired: false }, connection: { id: 'c-walk', name: 'Okta' },
    signedInAt: signedIn.toISOString(), sessionExpiresAt: new Date(signedIn.getTime() + 3_600_000).toISOString(),
  });
  const ssoCode = new URL((step as { url: string }).url).searchParams.get('code')!;

  // The SCIM request log (issue 13): the walk's own SCIM request, once written.
  await server.running.requestLog.flush();
  const loggedRequest = (await admin.GET('/admin/v1/tenants/{tenant}/requests', { params: { path: { tenant: slug }, query: { limit: 1 } } })).data!.data[0].id;

  // Setup links (console): one to open, one to revoke.
  const newLink = async () => (await (await fetch(`${server.baseUrl}/admin/v1/tenants/${slug}/setup-links`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}',
  })).json()) as { id: string; token: string };
  const linkToOpen = await newLink();
  const linkToRevoke = await newLink();

  const ids: Record<string, string> = { tenant: slug, tokenId: spareToken.data!.id, id: local.data!.id };
  /** Bodies and path/query overrides per operation; the rest is filled from `ids`. */
  const cases: Record<string, { body?: unknown; path?: Record<string, string>; query?: string; expect: number }> = {
    listAdminKeys: { expect: 200 },
    createAdminKey: { body: { name: 'walk key', scope: 'read' }, expect: 201 },
    revokeAdminKey: { path: { id: keyToRevoke }, expect: 204 },
    listAudit: { query: '?limit=5', expect: 200 },
    exchangeSsoCode: { body: { code: ssoCode }, expect: 200 },
    listEvents: { query: '?limit=5', expect: 200 },
    listTenants: { query: '?search=walk&limit=1', expect: 200 },
    createTenant: { body: { slug: 'walk-new', name: 'Walk New', preset: 'teams' }, expect: 201 },
    listPresets: { expect: 200 },
    getTenant: { expect: 200 },
    updateTenant: { body: { name: 'Walk Renamed' }, expect: 200 },
    deleteTenant: { path: { tenant: 'walk-doomed' }, query: '?confirm=walk-doomed', expect: 200 },
    disableScim: { path: { tenant: 'walk-scim-off' }, body: { confirm: 'DISABLE' }, expect: 200 },
    enableScim: { path: { tenant: 'walk-scim-on' }, body: { name: 'Okta', expiresIn: '30d' }, expect: 201 },
    listTokens: { expect: 200 },
    createToken: { body: { name: 'walk', expiresIn: '30d' }, expect: 201 },
    rotateToken: { path: { tokenId: rotatable.data!.id }, body: {}, expect: 201 },
    revokeToken: { expect: 204 },
    listUsers: { query: `?filter=${encodeURIComponent('userName sw "local"')}`, expect: 200 },
    getUser: { path: { id: scimUser.id }, expect: 200 },
    createUser: { body: { attributes: { userName: 'created@example.com', name: { givenName: 'Cree' } } }, expect: 201 },
    replaceUser: { body: { attributes: { userName: 'local@example.com', displayName: 'Local One' } }, expect: 200 },
    deleteUser: { expect: 204 },
    listGroups: { expect: 200 },
    getGroup: { path: { id: group.data!.id }, expect: 200 },
    listGroupMembers: { path: { id: group.data!.id }, query: '?limit=1', expect: 200 },
    createGroup: { body: { attributes: { displayName: 'New Walkers' } }, expect: 201 },
    replaceGroup: { path: { id: group.data!.id }, body: { attributes: { displayName: 'Walkers 2' }, members: [scimUser.id] }, expect: 200 },
    deleteGroup: { path: { id: group.data!.id }, expect: 204 },
    listTenantWebhooks: { expect: 200 },
    createTenantWebhook: { body: { url: 'https://hooks.example.com/new', types: ['user.*'] }, expect: 201 },
    getTenantWebhook: { path: { id: tenantHook }, expect: 200 },
    updateTenantWebhook: { path: { id: tenantHook }, body: { enabled: false }, expect: 200 },
    deleteTenantWebhook: { path: { id: tenantHook }, expect: 204 },
    rotateTenantWebhookSecret: { path: { id: tenantHook }, body: { overlap: '1h' }, expect: 200 },
    listTenantWebhookAttempts: { path: { id: tenantHook }, expect: 200 },
    listTenantWebhookDeadLetters: { path: { id: tenantHook }, expect: 200 },
    replayTenantWebhook: { path: { id: tenantHook }, body: { fromEvent: walkEvent }, expect: 202 },
    listGlobalWebhooks: { expect: 200 },
    createGlobalWebhook: { body: { url: 'https://hooks.example.com/new-global' }, expect: 201 },
    getGlobalWebhook: { path: { id: globalHook }, expect: 200 },
    updateGlobalWebhook: { path: { id: globalHook }, body: { description: 'all tenants' }, expect: 200 },
    deleteGlobalWebhook: { path: { id: globalHook }, expect: 204 },
    rotateGlobalWebhookSecret: { path: { id: globalHook }, body: {}, expect: 200 },
    listGlobalWebhookAttempts: { path: { id: globalHook }, query: '?outcome=failed', expect: 200 },
    listGlobalWebhookDeadLetters: { path: { id: globalHook }, query: '?pending=true', expect: 200 },
    replayGlobalWebhook: { path: { id: globalHook }, body: { fromEvent: walkEvent }, expect: 202 },
    listSamlConnections: { expect: 200 },
    createSamlConnection: { body: { name: 'Walk IdP 2', metadataXml: oktaMetadata, signed: 'assertion' }, expect: 201 },
    getSamlConnection: { path: { id: samlConnection }, expect: 200 },
    updateSamlConnection: { path: { id: samlConnection }, body: { enabled: false, idpInitiated: true }, expect: 200 },
    deleteSamlConnection: { path: { id: samlConnection }, expect: 204 },
    // Uploaded metadata has no URL to refresh from: the declared 409.
    refreshSamlConnection: { path: { id: samlConnection }, expect: 409 },
    testSamlConnection: { path: { id: samlConnection }, body: {}, expect: 200 },
    listRequests: { query: '?status=2xx&method=POST&limit=5', expect: 200 },
    getRequest: { path: { id: String(loggedRequest) }, expect: 200 },
    getTenantHealth: { expect: 200 },
    getSettings: { expect: 200 },
    // Console sessions: a key's request has no session (the declared 401s); the exchanges succeed.
    createSession: { expect: 201 },
    getCurrentSession: { expect: 401 },
    deleteCurrentSession: { expect: 401 },
    completeSetup: { expect: 401 },
    createSetupSession: { body: { token: linkToOpen.token }, expect: 201 },
    createSetupLink: { body: { purposes: ['scim'], expiresInHours: 24, note: 'walk' }, expect: 201 },
    listSetupLinks: { expect: 200 },
    revokeSetupLink: { path: { id: linkToRevoke.id }, expect: 204 },
    replaceSettings: {
      body: { scim: { patchResponse: { users: 200, groups: 200 } }, customSchemas: [{ id: 'urn:ietf:params:scim:schemas:extension:walk:2.0:User', attributes: [{ name: 'badge', type: 'string' }] }] },
      expect: 200,
    },
  };

  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
  // Reads first, then writes, deletions last (so each runs on what it needs).
  const rank = (m: string) => ({ get: 0, post: 1, patch: 1, put: 1, delete: 2 })[m] ?? 3;
  operations.sort((a, b) => rank(a.method) - rank(b.method));
  assert.deepEqual(operations.map((o) => o.op.operationId).sort(), Object.keys(cases).sort(), 'the walk has a case for every documented operation');

  for (const { path, method, op } of operations) {
    const c = cases[op.operationId];
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(c.path?.[name] ?? ids[name])) + (c.query ?? '');
    const res = await fetch(server.baseUrl + url, {
      method: method.toUpperCase(),
      headers: { authorization: `Bearer ${key}`, ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: c.body !== undefined ? JSON.stringify(c.body) : undefined,
    });
    const text = await res.text();
    assert.equal(res.status, c.expect, `${op.operationId}: ${method.toUpperCase()} ${url} answered ${res.status} ${text}`);
    const declared = op.responses[String(res.status)];
    assert.ok(declared, `${op.operationId}: status ${res.status} is not declared`);
    const schema = declared.content?.['application/json']?.schema;
    if (res.status === 204) { assert.equal(text, ''); continue; }
    assert.ok(schema, `${op.operationId}: no schema declared for ${res.status}`);
    const validate = ajv.compile(schema);
    assert.ok(validate(JSON.parse(text)), `${op.operationId}: the body does not match its schema: ${ajv.errorsText(validate.errors)}\n${text}`);
  }
});
