#!/usr/bin/env node
// `npm run build` (also run by `npm install` in a clone and by `npm pack`, through `prepare`):
// compiles src/ to dist/ with type declarations (tsconfig.build.json), then copies what tsc does
// not: the SQL migration files, which each store reads at run time from the migrations/ folder
// beside its own module (src/store/sql/migration-files.ts), and the console's files (src/console:
// HTML shells and browser modules, served as they are by src/http/console/ from dist/console).
// Last, it writes dist/.source-hash, the hash of what it compiled (sourceHash below), which `npm test`
// (scripts/run-tests.mjs, importing this module) compares with the sources to know whether dist/ is
// the code under review. When that hash already matches, there is nothing to compile and the build
// says so and stops (`--force` compiles all the same): `npm pack` in the package test, and an
// `npm install` that changed nothing, cost a second instead of half a minute of tsc.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Whether a file under src/ is compiled or copied into dist/ (tests and the store contract suite are not). */
const shipped = (rel) => !rel.endsWith('.test.ts') && !rel.startsWith('src/store/contract/');

function sourceFiles(dir, rel, out) {
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = `${rel}/${entry.name}`;
    if (entry.isDirectory()) sourceFiles(dir, p, out);
    else if (entry.isFile() && shipped(p)) out.push(p);
  }
  return out;
}

/**
 * A hash of what the build reads: the shipped files under src/, both tsconfig files, this script, and
 * the lockfile (the compiler's version and the dependencies' types, which the declarations in dist/
 * can quote).
 */
export function sourceHash(dir = root) {
  const hash = createHash('sha256');
  for (const f of [...sourceFiles(dir, 'src', []), 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'package-lock.json'].sort()) {
    // A file missing (a copy of the sources without the lockfile) is hashed as missing, not an error.
    hash.update(`${f}\0`).update(existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : '\0missing').update('\0');
  }
  return hash.digest('hex');
}

/** True when dist/ was built from the sources as they are now. */
export function distIsFresh(dir = root) {
  const stamp = join(dir, 'dist', '.source-hash');
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sourceHash(dir);
}

function build() {
  if (!process.argv.includes('--force') && distIsFresh()) {
    console.error('build: dist/ is already built from these sources (dist/.source-hash); nothing to do (`npm run build -- --force` compiles all the same)');
    return;
  }
  // A clean dist/: a module deleted from src/ must not live on in the package.
  rmSync(dist, { recursive: true, force: true });

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);

  let copied = 0;
  function copyMigrations(dir) {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (!statSync(p).isDirectory()) continue;
      if (name === 'migrations') {
        cpSync(p, join(dist, relative(src, p)), { recursive: true, filter: (f) => statSync(f).isDirectory() || f.endsWith('.sql') });
        copied += readdirSync(p).filter((f) => f.endsWith('.sql')).length;
      } else copyMigrations(p);
    }
  }
  copyMigrations(src);
  if (copied === 0) { console.error('build: no SQL migration files found under src/'); process.exit(1); }

  // The console is served as written (no build step, docs/design.md "Console"): its HTML, browser
  // JavaScript, CSS and images are copied, never compiled; its tsconfig.json (type checking only) is not.
  const CONSOLE_FILES = /\.(html|js|css|svg|png|ico)$/;
  let consoleCopied = 0;
  cpSync(join(src, 'console'), join(dist, 'console'), {
    recursive: true,
    filter: (f) => {
      const s = statSync(f);
      if (s.isDirectory()) return true;
      const keep = s.isFile() && CONSOLE_FILES.test(f);
      if (keep) consoleCopied++;
      return keep;
    },
  });
  if (!existsSync(join(dist, 'console', 'index.html'))) { console.error('build: src/console/index.html was not copied'); process.exit(1); }
  console.error(`build: dist/ compiled, ${copied} SQL migration files and ${consoleCopied} console files copied`);
  writeFileSync(join(dist, '.source-hash'), `${sourceHash()}\n`);
}

// Run as a script (npm run build, prepare), not when imported for sourceHash.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) build();
