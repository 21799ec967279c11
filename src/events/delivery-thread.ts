// Where delivery runs (docs/design.md, "Delivery in its own thread"). Webhooks and the welcome email
// are delivered from a worker thread of their own (delivery-worker.ts): its own database connection,
// its own event loop. On the request thread, every await of a delivery — the claim, the read, the
// HTTP request, the record — waited its turn behind the SCIM requests, and one stream delivers one
// event at a time (ordering), so a saturating write load held delivery near 100 events/s
// (docs/performance.md, "Issue 10"). The request thread keeps only what must stay there: the
// in-process listeners of the library (rc.on), which call the vendor's functions.
//
// The thread starts once some webhook endpoint or welcome email is switched on (a look at most every
// CHECK_GAP_MS while none is), so a Rollcall without them runs no second thread. It runs on the main
// thread instead when asked (ROLLCALL_DELIVERY_THREAD=main), for an in-memory SQLite database (a
// second connection would see another, empty, database), with a test's own clock, or when the
// worker's module cannot be found (a bundler that left it out).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sqliteFilename, type Config } from '../config/config.ts';
import { systemClock, type Clock } from '../provisioning/clock.ts';
import type { ConsumerKind, DeliveryOutcomeName, Store } from '../store/store.ts';
import { EmailSink } from './email.ts';
import { EventEngine } from './engine.ts';
import type { Sink } from './sink.ts';
import { WebhookSink } from './webhook-sender.ts';

export type ToWorker = { type: 'wake' } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' } | { type: 'stopped' } | { type: 'failed'; error: string }
  | { type: 'warn'; obj: object; msg: string }
  /** Attempts' outcomes since the last such message, by "kind:outcome" (for /metrics). */
  | { type: 'outcomes'; counts: Record<string, number> };

type Log = { warn(obj: object, msg: string): void };

/** What the composition roots start once they serve, and stop before the database closes. */
export interface Delivery {
  start(): void;
  stop(): Promise<void>;
  /** Where webhooks and email are delivered from: 'worker' or 'main', and why not the worker. */
  readonly mode: { thread: 'worker' | 'main'; reason?: string };
}

/** The kinds the delivery thread serves; any other sink (the listeners) stays on the main thread. */
const THREAD_KINDS: readonly ConsumerKind[] = ['webhook', 'email'];
/** Shortest gap between looks for a switched-on webhook or email while the thread is not running. */
const CHECK_GAP_MS = 100;
/** A thread that failed or exited is started again no sooner than this. */
const RESTART_MS = 5_000;
/** How long stop() waits for the thread (its engine gives deliveries 5 s) before terminating it. */
const STOP_WAIT_MS = 10_000;

export interface DeliveryOptions {
  clock?: Clock;
  /** Sinks of other kinds (the library's listeners), or replacements (tests). */
  sinks?: Partial<Record<ConsumerKind, Sink>>;
  log?: Log;
  /** Told of each attempt's outcome, on this thread wherever delivery runs (http/metrics/ counts them). */
  onOutcome?: OutcomeListener;
}

export type OutcomeListener = (kind: ConsumerKind, outcome: DeliveryOutcomeName, count?: number) => void;

/** The delivery engine over one store, on the main thread: every kind's sink in one engine. */
export function makeEngine(config: Readonly<Config>, store: Store, options: DeliveryOptions = {}): EventEngine {
  const clock = options.clock ?? systemClock;
  return new EventEngine({
    store, clock, log: options.log, onOutcome: options.onOutcome, ...config.delivery,
    // The welcome email's sink in every process: it sends only for tenants that turned it on.
    sinks: { webhook: new WebhookSink(config.webhooks, clock), email: new EmailSink({ store, smtpUrl: config.smtpUrl, from: config.emailFrom, clock }), ...options.sinks },
  });
}

/** The worker's module beside this one: .ts when run from source (tsx), .js from dist/. */
function workerUrl(): URL {
  const here = import.meta.url;
  return new URL(`./delivery-worker${here.endsWith('.ts') ? '.ts' : '.js'}`, here);
}

/** Why delivery cannot run in its own thread here, or undefined when it can. */
function threadUnavailable(config: Readonly<Config>, options: DeliveryOptions): string | undefined {
  if (config.delivery.thread === 'main') return 'ROLLCALL_DELIVERY_THREAD=main';
  if (sqliteFilename(config.databaseUrl) === ':memory:') return 'an in-memory SQLite database cannot be shared with a second connection';
  if (options.clock && options.clock !== systemClock) return 'a clock of its own was given (tests)';
  if (THREAD_KINDS.some((k) => options.sinks?.[k])) return 'a webhook or email sink of its own was given (tests)';
  if (!existsSync(fileURLToPath(workerUrl()))) return `its module ${fileURLToPath(workerUrl())} is missing (bundled without it?)`;
  return undefined;
}

/** Delivery as `rollcall serve` and the library run it: webhooks and email in a thread when possible. */
export function makeDelivery(config: Readonly<Config>, store: Store, options: DeliveryOptions = {}): Delivery {
  const reason = threadUnavailable(config, options);
  if (reason !== undefined) {
    const engine = makeEngine(config, store, options);
    return { start: () => engine.start(), stop: () => engine.stop(), mode: { thread: 'main', reason } };
  }
  const thread = new DeliveryThread(config, store, options.log, options.onOutcome);
  // The listeners (library): an engine on this thread for them alone.
  const local = Object.keys(options.sinks ?? {}).length
    ? new EventEngine({ store, clock: systemClock, log: options.log, onOutcome: options.onOutcome, ...config.delivery, sinks: { ...options.sinks } })
    : undefined;
  return {
    start() { thread.start(); local?.start(); },
    async stop() { await Promise.all([thread.stop(), local?.stop()]); },
    mode: { thread: 'worker' },
  };
}

/** The main thread's side of the delivery thread: starts it when needed, wakes it on commits, stops it. */
export class DeliveryThread {
  private worker?: Worker;
  private ready = false;
  private running = false;
  private stopping = false;
  private wakePosted = false;
  private checking = false;
  private lastCheck = -Infinity;
  private notBefore = 0;
  private poll?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopped?: Promise<void>;

  constructor(private readonly config: Readonly<Config>, private readonly store: Store, private readonly log?: Log, private readonly onOutcome?: OutcomeListener) {}

  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.unsubscribe = this.store.onEvents(() => this.wake());
    this.poll = setInterval(() => this.wake(), this.config.delivery.pollMs);
    this.poll.unref();
    this.wake();
  }

  /** Events committed (or the poll): tells the thread, or looks whether it is needed yet. */
  wake(): void {
    if (!this.running || this.stopping) return;
    if (this.worker) {
      // One message per turn of this thread's loop, however many commits it saw.
      if (this.ready && !this.wakePosted) {
        this.wakePosted = true;
        setImmediate(() => { this.wakePosted = false; this.post({ type: 'wake' }); });
      }
      return;
    }
    const now = Date.now();
    if (this.checking || now - this.lastCheck < CHECK_GAP_MS || now < this.notBefore) return;
    this.lastCheck = now;
    this.checking = true;
    this.store.hasLiveConsumers(THREAD_KINDS)
      .then((needed) => { if (needed && this.running && !this.stopping && !this.worker) this.spawn(); })
      .catch((err: unknown) => this.log?.warn({ err: describe(err) }, 'event delivery: could not look for webhook endpoints; looking again shortly'))
      .finally(() => { this.checking = false; });
  }

  private post(m: ToWorker): void {
    try { this.worker?.postMessage(m); } catch { /* the thread is exiting: its exit handler takes over */ }
  }

  private spawn(): void {
    const url = workerUrl();
    const workerData = { config: this.config };
    // From source (tsx, the tests), the thread registers tsx's loader itself before loading the
    // module: a worker does not inherit the loader that `node --import tsx` gave this thread.
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData })
      : new Worker(url, { workerData });
    this.worker = worker;
    this.ready = false;
    // The process may exit without waiting for it (close() stops it properly).
    worker.unref();
    let resolveStopped!: () => void;
    this.stopped = new Promise<void>((r) => { resolveStopped = r; });
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') { this.ready = true; this.post({ type: 'wake' }); }
      else if (m.type === 'warn') this.log?.warn(m.obj, m.msg);
      else if (m.type === 'outcomes') {
        for (const [key, n] of Object.entries(m.counts)) {
          const [kind, outcome] = key.split(':') as [ConsumerKind, DeliveryOutcomeName];
          this.onOutcome?.(kind, outcome, n);
        }
      }
      else if (m.type === 'failed') this.log?.warn({ err: m.error }, 'event delivery: the delivery thread could not start; trying again in a few seconds');
    });
    worker.on('error', (err) => this.log?.warn({ err: describe(err) }, 'event delivery: the delivery thread failed; its streams are taken again once their leases expire'));
    worker.on('exit', () => {
      if (this.worker === worker) { this.worker = undefined; this.ready = false; }
      resolveStopped();
      // Not asked to stop: start again after a pause (a thread that keeps failing is not restarted in a loop).
      if (this.running && !this.stopping) this.notBefore = Date.now() + RESTART_MS;
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.poll);
    this.unsubscribe?.();
    const worker = this.worker;
    if (!worker) return;
    this.post({ type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), STOP_WAIT_MS); });
    if ((await Promise.race([this.stopped, late])) === 'late') {
      this.log?.warn({}, 'event delivery: the delivery thread did not stop in time; ending it (its streams are taken again once their leases expire)');
      await worker.terminate();
    }
    clearTimeout(timer);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
