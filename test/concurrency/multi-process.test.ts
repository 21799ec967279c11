// Several Rollcall processes on one database, hammered at once through different processes:
// no lost member updates, one winner of a userName race, If-Match honoured across processes.
// PostgreSQL runs 3 processes; SQLite runs the same tests with 1 process (its supported shape).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { postgresAvailable, scratchDatabase } from '../../harness/databases.ts';
import { createTenantCli, startProcess, type RollcallProcess } from '../../harness/processes.ts';
import { pool } from '../support/pool.ts';
import { GROUP_SCHEMA as GROUP, USER_SCHEMA as USER } from '../../src/scim/schemas/core.ts';
import { PATCH_SCHEMA as PATCH } from '../../src/scim/patch.ts';

const USERS = 200;
const OPS_PER_USER = 10; // 2,000 member operations in all

/** Deterministic pseudo-random bits (mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function suite(backend: 'postgres' | 'sqlite', processCount: number) {
  describe(`${processCount} Rollcall process(es) on ${backend}`, () => {
    let procs: RollcallProcess[] = [];
    let token = '';
    let cleanup = async () => {};
    const call = async (p: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${procs[p % procs.length].url}/scim/v2/race${path}`, {
        method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };

    before(async () => {
      const db = await scratchDatabase(backend);
      const dbUrl = db.url;
      cleanup = db.drop;
      token = createTenantCli(dbUrl, 'race');
      // Started together: the migration lock must keep them from racing.
      procs = await Promise.all(Array.from({ length: processCount }, () => startProcess(dbUrl)));
    });
    after(async () => {
      await Promise.all(procs.map((p) => p.stop()));
      await cleanup();
    });

    test(`${USERS * OPS_PER_USER} concurrent member add/remove PATCHes to one group lose nothing`, async () => {
      const ids: string[] = new Array(USERS);
      await pool([...Array(USERS).keys()], 32, async (k) => {
        const r = await call(k, 'POST', '/Users', { schemas: [USER], userName: `member-${k}` });
        assert.equal(r.status, 201);
        ids[k] = r.body.id;
      });
      const g = await call(0, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Hot Group' });
      assert.equal(g.status, 201);
      // Each user gets its own sequence of adds and removes, sent in order, each step through
      // another process; the sequences of all users run at once.
      const random = prng(20261123);
      const plans = ids.map(() => Array.from({ length: OPS_PER_USER }, () => (random() < 0.5 ? 'add' : 'remove')));
      const expected = new Set(ids.filter((_, k) => plans[k][OPS_PER_USER - 1] === 'add'));
      const failures: string[] = [];
      await pool([...Array(USERS).keys()], 64, async (k) => {
        for (let j = 0; j < OPS_PER_USER; j++) {
          const op = plans[k][j] === 'add'
            ? { op: 'add', path: 'members', value: [{ value: ids[k] }] }
            : { op: 'remove', path: `members[value eq "${ids[k]}"]` };
          const r = await call(k + j, 'PATCH', `/Groups/${g.body.id}?excludedAttributes=members`, { schemas: [PATCH], Operations: [op] });
          if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.body)}`);
        }
      });
      assert.deepEqual(failures.slice(0, 5), [], `${failures.length} PATCHes failed`);
      const final = await call(1, 'GET', `/Groups/${g.body.id}`);
      const actual = new Set((final.body.members ?? []).map((m: { value: string }) => m.value));
      assert.equal(actual.size, expected.size, 'member count');
      assert.deepEqual([...actual].sort(), [...expected].sort());
      // Every user agrees from its side.
      const withGroup = await call(2, 'GET', `/Users?count=1000&filter=${encodeURIComponent(`groups.value eq "${g.body.id}"`)}`);
      assert.equal(withGroup.body.totalResults, expected.size);
    });

    test('concurrent POSTs of one userName through different processes: one 201, every other 409', async () => {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) =>
        call(i, 'POST', '/Users', { schemas: [USER], userName: i % 3 ? 'Contested@Example.com' : 'contested@example.COM' })));
      assert.equal(results.filter((r) => r.status === 201).length, 1);
      assert.deepEqual([...new Set(results.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body.scimType}`))], ['409 uniqueness']);
    });

    test('If-Match holds across processes: of concurrent writers with one ETag, exactly one wins', async () => {
      const g = await call(0, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Etag Race' });
      const etag = g.body.meta.version;
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        call(i, 'PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: `Etag Race ${i}` }] }, { 'if-match': etag })));
      // A successful group PATCH answers 204 with the new ETag (as IdPs send it: no projection asked).
      assert.equal(results.filter((r) => r.status === 204).length, 1);
      assert.equal(results.filter((r) => r.status === 412).length, 11);
      const winner = results.findIndex((r) => r.status === 204);
      assert.equal((await call(1, 'GET', `/Groups/${g.body.id}`)).body.displayName, `Etag Race ${winner}`);
    });
  });
}

suite('sqlite', 1);
if (await postgresAvailable()) suite('postgres', 3);
