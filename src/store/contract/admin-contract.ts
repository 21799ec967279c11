// What the admin API needs of every driver: tenants searched, renamed and deleted whole; tokens named
// and rotated; admin keys; the audit log; users and groups paged by keyset, with their origin.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../../scim/filter.ts';
import type { AuditEntry, Store, TokenRecord } from '../store.ts';
import { group, now, S, suiteStore, user } from './fixtures.ts';

const token = (tenantId: string, id: string, extra: Partial<TokenRecord> = {}): TokenRecord =>
  ({ id, tenantId, name: null, hash: id.padEnd(64, 'f').slice(0, 64), hint: 'abcd', createdAt: now(), expiresAt: null, revokedAt: null, lastUsedAt: null, ...extra });
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

export function adminContract(driver: string, open: () => Promise<Store>): void {
  describe(`${driver}: admin store contract`, () => {
    const db = suiteStore(open, 'adm');

    test('tenants: searched by slug or name case-insensitively, in slug order, after a cursor; LIKE wildcards are literal', async () => {
      const a = await db.tenant();
      const b = await db.tenant();
      await db.store.renameTenant(a.id, 'Zeta 100% Corp');
      const found = await db.store.scanTenants('zeta 100%', { limit: 10 });
      assert.deepEqual(found.map((t) => t.id), [a.id]);
      assert.equal(found[0].name, 'Zeta 100% Corp');
      assert.deepEqual((await db.store.scanTenants('zeta 1_0', { limit: 10 })).length, 0, '_ is not a wildcard');
      const [first, second] = [a, b].sort((x, y) => (x.slug < y.slug ? -1 : 1));
      const page = await db.store.scanTenants(undefined, { after: first.slug, limit: 1000 });
      assert.ok(page.some((t) => t.id === second.id));
      assert.ok(!page.some((t) => t.id === first.id), 'the cursor is exclusive');
      assert.equal(await db.store.renameTenant('no-such-id', 'x'), false);
    });

    test('deleteTenant removes every user, group, membership and token of that tenant alone, in one go', async () => {
      const doomed = await db.tenant();
      const kept = await db.tenant();
      for (const t of [doomed, kept]) {
        const u = user('pat@example.com', { emails: [{ value: 'pat@example.com', type: 'work' }] });
        const g = group('Engineering');
        await db.store.transaction(async (tx) => {
          await tx.insertUser(t.id, S, u);
          await tx.insertGroup(t.id, S, g);
          await tx.addMembers(t.id, g.id, [{ value: u.id }], now());
        });
        await db.store.createToken(token(t.id, `tok_${t.id.slice(0, 8)}`));
      }
      assert.deepEqual(await db.store.deleteTenant(doomed.id), { users: 1, groups: 1 });
      assert.equal(await db.store.findTenantBySlug(doomed.slug), undefined);
      assert.deepEqual(await db.store.listTokens(doomed.id), []);
      assert.deepEqual(await db.store.scanUsers(doomed.id, S, undefined, undefined, 10), []);
      assert.equal(await db.store.deleteTenant(doomed.id), undefined, 'a second delete finds nothing');
      assert.equal((await db.store.scanUsers(kept.id, S, undefined, undefined, 10)).length, 1, "the other tenant's users stay");
      assert.equal((await db.store.listTokens(kept.id)).length, 1);
      // The deleted tenant's slug can be used again.
      await db.store.createTenant({ ...doomed, id: `${doomed.id}-2` });
    });

    test('rotateToken: the new token is live and the old one expires at the given time, once; a revoked token cannot be rotated', async () => {
      const t = await db.tenant();
      await db.store.createToken(token(t.id, 'tok_old', { name: 'Okta', expiresAt: later(365 * 86_400_000) }));
      const until = later(7 * 86_400_000);
      assert.equal(await db.store.rotateToken(t.id, 'tok_old', token(t.id, 'tok_new', { name: 'Okta' }), until, now()), true);
      const byId = new Map((await db.store.listTokens(t.id)).map((k) => [k.id, k]));
      assert.equal(byId.get('tok_old')!.expiresAt, until, 'the old token now expires at the end of the overlap');
      assert.equal(byId.get('tok_new')!.name, 'Okta');
      // An expiry already earlier than the overlap's end is kept.
      await db.store.createToken(token(t.id, 'tok_soon', { expiresAt: later(3_600_000) }));
      assert.equal(await db.store.rotateToken(t.id, 'tok_soon', token(t.id, 'tok_soon2'), until, now()), true);
      assert.notEqual((await db.store.listTokens(t.id)).find((k) => k.id === 'tok_soon')!.expiresAt, until);
      await db.store.revokeToken(t.id, 'tok_new', now());
      assert.equal(await db.store.rotateToken(t.id, 'tok_new', token(t.id, 'tok_x'), until, now()), false);
      assert.equal((await db.store.listTokens(t.id)).some((k) => k.id === 'tok_x'), false, 'nothing is created when the rotation is refused');
      const other = await db.tenant();
      assert.equal(await db.store.rotateToken(other.id, 'tok_soon2', token(other.id, 'tok_y'), until, now()), false, "another tenant's token");
    });

    test('admin keys: found by hash, listed, revoked once, last use recorded', async () => {
      const id = `ak_${Math.random().toString(36).slice(2, 10)}`;
      const key = { id, name: 'deploy', scope: 'read' as const, hash: id.padEnd(64, 'e').slice(0, 64), hint: 'wxyz', createdAt: now(), expiresAt: null, revokedAt: null, lastUsedAt: null };
      await db.store.createAdminKey(key);
      assert.deepEqual(await db.store.findAdminKeyByHash(key.hash), key);
      assert.equal(await db.store.findAdminKeyByHash('0'.repeat(64)), undefined);
      await db.store.touchAdminKey(id, now());
      assert.ok((await db.store.findAdminKeyByHash(key.hash))!.lastUsedAt);
      assert.ok((await db.store.listAdminKeys()).some((k) => k.id === id));
      assert.equal(await db.store.revokeAdminKey(id, now()), true);
      assert.equal(await db.store.revokeAdminKey(id, now()), false);
    });

    test('audit log: newest first, filtered, paged by id', async () => {
      const t = await db.tenant();
      const entry = (i: number): AuditEntry => ({
        id: `${now()}~${String(i).padStart(4, '0')}`, at: now(), keyId: 'ak_1', keyName: 'ops', action: i % 2 ? 'user.delete' : 'tenant.update',
        tenantId: t.id, targetType: 'user', targetId: `u${i}`, summary: { fields: ['name'], n: i }, requestId: 'r1',
      });
      for (let i = 0; i < 5; i++) await db.store.appendAudit(entry(i));
      const newest = await db.store.listAudit({ tenantId: t.id }, { limit: 2 });
      assert.deepEqual(newest.map((e) => e.targetId), ['u4', 'u3']);
      assert.deepEqual(newest[0].summary, { fields: ['name'], n: 4 });
      const rest = await db.store.listAudit({ tenantId: t.id }, { after: newest[1].id, limit: 10 });
      assert.deepEqual(rest.map((e) => e.targetId), ['u2', 'u1', 'u0']);
      assert.deepEqual((await db.store.listAudit({ tenantId: t.id, action: 'user.delete' }, { limit: 10 })).map((e) => e.targetId), ['u3', 'u1']);
      assert.deepEqual(newest.map((e) => e.tenantSlug), [t.slug, t.slug], 'named by the slug while the tenant exists');
      await db.store.appendAudit({ ...entry(5), tenantId: 'a-deleted-tenant' });
      await db.store.appendAudit({ ...entry(6), tenantId: null });
      for (const targetId of ['u5', 'u6']) {
        assert.deepEqual((await db.store.listAudit({ targetId }, { limit: 2 })).map((e) => e.tenantSlug), [null], `${targetId}: no slug for a deleted tenant, nor a server-wide entry`);
      }
    });

    test('scanUsers and scanGroups: creation order after a cursor, filtered, with each record\'s origin and seq', async () => {
      const t = await db.tenant();
      const users = ['a@x.com', 'b@x.com', 'c@y.com'].map((n) => user(n));
      users[1].origin = 'local';
      await db.store.transaction(async (tx) => { for (const u of users) await tx.insertUser(t.id, S, u); });
      const page = await db.store.scanUsers(t.id, S, undefined, undefined, 2);
      assert.deepEqual(page.map((u) => u.id), [users[0].id, users[1].id]);
      assert.deepEqual(page.map((u) => u.origin), ['scim', 'local']);
      const next = await db.store.scanUsers(t.id, S, undefined, page[1].seq, 2);
      assert.deepEqual(next.map((u) => u.id), [users[2].id]);
      const filtered = await db.store.scanUsers(t.id, S, parseFilter('userName ew "x.com"'), page[0].seq, 10);
      assert.deepEqual(filtered.map((u) => u.id), [users[1].id]);
      assert.equal((await db.store.getUser(t.id, users[1].id))!.origin, 'local');
      const g = { ...group('Local team'), origin: 'local' as const };
      await db.store.transaction((tx) => tx.insertGroup(t.id, S, g));
      assert.deepEqual((await db.store.scanGroups(t.id, S, undefined, undefined, 10)).map((x) => [x.id, x.origin]), [[g.id, 'local']]);
    });

    test('local users keep a status (default from active; null for IdP-managed ones); a link clears it', async () => {
      const t = await db.tenant();
      const invited = { ...user('inv@x.com'), origin: 'local' as const, status: 'invited' as const };
      const off = { ...user('off@x.com', { active: false }), origin: 'local' as const };
      const idp = user('idp@x.com');
      await db.store.transaction(async (tx) => { for (const u of [invited, off, idp]) await tx.insertUser(t.id, S, u); });
      const read = async (id: string) => (await db.store.getUser(t.id, id))!;
      assert.deepEqual([(await read(invited.id)).status, (await read(off.id)).status, (await read(idp.id)).status], ['invited', 'deactivated', undefined]);
      const page = await db.store.scanUsers(t.id, S, undefined, undefined, 10);
      assert.deepEqual(page.map((u) => u.status ?? null), ['invited', 'deactivated', null]);
      const before = await read(invited.id);
      assert.equal(await db.store.transaction((tx) => tx.updateUser(t.id, S, { ...before, version: 2, status: 'active' }, before)), true);
      assert.equal((await read(invited.id)).status, 'active');
      const active = await read(invited.id);
      assert.equal(await db.store.transaction((tx) => tx.updateUser(t.id, S, { ...active, version: 3, origin: 'scim' }, active)), true);
      assert.equal((await read(invited.id)).status, undefined, 'a linked user is IdP-managed: no status');
    });

    test('disableScim: every IdP-managed user and group local, every live token revoked, in one go; enableScim: a token, invitations revoked; each only from the other mode', async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      // Token ids (and the hashes made of them) unique to this run: the hash is unique store-wide.
      const k = (name: string) => `${name}_${t.id.slice(0, 8)}`;
      const on = user('on@x.com');
      const gone = user('gone@x.com', { active: false });
      const local = { ...user('local@x.com'), origin: 'local' as const };
      const g = group('Team');
      const elsewhere = user('on@x.com');
      await db.store.transaction(async (tx) => {
        for (const u of [on, gone, local]) await tx.insertUser(t.id, S, u);
        await tx.insertGroup(t.id, S, g);
        await tx.insertUser(other.id, S, elsewhere);
      });
      await db.store.createToken(token(t.id, k('tok_live1')));
      await db.store.createToken(token(t.id, k('tok_live2'), { expiresAt: later(-1000) }));
      await db.store.createToken(token(t.id, k('tok_old'), { revokedAt: '2026-01-01T00:00:00.000Z' }));
      await db.store.createToken(token(other.id, k('tok_other')));
      const at = now();
      const done = await db.store.disableScim(t.id, at);
      assert.deepEqual({ ...done!, tokens: done!.tokens.map((r) => [r.id, r.revokedAt]) }, { users: 2, groups: 1, tokens: [[k('tok_live1'), at], [k('tok_live2'), at]] });
      assert.equal((await db.store.findTenantBySlug(t.slug))!.scimEnabled, false);
      const users = await db.store.scanUsers(t.id, S, undefined, undefined, 10);
      assert.deepEqual(users.map((u) => [u.doc.userName, u.origin, u.status, u.version]), [['on@x.com', 'local', 'active', 2], ['gone@x.com', 'local', 'deactivated', 2], ['local@x.com', 'local', 'active', 1]]);
      assert.equal((await db.store.getGroup(t.id, g.id))!.origin, 'local');
      assert.deepEqual((await db.store.listTokens(t.id)).map((r) => [r.id, r.revokedAt]), [[k('tok_live1'), at], [k('tok_live2'), at], [k('tok_old'), '2026-01-01T00:00:00.000Z']]);
      // The other tenant is untouched.
      assert.equal((await db.store.getUser(other.id, elsewhere.id))!.origin, 'scim');
      assert.equal((await db.store.listTokens(other.id))[0].revokedAt, null);
      assert.equal((await db.store.findTenantBySlug(other.slug))!.scimEnabled, true);
      assert.equal(await db.store.disableScim(t.id, now()), undefined, 'already disabled: nothing written');

      const inv = { ...user('inv@x.com'), origin: 'local' as const, status: 'invited' as const };
      await db.store.transaction((tx) => tx.insertUser(t.id, S, inv));
      const enabled = await db.store.enableScim(t.id, token(t.id, k('tok_new')), now(), (revoked) => {
        assert.deepEqual(revoked, [{ id: inv.id, userName: 'inv@x.com' }]);
        return {};
      });
      assert.deepEqual(enabled, { invitationsRevoked: 1 });
      const after = (await db.store.getUser(t.id, inv.id))!;
      assert.deepEqual([after.status, after.version], ['deactivated', 2]);
      assert.equal((await db.store.findTenantBySlug(t.slug))!.scimEnabled, true);
      assert.ok((await db.store.listTokens(t.id)).some((r) => r.id === k('tok_new') && r.revokedAt === null));
      assert.equal(await db.store.enableScim(t.id, token(t.id, k('tok_again')), now()), undefined, 'already enabled: nothing written');
      assert.ok(!(await db.store.listTokens(t.id)).some((r) => r.id === k('tok_again')));
      // tenantNow: the mode as committed, and the settings only when not at the version the caller knows.
      assert.deepEqual(await db.store.transaction((tx) => tx.tenantNow(t.id, 1)), { scimEnabled: true });
      assert.deepEqual(await db.store.transaction((tx) => tx.tenantNow(t.id, 0)), { scimEnabled: true, settings: { document: null, version: 1 } });
      assert.equal(await db.store.transaction((tx) => tx.tenantNow('no-such-tenant', 1)), undefined);
    });
  });
}
