// policies.groups as the settings document checks it: defaults, each problem at its JSON pointer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSettings } from '../tenants/settings-document.ts';
import { isDefaultGroupName, nameLength } from './group-rules-settings.ts';

const problemsOf = (groups: unknown) => {
  const r = checkSettings({ policies: { groups } });
  return r.problems.map((p) => p.pointer);
};

test('an empty document has every group rule off; a partial one keeps the defaults it does not name', () => {
  assert.deepEqual(checkSettings({}).settings?.policies.groups, { reservedNames: [], maxNameLength: null, oneGroupPerUser: false, defaultGroup: null });
  assert.deepEqual(checkSettings({ policies: { groups: { maxNameLength: 24 } } }).settings?.policies.groups,
    { reservedNames: [], maxNameLength: 24, oneGroupPerUser: false, defaultGroup: null });
  assert.deepEqual(checkSettings({ policies: { groups: { reservedNames: ['Administrators'], oneGroupPerUser: true, defaultGroup: 'Everyone', maxNameLength: null } } }).settings?.policies.groups,
    { reservedNames: ['Administrators'], maxNameLength: null, oneGroupPerUser: true, defaultGroup: 'Everyone' });
});

test('wrong values are refused at their own pointer, all at once', () => {
  assert.deepEqual(problemsOf({ reservedNames: ['Admins', '', 'ADMINS', 7], maxNameLength: 2.5, oneGroupPerUser: 'yes', defaultGroup: ' ', extra: 1 }),
    ['/policies/groups/extra', '/policies/groups/reservedNames/1', '/policies/groups/reservedNames/2', '/policies/groups/reservedNames/3',
      '/policies/groups/maxNameLength', '/policies/groups/oneGroupPerUser', '/policies/groups/defaultGroup']);
  assert.deepEqual(problemsOf('on'), ['/policies/groups']);
  assert.deepEqual(problemsOf({ maxNameLength: 0 }), ['/policies/groups/maxNameLength']);
  assert.deepEqual(checkSettings({ policies: { nonsense: {} } }).problems.map((p) => p.pointer), ['/policies/nonsense']);
  assert.deepEqual(checkSettings({ policies: [] }).problems.map((p) => p.pointer), ['/policies']);
});

test('names are counted in code points and the default group is matched case-insensitively', () => {
  assert.equal(nameLength('🙂🙂'), 2);
  const rules = checkSettings({ policies: { groups: { defaultGroup: 'Everyone' } } }).settings!.policies.groups;
  assert.equal(isDefaultGroupName(rules, 'EVERYONE'), true);
  assert.equal(isDefaultGroupName(rules, 'Everyone else'), false);
  assert.equal(isDefaultGroupName(checkSettings({}).settings!.policies.groups, 'Everyone'), false);
});
