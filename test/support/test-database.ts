// Which database a test run exercises: `npm test` runs every file on SQLite, then the tiers that
// talk to a database through the server or the CLI again with ROLLCALL_TEST_DATABASE=postgres.
import { postgresAvailable, scratchDatabase } from '../../harness/databases.ts';

/** The database this run's server, CLI and fault tests use. */
export const TEST_DATABASE: 'sqlite' | 'postgres' = process.env.ROLLCALL_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/** An empty database of the kind this run tests, and how to drop it; refuses when PostgreSQL was asked for and is unreachable. */
export async function testDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (TEST_DATABASE === 'postgres' && !(await postgresAvailable())) throw new Error('ROLLCALL_TEST_DATABASE=postgres but PostgreSQL is unreachable');
  return scratchDatabase(TEST_DATABASE);
}
