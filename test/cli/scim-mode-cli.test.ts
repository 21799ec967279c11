// `rollcall tenant scim-disable` and `scim-enable` (docs/policies.md "SCIM mode"), run as processes
// on the database a running server uses (SQLite, or PostgreSQL with ROLLCALL_TEST_DATABASE=postgres):
// a wrong confirmation word changes nothing; DISABLE makes the IdP's users local and stops the token
// on the server at once; no token can be created while disabled; scim-enable prints a new token
// that works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.ts';
import { startServer, type Running } from '../../src/main.ts';
import { freePort, runCli } from '../../harness/processes.ts';
import { testDatabase } from '../support/test-database.ts';

/** The CLI as its own process on this test's database (harness/processes.ts). */
const rollcall = (args: string[]) => runCli([...args, '--db', dbUrl]);

let dbUrl: string;
let drop: (() => Promise<void>) | undefined;
let running: Running | undefined;
before(async () => {
  const db = await testDatabase();
  dbUrl = db.url;
  drop = db.drop;
});
after(async () => {
  await running?.close();
  await drop?.();
});

test('scim-disable (with DISABLE) and scim-enable from the CLI, against a running server', async () => {
  assert.equal((await rollcall(['migrate'])).code, 0);
  const created = await rollcall(['tenant', 'create', 'acme', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const { token } = JSON.parse(created.stdout) as { token: string };
  running = await startServer(loadConfig({ databaseUrl: dbUrl, port: await freePort(), host: '127.0.0.1', logLevel: 'silent' }, {}), { logger: false });
  const users = `${running.url}/scim/v2/acme/Users`;
  const post = await fetch(users, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'ada@acme.example' }) });
  assert.equal(post.status, 201);
  const adaId = ((await post.json()) as { id: string }).id;

  const wrong = await rollcall(['tenant', 'scim-disable', 'acme', '--confirm', 'disable']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /typing the word DISABLE/);
  assert.equal((await fetch(users, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'a wrong word changes nothing');

  const off = await rollcall(['tenant', 'scim-disable', 'acme', '--confirm', 'DISABLE']);
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /SCIM disabled for acme: 1 user\(s\) and 0 group\(s\) are now local, 1 token\(s\) revoked/);
  assert.equal((await fetch(users, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'the token stops working on the server');
  const store = running.store;
  const tenant = (await store.findTenantBySlug('acme'))!;
  assert.equal(tenant.scimEnabled, false);
  const ada = (await store.getUser(tenant.id, adaId))!;
  assert.equal(ada.origin, 'local');
  assert.equal(ada.status, 'active');

  const refused = await rollcall(['token', 'create', 'acme']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /SCIM is disabled for tenant "acme"/);

  const on = await rollcall(['tenant', 'scim-enable', 'acme', '--json']);
  assert.equal(on.code, 0, on.stderr);
  const enabled = JSON.parse(on.stdout) as { token: string; invitationsRevoked: number };
  assert.equal(enabled.invitationsRevoked, 0);
  const list = await fetch(users, { headers: { authorization: `Bearer ${enabled.token}` } });
  assert.equal(list.status, 200);
  assert.equal(((await list.json()) as { totalResults: number }).totalResults, 1);
});
