// Faults: a process killed with SIGKILL under write load leaves no half-applied request and the
// others keep serving; a database that goes away gives 503 + Retry-After, and service comes back
// by itself when the database does. Each runs on the database this run tests: the SQLite pass
// kills the one process on a file; the PostgreSQL pass (ROLLCALL_TEST_DATABASE=postgres) kills one
// of three processes sharing a database, and cuts the database away (SQLite cannot go away).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createTenantCli, freePort, startProcess, type RollcallProcess } from '../../harness/processes.ts';
import { pool } from '../support/pool.ts';
import { TEST_DATABASE, testDatabase } from '../support/test-database.ts';
import { assertScimError } from '../support/scim-errors.ts';
import { GROUP_SCHEMA as GROUP, USER_SCHEMA as USER } from '../../src/scim/schemas/core.ts';
import { PATCH_SCHEMA as PATCH } from '../../src/scim/patch.ts';

const GROUPS = 24;
const BATCH = 10;

type Call = (proc: RollcallProcess, method: string, path: string, body?: unknown) => Promise<{ status: number; body: any; headers: Headers }>;

function caller(token: string, slug: string): Call {
  return async (proc, method, path, body) => {
    const res = await fetch(`${proc.url}/scim/v2/${slug}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
}

/**
 * Every write replaces a group's members with batch k and sets externalId to "k" in one request.
 * A half-applied request would leave members that are not exactly batch <externalId>.
 */
async function killUnderLoad(dbUrl: string, processCount: number) {
  const token = createTenantCli(dbUrl, 'crash');
  const call = caller(token, 'crash');
  let procs = await Promise.all(Array.from({ length: processCount }, () => startProcess(dbUrl)));
  try {
    const users: string[] = [];
    await pool([...Array(GROUPS * BATCH * 2).keys()], 32, async (i) => {
      const r = await call(procs[0], 'POST', '/Users', { schemas: [USER], userName: `crash-${i}` });
      users[i] = r.body.id;
    });
    const batch = (k: number) => users.slice((k % (users.length / BATCH)) * BATCH, (k % (users.length / BATCH)) * BATCH + BATCH);
    const groups: string[] = [];
    for (let j = 0; j < GROUPS; j++) groups.push((await call(procs[0], 'POST', '/Groups', { schemas: [GROUP], displayName: `crash-group-${j}` })).body.id);

    const victim = procs[0];
    const survivors = procs.slice(1);
    let stop = false;
    let killedAt = 0;
    const survivorFailures: string[] = [];
    const writer = async (j: number) => {
      for (let k = 0; !stop; k++) {
        const target = survivors.length && k % 2 ? survivors[k % survivors.length] : victim;
        try {
          const r = await call(target, 'PATCH', `/Groups/${groups[j]}?attributes=id`, {
            schemas: [PATCH], Operations: [
              { op: 'replace', path: 'members', value: batch(k + j).map((value) => ({ value })) },
              { op: 'replace', path: 'externalId', value: String(k + j) },
            ],
          });
          if (target !== victim && killedAt && r.status !== 200) survivorFailures.push(`${r.status} ${JSON.stringify(r.body)}`);
        } catch (err) {
          if (target !== victim) survivorFailures.push(String(err));
          else await new Promise((r) => setTimeout(r, 20)); // the victim is gone
        }
      }
    };
    const writers = groups.map((_, j) => writer(j));
    await new Promise((r) => setTimeout(r, 1500));
    victim.child.kill('SIGKILL');
    killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(writers);
    assert.deepEqual(survivorFailures.slice(0, 3), [], 'the surviving processes kept serving');

    if (!survivors.length) procs = [await startProcess(dbUrl), ...procs.slice(1)]; // SQLite: restart on the same file
    const reader = procs[procs.length - 1] === victim ? procs[0] : procs[procs.length - 1];
    for (const id of groups) {
      const g = (await call(reader, 'GET', `/Groups/${id}`)).body;
      const members = (g.members ?? []).map((m: { value: string }) => m.value).sort();
      if (g.externalId === undefined) { assert.deepEqual(members, [], `group ${g.displayName} was never written`); continue; }
      assert.deepEqual(members, batch(Number(g.externalId)).sort(), `group ${g.displayName}: members are exactly batch ${g.externalId}`);
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/** The `skip` option of a test that needs this database: false when this run tests it, else why it is skipped. */
const needs = (db: 'sqlite' | 'postgres') => (TEST_DATABASE === db ? false : `runs in the ${db === 'sqlite' ? 'SQLite' : 'PostgreSQL (ROLLCALL_TEST_DATABASE=postgres)'} pass`);

describe('kill -9 under write load', () => {
  test('SQLite, one process: after a restart every group is exactly one whole write', { skip: needs('sqlite') }, async () => {
    const db = await testDatabase();
    try { await killUnderLoad(db.url, 1); } finally { await db.drop(); }
  });
  test('PostgreSQL, three processes: survivors keep serving, no half-applied request', { skip: needs('postgres') }, async () => {
    const db = await testDatabase();
    try { await killUnderLoad(db.url, 3); } finally { await db.drop(); }
  });
});

/** A TCP proxy in front of PostgreSQL that the test can cut and restore. */
class CuttableProxy {
  private server?: Server;
  private sockets = new Set<Socket>();
  constructor(readonly port: number, private readonly target: { host: string; port: number }) {}
  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); s.on('error', () => s.destroy()); }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

describe('the database goes away and comes back', { skip: needs('postgres') }, () => {
  let proxy: CuttableProxy | undefined;
  let proc: RollcallProcess | undefined;
  let call: Call;
  let drop = async () => {};
  before(async () => {
    const db = await testDatabase();
    drop = db.drop;
    const real = new URL(db.url);
    proxy = new CuttableProxy(await freePort(), { host: real.hostname, port: Number(real.port || 5432) });
    await proxy.up();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    // Directly, not through the proxy: the CLI runs synchronously and the proxy lives in this process.
    call = caller(createTenantCli(db.url, 'outage'), 'outage');
    proc = await startProcess(viaProxy.toString(), { ROLLCALL_RETRY_AFTER_SECONDS: '7' });
  });
  after(async () => {
    await proc?.stop();
    await proxy?.down().catch(() => undefined);
    await drop();
  });

  test('503 with an integer Retry-After while it is gone; service resumes without a restart', async () => {
    assert.ok(proc && proxy);
    const created = await call(proc, 'POST', '/Users', { schemas: [USER], userName: 'before-outage' });
    assert.equal(created.status, 201);

    await proxy.down();
    for (const [method, path, body] of [
      ['GET', '/Users'], ['GET', `/Users/${created.body.id}`],
      ['POST', '/Users', { schemas: [USER], userName: 'during-outage' }],
      ['PATCH', `/Users/${created.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] }],
    ] as const) {
      const started = Date.now();
      const r: Awaited<ReturnType<Call>> = await call(proc, method, path, body).catch((err: unknown) => {
        throw new Error(`${method} ${path} failed; rollcall said: ${proc!.output().slice(-2000)}`, { cause: err });
      });
      assertScimError(r, 503, undefined, /database is unavailable/);
      assert.equal(r.headers.get('retry-after'), '7');
      assert.ok(Date.now() - started < 10_000, 'answered promptly, not hung');
    }

    await proxy.up();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await call(proc, 'GET', '/Users')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, 'service resumed by itself');
    const after = await call(proc, 'POST', '/Users', { schemas: [USER], userName: 'after-outage' });
    assert.equal(after.status, 201);
    const list = await call(proc, 'GET', '/Users');
    assert.deepEqual(list.body.Resources.map((u: { userName: string }) => u.userName).sort(), ['after-outage', 'before-outage'], 'nothing was half-written during the outage');
    assert.equal(proc.child.exitCode, null, 'the process never died');
  });
});
