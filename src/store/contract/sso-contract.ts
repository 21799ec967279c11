// The sign-in part of the Store contract (issue 12: store/sql/sso.ts): AuthnRequests taken once,
// assertion ids accepted once until they expire, one-time codes redeemed once (also when two
// connections race for one), signing keys listed while published, and pruning of what expired.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SigningKeyRecord, SsoCodeRecord, Store } from '../store.ts';
import { suiteStore } from './fixtures.ts';

const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const hash = () => randomBytes(32).toString('hex');

export function ssoContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract (sso): ${driver}`, () => {
    const db = suiteStore(open, 'sso');

    test('an AuthnRequest is taken once, of its own tenant only, and not once expired', async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      const req = { tenantId: t.id, id: '_r1', connectionId: 'c1', returnTo: 'https://app.example/x', createdAt: at(0), expiresAt: at(600_000), purpose: 'sign-in' as const };
      await db.store.saveSamlRequest(req);
      await db.store.saveSamlRequest({ ...req, id: '_r2', returnTo: null });
      assert.equal(await db.store.takeSamlRequest(other.id, '_r1', at(1000)), undefined, 'another tenant cannot take it');
      assert.deepEqual(await db.store.takeSamlRequest(t.id, '_r1', at(1000)), req);
      assert.equal(await db.store.takeSamlRequest(t.id, '_r1', at(1000)), undefined, 'single use');
      assert.equal(await db.store.takeSamlRequest(t.id, '_r2', at(600_000)), undefined, 'expired at expiresAt');
      assert.equal(await db.store.takeSamlRequest(t.id, 'nope', at(0)), undefined);
    });

    test('a test AuthnRequest keeps its purpose; finding one leaves it to be taken, of its own tenant only, unexpired', async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      const req = { tenantId: t.id, id: '_t1', connectionId: 'c1', returnTo: null, createdAt: at(0), expiresAt: at(600_000), purpose: 'test' as const };
      await db.store.saveSamlRequest(req);
      assert.equal(await db.store.findSamlRequest(other.id, '_t1', at(1000)), undefined, 'another tenant cannot see it');
      assert.equal(await db.store.findSamlRequest(t.id, '_t1', at(600_000)), undefined, 'not once expired');
      assert.deepEqual(await db.store.findSamlRequest(t.id, '_t1', at(1000)), req);
      assert.deepEqual(await db.store.takeSamlRequest(t.id, '_t1', at(1000)), req, 'still there to be taken');
      assert.equal(await db.store.findSamlRequest(t.id, '_t1', at(1000)), undefined, 'gone once taken');
    });

    test('an assertion id is accepted once until it expires, then again; per tenant', async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      assert.equal(await db.store.acceptAssertionId(t.id, '_a1', at(300_000), at(0)), true);
      assert.equal(await db.store.acceptAssertionId(t.id, '_a1', at(300_000), at(1000)), false, 'a replay');
      assert.equal(await db.store.acceptAssertionId(other.id, '_a1', at(300_000), at(1000)), true, 'ids are per tenant');
      assert.equal(await db.store.acceptAssertionId(t.id, '_a1', at(900_000), at(300_000)), true, 'accepted again once the first expired');
      assert.equal(await db.store.acceptAssertionId(t.id, '_a1', at(900_000), at(300_001)), false, 'and the new expiry holds');
    });

    const code = (tenantId: string, over: Partial<SsoCodeRecord> = {}): SsoCodeRecord => ({
      hash: hash(), tenantId, userId: 'u1', connectionId: 'c1', profile: { id: 'u1', userName: 'ada@example.com', groups: [{ id: 'g', displayName: 'Ops' }] },
      createdAt: at(0), expiresAt: at(60_000), usedAt: null, ...over,
    });

    test('a code is redeemed once with its profile; unknown and expired codes are not', async () => {
      const t = await db.tenant();
      const c = code(t.id);
      await db.store.createSsoCode(c);
      assert.deepEqual(await db.store.redeemSsoCode(c.hash, at(1000)), { ...c, usedAt: at(1000) });
      assert.equal(await db.store.redeemSsoCode(c.hash, at(2000)), undefined, 'single use');
      const late = code(t.id);
      await db.store.createSsoCode(late);
      assert.equal(await db.store.redeemSsoCode(late.hash, at(60_000)), undefined, 'expired at expiresAt');
      assert.equal(await db.store.redeemSsoCode(hash(), at(0)), undefined);
    });

    test('concurrent redemptions of one code (several pool connections on PostgreSQL): exactly one gets it', async () => {
      const t = await db.tenant();
      for (let round = 0; round < 5; round++) {
        const c = code(t.id);
        await db.store.createSsoCode(c);
        const got = await Promise.all(Array.from({ length: 4 }, () => db.store.redeemSsoCode(c.hash, at(1000))));
        assert.equal(got.filter(Boolean).length, 1, `round ${round}: one winner`);
      }
    });

    const key = (kid: string, created: number, over: Partial<SigningKeyRecord> = {}): SigningKeyRecord => ({
      kid, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid }, privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid },
      createdAt: at(created), retiresAt: at(created + 1000), expiresAt: at(created + 3000), ...over,
    });

    test('signing keys: listed newest first while published; gone once expired', async () => {
      const before = (await db.store.listSigningKeys(at(0))).map((k) => k.kid);
      const a = key(`k-a-${hash().slice(0, 8)}`, 0);
      const b = key(`k-b-${hash().slice(0, 8)}`, 1000);
      await db.store.insertSigningKey(a);
      await db.store.insertSigningKey(b);
      const mine = (list: SigningKeyRecord[]) => list.filter((k) => !before.includes(k.kid));
      assert.deepEqual(mine(await db.store.listSigningKeys(at(1500))), [b, a]);
      assert.deepEqual(mine(await db.store.listSigningKeys(at(3000))).map((k) => k.kid), [b.kid], 'the first expired at its expiresAt');
      await assert.rejects(db.store.insertSigningKey(a), 'a kid is unique');
    });

    test('pruning deletes what expired (requests, assertion ids, codes, keys), at most `limit`, and nothing live', async () => {
      const t = await db.tenant();
      const late = 10 * 365 * 86_400_000;
      const live = code(t.id, { expiresAt: at(late + 60_000) });
      await db.store.createSsoCode(live);
      const liveKey = key(`k-live-${hash().slice(0, 8)}`, late);
      await db.store.insertSigningKey(liveKey);
      // Sweep what earlier tests left, so the counts below are this test's own.
      while ((await db.store.pruneSaml(at(late), 100)) > 0) { /* until none left */ }
      for (let i = 0; i < 3; i++) {
        await db.store.saveSamlRequest({ tenantId: t.id, id: `_p${i}`, connectionId: 'c', returnTo: null, createdAt: at(late), expiresAt: at(late + 10), purpose: 'sign-in' });
        await db.store.acceptAssertionId(t.id, `_pa${i}`, at(late + 10), at(late));
        await db.store.createSsoCode(code(t.id, { expiresAt: at(late + 10) }));
      }
      await db.store.insertSigningKey(key(`k-old-${hash().slice(0, 8)}`, late - 2990));
      assert.equal(await db.store.pruneSaml(at(late + 10), 4), 4, 'limited');
      assert.equal(await db.store.pruneSaml(at(late + 10), 100), 6, 'the rest: 3 + 3 + 3 + 1 in all');
      assert.equal(await db.store.pruneSaml(at(late + 10), 100), 0);
      assert.deepEqual(await db.store.redeemSsoCode(live.hash, at(late + 20)), { ...live, usedAt: at(late + 20) }, 'a live code stays');
      assert.ok((await db.store.listSigningKeys(at(late + 10))).some((k) => k.kid === liveKey.kid), 'a live key stays');
    });

    test('a deleted tenant takes its requests, assertion ids and codes with it', async () => {
      const t = await db.tenant();
      const c = code(t.id);
      await db.store.createSsoCode(c);
      await db.store.saveSamlRequest({ tenantId: t.id, id: '_gone', connectionId: 'c', returnTo: null, createdAt: at(0), expiresAt: at(60_000), purpose: 'sign-in' });
      await db.store.acceptAssertionId(t.id, '_gone', at(60_000), at(0));
      await db.store.deleteTenant(t.id);
      assert.equal(await db.store.redeemSsoCode(c.hash, at(1)), undefined);
      assert.equal(await db.store.takeSamlRequest(t.id, '_gone', at(1)), undefined);
    });
  });
}
