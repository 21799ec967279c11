// Backpressure for the CLI's output files (export's output, import's report): a write that fills the
// stream's buffer is followed by waiting for it to drain, so that memory stays bounded however
// slow the disk or the pipe is compared with the database.
import type { Writable } from 'node:stream';

/** Resolves at once when the stream's buffer has room, else when it drains; rejects if it fails first. */
export function drained(out: Writable): Promise<void> {
  if (!out.writableNeedDrain) return Promise.resolve();
  return new Promise<void>((done, fail) => {
    const onError = (err: Error) => { out.off('drain', onDrain); fail(err); };
    const onDrain = () => { out.off('error', onError); done(); };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}
