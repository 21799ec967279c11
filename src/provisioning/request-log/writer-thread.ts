// Where the SCIM request log is written from (docs/design.md "The request log in a file of its
// own"). On SQLite the log is a file of its own beside the main database, and its rows are inserted
// by a thread of its own (writer-worker.ts): the serving thread only captures each request and hands
// the recorder's batches over, a message per batch. Inserting on the serving thread cost a GET by id
// about a quarter more CPU; inserting from another thread into the main file took that file's one
// write lock from SCIM's writes and reset the serving connection's page cache at every batch
// (docs/performance.md, "Issue 13").
//
// The recorder writes from the serving thread instead (through the store) when asked
// (ROLLCALL_REQUEST_LOG_THREAD=main), on PostgreSQL and in-memory SQLite (the log is a table of the
// main database there), when the worker's module cannot be found (a bundler that left it out), and,
// for the rest of the process's life, once the thread has failed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../../config/config.ts';
import type { Store } from '../../store/store.ts';
import type { CapturedRequest } from './recorder.ts';
import { packBatch, type PackedBatch, type RowConfig } from './rows.ts';

export interface WriterData { filename: string; busyTimeoutMs: number; rows: RowConfig }
/** A batch: each captured request with its tenant's id. */
export type WriterBatch = [CapturedRequest, string][];
/** A batch to write; commit what is held now (a flush); retention's deletes; write what is held and stop. */
export type ToWriter =
  | { type: 'write'; id: number; batch: PackedBatch } | { type: 'commit' }
  | { type: 'prune'; id: number; before: string; limit: number } | { type: 'cap'; id: number; tenantId: string; keep: number; limit: number }
  | { type: 'stop' };
export type FromWriter =
  | { type: 'written'; ids: number[] }
  /** A prune or cap done: the rows it deleted. */
  | { type: 'done'; id: number; count: number }
  /** The database refused these batches (their rows are lost, as a refused batch is on the serving thread). */
  | { type: 'refused'; ids: number[]; error: string }
  /** The thread could not open the log file. */
  | { type: 'failed'; error: string };

/** How long stop() waits for the thread to close its connection before ending it. */
const STOP_WAIT_MS = 5_000;
const BUSY_TIMEOUT_MS = 5_000;

/** The worker's module beside this one: .ts when run from source (tsx), .js from dist/. */
function writerUrl(): URL {
  const here = import.meta.url;
  return new URL(`./writer-worker${here.endsWith('.ts') ? '.ts' : '.js'}`, here);
}

/** The recorder's writer thread for this store, or why the log is written from the serving thread. */
export function makeWriterThread(config: Readonly<Config>, store: Store): WriterThread | string {
  if (!config.requestLog.enabled) return 'the request log is off';
  if (config.requestLog.thread === 'main') return 'ROLLCALL_REQUEST_LOG_THREAD=main';
  if (store.requestLogFile === undefined) return 'the log is a table of the main database (PostgreSQL, or SQLite in memory)';
  if (!existsSync(fileURLToPath(writerUrl()))) return `its module ${fileURLToPath(writerUrl())} is missing (bundled without it?)`;
  return new WriterThread({ filename: store.requestLogFile, busyTimeoutMs: BUSY_TIMEOUT_MS, rows: { maxBodyChars: config.requestLog.maxBodyChars, redact: [...config.requestLog.redact] } });
}

/** The serving thread's side of the writer thread: started on the first batch, stopped with the recorder. */
export class WriterThread {
  private worker?: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (count: number) => void; reject: (err: Error) => void }>();
  private broken?: string;
  private stopping = false;
  private exited?: Promise<void>;

  constructor(private readonly data: WriterData) {}

  /** Why the thread can no longer be used (it failed or was stopped); undefined while it can. */
  get failure(): string | undefined {
    return this.broken;
  }

  /** Hands a batch over; resolves once the thread has committed it (with others: writer-worker.ts). */
  async write(batch: WriterBatch): Promise<void> {
    await this.ask((id) => ({ type: 'write', id, batch: packBatch(batch) }));
  }

  /** Store.pruneRequestLog, in the thread. */
  prune(before: string, limit: number): Promise<number> {
    return this.ask((id) => ({ type: 'prune', id, before, limit }));
  }

  /** Store.capRequestLog, in the thread. */
  cap(tenantId: string, keep: number, limit: number): Promise<number> {
    return this.ask((id) => ({ type: 'cap', id, tenantId, keep, limit }));
  }

  private ask(message: (id: number) => ToWriter): Promise<number> {
    if (this.broken !== undefined) return Promise.reject(new Error(this.broken));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    // Posted first: a message that cannot be sent (it cannot be copied) leaves nothing waiting.
    worker.postMessage(message(id));
    return new Promise<number>((resolve, reject) => {
      // Referenced while an answer is due, so a process that awaits a flush waits for the thread.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
    });
  }

  /** Asks the thread to commit what it holds now rather than at its own pace. */
  commit(): void {
    this.worker?.postMessage({ type: 'commit' } satisfies ToWriter);
  }

  private spawn(): Worker {
    const url = writerUrl();
    const workerData = this.data;
    // From source (tsx, the tests), the thread registers tsx's loader itself before loading the
    // module, as the delivery thread does (events/delivery-thread.ts).
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData })
      : new Worker(url, { workerData });
    this.worker = worker;
    worker.unref();
    let exited!: () => void;
    this.exited = new Promise<void>((r) => { exited = r; });
    worker.on('message', (m: FromWriter) => {
      if (m.type === 'written') for (const id of m.ids) this.settle(id)?.resolve(0);
      else if (m.type === 'done') this.settle(m.id)?.resolve(m.count);
      else if (m.type === 'refused') for (const id of m.ids) this.settle(id)?.reject(new Error(m.error));
      else this.fail(`the request log's writer thread could not open ${this.data.filename}: ${m.error}`);
    });
    worker.on('error', (err) => this.fail(`the request log's writer thread failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`));
    worker.on('exit', (code) => {
      exited();
      if (!this.stopping) this.fail(`the request log's writer thread exited (code ${code})`);
    });
    return worker;
  }

  private settle(id: number) {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker?.unref();
    return w;
  }

  /**
   * The thread is gone: every batch still waiting is rejected, and the recorder writes it from the
   * serving thread. A batch the thread had committed but not yet acknowledged when it died is then
   * written twice: at least once, never lost, is the trade (a thread dies only on a defect or when
   * out of memory).
   */
  private fail(why: string): void {
    this.broken ??= why;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(new Error(this.broken));
    if (!this.stopping) void this.worker?.terminate();
    this.worker = undefined;
  }

  /** Stops the thread once the batches handed over are written (the recorder flushes first). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const worker = this.worker;
    if (!worker) { this.broken ??= 'stopped'; return; }
    worker.ref();
    worker.postMessage({ type: 'stop' } satisfies ToWriter);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), STOP_WAIT_MS); });
    if ((await Promise.race([this.exited, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
    this.fail('stopped');
  }
}
