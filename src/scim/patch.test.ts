// Unit tests for the RFC 7644 §3.5.2 PATCH applier, including the IdP quirks it absorbs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, PATCH_SCHEMA, MAX_OPERATIONS, type MemberOp } from './patch.ts';
import { checkRequired, type AttrDoc } from './resource.ts';
import { resourceSchemas } from './schemas/resource-schema.ts';
import { ScimError } from './errors.ts';
import { USER_SCHEMA as CORE } from './schemas/core.ts';
import { ENTERPRISE_USER_SCHEMA as ENT } from './schemas/enterprise-user.ts';

const rs = resourceSchemas();
const MEMBERS = new Set(['members']);

type Op = Record<string, unknown>;
const body = (...Operations: Op[]) => ({ schemas: [PATCH_SCHEMA], Operations });
const patchUser = (doc: AttrDoc, ...ops: Op[]) => applyPatch(rs.User, doc, body(...ops));
const patchGroup = (doc: AttrDoc, ...ops: Op[]) => applyPatch(rs.Group, doc, body(...ops), MEMBERS);

function rejects(fn: () => unknown, status: number, scimType?: string): ScimError {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof ScimError, `expected a ScimError, got ${String(caught)}`);
  assert.equal(caught.status, status);
  assert.equal(caught.scimType, scimType);
  return caught;
}

const base = (): AttrDoc => ({
  userName: 'bjensen@example.com',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@home.example', type: 'home' },
  ],
});

describe('applyPatch: op names and body shape', () => {
  for (const op of ['add', 'Add', 'ADD', 'replace', 'Replace', 'REPLACE']) {
    test(`op "${op}" sets a simple attribute`, () => {
      const r = patchUser(base(), { op, path: 'title', value: 'Tour Guide' });
      assert.equal(r.doc.title, 'Tour Guide');
      assert.equal(r.changed, true);
    });
  }

  for (const op of ['remove', 'Remove', 'REMOVE']) {
    test(`op "${op}" removes a simple attribute`, () => {
      const r = patchUser({ ...base(), title: 'x' }, { op, path: 'title' });
      assert.equal('title' in r.doc, false);
    });
  }

  test('"Op", "Path", "Value" and "operations" keys in any case', () => {
    const r = applyPatch(rs.User, base(), { schemas: [PATCH_SCHEMA], operations: [{ Op: 'Replace', Path: 'title', Value: 'Boss' }] });
    assert.equal(r.doc.title, 'Boss');
  });

  test('an unknown op name → 400 invalidSyntax', () => {
    rejects(() => patchUser(base(), { op: 'merge', path: 'title', value: 'x' }), 400, 'invalidSyntax');
    rejects(() => patchUser(base(), { path: 'title', value: 'x' }), 400, 'invalidSyntax');
  });

  test('a body without Operations, with empty Operations or not an object → invalidSyntax', () => {
    rejects(() => applyPatch(rs.User, base(), { schemas: [PATCH_SCHEMA] }), 400, 'invalidSyntax');
    rejects(() => applyPatch(rs.User, base(), { schemas: [PATCH_SCHEMA], Operations: [] }), 400, 'invalidSyntax');
    rejects(() => applyPatch(rs.User, base(), [{ op: 'add' }]), 400, 'invalidSyntax');
    rejects(() => applyPatch(rs.User, base(), { Operations: ['add'] }), 400, 'invalidSyntax');
  });

  test('a wrong "schemas" → invalidSyntax; a missing one is tolerated', () => {
    rejects(() => applyPatch(rs.User, base(), { schemas: ['urn:x'], Operations: [{ op: 'add', path: 'title', value: 'x' }] }), 400, 'invalidSyntax');
    assert.equal(applyPatch(rs.User, base(), { Operations: [{ op: 'add', path: 'title', value: 'x' }] }).doc.title, 'x');
  });

  test(`more than ${MAX_OPERATIONS} operations → invalidSyntax`, () => {
    const ops = Array.from({ length: MAX_OPERATIONS + 1 }, () => ({ op: 'add', path: 'title', value: 'x' }));
    rejects(() => patchUser(base(), ...ops), 400, 'invalidSyntax');
  });

  test('add/replace with a path but no value → invalidValue', () => {
    rejects(() => patchUser(base(), { op: 'add', path: 'title' }), 400, 'invalidValue');
  });

  test('a non-string path → invalidPath; an unparseable path → invalidPath', () => {
    rejects(() => patchUser(base(), { op: 'add', path: 42, value: 'x' }), 400, 'invalidPath');
    rejects(() => patchUser(base(), { op: 'add', path: 'emails[type eq', value: 'x' }), 400, 'invalidPath');
  });
});

describe('applyPatch: paths', () => {
  test('replace a sub-attribute keeps its siblings', () => {
    const r = patchUser(base(), { op: 'replace', path: 'name.givenName', value: 'Babs' });
    assert.deepEqual(r.doc.name, { givenName: 'Babs', familyName: 'Jensen' });
  });

  test('add a sub-attribute to an absent complex attribute creates it', () => {
    const r = patchUser({ userName: 'u' }, { op: 'add', path: 'name.familyName', value: 'Jensen' });
    assert.deepEqual(r.doc.name, { familyName: 'Jensen' });
  });

  test('remove the last sub-attribute leaves no empty object behind', () => {
    const r = patchUser({ userName: 'u', name: { givenName: 'B' } }, { op: 'remove', path: 'name.givenName' });
    assert.equal('name' in r.doc, false);
  });

  test('attribute names in the path are canonicalised', () => {
    const r = patchUser(base(), { op: 'replace', path: 'NAME.GIVENNAME', value: 'B' }, { op: 'add', path: 'DisplayName', value: 'Babs' });
    assert.deepEqual(r.doc.name, { givenName: 'B', familyName: 'Jensen' });
    assert.equal(r.doc.displayName, 'Babs');
  });

  test('replace of a complex attribute merges the given sub-attributes (RFC 7644 §3.5.2.3)', () => {
    const r = patchUser(base(), { op: 'replace', path: 'name', value: { givenName: 'Babs' } });
    assert.deepEqual(r.doc.name, { givenName: 'Babs', familyName: 'Jensen' });
  });

  test('URN-qualified core path', () => {
    const r = patchUser(base(), { op: 'replace', path: `${CORE}:name.familyName`, value: 'J' });
    assert.deepEqual(r.doc.name, { givenName: 'Barbara', familyName: 'J' });
  });

  test('URN-qualified extension path creates the extension object under its URN', () => {
    const r = patchUser(base(), { op: 'add', path: `${ENT}:employeeNumber`, value: '701984' });
    assert.deepEqual(r.doc[ENT], { employeeNumber: '701984' });
  });

  test('URN-qualified extension path in another case is stored under the canonical URN and name', () => {
    const r = patchUser(base(), { op: 'add', path: `${ENT.toLowerCase()}:DEPARTMENT`, value: 'Sales' });
    assert.deepEqual(r.doc[ENT], { department: 'Sales' });
  });

  test('removing the last extension attribute removes the extension object', () => {
    const r = patchUser({ ...base(), [ENT]: { department: 'Sales' } }, { op: 'remove', path: `${ENT}:department` });
    assert.equal(ENT in r.doc, false);
  });

  test('a path naming the whole extension URN applies its attributes', () => {
    const r = patchUser(base(), { op: 'add', path: ENT, value: { department: 'Sales' } });
    assert.deepEqual(r.doc[ENT], { department: 'Sales' });
  });

  test('value filter + sub-attribute replaces only the matching value', () => {
    const r = patchUser(base(), { op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' });
    assert.deepEqual(r.doc.emails, [
      { value: 'new@example.com', type: 'work', primary: true },
      { value: 'babs@home.example', type: 'home' },
    ]);
  });

  test('value filter without sub-attribute: replace swaps the whole matching value', () => {
    const r = patchUser(base(), { op: 'replace', path: 'emails[type eq "home"]', value: { value: 'b2@home.example', type: 'home' } });
    assert.deepEqual((r.doc.emails as unknown[])[1], { value: 'b2@home.example', type: 'home' });
    assert.equal((r.doc.emails as unknown[]).length, 2);
  });

  test('value filter matching is case-insensitive for caseExact=false sub-attributes', () => {
    const r = patchUser(base(), { op: 'replace', path: 'emails[type eq "WORK"].value', value: 'w@example.com' });
    assert.equal((r.doc.emails as { value: string }[])[0].value, 'w@example.com');
  });

  test('remove with a value filter removes only the matching values', () => {
    const r = patchUser(base(), { op: 'remove', path: 'emails[type eq "home"]' });
    assert.deepEqual(r.doc.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }]);
  });

  test('remove of a sub-attribute through a value filter', () => {
    const r = patchUser(base(), { op: 'remove', path: 'emails[type eq "work"].primary' });
    assert.deepEqual(r.doc.emails, [{ value: 'bjensen@example.com', type: 'work' }, { value: 'babs@home.example', type: 'home' }]);
  });

  test('removing every value leaves the attribute unassigned', () => {
    const r = patchUser(base(), { op: 'remove', path: 'emails[type eq "work" or type eq "home"]' });
    assert.equal('emails' in r.doc, false);
  });

  test('filtered replace with no match creates the value from the filter\'s eq terms (Entra)', () => {
    const r = patchUser({ userName: 'u' }, { op: 'replace', path: 'emails[type eq "work"].value', value: 'u@example.com' });
    assert.deepEqual(r.doc.emails, [{ type: 'work', value: 'u@example.com' }]);
  });

  test('filtered add with no match creates the value and keeps other values', () => {
    const r = patchUser(base(), { op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' });
    assert.deepEqual(r.doc.phoneNumbers, [{ type: 'mobile', value: '+1 555 0100' }]);
    const r2 = patchUser(base(), { op: 'replace', path: 'emails[type eq "other"].value', value: 'o@example.com' });
    assert.equal((r2.doc.emails as unknown[]).length, 3);
  });

  test('filtered replace with no match and no eq template → 400 noTarget', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: 'emails[value co "nomatch"].value', value: 'x@y' }), 400, 'noTarget');
    rejects(() => patchUser({ userName: 'u' }, { op: 'replace', path: 'emails[type ne "work"].value', value: 'x@y' }), 400, 'noTarget');
  });

  test('a value filter on a single-valued attribute → invalidPath', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: 'name[givenName eq "B"].familyName', value: 'x' }), 400, 'invalidPath');
  });

  test('an unknown sub-attribute of a known attribute → invalidPath', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: 'name.nickname', value: 'x' }), 400, 'invalidPath');
  });

  test('an unknown sub-attribute in a value filter → invalidPath', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: 'emails[colour eq "red"].value', value: 'x' }), 400, 'invalidPath');
  });

  test('a sub-attribute path on a multi-valued attribute sets it on every value (RFC 7644 §3.5.2.3)', () => {
    const r = patchUser(base(), { op: 'replace', path: 'emails.type', value: 'other' });
    assert.deepEqual((r.doc.emails as { type: string }[]).map((e) => e.type), ['other', 'other']);
  });
});

describe('applyPatch: path-less operations', () => {
  test('a value object sets several attributes at once', () => {
    const r = patchUser(base(), { op: 'replace', value: { displayName: 'Babs', title: 'CEO' } });
    assert.equal(r.doc.displayName, 'Babs');
    assert.equal(r.doc.title, 'CEO');
  });

  test('dotted keys: name.givenName', () => {
    const r = patchUser(base(), { op: 'replace', value: { 'name.givenName': 'Babs' } });
    assert.deepEqual(r.doc.name, { givenName: 'Babs', familyName: 'Jensen' });
  });

  test('filter keys: emails[type eq "work"].value (Entra)', () => {
    const r = patchUser(base(), { op: 'replace', value: { 'emails[type eq "work"].value': 'w@example.com' } });
    assert.equal((r.doc.emails as { value: string }[])[0].value, 'w@example.com');
    assert.equal((r.doc.emails as unknown[]).length, 2);
  });

  test('a whole extension object under its URN key', () => {
    const r = patchUser(base(), { op: 'add', value: { [ENT]: { department: 'Sales', employeeNumber: '42' } } });
    assert.deepEqual(r.doc[ENT], { department: 'Sales', employeeNumber: '42' });
  });

  test('a whole extension object merges with existing extension attributes', () => {
    const r = patchUser({ ...base(), [ENT]: { costCenter: 'C1' } }, { op: 'replace', value: { [ENT]: { department: 'Sales' } } });
    assert.deepEqual(r.doc[ENT], { costCenter: 'C1', department: 'Sales' });
  });

  test('a URN-qualified attribute key: urn…:User:employeeNumber', () => {
    const r = patchUser(base(), { op: 'replace', value: { [`${ENT}:employeeNumber`]: '701984' } });
    assert.deepEqual(r.doc[ENT], { employeeNumber: '701984' });
  });

  test('a non-object extension value → invalidValue', () => {
    rejects(() => patchUser(base(), { op: 'add', value: { [ENT]: 'Sales' } }), 400, 'invalidValue');
  });

  test('"id" and "meta" echoed inside a path-less value are ignored (Okta, Entra)', () => {
    const r = patchUser(base(), { op: 'replace', value: { id: 'evil', meta: { created: '2000-01-01T00:00:00Z' }, schemas: [CORE], title: 'X' } });
    assert.equal('id' in r.doc, false);
    assert.equal('meta' in r.doc, false);
    assert.equal('schemas' in r.doc, false);
    assert.equal(r.doc.title, 'X');
  });

  test('a one-element array as the value is unwrapped', () => {
    const r = patchUser(base(), { op: 'replace', value: [{ title: 'X' }] });
    assert.equal(r.doc.title, 'X');
  });

  test('a non-object value without a path → invalidValue', () => {
    rejects(() => patchUser(base(), { op: 'replace', value: 'x' }), 400, 'invalidValue');
  });

  test('remove without a path → 400 noTarget', () => {
    rejects(() => patchUser(base(), { op: 'remove' }), 400, 'noTarget');
    rejects(() => patchUser(base(), { op: 'remove', path: '  ' }), 400, 'noTarget');
  });

  test('unknown attributes are ignored, known ones still applied', () => {
    const r = patchUser(base(), { op: 'add', value: { favouriteColour: 'blue', 'urn:example:custom:1.0:User:x': 1, title: 'T' } });
    assert.equal(r.doc.title, 'T');
    assert.equal('favouriteColour' in r.doc, false);
    assert.equal(Object.keys(r.doc).some((k) => k.startsWith('urn:example')), false);
  });

  test('an unknown attribute path is ignored and nothing changes', () => {
    const r = patchUser(base(), { op: 'replace', path: 'favouriteColour', value: 'blue' });
    assert.deepEqual(r.doc, base());
    assert.equal(r.changed, false);
  });
});

describe('applyPatch: multi-valued attributes', () => {
  test('add merges: a value with the same value and type is not duplicated', () => {
    const r = patchUser(base(), { op: 'add', path: 'emails', value: [{ value: 'BJENSEN@example.com', type: 'work' }] });
    assert.equal((r.doc.emails as unknown[]).length, 2);
    assert.equal(r.changed, true); // value case changed
  });

  test('add appends a new value', () => {
    const r = patchUser(base(), { op: 'add', path: 'emails', value: [{ value: 'b@other.example', type: 'other' }] });
    assert.deepEqual((r.doc.emails as { value: string }[]).map((e) => e.value), ['bjensen@example.com', 'babs@home.example', 'b@other.example']);
  });

  test('add of the same address with a different type is a new value', () => {
    const r = patchUser(base(), { op: 'add', path: 'emails', value: { value: 'bjensen@example.com', type: 'other' } });
    assert.equal((r.doc.emails as unknown[]).length, 3);
  });

  test('add of an identical value is a no-op (changed false)', () => {
    const r = patchUser(base(), { op: 'add', path: 'emails', value: [{ value: 'babs@home.example', type: 'home' }] });
    assert.equal(r.changed, false);
    assert.deepEqual(r.doc, base());
  });

  test('replace replaces the whole list', () => {
    const r = patchUser(base(), { op: 'replace', path: 'emails', value: [{ value: 'only@example.com', type: 'work' }] });
    assert.deepEqual(r.doc.emails, [{ value: 'only@example.com', type: 'work' }]);
  });

  test('replace with null or [] clears the attribute', () => {
    assert.equal('emails' in patchUser(base(), { op: 'replace', path: 'emails', value: null }).doc, false);
    assert.equal('emails' in patchUser(base(), { op: 'replace', path: 'emails', value: [] }).doc, false);
  });

  test('remove with a value list removes only the listed values', () => {
    const r = patchUser(base(), { op: 'remove', path: 'emails', value: [{ value: 'babs@home.example' }] });
    assert.deepEqual(r.doc.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }]);
  });

  test('a new primary wins; the old primary is set false', () => {
    const r = patchUser(base(), { op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'other', primary: true }] });
    const emails = r.doc.emails as { value: string; primary?: boolean }[];
    assert.deepEqual(emails.filter((e) => e.primary === true).map((e) => e.value), ['new@example.com']);
    assert.equal(emails[0].primary, false);
  });

  test('setting primary through a value filter moves primary', () => {
    const r = patchUser(base(), { op: 'replace', path: 'emails[type eq "home"].primary', value: true });
    const emails = r.doc.emails as { type: string; primary?: boolean }[];
    assert.deepEqual(emails.map((e) => [e.type, e.primary]), [['work', false], ['home', true]]);
  });

  test('"True" as a string sets primary (Entra)', () => {
    const r = patchUser(base(), { op: 'replace', path: 'emails[type eq "home"].primary', value: 'True' });
    assert.equal((r.doc.emails as { primary?: boolean }[])[1].primary, true);
  });

  test('two primaries in one added list → invalidValue', () => {
    rejects(() => patchUser(base(), {
      op: 'replace', path: 'emails', value: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: true }],
    }), 400, 'invalidValue');
  });

  test('replacing the list of values with exactly the same values in another key order is not a change', () => {
    const r = patchUser(base(), {
      op: 'replace', path: 'emails', value: [
        { type: 'work', primary: true, value: 'bjensen@example.com' },
        { type: 'home', value: 'babs@home.example' },
      ],
    });
    assert.equal(r.changed, false);
  });
});

describe('applyPatch: value coercion', () => {
  test('"True"/"False" strings for active (Entra)', () => {
    assert.equal(patchUser(base(), { op: 'replace', path: 'active', value: 'False' }).doc.active, false);
    assert.equal(patchUser({ ...base(), active: false }, { op: 'Replace', path: 'active', value: 'True' }).doc.active, true);
    assert.equal(patchUser(base(), { op: 'replace', value: { active: 'False' } }).doc.active, false);
  });

  test('a non-boolean for active → invalidValue', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: 'active', value: 'yes' }), 400, 'invalidValue');
  });

  test('a single-element array for a single-valued attribute is unwrapped', () => {
    assert.equal(patchUser(base(), { op: 'replace', path: 'displayName', value: ['Babs'] }).doc.displayName, 'Babs');
  });

  test('a multi-element array for a single-valued attribute → invalidValue', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: 'displayName', value: ['a', 'b'] }), 400, 'invalidValue');
  });

  test('manager as a bare id string (Entra)', () => {
    const r = patchUser(base(), { op: 'replace', path: `${ENT}:manager`, value: 'mgr-1' });
    assert.deepEqual(r.doc[ENT], { manager: { value: 'mgr-1' } });
  });

  test('manager as an object', () => {
    const r = patchUser(base(), { op: 'add', value: { [ENT]: { manager: { value: 'mgr-2', $ref: '../Users/mgr-2' } } } });
    assert.deepEqual(r.doc[ENT], { manager: { value: 'mgr-2', $ref: '../Users/mgr-2' } });
  });

  test('manager as a one-element array (OneLogin)', () => {
    const r = patchUser(base(), { op: 'replace', path: `${ENT}:manager`, value: [{ value: 'mgr-3' }] });
    assert.deepEqual(r.doc[ENT], { manager: { value: 'mgr-3' } });
  });

  test('manager.value path', () => {
    const r = patchUser({ ...base(), [ENT]: { manager: { value: 'old' } } }, { op: 'replace', path: `${ENT}:manager.value`, value: 'new' });
    assert.deepEqual(r.doc[ENT], { manager: { value: 'new' } });
  });

  test('manager set to "" removes it (Entra clears manager so)', () => {
    const r = patchUser({ ...base(), [ENT]: { manager: { value: 'old' } } }, { op: 'replace', path: `${ENT}:manager`, value: '' });
    assert.equal(ENT in r.doc, false);
  });

  test('a password is accepted but never stored', () => {
    const r = patchUser(base(), { op: 'replace', path: 'password', value: 's3cret!' }, { op: 'replace', value: { password: 'x' } });
    assert.equal('password' in r.doc, false);
    assert.equal(r.changed, false);
  });
});

describe('applyPatch: mutability and required attributes', () => {
  for (const path of ['id', 'meta.created', 'meta', 'groups', `${CORE}:id`]) {
    test(`a path to readOnly "${path}" → 400 mutability`, () => {
      rejects(() => patchUser(base(), { op: 'replace', path, value: 'x' }), 400, 'mutability');
    });
  }

  test('remove of readOnly "id" → 400 mutability', () => {
    rejects(() => patchUser(base(), { op: 'remove', path: 'id' }), 400, 'mutability');
  });

  test('a path to a readOnly sub-attribute (manager.displayName) → 400 mutability', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: `${ENT}:manager.displayName`, value: 'The Boss' }), 400, 'mutability');
  });

  test('remove of required userName → 400', () => {
    rejects(() => patchUser(base(), { op: 'remove', path: 'userName' }), 400, 'invalidValue');
  });

  test('replace of userName with "" → 400', () => {
    rejects(() => patchUser(base(), { op: 'replace', path: 'userName', value: '  ' }), 400, 'invalidValue');
  });

  test('replace of userName with null leaves a document checkRequired rejects', () => {
    const r = patchUser(base(), { op: 'replace', path: 'userName', value: null });
    rejects(() => checkRequired(rs.User, r.doc), 400, 'invalidValue');
  });

  test('remove of required Group displayName → 400', () => {
    rejects(() => patchGroup({ displayName: 'Admins' }, { op: 'remove', path: 'displayName' }), 400, 'invalidValue');
  });
});

describe('applyPatch: atomicity and "changed"', () => {
  test('a failing 2nd operation throws and leaves the input document untouched', () => {
    const doc = base();
    const snapshot = structuredClone(doc);
    rejects(() => patchUser(doc,
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'changed@example.com' },
      { op: 'add', path: 'name.givenName', value: 'X' },
      { op: 'replace', path: 'id', value: 'x' }), 400, 'mutability');
    assert.deepEqual(doc, snapshot);
  });

  test('a successful patch never mutates its input either', () => {
    const doc = base();
    const snapshot = structuredClone(doc);
    const r = patchUser(doc,
      { op: 'remove', path: 'emails[type eq "work"].primary' },
      { op: 'replace', path: 'name.givenName', value: 'X' });
    assert.deepEqual(doc, snapshot);
    assert.notDeepEqual(r.doc, snapshot);
  });

  test('operations apply in order: a later op sees the earlier one', () => {
    const r = patchUser(base(), { op: 'add', path: 'title', value: 'A' }, { op: 'remove', path: 'title' }, { op: 'add', path: 'nickName', value: 'B' });
    assert.equal('title' in r.doc, false);
    assert.equal(r.doc.nickName, 'B');
  });

  test('changed is false for a no-op', () => {
    assert.equal(patchUser(base(), { op: 'replace', path: 'active', value: true }).changed, false);
    assert.equal(patchUser(base(), { op: 'replace', path: 'name.givenName', value: 'Barbara' }).changed, false);
    assert.equal(patchUser(base(), { op: 'remove', path: 'title' }).changed, false);
    assert.equal(patchUser(base(), { op: 'replace', value: { active: 'True', 'name.familyName': 'Jensen' } }).changed, false);
  });

  test('changed is true when something changes', () => {
    assert.equal(patchUser(base(), { op: 'replace', path: 'active', value: false }).changed, true);
  });
});

describe('applyPatch: group members (stored outside the document)', () => {
  const group = (): AttrDoc => ({ displayName: 'Admins' });

  test('add members → memberOps add; the document is untouched', () => {
    const r = patchGroup(group(), { op: 'add', path: 'members', value: [{ value: 'u1', display: 'One' }, { value: 'u2', type: 'User' }] });
    assert.deepEqual(r.memberOps, [{ kind: 'add', members: [{ value: 'u1', type: undefined, display: 'One' }, { value: 'u2', type: 'User', display: undefined }] }]);
    assert.deepEqual(r.doc, group());
    assert.equal(r.changed, false);
  });

  test('"$ref": null is accepted', () => {
    const r = patchGroup(group(), { op: 'Add', path: 'members', value: [{ value: 'u1', $ref: null }] });
    assert.deepEqual(r.memberOps.map((o) => o.kind === 'add' && o.members.map((m) => m.value)), [['u1']]);
  });

  test('a bare string member value is the member id', () => {
    const r = patchGroup(group(), { op: 'add', path: 'members', value: 'u9' });
    assert.deepEqual(r.memberOps, [{ kind: 'add', members: [{ value: 'u9', type: undefined, display: undefined }] }]);
  });

  test('"displayName" on a member is read as "display" (Microsoft suite)', () => {
    const r = patchGroup(group(), { op: 'add', path: 'members', value: [{ value: 'u1', displayName: 'One' }] });
    assert.equal((r.memberOps[0] as Extract<MemberOp, { kind: 'add' }>).members[0].display, 'One');
  });

  test('path-less add with a members key', () => {
    const r = patchGroup(group(), { op: 'add', value: { members: [{ value: 'u1' }], displayName: 'Admins 2' } });
    assert.deepEqual(r.memberOps.map((o) => o.kind), ['add']);
    assert.equal(r.doc.displayName, 'Admins 2');
  });

  test('a member without a value → invalidValue', () => {
    rejects(() => patchGroup(group(), { op: 'add', path: 'members', value: [{ display: 'nobody' }] }), 400, 'invalidValue');
  });

  test('remove with a value list removes only those (Entra)', () => {
    const r = patchGroup(group(), { op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] });
    assert.deepEqual(r.memberOps, [{ kind: 'remove', values: ['u1', 'u2'] }]);
  });

  test('remove members[value eq "x"] → remove that value', () => {
    const r = patchGroup(group(), { op: 'remove', path: 'members[value eq "u1"]' });
    assert.deepEqual(r.memberOps, [{ kind: 'remove', values: ['u1'] }]);
  });

  test('remove members[value eq "a" or value eq "b"] → remove both', () => {
    const r = patchGroup(group(), { op: 'remove', path: 'members[value eq "a" or value eq "b"]' });
    assert.deepEqual(r.memberOps, [{ kind: 'remove', values: ['a', 'b'] }]);
  });

  test('remove with another filter → removeMatching with that filter', () => {
    const r = patchGroup(group(), { op: 'remove', path: 'members[type eq "Group"]' });
    assert.equal(r.memberOps.length, 1);
    assert.equal(r.memberOps[0].kind, 'removeMatching');
  });

  test('plain remove of members → removeAll', () => {
    assert.deepEqual(patchGroup(group(), { op: 'remove', path: 'members' }).memberOps, [{ kind: 'removeAll' }]);
    assert.deepEqual(patchGroup(group(), { op: 'remove', path: 'members', value: [] }).memberOps, [{ kind: 'removeAll' }]);
  });

  test('replace members → one replace op (the store writes only the difference)', () => {
    const r = patchGroup(group(), { op: 'replace', path: 'members', value: [{ value: 'u3' }] });
    assert.deepEqual(r.memberOps, [{ kind: 'replace', members: [{ value: 'u3', type: undefined, display: undefined }] }]);
  });

  test('operations on members keep their order across operations', () => {
    const r = patchGroup(group(),
      { op: 'add', path: 'members', value: [{ value: 'a' }] },
      { op: 'remove', path: 'members[value eq "b"]' },
      { op: 'add', path: 'members', value: [{ value: 'c' }] });
    assert.deepEqual(r.memberOps.map((o) => o.kind), ['add', 'remove', 'add']);
  });

  test('a members sub-attribute path → invalidPath; add with a filter → invalidPath', () => {
    rejects(() => patchGroup(group(), { op: 'replace', path: 'members.display', value: 'x' }), 400, 'invalidPath');
    rejects(() => patchGroup(group(), { op: 'add', path: 'members[value eq "u1"]', value: { value: 'u1' } }), 400, 'invalidPath');
  });

  test('a failing operation after member ops throws (no partial member ops escape)', () => {
    rejects(() => patchGroup(group(), { op: 'add', path: 'members', value: [{ value: 'u1' }] }, { op: 'replace', path: 'id', value: 'x' }), 400, 'mutability');
  });
});

test('setting primary to null on a multi-valued attribute without values changes nothing (was a TypeError, found by the fuzz test)', () => {
  const r = patchUser({ userName: 'u' }, { op: 'add', path: 'roles.primary', value: null });
  assert.deepEqual(r.doc, { userName: 'u' });
  assert.deepEqual(patchUser({ userName: 'u' }, { op: 'replace', path: 'emails.primary', value: null }).doc, { userName: 'u' });
});
