import { createHash, randomBytes } from 'node:crypto';
import { KeyCache } from './cache.js';
import { decodeEnvelope, encodeEnvelope, openBody, sealBody, type SealContext, type SealPurpose } from './envelope.js';
import { DamagedValueError, integrityError, VaultError } from './errors.js';
import type { KeyProvider } from './provider.js';
import type { PatientKeyStore } from './patient-keys.js';
import { blindIndexInput, type BlindIndexColumn, BLIND_INDEX_BYTES } from './blind-index.js';

export interface VaultOptions {
  /** Unwrapped data keys kept in memory; default 10,000, for at most 5 minutes. 0 disables. */
  readonly cacheEntries?: number;
  readonly cacheMaxAgeMs?: number;
  /** Unwrapped patient erasure keys kept in memory; default as cacheEntries. */
  readonly patientKeyCacheEntries?: number;
}

/**
 * The vault: seals and opens values with per-record data keys, wrapped under the practice's
 * KEK of the value's purpose and bound to the patient's erasure key. Code paths receive a
 * handle for one purpose: the administrative path an AdminVault, which cannot name a clinical
 * key, and the clinical path a ClinicalVault.
 */
export class Vault {
  private readonly dataKeys: KeyCache;
  private readonly patientKeyCache: KeyCache;

  constructor(
    readonly provider: KeyProvider,
    private readonly patientKeys: PatientKeyStore,
    opts: VaultOptions = {},
  ) {
    this.dataKeys = new KeyCache(opts.cacheEntries ?? 10_000, opts.cacheMaxAgeMs ?? 300_000);
    this.patientKeyCache = new KeyCache(opts.patientKeyCacheEntries ?? opts.cacheEntries ?? 10_000, opts.cacheMaxAgeMs ?? 300_000);
  }

  admin(practiceId: string): AdminVault {
    return new AdminVault(this, practiceId);
  }

  clinical(practiceId: string): ClinicalVault {
    return new ClinicalVault(this, practiceId);
  }

  /** Key administration (rotation, shredding): the operator's door, used by the CLI. */
  keyAdministration(): KeyAdministration {
    return new KeyAdministration(this, this.patientKeys);
  }

  /** @internal */
  async patientKey(practiceId: string, patientId: string): Promise<Buffer> {
    const id = `${practiceId}|${patientId}`;
    const cached = this.patientKeyCache.get(id);
    if (cached) return cached;
    const stored = await this.patientKeys.get(practiceId, patientId);
    if (stored === null) throw new VaultError('VAULT_KEY_DESTROYED', 'the patient key is not available');
    const key = await this.provider.unwrap({ practiceId, purpose: 'patient', version: stored.version }, stored.wrapped);
    this.patientKeyCache.set(id, key);
    return key;
  }

  /** @internal Creates erasure keys for new patients (admin path only). */
  async createPatientKeys(practiceId: string, patientIds: readonly string[]): Promise<void> {
    const version = await this.provider.activeVersion(practiceId, 'patient');
    const entries = [];
    for (const patientId of patientIds) {
      if ((await this.patientKeys.get(practiceId, patientId)) !== null) continue;
      const key = randomBytes(32);
      entries.push({ patientId, key: { version, wrapped: await this.provider.wrap({ practiceId, purpose: 'patient', version }, key) } });
      this.patientKeyCache.set(`${practiceId}|${patientId}`, key);
    }
    await this.patientKeys.putMany(practiceId, entries);
  }

  /** @internal */
  forgetPatient(practiceId: string, patientId: string): void {
    this.patientKeyCache.delete(`${practiceId}|${patientId}`);
  }

  /** @internal */
  async seal(purpose: SealPurpose, ctx: SealContext, plaintext: string): Promise<Buffer> {
    const dataKey = randomBytes(32);
    try {
      const patientKey = ctx.patientId === null ? null : await this.patientKey(ctx.practiceId, ctx.patientId);
      const body = sealBody(purpose, ctx, dataKey, patientKey, Buffer.from(plaintext, 'utf8'));
      const kekVersion = await this.provider.activeVersion(ctx.practiceId, purpose);
      const wrappedKey = await this.provider.wrap({ practiceId: ctx.practiceId, purpose, version: kekVersion }, dataKey);
      return encodeEnvelope({ ...body, kekVersion, wrappedKey });
    } finally {
      dataKey.fill(0);
    }
  }

  /** @internal A value that fails its integrity check is reported with its place (DamagedValueError). */
  async open(purpose: SealPurpose, ctx: SealContext, sealed: Buffer): Promise<string> {
    try {
      return await this.openAt(purpose, ctx, sealed);
    } catch (err) {
      if (err instanceof VaultError && err.code === 'VAULT_INTEGRITY' && !(err instanceof DamagedValueError)) {
        throw new DamagedValueError({ practiceId: ctx.practiceId, recordId: ctx.recordId, field: ctx.field });
      }
      throw err;
    }
  }

  private async openAt(purpose: SealPurpose, ctx: SealContext, sealed: Buffer): Promise<string> {
    const e = decodeEnvelope(sealed);
    if (e.purpose !== purpose) throw new VaultError('VAULT_PURPOSE', 'this handle cannot open that value');
    // The cache is keyed by everything the unwrap depends on, so a changed version misses it.
    const id = createHash('sha256').update(`${ctx.practiceId}|${purpose}|${e.kekVersion}|`).update(e.wrappedKey).digest('base64');
    let dataKey = this.dataKeys.get(id);
    if (!dataKey) {
      try {
        dataKey = await this.provider.unwrap({ practiceId: ctx.practiceId, purpose, version: e.kekVersion }, e.wrappedKey);
      } catch (err) {
        // A version the provider does not hold is a tampered (or orphaned) value: refuse it as such.
        if (err instanceof VaultError && err.code === 'VAULT_KEY_UNKNOWN') throw integrityError();
        throw err;
      }
      this.dataKeys.set(id, dataKey);
    }
    const patientKey = ctx.patientId === null ? null : await this.patientKey(ctx.practiceId, ctx.patientId);
    return openBody(e, ctx, dataKey, patientKey).toString('utf8');
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
  ) {}

  createPatientKeys(patientIds: readonly string[]): Promise<void> {
    return this.vault.createPatientKeys(this.practiceId, patientIds);
  }

  seal(patientId: string | null, recordId: string, field: string, plaintext: string): Promise<Buffer> {
    return this.vault.seal('admin', { practiceId: this.practiceId, patientId, recordId, field }, plaintext);
  }

  open(patientId: string | null, recordId: string, field: string, sealed: Buffer): Promise<string> {
    return this.vault.open('admin', { practiceId: this.practiceId, patientId, recordId, field }, sealed);
  }

  /** Keyed blind index of a normalised value, for exact-match search (docs/encryption.md). */
  async blindIndex(column: BlindIndexColumn, value: string): Promise<Buffer | null> {
    const input = blindIndexInput(column, value);
    if (input === null) return null;
    return (await this.vault.provider.mac(this.practiceId, input)).subarray(0, BLIND_INDEX_BYTES);
  }
}

/** Clinical notes of one practice. */
export class ClinicalVault {
  constructor(
    private readonly vault: Vault,
    readonly practiceId: string,
  ) {}

  sealNote(patientId: string, noteId: string, text: string): Promise<Buffer> {
    return this.vault.seal('clinical', { practiceId: this.practiceId, patientId, recordId: noteId, field: 'note.text' }, text);
  }

  openNote(patientId: string, noteId: string, sealed: Buffer): Promise<string> {
    return this.vault.open('clinical', { practiceId: this.practiceId, patientId, recordId: noteId, field: 'note.text' }, sealed);
  }
}

/** Operator actions on keys: rotation's rewrap and crypto-shredding. */
export class KeyAdministration {
  constructor(
    private readonly vault: Vault,
    private readonly patientKeys: PatientKeyStore,
  ) {}

  rewrap(practiceId: string, purpose: SealPurpose, sealed: Buffer): Promise<Buffer> {
    return this.vault.rewrap(practiceId, purpose, sealed);
  }

  async destroyPatientKey(practiceId: string, patientId: string): Promise<boolean> {
    this.vault.forgetPatient(practiceId, patientId);
    return this.patientKeys.destroy(practiceId, patientId);
  }
}
