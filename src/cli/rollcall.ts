// The `rollcall` command: bin/rollcall.js runs its compiled form (dist/cli/rollcall.js); the tests
// run this source through tsx.
import { program, run } from './index.ts';
import { registerExport } from './export.ts';
import { registerImport } from './import.ts';

registerImport(program);
registerExport(program);
await run(process.argv);
