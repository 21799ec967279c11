import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestIdV7 } from './request-id.ts';

test('request ids are UUIDv7: version 7, the RFC variant, and they sort by the time they were made', () => {
  const ids = [requestIdV7(1_700_000_000_000), requestIdV7(1_700_000_000_001), requestIdV7(1_800_000_000_000)];
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(ids[0].slice(0, 13).replace('-', ''), (1_700_000_000_000).toString(16).padStart(12, '0'));
});

test('request ids made in the same millisecond differ', () => {
  const many = new Set(Array.from({ length: 2000 }, () => requestIdV7(1_700_000_000_000)));
  assert.equal(many.size, 2000);
});
