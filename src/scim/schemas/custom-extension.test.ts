// The checks a tenant's custom schema definitions pass before they become SchemaDefs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCustomSchemas, CUSTOM_LIMITS, toSchemaDef } from './custom-extension.ts';
import { resolveAttribute, resourceSchemas } from './resource-schema.ts';
import { normalizeResource } from '../resource.ts';

const URN = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
const pointers = (input: unknown) => checkCustomSchemas(input, '/customSchemas').problems.map((p) => p.pointer);

test('a definition gets RFC 7643 defaults and becomes a SchemaDef the core resolves like enterprise', () => {
  const { schemas, problems } = checkCustomSchemas([{ id: URN, attributes: [{ name: 'badge', type: 'string' }, { name: 'site', type: 'reference' }] }], '/customSchemas');
  assert.deepEqual(problems, []);
  assert.deepEqual(schemas[0].attributes[0], { name: 'badge', type: 'string', multiValued: false, description: '', required: false, caseExact: false, mutability: 'readWrite', uniqueness: 'none' });
  assert.deepEqual(schemas[0].attributes[1].referenceTypes, ['external']);
  assert.equal(schemas[0].name, 'acme');
  const rs = resourceSchemas({ User: schemas.map(toSchemaDef) }).User;
  assert.equal(resolveAttribute(rs, 'badge', URN)?.extension, true);
  assert.equal(resolveAttribute(rs, 'BADGE')?.schema, URN, 'bare, case-insensitive names resolve');
  assert.deepEqual(normalizeResource(rs, { userName: 'a', [`${URN}:badge`]: 'B' }), { userName: 'a', [URN]: { badge: 'B' } });
});

test('URNs must have the extension shape, name User or Group, and be unique; enterprise is reserved', () => {
  assert.deepEqual(pointers([{ id: 'urn:acme:2.0:User', attributes: [{ name: 'a', type: 'string' }] }]), ['/customSchemas/0/id']);
  assert.deepEqual(pointers([{ id: URN.replace(':User', ':Device'), attributes: [{ name: 'a', type: 'string' }] }]), ['/customSchemas/0/id']);
  assert.deepEqual(pointers([{ id: 'urn:ietf:params:scim:schemas:extension:Enterprise:2.0:Group', attributes: [{ name: 'a', type: 'string' }] }]), ['/customSchemas/0/id']);
  assert.deepEqual(pointers([{ id: URN, attributes: [{ name: 'a', type: 'string' }] }, { id: URN, attributes: [{ name: 'b', type: 'string' }] }]), ['/customSchemas/1/id']);
  assert.deepEqual(pointers({}), ['/customSchemas']);
});

test('attribute names follow RFC 7643 ATTRNAME and clash with nothing the resource type already has', () => {
  const attrs = (...list: unknown[]) => pointers([{ id: URN, attributes: list }]);
  assert.deepEqual(attrs({ name: 'a.b', type: 'string' }), ['/customSchemas/0/attributes/0/name']);
  assert.deepEqual(attrs({ name: '_a', type: 'string' }), ['/customSchemas/0/attributes/0/name']);
  assert.deepEqual(attrs({ name: 'x'.repeat(CUSTOM_LIMITS.nameLength + 1), type: 'string' }), ['/customSchemas/0/attributes/0/name']);
  assert.deepEqual(attrs({ name: 'UserName', type: 'string' }), ['/customSchemas/0/attributes/0/name'], 'core');
  assert.deepEqual(attrs({ name: 'externalId', type: 'string' }), ['/customSchemas/0/attributes/0/name'], 'common');
  assert.deepEqual(attrs({ name: 'manager', type: 'string' }), ['/customSchemas/0/attributes/0/name'], 'enterprise');
  assert.deepEqual(attrs({ name: 'a', type: 'string' }, { name: 'A', type: 'integer' }), ['/customSchemas/0/attributes/1/name'], 'repeated');
  assert.deepEqual(pointers([{ id: URN, attributes: [{ name: 'a', type: 'string' }] }, { id: URN.replace('acme', 'globex'), attributes: [{ name: 'a', type: 'string' }] }]),
    ['/customSchemas/1/attributes/0/name'], 'another custom schema of the same resource type');
  assert.deepEqual(pointers([{ id: URN, attributes: [{ name: 'a', type: 'string' }] }, { id: URN.replace(':User', ':Group'), attributes: [{ name: 'a', type: 'string' }] }]), [], 'Users and Groups are apart');
  assert.deepEqual(pointers([{ id: URN.replace(':User', ':Group'), attributes: [{ name: 'userName', type: 'string' }] }]), [], 'userName is no Group attribute');
});

test('types, flags, mutability, uniqueness and counts are checked', () => {
  const attrs = (...list: unknown[]) => pointers([{ id: URN, attributes: list }]);
  assert.deepEqual(attrs({ name: 'a', type: 'binary' }), ['/customSchemas/0/attributes/0/type']);
  assert.deepEqual(attrs({ name: 'a', type: 'string', multiValued: 'yes' }), ['/customSchemas/0/attributes/0/multiValued']);
  assert.deepEqual(attrs({ name: 'a', type: 'string', mutability: 'readOnly' }), ['/customSchemas/0/attributes/0/mutability']);
  assert.deepEqual(attrs({ name: 'a', type: 'string', uniqueness: 'global' }), ['/customSchemas/0/attributes/0/uniqueness']);
  assert.deepEqual(attrs({ name: 'a', type: 'boolean', uniqueness: 'server' }), ['/customSchemas/0/attributes/0/uniqueness']);
  assert.deepEqual(attrs({ name: 'a', type: 'string', referenceTypes: ['User'] }), ['/customSchemas/0/attributes/0/referenceTypes']);
  assert.deepEqual(attrs({ name: 'a', type: 'string', 'x/y': 1 }), ['/customSchemas/0/attributes/0/x~1y']);
  assert.deepEqual(attrs(), ['/customSchemas/0/attributes']);
  const many = Array.from({ length: CUSTOM_LIMITS.attributesPerSchema + 1 }, (_, i) => ({ name: `a${i}`, type: 'string' }));
  assert.deepEqual(attrs(...many), ['/customSchemas/0/attributes']);
  const schemas = Array.from({ length: CUSTOM_LIMITS.schemas + 1 }, (_, i) => ({ id: URN.replace('acme', `acme${i}`), attributes: [{ name: `a${i}`, type: 'string' }] }));
  assert.deepEqual(pointers(schemas), ['/customSchemas']);
});
