// rc.before on an embedded instance (docs/policies.md "App vetoes"): a veto registered through the
// library refuses the identity provider's SCIM request with the app's message, through a real Fastify
// app with the plugin under /identity; the vendor's own calls of the use cases are not asked about;
// an unknown change kind is refused at once with the exported UnknownChangeKind.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { createRollcall, UnknownChangeKind, type ProposedChange, type Rollcall } from '../../src/library.ts';
import { freePort } from '../../harness/processes.ts';
import { testDatabase } from '../support/test-database.ts';

let db: { url: string; drop: () => Promise<void> };
let rc: Rollcall;
let app: FastifyInstance;
let base: string;

before(async () => {
  db = await testDatabase();
  const port = await freePort();
  base = `http://127.0.0.1:${port}/identity`;
  rc = await createRollcall({ database: db.url, publicUrl: base });
  app = Fastify();
  await app.register(rc.plugin, { prefix: '/identity' });
  await app.listen({ host: '127.0.0.1', port });
});
after(async () => {
  await app?.close();
  await rc?.close();
  await db?.drop();
});

test('rc.before refuses an unknown kind with UnknownChangeKind, naming it', () => {
  assert.throws(() => rc.before('user.deactivated', () => undefined), (e: unknown) => e instanceof UnknownChangeKind && /"user\.deactivated" is not a change kind/.test(e.message));
});

test("rc.before: Okta's deactivation is refused with the veto's message (nothing written); rc.offBefore removes it; the app's own calls are not asked", async () => {
  await rc.tenants.create('acme-veto');
  const { token } = await rc.tokens.issue('acme-veto');
  const scim = async (path: string, method: string, body?: unknown) => {
    const res = await fetch(`${rc.scimUrl('acme-veto')}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  const created = await scim('/Users', 'POST', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@acme.example', active: true });
  assert.equal(created.status, 201);
  const id = created.body.id as string;
  const seen: ProposedChange[] = [];
  const veto = (c: ProposedChange) => { seen.push(c); return { refuse: 'ada@acme.example is on call for Ops until Friday; hand the pager over, then retry.' }; };
  rc.before('user.deactivate', veto);
  const deactivate = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
  const refused = await scim(`/Users/${id}`, 'PATCH', deactivate);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.detail, 'ada@acme.example is on call for Ops until Friday; hand the pager over, then retry.');
  assert.equal((await rc.tenant('acme-veto').users.get(id)).active, true, 'nothing was written');
  assert.deepEqual(seen.map((c) => [c.kinds, c.tenant.slug, c.id]), [[['user.deactivate'], 'acme-veto', id]]);

  // The vendor's own code is not asked (its actor is the library, not the IdP's token).
  await rc.tenant('acme-veto').users.patch(id, { Operations: [{ op: 'replace', path: 'active', value: false }] });
  assert.equal(seen.length, 1);
  await rc.tenant('acme-veto').users.patch(id, { Operations: [{ op: 'replace', path: 'active', value: true }] });

  assert.equal(rc.offBefore('user.deactivate', veto), true);
  assert.equal(rc.offBefore('user.deactivate', veto), false);
  const ok = await scim(`/Users/${id}`, 'PATCH', deactivate);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.active, false);
});
