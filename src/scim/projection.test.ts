// Unit tests for RFC 7644 §3.9 "attributes" / "excludedAttributes".
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ALL, applyProjection, parseProjection, wantsAttribute } from './projection.ts';
import { resourceSchemas } from './schemas/resource-schema.ts';
import { ScimError } from './errors.ts';
import { GROUP_SCHEMA, USER_SCHEMA as CORE } from './schemas/core.ts';
import { ENTERPRISE_USER_SCHEMA as ENT } from './schemas/enterprise-user.ts';

const rs = resourceSchemas();

const user = () => ({
  schemas: [CORE, ENT],
  id: '2819c223',
  externalId: 'ext-1',
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen', formatted: 'Ms. Barbara Jensen' },
  displayName: 'Babs',
  emails: [
    { value: 'b@work.example', type: 'work', primary: true },
    { value: 'b@home.example', type: 'home' },
  ],
  groups: [{ value: 'g1', display: 'Admins' }],
  [ENT]: { department: 'Sales', employeeNumber: '7', manager: { value: 'm1', displayName: 'Boss' } },
  meta: { resourceType: 'User', created: '2020-01-01T00:00:00.000Z', lastModified: '2020-01-02T00:00:00.000Z', version: 'W/"1"' },
});

const group = () => ({
  schemas: [GROUP_SCHEMA],
  id: 'g1',
  displayName: 'Admins',
  members: [{ value: 'u1', display: 'One' }],
  meta: { resourceType: 'Group' },
});

const include = (attrs: string, r: Record<string, unknown> = user()) => applyProjection(r, parseProjection(rs.User, attrs));
const exclude = (attrs: string, r: Record<string, unknown> = user()) => applyProjection(r, parseProjection(rs.User, undefined, attrs));

describe('attributes (include)', () => {
  test('returns only the named attributes plus id and schemas', () => {
    assert.deepEqual(include('userName'), { schemas: [CORE, ENT], id: '2819c223', userName: 'bjensen' });
  });

  test('names are matched case-insensitively and whitespace is trimmed', () => {
    assert.deepEqual(include(' USERNAME , displayname '), { schemas: [CORE, ENT], id: '2819c223', userName: 'bjensen', displayName: 'Babs' });
  });

  test('a sub-attribute of a complex attribute: name.givenName', () => {
    assert.deepEqual(include('name.givenName'), { schemas: [CORE, ENT], id: '2819c223', name: { givenName: 'Barbara' } });
  });

  test('two sub-attributes of the same complex attribute are merged', () => {
    assert.deepEqual(include('name.givenName,name.familyName').name, { givenName: 'Barbara', familyName: 'Jensen' });
  });

  test('a sub-attribute of a multi-valued attribute: emails.value', () => {
    assert.deepEqual(include('emails.value').emails, [{ value: 'b@work.example' }, { value: 'b@home.example' }]);
  });

  test('two sub-attributes of a multi-valued attribute stay paired with their own values', () => {
    assert.deepEqual(include('emails.value,emails.type').emails, [
      { value: 'b@work.example', type: 'work' }, { value: 'b@home.example', type: 'home' },
    ]);
  });

  test('two sub-attributes when only some values carry one of them', () => {
    const r = { id: '1', schemas: [CORE], emails: [{ value: 'a@x' }, { value: 'b@x', type: 'home' }] };
    assert.deepEqual(include('emails.type,emails.value', r).emails, [{ value: 'a@x' }, { value: 'b@x', type: 'home' }]);
  });

  test('a whole multi-valued attribute and one of its sub-attributes together', () => {
    assert.deepEqual(include('emails,emails.value').emails, user().emails);
  });

  test('URN-qualified core attribute', () => {
    assert.deepEqual(include(`${CORE}:userName`), { schemas: [CORE, ENT], id: '2819c223', userName: 'bjensen' });
  });

  test('URN-qualified extension attribute keeps the URN container', () => {
    assert.deepEqual(include(`${ENT}:department`), { schemas: [CORE, ENT], id: '2819c223', [ENT]: { department: 'Sales' } });
  });

  test('URN-qualified extension sub-attribute: manager.value', () => {
    assert.deepEqual(include(`${ENT}:manager.value`)[ENT], { manager: { value: 'm1' } });
  });

  test('the whole extension by its URN (any case)', () => {
    assert.deepEqual(include(ENT.toLowerCase())[ENT], user()[ENT]);
  });

  test('emails[type eq "work"] is tolerated and returns the whole attribute (Microsoft suite)', () => {
    assert.deepEqual(include('emails[type eq "work"]').emails, user().emails);
  });

  test('unknown names are ignored', () => {
    assert.deepEqual(include('shoeSize,name.middle,userName'), { schemas: [CORE, ENT], id: '2819c223', userName: 'bjensen' });
  });

  test('an attribute absent from the resource produces nothing, and no empty container', () => {
    assert.deepEqual(include(`title,${ENT}:costCenter`), { schemas: [CORE, ENT], id: '2819c223' });
  });

  test('meta can be asked for', () => {
    assert.deepEqual(include('meta.lastModified').meta, { lastModified: '2020-01-02T00:00:00.000Z' });
  });

  test('the input resource is not modified', () => {
    const r = user();
    include('userName', r);
    assert.deepEqual(r, user());
  });
});

describe('excludedAttributes', () => {
  test('removes the named attributes and keeps the rest', () => {
    const out = exclude('emails,name');
    const expected: Record<string, unknown> = user();
    delete expected.emails;
    delete expected.name;
    assert.deepEqual(out, expected);
  });

  test('id and schemas are always returned', () => {
    const out = exclude('id,schemas,userName');
    assert.equal(out.id, '2819c223');
    assert.deepEqual(out.schemas, [CORE, ENT]);
    assert.equal('userName' in out, false);
  });

  test('a sub-attribute is removed from every value: emails.value', () => {
    assert.deepEqual(exclude('emails.value').emails, [{ type: 'work', primary: true }, { type: 'home' }]);
  });

  test('the input resource is not modified, however deep the excluded path', () => {
    const r = user();
    for (const list of ['emails', 'emails.value', 'name.givenName', `${ENT}:manager`, `${ENT}:manager.value`, ENT, 'meta']) exclude(list, r);
    assert.deepEqual(r, user());
  });

  test('a sub-attribute of an attribute the resource lacks adds nothing', () => {
    const r: Record<string, unknown> = user();
    delete r.emails;
    assert.equal('emails' in exclude('emails.value', r), false);
  });

  test('a sub-attribute of a single complex attribute: name.givenName', () => {
    assert.deepEqual(exclude('name.givenName').name, { familyName: 'Jensen', formatted: 'Ms. Barbara Jensen' });
  });

  test('URN-qualified extension attribute', () => {
    assert.deepEqual(exclude(`${ENT}:manager`)[ENT], { department: 'Sales', employeeNumber: '7' });
  });

  test('the whole extension by URN', () => {
    assert.equal(ENT in exclude(ENT), false);
  });

  test('members excluded from a Group', () => {
    const out = applyProjection(group(), parseProjection(rs.Group, undefined, 'members'));
    assert.deepEqual(out, { schemas: group().schemas, id: 'g1', displayName: 'Admins', meta: { resourceType: 'Group' } });
  });

  test('the input resource is not modified', () => {
    const r = user();
    exclude('emails.value,name', r);
    assert.deepEqual(r, user());
  });
});

describe('parseProjection', () => {
  test('both parameters → 400', () => {
    let caught: unknown;
    try { parseProjection(rs.User, 'userName', 'emails'); } catch (e) { caught = e; }
    assert.ok(caught instanceof ScimError);
    assert.equal(caught.status, 400);
  });

  test('a blank parameter counts as absent', () => {
    assert.equal(parseProjection(rs.User, '  ', 'emails').mode, 'exclude');
    assert.equal(parseProjection(rs.User, 'userName', '').mode, 'include');
    assert.equal(parseProjection(rs.User, '', ''), ALL);
    assert.equal(parseProjection(rs.User), ALL);
  });

  test('more than 100 names → 400', () => {
    assert.throws(() => parseProjection(rs.User, Array(101).fill('userName').join(',')), (e: unknown) => e instanceof ScimError && e.status === 400);
  });

  test('ALL returns the resource unchanged', () => {
    const r = user();
    assert.equal(applyProjection(r, ALL), r);
  });
});

describe('wantsAttribute', () => {
  test('everything is wanted without a projection', () => {
    assert.equal(wantsAttribute(ALL, 'groups'), true);
  });

  test('include: only named attributes are wanted (including through a sub-attribute)', () => {
    assert.equal(wantsAttribute(parseProjection(rs.User, 'userName'), 'groups'), false);
    assert.equal(wantsAttribute(parseProjection(rs.User, 'groups'), 'groups'), true);
    assert.equal(wantsAttribute(parseProjection(rs.User, 'Groups.display'), 'groups'), true);
  });

  test('exclude: an attribute is wanted unless excluded as a whole', () => {
    assert.equal(wantsAttribute(parseProjection(rs.User, undefined, 'groups'), 'groups'), false);
    assert.equal(wantsAttribute(parseProjection(rs.User, undefined, 'groups.display'), 'groups'), true);
    assert.equal(wantsAttribute(parseProjection(rs.User, undefined, 'emails'), 'groups'), true);
  });

  test('members of a Group: excluded means not wanted', () => {
    assert.equal(wantsAttribute(parseProjection(rs.Group, undefined, 'members'), 'members'), false);
    assert.equal(wantsAttribute(parseProjection(rs.Group, 'displayName'), 'members'), false);
    assert.equal(wantsAttribute(parseProjection(rs.Group, 'members.value'), 'members'), true);
  });
});
