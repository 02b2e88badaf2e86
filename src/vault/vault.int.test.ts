import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createPostgresDatabase } from '../../test/helpers/backends.js';
import { makeVault, NOW, openWithVault, seedTwoPractices } from '../../test/helpers/fixtures.js';
import { keyringWithoutRetired, openEverything } from '../../test/helpers/records.js';
import { composeNir, type ClinicalNote, type Patient } from '../domain/index.js';
import { AdminRepository, ClinicalRepository, openStore, type Database, type Driver, type NoteSealer } from '../store/index.js';
import { LocalKeyProvider } from './local.js';
import { keyStatus, rotateKeys } from './rotation.js';
import { shredPatient } from './shred.js';
import { Vault } from './vault.js';
import { runs } from '../../test/helpers/needs.js';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-vault-int-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MARKERS = ['ZORGLUB-MARQUEUR-7731', 'QUIXOTIC-SENTINEL-4402', 'Sérologie VIH positive ALPHA-XK-99'];
const NIRS = [
  composeNir({ sexDigit: 2, year: 85, month: 2, birthplace: '2A004', serial: 321 }),
  composeNir({ sexDigit: 1, year: 61, month: 11, birthplace: '75114', serial: 17 }),
];

/** Adds two patients with known NIRs and notes carrying the markers, in a practice. */
async function addMarked(db: Database, vault: Vault, practiceId: string, authorId: string): Promise<string[]> {
  const patients: Patient[] = NIRS.map((nir, i) => ({
    id: randomUUID(), practiceId, birthFamilyName: `Témoin${i}`, usedFamilyName: null, givenNames: ['Alice'], usedGivenName: null,
    sex: nir.startsWith('2') ? 'female' : 'male', birthDate: nir.startsWith('2') ? '1985-02-03' : '1961-11-20',
    birthplaceInsee: nir.slice(5, 10), nir, identityStatus: 'QUAL', phone: '01 45 67 89 10', mobile: '06 11 22 33 44',
    email: `temoin${i}@exemple.fr`, address: { line: '12 rue des Marqueurs', postalCode: '75014', city: 'Paris', country: 'FR' },
    vip: false, deceasedDate: null,
  }));
  await db.transaction({ role: 'admin', practiceId }, (tx) => new AdminRepository(tx, vault.admin(practiceId)).insertPatients(patients));
  const notes: ClinicalNote[] = MARKERS.map((text, i) => ({
    id: randomUUID(), practiceId, patientId: patients[i % 2]!.id, authorId, writtenAt: NOW, text, labels: i === 2 ? ['HIV'] : [],
  }));
  await db.transaction({ role: 'clinical', practiceId }, (tx) => new ClinicalRepository(tx, vault.clinical(practiceId)).insertNotes(notes));
  return patients.map((p) => p.id);
}

/** The forms a secret could take in a file: itself, and its base64 at the three alignments. */
function needles(secret: string): Buffer[] {
  const out = [Buffer.from(secret)];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.from('..'.slice(0, shift) + secret).toString('base64');
    out.push(Buffer.from(b64.slice(Math.ceil((shift * 4) / 3) + 1, -4)));
  }
  return out;
}

function scan(blob: Buffer, secrets: string[]): string[] {
  const found: string[] = [];
  for (const s of secrets) for (const n of needles(s)) if (n.length >= 8 && blob.includes(n)) found.push(`${s} as ${n.toString()}`);
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

const firstPractitioner = async (driver: Driver, practiceId: string) =>
  (await driver.transaction((sql) => sql.query<{ id: string }>("SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'practitioner' LIMIT 1", [practiceId]))).rows[0]!.id;

describe('a copy of the database is ciphertext', () => {
  it('the embedded database folder holds no marker, NIR or contact, nor their base64', async () => {
    const dir = join(tmp, 'pgdata');
    const keys = makeVault();
    const { db, driver } = await openStore({ kind: 'pglite', dir });
    const seeded = await seedTwoPractices(db, keys.vault, 30);
    const practiceId = seeded.practices[0]!.id;
    await addMarked(db, keys.vault, practiceId, await firstPractitioner(driver, practiceId));
    // Sanity: the application does read them back.
    const back = await openEverything(db, driver, keys.vault);
    expect(back.notes).toBeGreaterThan(3);
    await db.close();
    // Names too (sealed identity).
    const secrets = [...MARKERS, ...NIRS, 'temoin0@exemple.fr', '06 11 22 33 44', 'rue des Marqueurs', 'Témoin0', 'TÉMOIN0', 'temoin0'];
    const files = filesUnder(dir);
    expect(files.length).toBeGreaterThan(10);
    const leaks = files.flatMap((f) => scan(readFileSync(f), secrets).map((l) => `${f}: ${l}`));
    expect(leaks).toEqual([]);
    // The test would see them if they were there: the practice's name, which stays in clear, is found.
    expect(files.some((f) => readFileSync(f).includes(Buffer.from(seeded.practices[0]!.name)))).toBe(true);
    await keys.cleanup();
  });

  it.runIf(runs('a pg_dump of the vault\'s values', { postgres: true, programs: ['pg_dump'] }))('a pg_dump of the PostgreSQL database holds none either', async () => {
    const database = await createPostgresDatabase();
    const keys = makeVault();
    try {
      const { db, driver } = await openStore({ kind: 'postgres', url: database.url });
      const seeded = await seedTwoPractices(db, keys.vault, 30);
      const practiceId = seeded.practices[1]!.id;
      await addMarked(db, keys.vault, practiceId, await firstPractitioner(driver, practiceId));
      await db.close();
      const dump = execFileSync('pg_dump', ['--dbname', database.url], { maxBuffer: 512 * 1024 * 1024 });
      expect(dump.length).toBeGreaterThan(10_000);
      expect(scan(dump, [...MARKERS, ...NIRS, 'temoin1@exemple.fr', '06 11 22 33 44', 'rue des Marqueurs', 'Témoin1', 'TÉMOIN1', 'temoin1'])).toEqual([]);
      expect(dump.includes(Buffer.from(seeded.practices[1]!.name))).toBe(true);
    } finally {
      await keys.cleanup();
      await database.drop();
    }
  });
});

describe.each(BACKENDS)('keys on $name', (backend) => {
  let db: Database;
  let driver: Driver;
  let keys: ReturnType<typeof makeVault>;
  let cleanup: () => Promise<void>;
  let A: string;

  beforeAll(async () => {
    const opened = await openWithVault(backend);
    keys = opened.keys;
    ({ db, driver, cleanup } = opened);
    const seeded = await seedTwoPractices(db, keys.vault, 40);
    A = seeded.practices[0]!.id;
  });
  afterAll(async () => cleanup?.());

  it('shreds a patient: refused during retention unless forced, then unreadable by every path, audited, others untouched', async () => {
    const [target, neighbour] = await addMarked(db, keys.vault, A, await firstPractitioner(driver, A));
    const before = await openEverything(db, driver, keys.vault);
    // What a database backup taken now holds of the two patients' keys.
    const keyRows = async () => (await driver.transaction((sql) => sql.query<{ patient_id: string; kek_version: number; wrapped: Buffer }>(
      'SELECT patient_id, kek_version, wrapped FROM keys.patient_keys WHERE practice_id = $1 ORDER BY patient_id', [A]))).rows;
    const backup = await keyRows();
    const backedUp = (id: string) => backup.find((r) => r.patient_id === id)!;
    expect(backedUp(target!)).toBeDefined();
    const shred = (force: boolean) => shredPatient(db, keys.vault, { practiceId: A, patientId: target!, reason: 'demande du patient, art. 17', force, actor: 'test', now: NOW }, { settleMs: 10 });
    await expect(shred(false)).rejects.toMatchObject({ name: 'ShredRefused', reason: 'retention' });
    const done = await shred(true);
    expect(done.forced).toBe(true);
    await expect(shred(true)).rejects.toMatchObject({ reason: 'already-shredded' });

    // The key epoch closed: every remaining key under the new version, the old one destroyed — the
    // backup's copy of the shredded key (and of every other key) no longer unwraps; the live rows do.
    const oldVersion = Number(backedUp(target!).kek_version);
    expect(done.epoch.destroyed).toContain(oldVersion);
    expect(done.epoch.toVersion).toBeGreaterThan(oldVersion);
    const live = await keyRows();
    expect(live.find((r) => r.patient_id === target)).toBeUndefined();
    expect(live.length).toBe(backup.length - 1);
    expect(new Set(live.map((r) => Number(r.kek_version)))).toEqual(new Set([done.epoch.toVersion]));
    const provider = LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null });
    await expect(provider.unwrap({ practiceId: A, purpose: 'patient', version: oldVersion }, Buffer.from(backedUp(target!).wrapped))).rejects.toMatchObject({ code: 'VAULT_KEY_UNKNOWN' });
    await expect(provider.unwrap({ practiceId: A, purpose: 'patient', version: oldVersion }, Buffer.from(backedUp(neighbour!).wrapped))).rejects.toMatchObject({ code: 'VAULT_KEY_UNKNOWN' });
    const liveNeighbour = live.find((r) => r.patient_id === neighbour)!;
    expect(await provider.unwrap({ practiceId: A, purpose: 'patient', version: Number(liveNeighbour.kek_version) }, Buffer.from(liveNeighbour.wrapped))).toHaveLength(32);
    await provider.close();
    // The floor only rises: the key side's own role cannot lower it to let such keys in (regression, outside review).
    await expect(db.transaction({ role: 'platform', practiceId: A }, (tx) => tx.query('UPDATE keys.patient_kek_floor SET min_version = 1 WHERE practice_id = $1', [A])))
      .rejects.toThrow(/only rises|42501/);
    // A creation still wrapping under the destroyed version (began before the epoch closed) is refused, not stored unopenable.
    await expect(driver.transaction((sql) => sql.query('INSERT INTO keys.patient_keys (practice_id, patient_id, kek_version, wrapped) VALUES ($1, $2, $3, $4)', [A, randomUUID(), oldVersion, Buffer.alloc(60)])))
      .rejects.toThrow(/destroyed key version|55P03/);

    await db.transaction({ role: 'admin', practiceId: A }, async (tx) => {
      const repo = new AdminRepository(tx, keys.vault.admin(A));
      const p = await repo.patient(target!);
      expect(p).toMatchObject({ shredded: true, nir: null, email: null, phone: null, mobile: null, address: null });
      expect(await repo.searchPatients({ nir: NIRS[0]!, limit: 10 })).toEqual([]);
      expect(await repo.searchPatients({ email: 'temoin0@exemple.fr', limit: 10 })).toEqual([]);
      expect((await repo.searchPatients({ nir: NIRS[1]!, limit: 10 })).map((x) => x.id)).toEqual([neighbour]);
    });
    await expect(
      db.transaction({ role: 'clinical', practiceId: A }, (tx) => new ClinicalRepository(tx, keys.vault.clinical(A)).notesOf(target!)),
    ).rejects.toMatchObject({ code: 'VAULT_KEY_DESTROYED' });
    // The sealed bytes themselves no longer open, even read as the owner and given to a fresh vault.
    const sealed = await driver.transaction((sql) => sql.query<{ nir_sealed: Buffer }>('SELECT nir_sealed FROM admin.patients WHERE id = $1', [target]));
    const fresh = new Vault(LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null }));
    await expect(db.transaction({ role: 'admin', practiceId: A }, (tx) => fresh.admin(A).inTransaction(tx).open(target!, target!, 'patient.nir', sealed.rows[0]!.nir_sealed)))
      .rejects.toMatchObject({ code: 'VAULT_KEY_DESTROYED' });

    const after = await openEverything(db, driver, keys.vault);
    expect(after.patients).toBe(before.patients - 1);
    const audit = await driver.transaction((sql) =>
      sql.query<{ reason: string; detail: { actor: string; forced: boolean } }>("SELECT reason, detail FROM audit.events WHERE action = 'patient.shred' AND patient_id = $1", [target]),
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ reason: 'demande du patient, art. 17', detail: { actor: 'test', forced: true } });
    // No date in it: the retention end is a birth, death or visit date moved by a fixed term.
    expect(JSON.stringify(audit.rows[0]!.detail)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('a shred after an interrupted epoch still destroys every version that wrapped the shredded key (regression: a pre-shred backup opened it)', async () => {
    // An epoch left running by a shred killed half-way: a new version active, some keys moved to it.
    const provider = LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null });
    const from = await provider.activeVersion(A, 'patient');
    const to = await provider.createVersion(A, 'patient');
    await driver.transaction((sql) => sql.query(
      "INSERT INTO keys.rotations (id, practice_id, purpose, from_version, to_version, status, started_at) VALUES ($1, $2, 'patient', $3, $4, 'running', now())", [randomUUID(), A, from, to]));
    const victim = (await driver.transaction((sql) => sql.query<{ patient_id: string; kek_version: number; wrapped: Buffer }>(
      `SELECT k.patient_id, k.kek_version, k.wrapped FROM keys.patient_keys k JOIN admin.patients p ON p.id = k.patient_id
        WHERE k.practice_id = $1 AND p.shredded_at IS NULL ORDER BY k.patient_id LIMIT 1`, [A]))).rows[0]!;
    const moved = await keys.vault.keyAdministration().rewrapPatientKey(A, Number(victim.kek_version), Buffer.from(victim.wrapped), to);
    await driver.transaction((sql) => sql.query('UPDATE keys.patient_keys SET kek_version = $3, wrapped = $4 WHERE practice_id = $1 AND patient_id = $2', [A, victim.patient_id, moved.version, moved.wrapped]));
    // A backup now holds the victim's key under the interrupted epoch's version; then the victim is shredded.
    const done = await shredPatient(db, keys.vault, { practiceId: A, patientId: victim.patient_id, reason: 'demande du patient', force: true, actor: 'test', now: NOW }, { settleMs: 10 });
    expect(done.epoch.resumed).toBe(true);
    expect(done.epoch.toVersion).toBeGreaterThan(to);
    expect(done.epoch.destroyed).toContain(to);
    const fresh = LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null });
    await expect(fresh.unwrap({ practiceId: A, purpose: 'patient', version: to }, moved.wrapped)).rejects.toMatchObject({ code: 'VAULT_KEY_UNKNOWN' });
    await fresh.close();
    await provider.close();
    expect((await openEverything(db, driver, keys.vault)).patients).toBeGreaterThan(10);
  });

  it('a key row gone from the database wins over a key in memory: the note of a patient shredded elsewhere does not open (regression, outside review)', async () => {
    const other = new Vault(LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null }));
    const note = (await driver.transaction((sql) => sql.query<{ id: string; patient_id: string }>(
      `SELECT n.id, n.patient_id FROM clinical.notes n JOIN admin.patients p ON p.id = n.patient_id WHERE n.practice_id = $1 AND p.shredded_at IS NULL LIMIT 1`, [A]))).rows[0]!;
    const read = () => db.transaction({ role: 'clinical', practiceId: A }, async (tx) => (await (await new ClinicalRepository(tx, other.clinical(A)).noteForDecision(note.id, null, NOW))!.open()).text);
    expect(typeof (await read())).toBe('string'); // the key is now in this instance's memory
    // Another process shreds: the key row goes (the rest of a shred does not matter here).
    await driver.transaction(async (sql) => {
      await sql.query('DELETE FROM keys.patient_keys WHERE practice_id = $1 AND patient_id = $2', [A, note.patient_id]);
      await sql.query('UPDATE admin.patients SET shredded_at = now() WHERE id = $1', [note.patient_id]);
    });
    await expect(read()).rejects.toMatchObject({ code: 'VAULT_KEY_DESTROYED' });
    await other.provider.close();
  });

  it('a note read opens its labels once: for the decision, then its description and body (each open is one envelope)', async () => {
    const note = (await driver.transaction((sql) => sql.query<{ id: string }>(
      `SELECT n.id FROM clinical.notes n JOIN admin.patients p ON p.id = n.patient_id WHERE n.practice_id = $1 AND p.shredded_at IS NULL LIMIT 1`, [A]))).rows[0]!;
    const opened: string[] = [];
    const sealer = keys.vault.clinical(A);
    const counting: NoteSealer = {
      practiceId: sealer.practiceId,
      inTransaction(q) {
        const inner = sealer.inTransaction(q);
        return {
          ...counting, knownKey: (p, k) => inner.knownKey(p, k), sealNote: (p, n, t) => inner.sealNote(p, n, t), sealLabels: (p, n, l) => inner.sealLabels(p, n, l),
          openNote: (p, n, b) => (opened.push('body'), inner.openNote(p, n, b)),
          openLabels: (p, n, b) => (opened.push('labels'), inner.openLabels(p, n, b)),
          sealNotePart: (p, n, f, x) => inner.sealNotePart(p, n, f, x),
          openNotePart: (p, n, f, b) => (opened.push(f), inner.openNotePart(p, n, f, b)),
        };
      },
      knownKey: () => undefined, sealNote: () => Promise.reject(new Error('outside a transaction')), openNote: () => Promise.reject(new Error('outside a transaction')),
      sealLabels: () => Promise.reject(new Error('outside a transaction')), openLabels: () => Promise.reject(new Error('outside a transaction')),
      sealResource: () => Promise.reject(new Error('unused')), openResource: () => Promise.reject(new Error('unused')),
      sealNotePart: () => Promise.reject(new Error('outside a transaction')), openNotePart: () => Promise.reject(new Error('outside a transaction')),
      tokens: () => Promise.reject(new Error('unused')),
    };
    const read = await db.transaction({ role: 'clinical', practiceId: A }, async (tx) => {
      const d = (await new ClinicalRepository(tx, counting).noteForDecision(note.id, null, NOW))!;
      expect(opened).toEqual(['labels']);
      return d.open();
    });
    // Then what the ledger admitted: its description (kind, title, a document's format) and its body.
    expect(opened).toEqual(['labels', 'note.meta', 'body']);
    expect(read.id).toBe(note.id);
  });

  it('serves several instances from one database: a key written by one is read by another at once, and a miss is never remembered', async () => {
    const other = new Vault(LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null }));
    const id = randomUUID();
    const readOn = (v: Vault) => db.transaction({ role: 'admin', practiceId: A }, async (tx) => (await new AdminRepository(tx, v.admin(A)).patient(id))?.nir ?? null);
    // Before it exists, the other instance finds no key (the patient does not exist either).
    await expect(db.transaction({ role: 'admin', practiceId: A }, (tx) => other.admin(A).inTransaction(tx).seal(id, id, 'patient.nir', 'x'))).rejects.toMatchObject({ code: 'VAULT_KEY_DESTROYED' });
    const p: Patient = {
      id, practiceId: A, birthFamilyName: 'Multi', usedFamilyName: null, givenNames: ['Instance'], usedGivenName: null, sex: 'female', birthDate: '1990-01-01',
      birthplaceInsee: null, nir: NIRS[0]!, identityStatus: 'PROV', phone: null, mobile: null, email: null, address: null, vip: false, deceasedDate: null,
    };
    await db.transaction({ role: 'admin', practiceId: A }, (tx) => new AdminRepository(tx, keys.vault.admin(A)).insertPatients([p]));
    expect(await readOn(other)).toBe(NIRS[0]);
    await other.provider.close();
  });

  it('rotates every data key to a new version without touching bodies; nothing then needs the old version', async () => {
    const bodies = async () =>
      (await driver.transaction((sql) => sql.query<{ b: Buffer }>('SELECT body_sealed b FROM clinical.notes ORDER BY id'))).rows.map((r) => r.b);
    const notesBefore = await bodies();
    const progress: number[] = [];
    const done = await rotateKeys(db, keys.vault, { batchSize: 7, settleMs: 10, onProgress: (p) => progress.push(p.rewrapped) });
    expect(done.map((d) => `${d.purpose}:${d.toVersion}`).sort()).toEqual(['admin:2', 'admin:2', 'clinical:2', 'clinical:2']);
    expect(progress.length).toBeGreaterThan(10);
    const status = await keyStatus(db, keys.vault);
    for (const s of status) {
      expect(s.behind, `${s.practiceId} ${s.purpose}`).toBe(0);
      expect(s.total).toBeGreaterThan(0);
      expect(s.rotation?.status).toBe('done');
    }
    // Bodies are untouched: ciphertext, IV and tag identical; only the wrapped key changed.
    const notesAfter = await bodies();
    for (let i = 0; i < notesBefore.length; i++) {
      expect(notesAfter[i]!.subarray(-60).equals(notesBefore[i]!.subarray(-60))).toBe(true);
      expect(notesAfter[i]!.equals(notesBefore[i]!)).toBe(false);
    }
    // With the retired versions gone from the keyring, everything still opens.
    const dir = join(tmp, `rotated-${backend.name}`);
    cpSync(keys.dir, dir, { recursive: true });
    expect(keyringWithoutRetired(join(keys.dir, 'keyring.json'), join(dir, 'keyring.json'))).toBe(4);
    const onlyNew = new Vault(LocalKeyProvider.open({ path: join(dir, 'keyring.json'), passphrase: null }));
    const opened = await openEverything(db, driver, onlyNew);
    expect(opened.notes).toBeGreaterThan(50);
    expect(opened.secrets).toBeGreaterThan(opened.patients);
  });
});
