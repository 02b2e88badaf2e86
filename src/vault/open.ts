import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError } from './errors.js';
import { LocalKeyProvider } from './local.js';
import { Pkcs11KeyProvider } from './pkcs11.js';
import type { KeyProvider } from './provider.js';
import type { PatientKeySource } from './patient-keys.js';
import { Vault } from './vault.js';

export type VaultConfig =
  | { provider: 'local'; passphrase: string | null; requirePassphrase: boolean }
  | { provider: 'pkcs11'; modulePath: string; tokenLabel: string; pin: string };

/**
 * MEDVAULT_KEY_PROVIDER=local (default) | pkcs11. For pkcs11: MEDVAULT_PKCS11_MODULE (default
 * Debian's SoftHSM2), MEDVAULT_PKCS11_TOKEN (label), MEDVAULT_PKCS11_PIN.
 */
export function vaultConfigFromEnv(env: NodeJS.ProcessEnv, production: boolean): VaultConfig {
  const kind = env.MEDVAULT_KEY_PROVIDER ?? 'local';
  if (kind === 'local') {
    return { provider: 'local', passphrase: env.MEDVAULT_KEY_PASSPHRASE || null, requirePassphrase: production };
  }
  if (kind === 'pkcs11') {
    const tokenLabel = env.MEDVAULT_PKCS11_TOKEN;
    const pin = env.MEDVAULT_PKCS11_PIN;
    if (!tokenLabel) throw new VaultError('VAULT_PROVIDER', 'MEDVAULT_PKCS11_TOKEN names no token');
    if (!pin) throw new VaultError('VAULT_PROVIDER', 'MEDVAULT_PKCS11_PIN is not set');
    return { provider: 'pkcs11', modulePath: env.MEDVAULT_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so', tokenLabel, pin };
  }
  throw new VaultError('VAULT_PROVIDER', `unknown key provider "${kind.slice(0, 20)}" (local or pkcs11)`);
}

/**
 * Opens the key provider (the keyring file lives in `keysDir` for the local provider). Nothing is
 * created before the provider has accepted its secret. Patient keys are read in the database's
 * transactions (keys.patient_keys); `patientKeys` serves tools that run a vault without one.
 */
export function openVault(keysDir: string, config: VaultConfig, patientKeys: PatientKeySource | null = null): Vault {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const provider: KeyProvider =
    config.provider === 'local'
      ? LocalKeyProvider.open({ path: join(keysDir, 'keyring.json'), passphrase: config.passphrase, requirePassphrase: config.requirePassphrase })
      : Pkcs11KeyProvider.open(config);
  return new Vault(provider, patientKeys);
}
