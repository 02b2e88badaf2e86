/**
 * What the repositories need from the vault, described here so that storage does not depend on
 * it: the administrative repository gets an identity sealer, the clinical one a note sealer.
 * (The vault's AdminVault and ClinicalVault are these.)
 */
import type { Patient } from '../domain/index.js';

/** What a patient's sealed identity holds (names, sex, birth, INS status). */
export type Identity = Pick<
  Patient,
  'birthFamilyName' | 'usedFamilyName' | 'givenNames' | 'usedGivenName' | 'sex' | 'birthDate' | 'birthplaceInsee'
  | 'identityStatus' | 'vip' | 'deceasedDate' | 'otherIdentifiers' | 'active' | 'generalPractitioners' | 'languages'
>;

/**
 * A patient's identity as opened, with what a search filters and sorts on computed once: the
 * normalised words of the family names and of the given names, and the sort key. Frozen: the
 * vault keeps it in memory and hands the same object to every search.
 */
export interface OpenedIdentity {
  readonly identity: Identity;
  readonly updatedAt: Date;
  /** Normalised birth and used family names (docs: domain/names.ts). */
  readonly family: readonly string[];
  /** Normalised given names and used given name. */
  readonly given: readonly string[];
  /** Normalised used (else birth) family name, then used (else first) given name. */
  readonly sortFamily: string;
  readonly sortGiven: string;
}

export type IndexedColumn = 'nir' | 'email' | 'phone';
export type BeaconKind = 'family' | 'given' | 'birthdate' | 'clinical-token';

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
  /** A patient's sealed identity (JSON), opened. */
  openIdentity(patientId: string, sealed: Buffer): Promise<string>;
  /** The identity as this process opened and prepared it, if it still holds it under this stamp (the store's: record version and sealed value). */
  cachedIdentity(patientId: string, stamp: string): OpenedIdentity | null;
  /** Keeps an opened identity in memory for later searches, under this stamp only. */
  rememberIdentity(patientId: string, stamp: string, opened: OpenedIdentity): void;
  /** The 32 first bits of each value's beacon (names and birth dates, searched without being stored in clear). */
  beaconMacs(values: readonly { kind: BeaconKind; value: string }[]): Promise<number[]>;
}

/** The sealed parts of a note besides its text and labels: a document's bytes, and its description (kind, title, format…). */
export type NotePart = 'note.attachment' | 'note.meta';

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
  /** A note's document bytes (`note.attachment`) or description (`note.meta`, JSON), bound to the note and that field. */
  sealNotePart(patientId: string, noteId: string, field: NotePart, plaintext: string | Uint8Array): Promise<Buffer>;
  openNotePart(patientId: string, noteId: string, field: NotePart, sealed: Buffer): Promise<Buffer>;
  /** A clinical resource version's body or labels (JSON), bound to `id/version` and the field. */
  sealResource(patientId: string, versionId: string, field: 'resource.body' | 'resource.labels', json: string): Promise<Buffer>;
  openResource(patientId: string, versionId: string, field: 'resource.body' | 'resource.labels', sealed: Buffer): Promise<string>;
  /** Keyed beacons of token search values (a code, a status). */
  tokens(values: readonly string[]): Promise<number[]>;
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
