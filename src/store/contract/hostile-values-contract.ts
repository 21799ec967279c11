// Values a hostile or broken client can put in front of the store, and the one answer every driver
// gives them. PostgreSQL once answered 500 to each of these where SQLite answered cleanly (issue 8,
// item 10): a U+0000 or an unpaired surrogate in a lookup key, in a filter value, and a boolean
// sub-attribute of a multi-valued attribute kept as JSON (`addresses.primary eq true`). Run by
// src/store/sqlite/sqlite-db.store.test.ts and src/store/postgres/postgres-db.store.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { all, group, now, S, suiteStore, user } from './fixtures.ts';
import { ScimError } from '../../scim/errors.ts';
import { parseFilter, type Filter } from '../../scim/filter.ts';
import { UnknownMembers, type Store } from '../store.ts';


/** Keys no stored row can have: a NUL (PostgreSQL cannot even be asked) and lone surrogates. */
const UNNAMEABLE = ['\u0000', `${randomUUID()}\u0000`, 'acme\u0000', '\ud800', 'x\udc00y'];

export function hostileValuesContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract, hostile values: ${driver}`, () => {
    const db = suiteStore(open, 'h');
    const tenant = db.tenant;

    test('a lookup by a key holding U+0000 or a lone surrogate finds nothing and changes nothing', async () => {
      const t = await tenant();
      const u = user('kept');
      const g = group('kept-group');
      await db.store.transaction(async (tx) => {
        await tx.insertUser(t.id, S, u);
        await tx.insertGroup(t.id, S, g);
        await tx.addMembers(t.id, g.id, [{ value: u.id }], now());
      });
      for (const key of [...UNNAMEABLE, `${u.id}\u0000`]) {
        const shown = JSON.stringify(key);
        assert.equal(await db.store.getUser(t.id, key), undefined, shown);
        assert.equal(await db.store.getUserWithGroups(t.id, key), undefined, shown);
        assert.equal(await db.store.getGroup(t.id, key), undefined, shown);
        assert.equal(await db.store.findTenantBySlug(key), undefined, shown);
        assert.equal(await db.store.findTokenForTenant('ab'.repeat(32), key), undefined, shown);
        assert.equal(await db.store.revokeToken(t.id, key, now()), false, shown);
        assert.equal((await db.store.groupsOfUsers(t.id, [key, u.id])).get(key), undefined, shown);
        assert.equal((await db.store.membersOf(t.id, [key])).size, 0, shown);
        assert.deepEqual(await db.store.membersPage(t.id, key, undefined, 10), [], shown);
        await db.store.transaction(async (tx) => {
          assert.equal(await tx.lockUser(t.id, key), undefined, shown);
          assert.equal(await tx.lockGroup(t.id, key), undefined, shown);
          assert.equal(await tx.deleteUser(t.id, key, now()), undefined, shown);
          assert.equal(await tx.deleteGroup(t.id, key, now()), undefined, shown);
          assert.deepEqual(await tx.removeMembers(t.id, g.id, [key], now()), [], shown);
        });
        await assert.rejects(db.store.transaction((tx) => tx.addMembers(t.id, g.id, [{ value: key }], now())),
          (err: unknown) => err instanceof UnknownMembers && err.values.includes(key), `adding member ${shown}`);
      }
      assert.deepEqual((await db.store.getUserWithGroups(t.id, u.id))?.groups.map((x) => x.value), [g.id], 'the real rows are untouched');
      assert.equal((await db.store.listUsers(t.id, S, all)).total, 1);
    });

    test('a filter value holding U+0000 or a lone surrogate is refused as invalidFilter wherever the attribute is kept', async () => {
      const t = await tenant();
      await db.store.transaction((tx) => tx.insertUser(t.id, S, user('someone', { title: 'x', emails: [{ value: 'a@x.com' }], addresses: [{ locality: 'Oslo' }] })));
      // The parser refuses these strings first (scim/string-value.ts); an AST built by other code must
      // meet the same answer in the store, not a driver error.
      const path = (text: string) => { const [attr, subAttr] = text.split('.'); return { attr, subAttr, text }; };
      for (const value of ['a\u0000b', '\ud83d', '\u0000']) {
        for (const attribute of ['userName', 'externalId', 'title', 'emails.value', 'addresses.locality', 'id']) {
          for (const op of ['eq', 'ne', 'co', 'sw', 'gt'] as const) {
            const filter: Filter = { op, path: path(attribute), value };
            await assert.rejects(db.store.listUsers(t.id, S, { ...all, filter }),
              (err: unknown) => err instanceof ScimError && err.status === 400 && err.scimType === 'invalidFilter',
              `${attribute} ${op} ${JSON.stringify(value)}`);
          }
        }
      }
    });

    test('a boolean sub-attribute of a multi-valued attribute kept as JSON filters as a boolean (addresses.primary)', async () => {
      const t = await tenant();
      const home = user('home', { addresses: [{ locality: 'Oslo', type: 'home', primary: true }] });
      const work = user('work', { addresses: [{ locality: 'Bergen', type: 'work', primary: false }, { locality: 'Tromsø', type: 'other' }] });
      const none = user('none');
      await db.store.transaction(async (tx) => { for (const u of [home, work, none]) await tx.insertUser(t.id, S, u); });
      const names = async (filter: string) =>
        (await db.store.listUsers(t.id, S, { ...all, filter: parseFilter(filter) })).rows.map((u) => String(u.doc.userName)).sort();
      assert.deepEqual(await names('addresses.primary eq true'), ['home']);
      assert.deepEqual(await names('addresses.primary eq false'), ['work']);
      // Some address of "work" is not primary (false, and one without the sub-attribute); "home" has none.
      assert.deepEqual(await names('addresses.primary ne true'), ['work']);
      assert.deepEqual(await names('addresses[primary eq true and type eq "home"]'), ['home']);
      assert.deepEqual(await names('addresses[primary pr]'), ['home', 'work']);
      assert.deepEqual(await names('not (addresses.primary eq true)'), ['none', 'work']);
      assert.deepEqual(await names('addresses.primary eq "TRUE"'), ['home'], 'a quoted boolean, as Entra sends it');
      await assert.rejects(db.store.listUsers(t.id, S, { ...all, filter: parseFilter('addresses.primary gt true') }),
        (err: unknown) => err instanceof ScimError && err.scimType === 'invalidFilter');
    });

    test('sorting by a boolean attribute orders false, true, then unassigned, on every driver', async () => {
      const t = await tenant();
      const users = [user('s-true', { active: true }), user('s-none'), user('s-false', { active: false })];
      await db.store.transaction(async (tx) => { for (const u of users) await tx.insertUser(t.id, S, u); });
      const order = async (sortOrder: 'ascending' | 'descending') =>
        (await db.store.listUsers(t.id, S, { ...all, sortOrder, sortBy: { attr: 'active', text: 'active' } })).rows.map((u) => String(u.doc.userName));
      assert.deepEqual(await order('ascending'), ['s-false', 's-true', 's-none']);
      assert.deepEqual(await order('descending'), ['s-true', 's-false', 's-none']);
    });

    test('sorting by meta.resourceType (the same for every row) keeps creation order, on every driver', async () => {
      const t = await tenant();
      const users = [user('r-2'), user('r-1'), user('r-3')];
      await db.store.transaction(async (tx) => { for (const u of users) await tx.insertUser(t.id, S, u); });
      const sorted = await db.store.listUsers(t.id, S, { ...all, sortBy: { attr: 'meta', subAttr: 'resourceType', text: 'meta.resourceType' } });
      assert.deepEqual(sorted.rows.map((u) => String(u.doc.userName)), ['r-2', 'r-1', 'r-3']);
      const g = group('r-group');
      await db.store.transaction((tx) => tx.insertGroup(t.id, S, g));
      const groups = await db.store.listGroups(t.id, S, { ...all, sortBy: { attr: 'meta', subAttr: 'resourceType', text: 'meta.resourceType' }, filter: parseFilter('meta.resourceType eq "Group"') });
      assert.deepEqual(groups.rows.map((x) => x.id), [g.id]);
    });

    test('strings at the edges of what is storable round-trip exactly and match their own filters', async () => {
      const t = await tenant();
      const edges = ['😀 emoji (a surrogate pair)', '\uffff\u0001\u001f', 'literal \\u0000 text', 'quotes \' " and \\', 'ＡＢＣ', 'x'.repeat(70_000)];
      const users = edges.map((title, i) => user(`edge-${i}`, { title, displayName: title.slice(0, 100), emails: [{ value: `${title.slice(0, 50)}@x`, type: 'work' }] }));
      await db.store.transaction(async (tx) => { for (const u of users) await tx.insertUser(t.id, S, u); });
      for (const u of users) {
        assert.deepEqual(await db.store.getUser(t.id, u.id), u, JSON.stringify(String(u.doc.title).slice(0, 40)));
        const byTitle = await db.store.listUsers(t.id, S, { ...all, filter: { op: 'eq', path: { attr: 'title', text: 'title' }, value: String(u.doc.title) } });
        assert.deepEqual(byTitle.rows.map((x) => x.id), [u.id]);
        const email = (u.doc.emails as { value: string }[])[0].value;
        const byEmail = await db.store.listUsers(t.id, S, { ...all, filter: { op: 'eq', path: { attr: 'emails', subAttr: 'value', text: 'emails.value' }, value: email } });
        assert.deepEqual(byEmail.rows.map((x) => x.id), [u.id]);
      }
    });
  });
}
