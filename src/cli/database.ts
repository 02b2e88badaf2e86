import { join } from 'node:path';
import { describeLocation, openStore, type OpenedStore, type StoreLocation } from '../store/index.js';
import { CliError, EXIT_USAGE } from './errors.js';

/** DATABASE_URL selects PostgreSQL; otherwise the embedded database lives in DIR/pgdata. */
export function storeLocation(dataDir: string, databaseUrl: string | undefined): StoreLocation {
  if (databaseUrl === undefined) return { kind: 'pglite', dir: join(dataDir, 'pgdata') };
  // Set but empty is a mistake (a template variable left blank), not a wish for a new empty
  // embedded database.
  if (databaseUrl.trim() === '') throw new CliError('DATABASE_URL is set but empty: unset it to use the embedded database, or give postgres://user@host:port/database', EXIT_USAGE);
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new CliError('DATABASE_URL is not a valid URL (expected postgres://user@host:port/database)', EXIT_USAGE);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new CliError(`DATABASE_URL must start with postgres:// or postgresql://, not ${url.protocol}//`, EXIT_USAGE);
  }
  if (url.hostname === '' && !url.searchParams.has('host')) throw new CliError('DATABASE_URL names no host', EXIT_USAGE);
  return { kind: 'postgres', url: databaseUrl };
}

const PG_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'timed out',
  '3D000': 'database does not exist',
  '28P01': 'authentication failed',
  '28000': 'authentication failed',
  '42501': 'permission denied',
};

/** Opens and migrates the store, turning driver errors into one line that never shows a password. */
export async function openStoreForCli(location: StoreLocation): Promise<OpenedStore> {
  try {
    return await openStore(location);
  } catch (e) {
    const err = e as { code?: string; name?: string; message?: string };
    if (err.name === 'MigrationError') throw new CliError(`${describeLocation(location)}: ${err.message}`);
    const reason = (err.code && PG_REASONS[err.code]) ?? err.code ?? 'cannot open';
    if (location.kind === 'postgres') throw new CliError(`cannot use ${describeLocation(location)}: ${reason}`);
    throw new CliError(`cannot open the ${describeLocation(location)}: ${reason}`);
  }
}
