import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedPaths, sameValue } from './diff.ts';
import { ENTERPRISE_USER_SCHEMA } from './schemas/enterprise-user.ts';

test('values equal whatever the order of object keys, but not of array items', () => {
  assert.ok(sameValue({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }));
  assert.ok(!sameValue([1, 2], [2, 1]));
  assert.ok(!sameValue({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(sameValue({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!sameValue('1', 1));
});

test('a changed attribute is named; unchanged ones are not', () => {
  const before = { userName: 'bob', active: true, title: 'Dev' };
  assert.deepEqual(changedPaths(before, { ...before, active: false }), ['active']);
  assert.deepEqual(changedPaths(before, { userName: 'bob', active: true }), ['title']);
  assert.deepEqual(changedPaths(before, { ...before, nickName: 'B' }), ['nickName']);
  assert.deepEqual(changedPaths(before, { title: 'Dev', active: true, userName: 'bob' }), []);
});

test('a complex attribute names its changed sub-attributes; a multi-valued one changes whole', () => {
  const before = { name: { givenName: 'Bob', familyName: 'Lee' }, emails: [{ value: 'a@x.com', primary: true }] };
  assert.deepEqual(changedPaths(before, { ...before, name: { givenName: 'Robert', familyName: 'Lee' } }), ['name.givenName']);
  assert.deepEqual(changedPaths(before, { ...before, emails: [{ value: 'b@x.com', primary: true }] }), ['emails']);
  assert.deepEqual(changedPaths(before, { emails: before.emails }), ['name.familyName', 'name.givenName']);
});

test('extension attributes are named under their schema URN', () => {
  const before = { userName: 'bob', [ENTERPRISE_USER_SCHEMA]: { department: 'R&D', manager: { value: 'm1' } } };
  const after = { userName: 'bob', [ENTERPRISE_USER_SCHEMA]: { department: 'Sales', manager: { value: 'm2' } } };
  assert.deepEqual(changedPaths(before, after), [`${ENTERPRISE_USER_SCHEMA}:department`, `${ENTERPRISE_USER_SCHEMA}:manager.value`]);
  assert.deepEqual(changedPaths({ userName: 'bob' }, after), [`${ENTERPRISE_USER_SCHEMA}:department`, `${ENTERPRISE_USER_SCHEMA}:manager.value`]);
});
