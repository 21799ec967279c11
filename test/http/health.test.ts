// The health endpoints as a load balancer or Kubernetes probes them (docs/operations.md, "Health"):
// /healthz answers while the process serves HTTP, whatever the database does; /readyz answers 200
// only while the database answers and holds every migration this build carries, and 503 with a
// reason otherwise. Real server, real database: a migration row removed, a PostgreSQL database
// dropped under the running server, a SQLite schema table gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../support/server.ts';
import { TEST_DATABASE } from '../support/test-database.ts';
import { freshDatabase } from '../../harness/databases.ts';
import { createServer, connect, type Socket } from 'node:net';
import pg from 'pg';
import { PG_ADMIN_URL } from '../../harness/databases.ts';
import { freePort } from '../../harness/processes.ts';
import { READY_TIMEOUT_MS } from '../../src/http/health.ts';

interface Ready { status: string; reason?: string; detail?: string; pending?: string[] }

const probe = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Ready, cache: res.headers.get('cache-control') };
};

test('a serving server is healthy and ready', async () => {
  const server = await startTestServer();
  try {
    assert.deepEqual(await probe(`${server.baseUrl}/healthz`).then((r) => [r.status, r.body]), [200, { status: 'ok' }]);
    assert.deepEqual(await probe(`${server.baseUrl}/readyz`).then((r) => [r.status, r.body]), [200, { status: 'ready' }]);
  } finally { await server.close(); }
});

test('a database whose schema is behind this version (a migration not recorded) is not ready: 503 naming the migration, 200 again once it is', async () => {
  const server = await startTestServer();
  try {
    const [last] = await server.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version DESC LIMIT 1');
    await server.query('DELETE FROM schema_migrations WHERE version = ?', [last.version]);
    const behind = await probe(`${server.baseUrl}/readyz`);
    assert.equal(behind.status, 503);
    assert.equal(behind.body.reason, 'migrationsPending');
    assert.deepEqual(behind.body.pending, [last.name]);
    assert.match(behind.body.detail ?? '', /rollcall migrate/);
    assert.equal(behind.cache, 'no-store');
    assert.equal((await probe(`${server.baseUrl}/healthz`)).status, 200, 'the process itself is still healthy');
    await server.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [last.version, last.name, last.applied_at]);
    assert.equal((await probe(`${server.baseUrl}/readyz`)).status, 200);
  } finally { await server.close(); }
});

test('a database that does not answer makes the server not ready (503 databaseUnavailable) but still healthy; no connection detail is shown', async () => {
  if (TEST_DATABASE === 'postgres') {
    const db = await freshDatabase();
    const server = await startTestServer({ config: { databaseUrl: db.url } });
    try {
      assert.equal((await probe(`${server.baseUrl}/readyz`)).status, 200);
      const name = new URL(db.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      try { await admin.query(`DROP DATABASE ${name} WITH (FORCE)`); } finally { await admin.end(); }
      const gone = await probe(`${server.baseUrl}/readyz`);
      assert.equal(gone.status, 503);
      assert.equal(gone.body.reason, 'databaseUnavailable');
      assert.ok(!JSON.stringify(gone.body).includes(name) && !JSON.stringify(gone.body).includes('127.0.0.1'), JSON.stringify(gone.body));
      assert.equal((await probe(`${server.baseUrl}/healthz`)).status, 200);
    } finally {
      await server.close();
      await db.drop();
    }
  } else {
    // SQLite is a file the process has open: it always "answers". A schema broken under it (the
    // migrations table gone) is what can fail, and is reported the same way.
    const server = await startTestServer();
    try {
      await server.query('DROP TABLE schema_migrations');
      const broken = await probe(`${server.baseUrl}/readyz`);
      assert.equal(broken.status, 503);
      assert.equal(broken.body.reason, 'databaseUnavailable');
      assert.equal((await probe(`${server.baseUrl}/healthz`)).status, 200);
    } finally { await server.close(); }
  }
});

test('a PostgreSQL that stops answering (packets held, nothing refused) makes /readyz answer 503 within its bound, not when the pool gives up', { skip: TEST_DATABASE !== 'postgres' && 'PostgreSQL only' }, async () => {
  const db = await freshDatabase();
  // A TCP proxy in front of PostgreSQL that can hold every byte (a network partition, a frozen host).
  let held = false;
  const sockets = new Set<Socket>();
  const real = new URL(db.url);
  const proxy = createServer((client) => {
    const upstream = connect(Number(real.port || 5432), real.hostname);
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); }
    const relay = (from: Socket, to: Socket) => from.on('data', (d: Buffer) => { if (!held) to.write(d); });
    relay(client, upstream);
    relay(upstream, client);
  });
  const port = await freePort();
  await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
  const via = new URL(db.url);
  via.port = String(port);
  const server = await startTestServer({ config: { databaseUrl: via.toString() } });
  try {
    assert.equal((await probe(`${server.baseUrl}/readyz`)).status, 200);
    held = true;
    const stuck = await probe(`${server.baseUrl}/readyz`);
    assert.equal(stuck.status, 503);
    assert.equal(stuck.body.reason, 'databaseUnavailable');
    // The answer came from readiness's own bound, not from the pool's 5 s connection timeout or
    // the 30 s statement timeout (which would have said the database failed, not that it was late).
    assert.match(stuck.body.detail ?? '', new RegExp(`within ${READY_TIMEOUT_MS} ms`));
    assert.equal((await probe(`${server.baseUrl}/healthz`)).status, 200);
  } finally {
    for (const s of sockets) s.destroy();
    await server.close().catch(() => undefined);
    await new Promise((r) => proxy.close(r));
    await db.drop();
  }
});

test('during a graceful shutdown /readyz answers 503 shuttingDown on a connection still open, while a request in flight is finished', async () => {
  const server = await startTestServer();
  const { scimUrl, token } = await server.createTenant('draining');
  const url = new URL(scimUrl);
  // Two raw keep-alive connections: one sends half a request and holds it in flight across the
  // shutdown; the other is the balancer's probe connection, opened before the shutdown starts.
  const open = () => new Promise<Socket>((resolve, reject) => { const s = connect(Number(url.port), url.hostname, () => resolve(s)); s.once('error', reject); });
  const answer = (s: Socket) => new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => { text += chunk.toString('utf8'); if (/\r\n\r\n[\s\S]*\}$/.test(text)) { s.off('data', onData); resolve(text); } };
    s.on('data', onData);
  });
  const held = await open();
  const probeConnection = await open();
  try {
    const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'late@example.com' });
    held.write(`POST ${url.pathname}/Users HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/scim+json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    const heldAnswer = answer(held);
    // Wait until the server has accepted the held request (it counts as in flight).
    for (let i = 0; i < 200 && server.running.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.running.inFlight, 1);
    const closed = server.running.close();
    probeConnection.write(`GET /readyz HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    const probed = await answer(probeConnection);
    assert.match(probed, /^HTTP\/1\.1 503 /);
    assert.match(probed, /"reason":"shuttingDown"/);
    held.write(body.slice(10));
    assert.match(await heldAnswer, /^HTTP\/1\.1 201 /, 'the request in flight is still answered');
    await closed;
  } finally {
    held.destroy();
    probeConnection.destroy();
    await server.close();
  }
});
