// The behaviour every Store driver must show, as one suite: SQLite and PostgreSQL run the very
// same. Drivers differ in SQL; the use cases must not be able to tell them apart. What compiled
// filters select and how hostile values (NUL, lone surrogates) are met are parts of it with their
// own fixtures (filter-contract.ts, hostile-values-contract.ts), registered from here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { adminContract } from './admin-contract.ts';
import { all, group, now, S, suiteStore, user } from './fixtures.ts';
import { parseFilter } from '../../scim/filter.ts';
import { filterContract } from './filter-contract.ts';
import { hostileValuesContract } from './hostile-values-contract.ts';
import { policiesContract } from './policies-contract.ts';
import { requestLogContract } from './request-log-contract.ts';
import { consoleContract } from './console-contract.ts';
import { samlContract } from './saml-contract.ts';
import { settingsContract } from './settings-contract.ts';
import { ssoContract } from './sso-contract.ts';
import { UniquenessViolation, UnknownMembers, type Store } from '../store.ts';


export function storeContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${driver}`, () => {
    const db = suiteStore(open, 't');
    const tenant = db.tenant;

    test('a store opened on a new database reports the migrations it applied, in order (rollcall migrate prints them)', () => {
      assert.ok(db.store.migrationsApplied.length >= 2, JSON.stringify(db.store.migrationsApplied));
      assert.ok(db.store.migrationsApplied.every((m) => /^\d{3}-[\w-]+\.sql$/.test(m)), JSON.stringify(db.store.migrationsApplied));
      assert.deepEqual([...db.store.migrationsApplied].sort(), db.store.migrationsApplied);
    });

    test('a store just opened has every migration it carries recorded (/readyz), and reports no delivery backlog before any consumer is behind', async () => {
      assert.deepEqual(await db.store.pendingMigrations(), []);
      assert.ok((await db.store.deliveryBacklog()).every((b) => b.pending >= 0));
    });

    test('tenants: created, found by slug, listed; a slug is unique', async () => {
      const t = await tenant();
      assert.deepEqual(await db.store.findTenantBySlug(t.slug), t);
      assert.ok((await db.store.listTenants()).some((x) => x.id === t.id));
      await assert.rejects(db.store.createTenant({ ...t, id: randomUUID() }), UniquenessViolation);
      assert.equal(await db.store.findTenantBySlug('no-such-tenant'), undefined);
    });

    test('tokens: found by hash, listed per tenant, revoked once, last use recorded', async () => {
      const t = await tenant();
      const rec = { id: 'tok_1', tenantId: t.id, name: 'Okta', hash: 'ab'.repeat(32), hint: 'wxyz', createdAt: now(), expiresAt: null, revokedAt: null, lastUsedAt: null };
      await db.store.createToken(rec);
      assert.deepEqual(await db.store.findTokenForTenant(rec.hash, t.slug), { token: rec, tenant: t });
      assert.equal(await db.store.findTokenForTenant(rec.hash, 'another-tenant'), undefined, "a token is not found under another tenant's slug");
      assert.equal((await db.store.listTokens(t.id)).length, 1);
      await db.store.touchToken(rec.id, now());
      assert.ok((await db.store.listTokens(t.id))[0].lastUsedAt);
      assert.equal(await db.store.revokeToken(t.id, rec.id, now()), true);
      assert.equal(await db.store.revokeToken(t.id, rec.id, now()), false, 'already revoked');
      assert.ok((await db.store.listTokens(t.id))[0].revokedAt);
      const other = await tenant();
      assert.equal(await db.store.revokeToken(other.id, rec.id, now()), false, "another tenant cannot revoke it");
    });

    test('authStamp: moves when a token is revoked through this store, not for reads, resource writes or recorded uses', async () => {
      const t = await tenant();
      const rec = { id: 'tok_2', tenantId: t.id, name: null, hash: 'cd'.repeat(32), hint: 'wxyz', createdAt: now(), expiresAt: null, revokedAt: null, lastUsedAt: null };
      await db.store.createToken(rec);
      const stamp = db.store.authStamp();
      assert.equal(typeof stamp, 'string', 'an open store can tell when tokens change');
      await db.store.findTokenForTenant(rec.hash, t.slug);
      await db.store.transaction((tx) => tx.insertUser(t.id, S, user('stamp@example.com')));
      await db.store.touchToken(rec.id, now());
      assert.equal(db.store.authStamp(), stamp, 'authentication results stay reusable across ordinary traffic');
      await db.store.revokeToken(t.id, rec.id, now());
      assert.notEqual(db.store.authStamp(), stamp, 'a revocation is visible to the very next authentication');
    });

    test('users: insert, get, conditional update, delete', async () => {
      const t = await tenant();
      const u = user('Alice@Example.com', { active: true, emails: [{ value: 'a@x.com', type: 'work', primary: true }] });
      await db.store.transaction((tx) => tx.insertUser(t.id, S, u));
      assert.deepEqual(await db.store.getUser(t.id, u.id), u);
      const next = { ...u, doc: { ...u.doc, active: false }, version: 2 };
      assert.equal(await db.store.transaction((tx) => tx.updateUser(t.id, S, next, u)), true);
      assert.equal(await db.store.transaction((tx) => tx.updateUser(t.id, S, { ...next, version: 3 }, u)), false, 'stale version refused');
      assert.equal((await db.store.getUser(t.id, u.id))!.version, 2);
      assert.equal((await db.store.listUsers(t.id, S, all)).total, 1);
      assert.deepEqual(await db.store.transaction((tx) => tx.deleteUser(t.id, u.id, now())), { groups: [] });
      assert.equal(await db.store.getUser(t.id, u.id), undefined);
      assert.equal((await db.store.listUsers(t.id, S, all)).total, 0, 'the unfiltered total follows deletes');
      assert.equal(await db.store.transaction((tx) => tx.deleteUser(t.id, u.id, now())), undefined);
    });

    test('users: the indexed multi-valued rows follow every update, changed or not', async () => {
      const t = await tenant();
      const byEmail = async (value: string) => (await db.store.listUsers(t.id, S, { ...all, filter: parseFilter(`emails.value eq "${value}"`) })).rows.map((x) => x.doc.userName);
      const v1 = user('mv', { emails: [{ value: 'one@x.com', type: 'work' }] });
      await db.store.transaction((tx) => tx.insertUser(t.id, S, v1));
      const v2 = { ...v1, doc: { ...v1.doc, active: false }, version: 2 };
      await db.store.transaction((tx) => tx.updateUser(t.id, S, v2, v1));
      assert.deepEqual(await byEmail('one@x.com'), ['mv'], 'an update that leaves emails alone keeps them findable');
      const v3 = { ...v2, doc: { ...v2.doc, emails: [{ value: 'two@x.com', type: 'work' }] }, version: 3 };
      await db.store.transaction((tx) => tx.updateUser(t.id, S, v3, v2));
      assert.deepEqual([await byEmail('one@x.com'), await byEmail('two@x.com')], [[], ['mv']]);
      const v4 = { ...v3, doc: { ...v3.doc, emails: [{ value: 'two@x.com', type: 'home' }] }, version: 4 };
      await db.store.transaction((tx) => tx.updateUser(t.id, S, v4, v3));
      const home = await db.store.listUsers(t.id, S, { ...all, filter: parseFilter('emails[type eq "home"]') });
      assert.deepEqual(home.rows.map((x) => x.doc.userName), ['mv'], 'a changed sub-attribute is rewritten too');
      const v5 = { ...v4, doc: { ...v4.doc, emails: undefined }, version: 5 };
      await db.store.transaction((tx) => tx.updateUser(t.id, S, v5, v4));
      assert.deepEqual(await byEmail('two@x.com'), [], 'removed values are gone');
    });

    test('userName is unique per tenant, case-insensitively; other tenants may reuse it', async () => {
      const t = await tenant();
      await db.store.transaction((tx) => tx.insertUser(t.id, S, user('bob@example.com')));
      await assert.rejects(db.store.transaction((tx) => tx.insertUser(t.id, S, user('BOB@example.COM'))), UniquenessViolation);
      const other = await tenant();
      await db.store.transaction((tx) => tx.insertUser(other.id, S, user('bob@example.com')));
    });

    test('a failed transaction leaves nothing behind', async () => {
      const t = await tenant();
      const u = user('carol');
      await assert.rejects(db.store.transaction(async (tx) => {
        await tx.insertUser(t.id, S, u);
        throw new Error('boom');
      }), /boom/);
      assert.equal(await db.store.getUser(t.id, u.id), undefined);
    });

    test('concurrent transactions: the one that fails leaves nothing, the others all commit', async () => {
      const t = await tenant();
      const users = Array.from({ length: 12 }, (_, i) => user(`concurrent-${i}`));
      const results = await Promise.allSettled(users.map((u, i) => db.store.transaction(async (tx) => {
        await tx.insertUser(t.id, S, u);
        if (i === 5) throw new Error('request 5 fails after writing');
        if (i === 8) await tx.insertUser(t.id, S, user('CONCURRENT-0')); // a uniqueness failure mid-transaction
        return i;
      })));
      assert.deepEqual(results.map((r) => r.status), users.map((_, i) => (i === 5 || i === 8 ? 'rejected' : 'fulfilled')));
      assert.ok((results[8] as PromiseRejectedResult).reason instanceof UniquenessViolation);
      const stored = (await db.store.listUsers(t.id, S, all)).rows.map((u) => String(u.doc.userName)).sort();
      assert.deepEqual(stored, users.filter((_, i) => i !== 5 && i !== 8).map((u) => String(u.doc.userName)).sort());
    });

    test("a read during another request's open transaction never sees its uncommitted writes", async () => {
      const t = await tenant();
      const u = user('in-flight');
      let release!: () => void;
      const hold = new Promise<void>((r) => { release = r; });
      let inserted!: () => void;
      const insertedNow = new Promise<void>((r) => { inserted = r; });
      const tx = db.store.transaction(async (x) => {
        await x.insertUser(t.id, S, u);
        inserted();
        await hold; // the request is still working: its insert is not committed
        throw new Error('rolled back');
      });
      await insertedNow;
      const read = db.store.getUser(t.id, u.id);
      const list = db.store.listUsers(t.id, S, all);
      await new Promise((r) => setTimeout(r, 20));
      release();
      await assert.rejects(tx, /rolled back/);
      assert.equal(await read, undefined, 'the uncommitted user was never visible');
      assert.equal((await list).total, 0);
    });

    test('tenants are isolated: reads by id and lists never cross tenants', async () => {
      const a = await tenant();
      const b = await tenant();
      const u = user('dave');
      await db.store.transaction((tx) => tx.insertUser(a.id, S, u));
      assert.equal(await db.store.getUser(b.id, u.id), undefined);
      assert.equal((await db.store.listUsers(b.id, S, all)).total, 0);
      assert.equal(await db.store.transaction((tx) => tx.deleteUser(b.id, u.id, now())), undefined);
      assert.ok(await db.store.getUser(a.id, u.id));
    });

    test('lists: filter, total, paging and sorting are done by the store', async () => {
      const t = await tenant();
      const names = ['erin', 'frank', 'grace', 'heidi', 'ivan'];
      await db.store.transaction(async (tx) => { for (const n of names) await tx.insertUser(t.id, S, user(n, { emails: [{ value: `${n}@corp.example`, type: 'work' }] })); });
      const page1 = await db.store.listUsers(t.id, S, { ...all, limit: 2 });
      const page2 = await db.store.listUsers(t.id, S, { ...all, offset: 2, limit: 2 });
      const page3 = await db.store.listUsers(t.id, S, { ...all, offset: 4, limit: 2 });
      assert.equal(page1.total, 5);
      assert.deepEqual([...page1.rows, ...page2.rows, ...page3.rows].map((u) => u.doc.userName), names, 'creation order, no skips or repeats');
      const desc = await db.store.listUsers(t.id, S, { ...all, sortBy: { attr: 'userName', text: 'userName' }, sortOrder: 'descending' });
      assert.deepEqual(desc.rows.map((u) => u.doc.userName), [...names].reverse());
      const f = await db.store.listUsers(t.id, S, { ...all, filter: parseFilter('emails[value sw "g" or value sw "h"]') });
      assert.deepEqual(f.rows.map((u) => u.doc.userName), ['grace', 'heidi']);
      const countOnly = await db.store.listUsers(t.id, S, { ...all, limit: 0, filter: parseFilter('userName ne "erin"') });
      assert.deepEqual([countOnly.total, countOnly.rows.length], [4, 0]);
    });

    test('the unfiltered total stays exact while many connections create and delete users of one tenant at once', async () => {
      // The count is kept in stripes, one per connection on PostgreSQL (migration 014): a user
      // created on one connection and deleted on another leaves +1 and -1 in two stripes.
      const t = await tenant();
      const made = Array.from({ length: 40 }, (_, i) => user(`striped-${i}`));
      await Promise.all(made.map((u) => db.store.transaction((tx) => tx.insertUser(t.id, S, u))));
      assert.equal((await db.store.listUsers(t.id, S, { ...all, limit: 0 })).total, 40);
      await Promise.all(made.filter((_, i) => i % 3 === 0).map((u) => db.store.transaction((tx) => tx.deleteUser(t.id, u.id, now()))));
      const left = made.length - Math.ceil(made.length / 3);
      const page = await db.store.listUsers(t.id, S, all);
      assert.deepEqual([page.total, page.rows.length], [left, left]);
      const other = await tenant();
      assert.equal((await db.store.listUsers(other.id, S, { ...all, limit: 0 })).total, 0, 'no other tenant counts them');
    });

    test('lists: the total is exact on full pages, the last partial page, and pages past the end, filtered or not', async () => {
      const t = await tenant();
      await db.store.transaction(async (tx) => { for (let i = 0; i < 7; i++) await tx.insertUser(t.id, S, user(`p${i}`, { title: i % 2 ? 'odd' : 'even' })); });
      const shape = async (filter: string | undefined, offset: number, limit: number) => {
        const page = await db.store.listUsers(t.id, S, { ...all, filter: filter ? parseFilter(filter) : undefined, offset, limit });
        return [page.total, page.rows.length];
      };
      for (const [filter, n] of [[undefined, 7], ['title eq "even"', 4], ['userName sw "p"', 7]] as const) {
        assert.deepEqual(await shape(filter, 0, 3), [n, 3], `${filter}: first page`);
        assert.deepEqual(await shape(filter, 3, 3), [n, Math.min(3, n - 3)], `${filter}: second page`);
        assert.deepEqual(await shape(filter, n - 1, 3), [n, 1], `${filter}: last partial page`);
        assert.deepEqual(await shape(filter, n, 3), [n, 0], `${filter}: just past the end`);
        assert.deepEqual(await shape(filter, 100, 3), [n, 0], `${filter}: far past the end`);
        assert.deepEqual(await shape(filter, 0, 100), [n, n], `${filter}: everything on one page`);
      }
      assert.deepEqual(await shape('userName eq "nobody"', 0, 3), [0, 0]);
      assert.deepEqual(await shape('userName eq "p3"', 0, 3), [1, 1]);
    });

    test('getUserWithGroups: the user and its groups by name in one read; none is []; unknown or other tenant is undefined', async () => {
      const t = await tenant();
      const [u, lonely] = [user('grouped'), user('lonely')];
      const gs = ['beta', 'Alpha', 'gamma'].map(group);
      await db.store.transaction(async (tx) => {
        for (const x of [u, lonely]) await tx.insertUser(t.id, S, x);
        for (const g of gs) { await tx.insertGroup(t.id, S, g); await tx.addMembers(t.id, g.id, [{ value: u.id }], now()); }
      });
      const found = await db.store.getUserWithGroups(t.id, u.id);
      assert.deepEqual(found?.user, await db.store.getUser(t.id, u.id));
      assert.deepEqual(found?.groups.map((g) => g.display), ['Alpha', 'beta', 'gamma'], 'ordered by name, case-insensitively');
      assert.deepEqual(found?.groups, (await db.store.groupsOfUsers(t.id, [u.id])).get(u.id));
      assert.deepEqual((await db.store.getUserWithGroups(t.id, lonely.id))?.groups, []);
      assert.equal(await db.store.getUserWithGroups(t.id, 'nobody'), undefined);
      assert.equal(await db.store.getUserWithGroups((await tenant()).id, u.id), undefined);
    });

    test('groups: displayName unique case-insensitively; members added once, removed by id, by filter, or all', async () => {
      const t = await tenant();
      const g = group('Engineering');
      const [u1, u2, u3] = [user('m1'), user('m2'), user('m3')];
      await db.store.transaction(async (tx) => {
        await tx.insertGroup(t.id, S, g);
        for (const u of [u1, u2, u3]) await tx.insertUser(t.id, S, u);
      });
      await assert.rejects(db.store.transaction((tx) => tx.insertGroup(t.id, S, group('ENGINEERING'))), UniquenessViolation);
      assert.deepEqual((await db.store.transaction((tx) => tx.addMembers(t.id, g.id, [{ value: u1.id }, { value: u2.id }, { value: u1.id }], now()))).sort(), [u1.id, u2.id].sort(), 'the ids actually added');
      assert.deepEqual(await db.store.transaction((tx) => tx.addMembers(t.id, g.id, [{ value: u1.id }], now())), [], 'adding an existing member is a no-op');
      await assert.rejects(db.store.transaction((tx) => tx.addMembers(t.id, g.id, [{ value: 'nobody' }], now())), UnknownMembers);
      assert.deepEqual((await db.store.membersOf(t.id, [g.id])).get(g.id)!.map((m) => m.value).sort(), [u1.id, u2.id].sort());
      assert.deepEqual((await db.store.groupsOfUsers(t.id, [u1.id])).get(u1.id), [{ value: g.id, display: 'Engineering' }]);
      assert.deepEqual((await db.store.getUserWithGroups(t.id, u1.id))?.groups, [{ value: g.id, display: 'Engineering' }], 'the one-query read agrees');
      assert.deepEqual(await db.store.transaction((tx) => tx.removeMembers(t.id, g.id, [u2.id, u3.id], now())), [u2.id], 'only a member is removed');
      await db.store.transaction((tx) => tx.addMembers(t.id, g.id, [{ value: u2.id }, { value: u3.id }], now()));
      assert.deepEqual(await db.store.transaction((tx) => tx.removeMembersMatching(t.id, S, g.id, parseFilter(`value eq "${u3.id}"`), now())), [u3.id]);
      assert.deepEqual((await db.store.transaction((tx) => tx.removeAllMembers(t.id, g.id, now()))).sort(), [u1.id, u2.id].sort());
      assert.equal((await db.store.membersOf(t.id, [g.id])).get(g.id), undefined);
    });

    test('one group per user reads: users of a list in another group, and users in several groups, with names', async () => {
      const t = await tenant();
      const [a, b, c] = [group('Alpha'), group('beta'), group('Gamma')];
      const [u1, u2, u3] = [user('p1'), user('p2'), user('p3')];
      await db.store.transaction(async (tx) => {
        for (const g of [a, b, c]) await tx.insertGroup(t.id, S, g);
        for (const u of [u1, u2, u3]) await tx.insertUser(t.id, S, u);
        await tx.addMembers(t.id, a.id, [{ value: u1.id }, { value: u2.id }, { value: c.id }], now());
        await tx.addMembers(t.id, b.id, [{ value: u1.id }, { value: c.id }], now());
        await tx.addMembers(t.id, c.id, [{ value: u3.id }], now());
      });
      const clashes = await db.store.transaction((tx) => tx.usersInOtherGroups(t.id, a.id, [u1.id, u2.id, u3.id, c.id, 'nobody'], 10));
      assert.deepEqual(clashes.map((x) => [x.userName, x.groupName]), [['p1', 'beta'], ['p3', 'Gamma']], 'users only (a nested group is no user), the group itself left out');
      assert.deepEqual(clashes[0], { userId: u1.id, userName: 'p1', groupId: b.id, groupName: 'beta' });
      assert.equal((await db.store.transaction((tx) => tx.usersInOtherGroups(t.id, a.id, [u1.id, u3.id], 1))).length, 1, 'the limit holds');
      assert.deepEqual(await db.store.transaction((tx) => tx.usersInOtherGroups(t.id, a.id, [u2.id], 10)), []);
      assert.deepEqual(await db.store.transaction((tx) => tx.usersInSeveralGroups(t.id, 10)), [{ id: u1.id, userName: 'p1', groups: ['Alpha', 'beta'] }]);
      const other = await tenant();
      assert.deepEqual(await db.store.transaction((tx) => tx.usersInSeveralGroups(other.id, 10)), [], 'per tenant');
      assert.deepEqual(await db.store.transaction((tx) => tx.usersInSeveralGroups(t.id, 10, 'ALPHA')), [], 'a group ignored by name (case-insensitively) does not count');
      assert.deepEqual(await db.store.transaction((tx) => tx.usersInOtherGroups(t.id, a.id, [u1.id, u3.id], 10, 'Beta')).then((x) => x.map((c) => c.userName)), ['p3']);
      const u4 = user('p4');
      await db.store.transaction((tx) => tx.insertUser(t.id, S, u4));
      assert.deepEqual(await db.store.transaction((tx) => tx.usersInNoGroup(t.id, [u1.id, u4.id, c.id, 'nobody'])), [u4.id], 'users only, and only those in no group');
    });

    test('a group filter on members finds the groups a user belongs to', async () => {
      const t = await tenant();
      const [g1, g2] = [group('g1'), group('g2')];
      const u = user('member');
      await db.store.transaction(async (tx) => {
        await tx.insertUser(t.id, S, u);
        await tx.insertGroup(t.id, S, g1);
        await tx.insertGroup(t.id, S, g2);
        await tx.addMembers(t.id, g2.id, [{ value: u.id }], now());
      });
      const found = await db.store.listGroups(t.id, S, { ...all, filter: parseFilter(`members[value eq "${u.id}"]`) });
      assert.deepEqual(found.rows.map((g) => g.id), [g2.id]);
    });

    test('deleting a user removes its memberships and gives those groups a new version', async () => {
      const t = await tenant();
      const g = group('Ops');
      const u = user('leaver');
      await db.store.transaction(async (tx) => {
        await tx.insertUser(t.id, S, u);
        await tx.insertGroup(t.id, S, g);
        await tx.addMembers(t.id, g.id, [{ value: u.id }], now());
      });
      assert.deepEqual(await db.store.transaction((tx) => tx.deleteUser(t.id, u.id, now())), { groups: [g.id] }, 'a deleted user reports the groups it left');
      assert.equal((await db.store.membersOf(t.id, [g.id])).get(g.id), undefined);
      assert.equal((await db.store.getGroup(t.id, g.id))!.version, 2);
    });

    test('a user leaves every group at once (deprovisioning) and stays; those groups get a new version, the others not', async () => {
      const t = await tenant();
      const [a, b, c] = [group('A'), group('B'), group('C')];
      const u = user('leaves.all');
      const other = user('stays');
      await db.store.transaction(async (tx) => {
        await tx.insertUser(t.id, S, u);
        await tx.insertUser(t.id, S, other);
        for (const g of [a, b, c]) await tx.insertGroup(t.id, S, g);
        await tx.addMembers(t.id, a.id, [{ value: u.id }, { value: other.id }], now());
        await tx.addMembers(t.id, b.id, [{ value: u.id }], now());
      });
      const left = await db.store.transaction((tx) => tx.leaveAllGroups(t.id, u.id, now()));
      assert.deepEqual(left.sort(), [a.id, b.id].sort());
      assert.deepEqual((await db.store.membersOf(t.id, [a.id])).get(a.id)!.map((m) => m.value), [other.id]);
      assert.equal((await db.store.groupsOfUsers(t.id, [u.id])).get(u.id), undefined);
      assert.ok(await db.store.getUser(t.id, u.id), 'the user stays');
      assert.equal((await db.store.getGroup(t.id, b.id))!.version, 2, 'left: a new version');
      assert.equal((await db.store.getGroup(t.id, c.id))!.version, 1, 'a group it was not in is untouched');
      assert.deepEqual(await db.store.transaction((tx) => tx.leaveAllGroups(t.id, u.id, now())), [], 'nothing left to leave');
      assert.deepEqual(await db.store.transaction((tx) => tx.leaveAllGroups(t.id, 'no such id', now())), []);
    });

    test('an update that changes a user\'s origin writes it (account linking); others keep it', async () => {
      const t = await tenant();
      const u = { ...user('local.one'), origin: 'local' as const };
      await db.store.transaction((tx) => tx.insertUser(t.id, S, u));
      const renamed = { ...u, doc: { ...u.doc, displayName: 'Local' }, version: 2 };
      assert.equal(await db.store.transaction((tx) => tx.updateUser(t.id, S, renamed, u)), true);
      assert.equal((await db.store.getUser(t.id, u.id))!.origin, 'local');
      const linked = { ...renamed, version: 3, origin: 'scim' as const };
      assert.equal(await db.store.transaction((tx) => tx.updateUser(t.id, S, linked, renamed)), true);
      assert.equal((await db.store.getUser(t.id, u.id))!.origin, 'scim');
      assert.equal(await db.store.transaction((tx) => tx.updateUser(t.id, S, { ...linked, version: 4, origin: 'local' }, renamed)), false, 'a stale version writes no origin either');
      assert.equal((await db.store.getUser(t.id, u.id))!.origin, 'scim');
    });
  });
  filterContract(driver, open);
  hostileValuesContract(driver, open);
  adminContract(driver, open);
  settingsContract(driver, open);
  policiesContract(driver, open);
  samlContract(driver, open);
  ssoContract(driver, open);
  requestLogContract(driver, open);
  consoleContract(driver, open);
}
