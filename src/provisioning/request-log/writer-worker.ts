// The request log's writer thread (writer-thread.ts starts it): its own connection to the log's
// SQLite file (store/sqlite/request-log-file.ts). The serving thread hands it batches of captured
// requests; here they are redacted, cut to size and inserted, several batches per transaction
// (below), and each batch's id is sent back once committed. Imports only the driver, the file's SQL and the row builder, so the
// thread starts in a fraction of the time a store would take.
import { parentPort, workerData } from 'node:worker_threads';
import { openRequestLogFile, RequestLogFile } from '../../store/sqlite/request-log-file.ts';
import type { NewRequestLogEntry } from '../../store/store.ts';
import { RowBuilder, unpackBatch } from './rows.ts';
import type { FromWriter, ToWriter, WriterData } from './writer-thread.ts';

const port = parentPort;
if (!port) throw new Error('writer-worker.ts runs as a worker thread (provisioning/request-log/writer-thread.ts)');
const data = workerData as WriterData;
const send = (m: FromWriter) => port.postMessage(m);

let file: RequestLogFile | undefined;
try {
  file = new RequestLogFile(openRequestLogFile(data.filename, data.busyTimeoutMs));
} catch (err) {
  send({ type: 'failed', error: describe(err) });
  port.close();
}
const rows = new RowBuilder(data.rows);

// Batches are committed together: at least COMMIT_ROWS rows, or COMMIT_MS after the first one
// arrived, or at once when the serving thread flushes. A transaction of 1,000 rows cost 20 µs a row
// where one of 100 cost 28 (each commit writes every page it touched to the WAL once, and the
// resource index's pages are touched at random): docs/performance.md "Issue 13".
const COMMIT_ROWS = 1000;
const COMMIT_MS = 250;
let held: NewRequestLogEntry[] = [];
let ids: number[] = [];
let timer: NodeJS.Timeout | undefined;

function commit(): void {
  clearTimeout(timer);
  timer = undefined;
  if (!ids.length) return;
  const entries = held;
  const done = ids;
  held = [];
  ids = [];
  try {
    file!.append(entries);
    send({ type: 'written', ids: done });
  } catch (err) {
    send({ type: 'refused', ids: done, error: describe(err) });
  }
}

port.on('message', (m: ToWriter) => {
  if (m.type === 'write') {
    try {
      const entries = unpackBatch(m.batch).map(([c, tenantId]) => rows.row(c, tenantId));
      held.push(...entries);
      ids.push(m.id);
    } catch (err) {
      send({ type: 'refused', ids: [m.id], error: describe(err) });
      return;
    }
    if (held.length >= COMMIT_ROWS) commit();
    else timer ??= setTimeout(commit, COMMIT_MS);
  } else if (m.type === 'commit') {
    commit();
  } else if (m.type === 'prune' || m.type === 'cap') {
    // Retention (the recorder's rounds, recorder.ts) runs here too, so that no write to the log's
    // file is made from the serving thread, where waiting for this thread's lock would stop it.
    try {
      send({ type: 'done', id: m.id, count: m.type === 'prune' ? file!.prune(m.before, m.limit) : file!.cap(m.tenantId, m.keep, m.limit) });
    } catch (err) {
      send({ type: 'refused', ids: [m.id], error: describe(err) });
    }
  } else if (m.type === 'stop') {
    commit();
    file?.db.close();
    port.close();
  }
});

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
