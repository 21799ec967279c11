// The change kinds a veto is asked about (docs/policies.md "App vetoes"), from the Change the write
// path yields: each case the events distinguish, and the no-op change that asks nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change } from '../mutate.ts';
import { kindsOf, matchesKind } from './change-kinds.ts';

const at = '2026-01-01T00:00:00.000Z';
const res = (doc: Record<string, unknown>) => ({ id: 'x', doc, created: at, lastModified: at, version: 1 });
const user = (over: Partial<Change>): Change => ({ kind: 'patch', resourceType: 'User', id: 'x', changedPaths: [], at, ...over });
const group = (over: Partial<Change>): Change => ({ kind: 'patch', resourceType: 'Group', id: 'g', changedPaths: [], at, ...over });

test('users: create, update, deactivate, reactivate, link, delete, and the delete deprovisioning mode', () => {
  assert.deepEqual(kindsOf(user({ kind: 'create', after: res({ userName: 'a' }) })), ['user.create']);
  assert.deepEqual(kindsOf(user({ before: res({ userName: 'a' }), after: res({ userName: 'b' }), changedPaths: ['userName'] })), ['user.update']);
  assert.deepEqual(kindsOf(user({ before: res({ active: true }), after: res({ active: false }), changedPaths: ['active'] })), ['user.deactivate']);
  assert.deepEqual(kindsOf(user({ before: res({ active: false }), after: res({ active: true, title: 'x' }), changedPaths: ['active', 'title'] })), ['user.update', 'user.reactivate']);
  assert.deepEqual(kindsOf(user({ kind: 'replace', linked: true, before: res({}), after: res({ userName: 'a' }), changedPaths: ['userName'] })), ['user.link']);
  assert.deepEqual(kindsOf(user({ kind: 'delete', before: res({}) })), ['user.delete']);
  assert.deepEqual(kindsOf(user({ kind: 'delete', before: res({}), deprovisioned: 'delete' })), ['user.deactivate', 'user.delete']);
  assert.deepEqual(kindsOf(user({ before: res({ active: true }), after: res({ active: true }) })), [], 'nothing changed: nothing asked');
});

test('groups: create with members, rename, member changes, delete', () => {
  assert.deepEqual(kindsOf(group({ kind: 'create', after: res({}), changedPaths: ['displayName', 'members'], members: { added: ['u'], removed: [] } })), ['group.create', 'group.members_add']);
  assert.deepEqual(kindsOf(group({ changedPaths: ['displayName'], members: { added: [], removed: [] } })), ['group.update']);
  assert.deepEqual(kindsOf(group({ changedPaths: ['members'], members: { added: ['a'], removed: ['b'] } })), ['group.members_add', 'group.members_remove']);
  assert.deepEqual(kindsOf(group({ kind: 'delete', before: res({}), members: { added: [], removed: ['a'] } })), ['group.delete']);
});

test('patterns: a kind, a resource\'s every kind, everything', () => {
  assert.equal(matchesKind('user.*', 'user.deactivate'), true);
  assert.equal(matchesKind('user.*', 'group.delete'), false);
  assert.equal(matchesKind('*', 'group.members_add'), true);
  assert.equal(matchesKind('user.delete', 'user.deactivate'), false);
});
