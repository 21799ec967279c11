// The documentation's links between its own pages: every relative link of README.md and docs/*.md
// (and the console's links into docs/, lib/docs.js) names a file that exists, and its #anchor a
// heading of that file, as GitHub makes anchors from headings. An IT admin who follows "see step 4"
// or a console page's "what this error means" must land on the section meant, not on the top of a
// page that was renamed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks (a link-like string in an example is not a link). */
const prose = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');

/** GitHub's anchor of a heading: markup and punctuation dropped, lower case, spaces to dashes; repeats get -1, -2. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const text = m[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const slug = text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  // Explicit anchors: <a id="…"> or <a name="…">.
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]);
  return out;
}

const anchorsOf = new Map<string, Set<string>>();
const anchorsIn = (file: string) => {
  if (!anchorsOf.has(file)) anchorsOf.set(file, anchors(readFileSync(file, 'utf8')));
  return anchorsOf.get(file)!;
};

/** What is wrong with a link target from `from` (a file under root), or undefined when it lands. */
function broken(from: string, target: string): string | undefined {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? from : resolve(dirname(from), decodeURIComponent(path));
  if (!existsSync(file)) return `no file ${relative(root, file)}`;
  if (anchor === undefined || anchor === '' || !file.endsWith('.md')) return undefined;
  let wanted = anchor;
  try { wanted = decodeURIComponent(anchor); } catch { /* a stray % stays as written */ }
  return anchorsIn(file).has(wanted.toLowerCase()) ? undefined : `no heading "#${anchor}" in ${relative(root, file)}`;
}

test('every relative link of the README and docs/ lands on a file that exists, at a heading that exists', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const page of pages) {
    const file = join(root, page);
    const text = prose(readFileSync(file, 'utf8')).replace(/`[^`\n]*`/g, '');
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1].replace(/^<|>$/g, '');
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      checked++;
      const why = broken(file, target);
      if (why) problems.push(`${page}: (${target}): ${why}`);
    }
  }
  assert.ok(checked > 100, `only ${checked} links found: the scan is broken`);
  assert.deepEqual(problems, []);
});

test("the console's links into the documentation land on a page and heading that exist", () => {
  const problems: string[] = [];
  let checked = 0;
  const dir = join(root, 'src/console/assets');
  const scripts = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  for (const script of scripts) {
    const text = readFileSync(join(dir, script), 'utf8');
    // docUrl('errors.md', 'anchor') with literal arguments; an anchor chosen at run time is checked where it is defined (below).
    for (const m of text.matchAll(/docUrl\(\s*'([^']+)'(?:\s*,\s*'([^']+)')?/g)) {
      checked++;
      const why = broken(join(root, 'docs', 'x.md'), `${m[1]}${m[2] ? `#${m[2]}` : ''}`);
      if (why) problems.push(`${script}: docUrl('${m[1]}'${m[2] ? `, '${m[2]}'` : ''}): ${why}`);
    }
    // The anchors of errors.md that lib/scim-errors.js picks by error (anchor: '…').
    for (const m of text.matchAll(/\banchor:\s*'([^']+)'/g)) {
      checked++;
      const why = broken(join(root, 'docs', 'x.md'), `errors.md#${m[1]}`);
      if (why) problems.push(`${script}: anchor '${m[1]}': ${why}`);
    }
  }
  assert.ok(checked > 3, `only ${checked} console links found: the scan is broken`);
  assert.deepEqual(problems, []);
});
