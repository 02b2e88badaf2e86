/**
 * Key-encryption keys (KEKs) live in a key provider, never in the database: a local keyring
 * file (default) or an HSM through PKCS#11. A KEK is named by practice, purpose and version.
 *
 * Purposes: `admin` wraps the data keys of identity secrets, `clinical` those of notes,
 * `patient` wraps the per-patient erasure keys, `index` keys the blind indexes (HMAC).
 */
export type KeyPurpose = 'admin' | 'clinical' | 'patient' | 'index';
export const KEY_PURPOSES: readonly KeyPurpose[] = ['admin', 'clinical', 'patient', 'index'];

export interface KekRef {
  readonly practiceId: string;
  readonly purpose: KeyPurpose;
  readonly version: number;
}

export type KekState = 'active' | 'retired';

export interface KekInfo extends KekRef {
  readonly state: KekState;
  readonly createdAt: string;
}

export interface KeyProvider {
  readonly kind: 'local' | 'pkcs11';
  /** The version new wraps use; creates version 1 on first use for a practice. */
  activeVersion(practiceId: string, purpose: KeyPurpose): Promise<number>;
  /** Wraps a 32-byte data key under the named KEK. */
  wrap(ref: KekRef, dataKey: Buffer): Promise<Buffer>;
  /** Unwraps; a wrong KEK or a tampered blob is a VAULT_INTEGRITY error. */
  unwrap(ref: KekRef, wrapped: Buffer): Promise<Buffer>;
  /** HMAC-SHA-256 under the practice's index key (blind indexes). */
  mac(practiceId: string, data: Buffer): Promise<Buffer>;
  /** Rotation: a new active version; the previous one is retired (unwraps, never wraps). */
  createVersion(practiceId: string, purpose: KeyPurpose): Promise<number>;
  list(): Promise<KekInfo[]>;
  /**
   * Destroys a retired version for good (a shred's key epoch): whatever it wrapped — in the live
   * database or in any backup — can no longer be unwrapped. The active version is refused.
   */
  destroyVersion(ref: KekRef): Promise<void>;
  close(): Promise<void>;
}
