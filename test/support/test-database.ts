// Which database a test run exercises: `npm test` runs every file on SQLite, then the tiers that
// talk to a database through the server or the CLI again with ROLLCALL_TEST_DATABASE=postgres.
import { migratedDatabase, postgresAvailable, scratchDatabase } from '../../harness/databases.ts';

/** The database this run's server, CLI and fault tests use. */
export const TEST_DATABASE: 'sqlite' | 'postgres' = process.env.ROLLCALL_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/**
 * An empty database of the kind this run tests, and how to drop it; refuses when PostgreSQL was asked
 * for and is unreachable. `migrated`: on PostgreSQL, a copy of a migrated template (a server started
 * on it has nothing to apply; ~0.2 s less per server); SQLite migrates in ~15 ms and gets a new file.
 */
export async function testDatabase(opts: { migrated?: boolean } = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  if (TEST_DATABASE === 'postgres' && !(await postgresAvailable())) throw new Error('ROLLCALL_TEST_DATABASE=postgres but PostgreSQL is unreachable');
  if (TEST_DATABASE === 'postgres' && opts.migrated) return migratedDatabase();
  return scratchDatabase(TEST_DATABASE);
}
