// The delivery thread's entry (events/delivery-thread.ts starts it with `new Worker`): its own
// database connection, its own delivery engine for webhooks and the welcome email, its own event
// loop. The thread that serves SCIM only tells it "events committed" (a message); everything else —
// claims, reads, HTTP and SMTP, recording — happens here, so a saturated request loop no longer
// stretches every step of a delivery (docs/performance.md, "Issue 10").
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/config.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import type { EventEngine } from './engine.ts';
import { makeEngine, type FromWorker, type ToWorker } from './delivery-thread.ts';

/** Connections of the thread's own PostgreSQL pool: a claim, a stream's reads and its records at once. */
const POOL = 3;

const port = parentPort;
if (!port) throw new Error('delivery-worker.ts runs as a worker thread (events/delivery-thread.ts)');
const send = (m: FromWorker) => port.postMessage(m);
const log = { warn: (obj: object, msg: string) => send({ type: 'warn', obj: JSON.parse(JSON.stringify(obj)) as object, msg }) };

const config = (workerData as { config: Config }).config;
let store: Store | undefined;
let engine: EventEngine | undefined;
let stopping = false;
let opening: Promise<void> | undefined;

// Attempts' outcomes for the main thread's /metrics, sent as sums at most once a second (and at
// stop): a message per attempt would cost more than the counting.
const OUTCOMES_EVERY_MS = 1000;
let outcomes: Record<string, number> = {};
let counted = false;
const sendOutcomes = () => {
  if (!counted) return;
  send({ type: 'outcomes', counts: outcomes });
  outcomes = {};
  counted = false;
};
setInterval(sendOutcomes, OUTCOMES_EVERY_MS).unref();

port.on('message', (m: ToWorker) => {
  if (m.type === 'wake') engine?.wake();
  else if (m.type === 'stop') void stop();
});

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await opening;
    await engine?.stop();
    await store?.close();
  } finally {
    sendOutcomes();
    send({ type: 'stopped' });
    port!.close();
  }
}

opening = (async () => {
  store = await openStore({ ...config, dbPoolSize: Math.min(POOL, config.dbPoolSize) }, { onSlowQuery: (sql, ms) => log.warn({ sql, ms }, 'slow query (delivery thread)') });
  if (stopping) return; // stop() closes it
  engine = makeEngine(config, store, {
    log,
    onOutcome: (kind, outcome) => { const key = `${kind}:${outcome}`; outcomes[key] = (outcomes[key] ?? 0) + 1; counted = true; },
  });
  engine.start();
  send({ type: 'ready' });
})().catch((err: unknown) => {
  store = undefined;
  engine = undefined;
  send({ type: 'failed', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  port.close();
});
