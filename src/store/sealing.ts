/**
 * What the repositories need from the vault, described here so that storage does not depend on
 * it: the administrative repository gets an identity sealer, the clinical one a note sealer.
 * (The vault's AdminVault and ClinicalVault are these.)
 */
export type IndexedColumn = 'nir' | 'email' | 'phone';
export type BeaconKind = 'family' | 'given' | 'birthdate';

/** A transaction's query, through which a sealer reads and writes patient keys (keys.patient_keys). */
export interface SealerQuery {
  query<R>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

export interface IdentitySealer {
  readonly practiceId: string;
  /** The same sealer, with patient keys read and written in this transaction. */
  inTransaction(q: SealerQuery): IdentitySealer;
  /** The patient's key row as read with the record in this transaction (null: none), so that opening needs no round trip. */
  knownKey(patientId: string, key: { version: number; wrapped: Buffer } | null): void;
  createPatientKeys(patientIds: readonly string[]): Promise<void>;
  seal(patientId: string | null, recordId: string, field: string, plaintext: string): Promise<Buffer>;
  open(patientId: string | null, recordId: string, field: string, sealed: Buffer): Promise<string>;
  blindIndex(column: IndexedColumn, value: string): Promise<Buffer | null>;
  /** A patient's sealed identity at a record version, from memory when it was opened at that version before. */
  openIdentity(patientId: string, version: number, sealed: Buffer): Promise<string>;
  cachedIdentity(patientId: string, version: number): string | null;
  /** The 32 first bits of each value's beacon (names and birth dates, searched without being stored in clear). */
  beaconMacs(values: readonly { kind: BeaconKind; value: string }[]): Promise<number[]>;
}

export interface NoteSealer {
  readonly practiceId: string;
  /** The same sealer, with patient keys read in this transaction. */
  inTransaction(q: SealerQuery): NoteSealer;
  /** The patient's key row as read with the note in this transaction (null: none). */
  knownKey(patientId: string, key: { version: number; wrapped: Buffer } | null): void;
  sealNote(patientId: string, noteId: string, text: string): Promise<Buffer>;
  openNote(patientId: string, noteId: string, sealed: Buffer): Promise<string>;
  /** A note's sensitivity labels (JSON), sealed apart from its body: opened to decide, before the body is. */
  sealLabels(patientId: string, noteId: string, labelsJson: string): Promise<Buffer>;
  openLabels(patientId: string, noteId: string, sealed: Buffer): Promise<string>;
}

/** The vault's code for a patient whose erasure key was destroyed. */
export function isShreddedKeyError(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === 'VAULT_KEY_DESTROYED';
}

/** The place of a sealed value that failed its integrity check (vault DamagedValueError), if that is what `e` is. */
export function damagedPlaceOf(e: unknown): { practiceId: string; recordId: string; field: string } | null {
  const x = e as { code?: string; place?: { practiceId: string; recordId: string; field: string } } | null;
  return x?.code === 'VAULT_INTEGRITY' && x.place ? x.place : null;
}
