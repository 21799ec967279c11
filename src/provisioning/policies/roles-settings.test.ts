// policies.roles and policies.guards as checkSettings reads them (the library calls it without the
// admin API's edge): every problem at its JSON pointer, defaults filled in, names a database cannot
// hold refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSettings } from '../tenants/settings-document.ts';
import { rolesOfGroup } from './roles-settings.ts';

const pointers = (input: unknown) => (checkSettings(input).problems as { pointer: string }[]).map((p) => p.pointer);

test('defaults: no roles, no mappings, no required groups, the only-member rule off', () => {
  const { roles, guards } = checkSettings({}).settings!.policies;
  assert.deepEqual({ roles, guards }, { roles: { roles: [], mappings: [] }, guards: { requiredGroups: [], protectOnlyMembers: false } });
});

test('every problem at its pointer: types, unknown keys, duplicates, undefined roles, group references, unstorable names', () => {
  assert.deepEqual(pointers({ policies: { roles: { roles: [{ name: 'Admin', admin: 'yes' }, { name: '' }, { name: 'x', color: 1 }], mappings: [{ group: { name: 'Ops' }, role: 'x' }, { group: { id: 'g' }, role: 'nope' }], extra: 1 }, guards: { requiredGroups: [{ displayName: 'A', id: 'b' }], protectOnlyMembers: 'yes' }, other: {} } }), [
    '/policies/other',
    '/policies/roles/extra',
    '/policies/roles/roles/0/admin',
    '/policies/roles/roles/1/name',
    '/policies/roles/roles/2/color',
    '/policies/roles/mappings/0/group',
    '/policies/roles/mappings/1/role',
    '/policies/guards/protectOnlyMembers',
    '/policies/guards/requiredGroups/0',
  ]);
  assert.deepEqual(pointers({ policies: { roles: { roles: [{ name: 'A\u0000' }, { name: 'B\ud800' }] }, guards: { requiredGroups: [{ displayName: 'tab\there' }] } } }),
    ['/policies/roles/roles/0/name', '/policies/roles/roles/1/name', '/policies/guards/requiredGroups/0/displayName']);
  assert.deepEqual(pointers({ policies: { roles: { roles: [{ name: 'Admin' }, { name: 'ADMIN' }] } } }), ['/policies/roles/roles/1/name']);
});

test('a mapping names its role as defined; groups match by id, or by displayName case-insensitively', () => {
  const s = checkSettings({ policies: { roles: { roles: [{ name: 'Global Admin', admin: true }, { name: 'Responder' }], mappings: [{ group: { displayName: 'administrators' }, role: 'global admin' }, { group: { id: 'g-7' }, role: 'Responder' }, { group: { id: 'g-7' }, role: 'RESPONDER' }] } } }).settings!;
  assert.deepEqual(s.policies.roles.mappings.map((m) => m.role), ['Global Admin', 'Responder', 'Responder']);
  assert.deepEqual(rolesOfGroup(s.policies.roles, 'any', 'ADMINISTRATORS'), ['Global Admin']);
  assert.deepEqual(rolesOfGroup(s.policies.roles, 'g-7', 'Renamed'), ['Responder'], 'listed once');
  assert.deepEqual(rolesOfGroup(s.policies.roles, 'g-8', 'Administrators2'), []);
});
