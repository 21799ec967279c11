// The console's explanations of SCIM errors (src/console/assets/lib/scim-errors.js) against the
// list of errors users read (docs/errors.md): every scimType and every status the table there names
// has an explanation, every explanation says what to do, and a success has none. The module is
// plain JavaScript with no DOM use, so it is imported here as the browser imports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

interface Explanation { title: string; meaning: string; fix: string; anchor?: string }
type Explain = (r: { status: number; scimType?: string | null; reason?: string | null }) => (Explanation & { reasonText: string | null }) | null;
// The browser's modules are JavaScript checked by src/console/tsconfig.json; imported by URL here,
// with the types this test relies on.
const lib = (name: string): Promise<unknown> => import(new URL(`../../src/console/assets/lib/${name}`, import.meta.url).href);
const { BY_SCIM_TYPE, BY_STATUS, explainError } = await lib('scim-errors.js') as { BY_SCIM_TYPE: Record<string, Explanation>; BY_STATUS: Record<number, Explanation>; explainError: Explain };
const { DOCS_BASE, docUrl } = await lib('docs.js') as { DOCS_BASE: string; docUrl: (page: string, anchor?: string) => string };

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = doc.split('\n').filter((l) => /^\| \d/.test(l)).map((l) => l.split('|').map((c) => c.trim()));

test('every scimType and status that docs/errors.md lists has an explanation', () => {
  const types = new Set(rows.flatMap((r) => [...r[2].matchAll(/`(\w+)`/g)].map((m) => m[1])));
  assert.ok(types.size >= 7, `the table names the scimTypes: ${[...types].join(', ')}`);
  for (const t of types) assert.ok(BY_SCIM_TYPE[t], `an explanation for scimType ${t}`);
  const statuses = new Set(rows.flatMap((r) => r[1].split(',').map((s) => Number(s.trim()))));
  for (const s of statuses) {
    const e = explainError({ status: s, scimType: null });
    assert.ok(e && e.title && e.meaning && e.fix, `an explanation for status ${s}`);
  }
  for (const e of [...Object.values(BY_SCIM_TYPE), ...Object.values(BY_STATUS)]) {
    assert.ok(e.title.length > 3 && e.meaning.length > 20 && e.fix.length > 10, `says what it means and what to do: ${e.title}`);
  }
});

test('a scimType wins over the status; a reason adds its own sentence; an unknown status is still explained; a success is not', () => {
  assert.equal(explainError({ status: 409, scimType: 'uniqueness' })?.title, BY_SCIM_TYPE.uniqueness.title);
  assert.equal(explainError({ status: 409, scimType: null })?.title, BY_STATUS[409].title);
  assert.match(explainError({ status: 409, scimType: null, reason: 'lastAdmin' })?.reasonText ?? '', /admin role/);
  assert.equal(explainError({ status: 400, scimType: 'invalidFilter', reason: 'no-such-reason' })?.reasonText, null);
  assert.equal(explainError({ status: 599, scimType: null })?.title, BY_STATUS[500].title);
  assert.match(explainError({ status: 418, scimType: 'notAType' })?.title ?? '', /418/);
  assert.equal(explainError({ status: 200 }), null);
  assert.equal(explainError({ status: 304 }), null);
});

test('documentation links are made from one base, and the anchor they use exists in errors.md', () => {
  assert.match(DOCS_BASE, /^https:\/\/.+\/docs\/$/);
  assert.equal(docUrl('errors.md', 'what-each-error-means'), `${DOCS_BASE}errors.md#what-each-error-means`);
  assert.match(doc, /^# What each error means$/m, 'the heading the anchor names');
});
