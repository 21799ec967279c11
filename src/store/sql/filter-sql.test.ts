// Unit tests for the SCIM filter → SQL compiler: the SQL text it writes (bound parameters, the
// right columns and tables). What the compiled filters select from real data is part of the store
// contract (src/store/contract/filter-contract.ts), run on SQLite and PostgreSQL alike.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, DummyDriver, sql } from './kysely.ts';
import { parseFilter } from '../../scim/filter.ts';
import { ScimError } from '../../scim/errors.ts';
import { FilterCompiler } from './filter-sql.ts';
import { sqliteDialect } from './dialect.ts';
import { defaultMappings } from './tables.ts';
import { ENTERPRISE_USER_SCHEMA as ENT } from '../../scim/schemas/enterprise-user.ts';


const db = new Kysely<any>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

function compileUsers(filter: string) {
  const expr = new FilterCompiler(sqliteDialect, defaultMappings.users, 'tenant-1').compile(parseFilter(filter));
  return sql`SELECT 1 FROM users r WHERE ${expr}`.compile(db);
}
function compileGroups(filter: string) {
  const expr = new FilterCompiler(sqliteDialect, defaultMappings.groups, 'tenant-1').compile(parseFilter(filter));
  return sql`SELECT 1 FROM groups r WHERE ${expr}`.compile(db);
}

function invalidFilter(fn: () => unknown, detail?: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof ScimError, `expected a ScimError, got ${String(caught)}`);
  assert.equal(caught.status, 400);
  assert.equal(caught.scimType, 'invalidFilter');
  if (detail) assert.match(caught.message, detail);
}

describe('compiled SQL', () => {
  test('values are bound parameters, never inlined (injection strings)', () => {
    for (const evil of ['x" OR 1=1 --', "'; DROP TABLE users; --", "a' OR 'a'='a"]) {
      for (const f of [`userName eq ${JSON.stringify(evil)}`, `name.familyName co ${JSON.stringify(evil)}`, `externalId sw ${JSON.stringify(evil)}`, `emails[value eq ${JSON.stringify(evil)}]`]) {
        const { sql: text, parameters } = compileUsers(f);
        assert.ok(!text.includes('DROP') && !text.includes('OR 1=1') && !text.includes("'a'='a"), `${f} → ${text}`);
        assert.ok(parameters.some((p) => typeof p === 'string' && p.toLowerCase().includes(evil.toLowerCase().replace(/[%_]/g, ''))), `${f} → ${JSON.stringify(parameters)}`);
      }
    }
  });

  test('userName uses user_name_lc with a lower-cased parameter', () => {
    const { sql: text, parameters } = compileUsers('userName eq "BJensen@Example.COM"');
    assert.match(text, /"r"\."user_name_lc" = \?/);
    assert.doesNotMatch(text, /lower\(/);
    assert.deepEqual(parameters, ['bjensen@example.com']);
  });

  test('externalId compares case-exactly on its column', () => {
    const { sql: text, parameters } = compileUsers('externalId eq "AbC-1"');
    assert.match(text, /"r"\."external_id" = \?/);
    assert.doesNotMatch(text, /lower\(/);
    assert.deepEqual(parameters, ['AbC-1']);
  });

  test('emails.value is a semi-join on user_values.value_lc, bound to the tenant', () => {
    const { sql: text, parameters } = compileUsers('emails.value eq "B@X.com"');
    assert.match(text, /r\.id IN \(SELECT v\.user_id FROM user_values v WHERE v\.tenant_id = \? AND v\.attr = \?/);
    assert.match(text, /"v"\."value_lc" = \?/);
    assert.deepEqual(parameters, ['tenant-1', 'emails', 'b@x.com']);
  });

  test('a valuePath puts both conditions in ONE subquery (same value must match both)', () => {
    const { sql: text, parameters } = compileUsers('emails[type eq "work" and value co "@x.com"]');
    assert.equal(text.match(/SELECT v\.user_id/g)?.length, 1);
    assert.match(text, /"v"\."type_lc" = \? AND "v"\."value_lc" LIKE \?/);
    assert.deepEqual(parameters, ['tenant-1', 'emails', 'work', '%@x.com%']);
  });

  test('co/sw/ew escape LIKE wildcards % and _ (and the escape character)', () => {
    assert.deepEqual(compileUsers('userName co "50%_off"').parameters, ['%50\\%\\_off%']);
    assert.deepEqual(compileUsers('userName sw "a_b"').parameters, ['a\\_b%']);
    assert.deepEqual(compileUsers('userName ew "x\\\\y"').parameters, ['%x\\\\y']);
    assert.match(compileUsers('userName co "a"').sql, /LIKE \? ESCAPE '\\'/);
  });

  test('JSON attributes are read by a bound JSON path with quoted keys (URNs contain ":" and ".")', () => {
    const { sql: text, parameters } = compileUsers(`${ENT}:department eq "Sales"`);
    assert.match(text, /lower\(json_extract\("r"\."doc", \?\)\) = \?/);
    assert.deepEqual(parameters, [`$."${ENT}"."department"`, 'sales']);
  });

  test('dateTime values are normalised to ISO 8601 UTC', () => {
    const { sql: text, parameters } = compileUsers('meta.lastModified gt "2011-05-13T04:42:34-07:00"');
    assert.match(text, /"r"\."last_modified" > \?/);
    assert.deepEqual(parameters, ['2011-05-13T11:42:34.000Z']);
    assert.deepEqual(compileUsers('meta.created ge 2020-01-01').parameters, ['2020-01-01T00:00:00.000Z']);
  });

  test('booleans compare with a literal, not a string', () => {
    const { sql: text, parameters } = compileUsers('active eq false');
    assert.match(text, /"r"\."active" = 0/);
    assert.deepEqual(parameters, []);
    assert.match(compileUsers('active eq "True"').sql, /"r"\."active" = 1/);
  });

  test('"not" coalesces NULL to false so users lacking the attribute are included', () => {
    assert.match(compileUsers('not (title eq "x")').sql, /^SELECT 1 FROM users r WHERE NOT coalesce\(/);
  });

  test('members[value eq "x"] on groups uses group_members', () => {
    const { sql: text, parameters } = compileGroups('members[value eq "u-1"]');
    assert.match(text, /r\.id IN \(SELECT m\.group_id FROM group_members m WHERE m\.tenant_id = \? AND "m"\."member_id" = \?\)/);
    assert.deepEqual(parameters, ['tenant-1', 'u-1']);
  });

  test('unknown attribute → invalidFilter', () => {
    invalidFilter(() => compileUsers('shoeSize eq 42'), /shoeSize/);
    invalidFilter(() => compileUsers('name.nickname eq "x"'), /nickname/);
    invalidFilter(() => compileUsers('emails[colour eq "red"]'));
    invalidFilter(() => compileGroups('userName eq "x"'));
    invalidFilter(() => compileUsers('urn:example:nope:1.0:User:x eq 1'));
  });

  test('gt/co on a boolean → invalidFilter', () => {
    invalidFilter(() => compileUsers('active gt true'), /boolean/);
    invalidFilter(() => compileUsers('active co "t"'));
    invalidFilter(() => compileUsers('active eq "yes"'));
    invalidFilter(() => compileUsers('emails[primary gt false]'));
  });

  test('other type errors → invalidFilter', () => {
    invalidFilter(() => compileUsers('meta.lastModified gt "not a date"'), /dateTime/);
    invalidFilter(() => compileUsers('meta.created co "2020"'));
    invalidFilter(() => compileUsers('name eq "x"'), /complex/);
    invalidFilter(() => compileUsers('title gt null'));
    invalidFilter(() => compileUsers('meta.location eq "x"'));
    invalidFilter(() => compileUsers('name[givenName eq "x"]'));
  });
});
