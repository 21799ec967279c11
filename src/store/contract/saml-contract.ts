// The SAML connections part of the Store contract (issue 12: provisioning/sso/connections.ts):
// connections kept per tenant with their audit entries, names unique within a tenant, another
// tenant's id finding nothing, refresh claims taken once, and the tenant's deletion taking them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { UniquenessViolation, type AuditEntry, type SamlConnectionRecord, type Store } from '../store.ts';
import { now, suiteStore } from './fixtures.ts';

const connection = (tenantId: string, name: string, extra: Partial<SamlConnectionRecord> = {}): SamlConnectionRecord => ({
  id: `saml_${randomUUID().slice(0, 12)}`, tenantId, name, entityId: `https://idp.example.com/${name}`, ssoUrl: `https://idp.example.com/${name}/sso`,
  certificates: ['MIIBcert1', 'MIIBcert2'], metadataUrl: null, metadataXml: '<md:EntityDescriptor/>', signed: 'either', allowSha1: false,
  idpInitiated: false, enabled: true, nextRefreshAt: null, refreshedAt: null, refreshError: null, refreshFailedAt: null,
  createdAt: now(), updatedAt: now(), ...extra,
});

const audit = (tenantId: string, action: string, targetId: string): AuditEntry => ({
  id: `${now()}~${randomUUID()}`, at: now(), keyId: null, keyName: 'contract', action, tenantId, targetType: 'samlConnection', targetId, summary: {}, requestId: null,
});

export function samlContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract (SAML connections): ${driver}`, () => {
    const db = suiteStore(open, 's');

    test('a connection is created with its audit entry, read back field for field, listed by name, updated and deleted', async () => {
      const t = await db.tenant();
      const c = connection(t.id, 'Okta', { signed: 'both', allowSha1: true, idpInitiated: true, metadataUrl: 'https://idp.example.com/metadata', nextRefreshAt: now() });
      await db.store.createSamlConnection(c, { audit: audit(t.id, 'samlConnection.create', c.id) });
      assert.deepEqual(await db.store.getSamlConnection(t.id, c.id), c);
      const entra = connection(t.id, 'Entra');
      await db.store.createSamlConnection(entra);
      assert.deepEqual((await db.store.listSamlConnections(t.id)).map((x) => x.name), ['Entra', 'Okta']);
      const entries = await db.store.listAudit({ tenantId: t.id, action: 'samlConnection.create' }, { limit: 10 });
      assert.deepEqual(entries.map((e) => e.targetId), [c.id]);

      const changed: SamlConnectionRecord = { ...c, name: 'Okta (prod)', certificates: ['MIIBnew'], enabled: false, refreshError: 'HTTP 500', refreshFailedAt: now(), updatedAt: now() };
      assert.equal(await db.store.updateSamlConnection(changed, { audit: audit(t.id, 'samlConnection.update', c.id) }), true);
      assert.deepEqual(await db.store.getSamlConnection(t.id, c.id), changed);
      assert.equal((await db.store.listAudit({ tenantId: t.id, action: 'samlConnection.update' }, { limit: 10 })).length, 1);

      assert.equal(await db.store.deleteSamlConnection(t.id, c.id, { audit: audit(t.id, 'samlConnection.delete', c.id) }), true);
      assert.equal(await db.store.getSamlConnection(t.id, c.id), undefined);
      assert.equal(await db.store.deleteSamlConnection(t.id, c.id), false, 'deleted once');
      assert.equal(await db.store.updateSamlConnection(changed), false, 'a deleted connection is not updated');
      assert.equal((await db.store.listAudit({ tenantId: t.id, action: 'samlConnection.delete' }, { limit: 10 })).length, 1);
    });

    test("names are unique within a tenant, not across tenants; a rename onto another's name is refused", async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      const a = connection(t.id, 'Okta');
      await db.store.createSamlConnection(a);
      await assert.rejects(db.store.createSamlConnection(connection(t.id, 'Okta')), (e: unknown) => e instanceof UniquenessViolation && e.attribute === 'samlConnection.name');
      await db.store.createSamlConnection(connection(other.id, 'Okta'));
      const b = connection(t.id, 'Entra');
      await db.store.createSamlConnection(b);
      await assert.rejects(db.store.updateSamlConnection({ ...b, name: 'Okta' }), UniquenessViolation);
      assert.equal((await db.store.getSamlConnection(t.id, b.id))!.name, 'Entra');
    });

    test("another tenant's connection id finds, changes and deletes nothing", async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      const c = connection(t.id, 'Okta');
      await db.store.createSamlConnection(c);
      assert.equal(await db.store.getSamlConnection(other.id, c.id), undefined);
      assert.equal(await db.store.updateSamlConnection({ ...c, tenantId: other.id, name: 'stolen' }), false);
      assert.equal(await db.store.deleteSamlConnection(other.id, c.id), false);
      assert.deepEqual(await db.store.listSamlConnections(other.id), []);
      assert.equal((await db.store.getSamlConnection(t.id, c.id))!.name, 'Okta');
      assert.equal(await db.store.getSamlConnection(t.id, 'no\u0000such'), undefined, 'a NUL in an id finds nothing on both databases');
    });

    test('refresh claims: only due connections with a metadata URL, each taken once until the claim ends', async () => {
      const t = await db.tenant();
      const past = new Date(Date.now() - 60_000).toISOString();
      const future = new Date(Date.now() + 3600_000).toISOString();
      const due = connection(t.id, 'due', { metadataUrl: 'https://idp.example.com/m', nextRefreshAt: past });
      const later = connection(t.id, 'later', { metadataUrl: 'https://idp.example.com/m', nextRefreshAt: future });
      const xmlOnly = connection(t.id, 'xml only');
      for (const c of [due, later, xmlOnly]) await db.store.createSamlConnection(c);
      const at = now();
      const claimUntil = new Date(Date.now() + 120_000).toISOString();
      const claimed = (await db.store.claimSamlRefreshes(at, claimUntil, 1000)).filter((c) => c.tenantId === t.id);
      assert.deepEqual(claimed.map((c) => c.id), [due.id]);
      assert.equal(claimed[0].nextRefreshAt, claimUntil, 'claimed until the claim ends');
      assert.deepEqual((await db.store.claimSamlRefreshes(at, claimUntil, 1000)).filter((c) => c.tenantId === t.id), [], 'not claimed twice');
      const afterClaim = new Date(Date.now() + 180_000).toISOString();
      assert.deepEqual((await db.store.claimSamlRefreshes(afterClaim, afterClaim, 1000)).filter((c) => c.tenantId === t.id).map((c) => c.id), [due.id],
        'due again once the claim ended without a write (the process died mid-fetch)');
    });

    test('two claims at once take different connections', async () => {
      const t = await db.tenant();
      const past = new Date(Date.now() - 60_000).toISOString();
      const many = Array.from({ length: 6 }, (_, i) => connection(t.id, `c${i}`, { metadataUrl: 'https://idp.example.com/m', nextRefreshAt: past }));
      for (const c of many) await db.store.createSamlConnection(c);
      const until = new Date(Date.now() + 120_000).toISOString();
      const [a, b] = await Promise.all([db.store.claimSamlRefreshes(now(), until, 1000), db.store.claimSamlRefreshes(now(), until, 1000)]);
      const ids = [...a, ...b].filter((c) => c.tenantId === t.id).map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length, 'no connection claimed by both');
      assert.equal(ids.length, many.length);
    });

    test("deleting the tenant deletes its connections, and only its", async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      const c = connection(t.id, 'Okta');
      const kept = connection(other.id, 'Okta');
      await db.store.createSamlConnection(c);
      await db.store.createSamlConnection(kept);
      assert.ok(await db.store.deleteTenant(t.id));
      assert.deepEqual(await db.store.listSamlConnections(t.id), []);
      assert.deepEqual(await db.store.getSamlConnection(other.id, kept.id), kept);
    });
  });
}
