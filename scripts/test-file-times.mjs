// A reporter for node's test runner (scripts/run-tests.mjs): each test file's time, as the sum of its
// top-level tests' durations, one "<ms>\t<file>" line per file when the run ends. The TAP output
// names tests, not files; this says which files the suite's time goes to.
export default async function* fileTimes(source) {
  const ms = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      ms.set(event.data.file, (ms.get(event.data.file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  for (const [file, t] of ms) yield `${Math.round(t)}\t${file}\n`;
}
