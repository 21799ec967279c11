// The `rollcall` command: bin/rollcall.js runs its compiled form (dist/cli/rollcall.js); the tests
// run this source through tsx.
import { run } from './index.ts';

await run(process.argv);
