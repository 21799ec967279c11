// The SCIM request log's own SQLite file (docs/request-log.md "Where it is kept", docs/design.md
// "The request log in a file of its own"). On SQLite the log is not a table of the main database
// but a database beside it, `<database file>-requests` (rollcall.db → rollcall.db-requests), so
// that writing it never takes the main file's one write lock, never grows its WAL, and never resets
// the page cache of the connection serving SCIM. Its rows are written from a thread of their own
// (provisioning/request-log/writer-worker.ts) through RequestLogFile below, and read by the store on
// the serving thread with the shared SQL of sql/request-log.ts.
//
// This module imports nothing but the driver: the writer thread loads it, and every module a thread
// loads costs its start (loading kysely and the store from source took a second of CPU).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { NewRequestLogEntry } from '../store.ts';

/** The log file of a main database file. */
export const requestLogFilename = (filename: string): string => `${filename}-requests`;

/**
 * The table and indexes: the main database's migrations 010 and 013, with request_log_resource keyed
 * as PostgreSQL's migration 015 keys it (sql/request-log.ts says what each index is for). The
 * migration-parity test holds them equal to PostgreSQL's table. `user_version` counts the file's
 * schema changes that code before them could not read; rekeying an index is not one (code before it
 * reads the file as well), so it is made by looking at the index (resourceIndexInOrder below), and
 * a deploy rolled back still opens the file.
 */
const SCHEMA_VERSION = 1;
/** request_log_resource as it is made, in a new file and when an old one is rekeyed. */
const RESOURCE_INDEX = `request_log_resource ON request_log (tenant_id, seq, resource_id)
  WHERE resource_id IS NOT NULL AND (method <> 'GET' OR status >= 400)`;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS request_log (
  seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, at TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, filter TEXT,
  status INTEGER NOT NULL, scim_type TEXT, detail TEXT, reason TEXT, latency_ms REAL NOT NULL, request_id TEXT NOT NULL,
  token_id TEXT, user_agent TEXT, resource_type TEXT, resource_id TEXT,
  request_body TEXT, request_size INTEGER NOT NULL, request_truncated INTEGER NOT NULL,
  response_body TEXT, response_size INTEGER NOT NULL, response_truncated INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS request_log_tenant ON request_log (tenant_id, seq);
CREATE INDEX IF NOT EXISTS request_log_tenant_at ON request_log (tenant_id, at, status);
CREATE INDEX IF NOT EXISTS request_log_errors ON request_log (tenant_id, seq) WHERE status >= 400;
CREATE INDEX IF NOT EXISTS ${RESOURCE_INDEX};
CREATE INDEX IF NOT EXISTS request_log_request_id ON request_log (tenant_id, request_id);
PRAGMA user_version = ${SCHEMA_VERSION};
`;

/**
 * Rekeys request_log_resource from (tenant_id, resource_id, seq), where a logged write landed on a
 * random page, to (tenant_id, seq, resource_id), where it is appended (PostgreSQL's migration 015):
 * for a log file made before that, and for an in-memory database's request_log table, which the
 * main migrations make. Looked at again under the write lock, so two processes opening one file
 * rekey it once. Does nothing where there is no such table or the index is already in order.
 */
export function resourceIndexInOrder(db: Database.Database): void {
  const second = () => (db.pragma('index_info(request_log_resource)') as { seqno: number; name: string }[]).find((c) => c.seqno === 1)?.name;
  if (second() !== 'resource_id') return;
  db.transaction(() => {
    if (second() !== 'resource_id') return;
    db.exec(`DROP INDEX request_log_resource; CREATE INDEX ${RESOURCE_INDEX};`);
  }).immediate();
}

const COLUMNS = `tenant_id, at, method, path, filter, status, scim_type, detail, reason, latency_ms, request_id, token_id, user_agent,
  resource_type, resource_id, request_body, request_size, request_truncated, response_body, response_size, response_truncated`;

/** Opens (creating) a log file: WAL, as the main file, so the store's reads never wait for the writer. */
export function openRequestLogFile(filename: string, busyTimeoutMs: number): Database.Database {
  mkdirSync(dirname(filename), { recursive: true });
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('synchronous = NORMAL');
    const version = () => db.pragma('user_version', { simple: true }) as number;
    const refuseNewer = (v: number) => {
      if (v > SCHEMA_VERSION) throw new Error(`${filename} was written by a newer Rollcall (request log schema ${v}; this one knows ${SCHEMA_VERSION})`);
    };
    const found = version();
    refuseNewer(found);
    if (found < SCHEMA_VERSION) {
      // Read again under the write lock: another process opening the same file may have just made it.
      db.transaction(() => {
        const v = version();
        refuseNewer(v);
        if (v < SCHEMA_VERSION) db.exec(SCHEMA);
      }).immediate();
    }
    resourceIndexInOrder(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Moves the rows of a request_log table left in the main database (Rollcall before the log had a
 * file of its own, and the main migrations, which still create the table) into the log file, then
 * drops that table. Two steps, each a transaction of one file's writes, because SQLite does not
 * commit two WAL files atomically: the rows are copied with their seq (so ids and cursors given out
 * before stay valid, and a copy repeated after a crash adds nothing), and the table is dropped only
 * once the copy has committed. Runs on the main connection while the store opens, before it serves.
 */
export function adoptRequestLog(main: Database.Database, logFilename: string): void {
  const present = () => main.prepare(`SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'request_log'`).get() !== undefined;
  if (!present()) return;
  main.prepare('ATTACH DATABASE ? AS request_log_file').run(logFilename);
  try {
    main.transaction(() => {
      if (present()) main.exec(`INSERT OR IGNORE INTO request_log_file.request_log (seq, ${COLUMNS}) SELECT seq, ${COLUMNS} FROM main.request_log`);
    }).immediate();
  } finally {
    main.exec('DETACH DATABASE request_log_file');
  }
  main.exec('DROP TABLE IF EXISTS main.request_log');
}

/** The log file's writes: append, retention and a deleted tenant's rows. Synchronous (better-sqlite3). */
export class RequestLogFile {
  private readonly insert: Database.Statement;
  private readonly appendAll: Database.Transaction<(entries: readonly NewRequestLogEntry[]) => void>;
  private readonly pruneStmt: Database.Statement;
  private readonly edgeStmt: Database.Statement;
  private readonly capStmt: Database.Statement;
  private readonly forgetStmt: Database.Statement;

  constructor(readonly db: Database.Database) {
    this.insert = db.prepare(`INSERT INTO request_log (${COLUMNS}) VALUES (${Array(21).fill('?').join(', ')})`);
    this.appendAll = db.transaction((entries: readonly NewRequestLogEntry[]) => {
      for (const e of entries) {
        this.insert.run(e.tenantId, e.at, e.method, e.path, e.filter, e.status, e.scimType, e.detail, e.reason, e.latencyMs, e.requestId, e.tokenId,
          e.userAgent, e.resourceType, e.resourceId, e.requestBody?.text ?? null, e.requestBody?.size ?? 0, e.requestBody?.truncated ? 1 : 0,
          e.responseBody?.text ?? null, e.responseBody?.size ?? 0, e.responseBody?.truncated ? 1 : 0);
      }
    });
    // Retention as sql/request-log.ts does it for PostgreSQL: the oldest rows by seq, a batch at a time.
    this.pruneStmt = db.prepare(`DELETE FROM request_log WHERE seq IN (SELECT seq FROM (SELECT seq, at FROM request_log ORDER BY seq LIMIT ?) AS oldest WHERE oldest.at < ?)`);
    this.edgeStmt = db.prepare('SELECT seq FROM request_log WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?').pluck();
    this.capStmt = db.prepare('DELETE FROM request_log WHERE seq IN (SELECT seq FROM request_log WHERE tenant_id = ? AND seq <= ? ORDER BY seq LIMIT ?)');
    this.forgetStmt = db.prepare('DELETE FROM request_log WHERE seq IN (SELECT seq FROM request_log WHERE tenant_id = ? ORDER BY seq LIMIT ?)');
  }

  /** Inserts a batch in one transaction. */
  append(entries: readonly NewRequestLogEntry[]): void {
    if (entries.length) this.appendAll.immediate(entries);
  }

  /** Deletes up to `limit` of the oldest rows older than `before`; returns how many. */
  prune(before: string, limit: number): number {
    return this.pruneStmt.run(limit, before).changes;
  }

  /** Deletes up to `limit` of the tenant's oldest rows beyond its newest `keep`; returns how many. */
  cap(tenantId: string, keep: number, limit: number): number {
    const edge = this.edgeStmt.get(tenantId, keep) as number | undefined;
    return edge === undefined ? 0 : this.capStmt.run(tenantId, edge, limit).changes;
  }

  /** Deletes up to `limit` of a (deleted) tenant's rows; returns how many. */
  forget(tenantId: string, limit: number): number {
    return this.forgetStmt.run(tenantId, limit).changes;
  }
}
