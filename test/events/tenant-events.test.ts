// tenant.* and token.* events (issue 10, item 1): every tenant and token change through the admin
// API, the CLI or the vendor's code writes its events and its audit entry in the change's own
// transaction, naming who acted and the request; a refused change writes neither; a tenant's
// deletion event outlives the tenant; no token secret or hash is ever in an event or audit entry.
// Runs on SQLite and (ROLLCALL_TEST_DATABASE=postgres) PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { ROLLCALL } from '../../harness/processes.ts';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { useCases } from '../../src/provisioning/use-cases.ts';
import type { EventRecord } from '../../src/store/store.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let server: AdminTestServer;
let n = 0;
const newSlug = (p: string) => `${p}-${process.pid}-${++n}`;
/** Every token secret the tests saw: none may appear in any stored event or audit entry. */
const secrets: string[] = [];

before(async () => { server = await startAdminServer(); secrets.push(server.token); });
after(async () => { await server?.close(); });

/** A request with its own request id, so the events can be checked for it. */
async function act(method: string, path: string, body?: unknown) {
  const requestId = `req-${process.pid}-${++n}`;
  const res = await server.admin(method, path, { body, headers: { 'x-request-id': requestId } });
  return { res, requestId };
}

/**
 * The tenant's events in commit order, once at least `atLeast` are readable: on PostgreSQL the
 * sequencer positions an event only when no older transaction is still running (store/sql/events.ts),
 * so a reader may have to ask again (a bounded wait, never a timed assertion).
 */
async function eventsOf(tenantId: string, atLeast: number): Promise<EventRecord[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await server.running.store.sequenceEvents();
    const events = await server.running.store.readEvents({ tenantId, limit: 1000 });
    if (events.length >= atLeast || Date.now() > deadline) return events;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function auditOf(tenantId: string) {
  return server.query('SELECT * FROM audit_log WHERE tenant_id = ? ORDER BY id', [tenantId]);
}

const adminActor = () => ({ type: 'adminKey', id: server.adminKeyId, name: 'test admin' });

test('each tenant and token action of the admin API writes exactly its events, in order, naming the admin key and the request id', async () => {
  const slug = newSlug('evt');
  const created = await act('POST', '/tenants', { slug, name: 'Acme' });
  assert.equal(created.res.status, 201, created.res.text);
  const tenantId: string = created.res.body.id;
  const tenant = { id: tenantId, slug, name: 'Acme' };

  const renamed = await act('PATCH', `/tenants/${slug}`, { name: 'Acme Inc' });
  assert.equal(renamed.res.status, 200, renamed.res.text);
  const issued = await act('POST', `/tenants/${slug}/tokens`, { name: 'Okta', expiresIn: '30d' });
  assert.equal(issued.res.status, 201, issued.res.text);
  secrets.push(issued.res.body.token);
  const oldExpiresAt = new Date(Date.now() + 3_600_000).toISOString();
  const rotated = await act('POST', `/tenants/${slug}/tokens/${issued.res.body.id}/rotate`, { oldExpiresAt });
  assert.equal(rotated.res.status, 201, rotated.res.text);
  secrets.push(rotated.res.body.token);
  const revoked = await act('DELETE', `/tenants/${slug}/tokens/${issued.res.body.id}`);
  assert.equal(revoked.res.status, 204, revoked.res.text);

  const events = await eventsOf(tenantId, 5);
  assert.deepEqual(events.map((e) => e.type), ['tenant.created', 'tenant.updated', 'token.created', 'token.rotated', 'token.revoked']);
  assert.deepEqual(events.map((e) => e.requestId), [created, renamed, issued, rotated, revoked].map((a) => a.requestId));
  for (const e of events) {
    assert.deepEqual(e.actor, adminActor(), e.type);
    assert.equal(e.tenantSlug, slug);
    assert.match(e.id, /^evt_/);
  }
  assert.deepEqual(events.map((e) => e.tenantPosition), [1, 2, 3, 4, 5], 'gap-free within the tenant');

  const [c, u, tc, tr, tv] = events.map((e) => e.data as Record<string, any>);
  assert.deepEqual(c, { tenant });
  assert.deepEqual(u, { tenant: { ...tenant, name: 'Acme Inc' }, changedFields: ['name'] });
  const token = { id: issued.res.body.id, name: 'Okta', hint: issued.res.body.token.slice(-4), createdAt: issued.res.body.createdAt, expiresAt: issued.res.body.expiresAt, revokedAt: null };
  assert.deepEqual(tc, { token });
  assert.equal(tr.token.id, rotated.res.body.id, 'the new token');
  assert.equal(tr.token.name, 'Okta');
  assert.deepEqual(tr.previous, { ...token, expiresAt: oldExpiresAt }, 'the old token with its new expiry');
  assert.equal(tv.token.id, token.id);
  assert.equal(typeof tv.token.revokedAt, 'string');

  // The audit entries went with them, one per action, with the same request ids.
  const entries = await auditOf(tenantId);
  assert.deepEqual(entries.map((a) => a.action), ['tenant.create', 'tenant.update', 'token.create', 'token.rotate', 'token.revoke']);
  assert.deepEqual(entries.map((a) => a.request_id), events.map((e) => e.requestId));
  assert.ok(entries.every((a) => a.key_id === server.adminKeyId));
});

test('a refused action writes no event and no audit entry: a taken slug, an unknown or revoked token, a missing confirmation', async () => {
  const slug = newSlug('refused');
  const created = await act('POST', '/tenants', { slug });
  const tenantId: string = created.res.body.id;
  const issued = (await act('POST', `/tenants/${slug}/tokens`, {})).res.body;
  secrets.push(issued.token);
  assert.equal((await act('DELETE', `/tenants/${slug}/tokens/${issued.id}`)).res.status, 204);
  assert.equal((await eventsOf(tenantId, 3)).length, 3);
  // Counted in the table itself, positioned or not: a refused action must not have written one at all.
  const stored = async () => Number((await server.query('SELECT count(*) AS n FROM events WHERE tenant_id = ?', [tenantId]))[0].n);
  const before = { events: await stored(), audit: (await auditOf(tenantId)).length };
  assert.equal(before.events, 3);

  expectProblem((await act('POST', '/tenants', { slug, name: 'Again' })).res, 409, { field: 'slug' });
  expectProblem((await act('POST', `/tenants/${slug}/tokens/${issued.id}/rotate`, {})).res, 409);
  expectProblem((await act('DELETE', `/tenants/${slug}/tokens/${issued.id}`)).res, 409);
  expectProblem((await act('DELETE', `/tenants/${slug}/tokens/tok_000000000000`)).res, 404);
  expectProblem((await act('POST', `/tenants/${slug}/tokens/tok_000000000000/rotate`, {})).res, 404);
  expectProblem((await act('DELETE', `/tenants/${slug}?confirm=wrong`)).res, 400, { field: 'confirm' });
  expectProblem((await act('PATCH', `/tenants/${slug}`, { name: '   ' })).res, 400, { field: 'name' });

  assert.equal(await stored(), before.events, 'no event');
  assert.equal((await auditOf(tenantId)).length, before.audit, 'no audit entry');
  // Nor under any other tenant id: the taken slug's attempt wrote nothing anywhere.
  const stray = await server.query("SELECT count(*) AS n FROM events WHERE tenant_slug = ? AND tenant_id <> ?", [slug, tenantId]);
  assert.equal(Number(stray[0].n), 0);
});

test('a change whose audit entry or events cannot be written is not made: the three commit together or not at all', async () => {
  const store = server.running.store;
  const slug = newSlug('atomic');
  const [taken] = await auditOf((await act('POST', '/tenants', { slug: newSlug('first') })).res.body.id);
  // An audit entry whose id is already taken makes the record's write fail inside the transaction.
  const clash = {
    audit: { id: taken.id as string, at: new Date().toISOString(), keyId: null, keyName: null, action: 'tenant.create', tenantId: null, targetType: 'tenant', targetId: null, summary: {}, requestId: null },
    events: [],
  };
  await assert.rejects(store.createTenant({ id: randomUUID(), slug, name: 'Atomic', createdAt: new Date().toISOString() }, clash));
  assert.equal(await store.findTenantBySlug(slug), undefined, 'the tenant was not created');
  assert.equal(Number((await server.query('SELECT count(*) AS n FROM events WHERE tenant_slug = ?', [slug]))[0].n), 0, 'nor any event');

  const tenantId: string = (await act('POST', '/tenants', { slug, name: 'Atomic' })).res.body.id;
  assert.equal(await store.renameTenant(tenantId, 'Renamed', clash).catch(() => 'refused'), 'refused');
  assert.equal((await store.findTenantBySlug(slug))?.name, 'Atomic', 'the rename was rolled back');
  assert.equal(await store.deleteTenant(tenantId, () => clash).catch(() => 'refused'), 'refused');
  assert.ok(await store.findTenantBySlug(slug), 'the deletion was rolled back');

  const token = { id: 'tok_0a0a0a0a0a0a', tenantId, name: null, hash: sha256(slug), hint: 'abcd', createdAt: new Date().toISOString(), expiresAt: null, revokedAt: null, lastUsedAt: null };
  assert.equal(await store.createToken(token, clash).catch(() => 'refused'), 'refused');
  assert.deepEqual(await store.listTokens(tenantId), [], 'the token was not issued');
  await store.createToken(token);
  assert.equal(await store.revokeToken(tenantId, token.id, new Date().toISOString(), clash).catch(() => 'refused'), 'refused');
  const next = { ...token, id: 'tok_0b0b0b0b0b0b', hash: sha256(`${slug}-next`) };
  assert.equal(await store.rotateToken(tenantId, token.id, next, new Date(Date.now() + 60_000).toISOString(), new Date().toISOString(), () => clash).catch(() => 'refused'), 'refused');
  assert.deepEqual((await store.listTokens(tenantId)).map((t) => [t.id, t.revokedAt, t.expiresAt]), [[token.id, null, null]], 'neither the revocation nor the rotation was made');
});

test('renaming a tenant to the name it has is audited but tells the app nothing', async () => {
  const slug = newSlug('same');
  const tenantId: string = (await act('POST', '/tenants', { slug, name: 'Same' })).res.body.id;
  assert.equal((await act('PATCH', `/tenants/${slug}`, { name: 'Same' })).res.status, 200);
  assert.deepEqual((await eventsOf(tenantId, 1)).map((e) => e.type), ['tenant.created']);
  assert.deepEqual((await auditOf(tenantId)).map((a) => a.action), ['tenant.create', 'tenant.update']);
});

test("tenant.deleted, with the counts of what went with it, is readable after the tenant is gone, after the tenant's earlier events", async () => {
  const slug = newSlug('doomed');
  const tenantId: string = (await act('POST', '/tenants', { slug, name: 'Doomed' })).res.body.id;
  const issued = (await act('POST', `/tenants/${slug}/tokens`, {})).res.body;
  secrets.push(issued.token);
  const scimUrl: string = issued.scimUrl;
  for (const userName of ['a@example.com', 'b@example.com']) {
    const r = await fetch(`${scimUrl}/Users`, { method: 'POST', headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName }) });
    assert.equal(r.status, 201);
  }
  const deleted = await act('DELETE', `/tenants/${slug}?confirm=${slug}`);
  assert.equal(deleted.res.status, 200, deleted.res.text);
  assert.equal(Number((await server.query('SELECT count(*) AS n FROM tenants WHERE id = ?', [tenantId]))[0].n), 0, 'the tenant is gone');

  const events = await eventsOf(tenantId, 5);
  assert.deepEqual(events.map((e) => e.type), ['tenant.created', 'token.created', 'user.created', 'user.created', 'tenant.deleted']);
  const last = events.at(-1)!;
  assert.deepEqual(last.data, { tenant: { id: tenantId, slug, name: 'Doomed' }, users: 2, groups: 0 });
  assert.deepEqual(last.actor, adminActor());
  assert.equal(last.requestId, deleted.requestId);
  assert.equal(last.tenantPosition, 5);
  assert.deepEqual((await auditOf(tenantId)).map((a) => a.action), ['tenant.create', 'token.create', 'tenant.delete']);
});

/** The CLI as an operator runs it, on the server's database (a child process, so not blocking the server). */
function rollcall(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROLLCALL_')) env[k] = v;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...ROLLCALL, ...args, '--db', server.databaseUrl], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`rollcall ${args.join(' ')} timed out`)); }, 60_000);
    child.on('error', fail);
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

test('the CLI\'s tenant and token commands write the same events, naming the CLI, with no request id', async () => {
  const slug = newSlug('cli');
  const created = await rollcall('tenant', 'create', slug, '--name', 'From CLI', '--json');
  assert.equal(created.code, 0, created.stderr);
  const out = JSON.parse(created.stdout);
  secrets.push(out.token);
  const rotated = await rollcall('token', 'rotate', slug, out.tokenId, '--json');
  assert.equal(rotated.code, 0, rotated.stderr);
  secrets.push(JSON.parse(rotated.stdout).token);
  for (const args of [['tenant', 'update', slug, '--name', 'Renamed'], ['token', 'revoke', slug, out.tokenId], ['tenant', 'delete', slug, '--confirm', slug]]) {
    const r = await rollcall(...args);
    assert.equal(r.code, 0, r.stderr);
  }
  const events = await eventsOf(out.tenant.id, 6);
  assert.deepEqual(events.map((e) => e.type), ['tenant.created', 'token.created', 'token.rotated', 'tenant.updated', 'token.revoked', 'tenant.deleted']);
  for (const e of events) {
    assert.deepEqual(e.actor, { type: 'cli', id: null, name: 'rollcall CLI' }, e.type);
    assert.equal(e.requestId, null);
  }
  assert.deepEqual((await auditOf(out.tenant.id)).map((a) => a.action), ['tenant.create', 'token.create', 'token.rotate', 'tenant.update', 'token.revoke', 'tenant.delete']);
});

test("the vendor's code calling the use cases is named as the library", async () => {
  const slug = newSlug('lib');
  // The use cases exactly as createRollcall() exposes them (library.ts), over the server's store.
  const uc = useCases(server.running.provisioning, { tokenTtlDays: 365 });
  const t = await uc.tenants.create(slug, { name: 'Library' });
  const issued = await uc.tokens.issue(slug);
  secrets.push(issued.token);
  await uc.tokens.revoke(slug, issued.record.id);
  const events = await eventsOf(t.id, 3);
  assert.deepEqual(events.map((e) => e.type), ['tenant.created', 'token.created', 'token.revoked']);
  for (const e of events) assert.deepEqual(e.actor, { type: 'library', id: null, name: null });
});

test('no token secret, nor its hash, is in any stored event or audit entry', async () => {
  assert.ok(secrets.length >= 8, 'the tests above issued tokens');
  const rows = [...await server.query('SELECT * FROM events'), ...await server.query('SELECT * FROM audit_log')];
  const text = JSON.stringify(rows);
  for (const s of secrets) {
    assert.ok(!text.includes(s), 'a token secret is stored in an event or audit entry');
    assert.ok(!text.includes(sha256(s)), 'a token hash is stored in an event or audit entry');
  }
  assert.doesNotMatch(text, /"hash"/);
});
