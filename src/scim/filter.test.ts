// Unit tests for the RFC 7644 §3.4.2.2 filter parser and the §3.5.2 PATCH path parser.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, parsePatchPath, MAX_FILTER_LENGTH, type Filter } from './filter.ts';
import { ScimError } from './errors.ts';
import { USER_SCHEMA as CORE } from './schemas/core.ts';
import { ENTERPRISE_USER_SCHEMA as ENT } from './schemas/enterprise-user.ts';


/** Strips the "text" of every path so trees can be compared structurally. */
function shape(f: Filter): unknown {
  switch (f.op) {
    case 'and': case 'or': return { op: f.op, left: shape(f.left), right: shape(f.right) };
    case 'not': return { op: 'not', filter: shape(f.filter) };
    case 'valuePath': return { op: 'valuePath', attr: f.path.attr, filter: shape(f.filter) };
    case 'pr': return { op: 'pr', attr: pathName(f.path) };
    default: return { op: f.op, attr: pathName(f.path), value: f.value };
  }
}
function pathName(p: { urn?: string; attr: string; subAttr?: string }): string {
  return (p.urn ? p.urn + ':' : '') + p.attr + (p.subAttr ? '.' + p.subAttr : '');
}

/** Asserts a ScimError with the given scimType, and (when given) "position N" in its detail. */
function rejects(fn: () => unknown, scimType: string, position?: number): ScimError {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof ScimError, `expected a ScimError, got ${String(caught)}`);
  assert.equal(caught.status, 400);
  assert.equal(caught.scimType, scimType);
  if (position !== undefined) assert.match(caught.message, new RegExp(`position ${position}\\b`), caught.message);
  return caught;
}

describe('parseFilter: comparison operators', () => {
  for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const) {
    test(`"${op}" compares an attribute with a value`, () => {
      const f = parseFilter(`userName ${op} "bjensen"`);
      assert.deepEqual(shape(f), { op, attr: 'userName', value: 'bjensen' });
    });
  }

  test('"pr" takes no value', () => {
    assert.deepEqual(shape(parseFilter('title pr')), { op: 'pr', attr: 'title' });
  });

  test('"pr" followed by "and" combines with the next expression', () => {
    assert.deepEqual(shape(parseFilter('title pr and userType eq "Employee"')), {
      op: 'and', left: { op: 'pr', attr: 'title' }, right: { op: 'eq', attr: 'userType', value: 'Employee' },
    });
  });

  test('sub-attribute paths are split into attr and subAttr', () => {
    const f = parseFilter('name.familyName co "O\'Malley"');
    assert.equal(f.op, 'co');
    if (f.op !== 'co') return;
    assert.equal(f.path.attr, 'name');
    assert.equal(f.path.subAttr, 'familyName');
    assert.equal(f.path.urn, undefined);
    assert.equal(f.path.text, 'name.familyName');
    assert.equal(f.value, "O'Malley");
  });
});

describe('parseFilter: case-insensitive operators and keywords', () => {
  test('operators in any case are normalised to lower case', () => {
    assert.deepEqual(shape(parseFilter('userName EQ "x"')), { op: 'eq', attr: 'userName', value: 'x' });
    assert.deepEqual(shape(parseFilter('userName Sw "x"')), { op: 'sw', attr: 'userName', value: 'x' });
    assert.deepEqual(shape(parseFilter('title PR')), { op: 'pr', attr: 'title' });
  });

  test('AND, Or and NOT are recognised in any case', () => {
    assert.deepEqual(shape(parseFilter('a eq 1 AND b eq 2 Or NOT (c eq 3)')), {
      op: 'or',
      left: { op: 'and', left: { op: 'eq', attr: 'a', value: 1 }, right: { op: 'eq', attr: 'b', value: 2 } },
      right: { op: 'not', filter: { op: 'eq', attr: 'c', value: 3 } },
    });
  });

  test('True, FALSE and Null literals in any case', () => {
    assert.deepEqual(shape(parseFilter('active eq True')), { op: 'eq', attr: 'active', value: true });
    assert.deepEqual(shape(parseFilter('active eq FALSE')), { op: 'eq', attr: 'active', value: false });
    assert.deepEqual(shape(parseFilter('title eq Null')), { op: 'eq', attr: 'title', value: null });
  });

  test('attribute names keep the case the client wrote (resolution is the compiler\'s job)', () => {
    const f = parseFilter('USERNAME eq "x"');
    assert.ok(f.op === 'eq' && f.path.attr === 'USERNAME');
  });
});

describe('parseFilter: precedence and grouping', () => {
  test('"and" binds tighter than "or" (a or b and c = a or (b and c))', () => {
    assert.deepEqual(shape(parseFilter('a eq 1 or b eq 2 and c eq 3')), {
      op: 'or',
      left: { op: 'eq', attr: 'a', value: 1 },
      right: { op: 'and', left: { op: 'eq', attr: 'b', value: 2 }, right: { op: 'eq', attr: 'c', value: 3 } },
    });
  });

  test('"and" binds tighter than "or" on the left too (a and b or c = (a and b) or c)', () => {
    assert.deepEqual(shape(parseFilter('a eq 1 and b eq 2 or c eq 3')), {
      op: 'or',
      left: { op: 'and', left: { op: 'eq', attr: 'a', value: 1 }, right: { op: 'eq', attr: 'b', value: 2 } },
      right: { op: 'eq', attr: 'c', value: 3 },
    });
  });

  test('"not" binds tighter than "and": not (a) and b = (not a) and b', () => {
    assert.deepEqual(shape(parseFilter('not (a eq 1) and b eq 2')), {
      op: 'and', left: { op: 'not', filter: { op: 'eq', attr: 'a', value: 1 } }, right: { op: 'eq', attr: 'b', value: 2 },
    });
  });

  test('"not(" without a space works too', () => {
    assert.deepEqual(shape(parseFilter('not(a eq 1)')), { op: 'not', filter: { op: 'eq', attr: 'a', value: 1 } });
  });

  test('and/or chains are left-associative', () => {
    assert.deepEqual(shape(parseFilter('a pr or b pr or c pr')), {
      op: 'or', left: { op: 'or', left: { op: 'pr', attr: 'a' }, right: { op: 'pr', attr: 'b' } }, right: { op: 'pr', attr: 'c' },
    });
  });

  test('parentheses override precedence', () => {
    assert.deepEqual(shape(parseFilter('(a eq 1 or b eq 2) and c eq 3')), {
      op: 'and',
      left: { op: 'or', left: { op: 'eq', attr: 'a', value: 1 }, right: { op: 'eq', attr: 'b', value: 2 } },
      right: { op: 'eq', attr: 'c', value: 3 },
    });
  });

  test('redundant nested parentheses are transparent', () => {
    assert.deepEqual(shape(parseFilter('((userName eq "x"))')), { op: 'eq', attr: 'userName', value: 'x' });
  });

  test('the RFC 7644 §3.4.2.2 example with not and grouping', () => {
    const f = parseFilter('userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")');
    assert.deepEqual(shape(f), {
      op: 'and',
      left: { op: 'eq', attr: 'userType', value: 'Employee' },
      right: {
        op: 'or',
        left: { op: 'co', attr: 'emails', value: 'example.com' },
        right: { op: 'co', attr: 'emails.value', value: 'example.org' },
      },
    });
  });

  test('tabs and newlines count as whitespace', () => {
    assert.deepEqual(shape(parseFilter('a eq 1\tand\nb eq 2')), {
      op: 'and', left: { op: 'eq', attr: 'a', value: 1 }, right: { op: 'eq', attr: 'b', value: 2 },
    });
  });
});

describe('parseFilter: value paths', () => {
  test('emails[type eq "work" and value co "@x.com"] is one valuePath with a relative inner filter', () => {
    assert.deepEqual(shape(parseFilter('emails[type eq "work" and value co "@x.com"]')), {
      op: 'valuePath',
      attr: 'emails',
      filter: { op: 'and', left: { op: 'eq', attr: 'type', value: 'work' }, right: { op: 'co', attr: 'value', value: '@x.com' } },
    });
  });

  test('a valuePath combines with other expressions', () => {
    assert.deepEqual(shape(parseFilter('userType eq "Employee" and emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp"]')), {
      op: 'or',
      left: {
        op: 'and',
        left: { op: 'eq', attr: 'userType', value: 'Employee' },
        right: { op: 'valuePath', attr: 'emails', filter: { op: 'and', left: { op: 'eq', attr: 'type', value: 'work' }, right: { op: 'co', attr: 'value', value: '@example.com' } } },
      },
      right: { op: 'valuePath', attr: 'ims', filter: { op: 'eq', attr: 'type', value: 'xmpp' } },
    });
  });

  test('not and grouping work inside a valuePath', () => {
    assert.deepEqual(shape(parseFilter('emails[not (type eq "home") and (primary eq true or value pr)]')), {
      op: 'valuePath',
      attr: 'emails',
      filter: {
        op: 'and',
        left: { op: 'not', filter: { op: 'eq', attr: 'type', value: 'home' } },
        right: { op: 'or', left: { op: 'eq', attr: 'primary', value: true }, right: { op: 'pr', attr: 'value' } },
      },
    });
  });

  test('emails[type eq "work"].value eq "x" (Microsoft guide) means emails[type eq "work" and value eq "x"]', () => {
    assert.deepEqual(shape(parseFilter('emails[type eq "work"].value eq "x@example.com"')), {
      op: 'valuePath',
      attr: 'emails',
      filter: { op: 'and', left: { op: 'eq', attr: 'type', value: 'work' }, right: { op: 'eq', attr: 'value', value: 'x@example.com' } },
    });
  });

  test('the Microsoft form keeps an "or" inside the brackets grouped, and combines with what follows', () => {
    assert.deepEqual(shape(parseFilter('emails[type eq "work" or type eq "home"].value PR or userName eq "u"')), {
      op: 'or',
      left: {
        op: 'valuePath',
        attr: 'emails',
        filter: {
          op: 'and',
          left: { op: 'or', left: { op: 'eq', attr: 'type', value: 'work' }, right: { op: 'eq', attr: 'type', value: 'home' } },
          right: { op: 'pr', attr: 'value' },
        },
      },
      right: { op: 'eq', attr: 'userName', value: 'u' },
    });
  });

  test('the Microsoft form with a bad operator → invalidFilter at the operator', () => {
    rejects(() => parseFilter('emails[type eq "work"].value xx "a"'), 'invalidFilter', 30);
    rejects(() => parseFilter('emails[type eq "work"].value'), 'invalidFilter', 29);
  });

  test('a valuePath on a URN-qualified attribute keeps the URN', () => {
    const f = parseFilter(`${CORE}:emails[type eq "work"]`);
    assert.ok(f.op === 'valuePath');
    if (f.op !== 'valuePath') return;
    assert.equal(f.path.urn, CORE);
    assert.equal(f.path.attr, 'emails');
  });
});

describe('parseFilter: URN-qualified attribute names', () => {
  test('enterprise extension sub-attribute: urn…:User:manager.value', () => {
    const f = parseFilter(`${ENT}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`);
    assert.ok(f.op === 'eq');
    if (f.op !== 'eq') return;
    assert.deepEqual({ urn: f.path.urn, attr: f.path.attr, subAttr: f.path.subAttr }, { urn: ENT, attr: 'manager', subAttr: 'value' });
    assert.equal(f.value, '26118915-6090-4610-87e4-49d8ca9f808d');
  });

  test('enterprise extension simple attribute: urn…:User:department', () => {
    const f = parseFilter(`${ENT}:department eq "Tour Operations"`);
    assert.ok(f.op === 'eq' && f.path.urn === ENT && f.path.attr === 'department' && f.path.subAttr === undefined);
  });

  test('core schema URN: urn…:core:2.0:User:name.familyName', () => {
    const f = parseFilter(`${CORE}:name.familyName eq "Jensen"`);
    assert.ok(f.op === 'eq');
    if (f.op !== 'eq') return;
    assert.deepEqual({ urn: f.path.urn, attr: f.path.attr, subAttr: f.path.subAttr }, { urn: CORE, attr: 'name', subAttr: 'familyName' });
  });

  test('a URN is recognised case-insensitively ("URN:")', () => {
    const f = parseFilter(`URN:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`);
    assert.ok(f.op === 'eq' && f.path.urn === 'URN:ietf:params:scim:schemas:core:2.0:User' && f.path.attr === 'userName');
  });
});

describe('parseFilter: values', () => {
  test('JSON string escapes are decoded', () => {
    const f = parseFilter(String.raw`displayName eq "a \"quoted\" \\ back\/slash \u00e9 \n"`);
    assert.ok(f.op === 'eq');
    assert.equal((f as { value: unknown }).value, 'a "quoted" \\ back/slash é \n');
  });

  test('an escaped quote at the end of a string does not end it', () => {
    const f = parseFilter(String.raw`displayName eq "ends with \""`);
    assert.equal((f as { value: unknown }).value, 'ends with "');
  });

  test('an empty string is a value', () => {
    assert.deepEqual(shape(parseFilter('title eq ""')), { op: 'eq', attr: 'title', value: '' });
  });

  test('parentheses and brackets inside strings are not syntax', () => {
    assert.deepEqual(shape(parseFilter('displayName eq "a (b) [c] and or"')), { op: 'eq', attr: 'displayName', value: 'a (b) [c] and or' });
  });

  test('numbers: integers, negatives, decimals, exponents', () => {
    assert.deepEqual(shape(parseFilter('n eq 42')), { op: 'eq', attr: 'n', value: 42 });
    assert.deepEqual(shape(parseFilter('n gt -7')), { op: 'gt', attr: 'n', value: -7 });
    assert.deepEqual(shape(parseFilter('n le 3.25')), { op: 'le', attr: 'n', value: 3.25 });
    assert.deepEqual(shape(parseFilter('n lt 1e3')), { op: 'lt', attr: 'n', value: 1000 });
    assert.deepEqual(shape(parseFilter('n lt 2E-2')), { op: 'lt', attr: 'n', value: 0.02 });
  });

  test('a JSON number with an explicit "+" exponent sign (1e+3) is a number', () => {
    assert.deepEqual(shape(parseFilter('n lt 1e+3')), { op: 'lt', attr: 'n', value: 1000 });
  });

  test('a quoted number stays a string', () => {
    assert.deepEqual(shape(parseFilter('externalId eq "42"')), { op: 'eq', attr: 'externalId', value: '42' });
  });

  test('true/false/null literals', () => {
    assert.deepEqual(shape(parseFilter('active eq true')), { op: 'eq', attr: 'active', value: true });
    assert.deepEqual(shape(parseFilter('active eq false')), { op: 'eq', attr: 'active', value: false });
    assert.deepEqual(shape(parseFilter('title eq null')), { op: 'eq', attr: 'title', value: null });
  });

  test('quoted "true" stays a string', () => {
    assert.deepEqual(shape(parseFilter('title eq "true"')), { op: 'eq', attr: 'title', value: 'true' });
  });

  test('bare words are accepted as strings (Microsoft suite: name.familyName eq Employee)', () => {
    assert.deepEqual(shape(parseFilter('name.familyName eq Employee')), { op: 'eq', attr: 'name.familyName', value: 'Employee' });
  });

  test('bare dateTime with a negative offset is one string value', () => {
    assert.deepEqual(shape(parseFilter('meta.created gt 2015-10-10T14:38:21-07:00')), {
      op: 'gt', attr: 'meta.created', value: '2015-10-10T14:38:21-07:00',
    });
  });

  test('bare dateTime with a positive offset (+07:00) is one string value', () => {
    assert.deepEqual(shape(parseFilter('meta.created gt 2015-10-10T14:38:21+07:00')), {
      op: 'gt', attr: 'meta.created', value: '2015-10-10T14:38:21+07:00',
    });
  });

  test('quoted dateTime with a positive offset parses', () => {
    assert.deepEqual(shape(parseFilter('meta.lastModified ge "2011-05-13T04:42:34+02:00"')), {
      op: 'ge', attr: 'meta.lastModified', value: '2011-05-13T04:42:34+02:00',
    });
  });
});

describe('parseFilter: errors are 400 invalidFilter with a 1-based position', () => {
  test('unterminated string points at its opening quote', () => {
    const e = rejects(() => parseFilter('userName eq "bjensen'), 'invalidFilter', 13);
    assert.match(e.message, /never closed/);
  });

  test('unterminated string that ends in an escaped quote', () => {
    rejects(() => parseFilter(String.raw`title eq "abc\"`), 'invalidFilter', 10);
  });

  test('invalid escape sequence points at the string', () => {
    rejects(() => parseFilter(String.raw`title eq "a\qb"`), 'invalidFilter', 10);
  });

  test('missing operator: a value right after the attribute', () => {
    const e = rejects(() => parseFilter('userName "bjensen"'), 'invalidFilter', 10);
    assert.match(e.message, /expected an operator/);
  });

  test('missing operator at the end of the filter points past the last character', () => {
    rejects(() => parseFilter('userName'), 'invalidFilter', 9);
  });

  test('unknown operator points at the operator', () => {
    const e = rejects(() => parseFilter('userName xx "bjensen"'), 'invalidFilter', 10);
    assert.match(e.message, /"xx" is not a filter operator/);
  });

  test('unknown operator later in the filter points at it, not at the start', () => {
    rejects(() => parseFilter('userName eq "a" and title like "b"'), 'invalidFilter', 27);
  });

  test('missing value after an operator', () => {
    rejects(() => parseFilter('userName eq'), 'invalidFilter', 12);
    rejects(() => parseFilter('userName eq )'), 'invalidFilter', 13);
  });

  test('trailing garbage after a complete expression', () => {
    const e = rejects(() => parseFilter('userName eq "a" garbage'), 'invalidFilter', 17);
    assert.match(e.message, /"garbage"/);
  });

  test('an unbalanced closing parenthesis is trailing garbage', () => {
    rejects(() => parseFilter('userName eq "a")'), 'invalidFilter', 16);
  });

  test('a missing closing parenthesis', () => {
    rejects(() => parseFilter('(userName eq "a"'), 'invalidFilter', 17);
  });

  test('a missing closing bracket', () => {
    rejects(() => parseFilter('emails[type eq "work"'), 'invalidFilter', 22);
  });

  test('an unexpected character', () => {
    rejects(() => parseFilter('userName eq "a" & title pr'), 'invalidFilter', 17);
  });

  test('an invalid attribute name', () => {
    rejects(() => parseFilter('userName eq "a" or 9lives pr'), 'invalidFilter', 20);
  });

  test('empty parentheses', () => {
    rejects(() => parseFilter('()'), 'invalidFilter', 2);
  });

  test('"and" with nothing after it', () => {
    rejects(() => parseFilter('title pr and'), 'invalidFilter', 13);
  });

  test('a nested valuePath points at the inner "["', () => {
    const e = rejects(() => parseFilter('emails[value[type eq "x"]]'), 'invalidFilter', 13);
    assert.match(e.message, /cannot be nested/);
  });

  test('a valuePath on a sub-attribute is refused', () => {
    rejects(() => parseFilter('name.givenName[value eq "x"]'), 'invalidFilter', 1);
  });

  test('an empty filter', () => {
    rejects(() => parseFilter(''), 'invalidFilter');
    rejects(() => parseFilter('   '), 'invalidFilter');
  });

  test('a filter longer than MAX_FILTER_LENGTH', () => {
    const long = 'userName eq "' + 'a'.repeat(MAX_FILTER_LENGTH) + '"';
    const e = rejects(() => parseFilter(long), 'invalidFilter');
    assert.match(e.message, new RegExp(String(MAX_FILTER_LENGTH)));
  });

  test('a filter exactly MAX_FILTER_LENGTH long is accepted', () => {
    const prefix = 'userName eq "';
    const f = prefix + 'a'.repeat(MAX_FILTER_LENGTH - prefix.length - 1) + '"';
    assert.equal(f.length, MAX_FILTER_LENGTH);
    assert.equal(parseFilter(f).op, 'eq');
  });

  test('31 nested groups are fine; 32 are too deep, reported where the limit is crossed', () => {
    assert.deepEqual(shape(parseFilter('('.repeat(31) + 'a pr' + ')'.repeat(31))), { op: 'pr', attr: 'a' });
    const e = rejects(() => parseFilter('('.repeat(32) + 'a pr' + ')'.repeat(32)), 'invalidFilter', 33);
    assert.match(e.message, /nest/);
  });

  test('deep nesting through "not" is limited too (no stack overflow)', () => {
    rejects(() => parseFilter('not ('.repeat(5000) + 'a pr' + ')'.repeat(5000)), 'invalidFilter');
  });

  test('the detail quotes the filter and long filters are cut to 200 characters', () => {
    const e = rejects(() => parseFilter('title eq "' + 'x'.repeat(500)), 'invalidFilter', 10);
    assert.ok(e.message.includes('…'));
    assert.ok(e.message.length < 400);
  });
});

describe('parsePatchPath', () => {
  test('a simple attribute', () => {
    const p = parsePatchPath('displayName');
    assert.equal(p.path.attr, 'displayName');
    assert.equal(p.filter, undefined);
    assert.equal(p.subAttr, undefined);
  });

  test('an attribute with a sub-attribute', () => {
    const p = parsePatchPath('name.givenName');
    assert.deepEqual({ attr: p.path.attr, sub: p.path.subAttr }, { attr: 'name', sub: 'givenName' });
  });

  test('members[value eq "x"]', () => {
    const p = parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]');
    assert.equal(p.path.attr, 'members');
    assert.deepEqual(shape(p.filter!), { op: 'eq', attr: 'value', value: '2819c223-7f76-453a-919d-413861904646' });
    assert.equal(p.subAttr, undefined);
  });

  test('emails[type eq "work"].value: filter plus sub-attribute after the bracket', () => {
    const p = parsePatchPath('emails[type eq "work"].value');
    assert.equal(p.path.attr, 'emails');
    assert.deepEqual(shape(p.filter!), { op: 'eq', attr: 'type', value: 'work' });
    assert.equal(p.subAttr, 'value');
  });

  test('a compound value filter', () => {
    const p = parsePatchPath('addresses[type eq "work" and primary eq true].locality');
    assert.deepEqual(shape(p.filter!), {
      op: 'and', left: { op: 'eq', attr: 'type', value: 'work' }, right: { op: 'eq', attr: 'primary', value: true },
    });
    assert.equal(p.subAttr, 'locality');
  });

  test('URN-qualified paths', () => {
    const m = parsePatchPath(`${ENT}:manager.value`);
    assert.deepEqual({ urn: m.path.urn, attr: m.path.attr, sub: m.path.subAttr }, { urn: ENT, attr: 'manager', sub: 'value' });
    const e = parsePatchPath(`${ENT}:employeeNumber`);
    assert.deepEqual({ urn: e.path.urn, attr: e.path.attr }, { urn: ENT, attr: 'employeeNumber' });
    const c = parsePatchPath(`${CORE}:emails[type eq "work"].value`);
    assert.deepEqual({ urn: c.path.urn, attr: c.path.attr, sub: c.subAttr }, { urn: CORE, attr: 'emails', sub: 'value' });
  });

  test('surrounding whitespace inside is tolerated', () => {
    assert.equal(parsePatchPath('emails[ type eq "work" ]').path.attr, 'emails');
  });

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['   ', 'blank'],
    ['emails[type eq "work"', 'missing closing bracket'],
    ['emails[type eq "work"]value', 'sub-attribute without a dot'],
    ['emails[type eq "work"].value.extra', 'two levels after the bracket'],
    ['emails[type xx "work"]', 'unknown operator in the filter'],
    ['emails[type eq "work"] extra', 'trailing word'],
    ['emails[type eq "work"][value pr]', 'second bracket'],
    ['name.givenName[value eq "x"]', 'filter on a sub-attribute'],
    ['name..givenName', 'double dot'],
    ['9name', 'starts with a digit'],
    ['userName eq "x"', 'a filter is not a path'],
    ['emails[value[type eq "x"]]', 'nested value filter'],
    ['"userName"', 'a quoted string'],
  ];
  for (const [input, why] of invalid) {
    test(`invalid path (${why}): ${JSON.stringify(input)} → 400 invalidPath`, () => {
      const e = rejects(() => parsePatchPath(input), 'invalidPath');
      assert.doesNotMatch(e.message, /Invalid filter/);
    });
  }

  test('a path error carries the position too', () => {
    rejects(() => parsePatchPath('emails[type xx "work"]'), 'invalidPath', 13);
  });

  test('a path longer than MAX_FILTER_LENGTH → invalidPath', () => {
    rejects(() => parsePatchPath('a'.repeat(MAX_FILTER_LENGTH + 1)), 'invalidPath');
  });
});
