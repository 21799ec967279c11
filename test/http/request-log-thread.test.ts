// Where the SCIM request log is written from (provisioning/request-log/writer-thread.ts): on a
// SQLite file, a thread of its own writing the log's own file; from the serving thread when asked,
// in memory and on PostgreSQL; and, when the thread fails, from the serving thread with nothing lost.
// Each case through the real server, the real database files and a real worker thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULTS } from '../../src/config/config.ts';
import { systemClock } from '../../src/provisioning/clock.ts';
import { RequestLog, type CapturedRequest } from '../../src/provisioning/request-log/recorder.ts';
import { WriterThread } from '../../src/provisioning/request-log/writer-thread.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { startTestServer } from '../support/server.ts';
import { TEST_DATABASE } from '../support/test-database.ts';

const onSqlite = { skip: TEST_DATABASE !== 'sqlite' ? 'the writer thread is for SQLite files' : false };

async function createUsers(scimUrl: string, token: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${scimUrl}/Users`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [USER_SCHEMA], userName: `thread${i}@example.com`, password: `Secret-${i}-pw` }),
    });
    assert.equal(res.status, 201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

test('on a SQLite file the log is written by its thread into its own file, redacted, and the last requests are written on close', onSqlite, async () => {
  const server = await startTestServer();
  let closed = false;
  try {
    assert.deepEqual(server.running.requestLog.mode, { thread: 'worker' });
    const ids = await createUsers(server.scimUrl, server.token, 5);
    await server.running.requestLog.flush();
    const rows = await server.queryRequestLog('SELECT method, status, resource_id, request_body FROM request_log ORDER BY seq');
    assert.deepEqual(rows.map((r) => [r.method, r.status, r.resource_id]), ids.map((id) => ['POST', 201, id]));
    for (const r of rows) assert.match(String(r.request_body), /"password":"\[redacted\]"/, 'redacted in the thread as on the serving thread');
    // Answered, perhaps not yet flushed when the server closes: close() writes it before the thread stops.
    const res = await fetch(`${server.scimUrl}/Users/${ids[0]}`, { headers: { authorization: `Bearer ${server.token}` } });
    assert.equal(res.status, 200);
    await server.running.close();
    closed = true;
    const log = new Database(server.running.store.requestLogFile, { readonly: true });
    try {
      assert.equal(log.prepare(`SELECT count(*) FROM request_log WHERE method = 'GET' AND resource_id = ?`).pluck().get(ids[0]), 1);
    } finally { log.close(); }
  } finally {
    if (!closed) await server.close();
  }
});

test('ROLLCALL_REQUEST_LOG_THREAD=main writes from the serving thread; so does an in-memory database', onSqlite, async () => {
  const main = await startTestServer({ config: { requestLog: { ...DEFAULTS.requestLog, thread: 'main' } } });
  try {
    assert.deepEqual(main.running.requestLog.mode, { thread: 'main', reason: 'ROLLCALL_REQUEST_LOG_THREAD=main' });
    const [id] = await createUsers(main.scimUrl, main.token, 1);
    await main.running.requestLog.flush();
    assert.deepEqual(await main.queryRequestLog('SELECT resource_id FROM request_log'), [{ resource_id: id }]);
  } finally {
    await main.close();
  }
  const memory = await startTestServer({ config: { databaseUrl: 'sqlite::memory:' } });
  try {
    assert.equal(memory.running.requestLog.mode.thread, 'main');
    assert.match(memory.running.requestLog.mode.reason ?? '', /table of the main database/);
  } finally {
    await memory.close();
  }
});

test('a writer thread that fails hands its batch back: it is written from the serving thread, and so is every batch after it', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'rollcall-log-')), 'rollcall.db');
  const store = await SqliteStore.open({ filename: file });
  const tenant = { id: 't-acme', slug: 'acme', name: 'Acme', createdAt: new Date().toISOString() };
  await store.createTenant(tenant);
  const warnings: string[] = [];
  // A thread whose file cannot be opened (a path under a file): it fails on its first batch.
  const thread = new WriterThread({ filename: join(file, 'not-a-directory', 'log'), busyTimeoutMs: 100, rows: DEFAULTS.requestLog });
  const log = new RequestLog({ store, clock: systemClock, config: DEFAULTS.requestLog, thread, log: { warn: (_obj, msg) => warnings.push(msg) } });
  const captured = (n: number): CapturedRequest => ({
    atMs: Date.now(), tenantId: tenant.id, tenantSlug: tenant.slug, method: 'GET', path: `/scim/v2/acme/Users/u${n}`, filter: null, status: 200,
    scimType: null, detail: null, reason: null, latencyMs: 1, requestId: `req-${n}`, tokenId: 'tok', userAgent: 'test', resourceType: 'User',
    resourceId: `u${n}`, requestBody: undefined, requestSize: 0, responseBody: '{"id":"u"}', responseSize: 10,
  });
  try {
    assert.deepEqual(log.mode, { thread: 'worker' });
    log.record(captured(1));
    await log.flush();
    log.record(captured(2));
    await log.flush();
    assert.deepEqual((await store.listRequestLog(tenant.id, {}, { limit: 10 })).map((r) => r.requestId), ['req-2', 'req-1']);
    assert.deepEqual(log.stats, { recorded: 2, writtenRows: 2, dropped: 0 });
    assert.equal(log.mode.thread, 'main');
    assert.match(log.mode.reason ?? '', /could not open/);
    assert.deepEqual(warnings, ['SCIM request log: its writer thread failed; writing from the thread serving requests from now on']);
  } finally {
    await log.stop();
    await store.close();
  }
});
