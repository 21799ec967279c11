// The SCIM request log's own SQLite file (request-log-file.ts): where it is, that the main file
// holds no log, that rows a Rollcall before this one kept in the main file are moved over once and
// nothing is lost, that another connection (a second process, the writer thread) shares it, and that
// a file from a newer Rollcall is refused in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { NewRequestLogEntry } from '../store.ts';
import { openRequestLogFile, RequestLogFile, requestLogFilename, resourceIndexInOrder } from './request-log-file.ts';
import { SqliteStore } from './sqlite-store.ts';

const scratch = () => join(mkdtempSync(join(tmpdir(), 'rollcall-log-')), 'rollcall.db');
const tables = (file: string) => {
  const db = new Database(file, { readonly: true });
  try { return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]); } finally { db.close(); }
};
const entry = (tenantId: string, n: number): NewRequestLogEntry => ({
  tenantId, at: new Date(Date.UTC(2026, 2, 1, 12, n)).toISOString(), method: 'PATCH', path: `/scim/v2/acme/Users/u${n}`, filter: null,
  status: 200, scimType: null, detail: null, reason: null, latencyMs: 2.5, requestId: `req-${n}`, tokenId: 'tok_1', userAgent: 'Okta SCIM Client 1.0.0',
  resourceType: 'User', resourceId: `u${n}`, requestBody: { text: '{"Operations":[]}', size: 17, truncated: false },
  responseBody: { text: '{"id":"u"}', size: 10, truncated: false },
});
const tenant = { id: 't-acme', slug: 'acme', name: 'Acme', createdAt: '2026-03-01T00:00:00.000Z' };

/**
 * The layout before the log had a file of its own: the tenant, and the table in the main database
 * with three of its rows (req-1 … req-3). Returns their seqs.
 */
async function oldLayout(file: string): Promise<number[]> {
  const first = await SqliteStore.open({ filename: file });
  await first.createTenant(tenant);
  await first.close();
  const old = new Database(file);
  try {
    old.exec(`CREATE TABLE request_log (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, at TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, filter TEXT,
      status INTEGER NOT NULL, scim_type TEXT, detail TEXT, reason TEXT, latency_ms REAL NOT NULL, request_id TEXT NOT NULL, token_id TEXT, user_agent TEXT,
      resource_type TEXT, resource_id TEXT, request_body TEXT, request_size INTEGER NOT NULL, request_truncated INTEGER NOT NULL, response_body TEXT,
      response_size INTEGER NOT NULL, response_truncated INTEGER NOT NULL)`);
    new RequestLogFile(old).append([1, 2, 3].map((n) => entry(tenant.id, n)));
    return old.prepare('SELECT seq FROM request_log ORDER BY seq').pluck().all() as number[];
  } finally {
    old.close();
  }
}

test('on a file database the log is a file of its own beside it, and the main file holds no log', async () => {
  const file = scratch();
  const store = await SqliteStore.open({ filename: file });
  try {
    assert.equal(store.requestLogFile, `${file}-requests`);
    await store.createTenant(tenant);
    await store.appendRequestLog([entry(tenant.id, 1)]);
    assert.ok(!tables(file).includes('request_log'), 'no request_log table in the main file');
    assert.deepEqual(new Database(store.requestLogFile, { readonly: true }).prepare('SELECT request_id FROM request_log').pluck().all(), ['req-1']);
  } finally {
    await store.close();
  }
  const memory = await SqliteStore.open({ filename: ':memory:' });
  assert.equal(memory.requestLogFile, undefined, 'in memory the log stays a table of the one database');
  await memory.close();
});

test('rows kept in the main file by an earlier Rollcall are moved to the log file once, in order, none lost', async () => {
  const file = scratch();
  await oldLayout(file);

  const store = await SqliteStore.open({ filename: file });
  try {
    const rows = await store.listRequestLog(tenant.id, {}, { limit: 10 });
    assert.deepEqual(rows.map((r) => r.requestId), ['req-3', 'req-2', 'req-1'], 'newest first, as before');
    const { seq: _seq, ...withBodies } = (await store.getRequestLogEntry(tenant.id, rows[2].seq))!;
    assert.deepEqual(withBodies, entry(tenant.id, 1), 'field for field, bodies included');
    assert.ok(!tables(file).includes('request_log'), 'the old table is gone from the main file');
  } finally {
    await store.close();
  }
  // Opening again moves nothing twice.
  const again = await SqliteStore.open({ filename: file });
  try {
    assert.equal((await again.listRequestLog(tenant.id, {}, { limit: 10 })).length, 3);
  } finally {
    await again.close();
  }
});

test('two stores on one database share its log file (a second process, the CLI); deleting a tenant empties its log', async () => {
  const file = scratch();
  const a = await SqliteStore.open({ filename: file });
  const b = await SqliteStore.open({ filename: file });
  try {
    await a.createTenant(tenant);
    const other = { ...tenant, id: 't-other', slug: 'other' };
    await a.createTenant(other);
    await a.appendRequestLog(Array.from({ length: 2500 }, (_, n) => entry(tenant.id, n)));
    await b.appendRequestLog([entry(other.id, 1)]);
    assert.equal((await b.listRequestLog(tenant.id, {}, { limit: 5000 })).length, 2500, "b reads what a wrote");
    await b.deleteTenant(tenant.id);
    assert.deepEqual(await a.listRequestLog(tenant.id, {}, { limit: 10 }), [], 'every row of the deleted tenant is gone, past one batch of deletes');
    assert.equal((await a.listRequestLog(other.id, {}, { limit: 10 })).length, 1, "another tenant's rows stay");
  } finally {
    await a.close();
    await b.close();
  }
});

test('a log file written by a newer Rollcall is refused, naming the file; without it the database opens again', async () => {
  const file = scratch();
  const log = new Database(requestLogFilename(file));
  log.pragma('user_version = 99');
  log.close();
  await assert.rejects(SqliteStore.open({ filename: file }), (e: Error) => e.message.includes(requestLogFilename(file)) && /newer Rollcall/.test(e.message));
  assert.throws(() => openRequestLogFile(requestLogFilename(file), 100), /request log schema 99/);
  // The refused start left no connection open: the file can be removed (an operator's way out) and
  // the next start creates an empty log.
  rmSync(requestLogFilename(file));
  const store = await SqliteStore.open({ filename: file });
  try {
    assert.equal(new Database(requestLogFilename(file), { readonly: true }).pragma('user_version', { simple: true }), 1);
  } finally {
    await store.close();
  }
});

test('a copy of the old rows interrupted before the old table was dropped is finished once, keeping every row\'s id', async () => {
  const file = scratch();
  // The old table with three rows, and a log file that already holds the first of them with its
  // seq: what a crash between the copy's commit and the drop leaves.
  const oldSeqs = await oldLayout(file);
  const log = new Database(requestLogFilename(file));
  log.prepare('DELETE FROM request_log').run();
  log.prepare(`INSERT INTO request_log (seq, tenant_id, at, method, path, status, latency_ms, request_id, request_size, request_truncated, response_size, response_truncated)
    VALUES (?, ?, ?, 'PATCH', '/x', 200, 1, 'req-1', 0, 0, 0, 0)`).run(oldSeqs[0], tenant.id, entry(tenant.id, 1).at);
  log.close();

  const store = await SqliteStore.open({ filename: file });
  try {
    const rows = await store.listRequestLog(tenant.id, {}, { limit: 10 });
    assert.deepEqual(rows.map((r) => r.requestId), ['req-3', 'req-2', 'req-1'], 'each row once');
    assert.deepEqual(rows.map((r) => r.seq).reverse(), oldSeqs, 'the ids given out before the upgrade still name the same rows');
    assert.ok(!tables(file).includes('request_log'));
  } finally {
    await store.close();
  }
});

test('a log file whose index of writes is keyed by resource (before PostgreSQL\'s migration 015) is rekeyed on open, keeping its rows, its lists by resource and its schema version', async () => {
  const file = scratch();
  const first = await SqliteStore.open({ filename: file });
  await first.createTenant(tenant);
  await first.close();
  // What Rollcall before the rekeying left: the index by (tenant_id, resource_id, seq), and two rows.
  const v1 = new Database(requestLogFilename(file));
  v1.exec(`DROP INDEX request_log_resource;
    CREATE INDEX request_log_resource ON request_log (tenant_id, resource_id, seq) WHERE resource_id IS NOT NULL AND (method <> 'GET' OR status >= 400);`);
  new RequestLogFile(v1).append([entry(tenant.id, 1), entry(tenant.id, 2)]);
  v1.close();
  const indexColumns = () => {
    const db = new Database(requestLogFilename(file), { readonly: true });
    try {
      return { version: db.pragma('user_version', { simple: true }), columns: (db.pragma('index_info(request_log_resource)') as { name: string }[]).map((c) => c.name) };
    } finally { db.close(); }
  };
  assert.deepEqual(indexColumns(), { version: 1, columns: ['tenant_id', 'resource_id', 'seq'] });
  const store = await SqliteStore.open({ filename: file });
  try {
    assert.deepEqual(indexColumns(), { version: 1, columns: ['tenant_id', 'seq', 'resource_id'] }, 'keyed in the order rows arrive; the version a rolled-back Rollcall checks is unchanged');
    assert.deepEqual((await store.listRequestLog(tenant.id, { resourceId: 'u2' }, { limit: 10 })).map((r) => r.requestId), ['req-2']);
    assert.deepEqual((await store.listRequestLog(tenant.id, {}, { limit: 10 })).map((r) => r.requestId), ['req-2', 'req-1'], 'no row was lost');
  } finally {
    await store.close();
  }
});

test('rekeying the index of writes is done once and only where it is needed (an in-memory database keeps its log in the main database)', () => {
  const db = new Database(':memory:');
  try {
    const columns = () => (db.pragma('index_info(request_log_resource)') as { name: string }[]).map((c) => c.name);
    resourceIndexInOrder(db);
    assert.deepEqual(columns(), [], 'no request_log table: nothing made');
    db.exec(`CREATE TABLE request_log (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, method TEXT NOT NULL, status INTEGER NOT NULL, resource_id TEXT);
      CREATE INDEX request_log_resource ON request_log (tenant_id, resource_id, seq) WHERE resource_id IS NOT NULL AND (method <> 'GET' OR status >= 400);
      INSERT INTO request_log (tenant_id, method, status, resource_id) VALUES ('t', 'PATCH', 200, 'u1');`);
    resourceIndexInOrder(db);
    assert.deepEqual(columns(), ['tenant_id', 'seq', 'resource_id']);
    const sqlOf = () => db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'request_log_resource'`).pluck().get();
    const before = sqlOf();
    resourceIndexInOrder(db);
    assert.equal(sqlOf(), before, 'in order already: left as it is');
    assert.equal(db.prepare(`SELECT count(*) FROM request_log INDEXED BY request_log_resource WHERE tenant_id = 't' AND resource_id = 'u1' AND resource_id IS NOT NULL AND (method <> 'GET' OR status >= 400)`).pluck().get(), 1);
  } finally {
    db.close();
  }
});
