/**
 * The vault's error catalogue. Messages are deliberately vague (they reach logs and, through
 * the HTTP edge, clients as generic outcomes); the code says what kind of failure it was.
 */
export type VaultErrorCode =
  | 'VAULT_INTEGRITY' // a ciphertext, its place or its key do not match: never wrong plaintext
  | 'VAULT_KEY_DESTROYED' // the patient's erasure key is gone (crypto-shredded)
  | 'VAULT_KEY_UNKNOWN' // no such key-encryption-key version in the provider
  | 'VAULT_PURPOSE' // a handle asked for a key of a purpose it does not hold
  | 'VAULT_PROVIDER' // the key provider failed (HSM, keyring file)
  | 'VAULT_PASSPHRASE'; // the keyring could not be opened with the given passphrase

export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const integrityError = () => new VaultError('VAULT_INTEGRITY', 'sealed value failed its integrity check');

/** Where a sealed value that failed its integrity check lives: identifiers only, never its content. */
export interface DamagedPlace {
  readonly practiceId: string;
  readonly recordId: string;
  readonly field: string;
}

/**
 * A sealed value of a known record failed its integrity check (integrity errors are
 * security events): the edge answers that the record is damaged, the records layer audits it
 * with its id and raises an alert with its place.
 */
export class DamagedValueError extends VaultError {
  constructor(readonly place: DamagedPlace) {
    super('VAULT_INTEGRITY', 'sealed value failed its integrity check');
  }
}
