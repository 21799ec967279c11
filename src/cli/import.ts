// `rollcall import <tenant> <file>`: users from a CSV, JSON or NDJSON file into a tenant, through
// the provisioning use cases (src/provisioning/import/importer.ts). Every row's outcome that is not
// "unchanged" goes to the report (CSV, or JSON Lines for .json/.ndjson/.jsonl), failures with their
// row, line and reason; the import never stops at a bad row. A checkpoint beside the report records
// the last row applied after every chunk: run the same command again after an interruption and it
// continues after that row (--restart ignores it). Exit code 0: every row imported; 1: some rows
// failed (see the report); 2: the command could not start (usage, unknown columns, no such tenant);
// 130: interrupted (Ctrl-C or SIGTERM), checkpoint saved.
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { makeProvisioning } from '../provisioning/from-config.ts';
import { auditHook, CLI_ACTOR, eventActor } from '../provisioning/admin/audit.ts';
import { csvField } from '../provisioning/import/export.ts';
import { importUsers, type ImportMode, type RowResult } from '../provisioning/import/importer.ts';
import { MappingError, parseMap } from '../provisioning/import/mapping.ts';
import { formatOf, openSource } from '../provisioning/import/records.ts';
import { requireTenant } from '../provisioning/tenants/tenants.ts';
import { drained } from './drained.ts';
import { Progress } from './import-progress.ts';
import { dbOption, UsageError, withStore } from './index.ts';

interface ImportOpts { db?: string; map?: string; dryRun?: boolean; as: ImportMode; report?: string; restart?: boolean; limit?: string; json?: boolean }

interface Checkpoint { file: string; size: number; mtimeMs: number; tenant: string; mode: ImportMode; lastRow: number }

/** The report file: CSV (row,line,userName,outcome,changes,reason) or JSON Lines, by its extension. */
class Report {
  private readonly out: WriteStream;
  private readonly json: boolean;
  constructor(readonly path: string, append: boolean) {
    this.json = /\.(json|ndjson|jsonl)$/i.test(path);
    const fresh = !append || !existsSync(path);
    this.out = createWriteStream(path, { flags: fresh ? 'w' : 'a' });
    if (fresh && !this.json) this.out.write('row,line,userName,outcome,changes,reason\r\n');
  }
  row(r: RowResult): void {
    if (r.outcome === 'unchanged') return;
    if (this.json) { this.out.write(`${JSON.stringify(r)}\n`); return; }
    this.out.write(`${r.row},${r.line},${csvField(r.key)},${r.outcome},${csvField((r.changes ?? []).join(' '))},${csvField(r.reason ?? '')}\r\n`);
  }
  /** Once the rows written so far are out of memory (or at once): the import waits for it after each chunk. */
  drained(): Promise<void> { return drained(this.out); }
  close(): Promise<void> { return new Promise((done, fail) => { this.out.once('error', fail); this.out.end(done); }); }
}

export function registerImport(program: Command): void {
  program.command('import <tenant> <file>')
    .description('import users from a .csv, .json or .ndjson file into a tenant (idempotent: re-running changes only what differs; resumable)')
    .option('--map <file>', 'JSON file mapping columns to SCIM attributes: {"Column": "name.givenName", "Other": null}')
    .option('--dry-run', 'report what would be created, updated, unchanged or failed, writing nothing')
    .addOption(new Option('--as <mode>', 'local: users the app owns (as the admin API creates them); scim: as if the identity provider sent them (IdP-managed)').choices(['local', 'scim']).default('local'))
    .option('--report <file>', 'where each created, updated and failed row is written: .csv, or .json/.ndjson for JSON Lines (default: <file>.report.csv, or <file>.dry-run-report.csv)')
    .option('--restart', 'ignore the checkpoint of an interrupted run and start from the first row')
    .option('--limit <rows>', 'import at most this many rows, then stop as if interrupted (the next run continues)')
    .option('--json', 'print the summary as one JSON object')
    .addOption(dbOption())
    .action(async (slug: string, file: string, opts: ImportOpts) => withStore(opts, async (store, c) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit must be a whole number of rows from 1, got ${opts.limit}`);
      const path = resolve(file);
      const info = (() => { try { return statSync(path); } catch { return undefined; } })();
      if (!info?.isFile()) throw new UsageError(`no file at ${file}`);
      const tenant = await requireTenant(store, slug);
      const provisioning = makeProvisioning(c, store);
      const ctx = await provisioning.context(tenant, { actor: eventActor(CLI_ACTOR), hooks: [auditHook(CLI_ACTOR)] });
      let source;
      try {
        const map = opts.map === undefined ? undefined : parseMap(readMapFile(opts.map));
        source = await openSource(path, formatOf(path), ctx.schemas, map);
      } catch (err) {
        if (err instanceof MappingError) throw new UsageError(err.message);
        throw err;
      }

      // A dry run's report goes elsewhere by default: it must not overwrite an interrupted import's.
      const reportPath = resolve(opts.report ?? `${file}.${opts.dryRun ? 'dry-run-report' : 'report'}.csv`);
      const checkpointPath = `${reportPath}.checkpoint`;
      const identity = { file: path, size: info.size, mtimeMs: info.mtimeMs, tenant: tenant.id, mode: opts.as };
      let skipThrough = 0;
      if (!opts.dryRun && !opts.restart && existsSync(checkpointPath)) {
        const cp = readCheckpoint(checkpointPath);
        if (!cp || cp.file !== identity.file || cp.size !== identity.size || cp.mtimeMs !== identity.mtimeMs || cp.tenant !== identity.tenant || cp.mode !== identity.mode) {
          throw new UsageError(`${checkpointPath} is the checkpoint of an interrupted import of another file, tenant or mode, or the file has changed since: run again with --restart to start from the first row (re-importing is safe: unchanged users are skipped), or with another --report`);
        }
        skipThrough = cp.lastRow;
        if (!opts.json) console.error(`Resuming after row ${skipThrough} (checkpoint ${checkpointPath}).`);
      }
      const report = new Report(reportPath, skipThrough > 0);
      const progress = new Progress(opts.dryRun ? 'checked' : 'imported', source.size);
      let count = 0;
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        console.error('\nInterrupted: finishing the rows in flight, then saving the checkpoint (press Ctrl-C again to stop at once).');
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);
      const started = performance.now();
      try {
        const summary = await importUsers(ctx, source.records, {
          mode: opts.as, dryRun: Boolean(opts.dryRun), skipThrough, limit,
          onRow: (r) => { report.row(r); count++; progress.update(count, source.bytesRead()); },
          drain: () => report.drained(),
          onCheckpoint: async (row) => writeCheckpoint(checkpointPath, { ...identity, lastRow: row }),
          stopRequested: () => interrupted,
        });
        progress.end();
        await report.close();
        const secs = (performance.now() - started) / 1000;
        const stopped = summary.stopped || interrupted;
        if (!stopped && !opts.dryRun) rmSync(checkpointPath, { force: true });
        const rows = summary.created + summary.updated + summary.unchanged + summary.failed;
        if (opts.json) {
          console.log(JSON.stringify({ tenant: tenant.slug, file, mode: opts.as, dryRun: Boolean(opts.dryRun), ...summary, stopped, seconds: Math.round(secs * 100) / 100, report: reportPath, checkpoint: stopped && !opts.dryRun ? checkpointPath : null }));
        } else {
          const what = opts.dryRun ? 'Dry run (nothing written): would create' : 'Created';
          console.log(`${what} ${summary.created}, ${opts.dryRun ? 'update' : 'updated'} ${summary.updated}; ${summary.unchanged} unchanged, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped (applied before the checkpoint)` : ''}: ${rows} rows of ${file} into ${tenant.slug} as ${opts.as} users in ${secs.toFixed(1)} s (${Math.round(rows / Math.max(secs, 0.001))} rows/s).`);
          console.log(`Report: ${reportPath}${summary.failed ? ` (${summary.failed} failed row${summary.failed === 1 ? '' : 's'}, each with its reason)` : ''}`);
          if (stopped && !opts.dryRun) console.log(`Stopped after row ${summary.lastRow}: run the same command again to continue from there (checkpoint ${checkpointPath}).`);
        }
        if (summary.failed) process.exitCode = 1;
        if (interrupted) process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
      }
    }));
}

function readMapFile(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch (err) { throw new UsageError(`cannot read the --map file ${path}: ${(err as Error).message}`); }
}

function readCheckpoint(path: string): Checkpoint | undefined {
  try { return JSON.parse(readFileSync(path, 'utf8')) as Checkpoint; } catch { return undefined; }
}

/** Written beside, then renamed over the old one: a crash mid-write leaves the previous checkpoint. */
function writeCheckpoint(path: string, cp: Checkpoint): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(cp));
  renameSync(`${path}.tmp`, path);
}
