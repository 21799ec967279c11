// Size bounds on attribute values: refused with 400 invalidValue naming the attribute; a group's
// members are never counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAttributeLimits, type AttributeLimits } from './attribute-limits.ts';
import { ScimError } from './errors.ts';

const limits: AttributeLimits = { maxStringLength: 10, maxValues: 3 };
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function refused(doc: Record<string, unknown>, detail: RegExp): void {
  assert.throws(() => checkAttributeLimits(doc, limits),
    (err: unknown) => err instanceof ScimError && err.status === 400 && err.scimType === 'invalidValue' && detail.test(err.message), detail.source);
}

test('values at the limits pass', () => {
  assert.doesNotThrow(() => checkAttributeLimits({
    userName: 'x'.repeat(10), name: { givenName: 'y'.repeat(10) },
    emails: [{ value: 'a' }, { value: 'b' }, { value: 'c'.repeat(10) }], [ENT]: { department: 'z'.repeat(10) },
  }, limits));
});

test('a string over the limit is refused naming the attribute, top-level, nested, in a list or in an extension', () => {
  refused({ title: 'x'.repeat(11) }, /^Attribute "title" is 11 characters long; this server accepts at most 10/);
  assert.throws(() => checkAttributeLimits({ name: { familyName: 'x'.repeat(11) } }, limits), (err: unknown) => err instanceof ScimError && err.reason?.code === 'valueTooLong' && err.reason.attribute === 'name.familyName');
  assert.throws(() => checkAttributeLimits({ emails: [1, 2, 3, 4] }, limits), (err: unknown) => err instanceof ScimError && err.reason?.code === 'tooManyValues' && err.reason.attribute === 'emails');
  refused({ name: { familyName: 'x'.repeat(11) } }, /"name\.familyName" is 11/);
  refused({ emails: [{ value: 'ok' }, { value: 'x'.repeat(11) }] }, /"emails\.value" is 11/);
  refused({ [ENT]: { manager: { value: 'x'.repeat(11) } } }, new RegExp(`"${ENT.replace(/\./g, '\\.')}:manager\\.value" is 11`));
});

test('a multi-valued attribute with more values than the limit is refused naming it', () => {
  refused({ emails: [{ value: 'a' }, { value: 'b' }, { value: 'c' }, { value: 'd' }] }, /^Attribute "emails" has 4 values; this server accepts at most 3/);
  refused({ [ENT]: { x: [1, 2, 3, 4] } }, /enterprise:2\.0:User:x" has 4 values/);
});

test("a group's members are not counted (their strings still are)", () => {
  assert.doesNotThrow(() => checkAttributeLimits({ displayName: 'g', members: Array.from({ length: 50 }, (_, i) => ({ value: `id-${i}` })) }, limits));
  refused({ displayName: 'g', members: [{ value: 'id', display: 'x'.repeat(11) }] }, /"members\.display" is 11/);
});
