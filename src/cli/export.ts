// `rollcall export <tenant> --format csv|json|ndjson [--out FILE]`: every user of a tenant, streamed
// page by page (src/provisioning/import/export.ts) to a file or stdout, waiting for the output to
// drain before reading the next page, so memory stays bounded whatever the tenant's size.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { makeProvisioning } from '../provisioning/from-config.ts';
import { CLI_ACTOR, eventActor } from '../provisioning/admin/audit.ts';
import { exportUsers, type ExportFormat } from '../provisioning/import/export.ts';
import { requireTenant } from '../provisioning/tenants/tenants.ts';
import { Progress } from './import-progress.ts';
import { drained } from './drained.ts';
import { dbOption, withStore } from './index.ts';

/** Writes and, when the stream's buffer is full, waits for it to drain (or fail). */
function sinkOf(out: Writable) {
  return { write: (text: string) => { out.write(text); return drained(out); } };
}

export function registerExport(program: Command): void {
  program.command('export <tenant>')
    .description("write a tenant's users as CSV (the columns import reads, with groups), JSON or NDJSON (SCIM users)")
    .addOption(new Option('--format <format>', 'csv, json or ndjson').choices(['csv', 'json', 'ndjson']).default('ndjson'))
    .option('--out <file>', 'write to this file instead of standard output')
    .addOption(dbOption())
    .action(async (slug: string, opts: { db?: string; format: ExportFormat; out?: string }) => withStore(opts, async (store, c) => {
      const tenant = await requireTenant(store, slug);
      const ctx = await makeProvisioning(c, store).context(tenant, { actor: eventActor(CLI_ACTOR) });
      const file = opts.out === undefined ? undefined : createWriteStream(opts.out);
      const out: Writable = file ?? process.stdout;
      const progress = file ? new Progress('exported', 0) : undefined;
      const started = performance.now();
      const count = await exportUsers(ctx, opts.format, sinkOf(out), (n) => progress?.update(n, 0));
      if (file) {
        await new Promise<void>((done, fail) => { file.once('error', fail); file.end(done); });
        progress?.end();
        console.error(`Exported ${count} users of ${tenant.slug} to ${opts.out} (${opts.format}) in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
      }
    }));
}
