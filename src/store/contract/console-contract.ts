// The console part of the Store contract (issue 13: store/sql/console.ts): setup links read back
// by token hash and id with their tenant, one tenant's links never another's, revoking or completing
// a link ends its sessions in the same transaction and only once, sessions slide their idle end at
// most once a minute, pruning deletes only what ended, and a tenant's deletion takes its links and
// their sessions with it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ConsoleSessionRecord, SetupLinkRecord, Store } from '../store.ts';
import { suiteStore } from './fixtures.ts';

const base = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
const hex = () => randomBytes(32).toString('hex');

const link = (tenantId: string, minutes: number, extra: Partial<SetupLinkRecord> = {}): SetupLinkRecord => ({
  id: `sl_${randomUUID()}`, tenantId, hash: hex(), purposes: ['scim', 'sso'], note: 'Acme IT', createdByKeyId: 'ak_1', createdByKeyName: 'support',
  createdAt: iso(minutes), expiresAt: iso(minutes + 7 * 24 * 60), revokedAt: null, completedAt: null, lastUsedAt: null, ...extra,
});

const session = (extra: Partial<ConsoleSessionRecord> = {}): ConsoleSessionRecord => ({
  id: hex(), kind: 'admin', adminKeyId: 'ak_1', setupLinkId: null, tenantId: null,
  createdAt: iso(0), expiresAt: iso(12 * 60), idleExpiresAt: iso(30), revokedAt: null, ...extra,
});

const setupSession = (l: SetupLinkRecord, extra: Partial<ConsoleSessionRecord> = {}) =>
  session({ kind: 'setup', adminKeyId: null, setupLinkId: l.id, tenantId: l.tenantId, ...extra });

export function consoleContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract (console sessions, setup links): ${driver}`, () => {
    const db = suiteStore(open, 'c');

    test('a link reads back field for field, by the hash of its token and by id, with its tenant', async () => {
      const t = await db.tenant();
      const l = link(t.id, 0, { purposes: ['scim'], note: null, createdByKeyId: null, createdByKeyName: null });
      await db.store.createSetupLink(l);
      const tenant = { id: t.id, slug: t.slug, name: t.name };
      assert.deepEqual(await db.store.findSetupLinkByHash(l.hash), { link: l, tenant });
      assert.deepEqual(await db.store.getSetupLink(l.id), { link: l, tenant });
      assert.equal(await db.store.findSetupLinkByHash(hex()), undefined, 'an unknown hash finds nothing');
      assert.equal(await db.store.findSetupLinkByHash('\u0000'), undefined, 'a key no row can have finds nothing, without an error');
      assert.equal(await db.store.getSetupLink('sl_\u0000'), undefined);
    });

    test("a tenant's links list newest first, within the limit, and never another tenant's", async () => {
      const a = await db.tenant();
      const b = await db.tenant();
      const old = link(a.id, 0);
      const mid = link(a.id, 1);
      const young = link(a.id, 2);
      for (const l of [mid, young, old, link(b.id, 3)]) await db.store.createSetupLink(l);
      assert.deepEqual((await db.store.listSetupLinks(a.id, 100)).map((l) => l.id), [young.id, mid.id, old.id]);
      assert.deepEqual((await db.store.listSetupLinks(a.id, 2)).map((l) => l.id), [young.id, mid.id]);
      assert.equal((await db.store.listSetupLinks(b.id, 100)).length, 1);
      assert.equal(await db.store.revokeSetupLink(b.id, old.id, iso(5)), false, "a tenant cannot revoke another tenant's link");
      assert.equal((await db.store.getSetupLink(old.id))?.link.revokedAt, null);
    });

    test('revoking a link ends its sessions, once; a revoked link cannot be completed', async () => {
      const t = await db.tenant();
      const l = link(t.id, 0);
      const other = link(t.id, 0);
      await db.store.createSetupLink(l);
      await db.store.createSetupLink(other);
      const s1 = setupSession(l);
      const s2 = setupSession(l);
      const kept = setupSession(other);
      for (const s of [s1, s2, kept]) await db.store.createConsoleSession(s);
      assert.equal(await db.store.revokeSetupLink(t.id, l.id, iso(10)), true);
      assert.equal(await db.store.revokeSetupLink(t.id, l.id, iso(11)), false, 'revoked once');
      assert.equal(await db.store.completeSetupLink(l.id, iso(12)), false);
      assert.equal((await db.store.getSetupLink(l.id))?.link.revokedAt, iso(10));
      assert.equal((await db.store.getConsoleSession(s1.id))?.revokedAt, iso(10));
      assert.equal((await db.store.getConsoleSession(s2.id))?.revokedAt, iso(10));
      assert.equal((await db.store.getConsoleSession(kept.id))?.revokedAt, null, "another link's session lives on");
    });

    test('completing a link uses it up and ends its sessions; it cannot be completed or revoked again', async () => {
      const t = await db.tenant();
      const l = link(t.id, 0);
      await db.store.createSetupLink(l);
      const s = setupSession(l);
      await db.store.createConsoleSession(s);
      assert.equal(await db.store.completeSetupLink(l.id, iso(20)), true);
      assert.equal(await db.store.completeSetupLink(l.id, iso(21)), false);
      assert.equal(await db.store.revokeSetupLink(t.id, l.id, iso(22)), false);
      const after = (await db.store.getSetupLink(l.id))!.link;
      assert.equal(after.completedAt, iso(20));
      assert.equal(after.revokedAt, null);
      assert.equal((await db.store.getConsoleSession(s.id))?.revokedAt, iso(20));
    });

    test("a link's last use is written at most once a minute", async () => {
      const t = await db.tenant();
      const l = link(t.id, 0);
      await db.store.createSetupLink(l);
      await db.store.touchSetupLink(l.id, iso(1));
      await db.store.touchSetupLink(l.id, iso(1.5));
      assert.equal((await db.store.getSetupLink(l.id))?.link.lastUsedAt, iso(1), 'half a minute later: left alone');
      await db.store.touchSetupLink(l.id, iso(2.5));
      assert.equal((await db.store.getSetupLink(l.id))?.link.lastUsedAt, iso(2.5));
    });

    test('a session reads back; its idle end slides only when it moves by more than a minute; sign-out ends it once', async () => {
      const s = session();
      await db.store.createConsoleSession(s);
      assert.deepEqual(await db.store.getConsoleSession(s.id), s);
      assert.equal(await db.store.getConsoleSession(hex()), undefined);
      assert.equal(await db.store.getConsoleSession('\u0000'), undefined);
      await db.store.slideConsoleSession(s.id, iso(30.5));
      assert.equal((await db.store.getConsoleSession(s.id))?.idleExpiresAt, iso(30), 'half a minute: no write');
      await db.store.slideConsoleSession(s.id, iso(31.5));
      assert.equal((await db.store.getConsoleSession(s.id))?.idleExpiresAt, iso(31.5));
      await db.store.slideConsoleSession(s.id, iso(20));
      assert.equal((await db.store.getConsoleSession(s.id))?.idleExpiresAt, iso(31.5), 'never moved back');
      assert.equal(await db.store.revokeConsoleSession(s.id, iso(40)), true);
      assert.equal(await db.store.revokeConsoleSession(s.id, iso(41)), false);
      await db.store.slideConsoleSession(s.id, iso(100));
      assert.deepEqual(await db.store.getConsoleSession(s.id), { ...s, idleExpiresAt: iso(31.5), revokedAt: iso(40) }, 'an ended session does not slide');
    });

    test('an admin key reads back by id', async () => {
      const key = { id: `ak_${randomUUID().slice(0, 12)}`, name: 'console', scope: 'read' as const, hash: hex(), hint: 'abcd', createdAt: iso(0), expiresAt: null, revokedAt: null, lastUsedAt: null };
      await db.store.createAdminKey(key);
      assert.deepEqual(await db.store.getAdminKey(key.id), key);
      assert.equal(await db.store.getAdminKey('ak_none'), undefined);
      assert.equal(await db.store.getAdminKey('\u0000'), undefined);
    });

    test('pruning deletes ended sessions and links 30 days past expiry, nothing else, within its limit', async () => {
      const t = await db.tenant();
      const now = iso(100_000);
      const linkBefore = iso(100_000 - 30 * 24 * 60);
      const oldLink = link(t.id, 0, { expiresAt: iso(10) });
      const recentLink = link(t.id, 0, { expiresAt: iso(99_000) });
      await db.store.createSetupLink(oldLink);
      await db.store.createSetupLink(recentLink);
      const live = session({ expiresAt: iso(200_000), idleExpiresAt: iso(100_030) });
      const expired = session({ expiresAt: iso(99_999), idleExpiresAt: iso(200_000) });
      const idle = session({ expiresAt: iso(200_000), idleExpiresAt: iso(99_999) });
      const revoked = session({ expiresAt: iso(200_000), idleExpiresAt: iso(200_000), revokedAt: iso(5) });
      for (const s of [live, expired, idle, revoked]) await db.store.createConsoleSession(s);
      let pruned = 0;
      for (let i = 0; i < 200; i++) {
        const n = await db.store.pruneConsole(now, linkBefore, 2);
        assert.ok(n <= 2, 'at most the limit');
        pruned += n;
        if (n === 0) break;
      }
      assert.ok(pruned >= 4, `the three ended sessions and the old link went (and maybe other suites' rows): ${pruned}`);
      assert.ok(await db.store.getConsoleSession(live.id));
      for (const s of [expired, idle, revoked]) assert.equal(await db.store.getConsoleSession(s.id), undefined);
      assert.equal(await db.store.getSetupLink(oldLink.id), undefined);
      assert.ok(await db.store.getSetupLink(recentLink.id), 'expired less than 30 days ago: kept, still shows as expired');
    });

    test("deleting a tenant deletes its setup links and their sessions", async () => {
      const t = await db.tenant();
      const l = link(t.id, 0);
      await db.store.createSetupLink(l);
      const s = setupSession(l);
      await db.store.createConsoleSession(s);
      assert.ok(await db.store.deleteTenant(t.id));
      assert.equal(await db.store.getSetupLink(l.id), undefined);
      assert.equal(await db.store.findSetupLinkByHash(l.hash), undefined);
      assert.equal(await db.store.getConsoleSession(s.id), undefined);
    });
  });
}
