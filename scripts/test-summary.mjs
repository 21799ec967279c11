// A reporter for node's test runner, used by scripts/run-tests.mjs beside the spec reporter: one JSON
// line when the run ends with the run's totals, each top-level test's duration, and each test file's
// time (the sum of its top-level tests), which the spec output does not add up.
export default async function* summary(source) {
  const counts = {};
  const tests = [];
  const files = {};
  for await (const event of source) {
    const { type, data } = event;
    if ((type === 'test:pass' || type === 'test:fail') && data.nesting === 0) {
      const ms = data.details?.duration_ms ?? 0;
      tests.push([data.name, ms]);
      if (data.file) files[data.file] = (files[data.file] ?? 0) + ms;
    } else if (type === 'test:diagnostic' && data.nesting === 0) {
      const m = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(data.message);
      if (m) counts[m[1]] = Number(m[2]);
    }
  }
  yield `${JSON.stringify({ counts, tests, files })}\n`;
}
