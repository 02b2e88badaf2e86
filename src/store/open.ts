import { Database } from './database.js';
import type { Driver } from './driver.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export type StoreLocation = { kind: 'pglite'; dir: string | null } | { kind: 'postgres'; url: string };

export interface OpenedStore {
  readonly db: Database;
  /** The owner connection: migrations, and tests that need to stand outside every role. */
  readonly driver: Driver;
}

/** Opens the database, applies pending migrations, and returns the scoped handle. */
export async function openStore(location: StoreLocation): Promise<OpenedStore> {
  const driver = location.kind === 'pglite' ? await openPglite(location.dir) : await openPostgres(location.url);
  try {
    await migrate(driver);
  } catch (e) {
    await driver.close().catch(() => undefined);
    throw e;
  }
  return { db: new Database(driver), driver };
}

/** Redacts the password of a connection URL, for messages. */
export function describeLocation(location: StoreLocation): string {
  if (location.kind === 'pglite') return location.dir === null ? 'embedded database (in memory)' : `embedded database in ${location.dir}`;
  try {
    const u = new URL(location.url);
    return `PostgreSQL at ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}
