// `npm run lint`: ESLint with typescript-eslint's type-aware rules (recommendedTypeChecked), which
// catch what the compiler lets through: promises nobody awaits (no-floating-promises), async
// functions handed to callers that ignore the promise (no-misused-promises), and `any` flowing into
// typed code (the no-unsafe-* family). A rule is switched off here only with the reason beside it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // examples/ are vendors' projects with their own tsconfig, importing 'rollcall' as installed: they
  // cannot resolve it here, so test/package/pack.test.ts compiles them against the packed package.
  { ignores: ['dist/', 'node_modules/', '.tmp/', 'data/', 'bench/results/', 'examples/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test(), describe() and their hooks return promises that the runner itself
      // awaits and reports; awaiting them in the test file would serialise nothing and add noise.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      // Off: an async function without await is how a synchronous implementation of an asynchronous
      // contract (SqliteStore behind the Store interface that PostgreSQL shares, a Fastify handler)
      // turns its throws into rejections; the promise rules above still check every caller.
      '@typescript-eslint/require-await': 'off',
      // Dropping a key by destructuring (`{ hash: _hash, ...rest }`) is how a secret is left out of
      // what the CLI prints; the dropped binding is unused by design.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // A closure made before the value it reads exists (startServer's slow-query hook is handed to
      // the store before the app and its logger are built) needs a `let` assigned once, later.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Kysely's values come through store/sql/kysely.ts, which loads its CommonJS build: loaded as ES
      // modules, its 260 files cost every process started from source 0.6 s more (the file says why).
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'kysely', allowTypeImports: true, message: "Import Kysely's values from src/store/sql/kysely.ts (types may come from 'kysely')." }],
      }],
    },
  },
  {
    files: ['src/store/sql/kysely.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    // Tests read SCIM JSON off the wire as `any` on purpose: each property they touch is checked by
    // the assertion that reads it, so a wrong shape fails the test, which is what the no-unsafe-*
    // rules protect against in the shipped code; typing every response would restate RFC 7643's
    // schemas inside the tests. The rules stay on for src/ (apart from its *.test.ts), bench/ and the
    // test helpers.
    files: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // A page's render(ctx) is async by contract even when it awaits nothing (as Fastify handlers above).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript (bin/, scripts/, this file) is not part of the TypeScript program, so the
    // type-aware rules cannot run on it; the syntax rules still do.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  {
    // The console's browser modules are JavaScript checked through JSDoc by their own tsconfig
    // (src/console/tsconfig.json, with the DOM's types), so the type-aware rules run on them too.
    // no-undef is off as typescript-eslint advises: the compiler already knows every global.
    files: ['src/console/**/*.js'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: false, project: ['./src/console/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-undef': 'off',
      // JSDoc-typed DOM code reads event targets and parsed JSON as any: the page's own checks and
      // the browser tests cover what these would; the promise rules stay on.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // A page's render(ctx) is async by contract even when it awaits nothing (as Fastify handlers above).
      '@typescript-eslint/require-await': 'off',
    },
  },
);
