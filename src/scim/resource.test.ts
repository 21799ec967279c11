// Unit tests for turning a client's POST/PUT body into the canonical attribute document.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequired, coerceAttribute, normalizeResource } from './resource.ts';
import { resourceSchemas } from './schemas/resource-schema.ts';
import { attr, type SchemaDef } from './schemas/types.ts';
import { ScimError } from './errors.ts';
import { USER_SCHEMA as CORE } from './schemas/core.ts';
import { ENTERPRISE_USER_SCHEMA as ENT } from './schemas/enterprise-user.ts';

const CUSTOM = 'urn:example:params:scim:schemas:extension:acme:1.0:User';
const customExtension: SchemaDef = {
  id: CUSTOM,
  name: 'AcmeUser',
  description: 'Test extension with typed attributes',
  attributes: [
    attr('hireDate', 'dateTime'),
    attr('badgeCount', 'integer'),
    attr('score', 'decimal'),
    attr('contractor', 'boolean'),
  ],
};
const rs = resourceSchemas([customExtension]);

function rejects(fn: () => unknown, scimType: string, detail?: RegExp): ScimError {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof ScimError, `expected a ScimError, got ${String(caught)}`);
  assert.equal(caught.status, 400);
  assert.equal(caught.scimType, scimType);
  if (detail) assert.match(caught.message, detail);
  return caught;
}

describe('normalizeResource: names', () => {
  test('attribute and sub-attribute names in any case become canonical', () => {
    const doc = normalizeResource(rs.User, {
      USERNAME: 'bjensen',
      Name: { GivenName: 'Barbara', FAMILYNAME: 'Jensen' },
      Emails: [{ Value: 'b@example.com', Type: 'work', Primary: true }],
    });
    assert.deepEqual(doc, {
      userName: 'bjensen',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [{ value: 'b@example.com', type: 'work', primary: true }],
    });
  });

  test('extension attributes in any case, under a URN in any case, are stored canonically', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', [ENT.toUpperCase()]: { Department: 'Sales', EMPLOYEENUMBER: '7' } });
    assert.deepEqual(doc, { userName: 'u', [ENT]: { department: 'Sales', employeeNumber: '7' } });
  });

  test('URN-qualified attribute keys at the top level', () => {
    const doc = normalizeResource(rs.User, { [`${CORE}:userName`]: 'u', [`${ENT}:costCenter`]: 'C-1' });
    assert.deepEqual(doc, { userName: 'u', [ENT]: { costCenter: 'C-1' } });
  });

  test('a bare extension attribute name that is unambiguous is accepted', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', department: 'Sales' });
    assert.deepEqual(doc, { userName: 'u', [ENT]: { department: 'Sales' } });
  });

  test('schemas is not stored', () => {
    const doc = normalizeResource(rs.User, { schemas: [CORE, ENT], userName: 'u' });
    assert.deepEqual(doc, { userName: 'u' });
  });
});

describe('normalizeResource: what is dropped', () => {
  test('readOnly id, meta and groups are ignored (RFC 7643 §2.2)', () => {
    const doc = normalizeResource(rs.User, {
      id: 'client-chosen', meta: { created: '2000-01-01T00:00:00Z', resourceType: 'User' },
      groups: [{ value: 'g1', display: 'Admins' }], userName: 'u',
    });
    assert.deepEqual(doc, { userName: 'u' });
  });

  test('writeOnly password is accepted but never kept', () => {
    assert.deepEqual(normalizeResource(rs.User, { userName: 'u', password: 't1meMa$heen' }), { userName: 'u' });
  });

  test('readOnly sub-attributes are dropped: manager.displayName', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', [ENT]: { manager: { value: 'm1', displayName: 'Boss' } } });
    assert.deepEqual(doc[ENT], { manager: { value: 'm1' } });
  });

  test('unknown attributes, unknown sub-attributes and unknown extensions are ignored', () => {
    const doc = normalizeResource(rs.User, {
      userName: 'u', shoeSize: 42, name: { givenName: 'B', nickname: 'x' },
      'urn:example:unknown:1.0:User': { foo: 1 }, 'urn:example:unknown:1.0:User:bar': 2,
    });
    assert.deepEqual(doc, { userName: 'u', name: { givenName: 'B' } });
  });

  test('null means unassigned', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', title: null, name: null, emails: null, [ENT]: null, nickName: 'n' });
    assert.deepEqual(doc, { userName: 'u', nickName: 'n' });
  });

  test('null sub-attributes are dropped; a complex value left empty is dropped', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', name: { givenName: null, familyName: null } });
    assert.deepEqual(doc, { userName: 'u' });
  });

  test('empty arrays are dropped', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', emails: [], phoneNumbers: [null], roles: [] });
    assert.deepEqual(doc, { userName: 'u' });
  });

  test('an extension object with only unknown or null attributes leaves nothing behind', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', [ENT]: { department: null, foo: 'x' } });
    assert.deepEqual(doc, { userName: 'u' });
  });
});

describe('normalizeResource: value coercion', () => {
  test('"True"/"False" strings become booleans, whitespace and case ignored (Entra)', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', active: 'True', emails: [{ value: 'a@x', primary: ' FALSE ' }] });
    assert.equal(doc.active, true);
    assert.deepEqual(doc.emails, [{ value: 'a@x', primary: false }]);
    assert.equal(normalizeResource(rs.User, { userName: 'u', active: 'false' }).active, false);
  });

  test('an invalid boolean → 400 invalidValue naming the attribute', () => {
    rejects(() => normalizeResource(rs.User, { userName: 'u', active: 'yes' }), 'invalidValue', /active/);
    rejects(() => normalizeResource(rs.User, { userName: 'u', active: 1 }), 'invalidValue');
    rejects(() => normalizeResource(rs.User, { userName: 'u', emails: [{ value: 'a', primary: 'maybe' }] }), 'invalidValue', /emails\.primary/);
  });

  test('dateTime values are normalised to ISO 8601 UTC', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', [CUSTOM]: { hireDate: '2011-05-13T04:42:34-07:00' } });
    assert.deepEqual(doc[CUSTOM], { hireDate: '2011-05-13T11:42:34.000Z' });
  });

  test('an invalid dateTime → invalidValue', () => {
    rejects(() => normalizeResource(rs.User, { userName: 'u', [CUSTOM]: { hireDate: 'next tuesday' } }), 'invalidValue', /hireDate/);
    rejects(() => normalizeResource(rs.User, { userName: 'u', [CUSTOM]: { hireDate: 1234 } }), 'invalidValue');
  });

  test('integer and decimal accept numeric strings and reject others', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', [CUSTOM]: { badgeCount: '3', score: '2.5', contractor: 'TRUE' } });
    assert.deepEqual(doc[CUSTOM], { badgeCount: 3, score: 2.5, contractor: true });
    rejects(() => normalizeResource(rs.User, { userName: 'u', [CUSTOM]: { badgeCount: 2.5 } }), 'invalidValue');
    rejects(() => normalizeResource(rs.User, { userName: 'u', [CUSTOM]: { score: 'abc' } }), 'invalidValue');
  });

  test('numbers and booleans sent for a string attribute become strings', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', [ENT]: { employeeNumber: 701984 }, title: true });
    assert.deepEqual(doc[ENT], { employeeNumber: '701984' });
    assert.equal(doc.title, 'true');
  });

  test('an object for a simple string attribute → invalidValue', () => {
    rejects(() => normalizeResource(rs.User, { userName: { value: 'u' } }), 'invalidValue');
  });

  test('a single object for a multi-valued attribute is wrapped in a list', () => {
    assert.deepEqual(normalizeResource(rs.User, { userName: 'u', emails: { value: 'a@x' } }).emails, [{ value: 'a@x' }]);
  });

  test('a one-element array for a single-valued attribute is unwrapped; more → invalidValue', () => {
    assert.equal(normalizeResource(rs.User, { userName: ['u'] }).userName, 'u');
    rejects(() => normalizeResource(rs.User, { userName: ['u', 'v'] }), 'invalidValue');
  });

  test('manager as a bare id, an object or a one-element array', () => {
    for (const manager of ['m1', { value: 'm1' }, [{ value: 'm1' }]]) {
      assert.deepEqual(normalizeResource(rs.User, { userName: 'u', [ENT]: { manager } })[ENT], { manager: { value: 'm1' } }, JSON.stringify(manager));
    }
    assert.deepEqual(normalizeResource(rs.User, { userName: 'u', [ENT]: { manager: '' } }), { userName: 'u' });
  });

  test('two primaries → 400 invalidValue (RFC 7643 §2.4)', () => {
    rejects(() => normalizeResource(rs.User, {
      userName: 'u', emails: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: 'True' }],
    }), 'invalidValue', /primary/);
  });

  test('one primary among several values is fine', () => {
    const doc = normalizeResource(rs.User, { userName: 'u', emails: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: false }] });
    assert.equal((doc.emails as unknown[]).length, 2);
  });

  test('an extension that is not an object → invalidValue', () => {
    rejects(() => normalizeResource(rs.User, { userName: 'u', [ENT]: 'Sales' }), 'invalidValue');
  });

  test('a body that is not an object → invalidValue', () => {
    rejects(() => normalizeResource(rs.User, null), 'invalidValue');
    rejects(() => normalizeResource(rs.User, [{ userName: 'u' }]), 'invalidValue');
  });
});

describe('normalizeResource: groups', () => {
  test('member "displayName" is read as "display" (Microsoft suite)', () => {
    const doc = normalizeResource(rs.Group, { displayName: 'Admins', members: [{ value: 'u1', displayName: 'One' }] });
    assert.deepEqual(doc.members, [{ value: 'u1', display: 'One' }]);
  });

  test('when both display and displayName are sent, display wins', () => {
    const doc = normalizeResource(rs.Group, { displayName: 'Admins', members: [{ value: 'u1', displayName: 'Alias', display: 'Real' }] });
    assert.deepEqual(doc.members, [{ value: 'u1', display: 'Real' }]);
  });

  test('members with $ref null and a bare-string member', () => {
    const doc = normalizeResource(rs.Group, { displayName: 'Admins', members: [{ value: 'u1', $ref: null }, 'u2'] });
    assert.deepEqual(doc.members, [{ value: 'u1' }, { value: 'u2' }]);
  });
});

describe('coerceAttribute', () => {
  const emails = rs.User.core.attributes.find((a) => a.name === 'emails')!;
  const active = rs.User.core.attributes.find((a) => a.name === 'active')!;

  test('returns undefined for unassigned values', () => {
    assert.equal(coerceAttribute(emails, null), undefined);
    assert.equal(coerceAttribute(emails, []), undefined);
    assert.equal(coerceAttribute(active, undefined), undefined);
  });

  test('canonicalises sub-attribute names: "Primary" → primary', () => {
    assert.deepEqual(coerceAttribute(emails, [{ VALUE: 'a@x', Primary: 'True' }]), [{ value: 'a@x', primary: true }]);
  });

  test('names the attribute it was given in its error detail', () => {
    rejects(() => coerceAttribute(active, 'nope', 'my.path'), 'invalidValue', /my\.path/);
  });
});

describe('checkRequired', () => {
  test('a User without userName → 400 invalidValue', () => {
    rejects(() => checkRequired(rs.User, normalizeResource(rs.User, { name: { givenName: 'B' } })), 'invalidValue', /userName/);
  });

  test('a blank userName → invalidValue', () => {
    rejects(() => checkRequired(rs.User, normalizeResource(rs.User, { userName: '   ' })), 'invalidValue', /userName/);
  });

  test('userName null is missing', () => {
    rejects(() => checkRequired(rs.User, normalizeResource(rs.User, { userName: null })), 'invalidValue');
  });

  test('a User with userName passes', () => {
    assert.doesNotThrow(() => checkRequired(rs.User, normalizeResource(rs.User, { userName: 'u' })));
  });

  test('a Group without displayName → invalidValue', () => {
    rejects(() => checkRequired(rs.Group, normalizeResource(rs.Group, { members: [] })), 'invalidValue', /displayName/);
  });
});

describe("a group's members: no value may be dropped quietly", () => {
  test('members holding null, "", or an object without a value is 400 invalidValue (a PUT would otherwise empty the group)', () => {
    for (const members of [[null], [{ value: 'a' }, null], [''], [{ value: null }]]) {
      assert.throws(() => normalizeResource(rs.Group, { displayName: 'g', members }),
        (err: unknown) => err instanceof ScimError && err.status === 400 && err.scimType === 'invalidValue' && /"members"|"value"/.test(err.message), JSON.stringify(members));
    }
  });

  test('members: null, [] and a member list stay as they were; other attributes still drop empty elements', () => {
    assert.deepEqual(normalizeResource(rs.Group, { displayName: 'g', members: null }), { displayName: 'g' });
    assert.deepEqual(normalizeResource(rs.Group, { displayName: 'g', members: [] }), { displayName: 'g' });
    assert.deepEqual(normalizeResource(rs.Group, { displayName: 'g', members: [{ value: 'a' }] }), { displayName: 'g', members: [{ value: 'a' }] });
    assert.deepEqual(normalizeResource(rs.User, { userName: 'u', phoneNumbers: [null, { value: '1' }] }), { userName: 'u', phoneNumbers: [{ value: '1' }] });
  });
});
