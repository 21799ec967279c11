// The policies part of the Store contract (issue 11: provisioning/policies/): the set-based reads
// the roles and guards make inside a change's transaction, and the lock that serializes the guards.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store.ts';
import { group, now, S, suiteStore, user } from './fixtures.ts';

export function policiesContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract (policies): ${driver}`, () => {
    const db = suiteStore(open, 'p');

    test('users and their groups: only users, with active (absent counts as active) and every direct group, across batches of 500', async () => {
      const t = await db.tenant();
      const ops = group('Ops');
      const eng = group('Engineering');
      const nested = group('Nested');
      const ada = user('ada', { active: true });
      const bob = user('bob', { active: false });
      const cy = user('cy');
      const many = Array.from({ length: 520 }, (_, i) => user(`m${i}`));
      await db.store.transaction(async (tx) => {
        for (const g of [ops, eng, nested]) await tx.insertGroup(t.id, S, g);
        for (const u of [ada, bob, cy, ...many]) await tx.insertUser(t.id, S, u);
        await tx.addMembers(t.id, ops.id, [{ value: ada.id }, { value: bob.id }, { value: nested.id }, ...many.map((u) => ({ value: u.id }))], now());
        await tx.addMembers(t.id, eng.id, [{ value: ada.id }], now());
      });
      const found = await db.store.transaction((tx) => tx.usersAndTheirGroups(t.id, [ada.id, bob.id, cy.id, nested.id, 'nobody', ...many.map((u) => u.id)]));
      assert.equal(found.size, 3 + many.length, 'a group id and an unknown id are left out');
      assert.deepEqual({ ...found.get(ada.id)!, groups: found.get(ada.id)!.groups.sort((a, b) => a.displayName.localeCompare(b.displayName)) },
        { userName: 'ada', active: true, groups: [{ id: eng.id, displayName: 'Engineering' }, { id: ops.id, displayName: 'Ops' }] });
      assert.deepEqual(found.get(bob.id), { userName: 'bob', active: false, groups: [{ id: ops.id, displayName: 'Ops' }] });
      assert.deepEqual(found.get(cy.id), { userName: 'cy', active: true, groups: [] });
      assert.deepEqual(found.get(many[519].id)?.groups, [{ id: ops.id, displayName: 'Ops' }]);

      assert.deepEqual((await db.store.transaction((tx) => tx.groupsNamed(t.id, ['ops', 'ENGINEERING', 'none']))).sort((a, b) => a.displayName.localeCompare(b.displayName)),
        [{ id: eng.id, displayName: 'Engineering' }, { id: ops.id, displayName: 'Ops' }], 'names compare case-insensitively');
      const counts = await db.store.transaction((tx) => tx.memberCounts(t.id, [ops.id, eng.id, nested.id]));
      assert.deepEqual([counts.get(ops.id), counts.get(eng.id), counts.get(nested.id)], [2 + many.length, 1, 0], 'users only: the nested group in Ops is not counted');
      const active = await db.store.transaction((tx) => tx.memberCounts(t.id, [ops.id, eng.id, nested.id], { activeOnly: true }));
      assert.deepEqual([active.get(ops.id), active.get(eng.id), active.get(nested.id)], [1 + many.length, 1, 0], 'activeOnly: inactive Bob is not counted');
    });

    test('an active member of some groups: users only, inactive ones skipped (a local user by its status)', async () => {
      const t = await db.tenant();
      const g = group('Admins');
      const h = group('Holder');
      const off = user('off', { active: false });
      const on = user('on');
      // Local users go by their status, not their SCIM active: deactivated or invited is not active.
      const localOff = { ...user('local-off', { active: true }), origin: 'local' as const, status: 'deactivated' as const };
      const invited = { ...user('invited'), origin: 'local' as const, status: 'invited' as const };
      const localOn = { ...user('local-on', { active: false }), origin: 'local' as const, status: 'active' as const };
      await db.store.transaction(async (tx) => {
        for (const x of [g, h]) await tx.insertGroup(t.id, S, x);
        for (const u of [off, on, localOff, invited, localOn]) await tx.insertUser(t.id, S, u);
        await tx.addMembers(t.id, g.id, [{ value: off.id }, { value: h.id }, { value: localOff.id }, { value: invited.id }], now());
      });
      assert.equal(await db.store.transaction((tx) => tx.activeMemberOf(t.id, [g.id])), undefined, 'an inactive user, a deactivated or invited local user and a nested group are not active members');
      const found = await db.store.transaction((tx) => tx.usersAndTheirGroups(t.id, [localOff.id, invited.id, localOn.id]));
      assert.deepEqual([found.get(localOff.id)?.active, found.get(invited.id)?.active, found.get(localOn.id)?.active], [false, false, true]);
      assert.equal(await db.store.transaction((tx) => tx.activeMemberOf(t.id, [])), undefined);
      await db.store.transaction((tx) => tx.addMembers(t.id, h.id, [{ value: on.id }], now()));
      assert.equal(await db.store.transaction((tx) => tx.activeMemberOf(t.id, [g.id])), undefined, 'members of a nested group are not direct members');
      assert.equal(await db.store.transaction((tx) => tx.activeMemberOf(t.id, [g.id, h.id])), on.id);
    });

    test('users sharing a primary email: the first marked primary, else the first; trimmed, case-insensitive; empty is none; limited', async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      const mail = (value: string, primary = false) => ({ value, type: 'work', ...(primary ? { primary: true } : {}) });
      const a = user('a', { emails: [mail('a.old@x.com'), mail('A@x.com', true)] });
      const b = user('b', { emails: [mail(' a@X.com ')] }); // no primary: its first
      const c = user('c', { emails: [mail('c@x.com', true), mail('a.old@x.com')] }); // a secondary match only
      const d = user('d', { emails: [mail(''), mail('')] });
      const e = user('e', { emails: [mail('')] });
      const f = user('f', { emails: [mail('f@x.com', true)] });
      const g = user('g', { emails: [mail('F@X.COM', true)] });
      await db.store.transaction(async (tx) => { for (const u of [a, b, c, d, e, f, g]) await tx.insertUser(t.id, S, u); });
      await db.store.transaction((tx) => tx.insertUser(other.id, S, user('a-elsewhere', { emails: [mail('a@x.com', true)] })));
      assert.deepEqual(await db.store.transaction((tx) => tx.usersSharingPrimaryEmail(t.id, 10)), [
        { email: 'a@x.com', users: [{ id: a.id, userName: 'a' }, { id: b.id, userName: 'b' }] },
        { email: 'f@x.com', users: [{ id: f.id, userName: 'f' }, { id: g.id, userName: 'g' }] },
      ]);
      assert.deepEqual((await db.store.transaction((tx) => tx.usersSharingPrimaryEmail(t.id, 1))).map((x) => x.email), ['a@x.com']);
      assert.deepEqual(await db.store.transaction((tx) => tx.usersSharingPrimaryEmail(other.id, 10)), []);
    });

    test('serializePolicyChecks: a second transaction of the tenant waits for the first to end', async () => {
      const t = await db.tenant();
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let locked!: () => void;
      const firstLocked = new Promise<void>((r) => { locked = r; });
      const first = db.store.transaction(async (tx) => {
        await tx.serializePolicyChecks(t.id);
        order.push('first locked');
        locked();
        await held;
        order.push('first ends');
      });
      await firstLocked;
      const second = db.store.transaction(async (tx) => { await tx.serializePolicyChecks(t.id); order.push('second locked'); });
      await new Promise((r) => setTimeout(r, 100));
      release();
      await Promise.all([first, second]);
      assert.deepEqual(order, ['first locked', 'first ends', 'second locked']);
    });
  });
}
