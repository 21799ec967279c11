#!/usr/bin/env node
// Entry point of `rollcall` (`npx rollcall`, `npm start`): runs the compiled JavaScript in dist/,
// no TypeScript loader in production. A clone builds dist/ on `npm install` (the `prepare` script);
// the published package ships it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/rollcall.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('rollcall: dist/ is missing. In a clone of Rollcall, run `npm install` (or `npm run build`) first.');
  process.exit(1);
}
await import(entry.href);
