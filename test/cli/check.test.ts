// `rollcall check` as a real process: against Rollcall itself (on SQLite, or PostgreSQL with
// ROLLCALL_TEST_DATABASE=postgres) every sequence passes, exit 0, and nothing is left behind unless
// --keep; against test/support/broken-scim-server.ts each planted defect is reported by the step
// that owns it, with the IdP consequence, and the exit code is 1. The pure helpers are tested
// without a network at the end.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROLLCALL } from '../../harness/processes.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { TEST_DATABASE } from '../support/test-database.ts';
import { startBrokenScimServer, type Defect } from '../support/broken-scim-server.ts';
import { runCheck, type CheckReport } from '../../src/check/run.ts';
import { targetUrl, normaliseBaseUrl } from '../../src/check/http.ts';
import { listOf, valueAt, memberIds, CheckFailure, type Answer } from '../../src/check/step.ts';

interface Result { code: number | null; stdout: string; stderr: string }

function check(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ROLLCALL_')) clean[k] = v;
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [...ROLLCALL, 'check', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`rollcall check ${args.join(' ')} did not finish`)); }, 120_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

// The broken server, the usage errors and the pure logic have no database: they run in the SQLite pass only.
const noDatabase = { skip: TEST_DATABASE === 'postgres' ? 'no database involved: runs in the SQLite pass' : false };

const steps = (r: CheckReport) => r.sequences.flatMap((s) => s.steps.map((st) => ({ ...st, key: `${s.id}/${st.id}` })));

async function count(server: TestServer, endpoint: 'Users' | 'Groups', token: string, scimUrl: string): Promise<number> {
  const res = await fetch(`${scimUrl}/${endpoint}?count=0`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  void server;
  return ((await res.json()) as { totalResults: number }).totalResults;
}

describe('rollcall check against Rollcall', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.close(); });

  test('every sequence passes, exit 0, and the run leaves nothing behind', async () => {
    const r = await check([server.scimUrl, '--token', server.token, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as CheckReport;
    assert.equal(report.ok, true);
    assert.deepEqual(report.sequences.map((s) => s.id), ['rfc', 'okta', 'entra', 'entra-2020']);
    const notPassed = steps(report).filter((s) => s.status !== 'pass');
    assert.deepEqual(notPassed.map((s) => `${s.key}: ${s.failure?.expected ?? s.reason}`), []);
    assert.ok(report.summary.passed >= 45, `${report.summary.passed} steps`);
    assert.equal(report.cleanup.left.length, 0);
    assert.ok(!(r.stdout + r.stderr).includes(server.token), 'the token is never printed');
    assert.equal(await count(server, 'Users', server.token, server.scimUrl), 0, 'no user left behind');
    assert.equal(await count(server, 'Groups', server.token, server.scimUrl), 0, 'no group left behind');
    // Progress went to stderr, one line per step, as it ran (not a TTY: plain lines, no escapes).
    assert.match(r.stderr, /^ {2}PASS okta\/connection-test: /m);
    assert.match(r.stderr, /^ {2}PASS entra\/users\.disable-false-string: /m);
    assert.ok(!r.stderr.includes('\u001b['), 'no terminal escapes when not on a terminal');
  });

  test('--keep leaves the run\'s resources; a second run (token from the environment) does not collide with them', async () => {
    const t = await server.createTenant(`keep${process.pid}`);
    const kept = await check([t.scimUrl, '--token', t.token, '--as', 'okta', '--keep']);
    assert.equal(kept.code, 0, kept.stdout + kept.stderr);
    assert.match(kept.stdout, /Kept what the run created \(--keep\): \/Groups\/|Kept what the run created \(--keep\): \/Users\//);
    const left = await count(server, 'Users', t.token, t.scimUrl);
    assert.ok(left >= 4, `${left} users kept`);
    const again = await check([t.scimUrl, '--as', 'okta'], { ROLLCALL_CHECK_TOKEN: t.token });
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /^ {2}PASS okta\/users\.create: /m);
    assert.match(again.stdout, /All checks passed: \d+ passed, 0 failed, 0 skipped/);
    assert.equal(await count(server, 'Users', t.token, t.scimUrl), left, 'the second run removed exactly what it created');
  });

  test('a wrong token fails the first step, says what Okta would do, and exits 1', async () => {
    const r = await check([server.scimUrl, '--token', 'not-the-token', '--as', 'okta']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL okta\/connection-test/);
    assert.match(r.stdout, /Expected: HTTP 200, got 401/);
    assert.match(r.stdout, /What would follow: Okta's "Test API Credentials" fails/);
    assert.doesNotMatch(r.stdout + r.stderr, /not-the-token/, 'the token is never printed');
  });
});

// Each planted defect, the sequence that meets it, the step that must report it and the consequence.
const DEFECT_CASES: { defect: Defect; as: string; step: string; consequence: RegExp; expected: RegExp }[] = [
  { defect: 'filter-ignored', as: 'okta', step: 'okta/users.lookup-absent', consequence: /wrong person gets the account/, expected: /totalResults 0, got [1-9]/ },
  { defect: 'replace-refused', as: 'entra', step: 'entra/users.patch-capitalised', consequence: /quarantine/, expected: /HTTP 200 or 204, got 400/ },
  { defect: 'false-string', as: 'entra', step: 'entra/users.disable-false-string', consequence: /keeps access/, expected: /active to be false, got "False"/ },
  { defect: 'created-without-id', as: 'rfc', step: 'rfc/users.create', consequence: /marks the user's provisioning as failed/, expected: /"id" \(a string\) in the 201 body/ },
  { defect: 'error-body', as: 'rfc', step: 'rfc/errors.not-found', consequence: /Test invalid User by ID/, expected: /a JSON object in the response body/ },
  { defect: 'member-remove-by-value-ignored', as: 'entra', step: 'entra/groups.members-remove-by-value', consequence: /keep its access/, expected: /still there: / },
  { defect: 'total-results-page', as: 'okta', step: 'okta/import.paging', consequence: /import would stop early/, expected: /at least the 3 just created/ },
  { defect: 'duplicate-allowed', as: 'okta', step: 'okta/users.create-duplicate', consequence: /Okta would create a duplicate user/, expected: /HTTP 409, got 201/ },
  { defect: 'excluded-members-ignored', as: 'entra', step: 'entra/groups.excluded-members', consequence: /full member list/, expected: /no "members" in a group read with excludedAttributes=members/ },
  { defect: 'username-case-sensitive', as: 'rfc', step: 'rfc/users.filters', consequence: /not case-sensitive/, expected: /totalResults 1 .*got 0/ },
  { defect: 'etag-ignored', as: 'rfc', step: 'rfc/users.etags', consequence: /advertised ETags/, expected: /an ETag header/ },
];

describe('rollcall check against a broken SCIM server', noDatabase, () => {
  test('the fixture without a defect passes every sequence (so each failure below is its defect\'s)', async () => {
    const fixture = await startBrokenScimServer();
    try {
      const r = await check([fixture.url, '--token', fixture.token, '--json']);
      assert.equal(r.code, 0, r.stdout);
      const report = JSON.parse(r.stdout) as CheckReport;
      assert.deepEqual(steps(report).filter((s) => s.status !== 'pass').map((s) => s.key), []);
      assert.deepEqual(fixture.count(), { users: 0, groups: 0 });
    } finally { await fixture.close(); }
  });

  for (const c of DEFECT_CASES) {
    test(`planted defect ${c.defect} is reported by ${c.step}`, async () => {
      const fixture = await startBrokenScimServer(c.defect);
      try {
        const r = await check([fixture.url, '--token', fixture.token, '--as', c.as, '--json']);
        assert.equal(r.code, 1, r.stderr);
        const report = JSON.parse(r.stdout) as CheckReport;
        assert.equal(report.ok, false);
        const failed = steps(report).filter((s) => s.status === 'fail');
        assert.equal(failed[0]?.key, c.step, `first failure: ${failed.map((s) => s.key).join(', ')}`);
        assert.match(failed[0].failure!.consequence, c.consequence);
        assert.match(failed[0].failure!.expected, c.expected);
        assert.ok(failed[0].failure!.exchange, 'the failure carries the exchange');
        assert.match(r.stderr, new RegExp(`FAIL ${c.step.replace(/[.]/g, '\\.')}: `));
      } finally { await fixture.close(); }
    });
  }

  test('a failure prints the request, the response, what was expected and what the IdP would do', async () => {
    const fixture = await startBrokenScimServer('false-string');
    try {
      const r = await check([fixture.url, '--token', fixture.token, '--as', 'entra']);
      assert.equal(r.code, 1);
      const block = r.stdout.slice(r.stdout.indexOf('FAIL entra/users.disable-false-string'));
      assert.match(block, /Expected: active to be false, got "False"/);
      assert.match(block, /Request: {2}GET http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users\//);
      assert.match(block, /Response: 200/);
      assert.match(block, /"active": "False"/);
      assert.match(block, /What would follow: Entra believes the user is disabled/);
      assert.match(r.stdout, /Some checks FAILED: \d+ passed, [1-9]\d* failed/);
    } finally { await fixture.close(); }
  });
});

describe('rollcall check usage', noDatabase, () => {
  test('a URL that is not http(s), an unknown --as, or no token, is a usage error (exit 2)', async () => {
    const ftp = await check(['ftp://example.test/scim', '--token', 'x']);
    assert.equal(ftp.code, 2);
    assert.match(ftp.stderr, /must be http or https/);
    const as = await check(['http://127.0.0.1:9/scim/v2', '--token', 'x', '--as', 'onelogin']);
    assert.equal(as.code, 2);
    assert.match(as.stderr, /--as must be one of okta, entra, entra-2020, rfc, all, got onelogin/);
    const none = await check(['http://127.0.0.1:9/scim/v2']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--token or ROLLCALL_CHECK_TOKEN/);
  });

  test('a server that does not answer fails the steps with the reason, exit 1', async () => {
    const fixture = await startBrokenScimServer();
    const url = fixture.url;
    await fixture.close();
    const r = await check([url, '--token', 'x', '--as', 'rfc', '--timeout', '5']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Response: none \(ECONNREFUSED/);
  });
});

describe('a server that accepts connections and never answers', noDatabase, () => {
  test('each request gives up after --timeout; the steps fail with the reason, exit 1', async () => {
    const silent = createServer(() => { /* never answers */ });
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/scim/v2`;
      const r = await check([url, '--token', 'x', '--as', 'entra-2020', '--timeout', '1', '--json']);
      assert.equal(r.code, 1);
      const report = JSON.parse(r.stdout) as CheckReport;
      const first = steps(report)[0];
      assert.equal(first.key, 'entra-2020/users.create');
      assert.equal(first.failure?.exchange?.error, 'no answer within 1 s');
      assert.match(r.stderr, /Response: none \(no answer within 1 s\)/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });
});

describe('progress on a terminal', noDatabase, () => {
  test('each running step shows on a line that its result then replaces; results are the same lines as elsewhere', async () => {
    const fixture = await startBrokenScimServer('etag-ignored');
    try {
      let text = '';
      const report = await runCheck({ baseUrl: fixture.url, token: fixture.token, as: 'rfc', keep: false, timeoutMs: 10_000, out: { write: (s) => { text += s; }, tty: true } });
      assert.equal(report.ok, false);
      const ESC = '\u001b';
      assert.ok(text.includes(`${ESC}[2m…    GET /ServiceProviderConfig says what the server supports${ESC}[0m\r${ESC}[2K  ${ESC}[32mPASS${ESC}[0m rfc/discovery.service-provider-config: `), text.slice(0, 400));
      assert.ok(text.includes(`\r${ESC}[2K  ${ESC}[31mFAIL${ESC}[0m rfc/users.etags: `));
      assert.deepEqual(fixture.count(), { users: 0, groups: 0 }, 'cleaned up after a failed run too');
    } finally { await fixture.close(); }
  });
});

describe('pure step logic (no network)', noDatabase, () => {
  const answer = (json: unknown): Answer => ({ exchange: { request: { method: 'GET', url: 'http://x/scim/Users', headers: {} }, response: { status: 200, headers: {}, text: JSON.stringify(json), json }, ms: 0 }, status: 200, json: json as Answer['json'], header: () => undefined });

  test('targetUrl never leaves the base URL', () => {
    assert.equal(targetUrl('https://app.test/scim/v2', '/Users?x=1'), 'https://app.test/scim/v2/Users?x=1');
    assert.throws(() => targetUrl('https://app.test/scim/v2', '@evil.test/Users'), /must start with/);
    assert.throws(() => targetUrl('https://app.test/scim/v2', '/../../admin'), /refusing to send outside/);
    assert.equal(normaliseBaseUrl('http://app.test/scim/v2/'), 'http://app.test/scim/v2');
    assert.throws(() => normaliseBaseUrl('https://u:p@app.test/scim'), /credentials/);
  });

  test('listOf refuses string paging fields and a first page without Resources', () => {
    const ok = listOf(answer({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] }), 'c');
    assert.equal(ok.total, 0);
    assert.throws(() => listOf(answer({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: '2', Resources: [] }), 'c'), (e: unknown) => e instanceof CheckFailure && /totalResults as a JSON integer/.test(e.failure.expected));
    assert.throws(() => listOf(answer({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 2, Resources: [] }), 'c'), /Resources on the first page/);
    assert.throws(() => listOf(answer({ totalResults: 0 }), 'c'), /a ListResponse/);
  });

  test('valueAt reads dotted and URN paths in any case; memberIds sorts', () => {
    const u = { Name: { GivenName: 'A' }, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: 'm1' } } };
    assert.equal(valueAt(u, 'name.givenName'), 'A');
    assert.equal(valueAt(u, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value'), 'm1');
    assert.deepEqual(memberIds({ members: [{ value: 'b' }, { value: 'a' }] }), ['a', 'b']);
    assert.deepEqual(memberIds({}), []);
  });
});
