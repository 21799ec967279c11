// drained() (drained.ts): the export's and the import report's backpressure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { drained } from './drained.ts';

/** A stream of a 16-byte buffer whose writes complete only when released, as a slow disk's. */
function slowStream() {
  const pending: (() => void)[] = [];
  const written: string[] = [];
  const out = new Writable({ highWaterMark: 16, write(chunk: Buffer, _enc, cb) { written.push(chunk.toString()); pending.push(cb); } });
  return { out, written, release: () => { while (pending.length) pending.shift()!(); } };
}

test('resolves at once while the buffer has room; after a write that fills it, only once it has drained', async () => {
  const s = slowStream();
  await drained(s.out);
  assert.equal(s.out.write('0123456789abcdefXYZ'), false, 'the buffer is full');
  let done = false;
  const wait = drained(s.out).then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'still waiting: nothing was written out yet');
  s.release();
  await wait;
  assert.equal(s.out.writableNeedDrain, false);
  assert.deepEqual(s.written, ['0123456789abcdefXYZ']);
});

test('rejects when the stream fails before it drains', async () => {
  const s = slowStream();
  s.out.write('0123456789abcdefXYZ');
  const wait = drained(s.out);
  s.out.destroy(new Error('ENOSPC: no space left on device'));
  await assert.rejects(wait, /ENOSPC/);
});
