// A request that authenticated a moment before its tenant was deleted (by the admin API or the CLI)
// and then writes: nothing is written, and the answer is a 401 saying why, never a 500 from the
// database's foreign-key check. Made deterministic by holding such a request's context across the
// deletion, as a request in flight holds it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalGroup } from '../../src/provisioning/admin/directory.ts';
import { createGroup } from '../../src/provisioning/groups.ts';
import { deleteTenant, requireTenant } from '../../src/provisioning/tenants/tenants.ts';
import { createUser } from '../../src/provisioning/users.ts';
import { ScimError } from '../../src/scim/errors.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
before(async () => { server = await startTestServer({ tenant: 'doomed-race' }); });
after(async () => { await server?.close(); });

test('a write whose tenant was deleted after it authenticated is a 401 saying so, and writes nothing', async () => {
  const { store } = server.running;
  const tenant = await requireTenant(store, 'doomed-race');
  const ctx = await server.running.provisioning.context(tenant);
  await deleteTenant(store, tenant, 'doomed-race');
  const refused = (err: unknown) => err instanceof ScimError && err.status === 401 && /deleted/.test(err.message);
  await assert.rejects(createUser(ctx, { userName: 'late@example.com' }), refused);
  await assert.rejects(createGroup(ctx, { displayName: 'Late' }), refused);
  await assert.rejects(createLocalGroup(ctx, { displayName: 'Late local' }), refused);
  const rows = await server.query('SELECT count(*) AS n FROM users WHERE tenant_id = ?', [tenant.id]);
  assert.equal(Number(rows[0].n), 0);
});
