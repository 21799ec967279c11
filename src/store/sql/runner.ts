// How the shared SQL reaches a database: a query built with kysely's `sql` template goes in, rows
// (and the affected-row count) come out. kysely only compiles; each driver runs the compiled
// statement on its own client (sqlite/sqlite-runner.ts, postgres/pg-runner.ts), which measured about
// three times cheaper per query than kysely's driver stack.
import type { RawBuilder } from 'kysely';

export interface QueryResult<R> { rows: R[]; numAffectedRows?: bigint }

export interface QueryRunner {
  run<R>(query: RawBuilder<R>): Promise<QueryResult<R>>;
}
