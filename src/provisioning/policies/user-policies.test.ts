// The user policies' part of the settings check: defaults, and every problem at its JSON pointer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSettings } from '../tenants/settings-document.ts';
import { DEFAULT_USER_POLICIES } from './user-policies.ts';
import { DEFAULT_GROUP_RULES } from './group-rules-settings.ts';

test('no policies: the defaults, which are today\'s behaviour', () => {
  const r = checkSettings({});
  // groups: lane P3's rules; approval: the app vetoes' sub-key (policies/approval.ts), off by default.
  assert.deepEqual(r.settings?.policies, { ...DEFAULT_USER_POLICIES, groups: DEFAULT_GROUP_RULES, approval: { webhook: null } });
  assert.deepEqual(checkSettings({ policies: {} }).settings?.policies, { ...DEFAULT_USER_POLICIES, groups: DEFAULT_GROUP_RULES, approval: { webhook: null } });
});

test('every policy value is read, and every bad one is reported at its pointer', () => {
  const good = checkSettings({ policies: { linking: { enabled: true }, deprovisioning: { mode: 'delete' }, attributes: { uniqueIdentifier: 'email', userNameImmutable: true, changeable: ['name', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'], otherChanges: 'ignore' } } });
  assert.deepEqual(good.problems, []);
  assert.equal(good.settings?.policies.attributes.changeable?.length, 2);
  const bad = checkSettings({ policies: { linking: { enabled: 1 }, deprovisioning: { mode: 'suspend' }, attributes: { uniqueIdentifier: 'mail', userNameImmutable: 'no', changeable: ['ok', ' ', 'a"b', 3], otherChanges: 'drop', more: true }, roles: {} } });
  assert.deepEqual(bad.problems.map((p) => p.pointer).sort(), [
    '/policies/attributes/changeable/1', '/policies/attributes/changeable/2', '/policies/attributes/changeable/3',
    '/policies/attributes/more', '/policies/attributes/otherChanges', '/policies/attributes/uniqueIdentifier',
    '/policies/attributes/userNameImmutable', '/policies/deprovisioning/mode', '/policies/linking/enabled', '/policies/roles',
  ]);
  assert.deepEqual(checkSettings({ policies: [] }).problems.map((p) => p.pointer), ['/policies']);
  assert.deepEqual(checkSettings({ policies: { attributes: { changeable: 'name' } } }).problems.map((p) => p.pointer), ['/policies/attributes/changeable']);
});
