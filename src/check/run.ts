// `rollcall check`: runs the chosen sequences against a SCIM base URL, prints each step as it
// runs, cleans up what it created (unless --keep) and builds the report (--json prints it).
import { randomBytes } from 'node:crypto';
import { createClient, normaliseBaseUrl, type Exchange } from './http.ts';
import { entra2020Sequence, entraSequence } from './entra.ts';
import { oktaSequence } from './okta.ts';
import { rfcSequence } from './rfc.ts';
import { runSequence, type RunState, type Sequence, type StepResult } from './step.ts';

export { BadTarget } from './http.ts';

export const PROFILES = ['okta', 'entra', 'entra-2020', 'rfc', 'all'] as const;
export type Profile = typeof PROFILES[number];

export function sequencesFor(profile: Profile): Sequence[] {
  switch (profile) {
    case 'okta': return [oktaSequence];
    case 'entra': return [entraSequence];
    case 'entra-2020': return [entra2020Sequence];
    case 'rfc': return [rfcSequence];
    case 'all': return [rfcSequence, oktaSequence, entraSequence, entra2020Sequence];
  }
}

export interface CheckReport {
  target: string;
  runId: string;
  as: Profile;
  startedAt: string;
  ms: number;
  ok: boolean;
  summary: { passed: number; failed: number; skipped: number; requests: number };
  sequences: { id: string; title: string; steps: StepResult[] }[];
  cleanup: { kept: boolean; deleted: string[]; left: { path: string; reason: string }[] };
}

export interface CheckOptions {
  baseUrl: string;
  token: string;
  as: Profile;
  keep: boolean;
  timeoutMs: number;
  /** Where progress goes; `tty` turns on the live display (one line rewritten while a step runs). */
  out: { write(s: string): void; tty: boolean };
  runId?: string;
}

export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
  const target = normaliseBaseUrl(opts.baseUrl);
  const runId = opts.runId ?? randomBytes(4).toString('hex');
  const http = createClient({ baseUrl: target, token: opts.token, timeoutMs: opts.timeoutMs });
  const state: RunState = { runId, created: new Set(), ids: new Map() };
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const out = opts.out;
  out.write(`rollcall check ${target} (as ${opts.as}, run ${runId})\n`);
  const sequences: CheckReport['sequences'] = [];
  for (const seq of sequencesFor(opts.as)) {
    out.write(`\n${seq.title}\n`);
    const steps = await runSequence(seq, {
      http,
      state,
      onStart: (_s, step) => { if (out.tty) out.write(`  \x1b[2m…    ${step.title}\x1b[0m`); },
      onEnd: (s, r) => {
        if (out.tty) out.write('\r\x1b[2K');
        out.write(`${stepLine(s, r, out.tty)}\n`);
        if (r.failure) out.write(indent(formatFailure(r), 8));
      },
    });
    sequences.push({ id: seq.id, title: seq.title, steps });
  }
  const cleanup = await cleanUp(http, state, opts.keep);
  const all = sequences.flatMap((s) => s.steps);
  const summary = {
    passed: all.filter((r) => r.status === 'pass').length,
    failed: all.filter((r) => r.status === 'fail').length,
    skipped: all.filter((r) => r.status === 'skip').length,
    requests: http.log.length,
  };
  const ok = summary.failed === 0 && (cleanup.kept || cleanup.left.length === 0);
  out.write(`\n${cleanupLine(cleanup)}\n`);
  out.write(`${ok ? 'All checks passed' : 'Some checks FAILED'}: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (${summary.requests} requests, ${((Date.now() - started) / 1000).toFixed(1)} s).\n`);
  return { target, runId, as: opts.as, startedAt, ms: Date.now() - started, ok, summary, sequences, cleanup };
}

function stepLine(seq: Sequence, r: StepResult, tty: boolean): string {
  const colour = (code: number, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
  const mark = r.status === 'pass' ? colour(32, 'PASS') : r.status === 'fail' ? colour(31, 'FAIL') : colour(33, 'SKIP');
  return `  ${mark} ${seq.id}/${r.id}: ${r.title} (${r.ms} ms)${r.reason ? ` — ${r.reason}` : ''}`;
}

const indent = (s: string, n: number) => s.split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');

/** A failed step for a person: what was expected, the exchange, and what the IdP would do. */
export function formatFailure(r: StepResult): string {
  const f = r.failure;
  if (!f) return '';
  const lines = [`Expected: ${f.expected}`];
  if (f.exchange) lines.push(...formatExchange(f.exchange));
  lines.push(`What would follow: ${f.consequence}.`, '');
  return lines.join('\n');
}

const SHOWN_HEADERS = ['content-type', 'location', 'etag', 'retry-after', 'www-authenticate'];

export function formatExchange(x: Exchange): string[] {
  const lines = [`Request:  ${x.request.method} ${x.request.url}`];
  for (const h of ['if-match', 'if-none-match']) if (x.request.headers[h]) lines.push(`          ${h}: ${x.request.headers[h]}`);
  if (x.request.body !== undefined) lines.push(...clip(JSON.stringify(x.request.body, null, 2), 40).map((l) => `          ${l}`));
  if (!x.response) { lines.push(`Response: none (${x.error})`); return lines; }
  const res = x.response;
  lines.push(`Response: ${res.status} (${x.ms} ms)`);
  for (const h of SHOWN_HEADERS) if (res.headers[h]) lines.push(`          ${h}: ${res.headers[h]}`);
  const text = res.json !== undefined ? JSON.stringify(res.json, null, 2) : res.text;
  if (text) lines.push(...clip(text, 40).map((l) => `          ${l}`));
  return lines;
}

function clip(text: string, max: number): string[] {
  const lines = text.split('\n');
  return lines.length <= max ? lines : [...lines.slice(0, max), `… (${lines.length - max} more lines)`];
}

async function cleanUp(http: ReturnType<typeof createClient>, state: RunState, keep: boolean): Promise<CheckReport['cleanup']> {
  const paths = [...state.created].sort((a, b) => (a.startsWith('/Groups/') ? 0 : 1) - (b.startsWith('/Groups/') ? 0 : 1));
  if (keep) return { kept: true, deleted: [], left: paths.map((path) => ({ path, reason: '--keep' })) };
  const deleted: string[] = [];
  const left: { path: string; reason: string }[] = [];
  for (const path of paths) {
    const x = await http.send('DELETE', path);
    const status = x.response?.status;
    if (status !== undefined && (status < 300 || status === 404)) deleted.push(path);
    else left.push({ path, reason: x.response ? `DELETE answered ${status}` : `DELETE got no answer (${x.error})` });
  }
  return { kept: false, deleted, left };
}

function cleanupLine(c: CheckReport['cleanup']): string {
  if (c.kept) return `Kept what the run created (--keep): ${c.left.map((l) => l.path).join(', ') || 'nothing'}.`;
  const left = c.left.length ? ` Could not delete: ${c.left.map((l) => `${l.path} (${l.reason})`).join(', ')}.` : '';
  return `Cleanup: deleted ${c.deleted.length} resource(s) the run created and had not deleted itself.${left}`;
}
