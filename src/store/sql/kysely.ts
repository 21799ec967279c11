// Kysely, as every module of the stores imports it: its CommonJS build, loaded with require().
// Kysely ships both builds as some 260 files each. Loaded as ES modules, each file goes through the
// ES module loader, and from source through tsx's loader hooks as well: 0.8 s of CPU for a process
// started with `--import tsx` (every test file, every CLI command a test runs), against 0.2 s through
// require(), which tsx leaves to Node. Built code gains less (about 0.17 against 0.15 s) and is not
// slower. Both builds are the same code, and nothing else Rollcall loads imports Kysely, so one copy
// is ever loaded. The lint rule no-restricted-imports sends every value import of 'kysely' here;
// types may still be imported from 'kysely' directly.
import { createRequire } from 'node:module';

const kysely = createRequire(import.meta.url)('kysely') as typeof import('kysely');

export const { sql, Kysely, SqliteDialect, DummyDriver, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } = kysely;
export type Kysely<DB> = import('kysely').Kysely<DB>;
export type { RawBuilder } from 'kysely';
