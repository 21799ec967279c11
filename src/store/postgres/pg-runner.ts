// Runs the shared SQL on pg directly (kysely only compiles it), as named prepared statements once a
// statement text has come back. PostgreSQL then parses and plans it once per connection instead of
// on every execution: 86 → 35 µs of database CPU for a lookup by id (docs/performance.md), on
// the cores it shares with Node.
import type pg from 'pg';
import type { Kysely, RawBuilder } from 'kysely';
import type { QueryResult, QueryRunner } from '../sql/runner.ts';

/** Most statement texts given a name per process; every pooled connection may prepare each once. */
const MAX_NAMED = 300;
/** Texts seen once are only counted; filters make endless one-off texts, which stay unnamed. */
const MAX_COUNTED = 5000;

/**
 * Which statement texts run as named (prepared) statements. A text earns a name the second time it
 * is seen, while fewer than MAX_NAMED have one, so the prepared statements each connection keeps
 * stay bounded however many distinct filters clients send.
 */
export class StatementNames {
  private readonly named = new Map<string, string>();
  private readonly seen = new Set<string>();
  /** Texts whose named form failed (a column list changed under a running process): always unnamed. */
  private readonly refused = new Set<string>();
  /** Names are never reused: a connection may still hold a refused text under its old name. */
  private issued = 0;

  nameFor(text: string): string | undefined {
    const name = this.named.get(text);
    if (name !== undefined || this.refused.has(text)) return name;
    if (!this.seen.has(text)) {
      if (this.seen.size >= MAX_COUNTED) this.seen.clear();
      this.seen.add(text);
      return undefined;
    }
    if (this.issued >= MAX_NAMED) return undefined;
    const fresh = `rollcall_${++this.issued}`;
    this.named.set(text, fresh);
    return fresh;
  }

  refuse(text: string): void {
    this.named.delete(text);
    this.refused.add(text);
  }
}

/** "cached plan must not change result type": a migration changed a table a named statement reads. */
const PLAN_CHANGED = '0A000';

export class PgRunner implements QueryRunner {
  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly compiler: Kysely<any>,
    /** The pool outside a transaction; the transaction's own client inside one. */
    private readonly executor: pg.Pool | pg.PoolClient,
    private readonly names: StatementNames,
    private readonly slowQueryMs: number,
    private readonly onSlowQuery?: (sqlText: string, ms: number) => void,
  ) {}

  async run<R>(query: RawBuilder<R>): Promise<QueryResult<R>> {
    const compiled = query.compile(this.compiler);
    const text = compiled.sql;
    const values = compiled.parameters as unknown[];
    const started = performance.now();
    const name = this.names.nameFor(text);
    let res: pg.QueryResult;
    try {
      res = await this.executor.query(name ? { name, text, values } : { text, values });
    } catch (err) {
      if (!name || (err as { code?: string }).code !== PLAN_CHANGED) throw err;
      this.names.refuse(text);
      res = await this.executor.query({ text, values });
    }
    const ms = performance.now() - started;
    if (this.onSlowQuery && ms >= this.slowQueryMs) this.onSlowQuery(text, Math.round(ms));
    return { rows: res.rows as R[], numAffectedRows: BigInt(res.rowCount ?? 0) };
  }
}
