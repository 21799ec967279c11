// Webhook endpoints managed through the admin API (/admin/v1/webhooks, /admin/v1/tenants/{t}/webhooks),
// on both databases: the secret shown once, deliveries verified with the reference `standardwebhooks`
// package, rotation, attempts, dead letters and replay, tenants kept apart, read keys kept out, and
// the address policy refusing what it must.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { DEFAULTS } from '../../src/config/config.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { expectProblem, scim, startAdminServer, type AdminTestServer, type Json } from '../support/admin.ts';
import { startReceiver, until, type Receiver } from '../support/webhook-receiver.ts';

let server: AdminTestServer;
let strict: AdminTestServer;
const receivers: Receiver[] = [];
let counter = 0;

before(async () => {
  server = await startAdminServer({
    config: {
      webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 15_000 },
      delivery: { ...DEFAULTS.delivery, pollMs: 50, retryScheduleMs: [50, 50] },
    },
  });
  // Production defaults: https only, no private addresses.
  strict = await startAdminServer();
});
after(async () => {
  for (const r of receivers) await r.close();
  await server.close();
  await strict.close();
});

async function receiver(answer?: Receiver['answer']): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function tenant(s: AdminTestServer = server): Promise<{ slug: string; scimUrl: string; token: string }> {
  const slug = `wa${process.pid}x${++counter}`;
  return { slug, ...(await s.createTenant(slug)) };
}

const newUser = async (t: { scimUrl: string; token: string }, userName: string) => {
  const r = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName });
  assert.equal(r.status, 201, r.text);
  return r.body;
};

const verify = (secret: string, r: Receiver) => r.received.map((x) => new Webhook(secret).verify(x.body, x.headers as Record<string, string>) as Json);

test("a tenant's endpoint: the secret once, signed deliveries of that tenant's events only, attempts on record", async () => {
  const r = await receiver();
  const t = await tenant();
  const other = await tenant();
  const created = await server.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: r.url, types: ['user.*'], description: 'the app' } });
  assert.equal(created.status, 201, created.text);
  assert.match(created.body.secret, /^whsec_/);
  assert.match(created.body.id, /^wh_/);
  assert.deepEqual(created.body.types, ['user.created', 'user.updated', 'user.deactivated', 'user.reactivated', 'user.deleted', 'user.linked', 'user.role_granted', 'user.role_revoked', 'user.invitation_revoked', 'user.signed_in', 'user.sign_in_failed']);
  const listed = await server.admin('GET', `/tenants/${t.slug}/webhooks`);
  assert.deepEqual(listed.body.data.map((e: Json) => e.id), [created.body.id]);
  assert.ok(!listed.text.includes(created.body.secret) && !listed.text.includes('secret"'), 'the secret is never listed');
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/webhooks/${created.body.id}`)).body.secret, undefined);

  await newUser(other, 'not-for-this-endpoint@example.com');
  const u = await newUser(t, 'ada@example.com');
  await until('the delivery', () => r.received.length >= 1);
  const delivered = verify(created.body.secret, r);
  assert.deepEqual(delivered.map((e) => [e.type, e.data.user.userName]), [['user.created', 'ada@example.com']]);
  assert.equal(delivered[0].data.user.id, u.id);
  assert.equal(r.received[0].headers['webhook-id'], delivered[0].id);

  // Deliveries are recorded in batches (every 50 events or 250 ms), a moment after the receiver has them.
  const attemptsUrl = `/tenants/${t.slug}/webhooks/${created.body.id}/attempts`;
  await until('the attempt is recorded', async () => (await server.admin('GET', attemptsUrl)).body.data.length >= 1);
  const attempts = await server.admin('GET', attemptsUrl);
  assert.equal(attempts.status, 200, attempts.text);
  assert.deepEqual(attempts.body.data.map((a: Json) => [a.eventId, a.outcome, a.status]), [[delivered[0].id, 'delivered', 204]]);

  // Another tenant's tree does not reach it; nor does the global one.
  expectProblem(await server.admin('GET', `/tenants/${other.slug}/webhooks/${created.body.id}`), 404);
  expectProblem(await server.admin('GET', `/webhooks/${created.body.id}`), 404);
  expectProblem(await server.admin('DELETE', `/tenants/${other.slug}/webhooks/${created.body.id}`), 404);
});

test("a global endpoint receives every tenant's events; rotation signs with both secrets during the overlap", async () => {
  const r = await receiver();
  const created = await server.admin('POST', '/webhooks', { body: { url: r.url, types: ['user.created'] } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.tenantId, null);
  const a = await tenant();
  const b = await tenant();
  await newUser(a, 'a@example.com');
  await newUser(b, 'b@example.com');
  await until('both tenants delivered', () => r.received.length >= 2);
  assert.deepEqual(new Set(verify(created.body.secret, r).map((e) => e.tenant.slug)), new Set([a.slug, b.slug]));

  const rotated = await server.admin('POST', `/webhooks/${created.body.id}/rotate-secret`, { body: { overlap: '1h' } });
  assert.equal(rotated.status, 200, rotated.text);
  assert.notEqual(rotated.body.secret, created.body.secret);
  assert.ok(rotated.body.previousSecretUntil, 'the overlap is shown');
  await newUser(a, 'during-overlap@example.com');
  await until('the delivery during the overlap', () => r.received.length >= 3);
  const last = r.received.slice(2);
  for (const secret of [created.body.secret, rotated.body.secret]) {
    assert.equal((new Webhook(secret).verify(last[0].body, last[0].headers as Record<string, string>) as Json).data.user.userName, 'during-overlap@example.com');
  }
  const ended = await server.admin('POST', `/webhooks/${created.body.id}/rotate-secret`, { body: { overlap: '0' } });
  await newUser(a, 'after@example.com');
  await until('the delivery after', () => r.received.length >= 4);
  const after = r.received[3];
  assert.equal((new Webhook(ended.body.secret).verify(after.body, after.headers as Record<string, string>) as Json).data.user.userName, 'after@example.com');
  assert.throws(() => new Webhook(rotated.body.secret).verify(after.body, after.headers as Record<string, string>), 'no overlap: the old secret no longer signs');
  assert.equal((await server.admin('DELETE', `/webhooks/${created.body.id}`)).status, 204);
});

test('a failing receiver: dead letters after the schedule, the endpoint marked failing, and replay through the API', async () => {
  let fail = true;
  const r = await receiver(() => (fail ? { status: 500, body: 'down for maintenance' } : { status: 200 }));
  const t = await tenant();
  const created = await server.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: r.url, types: ['user.created'] } });
  const id = created.body.id;
  await newUser(t, 'lost@example.com');
  // The schedule here is two retries 50 ms apart: three attempts, then a dead letter.
  await until('the dead letter', async () => (await server.admin('GET', `/tenants/${t.slug}/webhooks/${id}/dead-letters`)).body.data.length === 1);
  const letters = await server.admin('GET', `/tenants/${t.slug}/webhooks/${id}/dead-letters?pending=true`);
  assert.equal(letters.body.data[0].attempts, 3);
  assert.match(letters.body.data[0].lastError, /500/);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/webhooks/${id}`)).body.state, 'failing');
  const failed = await server.admin('GET', `/tenants/${t.slug}/webhooks/${id}/attempts?outcome=failed`);
  assert.equal(failed.body.data.length, 2);

  fail = false;
  const replay = await server.admin('POST', `/tenants/${t.slug}/webhooks/${id}/replay`, { body: { deadLetter: letters.body.data[0].id } });
  assert.equal(replay.status, 202, replay.text);
  await until('the replayed delivery', () => r.received.some((x, i) => i >= 3 && x.id === letters.body.data[0].eventId));
  await until('the letter marked replayed', async () => (await server.admin('GET', `/tenants/${t.slug}/webhooks/${id}/dead-letters?pending=true`)).body.data.length === 0);

  // From an event on: that event and every later one of the tenant, again, in order.
  await newUser(t, 'second@example.com');
  await until('the second delivery', () => r.received.some((x) => x.body.includes('second@example.com')));
  const before = r.received.length;
  const from = await server.admin('POST', `/tenants/${t.slug}/webhooks/${id}/replay`, { body: { fromEvent: letters.body.data[0].eventId } });
  assert.equal(from.status, 202, from.text);
  await until('both delivered again', () => r.received.length >= before + 2);
  assert.deepEqual(r.received.slice(before).map((x) => (JSON.parse(x.body)).data.user.userName), ['lost@example.com', 'second@example.com']);
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/webhooks/${id}/replay`, { body: { fromEvent: 'evt_nosuchevent000000000' } }), 404, { field: 'fromEvent' });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/webhooks/${id}/replay`, { body: {} }), 400);
});

test('disabled endpoints wait; changes are audited; bad input and read keys are refused', async () => {
  const r = await receiver();
  const t = await tenant();
  const created = await server.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: r.url, enabled: false } });
  await newUser(t, 'waits@example.com');
  await new Promise((done) => setTimeout(done, 400));
  assert.equal(r.received.length, 0, 'nothing is sent while disabled');
  const enabled = await server.admin('PATCH', `/tenants/${t.slug}/webhooks/${created.body.id}`, { body: { enabled: true } });
  assert.equal(enabled.status, 200, enabled.text);
  await until('the backlog delivered', () => r.received.some((x) => x.body.includes('waits@example.com')));

  const audit = await server.admin('GET', `/audit?tenant=${t.slug}&action=webhook.update`);
  assert.deepEqual(audit.body.data.map((e: Json) => [e.targetId, e.summary.fields]), [[created.body.id, ['enabled']]]);
  assert.ok(!(await server.admin('GET', `/audit?tenant=${t.slug}`)).text.includes(created.body.secret), 'no secret in the audit log');

  expectProblem(await server.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: r.url, types: ['user.exploded'] } }), 400, { field: 'types', detail: /user\.exploded/ });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: 'not a url' } }), 400, { field: 'url' });
  expectProblem(await server.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: r.url }, key: server.readKey }), 403);
  assert.equal((await server.admin('GET', `/tenants/${t.slug}/webhooks`, { key: server.readKey })).status, 200);
  expectProblem(await server.admin('GET', '/tenants/no-such-tenant/webhooks'), 404);
});

test('by default only https endpoints on public addresses are accepted', async () => {
  const t = await tenant(strict);
  expectProblem(await strict.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: 'http://example.com/hook' } }), 400, { field: 'url', detail: /https/ });
  for (const url of ['https://127.0.0.1/hook', 'https://10.1.2.3/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest/meta-data', 'https://localhost/hook']) {
    expectProblem(await strict.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url } }), 400, { field: 'url' });
  }
  const ok = await strict.admin('POST', `/tenants/${t.slug}/webhooks`, { body: { url: 'https://hooks.example.com/rollcall' } });
  assert.equal(ok.status, 201, ok.text);
});
