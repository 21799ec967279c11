// The outbox and the events feed, through real SCIM and admin API requests on SQLite and PostgreSQL:
// which events each change writes (and in which order), that a refused or empty change writes none,
// that 10,000 member additions are 10,000 events in commit order, and that the feed's cursor never
// passes over an event that commits late.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { ScimError } from '../../src/scim/errors.ts';
import { GROUP_SCHEMA, USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { PATCH_SCHEMA } from '../../src/scim/patch.ts';
import type { EventRecord } from '../../src/store/store.ts';
import { startAdminServer, expectProblem, type AdminTestServer, type Json } from '../support/admin.ts';
import { TEST_DATABASE } from '../support/test-database.ts';

let server: AdminTestServer;

before(async () => {
  server = await startAdminServer({
    server: {
      hooks: [async (_tx, change) => {
        // A policy's veto: the change must then leave no event behind.
        if (change.after?.doc.userName === 'vetoed@example.com') throw new ScimError(409, 'refused by policy');
      }],
    },
  });
});
after(async () => { await server.close(); });

interface Tenant { slug: string; scimUrl: string; token: string }
let tenants = 0;
async function tenant(): Promise<Tenant> {
  const slug = `ev${process.pid}x${++tenants}`;
  return { slug, ...(await server.createTenant(slug)) };
}

async function scim(t: Tenant, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; requestId: string | null }> {
  const res = await fetch(t.scimUrl + path, {
    method, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, requestId: res.headers.get('x-request-id') };
}

const newUser = (t: Tenant, userName: string, extra: object = {}) => scim(t, 'POST', '/Users', { schemas: [USER_SCHEMA], userName, ...extra });
const patch = (t: Tenant, path: string, ...ops: object[]) => scim(t, 'PATCH', path, { schemas: [PATCH_SCHEMA], Operations: ops });

/** A tenant's events as the feed gives them, all of them, following `next`. */
async function feed(t: Tenant | undefined, query = ''): Promise<Json[]> {
  const out: Json[] = [];
  let after = '';
  for (;;) {
    const r = await server.admin('GET', `/events?limit=500${t ? `&tenant=${t.slug}` : ''}${query}${after ? `&after=${after}` : ''}`);
    assert.equal(r.status, 200, r.text);
    out.push(...r.body.data);
    if (r.body.data.length < 500) return out;
    after = r.body.next;
  }
}

const summary = (events: Json[]) => events.map((e) => (e.type.startsWith('group.member') ? `${e.type} ${e.data.member.userName ?? e.data.member.displayName}` : e.type));

test("a user's life writes its events in order, each naming the token and the request that made it", async () => {
  const t = await tenant();
  const created = await newUser(t, 'ada@example.com', { name: { givenName: 'Ada' } });
  const group = await scim(t, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', members: [{ value: created.body.id }] });
  const renamed = await patch(t, `/Users/${created.body.id}`, { op: 'replace', path: 'name.givenName', value: 'Augusta' });
  await patch(t, `/Users/${created.body.id}`, { op: 'replace', path: 'active', value: false });
  await patch(t, `/Users/${created.body.id}`, { op: 'replace', path: 'active', value: true });
  await scim(t, 'DELETE', `/Users/${created.body.id}`);

  const events = await feed(t, '&types=user.*,group.*');
  assert.deepEqual(summary(events), ['user.created', 'group.created', 'group.member_added ada@example.com', 'user.updated', 'user.deactivated', 'user.reactivated',
    'group.member_removed ada@example.com', 'user.deleted']);
  const [ev] = events;
  // The user as SCIM renders it (the POST's answer; its groups come as member events, never inside
  // the user), the token that acted and the request's id.
  const { groups, ...rendered } = created.body;
  assert.deepEqual(groups, []);
  assert.deepEqual(ev.data.user, rendered);
  assert.equal(ev.actor.type, 'token');
  assert.match(ev.actor.id, /^tok_/);
  assert.equal(ev.requestId, created.requestId);
  assert.equal(ev.tenant.slug, t.slug);
  assert.match(ev.id, /^evt_[0-9a-f]{32}$/);
  assert.deepEqual(events[2].data, { group: { id: group.body.id, displayName: 'Engineering' }, member: { id: created.body.id, type: 'User', userName: 'ada@example.com' } });
  assert.deepEqual(events[3].data.changedPaths, ['name.givenName']);
  assert.equal(events[3].data.user.name.givenName, 'Augusta');
  assert.equal(events[3].requestId, renamed.requestId);
  assert.equal(events[4].data.user.active, false);
  // Positions: increasing overall, and 1, 2, 3, … within the tenant (after tenant.created and token.created).
  assert.deepEqual(events.map((e) => e.tenantPosition), events.map((_, i) => i + 3));
  for (let i = 1; i < events.length; i++) assert.ok(events[i].position > events[i - 1].position);
});

test('group changes: members in the order applied, renames as group.updated, deletion removes every member first', async () => {
  const t = await tenant();
  const a = (await newUser(t, 'a@example.com')).body.id;
  const b = (await newUser(t, 'b@example.com')).body.id;
  const g = (await scim(t, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ops' })).body.id;
  const before = (await feed(t)).length;
  // Added then removed in one PATCH: the events must end with it removed, as the group does.
  await patch(t, `/Groups/${g}`, { op: 'add', path: 'members', value: [{ value: a }, { value: b }] }, { op: 'remove', path: `members[value eq "${a}"]` });
  await patch(t, `/Groups/${g}`, { op: 'replace', path: 'displayName', value: 'Operations' });
  const nested = (await scim(t, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'All', members: [{ value: g, type: 'Group' }] })).body.id;
  await scim(t, 'DELETE', `/Groups/${g}`);
  const events = (await feed(t)).slice(before);
  assert.deepEqual(summary(events), [
    'group.member_added a@example.com', 'group.member_added b@example.com', 'group.member_removed a@example.com',
    'group.updated', 'group.created', 'group.member_added Operations',
    'group.member_removed b@example.com', 'group.member_removed Operations', 'group.deleted',
  ]);
  assert.deepEqual(events[3].data.changedPaths, ['displayName']);
  assert.equal(events[3].data.group.members, undefined, 'members come as member events, never in the group');
  assert.equal(events[7].data.group.id, nested);
  assert.equal(events[8].data.group.displayName, 'Operations');
});

test('a refused change, a failed one and one that changes nothing write no event', async () => {
  const t = await tenant();
  const u = await newUser(t, 'same@example.com', { displayName: 'Same' });
  const before = (await feed(t)).length;
  assert.equal((await newUser(t, 'vetoed@example.com')).status, 409);
  assert.equal((await newUser(t, 'SAME@example.com')).status, 409, 'uniqueness');
  assert.equal((await patch(t, `/Users/${u.body.id}`, { op: 'replace', path: 'displayName', value: 'Same' })).status, 200);
  assert.equal((await patch(t, '/Groups/00000000-0000-4000-8000-000000000000', { op: 'replace', path: 'displayName', value: 'x' })).status, 404);
  assert.equal((await feed(t)).length, before);
});

test("the admin API's local writes are events too, naming the admin key", async () => {
  const t = await tenant();
  const r = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'local@example.com' } } });
  assert.equal(r.status, 201, r.text);
  const [ev] = (await feed(t)).filter((e) => e.type === 'user.created');
  assert.deepEqual(ev.actor, { type: 'adminKey', id: server.adminKeyId, name: 'test admin' });
  assert.equal(ev.requestId, r.headers.get('x-request-id'));
});

test('10,000 member additions in one PATCH are exactly 10,000 group.member_added events, in commit order', async () => {
  const t = await tenant();
  const { store, provisioning } = server.running;
  const tn = (await store.findTenantBySlug(t.slug))!;
  const { schemas } = await provisioning.context(tn);
  // Users seeded straight into the store (no events): the PATCH is what is measured here.
  const ids: string[] = [];
  await store.transaction(async (tx) => {
    for (let i = 0; i < 10_000; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      ids.push(id);
      await tx.insertUser(tn.id, schemas, { id, doc: { userName: `m${i}@example.com` }, created: '2026-01-01T00:00:00.000Z', lastModified: '2026-01-01T00:00:00.000Z', version: 1, origin: 'scim' });
    }
  });
  const g = (await scim(t, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Everyone' })).body.id;
  const res = await patch(t, `/Groups/${g}?excludedAttributes=members`, { op: 'add', path: 'members', value: ids.map((value) => ({ value })) });
  assert.equal(res.status, 200);
  const added = await feed(t, '&types=group.member_added');
  assert.equal(added.length, 10_000);
  assert.deepEqual(new Set(added.map((e) => e.data.member.id)), new Set(ids));
  assert.ok(added.every((e) => e.data.member.userName === `m${Number(e.data.member.id.slice(-12))}@example.com`), 'each names its user');
  for (let i = 1; i < added.length; i++) {
    assert.equal(added[i].position, added[i - 1].position + 1, 'one transaction: consecutive positions');
    assert.equal(added[i].tenantPosition, added[i - 1].tenantPosition + 1);
  }
});

test('the feed filters by tenant and type, keeps its place when nothing came, and refuses what it cannot read', async () => {
  const t1 = await tenant();
  const t2 = await tenant();
  await newUser(t1, 'one@example.com');
  await newUser(t2, 'two@example.com');
  const only2 = await feed(t2);
  assert.deepEqual(only2.map((e) => e.type), ['tenant.created', 'token.created', 'user.created']);
  assert.equal(only2[2].data.user.userName, 'two@example.com');
  assert.deepEqual(only2.map((e) => e.tenantPosition), [1, 2, 3]);
  assert.deepEqual(summary(await feed(t1, '&types=group.*,user.deleted')), []);

  // Caught up: next is given, and a later event comes after it.
  const caughtUp = await server.admin('GET', `/events?tenant=${t1.slug}&types=user.deleted`);
  assert.deepEqual(caughtUp.body.data, []);
  const u = (await scim(t1, 'GET', '/Users')).body.Resources[0];
  await scim(t1, 'DELETE', `/Users/${u.id}`);
  const later = await server.admin('GET', `/events?tenant=${t1.slug}&types=user.deleted&after=${caughtUp.body.next}`);
  assert.deepEqual(later.body.data.map((e: Json) => e.type), ['user.deleted']);
  const again = await server.admin('GET', `/events?tenant=${t1.slug}&after=${later.body.next}`);
  assert.deepEqual(again.body.data, [], 'nothing twice');

  // A read-only key may read the feed.
  assert.equal((await server.admin('GET', '/events?limit=1', { key: server.readKey })).status, 200);
  expectProblem(await server.admin('GET', '/events?types=user.exploded'), 400, { field: 'types', detail: /user\.exploded/ });
  expectProblem(await server.admin('GET', '/events?after=not-a-cursor'), 400, { field: 'after' });
  expectProblem(await server.admin('GET', '/events?tenant=no-such-tenant'), 404);
  expectProblem(await server.admin('GET', '/events?wait=31'), 400);
});

test('order=desc reads the same events newest first, page by page back to the oldest, for one tenant or all', async () => {
  const t = await tenant();
  for (let i = 1; i <= 7; i++) await newUser(t, `desc${i}@example.com`);
  const oldestFirst = await feed(t);
  /** Every page newest first, following `next` as `before`, 3 to a page. */
  const newest = async (query: string) => {
    const pages: Json[][] = [];
    let before = '';
    for (;;) {
      const r = await server.admin('GET', `/events?order=desc&limit=3${query}${before ? `&before=${before}` : ''}`);
      assert.equal(r.status, 200, r.text);
      if (!r.body.data.length) return pages;
      pages.push(r.body.data);
      before = r.body.next;
      assert.ok(pages.length < 1000, 'ends');
    }
  };
  const pages = await newest(`&tenant=${t.slug}`);
  assert.deepEqual(pages.map((p) => p.length), [3, 3, 3]);
  assert.deepEqual(pages.flat().map((e) => e.id), oldestFirst.map((e) => e.id).reverse());
  // Filtered by type, and across every tenant: the newest user.created is this tenant's last.
  const created = (await newest(`&tenant=${t.slug}&types=user.created`)).flat();
  assert.deepEqual(created.map((e) => e.data.user.userName), [7, 6, 5, 4, 3, 2, 1].map((i) => `desc${i}@example.com`));
  const all = await server.admin('GET', '/events?order=desc&limit=1&types=user.created');
  assert.equal(all.body.data[0].data.user.userName, 'desc7@example.com');
  // The cursors of the two directions are not mixed up, and desc does not long-poll.
  expectProblem(await server.admin('GET', `/events?order=desc&after=${all.body.next}`), 400, { field: 'after' });
  expectProblem(await server.admin('GET', `/events?before=${all.body.next}`), 400, { field: 'before' });
  expectProblem(await server.admin('GET', '/events?order=desc&wait=5'), 400, { field: 'wait' });
  expectProblem(await server.admin('GET', '/events?order=desc&before=not-a-cursor'), 400, { field: 'before' });
  expectProblem(await server.admin('GET', '/events?order=sideways'), 400);
});

test('a long poll answers as soon as an event commits, and empty when the wait ends', async () => {
  const t = await tenant();
  const start = await server.admin('GET', `/events?tenant=${t.slug}`);
  const waiting = server.admin('GET', `/events?tenant=${t.slug}&wait=20&after=${start.body.next}`);
  await new Promise((r) => setTimeout(r, 300));
  const made = Date.now();
  await newUser(t, 'awaited@example.com');
  const got = await waiting;
  assert.deepEqual(got.body.data.map((e: Json) => e.data.user.userName), ['awaited@example.com']);
  assert.ok(Date.now() - made < 5_000, 'answered on the event, not at the end of the wait');
  const empty = await server.admin('GET', `/events?tenant=${t.slug}&wait=1&after=${got.body.next}`);
  assert.deepEqual(empty.body.data, []);
  assert.equal(empty.body.next, got.body.next);
});

test('the feed never passes over an event whose transaction started earlier and commits later', async (t) => {
  if (TEST_DATABASE !== 'postgres') return t.skip('SQLite writers commit one at a time: insert order is commit order there');
  const tn = await tenant();
  const stored = (await server.running.store.findTenantBySlug(tn.slug))!;
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    const start = await server.admin('GET', `/events?tenant=${tn.slug}`);
    // A writer inserts its event first (the lowest insertion number) and stays open …
    await client.query('BEGIN');
    await client.query(`INSERT INTO events (id, tenant_id, tenant_slug, type, at, actor, request_id, data) VALUES ($1, $2, $3, 'user.updated', $4, '{"type":"library","id":null,"name":null}', NULL, '{}')`,
      ['evt_latecommitlatecommit00', stored.id, stored.slug, new Date().toISOString()]);
    // … while others commit, and a reader reads past them.
    await newUser(tn, 'first-to-commit@example.com');
    await newUser(tn, 'second-to-commit@example.com');
    const during = await server.admin('GET', `/events?tenant=${tn.slug}&after=${start.body.next}`);
    assert.deepEqual(during.body.data.map((e: Json) => e.data.user?.userName), ['first-to-commit@example.com', 'second-to-commit@example.com']);
    // The old transaction commits last: the reader, going on from where it is, still gets its event.
    await client.query('COMMIT');
    const afterCommit = await server.admin('GET', `/events?tenant=${tn.slug}&after=${during.body.next}`);
    assert.deepEqual(afterCommit.body.data.map((e: Json) => e.id), ['evt_latecommitlatecommit00']);
    assert.equal(afterCommit.body.data[0].tenantPosition, during.body.data[1].tenantPosition + 1, 'numbered after everything read before it');
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
});

test('events are positioned with no gaps overall and per tenant, whatever rolled back', async () => {
  const events: EventRecord[] = [];
  await server.running.store.sequenceEvents({ wait: true });
  for (let after = 0; ;) {
    const page = await server.running.store.readEvents({ after, limit: 5000 });
    events.push(...page);
    if (page.length < 5000) break;
    after = page[page.length - 1].position;
  }
  assert.deepEqual(events.map((e) => e.position), events.map((_, i) => i + 1));
  const perTenant = new Map<string, number>();
  for (const e of events) {
    const expected = (perTenant.get(e.tenantId) ?? 0) + 1;
    assert.equal(e.tenantPosition, expected, `tenant ${e.tenantSlug}`);
    perTenant.set(e.tenantId, expected);
  }
});
