import { createHash, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { KeyCache } from './cache.js';
import { decodeEnvelope, encodeEnvelope, openBody, sealBody, type SealContext, type SealPurpose } from './envelope.js';
import { DamagedValueError, integrityError, VaultError } from './errors.js';
import type { KeyProvider } from './provider.js';
import { transactionKeys, type KeyRowsQuery, type PatientKeySource, type WrappedPatientKey } from './patient-keys.js';
import { blindIndexInput, type BlindIndexColumn, BLIND_INDEX_BYTES } from './blind-index.js';
import { beaconInput, type BeaconKind } from './beacons.js';
import type { NotePart, OpenedIdentity } from '../store/sealing.js';

export interface VaultOptions {
  /**
   * Unwrapped data keys kept in memory; default 100,000 (about 10 MB), for at most 5 minutes. 0
   * disables. A page of a chart opens two per resource (labels, body): at 10,000, the pages of a few
   * hundred sessions evicted each other's keys before any was read again (bench/read).
   */
  readonly cacheEntries?: number;
  readonly cacheMaxAgeMs?: number;
  /** Unwrapped patient erasure keys kept in memory; default as cacheEntries, for at most a minute. */
  readonly patientKeyCacheEntries?: number;
  readonly patientKeyCacheMaxAgeMs?: number;
  /** Opened patient identities kept in memory (search); default 200,000, for at most 10 minutes. 0 disables. */
  readonly identityCacheEntries?: number;
}

const IDENTITY_MAX_AGE_MS = 10 * 60_000;

/** How long an unwrapped patient key is kept: a key shredded elsewhere is forgotten by then at the latest. */
const PATIENT_KEY_MAX_AGE_MS = 60_000;

/**
 * The vault: seals and opens values with per-record data keys, wrapped under the practice's
 * KEK of the value's purpose and bound to the patient's erasure key. Code paths receive a
 * handle for one purpose: the administrative path an AdminVault, which cannot name a clinical
 * key, and the clinical path a ClinicalVault.
 */
export class Vault {
  private readonly dataKeys: KeyCache;
  private readonly patientKeyCache: KeyCache;
  /** Per practice, the key beacons are computed under (derived from the index key, which is never rotated). */
  private readonly beaconKeys = new Map<string, KeyObject>();
  /**
   * Opened patient identities, per practice and patient, under the stamp of the stored value they
   * were opened from (the store's: record version and sealed bytes): a search filters and sorts
   * thousands of candidates on their names, and opening each every time is most of its cost. An
   * entry serves only the same stamp (read in the same statement as the candidate), is dropped
   * when the patient is shredded here, and lives 10 minutes at most (docs/encryption.md,
   * "Limits").
   */
  private readonly identities = new Map<string, { stamp: string; opened: OpenedIdentity; at: number }>();
  private readonly identityEntries: number;

  constructor(
    readonly provider: KeyProvider,
    /** Where keys are read outside a transaction (tools and unit tests); null: only in transactions. */
    private readonly fallbackKeys: PatientKeySource | null = null,
    opts: VaultOptions = {},
  ) {
    this.dataKeys = new KeyCache(opts.cacheEntries ?? 100_000, opts.cacheMaxAgeMs ?? 300_000);
    this.identityEntries = opts.identityCacheEntries ?? 200_000;
    const patientKeyEntries = opts.patientKeyCacheEntries ?? Math.min(opts.cacheEntries ?? 10_000, 10_000);
    const patientKeyMaxAgeMs = opts.patientKeyCacheMaxAgeMs
      ?? Math.min(PATIENT_KEY_MAX_AGE_MS, opts.cacheMaxAgeMs ?? PATIENT_KEY_MAX_AGE_MS);
    this.patientKeyCache = new KeyCache(patientKeyEntries, patientKeyMaxAgeMs);
  }

  private source(given: PatientKeySource | undefined): PatientKeySource {
    const s = given ?? this.fallbackKeys;
    if (s === null) {
      throw new VaultError('VAULT_PROVIDER', 'patient keys are read in a database transaction (a repository handle)');
    }
    return s;
  }

  admin(practiceId: string): AdminVault {
    return new AdminVault(this, practiceId);
  }

  clinical(practiceId: string): ClinicalVault {
    return new ClinicalVault(this, practiceId);
  }

  /** Key administration (rotation, shredding): the operator's door, used by the CLI. */
  keyAdministration(): KeyAdministration {
    return new KeyAdministration(this);
  }

  /**
   * @internal A patient's erasure key: from memory, else from the source (the request's
   * transaction). A missing row is never remembered: a key written meanwhile by another instance is
   * found at the next read, and "destroyed" is only ever what the database says now.
   */
  async patientKey(practiceId: string, patientId: string, keys?: PatientKeySource): Promise<Buffer> {
    const id = `${practiceId}|${patientId}`;
    // The transaction read the key row with the record and found none (shredded, perhaps on another
    // instance a moment ago): that wins over memory (regression, found by an outside review: an
    // instance opened a shredded patient's note from its cache until the audit sync came).
    if (keys?.known?.(practiceId, patientId) === null) {
      this.patientKeyCache.delete(id);
      throw new VaultError('VAULT_KEY_DESTROYED', 'the patient key is not available');
    }
    const cached = this.patientKeyCache.get(id);
    if (cached) return cached;
    const stored = await this.source(keys).get(practiceId, patientId);
    if (stored === null) throw new VaultError('VAULT_KEY_DESTROYED', 'the patient key is not available');
    const key = await this.provider.unwrap({ practiceId, purpose: 'patient', version: stored.version }, stored.wrapped);
    this.patientKeyCache.set(id, key);
    return key;
  }

  /**
   * @internal Creates erasure keys for new patients (admin path only), stored through the source
   * (in the transaction that inserts the patients: the key commits with its patient, or neither).
   */
  async createPatientKeys(practiceId: string, patientIds: readonly string[], keys?: PatientKeySource): Promise<void> {
    const target = this.source(keys);
    const version = await this.provider.activeVersion(practiceId, 'patient');
    const entries = [];
    const fresh = new Map<string, Buffer>();
    for (const patientId of patientIds) {
      const key = randomBytes(32);
      const wrapped = await this.provider.wrap({ practiceId, purpose: 'patient', version }, key);
      entries.push({ patientId, key: { version, wrapped } });
      fresh.set(patientId, key);
    }
    await target.put(practiceId, entries);
    // Kept in memory for the sealing that follows in the same transaction.
    for (const [patientId, key] of fresh) {
      this.patientKeyCache.set(`${practiceId}|${patientId}`, key);
      key.fill(0);
    }
  }

  /**
   * @internal The 32 first bits of each value's beacon MAC (beacons.ts), under a key derived once
   * per practice from its index key (one call to the provider, then HMAC here: an HSM is not
   * asked once per name prefix).
   */
  async beaconMacs(practiceId: string, values: readonly { kind: BeaconKind; value: string }[]): Promise<number[]> {
    let key = this.beaconKeys.get(practiceId);
    if (!key) {
      // A key object: imported once, not on every MAC (every clinical search computes some).
      key = createSecretKey(await this.provider.mac(practiceId, Buffer.from('medvault-beacon-key/v1', 'utf8')));
      this.beaconKeys.set(practiceId, key);
    }
    return values.map((v) => createHmac('sha256', key).update(beaconInput(v.kind, v.value)).digest().readUInt32BE(0));
  }

  /** @internal A shredded patient's key leaves memory (this instance; others learn it from the audit log). */
  forgetPatient(practiceId: string, patientId: string): void {
    this.patientKeyCache.delete(`${practiceId}|${patientId}`);
    this.identities.delete(`${practiceId}|${patientId}`);
  }

  /** @internal A patient's identity as opened from the value with this stamp, if this process holds it. */
  cachedIdentity(practiceId: string, patientId: string, stamp: string): OpenedIdentity | null {
    const id = `${practiceId}|${patientId}`;
    const e = this.identities.get(id);
    if (!e || e.stamp !== stamp) return null;
    if (Date.now() - e.at > IDENTITY_MAX_AGE_MS) {
      this.identities.delete(id);
      return null;
    }
    return e.opened;
  }

  /** @internal */
  rememberIdentity(practiceId: string, patientId: string, stamp: string, opened: OpenedIdentity): void {
    if (this.identityEntries <= 0) return;
    const id = `${practiceId}|${patientId}`;
    this.identities.delete(id);
    this.identities.set(id, { stamp, opened, at: Date.now() });
    while (this.identities.size > this.identityEntries) {
      const oldest = this.identities.keys().next().value as string;
      this.identities.delete(oldest);
    }
  }

  /** @internal */
  async seal(
    purpose: SealPurpose, ctx: SealContext, plaintext: string | Uint8Array, keys?: PatientKeySource,
  ): Promise<Buffer> {
    const dataKey = randomBytes(32);
    try {
      const patientKey = ctx.patientId === null ? null : await this.patientKey(ctx.practiceId, ctx.patientId, keys);
      const bytes = typeof plaintext === 'string'
        ? Buffer.from(plaintext, 'utf8')
        : Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
      const body = sealBody(purpose, ctx, dataKey, patientKey, bytes);
      const kekVersion = await this.provider.activeVersion(ctx.practiceId, purpose);
      const kek = { practiceId: ctx.practiceId, purpose, version: kekVersion };
      const wrappedKey = await this.provider.wrap(kek, dataKey);
      return encodeEnvelope({ ...body, kekVersion, wrappedKey });
    } finally {
      dataKey.fill(0);
    }
  }

  /** @internal A value that fails its integrity check is reported with its place (DamagedValueError). */
  async open(purpose: SealPurpose, ctx: SealContext, sealed: Buffer, keys?: PatientKeySource): Promise<string> {
    return (await this.openBytes(purpose, ctx, sealed, keys)).toString('utf8');
  }

  /** @internal As `open`, for a value sealed from bytes (a document). */
  async openBytes(purpose: SealPurpose, ctx: SealContext, sealed: Buffer, keys?: PatientKeySource): Promise<Buffer> {
    try {
      return await this.openAt(purpose, ctx, sealed, keys);
    } catch (err) {
      if (err instanceof VaultError && err.code === 'VAULT_INTEGRITY' && !(err instanceof DamagedValueError)) {
        throw new DamagedValueError({ practiceId: ctx.practiceId, recordId: ctx.recordId, field: ctx.field });
      }
      throw err;
    }
  }

  private async openAt(
    purpose: SealPurpose, ctx: SealContext, sealed: Buffer, keys?: PatientKeySource,
  ): Promise<Buffer> {
    const e = decodeEnvelope(sealed);
    if (e.purpose !== purpose) throw new VaultError('VAULT_PURPOSE', 'this handle cannot open that value');
    // The cache is keyed by everything the unwrap depends on, so a changed version misses it.
    const kekId = `${ctx.practiceId}|${purpose}|${e.kekVersion}|`;
    const id = createHash('sha256').update(kekId).update(e.wrappedKey).digest('base64');
    let dataKey = this.dataKeys.get(id);
    if (!dataKey) {
      try {
        const kek = { practiceId: ctx.practiceId, purpose, version: e.kekVersion };
        dataKey = await this.provider.unwrap(kek, e.wrappedKey);
      } catch (err) {
        // A version the provider does not hold is a tampered (or orphaned) value: refuse it as such.
        if (err instanceof VaultError && err.code === 'VAULT_KEY_UNKNOWN') throw integrityError();
        throw err;
      }
      this.dataKeys.set(id, dataKey);
    }
    const patientKey = ctx.patientId === null ? null : await this.patientKey(ctx.practiceId, ctx.patientId, keys);
    return openBody(e, ctx, dataKey, patientKey);
  }

  /** @internal Re-wraps a sealed value's data key under the active KEK; the body is not decrypted. */
  async rewrap(practiceId: string, purpose: SealPurpose, sealed: Buffer): Promise<Buffer> {
    const e = decodeEnvelope(sealed);
    if (e.purpose !== purpose) throw new VaultError('VAULT_PURPOSE', 'purpose mismatch');
    const version = await this.provider.activeVersion(practiceId, purpose);
    if (e.kekVersion === version) return sealed;
    const dataKey = await this.provider.unwrap({ practiceId, purpose, version: e.kekVersion }, e.wrappedKey);
    try {
      const wrappedKey = await this.provider.wrap({ practiceId, purpose, version }, dataKey);
      return encodeEnvelope({ ...e, kekVersion: version, wrappedKey });
    } finally {
      dataKey.fill(0);
    }
  }
}

/** Identity secrets of one practice: NIR, contacts, address; and their blind indexes. */
export class AdminVault {
  constructor(
    private readonly vault: Vault,
    readonly practiceId: string,
    private readonly keys?: PatientKeySource,
  ) {}

  /** The same handle, reading and writing patient keys in this transaction. */
  inTransaction(q: KeyRowsQuery): AdminVault {
    return new AdminVault(this.vault, this.practiceId, transactionKeys(q));
  }

  createPatientKeys(patientIds: readonly string[]): Promise<void> {
    return this.vault.createPatientKeys(this.practiceId, patientIds, this.keys);
  }

  /** A patient's key row as the transaction just read it with the patient (null: no row). */
  knownKey(patientId: string, key: WrappedPatientKey | null): void {
    this.keys?.know?.(this.practiceId, patientId, key);
  }

  seal(patientId: string | null, recordId: string, field: string, plaintext: string): Promise<Buffer> {
    return this.vault.seal('admin', { practiceId: this.practiceId, patientId, recordId, field }, plaintext, this.keys);
  }

  open(patientId: string | null, recordId: string, field: string, sealed: Buffer): Promise<string> {
    return this.vault.open('admin', { practiceId: this.practiceId, patientId, recordId, field }, sealed, this.keys);
  }

  /**
   * The 32 first bits of the beacons of these values (beacons.ts); the repository truncates them
   * to the practice's length.
   */
  beaconMacs(values: readonly { kind: BeaconKind; value: string }[]): Promise<number[]> {
    return this.vault.beaconMacs(this.practiceId, values);
  }

  /** A patient's sealed identity (the `patient.identity` value, JSON), opened. */
  async openIdentity(patientId: string, sealed: Buffer): Promise<string> {
    return this.open(patientId, patientId, 'patient.identity', sealed);
  }

  /**
   * The identity as the store prepared it under this stamp, if this process opened it recently
   * (null: it must be opened).
   */
  cachedIdentity(patientId: string, stamp: string): OpenedIdentity | null {
    return this.vault.cachedIdentity(this.practiceId, patientId, stamp);
  }

  /**
   * Keeps an opened identity under the store's stamp (the vault's identity cache: bounded,
   * 10 minutes, dropped on shred).
   */
  rememberIdentity(patientId: string, stamp: string, opened: OpenedIdentity): void {
    this.vault.rememberIdentity(this.practiceId, patientId, stamp, opened);
  }

  /** Keyed blind index of a normalised value, for exact-match search (docs/encryption.md). */
  async blindIndex(column: BlindIndexColumn, value: string): Promise<Buffer | null> {
    const input = blindIndexInput(column, value);
    if (input === null) return null;
    return (await this.vault.provider.mac(this.practiceId, input)).subarray(0, BLIND_INDEX_BYTES);
  }
}

/** The sealed fields of a clinical resource's version. */
type ResourceField = 'resource.body' | 'resource.labels';

/** Clinical notes of one practice. */
export class ClinicalVault {
  constructor(
    private readonly vault: Vault,
    readonly practiceId: string,
    private readonly keys?: PatientKeySource,
  ) {}

  /** The same handle, reading patient keys in this transaction. */
  inTransaction(q: KeyRowsQuery): ClinicalVault {
    return new ClinicalVault(this.vault, this.practiceId, transactionKeys(q));
  }

  /** A patient's key row as the transaction just read it with the note (null: no row). */
  knownKey(patientId: string, key: WrappedPatientKey | null): void {
    this.keys?.know?.(this.practiceId, patientId, key);
  }

  /** What a clinical value is bound to: this practice, the patient, the record and the field. */
  private bound(patientId: string, recordId: string, field: string): SealContext {
    return { practiceId: this.practiceId, patientId, recordId, field };
  }

  sealNote(patientId: string, noteId: string, text: string): Promise<Buffer> {
    return this.vault.seal('clinical', this.bound(patientId, noteId, 'note.text'), text, this.keys);
  }

  openNote(patientId: string, noteId: string, sealed: Buffer): Promise<string> {
    return this.vault.open('clinical', this.bound(patientId, noteId, 'note.text'), sealed, this.keys);
  }

  sealLabels(patientId: string, noteId: string, labelsJson: string): Promise<Buffer> {
    return this.vault.seal('clinical', this.bound(patientId, noteId, 'note.labels'), labelsJson, this.keys);
  }

  openLabels(patientId: string, noteId: string, sealed: Buffer): Promise<string> {
    return this.vault.open('clinical', this.bound(patientId, noteId, 'note.labels'), sealed, this.keys);
  }

  /**
   * A part of a note other than its text and labels (a document's bytes, its description), bound to
   * the note and the part.
   */
  sealNotePart(patientId: string, noteId: string, field: NotePart, plaintext: string | Uint8Array): Promise<Buffer> {
    return this.vault.seal('clinical', this.bound(patientId, noteId, field), plaintext, this.keys);
  }

  openNotePart(patientId: string, noteId: string, field: NotePart, sealed: Buffer): Promise<Buffer> {
    return this.vault.openBytes('clinical', this.bound(patientId, noteId, field), sealed, this.keys);
  }

  /** A clinical resource's version (`id/version`): its body or its labels, bound to that version and field. */
  sealResource(patientId: string, versionId: string, field: ResourceField, json: string): Promise<Buffer> {
    return this.vault.seal('clinical', this.bound(patientId, versionId, field), json, this.keys);
  }

  openResource(patientId: string, versionId: string, field: ResourceField, sealed: Buffer): Promise<string> {
    return this.vault.open('clinical', this.bound(patientId, versionId, field), sealed, this.keys);
  }

  /**
   * Search beacons of clinical token values (`code=http://hl7.org/fhir/sid/icd-10|B20`): 32-bit HMACs
   * under the practice's index key.
   */
  tokens(values: readonly string[]): Promise<number[]> {
    return this.vault.beaconMacs(this.practiceId, values.map((value) => ({ kind: 'clinical-token' as const, value })));
  }
}

/** Operator actions on keys: rotation's rewrap and crypto-shredding. */
export class KeyAdministration {
  constructor(private readonly vault: Vault) {}

  rewrap(practiceId: string, purpose: SealPurpose, sealed: Buffer): Promise<Buffer> {
    return this.vault.rewrap(practiceId, purpose, sealed);
  }

  /** A patient key wrapped again under the epoch's `patient` KEK version (a key epoch's close). */
  async rewrapPatientKey(
    practiceId: string, version: number, wrapped: Buffer, to: number,
  ): Promise<{ version: number; wrapped: Buffer }> {
    const active = to;
    if (version === active) return { version, wrapped };
    const key = await this.vault.provider.unwrap({ practiceId, purpose: 'patient', version }, wrapped);
    try {
      const rewrapped = await this.vault.provider.wrap({ practiceId, purpose: 'patient', version: active }, key);
      return { version: active, wrapped: rewrapped };
    } finally {
      key.fill(0);
    }
  }

  /** Forgets a shredded patient's key in this process (its row is deleted by the shred's transaction). */
  forgetPatient(practiceId: string, patientId: string): void {
    this.vault.forgetPatient(practiceId, patientId);
  }
}
