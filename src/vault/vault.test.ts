import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createToken, SOFTHSM_MODULE, softhsmAvailable } from '../../test/helpers/softhsm.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { VaultError } from './errors.js';
import { LocalKeyProvider } from './local.js';
import { MemoryPatientKeys } from './patient-keys.js';
import { Pkcs11KeyProvider } from './pkcs11.js';
import type { KeyProvider } from './provider.js';
import { Vault } from './vault.js';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-vault-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The patient keys a vault reads outside a database (one store per name: a second vault over it is a restart).
const stores = new Map<string, MemoryPatientKeys>();
function localVault(name: string, opts: { cacheEntries?: number } = {}) {
  const keys = stores.get(name) ?? new MemoryPatientKeys();
  stores.set(name, keys);
  const provider = LocalKeyProvider.open({ path: join(tmp, `${name}.keyring.json`), passphrase: null });
  return { vault: new Vault(provider, keys, opts), provider, keys };
}

async function expectCode(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toMatchObject({ name: 'VaultError', code });
}

describe('sealed values', () => {
  const practiceId = randomUUID();
  const { vault } = localVault('seal');
  const admin = vault.admin(practiceId);
  const clinical = vault.clinical(practiceId);
  const patients = [randomUUID(), randomUUID()];

  it('round-trips, with a fresh data key and nonce each time', async () => {
    await admin.createPatientKeys(patients);
    const [p] = patients as [string];
    const a = await clinical.sealNote(p, 'n1', 'Sérologie VIH positive.');
    const b = await clinical.sealNote(p, 'n1', 'Sérologie VIH positive.');
    expect(a.equals(b)).toBe(false);
    expect(decodeEnvelope(a).wrappedKey.equals(decodeEnvelope(b).wrappedKey)).toBe(false);
    expect(await clinical.openNote(p, 'n1', a)).toBe('Sérologie VIH positive.');
    // Not the plaintext (a 3-byte probe matched random ciphertext once in a run: 13 bytes cannot by chance).
    expect(a.includes(Buffer.from('Sérologie VIH'))).toBe(false);
  });

  it('opens only in its place: another practice, patient, record or field is an integrity error', async () => {
    const [p, q] = patients as [string, string];
    const sealed = await admin.seal(p, p, 'nir', '184127645108946');
    await expectCode(admin.open(q, p, 'nir', sealed), 'VAULT_INTEGRITY');
    await expectCode(admin.open(p, q, 'nir', sealed), 'VAULT_INTEGRITY');
    await expectCode(admin.open(p, p, 'email', sealed), 'VAULT_INTEGRITY');
    await expect(vault.admin(randomUUID()).open(p, p, 'nir', sealed)).rejects.toBeInstanceOf(VaultError);
    expect(await admin.open(p, p, 'nir', sealed)).toBe('184127645108946');
  });

  it('keeps purposes apart: an admin handle cannot open a note, nor a clinical one an identity', async () => {
    const [p] = patients as [string];
    const note = await clinical.sealNote(p, 'n2', 'x');
    await expectCode(admin.open(p, 'n2', 'note.text', note), 'VAULT_PURPOSE');
    const nir = await admin.seal(p, p, 'note.text', 'y');
    await expectCode(clinical.openNote(p, p, nir), 'VAULT_PURPOSE');
    // By construction: the admin handle has no method that names a clinical key.
    expect(Object.getOwnPropertyNames(Object.getPrototypeOf(admin))).not.toContain('openNote');
  });

  it('never yields wrong plaintext: swapped, truncated, flipped or re-versioned values fail', async () => {
    const [p] = patients as [string];
    const { vault: uncached } = localVault('seal', { cacheEntries: 0 });
    const handles = [clinical, uncached.clinical(practiceId)];
    const values = await Promise.all(['première note', 'seconde note, plus longue que la première'].map((t, i) => clinical.sealNote(p, `r${i}`, t)));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1),
        fc.constantFrom(0, 1),
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
          fc.record({ kind: fc.constant('swap' as const) }),
          fc.record({ kind: fc.constant('version' as const), v: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
        ),
        async (which, h, m) => {
          const original = values[which] as Buffer;
          let bad: Buffer;
          const recordId = `r${which}`;
          if (m.kind === 'flip') {
            bad = Buffer.from(original);
            const at = m.at % bad.length;
            bad[at] = (bad[at] as number) ^ (1 << m.bit);
          } else if (m.kind === 'truncate') {
            bad = original.subarray(0, m.at % original.length);
          } else if (m.kind === 'swap') {
            bad = values[1 - which] as Buffer; // the other row's ciphertext in this row
          } else {
            const e = decodeEnvelope(original);
            if (m.v === e.kekVersion) return;
            bad = encodeEnvelope({ ...e, kekVersion: m.v });
          }
          const handle = handles[h]!;
          await expect(handle.openNote(p, recordId, bad)).rejects.toMatchObject({ code: expect.stringMatching(/^VAULT_(INTEGRITY|PURPOSE)$/) });
        },
      ),
      { numRuns: 600 },
    );
  });

  it('binds every value to the patient key: once destroyed, nothing of that patient opens', async () => {
    const [p, q] = [randomUUID(), randomUUID()];
    await admin.createPatientKeys([p, q]);
    const note = await clinical.sealNote(p, 'n', 'texte');
    const other = await clinical.sealNote(q, 'n', 'autre');
    expect(stores.get('seal')!.delete(practiceId, p)).toBe(true);
    vault.keyAdministration().forgetPatient(practiceId, p);
    await expectCode(clinical.openNote(p, 'n', note), 'VAULT_KEY_DESTROYED');
    await expectCode(admin.seal(p, p, 'nir', 'x'), 'VAULT_KEY_DESTROYED');
    expect(await clinical.openNote(q, 'n', other)).toBe('autre');
    // A new vault over the same store (a restart) cannot open it either.
    const again = localVault('seal');
    await expectCode(again.vault.clinical(practiceId).openNote(p, 'n', note), 'VAULT_KEY_DESTROYED');
  });

  it('computes blind indexes on normalised values, per practice', async () => {
    const a = await admin.blindIndex('phone', '+33 6 12 34 56 78');
    expect(a).toHaveLength(8);
    expect(a!.equals((await admin.blindIndex('phone', '06.12.34.56.78'))!)).toBe(true);
    expect(a!.equals((await admin.blindIndex('phone', '06 12 34 56 79'))!)).toBe(false);
    expect((await admin.blindIndex('email', ' A@B.fr'))!.equals((await admin.blindIndex('email', 'a@b.fr'))!)).toBe(true);
    expect((await vault.admin(randomUUID()).blindIndex('phone', '0612345678'))!.equals(a!)).toBe(false);
    // Columns are separated: the same text indexes differently as NIR and as phone.
    expect((await admin.blindIndex('nir', '0612345678'))!.equals(a!)).toBe(false);
  });
});

describe('local keyring', () => {
  it('is created mode 0600 and never stores a KEK in clear', async () => {
    const path = join(tmp, 'k1.json');
    const p = LocalKeyProvider.open({ path, passphrase: 'correct horse battery staple' });
    const practiceId = randomUUID();
    const v = await p.activeVersion(practiceId, 'clinical');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file.master).toBeUndefined();
    expect(file.kdf.alg).toBe('scrypt');
    const wrapped = await p.wrap({ practiceId, purpose: 'clinical', version: v }, Buffer.alloc(32, 7));
    expect((await p.unwrap({ practiceId, purpose: 'clinical', version: v }, wrapped)).equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it('refuses a wrong or missing passphrase and changes nothing', async () => {
    const path = join(tmp, 'k2.json');
    const p = LocalKeyProvider.open({ path, passphrase: 'right' });
    await p.activeVersion(randomUUID(), 'admin');
    const before = readFileSync(path);
    const listing = readdirSync(tmp).sort();
    expect(() => LocalKeyProvider.open({ path, passphrase: 'wrong' })).toThrow(/wrong keyring passphrase/);
    expect(() => LocalKeyProvider.open({ path, passphrase: null })).toThrow(/set MEDVAULT_KEY_PASSPHRASE/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(tmp).sort()).toEqual(listing);
  });

  it('refuses to create an unprotected keyring in production mode', () => {
    expect(() => LocalKeyProvider.open({ path: join(tmp, 'k3.json'), passphrase: null, requirePassphrase: true })).toThrow(/required/);
  });

  it('rotates: new wraps use the new version, old wraps still open', async () => {
    const p = LocalKeyProvider.open({ path: join(tmp, 'k4.json'), passphrase: null });
    const practiceId = randomUUID();
    const v1 = await p.activeVersion(practiceId, 'admin');
    const w1 = await p.wrap({ practiceId, purpose: 'admin', version: v1 }, Buffer.alloc(32, 1));
    const v2 = await p.createVersion(practiceId, 'admin');
    expect(v2).toBe(v1 + 1);
    expect(await p.activeVersion(practiceId, 'admin')).toBe(v2);
    expect((await p.unwrap({ practiceId, purpose: 'admin', version: v1 }, w1))[0]).toBe(1);
    await expect(p.unwrap({ practiceId, purpose: 'admin', version: v2 }, w1)).rejects.toMatchObject({ code: 'VAULT_INTEGRITY' });
    expect((await p.list()).filter((k) => k.practiceId === practiceId).map((k) => k.state)).toEqual(['retired', 'active']);
  });
});

describe.runIf(softhsmAvailable)('PKCS#11 provider on SoftHSM2', () => {
  const token = softhsmAvailable ? createToken() : null;
  afterAll(() => token?.cleanup());
  if (token) process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;

  it('generates non-extractable KEKs in the token and round-trips data keys through them', async () => {
    const p = Pkcs11KeyProvider.open({ modulePath: SOFTHSM_MODULE, tokenLabel: token!.label, pin: token!.pin });
    try {
      const practiceId = randomUUID();
      const patientKeys = new MemoryPatientKeys();
      const vault = new Vault(p as KeyProvider, patientKeys);
      const [patient] = [randomUUID()];
      await vault.admin(practiceId).createPatientKeys([patient]);
      const sealed = await vault.clinical(practiceId).sealNote(patient, 'n', 'Note sous HSM');
      expect(await vault.clinical(practiceId).openNote(patient, 'n', sealed)).toBe('Note sous HSM');
      expect(decodeEnvelope(sealed).wrappedKey).toHaveLength(40); // RFC 5649 of 32 bytes
      const keys = await p.list();
      expect(keys.filter((k) => k.practiceId === practiceId).map((k) => k.purpose).sort()).toEqual(['clinical', 'patient']);
      const idx = await vault.admin(practiceId).blindIndex('nir', '184127645108946');
      expect(idx).toHaveLength(8);
      // Rotation inside the HSM.
      const v2 = await p.createVersion(practiceId, 'clinical');
      const rewrapped = await vault.keyAdministration().rewrap(practiceId, 'clinical', sealed);
      expect(decodeEnvelope(rewrapped).kekVersion).toBe(v2);
      expect(await vault.clinical(practiceId).openNote(patient, 'n', rewrapped)).toBe('Note sous HSM');
      // Destroying a retired version in the HSM (a shred's key epoch): what it wrapped no longer opens; the active one is refused.
      await expectCode(p.destroyVersion({ practiceId, purpose: 'clinical', version: v2 }), 'VAULT_PURPOSE');
      await p.destroyVersion({ practiceId, purpose: 'clinical', version: v2 - 1 });
      expect((await p.list()).some((k) => k.practiceId === practiceId && k.purpose === 'clinical' && k.version === v2 - 1)).toBe(false);
      const uncached = new Vault(p as KeyProvider, patientKeys, { cacheEntries: 0 });
      await expectCode(uncached.clinical(practiceId).openNote(patient, 'n', sealed), 'VAULT_INTEGRITY');
      expect(await uncached.clinical(practiceId).openNote(patient, 'n', rewrapped)).toBe('Note sous HSM');
    } finally {
      await p.close();
    }
  });

  it('fails with one clear error for a wrong PIN or a missing token', () => {
    expect(() => Pkcs11KeyProvider.open({ modulePath: SOFTHSM_MODULE, tokenLabel: token!.label, pin: '999999' })).toThrow('wrong PIN for the PKCS#11 token');
    expect(() => Pkcs11KeyProvider.open({ modulePath: SOFTHSM_MODULE, tokenLabel: 'no-such-token', pin: token!.pin })).toThrow(
      'no PKCS#11 token labelled "no-such-token"',
    );
    expect(() => Pkcs11KeyProvider.open({ modulePath: '/nonexistent/lib.so', tokenLabel: 'x', pin: '1' })).toThrow(/cannot load the PKCS#11 module/);
  });
});

it('destroys a retired key version for good, in this process and in another one reading the same keyring', async () => {
  const path = join(tmp, 'destroy.keyring.json');
  const a = LocalKeyProvider.open({ path, passphrase: null });
  const b = LocalKeyProvider.open({ path, passphrase: null });
  const practiceId = randomUUID();
  const v1 = await a.activeVersion(practiceId, 'patient');
  const key = Buffer.alloc(32, 7);
  const wrapped = await a.wrap({ practiceId, purpose: 'patient', version: v1 }, key);
  expect((await b.unwrap({ practiceId, purpose: 'patient', version: v1 }, wrapped)).equals(key)).toBe(true); // b holds v1 in memory now
  await expectCode(a.destroyVersion({ practiceId, purpose: 'patient', version: v1 }), 'VAULT_PURPOSE'); // the active one: refused
  const v2 = await a.createVersion(practiceId, 'patient');
  await a.destroyVersion({ practiceId, purpose: 'patient', version: v1 });
  await expectCode(a.unwrap({ practiceId, purpose: 'patient', version: v1 }, wrapped), 'VAULT_KEY_UNKNOWN');
  expect(readFileSync(path, 'utf8')).not.toMatch(new RegExp(`"practiceId": "${practiceId}",\\s*"purpose": "patient",\\s*"version": ${v1},`));
  // The other process forgets it at its next look at the file (at most a second later).
  await new Promise((r) => setTimeout(r, 1100));
  expect(await b.activeVersion(practiceId, 'patient')).toBe(v2);
  await expectCode(b.unwrap({ practiceId, purpose: 'patient', version: v1 }, wrapped), 'VAULT_KEY_UNKNOWN');
  await a.close();
  await b.close();
});
