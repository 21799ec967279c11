// `rc.on` / `rc.off` on an embedded instance: one registry per instance, unknown types refused with
// the exported UnknownEventType, an unsubscribe function, and SMTP settings checked like the server's.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, createRollcall, UnknownEventType, type EventListener, type EventPayload, type Rollcall } from '../../src/library.ts';
import { testDatabase } from '../support/test-database.ts';

let db: { url: string; drop: () => Promise<void> };
let rc: Rollcall;

before(async () => {
  db = await testDatabase();
  rc = await createRollcall({ database: db.url, publicUrl: 'http://127.0.0.1:1/identity' });
});
after(async () => {
  await rc?.close();
  await db?.drop();
});

test('rc.on takes a type, a "user.*" pattern or "*" and returns an unsubscribe; rc.off removes a listener by type and function', () => {
  const seen: EventPayload[] = [];
  const fn: EventListener = (event) => { seen.push(event); };
  const stop = rc.on('user.deactivated', fn);
  assert.equal(typeof stop, 'function');
  rc.on('group.*', fn);
  rc.on('*', fn);
  assert.equal(rc.off('group.*', fn), true);
  assert.equal(rc.off('group.*', fn), false, 'already removed');
  stop();
  assert.equal(rc.off('*', fn), true);
});

test('rc.on refuses an unknown type with UnknownEventType, naming it', () => {
  assert.throws(() => rc.on('user.disabled', () => {}), (e: unknown) => e instanceof UnknownEventType && /"user\.disabled" is not an event type/.test(e.message));
});

test('each instance has its own listeners', async () => {
  const other = await createRollcall({ database: db.url, publicUrl: 'http://127.0.0.1:1/identity' });
  try {
    const fn: EventListener = () => {};
    rc.on('user.created', fn);
    assert.equal(other.off('user.created', fn), false, 'not registered on the other instance');
    assert.equal(rc.off('user.created', fn), true);
  } finally {
    await other.close();
  }
});

test('an smtpUrl that is not smtp:// or smtps:// is a ConfigError that does not repeat the password', async () => {
  await assert.rejects(createRollcall({ database: db.url, publicUrl: 'http://127.0.0.1:1', smtpUrl: 'https://u:hunter22@mail.example.com' }),
    (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter22'));
});

test('a listener is called after commit with each matching event, in order, and one that fails is called again', async () => {
  const seen: string[] = [];
  let failures = 1;
  const stop = rc.on('user.*', (event) => {
    const user = event.data.user as { userName: string };
    if (event.type === 'user.deactivated' && failures-- > 0) throw new Error('the app was busy');
    seen.push(`${event.type} ${user.userName} ${event.tenant.slug}`);
  });
  try {
    await rc.tenants.create('listened');
    const users = rc.tenant('listened').users;
    const ada = await users.create({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@example.com' });
    await users.patch(ada.id, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
    // The failed call is retried on the engine's schedule (the first retry about 5 s later).
    const deadline = Date.now() + 20_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, ['user.created ada@example.com listened', 'user.deactivated ada@example.com listened']);
    assert.equal(failures, -1, 'the failing call was made, then made again');
  } finally {
    stop();
  }
});
