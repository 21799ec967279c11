// What compiled SCIM filters (RFC 7644 §3.4.2.2), sorting and paging select from real data, as one
// suite every driver runs: the SQL differs by dialect (src/store/sql/dialect.ts), the rows chosen
// must not. A fixture of five users and two groups in one tenant, and a second tenant holding the
// data the first tenant's filters look for, so a filter that leaks across tenants fails here.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseAttrPath, parseFilter } from '../../scim/filter.ts';
import { ScimError } from '../../scim/errors.ts';
import { ENTERPRISE_USER_SCHEMA as ENT } from '../../scim/schemas/enterprise-user.ts';
import { resourceSchemas } from '../../scim/schemas/resource-schema.ts';
import type { ListOptions, Store, UserRecord } from '../store.ts';

const T1 = 'tenant-1';
const T2 = 'tenant-2';

function rec(id: string, doc: Record<string, unknown>, lastModified: string): UserRecord {
  return { id, doc, created: '2023-12-01T00:00:00.000Z', lastModified, version: 1, origin: 'scim' };
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

export function filterContract(driver: string, open: () => Promise<Store>): void {
  let store: Store;
  /** The schemas of a tenant with no custom attributes. */
  const S = resourceSchemas();

  async function ids(filter?: string, extra: Partial<ListOptions> = {}, tenant = T1): Promise<string[]> {
    const page = await store.listUsers(tenant, S, { filter: filter ? parseFilter(filter) : undefined, sortOrder: 'ascending', offset: 0, limit: 1000, ...extra });
    assert.equal(page.total, page.rows.length, 'total agrees with the rows when everything fits on one page');
    return page.rows.map((r) => r.id);
  }

  async function sorted(filter: string, tenant = T1): Promise<string[]> {
    return (await ids(filter, {}, tenant)).sort();
  }

  describe(`Store contract, compiled filters: ${driver}`, () => {
    before(async () => {
      store = await open();
      await store.createTenant({ id: T1, slug: 'one', name: 'One', createdAt: '2023-01-01T00:00:00.000Z' });
      await store.createTenant({ id: T2, slug: 'two', name: 'Two', createdAt: '2023-01-01T00:00:00.000Z' });
      await store.transaction(async (tx) => {
        for (const u of users) await tx.insertUser(T1, S, u);
        for (const u of otherTenant) await tx.insertUser(T2, S, u);
        await tx.insertGroup(T1, S, { id: 'g1', doc: { displayName: 'Admins' }, created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z', version: 1 });
        await tx.insertGroup(T1, S, { id: 'g2', doc: { displayName: 'Staff', externalId: 'G-2' }, created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z', version: 1 });
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
}
