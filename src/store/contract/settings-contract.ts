// The tenant settings part of the Store contract: the versioned document, the settings version
// carried by the tenant on the authentication path, and the custom_values index that custom
// extension attributes are filtered, sorted and kept unique with.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseFilter } from '../../scim/filter.ts';
import { resourceSchemas } from '../../scim/schemas/resource-schema.ts';
import { attr, type SchemaDef } from '../../scim/schemas/types.ts';
import { UniquenessViolation, type CustomAttributeKey, type Store, type TenantSchemas } from '../store.ts';
import { all, now, suiteStore, user } from './fixtures.ts';

const URN = 'urn:ietf:params:scim:schemas:extension:contract:2.0:User';
const ext: SchemaDef = {
  id: URN, name: 'Contract', description: '',
  attributes: [attr('badge', 'string', { uniqueness: 'server' }), attr('level', 'integer'), attr('tags', 'string', { multiValued: true })],
};
const schemas: TenantSchemas = { ...resourceSchemas({ User: [ext] }), custom: new Set([URN]) };
const key = (name: string): CustomAttributeKey => ({ resourceType: 'User', schema: URN, name });

export function settingsContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract (tenant settings): ${driver}`, () => {
    const db = suiteStore(open, 's');

    test('a tenant starts at settings version 1 with no document; a write with the expected version moves it, a stale one does not', async () => {
      const t = await db.tenant();
      assert.deepEqual(await db.store.readTenantSettings(t.id), { document: null, version: 1 });
      assert.equal((await db.store.findTenantBySlug(t.slug))?.settingsVersion, 1);
      const doc = { scim: { patchResponse: { users: 204, groups: 204 } }, customSchemas: [] };
      assert.equal(await db.store.transaction(async (tx) => {
        assert.deepEqual(await tx.lockTenantSettings(t.id), { document: null, version: 1 });
        return tx.writeTenantSettings(t.id, doc, 2, 1);
      }), true);
      assert.equal(await db.store.transaction((tx) => tx.writeTenantSettings(t.id, {}, 3, 1)), false, 'a stale expected version writes nothing');
      assert.deepEqual(await db.store.readTenantSettings(t.id), { document: doc, version: 2 });
      assert.equal((await db.store.findTenantBySlug(t.slug))?.settingsVersion, 2);
      const hash = randomUUID().replace(/-/g, '').padEnd(64, '0');
      await db.store.createToken({ id: 'tok', tenantId: t.id, name: null, hash, hint: 'abcd', createdAt: now(), expiresAt: null, revokedAt: null, lastUsedAt: null });
      assert.equal((await db.store.findTokenForTenant(hash, t.slug))?.tenant.settingsVersion, 2, 'the authentication lookup carries the version');
      assert.equal(await db.store.readTenantSettings(randomUUID()), undefined);
    });

    test('custom values are indexed rows: filtered, counted, unique per tenant, dropped from documents, deleted with their user', async () => {
      const t = await db.tenant();
      const a = user('a', { [URN]: { badge: 'X-1', level: 3, tags: ['red', 'Blue'] } });
      const b = user('b', { [URN]: { badge: 'x-2', level: 7 } });
      await db.store.transaction(async (tx) => { await tx.insertUser(t.id, schemas, a); await tx.insertUser(t.id, schemas, b); });
      const names = async (f: string) => (await db.store.listUsers(t.id, schemas, { ...all, filter: parseFilter(f) })).rows.map((r) => r.doc.userName);
      assert.deepEqual(await names(`${URN}:badge eq "x-1"`), ['a']);
      assert.deepEqual(await names(`${URN}:level ge 5`), ['b']);
      assert.deepEqual(await names(`${URN}:tags eq "blue"`), ['a']);
      assert.equal(await db.store.transaction((tx) => tx.countCustomValues(t.id, key('level'))), 2);

      const dup = user('c', { [URN]: { badge: 'X-2' } });
      await assert.rejects(db.store.transaction((tx) => tx.insertUser(t.id, schemas, dup)),
        (err: unknown) => err instanceof UniquenessViolation && err.attribute === `${URN}:badge`);
      const t2 = await db.tenant();
      await db.store.transaction((tx) => tx.insertUser(t2.id, schemas, user('c', { [URN]: { badge: 'X-2' } })));

      await assert.rejects(db.store.transaction((tx) => tx.setCustomUniqueness(t.id, key('level'), 'exact')).then(async () => {
        await db.store.transaction((tx) => tx.updateUser(t.id, schemas, { ...b, doc: { ...b.doc, [URN]: { badge: 'x-2', level: 3 } }, version: 2 }, b));
        await db.store.transaction((tx) => tx.setCustomUniqueness(t.id, key('level'), 'exact'));
      }), UniquenessViolation, 'two users with level 3 cannot be made unique');

      assert.equal(await db.store.transaction((tx) => tx.dropCustomValues(t.id, key('tags'), now())), 1);
      const after = await db.store.getUser(t.id, a.id);
      assert.deepEqual(after?.doc[URN], { badge: 'X-1', level: 3 });
      assert.equal(after?.version, 2);
      assert.equal(await db.store.transaction((tx) => tx.countCustomValues(t.id, key('tags'))), 0);

      await db.store.transaction((tx) => tx.deleteUser(t.id, a.id, now()));
      assert.equal(await db.store.transaction((tx) => tx.countCustomValues(t.id, key('badge'))), 1);
    });
  });
}
