// The SCIM request log part of the Store contract (issue 13: store/sql/request-log.ts): rows written
// in batches read back field for field, one tenant's rows never another's, filters and keyset pages
// newest first, health counted by window, and retention and the row cap deleting the oldest rows only.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { NewRequestLogEntry, RequestLogEntry, Store } from '../store.ts';
import { suiteStore } from './fixtures.ts';

const base = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (minutes: number) => new Date(base + minutes * 60_000).toISOString();

const entry = (tenantId: string, minutes: number, extra: Partial<NewRequestLogEntry> = {}): NewRequestLogEntry => ({
  tenantId, at: iso(minutes), method: 'GET', path: '/scim/v2/x/Users', filter: null, status: 200, scimType: null, detail: null, reason: null,
  latencyMs: 1.25, requestId: `req-${minutes}`, tokenId: 'tok_1', userAgent: 'Okta SCIM Client 1.0.0', resourceType: 'User', resourceId: null,
  requestBody: null, responseBody: { text: '{"totalResults":0}', size: 18, truncated: false }, ...extra,
});

const withoutSeq = ({ seq: _seq, ...rest }: RequestLogEntry) => rest;
const all = { limit: 1000 };

export function requestLogContract(driver: string, open: () => Promise<Store>): void {
  describe(`Store contract (SCIM request log): ${driver}`, () => {
    const db = suiteStore(open, 'r');

    test('a batch is written and read back field for field, newest first, bodies only when one row is read', async () => {
      const t = await db.tenant();
      const failed = entry(t.id, 1, {
        method: 'POST', path: '/scim/v2/x/Users?attributes=userName', status: 409, scimType: 'uniqueness', detail: 'userName is taken', reason: 'uniqueness',
        latencyMs: 12.5, tokenId: null, userAgent: null, resourceId: 'u-1',
        requestBody: { text: '{"userName":"a","password":"[redacted]"}', size: 40, truncated: false },
        responseBody: { text: '{"status":"409"', size: 90_000, truncated: true },
      });
      await db.store.appendRequestLog([entry(t.id, 0), failed]);
      const rows = await db.store.listRequestLog(t.id, {}, all);
      assert.deepEqual(rows.map((r) => r.requestId), ['req-1', 'req-0']);
      assert.ok(rows[0].seq > rows[1].seq);
      assert.deepEqual(withoutSeq(rows[0]), { ...failed, requestBody: null, responseBody: null }, 'a list leaves the bodies out');
      assert.deepEqual(withoutSeq((await db.store.getRequestLogEntry(t.id, rows[0].seq))!), failed);
      assert.deepEqual(withoutSeq((await db.store.getRequestLogEntry(t.id, rows[1].seq))!), entry(t.id, 0));
    });

    test("one tenant never reads another's rows, by list or by id", async () => {
      const a = await db.tenant();
      const b = await db.tenant();
      await db.store.appendRequestLog([entry(a.id, 0), entry(b.id, 1), entry(a.id, 2)]);
      const bRows = await db.store.listRequestLog(b.id, {}, all);
      assert.deepEqual(bRows.map((r) => r.requestId), ['req-1']);
      assert.equal(await db.store.getRequestLogEntry(a.id, bRows[0].seq), undefined);
      assert.equal((await db.store.requestLogHealth(a.id, iso(3))).lastDay.requests, 2);
      assert.deepEqual(await db.store.listRequestLog('no-such-tenant', {}, all), []);
    });

    test('filters: status class, method, time range, resource, request id; pages follow the seq cursor', async () => {
      const t = await db.tenant();
      await db.store.appendRequestLog([
        entry(t.id, 0), entry(t.id, 1, { status: 201, method: 'POST', resourceId: 'u-1' }), entry(t.id, 2, { status: 404, resourceId: 'u-2' }),
        entry(t.id, 3, { status: 503, method: 'PATCH', resourceId: 'u-1' }), entry(t.id, 4, { status: 401, tokenId: null }), entry(t.id, 5, { requestId: 'findme' }),
      ]);
      const ids = async (q: Parameters<Store['listRequestLog']>[1]) => (await db.store.listRequestLog(t.id, q, all)).map((r) => r.requestId);
      assert.deepEqual(await ids({ statusClass: 2 }), ['findme', 'req-1', 'req-0']);
      assert.deepEqual(await ids({ statusClass: 4 }), ['req-4', 'req-2']);
      assert.deepEqual(await ids({ statusClass: 5 }), ['req-3']);
      assert.deepEqual(await ids({ method: 'POST' }), ['req-1']);
      assert.deepEqual(await ids({ since: iso(2), until: iso(4) }), ['req-3', 'req-2']);
      assert.deepEqual(await ids({ resourceId: 'u-1' }), ['req-3', 'req-1']);
      assert.deepEqual(await ids({ requestId: 'findme' }), ['findme']);
      assert.deepEqual(await ids({ statusClass: 4, resourceId: 'u-2' }), ['req-2']);

      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const rows = await db.store.listRequestLog(t.id, {}, { after, limit: 4 });
        seen.push(...rows.map((r) => r.requestId));
        if (rows.length < 4) break;
        after = String(rows[rows.length - 1].seq);
      }
      assert.deepEqual(seen, ['findme', 'req-4', 'req-3', 'req-2', 'req-1', 'req-0'], 'every row once, in order');
    });

    test('health counts the last hour and day by status, names the newest authenticated client and the last error', async () => {
      const t = await db.tenant();
      const empty = await db.store.requestLogHealth(t.id, iso(0));
      const quietDay = Array.from({ length: 24 }, (_, i) => ({ start: iso(-60 * (24 - i)), requests: 0, clientErrors: 0, serverErrors: 0 }));
      assert.deepEqual(empty, { lastRequestAt: null, lastHour: { requests: 0, clientErrors: 0, serverErrors: 0 }, lastDay: { requests: 0, clientErrors: 0, serverErrors: 0 }, lastClient: null, lastError: null, hourly: quietDay });
      await db.store.appendRequestLog([
        entry(t.id, -2000), // older than a day: not counted
        entry(t.id, -600, { status: 500 }), entry(t.id, -300, { status: 409, userAgent: 'Microsoft Azure AD SCIM client' }),
        entry(t.id, -30, { status: 200 }), entry(t.id, -10, { status: 400, detail: 'bad filter' }),
        entry(t.id, -5, { status: 401, tokenId: null, userAgent: 'curl/8' }),
        entry(t.id, -1, { status: 201 }),
      ]);
      const h = await db.store.requestLogHealth(t.id, iso(0));
      assert.equal(h.lastRequestAt, iso(-1));
      assert.deepEqual(h.lastHour, { requests: 4, clientErrors: 2, serverErrors: 0 });
      assert.deepEqual(h.lastDay, { requests: 6, clientErrors: 3, serverErrors: 1 });
      assert.deepEqual(h.lastClient, { userAgent: 'Okta SCIM Client 1.0.0', at: iso(-1) }, 'the unauthenticated curl is not the client');
      assert.equal(h.lastError?.status, 401);
      assert.equal(h.lastError?.at, iso(-5));
      assert.deepEqual(h.hourly.map((b) => b.start), quietDay.map((b) => b.start), '24 windows of an hour ending now, oldest first');
      assert.deepEqual(h.hourly[23], { start: iso(-60), ...h.lastHour }, 'the last window is the last hour');
      assert.deepEqual(h.hourly[14], { start: iso(-600), requests: 1, clientErrors: 0, serverErrors: 1 }, 'a row exactly at a window\'s start is in that window');
      assert.deepEqual(h.hourly[19], { start: iso(-300), requests: 1, clientErrors: 1, serverErrors: 0 });
      const busy = h.hourly.flatMap((b, i) => (b.requests ? [i] : []));
      assert.deepEqual(busy, [14, 19, 23], 'the row older than a day is in no window');
    });

    test('health hours: each window counts only its own hour, on the hour boundaries exactly; another tenant\'s rows never count', async () => {
      const t = await db.tenant();
      const other = await db.tenant();
      await db.store.appendRequestLog([
        entry(t.id, -1440), // exactly a day ago: the first window's first instant
        entry(t.id, -1381, { status: 404 }), // 59 minutes later: still the first window
        entry(t.id, -1380, { status: 502 }), // the second window's first instant
        entry(t.id, -61), entry(t.id, -60, { status: 429 }), entry(t.id, -0.001),
        entry(other.id, -30), entry(other.id, -1000),
      ]);
      const h = await db.store.requestLogHealth(t.id, iso(0));
      const hours = h.hourly.map((b) => [b.requests, b.clientErrors, b.serverErrors]);
      const want = Array.from({ length: 24 }, () => [0, 0, 0]);
      want[0] = [2, 1, 0]; want[1] = [1, 0, 1]; want[22] = [1, 0, 0]; want[23] = [2, 1, 0];
      assert.deepEqual(hours, want);
      assert.deepEqual(h.lastDay, { requests: 6, clientErrors: 2, serverErrors: 1 }, 'the day is the sum of its hours');
      assert.deepEqual(h.lastHour, { requests: 2, clientErrors: 1, serverErrors: 0 });
    });

    test('retention deletes only rows older than the cutoff, a batch at a time; the cap keeps each tenant\'s newest rows', async () => {
      // A database of its own: retention looks at the oldest rows in insertion order, which the
      // other tests' rows would be.
      const store = await open();
      try {
        const tenant = async (slug: string) => {
          const t = { id: `${slug}-id`, slug, name: slug, createdAt: iso(0) };
          await store.createTenant(t);
          return t;
        };
        const t = await tenant('kept');
        const other = await tenant('other');
        await store.appendRequestLog([
          ...Array.from({ length: 5 }, (_, i) => entry(t.id, -100_000 + i)), entry(other.id, -99_000),
          ...Array.from({ length: 6 }, (_, i) => entry(t.id, i)), entry(other.id, 1), entry(other.id, 2),
        ]);
        assert.equal(await store.pruneRequestLog(iso(-1000), 2), 2, 'at most the limit per call');
        assert.equal(await store.pruneRequestLog(iso(-1000), 100), 4);
        assert.equal(await store.pruneRequestLog(iso(-1000), 100), 0);
        assert.deepEqual((await store.listRequestLog(t.id, {}, all)).map((r) => r.requestId), ['req-5', 'req-4', 'req-3', 'req-2', 'req-1', 'req-0']);

        assert.equal(await store.capRequestLog(t.id, 4, 1), 1, 'at most the limit per call');
        assert.equal(await store.capRequestLog(t.id, 4, 100), 1);
        assert.equal(await store.capRequestLog(t.id, 4, 100), 0);
        assert.deepEqual((await store.listRequestLog(t.id, {}, all)).map((r) => r.requestId), ['req-5', 'req-4', 'req-3', 'req-2']);
        assert.deepEqual((await store.listRequestLog(other.id, {}, all)).map((r) => r.requestId), ['req-2', 'req-1'], "another tenant's rows are untouched");
      } finally {
        await store.close();
      }
    });

    test("a tenant's deletion deletes its request log", async () => {
      const t = await db.tenant();
      await db.store.appendRequestLog([entry(t.id, 0)]);
      await db.store.deleteTenant(t.id);
      assert.deepEqual(await db.store.listRequestLog(t.id, {}, all), []);
    });
  });
}
