import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { auditKey } from '../audit/index.js';
import type { OpenedStore } from '../store/index.js';
import { movePatientKeyFilesIntoDatabase, type Vault } from '../vault/index.js';
import { openStoreForCli, storeLocation } from './database.js';
import { lockDataDir } from './datadir.js';
import { CliError } from './errors.js';
import { openVaultForCli } from './keys.js';

/**
 * Runs an operator command against an existing medvault: its keys and its database. On the
 * embedded database it takes the folder's lock, so it refuses while a server runs there.
 */
export async function withMaintenance<T>(dataDirArg: string, fn: (store: OpenedStore, vault: Vault) => Promise<T>): Promise<T> {
  const dataDir = resolve(dataDirArg);
  const location = storeLocation(dataDir, process.env.DATABASE_URL);
  if (!existsSync(join(dataDir, 'keys'))) throw new CliError(`no medvault keys in ${dataDir} (see --data)`);
  if (location.kind === 'pglite' && !existsSync(join(dataDir, 'pgdata'))) throw new CliError(`no medvault database in ${dataDir} (see --data)`);
  const unlock = location.kind === 'pglite' ? lockDataDir(dataDir) : () => undefined;
  let vault: Vault | null = null;
  let store: OpenedStore | null = null;
  try {
    vault = openVaultForCli(dataDir);
    store = await openStoreForCli(location);
    // Patient key files of an older medvault move into the database first.
    await movePatientKeyFilesIntoDatabase(store.db, join(dataDir, 'keys'));
    // What an operator command writes to the audit log is authenticated like the server's.
    const key = await auditKey(vault.provider, false);
    if (key) store.db.useAuditKey(key);
    return await fn(store, vault);
  } finally {
    await store?.db.close().catch(() => undefined);
    await vault?.provider.close().catch(() => undefined);
    unlock();
  }
}
