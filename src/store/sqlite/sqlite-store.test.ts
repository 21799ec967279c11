import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../contract/store-contract.ts';
import { SqliteStore } from './sqlite-store.ts';

storeContract('sqlite (file)', () => SqliteStore.open({ filename: join(mkdtempSync(join(tmpdir(), 'rollcall-store-')), 'contract.db') }));
storeContract('sqlite (:memory:)', () => SqliteStore.open({ filename: ':memory:' }));

test("authStamp moves when another connection (the CLI, a second process) changes the file's tokens", async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'rollcall-store-')), 'stamp.db');
  const server = await SqliteStore.open({ filename: file });
  const cli = await SqliteStore.open({ filename: file });
  try {
    const t = { id: 't1', slug: 'acme', name: 'Acme', createdAt: new Date().toISOString() };
    await cli.createTenant(t);
    await cli.createToken({ id: 'tok_1', tenantId: t.id, name: null, hash: 'ef'.repeat(32), hint: 'abcd', createdAt: t.createdAt, expiresAt: null, revokedAt: null, lastUsedAt: null });
    const stamp = server.authStamp();
    assert.equal(server.authStamp(), stamp, 'unchanged while nothing is written');
    await cli.revokeToken(t.id, 'tok_1', new Date().toISOString());
    assert.notEqual(server.authStamp(), stamp, "the other connection's commit is seen at once");
  } finally {
    await server.close();
    await cli.close();
  }
  assert.equal(cli.authStamp(), undefined, 'a closed store cannot vouch for anything');
});
