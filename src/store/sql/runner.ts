// How the shared SQL reaches a database: a query built with kysely's `sql` template goes in, rows
// (and the affected-row count) come out. PostgreSQL runs queries through kysely; SQLite runs the
// compiled statement directly on better-sqlite3 (sqlite/sqlite-runner.ts), which measured about
// three times cheaper per query than kysely's driver stack.
import type { Kysely, RawBuilder } from 'kysely';

export interface QueryResult<R> { rows: R[]; numAffectedRows?: bigint }

export interface QueryRunner {
  run<R>(query: RawBuilder<R>): Promise<QueryResult<R>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kyselyRunner(db: Kysely<any>): QueryRunner {
  return { run: (query) => query.execute(db) };
}
