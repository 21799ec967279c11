// Versioned migrations: NNN-name.sql files in a driver's migrations/ folder, applied in order by
// that driver (each in its own transaction, recorded in schema_migrations).
import { readdirSync, readFileSync } from 'node:fs';

export interface MigrationFile { version: number; name: string; sql: string }

export function migrationFiles(dir: URL): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d+-.*\.sql$/.test(f))
    .sort()
    .map((name) => ({ version: Number(name.split('-')[0]), name, sql: readFileSync(new URL(name, dir), 'utf8') }));
}
