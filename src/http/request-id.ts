// Request ids Rollcall makes (a client's own X-Request-Id is kept when it is a plain token): UUIDv7
// (RFC 9562 §5.7), the time in milliseconds first, then random bits. They are as unique as random
// UUIDs, and they sort by time, so the request log's index of request ids (store/sql/request-log.ts)
// takes each new row at its end instead of on a random page: measured, a random key cost that index
// about 6 µs of SQLite's time per logged request, a time-ordered one under 1 µs (docs/performance.md,
// "Request log").
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let next = pool.length;

export function requestIdV7(nowMs: number = Date.now()): string {
  // Random bytes drawn 256 ids at a time: one call to the system's generator, not one per request.
  if (next >= pool.length) { randomFillSync(pool); next = 0; }
  const b = pool.subarray(next, next + 16);
  next += 16;
  // 48 bits of Unix milliseconds, big-endian.
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // the RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
