// Unit tests for the SCIM filter → SQL compiler: the SQL it writes (bound parameters, the right
// columns and tables), and — more to the point — what the compiled filters select from a real
// SQLite database through the store.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, DummyDriver, sql } from 'kysely';
import { parseAttrPath, parseFilter } from '../../scim/filter.ts';
import { ScimError } from '../../scim/errors.ts';
import { FilterCompiler } from './filter-sql.ts';
import { sqliteDialect } from './dialect.ts';
import { defaultMappings } from './tables.ts';
import { SqliteStore } from '../sqlite/sqlite-store.ts';
import { resourceSchemas } from '../../scim/schemas/resource-schema.ts';
import type { ListOptions, UserRecord } from '../store.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
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

// ---- against a real SQLite database ------------------------------------------------------------

const T1 = 'tenant-1';
const T2 = 'tenant-2';

function rec(id: string, doc: Record<string, unknown>, lastModified: string): UserRecord {
  return { id, doc, created: '2023-12-01T00:00:00.000Z', lastModified, version: 1 };
}

const users: UserRecord[] = [
  rec('u1', {
    userName: 'bjensen@example.com', externalId: 'EXT-1', displayName: 'Babs Jensen', title: 'Tour Guide', active: true,
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [{ value: 'bjensen@x.com', type: 'work', primary: true }, { value: 'babs@home.org', type: 'home' }],
    [ENT]: { department: 'Sales', manager: { value: 'u3' } },
  }, '2024-01-01T00:00:00.000Z'),
  rec('u2', {
    userName: 'jsmith', externalId: 'ext-1', active: false,
    name: { givenName: 'John', familyName: 'Smith' },
    // A work email that is not @x.com and an @x.com email that is not work: must NOT match the valuePath.
    emails: [{ value: 'jsmith@y.com', type: 'work' }, { value: 'john@x.com', type: 'home' }],
    [ENT]: { department: 'Engineering' },
  }, '2024-02-01T00:00:00.000Z'),
  rec('u3', {
    userName: 'ajones', title: 'Manager', active: true,
    name: { familyName: 'Jones' },
    emails: [{ value: 'ajones@x.com', type: 'home' }],
    [ENT]: { department: 'sales' },
  }, '2024-03-01T00:00:00.000Z'),
  rec('u4', { userName: 'zed_50%' }, '2024-04-01T00:00:00.000Z'),
  rec('u5', {
    userName: 'Ünal', externalId: 'uid-😀', active: true,
    name: { familyName: 'Ünal' },
    emails: [{ value: 'unal@X.com', type: 'Work' }],
  }, '2024-05-01T00:00:00.000Z'),
];

// Tenant 2 reuses an id and a userName, and has the data tenant 1's filters look for.
const otherTenant: UserRecord[] = [
  rec('u4', {
    userName: 'bjensen@example.com', title: 'Manager', active: false,
    name: { familyName: 'Jensen' },
    emails: [{ value: 'spy@x.com', type: 'work' }],
    [ENT]: { department: 'Sales' },
  }, '2024-06-01T00:00:00.000Z'),
];

let store: SqliteStore;
const S = resourceSchemas();

async function ids(filter?: string, extra: Partial<ListOptions> = {}, tenant = T1): Promise<string[]> {
  const page = await store.listUsers(tenant, S, { filter: filter ? parseFilter(filter) : undefined, sortOrder: 'ascending', offset: 0, limit: 1000, ...extra });
  assert.equal(page.total, page.rows.length, 'total agrees with the rows when everything fits on one page');
  return page.rows.map((r) => r.id);
}

async function sorted(filter: string, tenant = T1): Promise<string[]> {
  return (await ids(filter, {}, tenant)).sort();
}

describe('compiled filters against SQLite', () => {
  before(async () => {
    store = await SqliteStore.open({ filename: ':memory:' });
    await store.createTenant({ id: T1, slug: 'one', name: 'One', createdAt: '2023-01-01T00:00:00.000Z' });
    await store.createTenant({ id: T2, slug: 'two', name: 'Two', createdAt: '2023-01-01T00:00:00.000Z' });
    await store.transaction(async (tx) => {
      for (const u of users) await tx.insertUser(T1, S, u);
      for (const u of otherTenant) await tx.insertUser(T2, S, u);
      await tx.insertGroup(T1, { id: 'g1', doc: { displayName: 'Admins' }, created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z', version: 1 });
      await tx.insertGroup(T1, { id: 'g2', doc: { displayName: 'Staff', externalId: 'G-2' }, created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z', version: 1 });
      await tx.addMembers(T1, 'g1', [{ value: 'u1' }, { value: 'u2' }], '2024-01-01T00:00:00.000Z');
      await tx.addMembers(T1, 'g2', [{ value: 'u3' }, { value: 'g1' }], '2024-01-01T00:00:00.000Z');
      // Joining a group gives a user a new version and lastModified; put the fixture's back.
      for (const u of users) await tx.updateUser(T1, S, u, (await tx.getUser(T1, u.id))!);
    });
  });
  after(async () => { await store?.close(); });

  test('no filter lists every user of the tenant in creation order', async () => {
    assert.deepEqual(await ids(), ['u1', 'u2', 'u3', 'u4', 'u5']);
  });

  describe('userName (case-insensitive column)', () => {
    test('eq ignores case', async () => {
      assert.deepEqual(await sorted('userName eq "BJENSEN@example.com"'), ['u1']);
    });
    test('ne includes everyone else', async () => {
      assert.deepEqual(await sorted('userName ne "JSMITH"'), ['u1', 'u3', 'u4', 'u5']);
    });
    test('co, sw, ew', async () => {
      assert.deepEqual(await sorted('userName co "SMIT"'), ['u2']);
      assert.deepEqual(await sorted('userName sw "a"'), ['u3']);
      assert.deepEqual(await sorted('userName ew ".COM"'), ['u1']);
    });
    test('co with % and _ matches them literally', async () => {
      assert.deepEqual(await sorted('userName co "_"'), ['u4']);
      assert.deepEqual(await sorted('userName co "%"'), ['u4']);
      assert.deepEqual(await sorted('userName ew "_50%"'), ['u4']);
    });
    test('pr', async () => {
      assert.deepEqual(await sorted('userName pr'), ['u1', 'u2', 'u3', 'u4', 'u5']);
    });
    test('gt, ge, lt, le order case-insensitively', async () => {
      assert.deepEqual(await sorted('userName gt "JS"'), ['u2', 'u4', 'u5']);
      assert.deepEqual(await sorted('userName lt "B"'), ['u3']);
      assert.deepEqual(await sorted('userName le "AJONES"'), ['u3']);
      assert.deepEqual(await sorted('userName ge "ZED"'), ['u4', 'u5']);
    });
    test('non-ASCII userName matches in any case (lower-cased copy)', async () => {
      assert.deepEqual(await sorted('userName eq "üNAL"'), ['u5']);
    });
  });

  describe('attributes in the JSON document', () => {
    test('name.familyName eq / sw / pr', async () => {
      assert.deepEqual(await sorted('name.familyName eq "JENSEN"'), ['u1']);
      assert.deepEqual(await sorted('name.familyName sw "j"'), ['u1', 'u3']);
      assert.deepEqual(await sorted('name.familyName pr'), ['u1', 'u2', 'u3', 'u5']);
      assert.deepEqual(await sorted('name.givenName pr'), ['u1', 'u2']);
    });
    test('bare-word value (Microsoft suite)', async () => {
      assert.deepEqual(await sorted('name.familyName eq Smith'), ['u2']);
    });
    test('name.familyName matches a value with a non-ASCII capital, in the stored case or any other', async () => {
      assert.deepEqual(await sorted('name.familyName eq "Ünal"'), ['u5']);
      assert.deepEqual(await sorted('name.familyName eq "ünal"'), ['u5']);
      assert.deepEqual(await sorted('name.familyName sw "Ü"'), ['u5']);
    });
    test('title eq / ne (ne includes users without a title)', async () => {
      assert.deepEqual(await sorted('title eq "manager"'), ['u3']);
      assert.deepEqual(await sorted('title ne "manager"'), ['u1', 'u2', 'u4', 'u5']);
    });
    test('eq null / ne null', async () => {
      assert.deepEqual(await sorted('title eq null'), ['u2', 'u4', 'u5']);
      assert.deepEqual(await sorted('title ne null'), ['u1', 'u3']);
    });
    test('name pr (complex) means the attribute has a value', async () => {
      assert.deepEqual(await sorted('name pr'), ['u1', 'u2', 'u3', 'u5']);
    });
  });

  describe('enterprise extension', () => {
    test('department by URN and by bare name, case-insensitively', async () => {
      assert.deepEqual(await sorted(`${ENT}:department eq "SALES"`), ['u1', 'u3']);
      assert.deepEqual(await sorted('department eq "sales"'), ['u1', 'u3']);
      assert.deepEqual(await sorted(`${ENT}:department co "engin"`), ['u2']);
    });
    test('manager.value', async () => {
      assert.deepEqual(await sorted(`${ENT}:manager.value eq "u3"`), ['u1']);
    });
    test('department pr', async () => {
      assert.deepEqual(await sorted(`${ENT}:department pr`), ['u1', 'u2', 'u3']);
    });
  });

  describe('externalId (case-exact column)', () => {
    test('eq is case-exact', async () => {
      assert.deepEqual(await sorted('externalId eq "EXT-1"'), ['u1']);
      assert.deepEqual(await sorted('externalId eq "ext-1"'), ['u2']);
    });
    test('co / sw are case-exact', async () => {
      assert.deepEqual(await sorted('externalId co "XT"'), ['u1']);
      assert.deepEqual(await sorted('externalId sw "ext"'), ['u2']);
    });
    test('co / sw with a non-BMP character (emoji)', async () => {
      assert.deepEqual(await sorted('externalId co "😀"'), ['u5']);
      assert.deepEqual(await sorted('externalId sw "uid-😀"'), ['u5']);
    });
    test('ew with a non-BMP character (emoji)', async () => {
      assert.deepEqual(await sorted('externalId ew "😀"'), ['u5']);
    });
  });

  describe('multi-valued emails', () => {
    test('emails.value eq ignores case', async () => {
      assert.deepEqual(await sorted('emails.value eq "JSMITH@Y.COM"'), ['u2']);
    });
    test('emails co "x.com" means emails.value', async () => {
      assert.deepEqual(await sorted('emails co "@x.com"'), ['u1', 'u2', 'u3', 'u5']);
    });
    test('emails[type eq "work" and value co "@x.com"] needs one email matching both', async () => {
      assert.deepEqual(await sorted('emails[type eq "work" and value co "@x.com"]'), ['u1', 'u5']);
    });
    test('the same conditions outside a valuePath may match different emails', async () => {
      assert.deepEqual(await sorted('emails.type eq "work" and emails.value co "@x.com"'), ['u1', 'u2', 'u5']);
    });
    test('emails[type eq "work"].value co "@x.com" (Microsoft form) means the same as the valuePath with "and"', async () => {
      assert.deepEqual(await sorted('emails[type eq "work"].value co "@x.com"'), ['u1', 'u5']);
      assert.deepEqual(await sorted('emails[type eq "home"].value eq "JOHN@x.com"'), ['u2']);
    });
    test('emails.primary eq true', async () => {
      assert.deepEqual(await sorted('emails[primary eq true]'), ['u1']);
      assert.deepEqual(await sorted('emails.primary eq true'), ['u1']);
    });
    test('emails pr', async () => {
      assert.deepEqual(await sorted('emails pr'), ['u1', 'u2', 'u3', 'u5']);
    });
  });

  describe('booleans, not, dates', () => {
    test('active eq false / eq true / ne true', async () => {
      assert.deepEqual(await sorted('active eq false'), ['u2']);
      assert.deepEqual(await sorted('active eq true'), ['u1', 'u3', 'u5']);
      assert.deepEqual(await sorted('active ne true'), ['u2', 'u4']);
    });
    test('not (...) includes users lacking the attribute', async () => {
      assert.deepEqual(await sorted('not (title eq "Manager")'), ['u1', 'u2', 'u4', 'u5']);
      assert.deepEqual(await sorted('not (active eq true)'), ['u2', 'u4']);
      assert.deepEqual(await sorted(`not (${ENT}:department eq "sales")`), ['u2', 'u4', 'u5']);
      assert.deepEqual(await sorted('not (emails[type eq "work"])'), ['u3', 'u4']);
    });
    test('not over an or with a missing attribute', async () => {
      assert.deepEqual(await sorted('not (title eq "Manager" or userName eq "jsmith")'), ['u1', 'u4', 'u5']);
    });
    test('and / or / precedence', async () => {
      assert.deepEqual(await sorted('userName eq "jsmith" or userName eq "ajones" and active eq false'), ['u2']);
      assert.deepEqual(await sorted('(userName eq "jsmith" or userName eq "ajones") and active eq true'), ['u3']);
    });
    test('meta.lastModified gt / le', async () => {
      assert.deepEqual(await sorted('meta.lastModified gt "2024-02-15T00:00:00Z"'), ['u3', 'u4', 'u5']);
      assert.deepEqual(await sorted('meta.lastModified le "2024-02-01T00:00:00.000Z"'), ['u1', 'u2']);
      // An offset is converted before comparing: 2024-02-01T01:00+02:00 is 2024-01-31T23:00Z.
      assert.deepEqual(await sorted('meta.lastModified lt "2024-02-01T01:00:00+02:00"'), ['u1']);
    });
    test('id eq', async () => {
      assert.deepEqual(await sorted('id eq "u3"'), ['u3']);
    });
    test('meta.resourceType eq "User"', async () => {
      assert.deepEqual(await sorted('meta.resourceType eq "User"'), ['u1', 'u2', 'u3', 'u4', 'u5']);
    });
  });

  describe('groups', () => {
    test('users by their groups (readOnly groups attribute)', async () => {
      assert.deepEqual(await sorted('groups.display eq "ADMINS"'), ['u1', 'u2']);
      assert.deepEqual(await sorted('groups.value eq "g2"'), ['u3']);
      assert.deepEqual(await sorted('groups[value eq "g1" or value eq "g2"]'), ['u1', 'u2', 'u3']);
    });
    test('groups by members', async () => {
      const list = async (f: string) => (await store.listGroups(T1, S, { filter: parseFilter(f), sortOrder: 'ascending', offset: 0, limit: 100 })).rows.map((r) => r.id).sort();
      assert.deepEqual(await list('members[value eq "u1"]'), ['g1']);
      assert.deepEqual(await list('members.value eq "u3"'), ['g2']);
      assert.deepEqual(await list('members[type eq "group"]'), ['g2']);
      assert.deepEqual(await list('displayName eq "admins"'), ['g1']);
      assert.deepEqual(await list('externalId eq "G-2"'), ['g2']);
      assert.deepEqual(await list('not (members pr)'), []);
    });
  });

  describe('sorting and paging', () => {
    test('sortBy userName ascending and descending', async () => {
      const by = parseAttrPath('userName')!;
      assert.deepEqual(await ids(undefined, { sortBy: by }), ['u3', 'u1', 'u2', 'u4', 'u5']);
      assert.deepEqual(await ids(undefined, { sortBy: by, sortOrder: 'descending' }), ['u5', 'u4', 'u2', 'u1', 'u3']);
    });

    test('sortBy name.familyName puts users without one last', async () => {
      assert.deepEqual(await ids(undefined, { sortBy: parseAttrPath('name.familyName')! }), ['u1', 'u3', 'u2', 'u5', 'u4']);
    });

    test('sortBy emails uses the primary (or first) value', async () => {
      assert.deepEqual(await ids('emails pr', { sortBy: parseAttrPath('emails')! }), ['u3', 'u1', 'u2', 'u5']);
    });

    test('sortBy meta.lastModified descending', async () => {
      assert.deepEqual(await ids(undefined, { sortBy: parseAttrPath('meta.lastModified')!, sortOrder: 'descending' }), ['u5', 'u4', 'u3', 'u2', 'u1']);
    });

    test('sortBy a complex attribute → invalidFilter', async () => {
      await assert.rejects(store.listUsers(T1, S, { sortBy: parseAttrPath('name')!, sortOrder: 'ascending', offset: 0, limit: 10 }), (e: unknown) => e instanceof ScimError && e.status === 400);
    });

    for (const sortBy of [undefined, 'title', `${ENT}:department`, 'active', 'userName']) {
      for (const sortOrder of ['ascending', 'descending'] as const) {
        test(`paging never skips or repeats (sortBy ${sortBy ?? 'none'}, ${sortOrder}, ties and NULLs)`, async () => {
          const opts = { sortBy: sortBy ? parseAttrPath(sortBy)! : undefined, sortOrder };
          const all = await ids(undefined, opts);
          assert.equal(all.length, 5);
          for (const limit of [1, 2, 3, 4]) {
            const seen: string[] = [];
            for (let offset = 0; offset < 7; offset += limit) {
              const page = await store.listUsers(T1, S, { ...opts, offset, limit });
              assert.equal(page.total, 5);
              seen.push(...page.rows.map((r) => r.id));
            }
            assert.deepEqual(seen, all, `limit ${limit}`);
          }
        });
      }
    }

    test('paging a filtered list: total counts all matches, rows only the page', async () => {
      const filter = parseFilter('emails pr');
      const page = await store.listUsers(T1, S, { filter, sortOrder: 'ascending', offset: 1, limit: 2 });
      assert.equal(page.total, 4);
      assert.deepEqual(page.rows.map((r) => r.id), ['u2', 'u3']);
    });

    test('limit 0 counts only; an offset past the end returns no rows', async () => {
      const count = await store.listUsers(T1, S, { sortOrder: 'ascending', offset: 0, limit: 0 });
      assert.deepEqual({ total: count.total, n: count.rows.length }, { total: 5, n: 0 });
      const past = await store.listUsers(T1, S, { sortOrder: 'ascending', offset: 10, limit: 5 });
      assert.deepEqual({ total: past.total, n: past.rows.length }, { total: 5, n: 0 });
    });

    test('rows come back with their document and metadata', async () => {
      const page = await store.listUsers(T1, S, { filter: parseFilter('id eq "u1"'), sortOrder: 'ascending', offset: 0, limit: 1 });
      assert.deepEqual(page.rows[0], users[0]);
    });
  });

  describe('tenant isolation', () => {
    test('another tenant\'s users never appear, even when they match', async () => {
      assert.deepEqual(await sorted('userName eq "bjensen@example.com"'), ['u1']);
      assert.deepEqual(await sorted('title eq "Manager"'), ['u3']);
      assert.deepEqual(await sorted('active eq false'), ['u2']);
      assert.deepEqual(await sorted(`${ENT}:department eq "Sales"`), ['u1', 'u3']);
    });

    test('the emails subquery is bound to the tenant (tenant 2 reuses the id u4)', async () => {
      assert.deepEqual(await sorted('emails[type eq "work" and value eq "spy@x.com"]'), []);
      assert.deepEqual(await sorted('emails.value eq "spy@x.com"'), []);
      assert.deepEqual(await sorted('emails.value eq "spy@x.com"', T2), ['u4']);
    });

    test('the other tenant sees only its own user', async () => {
      assert.deepEqual(await ids(undefined, {}, T2), ['u4']);
      assert.deepEqual(await ids('userName eq "bjensen@example.com"', {}, T2), ['u4']);
      assert.deepEqual(await ids('groups pr', {}, T2), []);
    });

    test('an unknown tenant sees nothing', async () => {
      assert.deepEqual(await ids(undefined, {}, 'tenant-3'), []);
    });
  });
});
