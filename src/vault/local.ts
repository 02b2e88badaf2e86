import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from './files.js';
import { integrityError, VaultError } from './errors.js';
import type { KekInfo, KekRef, KeyProvider, KeyPurpose } from './provider.js';

/**
 * The local key provider: a keyring file (mode 0600) in the data folder. Its KEKs are sealed
 * under a master key; with MEDVAULT_KEY_PASSPHRASE the master key is derived with scrypt and
 * never stored; without one (demo only) it sits in the file beside them.
 */
interface KeyringFile {
  format: 'medvault-keyring/1';
  kdf: { alg: 'scrypt'; N: number; r: number; p: number; salt: string } | null;
  /** Present only without a passphrase. */
  master?: string;
  /** AES-GCM of a known text under the master key: proves the passphrase before anything is written. */
  check: string;
  keys: { practiceId: string; purpose: KeyPurpose; version: number; state: KekInfo['state']; createdAt: string; material: string }[];
}

/** scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, ~0.3 s here), above OWASP's minimum of 2^17 · 8 · 1. */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 };
const CHECK_TEXT = Buffer.from('medvault keyring v1');

function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]);
}

function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < 28) throw integrityError();
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12), { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
  } catch {
    throw integrityError();
  }
}

const kekAad = (r: KekRef) => Buffer.from(`medvault-kek/v1|${r.practiceId}|${r.purpose}|${r.version}`);
const wrapAad = (r: KekRef) => Buffer.from(`medvault-wrap/v1|${r.practiceId}|${r.purpose}|${r.version}`);

export interface LocalProviderOptions {
  readonly path: string;
  readonly passphrase: string | null;
  /** Refuse to create a keyring without a passphrase (production mode). */
  readonly requirePassphrase?: boolean;
  readonly now?: () => Date;
}

export class LocalKeyProvider implements KeyProvider {
  readonly kind = 'local';
  private file: KeyringFile;
  private master: Buffer;
  private keks = new Map<string, Buffer>();
  private mtimeMs = 0;
  private lastStat = 0;

  private constructor(
    private readonly opts: LocalProviderOptions,
    file: KeyringFile,
    master: Buffer,
  ) {
    this.file = file;
    this.master = master;
    this.mtimeMs = existsSync(opts.path) ? statSync(opts.path).mtimeMs : 0;
  }

  /**
   * Opens the keyring, or creates it when absent. A wrong or missing passphrase is refused
   * before anything is written.
   */
  static open(opts: LocalProviderOptions): LocalKeyProvider {
    if (existsSync(opts.path)) {
      const file = JSON.parse(readFileSync(opts.path, 'utf8')) as KeyringFile;
      return new LocalKeyProvider(opts, file, LocalKeyProvider.masterOf(file, opts));
    }
    if (opts.requirePassphrase && !opts.passphrase) {
      throw new VaultError('VAULT_PASSPHRASE', 'a keyring passphrase (MEDVAULT_KEY_PASSPHRASE) is required in production mode');
    }
    let master: Buffer;
    let kdf: KeyringFile['kdf'] = null;
    if (opts.passphrase) {
      const salt = randomBytes(16);
      master = scryptSync(opts.passphrase, salt, 32, { ...SCRYPT, maxmem: 256 * 1024 * 1024 });
      kdf = { alg: 'scrypt', ...SCRYPT, salt: salt.toString('base64') };
    } else {
      master = randomBytes(32);
    }
    const file: KeyringFile = {
      format: 'medvault-keyring/1',
      kdf,
      ...(kdf === null ? { master: master.toString('base64') } : {}),
      check: gcmSeal(master, CHECK_TEXT, Buffer.from('check')).toString('base64'),
      keys: [],
    };
    writeFileAtomicSync(opts.path, JSON.stringify(file, null, 2));
    return new LocalKeyProvider(opts, file, master);
  }

  private static masterOf(file: KeyringFile, opts: LocalProviderOptions): Buffer {
    if (file.format !== 'medvault-keyring/1') throw new VaultError('VAULT_PROVIDER', 'unknown keyring format');
    let master: Buffer;
    if (file.kdf !== null) {
      if (!opts.passphrase) throw new VaultError('VAULT_PASSPHRASE', 'the keyring is protected: set MEDVAULT_KEY_PASSPHRASE');
      const { N, r, p, salt } = file.kdf;
      master = scryptSync(opts.passphrase, Buffer.from(salt, 'base64'), 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
    } else {
      if (opts.passphrase) throw new VaultError('VAULT_PASSPHRASE', 'the keyring has no passphrase, but MEDVAULT_KEY_PASSPHRASE is set');
      if (opts.requirePassphrase) throw new VaultError('VAULT_PASSPHRASE', 'the keyring has no passphrase, which production mode refuses');
      master = Buffer.from(file.master ?? '', 'base64');
    }
    try {
      if (!gcmOpen(master, Buffer.from(file.check, 'base64'), Buffer.from('check')).equals(CHECK_TEXT)) throw integrityError();
    } catch {
      throw new VaultError('VAULT_PASSPHRASE', 'wrong keyring passphrase');
    }
    return master;
  }

  /** Another process (keys rotate) may have added versions: re-read the file when it changed. */
  private refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastStat < 1000) return;
    this.lastStat = now;
    const m = statSync(this.opts.path).mtimeMs;
    if (m === this.mtimeMs && !force) return;
    this.file = JSON.parse(readFileSync(this.opts.path, 'utf8')) as KeyringFile;
    this.mtimeMs = m;
    // A version destroyed by another process (a shred's key epoch) leaves this one's memory too.
    for (const [id, key] of this.keks) {
      const [practiceId, purpose, version] = id.split('|');
      if (!this.entry({ practiceId: practiceId!, purpose: purpose as KeyPurpose, version: Number(version) })) {
        key.fill(0);
        this.keks.delete(id);
      }
    }
  }

  private entry(ref: KekRef) {
    return this.file.keys.find((k) => k.practiceId === ref.practiceId && k.purpose === ref.purpose && k.version === ref.version);
  }

  private kek(ref: KekRef): Buffer {
    const id = `${ref.practiceId}|${ref.purpose}|${ref.version}`;
    const cached = this.keks.get(id);
    if (cached) return cached;
    let e = this.entry(ref);
    if (!e) {
      this.refresh(true);
      e = this.entry(ref);
    }
    if (!e) throw new VaultError('VAULT_KEY_UNKNOWN', 'no such key version');
    const key = gcmOpen(this.master, Buffer.from(e.material, 'base64'), kekAad(ref));
    this.keks.set(id, key);
    return key;
  }

  private persist(): void {
    writeFileAtomicSync(this.opts.path, JSON.stringify(this.file, null, 2));
    this.mtimeMs = statSync(this.opts.path).mtimeMs;
  }

  private addVersion(practiceId: string, purpose: KeyPurpose): number {
    this.refresh(true);
    const mine = this.file.keys.filter((k) => k.practiceId === practiceId && k.purpose === purpose);
    const version = mine.reduce((m, k) => Math.max(m, k.version), 0) + 1;
    for (const k of mine) k.state = 'retired';
    const ref = { practiceId, purpose, version };
    this.file.keys.push({
      ...ref,
      state: 'active',
      createdAt: (this.opts.now?.() ?? new Date()).toISOString(),
      material: gcmSeal(this.master, randomBytes(32), kekAad(ref)).toString('base64'),
    });
    this.persist();
    return version;
  }

  async activeVersion(practiceId: string, purpose: KeyPurpose): Promise<number> {
    this.refresh();
    const active = this.file.keys.find((k) => k.practiceId === practiceId && k.purpose === purpose && k.state === 'active');
    return active ? active.version : this.addVersion(practiceId, purpose);
  }

  async wrap(ref: KekRef, dataKey: Buffer): Promise<Buffer> {
    return gcmSeal(this.kek(ref), dataKey, wrapAad(ref));
  }

  async unwrap(ref: KekRef, wrapped: Buffer): Promise<Buffer> {
    return gcmOpen(this.kek(ref), wrapped, wrapAad(ref));
  }

  async mac(practiceId: string, data: Buffer): Promise<Buffer> {
    const version = await this.activeVersion(practiceId, 'index');
    return createHmac('sha256', this.kek({ practiceId, purpose: 'index', version })).update(data).digest();
  }

  async createVersion(practiceId: string, purpose: KeyPurpose): Promise<number> {
    if (purpose === 'index') throw new VaultError('VAULT_PURPOSE', 'blind-index keys are not rotated (every index would change)');
    return this.addVersion(practiceId, purpose);
  }

  async destroyVersion(ref: KekRef): Promise<void> {
    this.refresh(true);
    const e = this.entry(ref);
    if (!e) return;
    if (e.state === 'active') throw new VaultError('VAULT_PURPOSE', 'the active key version cannot be destroyed');
    this.file.keys = this.file.keys.filter((k) => k !== e);
    this.persist();
    const id = `${ref.practiceId}|${ref.purpose}|${ref.version}`;
    this.keks.get(id)?.fill(0);
    this.keks.delete(id);
  }

  async list(): Promise<KekInfo[]> {
    this.refresh(true);
    return this.file.keys.map(({ practiceId, purpose, version, state, createdAt }) => ({ practiceId, purpose, version, state, createdAt }));
  }

  async close(): Promise<void> {
    for (const k of this.keks.values()) k.fill(0);
    this.keks.clear();
    this.master.fill(0);
  }
}
