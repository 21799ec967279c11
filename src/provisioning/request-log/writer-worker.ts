// The request log's writer thread (writer-thread.ts starts it): its own connection to the log's
// SQLite file (store/sqlite/request-log-file.ts). The serving thread hands it batches of captured
// requests; here they are redacted, cut to size and inserted, one transaction per batch, and the
// count written is sent back. Imports only the driver, the file's SQL and the row builder, so the
// thread starts in a fraction of the time a store would take.
import { parentPort, workerData } from 'node:worker_threads';
import { openRequestLogFile, RequestLogFile } from '../../store/sqlite/request-log-file.ts';
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

port.on('message', (m: ToWriter) => {
  if (m.type === 'write') {
    try {
      const entries = unpackBatch(m.batch).map(([c, tenantId]) => rows.row(c, tenantId));
      file!.append(entries);
      send({ type: 'written', id: m.id, rows: entries.length });
    } catch (err) {
      send({ type: 'refused', id: m.id, error: describe(err) });
    }
  } else if (m.type === 'stop') {
    file?.db.close();
    port.close();
  }
});

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
