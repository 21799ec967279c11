// A change and its events commit together or not at all, even when the process is killed with
// SIGKILL in the middle of writing: after the kill, replaying the events rebuilds exactly what the
// database holds (every user created has its user.created, every membership its member events, in
// an order that ends where the group is), and no event names a change that is not there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantCli, startProcess, type RollcallProcess } from '../../harness/processes.ts';
import { GROUP_SCHEMA, USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { PATCH_SCHEMA } from '../../src/scim/patch.ts';
import { openStore } from '../../src/main.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { EventRecord } from '../../src/store/store.ts';
import { schemasFor } from '../../src/provisioning/schemas.ts';
import { DEFAULT_SETTINGS } from '../../src/provisioning/tenants/settings-document.ts';
import { testDatabase } from '../support/test-database.ts';

test('after kill -9 under write load, the events replay to exactly the users and memberships stored', async () => {
  const db = await testDatabase();
  const token = createTenantCli(db.url, 'crashev');
  let proc: RollcallProcess | undefined = await startProcess(db.url);
  try {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${proc!.url}/scim/v2/crashev${path}`, {
        method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: (await res.text().then((t) => (t ? JSON.parse(t) : undefined))) as { id: string } };
    };
    const users: string[] = [];
    for (let i = 0; i < 40; i++) users.push((await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: `seed-${i}` })).body.id);
    const groups: string[] = [];
    for (let j = 0; j < 6; j++) groups.push((await call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `g${j}` })).body.id);

    // Writers replace members, add and remove them, and create users, until the process dies.
    let stop = false;
    let writes = 0;
    const writer = async (j: number) => {
      for (let k = 0; !stop; k++) {
        const pick = (n: number) => Array.from({ length: n }, (_, i) => ({ value: users[(j * 7 + k * 3 + i * 5) % users.length] }));
        const ops = k % 3 === 0 ? [{ op: 'replace', path: 'members', value: pick(8) }]
          : k % 3 === 1 ? [{ op: 'add', path: 'members', value: pick(3) }]
            : [{ op: 'remove', path: `members[value eq "${users[(j + k) % users.length]}"]` }];
        try {
          await call('PATCH', `/Groups/${groups[j]}?excludedAttributes=members`, { schemas: [PATCH_SCHEMA], Operations: ops });
          await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: `w${j}-${k}` });
          writes += 2;
        } catch { return; /* the process is gone */ }
      }
    };
    const writing = Promise.all(groups.map((_, j) => writer(j)));
    // Killed once the load is well under way (requests are in flight at every moment).
    for (const deadline = Date.now() + 30_000; writes < 150 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    proc.child.kill('SIGKILL');
    stop = true;
    await writing;
    proc = undefined;

    const store = await openStore(loadConfig({ databaseUrl: db.url }, {}));
    try {
      await store.sequenceEvents({ wait: true });
      const events: EventRecord[] = [];
      for (let after = 0; ;) {
        const page = await store.readEvents({ after, limit: 5000 });
        events.push(...page);
        if (page.length < 5000) break;
        after = page[page.length - 1].position;
      }
      const tenant = (await store.findTenantBySlug('crashev'))!;
      assert.ok(events.length > 46 + 150, `the load wrote events before the kill (${events.length})`);

      // Users: one user.created per stored user, none for a user that is not stored.
      const created = events.filter((e) => e.type === 'user.created').map((e) => (e.data.user as { id: string }).id).sort();
      const stored = (await store.scanUsers(tenant.id, schemasFor(DEFAULT_SETTINGS), undefined, undefined, 100_000)).map((u) => u.id).sort();
      assert.deepEqual(created, stored);

      // Memberships: folding the member events in position order gives each group's members.
      const folded = new Map<string, Set<string>>(groups.map((g) => [g, new Set()]));
      for (const e of events) {
        if (e.type !== 'group.member_added' && e.type !== 'group.member_removed') continue;
        const { group, member } = e.data as { group: { id: string }; member: { id: string } };
        if (e.type === 'group.member_added') folded.get(group.id)!.add(member.id);
        else folded.get(group.id)!.delete(member.id);
      }
      const actual = await store.membersOf(tenant.id, groups);
      for (const g of groups) {
        assert.deepEqual([...folded.get(g)!].sort(), (actual.get(g) ?? []).map((m) => m.value).sort(), `group ${g}`);
      }
    } finally {
      await store.close();
    }
  } finally {
    await proc?.stop();
    await db.drop();
  }
});
