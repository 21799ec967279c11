// Slow queries are logged with their SQL text only: never the bound values (tokens, user data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTenantCli, startProcess } from '../../harness/processes.ts';

test('with ROLLCALL_SLOW_QUERY_MS=0 every query is logged, without their parameters', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-slow-'));
  const db = `sqlite:${join(dir, 'r.db')}`;
  const token = createTenantCli(db, 'slow');
  const proc = await startProcess(db, { ROLLCALL_SLOW_QUERY_MS: '0' });
  try {
    const secretName = 'secret-person-4711@example.com';
    for (let i = 0; i < 30; i++) {
      await fetch(`${proc.url}/scim/v2/slow/Users?filter=${encodeURIComponent(`userName eq "${secretName}"`)}`, { headers: { authorization: `Bearer ${token}` } });
    }
    await new Promise((r) => setTimeout(r, 200));
    const log = proc.output();
    assert.match(log, /"msg":"slow query"/);
    assert.match(log, /"sql":"(SELECT|UPDATE|INSERT|DELETE) /i);
    assert.ok(!log.includes(token), 'the token never reaches the log');
    assert.ok(!log.includes(token.slice(4, 30)), 'nor part of it');
    assert.ok(!log.includes(secretName), 'nor bound values');
  } finally {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
