// Unit tests for the RFC 7644 §4 discovery documents: they must say exactly what Rollcall supports.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resourceTypes, schemas, serviceProviderConfig, type DiscoveryContext } from './discovery.ts';
import { resourceSchemas } from './schemas/resource-schema.ts';
import { LIST_RESPONSE_SCHEMA } from './list.ts';
import { ScimError } from './errors.ts';
import { GROUP_SCHEMA as GROUP, USER_SCHEMA as USER } from './schemas/core.ts';
import { ENTERPRISE_USER_SCHEMA as ENT } from './schemas/enterprise-user.ts';

const rs = resourceSchemas();
const BASE = 'https://idp.example.com/scim/v2/acme';
const ctx: DiscoveryContext = {
  baseUrl: BASE,
  resources: [rs.User, rs.Group],
  limits: { defaultCount: 100, maxCount: 250 },
  maxPayloadSize: 1_048_576,
  maxOperations: 500,
};

type Doc = Record<string, any>;

function notFound(fn: () => unknown): void {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof ScimError, `expected a ScimError, got ${String(caught)}`);
  assert.equal(caught.status, 404);
}

describe('ServiceProviderConfig', () => {
  const spc = serviceProviderConfig(ctx) as Doc;

  test('has the RFC 7643 §5 schema and a location under the tenant base URL', () => {
    // The RFC's own spelling, written out on purpose: this is where the core's constant is checked.
    assert.deepEqual(spc.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
    assert.equal(spc.meta.resourceType, 'ServiceProviderConfig');
    assert.equal(spc.meta.location, `${BASE}/ServiceProviderConfig`);
    assert.equal('documentationUri' in spc, false, 'no made-up documentation link');
  });

  test('patch supported, bulk supported with the configured limits, changePassword not', () => {
    assert.equal(spc.patch.supported, true);
    assert.deepEqual(spc.bulk, { supported: true, maxOperations: 500, maxPayloadSize: 1_048_576 });
    assert.equal(spc.changePassword.supported, false);
  });

  test('filter supported with maxResults equal to the configured maximum page size', () => {
    assert.equal(spc.filter.supported, true);
    assert.equal(spc.filter.maxResults, 250);
    const other = serviceProviderConfig({ ...ctx, limits: { defaultCount: 10, maxCount: 42 } }) as Doc;
    assert.equal(other.filter.maxResults, 42);
  });

  test('sort and etag supported', () => {
    assert.equal(spc.sort.supported, true);
    assert.equal(spc.etag.supported, true);
  });

  test('authentication is an OAuth bearer token', () => {
    assert.equal(spc.authenticationSchemes.length, 1);
    assert.equal(spc.authenticationSchemes[0].type, 'oauthbearertoken');
    assert.equal(typeof spc.authenticationSchemes[0].name, 'string');
    assert.equal(typeof spc.authenticationSchemes[0].description, 'string');
  });
});

describe('/Schemas', () => {
  const list = schemas(ctx) as Doc;

  test('is a ListResponse of every schema, once each', () => {
    assert.deepEqual(list.schemas, [LIST_RESPONSE_SCHEMA]);
    const ids = list.Resources.map((s: Doc) => s.id);
    assert.deepEqual([...ids].sort(), [ENT, GROUP, USER].sort());
    assert.equal(list.totalResults, 3);
    assert.equal(list.itemsPerPage, 3);
    assert.equal(list.startIndex, 1);
  });

  test('core User is described as "User Account" and has its attributes', () => {
    const u = list.Resources.find((s: Doc) => s.id === USER);
    assert.equal(u.name, 'User');
    assert.equal(u.description, 'User Account');
    assert.deepEqual(u.schemas, ['urn:ietf:params:scim:schemas:core:2.0:Schema']);
    assert.equal(u.meta.resourceType, 'Schema');
    assert.equal(u.meta.location, `${BASE}/Schemas/${USER}`);
    const userName = u.attributes.find((a: Doc) => a.name === 'userName');
    assert.equal(userName.required, true);
    assert.equal(userName.uniqueness, 'server');
    const password = u.attributes.find((a: Doc) => a.name === 'password');
    assert.equal(password.mutability, 'writeOnly');
    assert.equal(password.returned, 'never');
  });

  test('Group lists members; Enterprise lists manager with its sub-attributes', () => {
    const g = list.Resources.find((s: Doc) => s.id === GROUP);
    assert.ok(g.attributes.some((a: Doc) => a.name === 'members' && a.multiValued === true));
    const e = list.Resources.find((s: Doc) => s.id === ENT);
    const manager = e.attributes.find((a: Doc) => a.name === 'manager');
    assert.deepEqual(manager.subAttributes.map((s: Doc) => s.name), ['value', '$ref', 'displayName']);
  });

  test('every attribute carries the RFC 7643 §7 characteristics', () => {
    for (const s of list.Resources) {
      for (const a of s.attributes) {
        for (const key of ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness']) {
          assert.ok(key in a, `${s.id} ${a.name} lacks ${key}`);
        }
      }
    }
  });

  test('one schema by id, case-insensitively', () => {
    assert.equal((schemas(ctx, USER) as Doc).description, 'User Account');
    assert.equal((schemas(ctx, ENT.toLowerCase()) as Doc).id, ENT);
  });

  test('an unknown schema id → 404', () => {
    notFound(() => schemas(ctx, 'urn:example:nope'));
  });
});

describe('/ResourceTypes', () => {
  const list = resourceTypes(ctx) as Doc;

  test('is a ListResponse; the first is User at /Users with the enterprise extension', () => {
    assert.deepEqual(list.schemas, [LIST_RESPONSE_SCHEMA]);
    assert.equal(list.totalResults, 2);
    const [user, group] = list.Resources;
    assert.equal(user.id, 'User');
    assert.equal(user.name, 'User');
    assert.equal(user.endpoint, '/Users');
    assert.equal(user.schema, USER);
    assert.deepEqual(user.schemaExtensions, [{ schema: ENT, required: false }]);
    assert.deepEqual(user.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ResourceType']);
    assert.equal(user.meta.location, `${BASE}/ResourceTypes/User`);
    assert.equal(group.id, 'Group');
    assert.equal(group.endpoint, '/Groups');
    assert.equal(group.schema, GROUP);
  });

  test('one resource type by id, case-insensitively', () => {
    assert.equal((resourceTypes(ctx, 'group') as Doc).endpoint, '/Groups');
  });

  test('an unknown resource type → 404', () => {
    notFound(() => resourceTypes(ctx, 'Device'));
  });
});
