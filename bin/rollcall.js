#!/usr/bin/env node
// Entry point of `npx rollcall` and `npm start`: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/index.ts');
await run(process.argv);
