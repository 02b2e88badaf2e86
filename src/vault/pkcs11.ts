import { createRequire } from 'node:module';
import { integrityError, VaultError } from './errors.js';
import type { KekInfo, KekRef, KeyProvider, KeyPurpose } from './provider.js';

/**
 * The PKCS#11 key provider: KEKs are AES-256 keys generated inside the HSM, non-extractable
 * and sensitive, usable only to wrap and unwrap (CKM_AES_KEY_WRAP_PAD, RFC 5649 — what SoftHSM2
 * and most HSMs offer for wrapping). Data keys travel into the HSM as short-lived session
 * objects and out as wrapped blobs. Blind indexes use an HMAC key generated in the HSM.
 *
 * A KEK's label is "medvault:<practice>:<purpose>:v<version>"; its state is kept in CKA_ID
 * ("active"/"retired"), so the token itself is the key catalogue.
 */
type Pkcs11Module = typeof import('pkcs11js');
type Handle = Buffer;

const require = createRequire(import.meta.url);

export interface Pkcs11Options {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
}

export class Pkcs11KeyProvider implements KeyProvider {
  readonly kind = 'pkcs11';
  private readonly handles = new Map<string, Handle>();
  /** Active versions, re-read from the token at most once a second (another process may rotate). */
  private readonly active = new Map<string, { version: number; at: number }>();

  private constructor(
    private readonly lib: Pkcs11Module,
    private readonly p11: InstanceType<Pkcs11Module['PKCS11']>,
    private readonly session: Handle,
  ) {}

  /** Loads the module, finds the token and logs in; each failure is one clear VaultError. */
  static open(opts: Pkcs11Options): Pkcs11KeyProvider {
    let lib: Pkcs11Module;
    try {
      lib = require('pkcs11js') as Pkcs11Module;
    } catch {
      throw new VaultError('VAULT_PROVIDER', 'the pkcs11js module is not installed');
    }
    const p11 = new lib.PKCS11();
    try {
      p11.load(opts.modulePath);
    } catch {
      throw new VaultError('VAULT_PROVIDER', `cannot load the PKCS#11 module ${opts.modulePath}`);
    }
    try {
      p11.C_Initialize();
    } catch (e) {
      if ((e as { code?: number }).code !== lib.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw new VaultError('VAULT_PROVIDER', 'the PKCS#11 module failed to initialise');
      }
    }
    const slot = p11
      .C_GetSlotList(true)
      .find((s) => p11.C_GetTokenInfo(s).label.trim() === opts.tokenLabel);
    if (slot === undefined) {
      p11.C_Finalize();
      throw new VaultError('VAULT_PROVIDER', `no PKCS#11 token labelled "${opts.tokenLabel}"`);
    }
    const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
    try {
      p11.C_Login(session, lib.CKU_USER, opts.pin);
    } catch (e) {
      p11.C_CloseSession(session);
      p11.C_Finalize();
      const code = (e as { code?: number }).code;
      if (code === lib.CKR_PIN_INCORRECT) throw new VaultError('VAULT_PROVIDER', 'wrong PIN for the PKCS#11 token');
      if (code === lib.CKR_PIN_LOCKED) throw new VaultError('VAULT_PROVIDER', 'the PKCS#11 token PIN is locked');
      throw new VaultError('VAULT_PROVIDER', 'cannot log in to the PKCS#11 token');
    }
    return new Pkcs11KeyProvider(lib, p11, session);
  }

  private label(ref: KekRef): string {
    return `medvault:${ref.practiceId}:${ref.purpose}:v${ref.version}`;
  }

  private find(template: { type: number; value?: string | number | boolean | Buffer }[]): Handle[] {
    this.p11.C_FindObjectsInit(this.session, template);
    const out: Handle[] = [];
    for (;;) {
      const batch = this.p11.C_FindObjects(this.session, 100);
      out.push(...batch);
      if (batch.length < 100) break;
    }
    this.p11.C_FindObjectsFinal(this.session);
    return out;
  }

  private kek(ref: KekRef): Handle {
    const label = this.label(ref);
    const cached = this.handles.get(label);
    if (cached) return cached;
    const found = this.find([
      { type: this.lib.CKA_CLASS, value: this.lib.CKO_SECRET_KEY },
      { type: this.lib.CKA_LABEL, value: label },
    ]);
    if (found.length === 0) throw new VaultError('VAULT_KEY_UNKNOWN', 'no such key version');
    this.handles.set(label, found[0] as Handle);
    return found[0] as Handle;
  }

  private all(): KekInfo[] {
    const { lib } = this;
    const out: KekInfo[] = [];
    for (const h of this.find([{ type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY }, { type: lib.CKA_TOKEN, value: true }])) {
      const [label, id] = this.p11.C_GetAttributeValue(this.session, h, [{ type: lib.CKA_LABEL }, { type: lib.CKA_ID }]);
      const m = /^medvault:([0-9a-f-]{36}):(admin|clinical|patient|index):v(\d+)$/.exec(String(label?.value ?? ''));
      if (!m) continue;
      const [state, createdAt] = String(id?.value ?? '').split('|');
      out.push({
        practiceId: m[1] as string,
        purpose: m[2] as KeyPurpose,
        version: Number(m[3]),
        state: state === 'active' ? 'active' : 'retired',
        createdAt: createdAt ?? '',
      });
    }
    return out;
  }

  private generate(ref: KekRef): void {
    const { lib } = this;
    const hmac = ref.purpose === 'index';
    this.p11.C_GenerateKey(
      this.session,
      { mechanism: hmac ? lib.CKM_GENERIC_SECRET_KEY_GEN : lib.CKM_AES_KEY_GEN },
      [
        { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
        { type: lib.CKA_KEY_TYPE, value: hmac ? lib.CKK_GENERIC_SECRET : lib.CKK_AES },
        { type: lib.CKA_VALUE_LEN, value: 32 },
        { type: lib.CKA_TOKEN, value: true },
        { type: lib.CKA_PRIVATE, value: true },
        { type: lib.CKA_SENSITIVE, value: true },
        { type: lib.CKA_EXTRACTABLE, value: false },
        { type: lib.CKA_WRAP, value: !hmac },
        { type: lib.CKA_UNWRAP, value: !hmac },
        { type: lib.CKA_SIGN, value: hmac },
        { type: lib.CKA_ENCRYPT, value: false },
        { type: lib.CKA_DECRYPT, value: false },
        { type: lib.CKA_LABEL, value: this.label(ref) },
        { type: lib.CKA_ID, value: Buffer.from(`active|${new Date().toISOString()}`) },
      ],
    );
  }

  async activeVersion(practiceId: string, purpose: KeyPurpose): Promise<number> {
    const id = `${practiceId}|${purpose}`;
    const cached = this.active.get(id);
    if (cached && Date.now() - cached.at < 1000) return cached.version;
    const mine = this.all().filter((k) => k.practiceId === practiceId && k.purpose === purpose);
    const found = mine.find((k) => k.state === 'active');
    const version = found ? found.version : await this.createVersion(practiceId, purpose);
    this.active.set(id, { version, at: Date.now() });
    return version;
  }

  async wrap(ref: KekRef, dataKey: Buffer): Promise<Buffer> {
    const { lib } = this;
    const temp = this.p11.C_CreateObject(this.session, [
      { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
      { type: lib.CKA_KEY_TYPE, value: lib.CKK_GENERIC_SECRET },
      { type: lib.CKA_TOKEN, value: false },
      { type: lib.CKA_EXTRACTABLE, value: true },
      { type: lib.CKA_SENSITIVE, value: false },
      { type: lib.CKA_VALUE, value: dataKey },
    ]);
    try {
      return this.p11.C_WrapKey(this.session, { mechanism: lib.CKM_AES_KEY_WRAP_PAD }, this.kek(ref), temp, Buffer.alloc(64));
    } catch (e) {
      if (e instanceof VaultError) throw e;
      throw new VaultError('VAULT_PROVIDER', 'the HSM refused to wrap');
    } finally {
      this.p11.C_DestroyObject(this.session, temp);
    }
  }

  async unwrap(ref: KekRef, wrapped: Buffer): Promise<Buffer> {
    const { lib } = this;
    const kek = this.kek(ref);
    let h: Handle;
    try {
      h = this.p11.C_UnwrapKey(this.session, { mechanism: lib.CKM_AES_KEY_WRAP_PAD }, kek, wrapped, [
        { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
        { type: lib.CKA_KEY_TYPE, value: lib.CKK_GENERIC_SECRET },
        { type: lib.CKA_TOKEN, value: false },
        { type: lib.CKA_EXTRACTABLE, value: true },
        { type: lib.CKA_SENSITIVE, value: false },
      ]);
    } catch {
      // RFC 5649's integrity check failed: wrong KEK or tampered blob.
      throw integrityError();
    }
    try {
      const [v] = this.p11.C_GetAttributeValue(this.session, h, [{ type: lib.CKA_VALUE }]);
      const key = Buffer.from(v?.value as Buffer);
      if (key.length !== 32) throw integrityError();
      return key;
    } finally {
      this.p11.C_DestroyObject(this.session, h);
    }
  }

  async mac(practiceId: string, data: Buffer): Promise<Buffer> {
    const version = await this.activeVersion(practiceId, 'index');
    const key = this.kek({ practiceId, purpose: 'index', version });
    this.p11.C_SignInit(this.session, { mechanism: this.lib.CKM_SHA256_HMAC }, key);
    return this.p11.C_Sign(this.session, data, Buffer.alloc(32));
  }

  async createVersion(practiceId: string, purpose: KeyPurpose): Promise<number> {
    const mine = this.all().filter((k) => k.practiceId === practiceId && k.purpose === purpose);
    if (purpose === 'index' && mine.length > 0) throw new VaultError('VAULT_PURPOSE', 'blind-index keys are not rotated');
    const version = mine.reduce((m, k) => Math.max(m, k.version), 0) + 1;
    for (const k of mine.filter((x) => x.state === 'active')) {
      const h = this.kek(k);
      this.p11.C_SetAttributeValue(this.session, h, [{ type: this.lib.CKA_ID, value: Buffer.from(`retired|${k.createdAt}`) }]);
    }
    this.generate({ practiceId, purpose, version });
    this.active.set(`${practiceId}|${purpose}`, { version, at: Date.now() });
    return version;
  }

  async list(): Promise<KekInfo[]> {
    return this.all();
  }

  async destroyVersion(ref: KekRef): Promise<void> {
    const info = this.all().find((k) => k.practiceId === ref.practiceId && k.purpose === ref.purpose && k.version === ref.version);
    if (!info) return;
    if (info.state === 'active') throw new VaultError('VAULT_PURPOSE', 'the active key version cannot be destroyed');
    const h = this.kek(ref);
    this.p11.C_DestroyObject(this.session, h);
    this.handles.delete(this.label(ref));
  }

  async close(): Promise<void> {
    try {
      this.p11.C_Logout(this.session);
      this.p11.C_CloseSession(this.session);
      this.p11.C_Finalize();
    } catch {
      // already closed
    }
  }
}
