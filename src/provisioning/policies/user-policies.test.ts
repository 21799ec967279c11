// The user policies' part of the settings check: defaults, and every problem at its JSON pointer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSettings } from '../tenants/settings-document.ts';
import { DEFAULT_USER_POLICIES } from './user-policies.ts';

test('no policies: the defaults, which are today\'s behaviour', () => {
  // Only the user policies' sub-keys: the others (groups, roles, guards) have their own tests.
  const mine = (p: object | undefined) => p && Object.fromEntries(Object.keys(DEFAULT_USER_POLICIES).map((k) => [k, (p as Record<string, unknown>)[k]]));
  const r = checkSettings({});
  assert.deepEqual(mine(r.settings?.policies), DEFAULT_USER_POLICIES);
  assert.deepEqual(mine(checkSettings({ policies: {} }).settings?.policies), DEFAULT_USER_POLICIES);
});

test('every policy value is read, and every bad one is reported at its pointer', () => {
  const good = checkSettings({ policies: { linking: { enabled: true }, deprovisioning: { mode: 'delete' }, attributes: { uniqueIdentifier: 'email', userNameImmutable: true, changeable: ['name', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'], otherChanges: 'ignore' } } });
  assert.deepEqual(good.problems, []);
  assert.equal(good.settings?.policies.attributes.changeable?.length, 2);
  const bad = checkSettings({ policies: { linking: { enabled: 1 }, deprovisioning: { mode: 'suspend' }, attributes: { uniqueIdentifier: 'mail', userNameImmutable: 'no', changeable: ['ok', ' ', 'a"b', 3], otherChanges: 'drop', more: true }, nonsense: {} } });
  assert.deepEqual(bad.problems.map((p) => p.pointer).sort(), [
    '/policies/attributes/changeable/1', '/policies/attributes/changeable/2', '/policies/attributes/changeable/3',
    '/policies/attributes/more', '/policies/attributes/otherChanges', '/policies/attributes/uniqueIdentifier',
    '/policies/attributes/userNameImmutable', '/policies/deprovisioning/mode', '/policies/linking/enabled', '/policies/nonsense',
  ]);
  assert.deepEqual(checkSettings({ policies: [] }).problems.map((p) => p.pointer), ['/policies']);
  assert.deepEqual(checkSettings({ policies: { attributes: { changeable: 'name' } } }).problems.map((p) => p.pointer), ['/policies/attributes/changeable']);
});
