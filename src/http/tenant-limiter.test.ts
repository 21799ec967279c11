// The token bucket and in-progress count behind the SCIM and setup-link limits, on a clock that moves
// only when told: what is admitted, when, and that the map of tenants stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../provisioning/clock.ts';
import { TenantLimiter, type Limits } from './tenant-limiter.ts';

const limits: Limits = { requestsPerSecond: 4, burst: 2, concurrentRequests: 3 };

test('a burst, then the sustained rate; a refused request takes nothing and says how long to wait', () => {
  const clock = new ManualClock();
  const limiter = new TenantLimiter(clock);
  const a = limiter.admit('t', limits);
  const b = limiter.admit('t', limits);
  assert.ok(a.admitted && b.admitted);
  a.release(); b.release();
  const refused = limiter.admit('t', limits);
  assert.deepEqual(refused, { admitted: false, limit: 'requestRate', retryAfterSeconds: 1 });
  clock.advance(249);
  assert.equal(limiter.admit('t', limits).admitted, false, 'a quarter second makes one request at 4/s; 249 ms does not');
  clock.advance(1);
  assert.equal(limiter.admit('t', limits).admitted, true);
  clock.advance(3_600_000);
  assert.equal([1, 2, 3].filter(() => { const x = limiter.admit('t', limits); if (x.admitted) x.release(); return x.admitted; }).length, 2, 'an hour refills to the burst, not beyond');
});

test('requests in progress: refused at the limit whatever the bucket holds; a release is counted once', () => {
  const clock = new ManualClock();
  const limiter = new TenantLimiter(clock);
  const roomy: Limits = { requestsPerSecond: 1000, burst: 1000, concurrentRequests: 2 };
  const first = limiter.admit('t', roomy);
  const second = limiter.admit('t', roomy);
  assert.ok(first.admitted && second.admitted);
  assert.deepEqual(limiter.admit('t', roomy), { admitted: false, limit: 'concurrentRequests', retryAfterSeconds: 1 });
  first.release();
  first.release();
  const third = limiter.admit('t', roomy);
  assert.ok(third.admitted, 'one slot back');
  assert.equal(limiter.admit('t', roomy).admitted, false, 'a second release of the same request gave nothing back');
  assert.ok(limiter.admit('other', roomy).admitted, 'another key has its own count');
});

test('a charge may take the bucket below empty: the wait grows with the debt; a clock going back adds nothing', () => {
  const clock = new ManualClock();
  const limiter = new TenantLimiter(clock);
  const slow: Limits = { requestsPerSecond: 1, burst: 5, concurrentRequests: 10 };
  const bulk = limiter.admit('t', slow);
  assert.ok(bulk.admitted);
  limiter.charge('t', 9, slow);
  assert.equal(limiter.waiting('t', slow), 6, '−5 in the bucket: six seconds to one request');
  clock.advance(-60_000);
  assert.equal(limiter.waiting('t', slow), 6);
  clock.advance(65_500);
  assert.equal(limiter.waiting('t', slow), 1, 'five and a half seconds past the last check: half a request still owed');
  clock.advance(500);
  assert.equal(limiter.waiting('t', slow), 0);
  limiter.spend('t', slow);
  for (let i = 0; i < 10; i++) limiter.spend('t', slow);
  assert.equal(limiter.waiting('t', slow), 1, 'spend never goes below empty');
});

test('the map of tenants stays bounded: idle full buckets are dropped, and a flood of new keys is forgotten rather than swept on every request', () => {
  const clock = new ManualClock();
  const limiter = new TenantLimiter(clock);
  for (let i = 0; i < 25_000; i++) {
    const a = limiter.admit(`k${i}`, limits);
    if (a.admitted) a.release();
  }
  assert.ok(limiter.size <= 10_000, `at most 10,000 tracked, got ${limiter.size}`);
  clock.advance(1000);
  const busy = limiter.admit('busy', limits);
  for (let i = 0; i < 10_001; i++) { const a = limiter.admit(`idle${i}`, limits); if (a.admitted) a.release(); }
  assert.ok(limiter.size <= 10_000);
  if (busy.admitted) busy.release();
});
