// Retention: events older than the retention are pruned oldest first, newer ones stay, and positions
// go on from where they were (a cursor held across a prune stays valid), on both databases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { scim } from '../support/admin.ts';
import { startTestServer } from '../support/server.ts';

test('pruning removes events older than the cutoff, keeps the rest, and positions go on after it', async () => {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const server = await startTestServer({ server: { clock } });
  const { store } = server.running;
  try {
    const create = async (userName: string) => assert.equal((await scim(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: [USER_SCHEMA], userName })).status, 201);
    await create('old-1@example.com');
    await create('old-2@example.com');
    clock.set('2026-02-15T00:00:00Z');
    await create('new-1@example.com');
    await store.sequenceEvents({ wait: true });
    // Only the users' events: the test server made the tenant and its token at today's real time.
    const users = { types: ['user.created'] };
    const before = await store.readEvents({ ...users, limit: 100 });
    const lastOld = before.filter((e) => e.at < '2026-02-01').at(-1)!;

    const pruned = await store.pruneEvents('2026-02-01T00:00:00.000Z', 1000);
    assert.equal(pruned, before.filter((e) => e.at < '2026-02-01').length);
    const after = await store.readEvents({ ...users, limit: 100 });
    assert.deepEqual(after.map((e) => (e.data.user as { userName?: string } | undefined)?.userName), ['new-1@example.com']);
    assert.deepEqual(await store.readEvents({ ...users, after: lastOld.position, limit: 100 }), after, 'a cursor from before the prune reads on');

    await create('new-2@example.com');
    await store.sequenceEvents({ wait: true });
    const latest = (await store.readEvents({ ...users, after: after[0].position, limit: 100 }))[0];
    assert.equal(latest.position, after[0].position + 1, 'no position is given twice');
    assert.equal(latest.tenantPosition, after[0].tenantPosition + 1);
  } finally {
    await server.close();
  }
});
