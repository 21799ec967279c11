// Okta's SCIM 2.0 SPEC test and Microsoft's SCIMReferenceCode Postman collection (from
// ../shared/conformance/external, run by newman), run against a SCIM base URL and judged against
// test/conformance/external-exceptions.json: every assertion must pass except those listed, each
// with its reason, and an exception that no longer fails is reported too, so the list cannot go
// stale. The standalone server (test/conformance/external-suites.test.ts) and the embedded library
// (test/library/embedded.test.ts) are both held to it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';

const require = createRequire(import.meta.url);
const newman = require('newman') as { run: (opts: object, cb: (err: Error | null, summary: Summary) => void) => void };

interface Summary {
  run: {
    stats: { assertions: { total: number; failed: number }; requests: { total: number } };
    failures: { error: { test?: string; message: string; name?: string }; source?: { name?: string }; parent?: { name?: string } }[];
  };
}

const EXTERNAL = fileURLToPath(new URL('../../../shared/conformance/external/', import.meta.url));
const exceptions = (JSON.parse(readFileSync(new URL('../conformance/external-exceptions.json', import.meta.url), 'utf8')) as {
  exceptions: { suite: string; folder: string; request: string; test: string; reason: string }[];
}).exceptions;

const MICROSOFT_FOLDERS = ['Endpoint tests', 'User tests', 'Group tests', 'ComplexAttribute tests', 'User tests with garbage', 'Group tests with garbage', 'Teardown garbage'];

const available = existsSync(EXTERNAL);
/** The skip reason for node:test when the suites are absent (false when they are here). */
export const externalSuitesSkip: string | false = !available && `SKIPPED: Okta's and Microsoft's suites are not at ${EXTERNAL} (README.md, Tests, says where they come from)`;
// Under CI the suites are mandatory: a missing shared/ folder is a failure, not a skip.
if (!available && process.env.CI === 'true') throw new Error(`CI=true but the external suites are missing at ${EXTERNAL}`);

function runCollection(options: object): Promise<Summary> {
  return new Promise((resolve, reject) => newman.run({ reporters: [], timeoutRequest: 10_000, ...options }, (err, summary) => (err ? reject(err) : resolve(summary))));
}

interface Failure { folder: string; request: string; test: string; message: string }

function failuresOf(summary: Summary): Failure[] {
  return summary.run.failures.map((f) => ({
    folder: f.parent?.name ?? '',
    request: f.source?.name ?? '',
    test: f.error.test ?? f.error.name ?? '',
    message: f.error.message,
  }));
}

/** Compares failures with the exception list of one suite; returns a readable list of problems. */
function judge(suite: string, failures: Failure[]): string[] {
  const listed = exceptions.filter((e) => e.suite === suite);
  const key = (x: { folder: string; request: string; test: string }) => `${x.folder} › ${x.request} › ${x.test}`;
  const problems: string[] = [];
  for (const f of failures) {
    if (listed.some((e) => key(e) === key(f))) continue;
    problems.push(`FAILED ${key(f)}: ${f.message}`);
  }
  for (const e of listed) {
    if (!failures.some((f) => key(f) === key(e))) problems.push(`STALE EXCEPTION (now passes; remove it from external-exceptions.json): ${key(e)}`);
    else console.log(`# excepted ${suite}: ${key(e)} (${e.reason.slice(0, 100)}…)`);
  }
  return problems;
}

/** Runs Microsoft's collection against a tenant's SCIM base URL (a fresh tenant) and asserts it passes. */
export async function assertMicrosoftSuitePasses(scimUrl: string, token: string): Promise<void> {
  const url = new URL(scimUrl);
  const summary = await runCollection({
    collection: `${EXTERNAL}/microsoft/SCIMReferenceCode-PostmanCollection.json`,
    folder: MICROSOFT_FOLDERS,
    envVar: [
      { key: 'Protocol', value: url.protocol.replace(/:$/, '') },
      { key: 'Server', value: url.hostname },
      { key: 'Port', value: `:${url.port}` },
      { key: 'Api', value: url.pathname.replace(/^\//, '') },
      { key: 'token', value: token },
    ],
  });
  // The seven folders hold 76 requests and 103 assertions; fewer means something was skipped.
  assert.equal(summary.run.stats.requests.total, 76, 'every request of the seven folders ran');
  assert.equal(summary.run.stats.assertions.total, 103, 'every assertion of the seven folders ran');
  assert.deepEqual(judge('microsoft', failuresOf(summary)), []);
}

/** Runs Okta's SPEC test against a tenant's SCIM base URL (a fresh tenant) and asserts it passes. */
export async function assertOktaSuitePasses(scimUrl: string, token: string): Promise<void> {
  // The suite reads the first user of /Users and expects a complete profile.
  const seeded = await fetch(`${scimUrl}/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({
      schemas: [USER_SCHEMA],
      userName: 'existing.user@example.com',
      name: { givenName: 'Existing', familyName: 'User' },
      emails: [{ value: 'existing.user@example.com', type: 'work', primary: true }],
      active: true,
    }),
  });
  assert.equal(seeded.status, 201);
  const summary = await runCollection({
    collection: `${EXTERNAL}/okta/Okta-SCIM-20-SPEC-Test.postman_collection.json`,
    envVar: [
      { key: 'SCIMBaseURL', value: scimUrl },
      { key: 'auth', value: `Bearer ${token}` },
    ],
  });
  assert.equal(summary.run.stats.requests.total, 12, 'every request ran');
  assert.equal(summary.run.stats.assertions.total, 52, 'every assertion ran');
  assert.deepEqual(judge('okta', failuresOf(summary)), []);
}
