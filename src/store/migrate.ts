import type { Driver } from './driver.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** Serialises concurrent starts against one database (pg_advisory_xact_lock key). */
const MIGRATION_LOCK = 0x6d65_6476; // "medv"

const BOOTSTRAP = `
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON SCHEMA meta FROM PUBLIC;`;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Applies the migrations not yet applied, all in one transaction, as the connecting (owner)
 * login. Idempotent; refuses a database whose applied migrations differ from this build's, or
 * that is newer than this build.
 */
export async function migrate(driver: Driver, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return driver.transaction(async (sql) => {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await sql.exec(BOOTSTRAP);
    const applied = await sql.query<{ version: number; checksum: string }>(
      'SELECT version, checksum FROM meta.migrations ORDER BY version',
    );
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const row of applied.rows) {
      const m = known.get(row.version);
      if (!m) throw new MigrationError(`the database has migration ${row.version}, unknown to this version of medvault`);
      if (m.checksum !== row.checksum) throw new MigrationError(`migration ${row.version} was changed after it was applied`);
    }
    const done = new Set(applied.rows.map((r) => r.version));
    const ran: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await sql.exec(m.sql);
      await sql.query('INSERT INTO meta.migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      ran.push(m.version);
    }
    return ran;
  });
}
