// Strings no SCIM value may hold (U+0000, unpaired surrogates) are refused where client text
// enters the core: resource values (POST, PUT, PATCH) and filter / PATCH path strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScimError } from './errors.ts';
import { parseFilter, parsePatchPath } from './filter.ts';
import { applyPatch } from './patch.ts';
import { normalizeResource } from './resource.ts';
import { resourceSchemas } from './schemas/resource-schema.ts';
import { stringValueProblem } from './string-value.ts';

const rs = resourceSchemas();
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BAD = ['a\u0000b', '\u0000', 'broken \ud83d', '\udc00 low first', 'swapped \ude00\ud83d'];

function refused(fn: () => unknown, scimType: string, detail: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ScimError && err.status === 400 && err.scimType === scimType && detail.test(err.message));
}

test('stringValueProblem: NUL and unpaired surrogates are problems; paired surrogates and other controls are not', () => {
  for (const s of BAD) assert.ok(stringValueProblem(s), JSON.stringify(s));
  for (const s of ['', 'plain', '😀', 'tab\tnewline\n', '\u0001\u001f\uffff', 'literal \\u0000', 'Ωmega ＡＢＣ']) assert.equal(stringValueProblem(s), undefined, JSON.stringify(s));
});

test('a resource value holding one is 400 invalidValue naming the attribute, wherever it sits', () => {
  for (const bad of BAD) {
    refused(() => normalizeResource(rs.User, { userName: bad }), 'invalidValue', /"userName" contains/);
    refused(() => normalizeResource(rs.User, { userName: 'u', name: { givenName: bad } }), 'invalidValue', /"name\.givenName"/);
    refused(() => normalizeResource(rs.User, { userName: 'u', emails: [{ value: 'a@x', type: bad }] }), 'invalidValue', /"emails\.type"/);
    refused(() => normalizeResource(rs.User, { userName: 'u', [ENT]: { department: bad } }), 'invalidValue', /enterprise:2\.0:User:department"/);
    refused(() => normalizeResource(rs.Group, { displayName: 'g', members: [{ value: bad }] }), 'invalidValue', /"members\.value"/);
    // A bare string standing for a complex attribute's "value" (as Entra sends manager) is checked too.
    refused(() => normalizeResource(rs.User, { userName: 'u', emails: bad }), 'invalidValue', /"emails\.value"/);
    refused(() => normalizeResource(rs.User, { userName: 'u', [ENT]: { manager: bad } }), 'invalidValue', /manager\.value"/);
  }
});

test('a PATCH value holding one is 400 invalidValue', () => {
  const doc = { userName: 'u' };
  refused(() => applyPatch(rs.User, doc, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'a\u0000' }] }), 'invalidValue', /"title"/);
  refused(() => applyPatch(rs.User, doc, { schemas: [PATCH], Operations: [{ op: 'add', value: { nickName: '\ud800' } }] }), 'invalidValue', /"nickName"/);
  refused(() => applyPatch(rs.User, doc, { schemas: [PATCH], Operations: [{ op: 'add', path: 'emails', value: [{ value: 'x\u0000@y' }] }] }), 'invalidValue', /"emails/);
});

test('a filter or PATCH path string holding one is refused (invalidFilter / invalidPath) with its position', () => {
  refused(() => parseFilter('userName eq "a\\u0000b"'), 'invalidFilter', /position 13: the string starting here contains the character U\+0000/);
  refused(() => parseFilter('emails[value eq "\\ud800"]'), 'invalidFilter', /unpaired UTF-16 surrogate/);
  refused(() => parseFilter('title sw "ok" or title co "\\udfff"'), 'invalidFilter', /position 27/);
  refused(() => parsePatchPath('members[value eq "\\u0000"]'), 'invalidPath', /U\+0000/);
  // A raw NUL outside a string is no filter character at all.
  refused(() => parseFilter('userName\u0000 eq "x"'), 'invalidFilter', /unexpected character/);
  assert.deepEqual(parseFilter('title eq "😀 \\ud83d\\ude00"'), { op: 'eq', path: { attr: 'title', subAttr: undefined, urn: undefined, text: 'title' }, value: '😀 😀' }, 'an escaped surrogate pair is one character');
});
