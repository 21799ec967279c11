// node --import tsx bench/import.ts [--rows N] [--db sqlite|postgres] [--as local|scim] [--groups K]
// Generates a CSV of N users (default 100,000; every user in one of K departments' groups, default
// 20), then times, each as its own `rollcall import` / `rollcall export` process on a fresh
// database: the first import, a re-run of the same file (everything unchanged), an export of each
// format (peak RSS of the process, from /usr/bin/time-free getrusage of the child), and a dry run.
// The figures go to docs/performance.md ("Import"). Not a test: it asserts nothing.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDatabase } from '../harness/databases.ts';
import { ROLLCALL } from '../harness/processes.ts';

const args = process.argv.slice(2);
const option = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const ROWS = Number(option('rows') ?? 100_000);
const DB = option('db') === 'postgres' ? 'postgres' : 'sqlite';
const AS = option('as') === 'scim' ? 'scim' : 'local';
const GROUPS = Number(option('groups') ?? 20);

const dir = mkdtempSync(join(tmpdir(), 'rollcall-import-bench-'));
const csv = join(dir, 'users.csv');

async function generate(): Promise<void> {
  const out = createWriteStream(csv);
  const write = (s: string) => new Promise<void>((done) => { if (out.write(s)) done(); else out.once('drain', done); });
  await write('userName,email,givenName,familyName,displayName,active,title,department,employeeNumber,groups\n');
  for (let i = 0; i < ROWS; i++) {
    const d = `Dept ${i % GROUPS}`;
    await write(`user${i}@bench.example,user${i}@bench.example,Given${i},"Family, ${i}",Given${i} Family${i},true,Engineer,${d},E${i},${d}\n`);
  }
  await new Promise<void>((done) => out.end(done));
}

/** Runs the CLI; returns its wall time and peak RSS (the high-water mark VmHWM of /proc/<pid>/status, read every 50 ms while it runs). */
function rollcall(cliArgs: string[], nodeArgs: string[] = []): Promise<{ seconds: number; cpuSeconds: number; code: number | null; stdout: string; stderr: string; peakRssMiB: number }> {
  return new Promise((done, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, ...ROLLCALL, ...cliArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let cpu = 0;
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const poll = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
        if (hwm) peak = Math.max(peak, Number(hwm) / 1024);
        // utime and stime (fields 14 and 15, in clock ticks of 1/100 s): the CPU the process has used, whatever else runs.
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpu = (Number(fields[11]) + Number(fields[12])) / 100;
      } catch { /* exited */ }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => { clearInterval(poll); done({ seconds: (performance.now() - started) / 1000, cpuSeconds: cpu, code, stdout, stderr, peakRssMiB: Math.round(peak) }); });
  });
}


const db = await scratchDatabase(DB);
try {
  await generate();
  console.log(`load average at the start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log(`${ROWS} rows, ${(statSync(csv).size / 1048576).toFixed(1)} MiB CSV, ${GROUPS} groups, ${DB}, --as ${AS}`);
  const dbArgs = ['--db', db.url];
  await rollcall(['migrate', ...dbArgs]);
  await rollcall(['tenant', 'create', 'bench', ...dbArgs]);
  const show = (label: string, r: Awaited<ReturnType<typeof rollcall>>) => console.log(`${label}: ${r.seconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} s CPU, peak RSS ${r.peakRssMiB} MiB, exit ${r.code}\n  ${r.stdout.trim().split('\n')[0]}${r.code ? `\n  ${r.stderr.trim().slice(0, 400)}` : ''}`);
  show('import (first run)', await rollcall(['import', 'bench', csv, '--as', AS, '--report', join(dir, 'report.csv'), ...dbArgs]));
  show('import (re-run, all unchanged)', await rollcall(['import', 'bench', csv, '--as', AS, '--report', join(dir, 'report2.csv'), ...dbArgs]));
  show('import --dry-run', await rollcall(['import', 'bench', csv, '--as', AS, '--dry-run', '--report', join(dir, 'report3.csv'), ...dbArgs]));
  for (const format of ['csv', 'ndjson', 'json']) {
    const out = join(dir, `export.${format}`);
    const r = await rollcall(['export', 'bench', '--format', format, '--out', out, ...dbArgs]);
    show(`export --format ${format} (${(statSync(out).size / 1048576).toFixed(1)} MiB)`, r);
    console.log(`  ${r.stderr.trim().split('\n').pop()}`);
  }
  // Bounded memory, shown: the same export with the V8 heap capped at 64 MiB.
  const capped = await rollcall(['export', 'bench', '--format', 'ndjson', '--out', join(dir, 'capped.ndjson'), ...dbArgs], ['--max-old-space-size=64']);
  show('export --format ndjson with --max-old-space-size=64', capped);
  const idle = await rollcall(['tenant', 'list', ...dbArgs]);
  show('for scale: rollcall tenant list', idle);
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
} finally {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
