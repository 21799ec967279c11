// node --import tsx bench/request-log-insert.ts [--rows N] [--batch B] [--indexes all|none|tenant]
// The request log's INSERT alone, as the writer thread does it (store/sqlite/request-log-file.ts):
// N PATCH-like rows (a 150-character request body, a 600-character answer, resource ids drawn from
// 5,000 users, request ids in time order as Rollcall's UUIDv7 are) into a fresh log file, B rows per transaction; prints the CPU µs per row. Used to
// choose how many rows the thread commits at once (docs/performance.md "Issue 13").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openRequestLogFile, RequestLogFile } from '../src/store/sqlite/request-log-file.ts';
import type { NewRequestLogEntry } from '../src/store/store.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const N = Number(option('rows', '30000'));
const B = Number(option('batch', '100'));
const INDEXES = option('indexes', 'all');

const dir = mkdtempSync(join(tmpdir(), 'rollcall-log-bench-'));
try {
  const db = openRequestLogFile(join(dir, 'bench.db-requests'), 5000);
  const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'request_log'`).pluck().all() as string[];
  for (const name of names) if (INDEXES === 'none' || (INDEXES === 'tenant' && name !== 'request_log_tenant')) db.exec(`DROP INDEX ${name}`);
  const file = new RequestLogFile(db);
  const tenantId = randomUUID();
  const users = Array.from({ length: 5000 }, () => randomUUID());
  const request = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: true }] });
  const answer = (id: string) => JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id, userName: 'u1@bench.example', emails: [{ value: 'u1@bench.example', type: 'work' }], active: true, meta: { resourceType: 'User', created: new Date().toISOString(), lastModified: new Date().toISOString(), location: `http://127.0.0.1:1234/scim/v2/bench/Users/${id}`, version: 'W/"3"' } });
  let n = 0;
  const cpu0 = process.cpuUsage();
  while (n < N) {
    const batch: NewRequestLogEntry[] = [];
    for (let i = 0; i < B && n < N; i++, n++) {
      const id = users[(n * 7919) % users.length];
      const body = answer(id);
      batch.push({ tenantId, at: new Date().toISOString(), method: 'PATCH', path: `/scim/v2/bench/Users/${id}`, filter: null, status: 200, scimType: null, detail: null, reason: null,
        latencyMs: 1.2, requestId: `0193f000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`, tokenId: 'tok', userAgent: 'Okta SCIM Client 1.0.0', resourceType: 'User', resourceId: id,
        requestBody: { text: request, size: request.length, truncated: false }, responseBody: { text: body, size: body.length, truncated: false } });
    }
    file.append(batch);
  }
  const cpu = process.cpuUsage(cpu0);
  db.close();
  console.log(`${N} rows, ${B} per transaction, indexes ${INDEXES}: ${((cpu.user + cpu.system) / N).toFixed(1)} µs of CPU per row (building the rows included)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
