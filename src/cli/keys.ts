import { join } from 'node:path';
import { openVault, vaultConfigFromEnv, VaultError, type Vault } from '../vault/index.js';
import { CliError } from './errors.js';

/** The keys live in DIR/keys: the keyring file (local provider) and the patients' erasure keys. */
export function keysDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

/** Opens the vault from the environment; a refused secret or a missing token is one line. */
export function openVaultForCli(dataDir: string): Vault {
  try {
    return openVault(keysDir(dataDir), vaultConfigFromEnv(process.env, process.env.MEDVAULT_MODE === 'production'));
  } catch (e) {
    if (e instanceof VaultError) throw new CliError(`keys: ${e.message}`);
    throw e;
  }
}
