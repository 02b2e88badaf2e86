import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Patient } from '../src/domain/index.js';
import { AdminRepository, openStore, type OpenedStore, type PatientSearch, type StoredPatient } from '../src/store/index.js';
import { makeVault, seedTwoPractices } from './helpers/fixtures.js';

/**
 * Names and birth dates are sealed and searched through keyed beacons. The beacon
 * search must find exactly what a plain search over the clear values finds, in the same order,
 * page by page: compared here with a reference written independently, over generated French names
 * (accents, hyphens, apostrophes, particles, homonyms).
 */

// ── The reference: plain values, no beacons ───────────────────────────────────────────────────
const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/œ/gi, 'oe').replace(/æ/gi, 'ae').toLowerCase();
const wordsOf = (s: string) => fold(s).split(/[^a-z0-9]+/).filter(Boolean);
function refMatch(name: string, term: string): boolean {
  const n = wordsOf(name);
  const t = wordsOf(term).join(' ');
  if (t === '') return false;
  return n.some((_, i) => n.slice(i).join(' ').startsWith(t));
}
/** `name`: one name, or "family given" / "given family" split at any space. */
function refName(family: string[], given: string[], term: string): boolean {
  if ([...family, ...given].some((n) => refMatch(n, term))) return true;
  const t = wordsOf(term);
  for (let i = 1; i < t.length; i++) {
    const a = t.slice(0, i).join(' ');
    const b = t.slice(i).join(' ');
    const f = (x: string) => family.some((n) => refMatch(n, x));
    const g = (x: string) => given.some((n) => refMatch(n, x));
    if ((f(a) && g(b)) || (f(b) && g(a))) return true;
  }
  return false;
}
function refSearch(all: readonly StoredPatient[], q: PatientSearch): string[] {
  const found = all.filter((p) => {
    const family = [p.birthFamilyName, p.usedFamilyName ?? ''];
    const given = [...p.givenNames, p.usedGivenName ?? ''];
    if (q.family !== undefined && !family.some((n) => refMatch(n, q.family!))) return false;
    if (q.given !== undefined && !given.some((n) => refMatch(n, q.given!))) return false;
    if (q.name !== undefined && !refName(family, given, q.name)) return false;
    if (q.birthDate !== undefined && p.birthDate !== q.birthDate) return false;
    return true;
  });
  const key = (p: StoredPatient) => [wordsOf(p.usedFamilyName ?? p.birthFamilyName).join(' '), wordsOf(p.usedGivenName ?? p.givenNames[0] ?? '').join(' '), p.id] as const;
  found.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
  return found.slice(q.offset ?? 0, (q.offset ?? 0) + q.limit).map((p) => p.id);
}

// ── Generated French names ────────────────────────────────────────────────────────────────────
const FAMILY = ['Lefèvre', 'Lefevre', 'LEFÈVRE', 'de La Fontaine', 'Delafontaine', "D'Ambrière", 'Dambriere', 'Le Goff', 'Le Gall', 'Legall', 'N’Diaye', 'Müller', 'Muller', 'Martin', 'Martinez', 'Martin-Lefèvre', 'Saint-Exupéry', 'de Saint-Just', 'Œuvray', 'Oeuvray', 'Nguyễn', 'Ba', 'Ly', 'Du', 'Château', 'Chateau-Renard', 'Éluard', 'Eluard'];
const GIVEN = ['Jean', 'Jean-Pierre', 'Pierre-Jean', 'Marie', 'Marie-Hélène', 'Hélène', 'Anaïs', 'Anais', 'Zoé', 'Zoe', 'Noël', 'Maëlys', 'Loïc', 'Éloïse', 'Jo', 'Al', 'Chloé', 'Gaëtan'];
const DATES = ['1975-03-02', '1975-03-20', '1980-11-30', '2001-01-01', '1956-07-14', '1999-12-31'];

const drawn = fc.record({
  birthFamilyName: fc.constantFrom(...FAMILY),
  usedFamilyName: fc.option(fc.constantFrom(...FAMILY), { nil: null }),
  givenNames: fc.array(fc.constantFrom(...GIVEN), { minLength: 1, maxLength: 3 }),
  usedGivenName: fc.option(fc.constantFrom(...GIVEN), { nil: null }),
  birthDate: fc.constantFrom(...DATES),
  sex: fc.constantFrom('female', 'male', 'other', 'unknown') as fc.Arbitrary<Patient['sex']>,
});

/** A term as a user types it: a prefix of a name, in another case, with or without accents. */
const typed = (names: string[]) =>
  fc.tuple(fc.constantFrom(...names), fc.nat(), fc.constantFrom('as is', 'upper', 'lower', 'folded', 'later word')).map(([n, cut, how]) => {
    let s = n;
    if (how === 'later word' && /[\s'’-]/.test(n)) s = n.split(/[\s'’-]+/).slice(1).join(' ');
    s = s.slice(0, 1 + (cut % Math.max(1, s.length)));
    return how === 'upper' ? s.toUpperCase() : how === 'lower' ? s.toLowerCase() : how === 'folded' ? fold(s) : s;
  });

describe('beacon search against a plain reference', () => {
  let store: OpenedStore;
  let keys: ReturnType<typeof makeVault>;
  let practiceId: string;
  let all: StoredPatient[];
  const repo = <T>(fn: (r: AdminRepository) => Promise<T>) => store.db.transaction({ role: 'admin', practiceId }, (tx) => fn(new AdminRepository(tx, keys.vault.admin(practiceId))));

  beforeAll(async () => {
    store = await openStore({ kind: 'pglite', dir: null });
    keys = makeVault();
    const seeded = await seedTwoPractices(store.db, keys.vault, 30);
    practiceId = seeded.practices[0]!.id;
    const patients: Patient[] = fc.sample(drawn, { numRuns: 400, seed: 14 }).map((d) => ({
      ...d, id: randomUUID(), practiceId, birthplaceInsee: null, nir: null, identityStatus: 'PROV', phone: null, mobile: null, email: null, address: null, vip: false, deceasedDate: null,
    }));
    const before = (await repo((r) => r.searchPatients({ limit: 100_000 }))).length;
    await repo((r) => r.insertPatients(patients));
    all = await repo((r) => r.searchPatients({ limit: 100_000 }));
    expect(all.length).toBe(before + 400);
    // The reference works on the values written, not on what the store lists back.
    const listed = new Map(all.map((p) => [p.id, p]));
    for (const p of patients) {
      const l = listed.get(p.id)!;
      expect([l.birthFamilyName, l.usedFamilyName, l.givenNames, l.usedGivenName, l.birthDate]).toEqual([p.birthFamilyName, p.usedFamilyName, p.givenNames, p.usedGivenName, p.birthDate]);
    }
  });
  afterAll(async () => {
    await store?.db.close();
    await keys?.cleanup();
  });

  it('finds the same patients, in the same order, page by page', async () => {
    const families = [...new Set(all.flatMap((p) => [p.birthFamilyName, p.usedFamilyName ?? '']).filter(Boolean))];
    const givens = [...new Set(all.flatMap((p) => [...p.givenNames, p.usedGivenName ?? '']).filter(Boolean))];
    const query = fc.oneof(
      fc.record({ family: typed(families) }),
      fc.record({ given: typed(givens) }),
      fc.record({ name: typed([...families, ...givens]) }),
      fc.record({ birthDate: fc.constantFrom(...DATES, '1975-03-03') }),
      fc.record({ family: typed(families), given: typed(givens) }),
      fc.record({ family: typed(families), birthDate: fc.constantFrom(...DATES) }),
      fc.record({ name: typed(families), birthDate: fc.constantFrom(...DATES) }),
      // A person as one types them in one box: "nom prénom" or "prénom nom".
      fc.tuple(fc.constantFrom(...families), typed(givens), fc.boolean())
        .map(([f, g, familyFirst]) => ({ name: familyFirst ? `${f} ${g}` : `${g} ${f}` })),
    ).chain((c) => fc.record({ limit: fc.integer({ min: 1, max: 60 }), offset: fc.integer({ min: 0, max: 40 }) }).map((page) => ({ ...c, ...page }) as PatientSearch));
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const got = (await repo((r) => r.searchPatients(q))).map((p) => p.id);
        const want = refSearch(all, q);
        if (want.length > 0) nonEmpty++;
        expect(got).toEqual(want);
      }),
      { numRuns: 300, seed: 1414 },
    );
    // The queries were not all empty (a test that finds nothing proves nothing).
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it('finds homonyms written with and without accents, and by a later word of a name', async () => {
    const got = async (q: Omit<PatientSearch, 'limit'>) => (await repo((r) => r.searchPatients({ ...q, limit: 1000 }))).map((p) => p.id).sort();
    const lefevre = all.filter((p) => [p.birthFamilyName, p.usedFamilyName ?? ''].some((n) => wordsOf(n).includes('lefevre'))).map((p) => p.id).sort();
    expect(lefevre.length).toBeGreaterThan(10);
    expect(await got({ family: 'lefèvre' })).toEqual(lefevre);
    expect(await got({ family: 'LEFEV' })).toEqual(lefevre);
    const fontaine = await got({ family: 'fontaine' });
    expect(fontaine.length).toBeGreaterThan(0);
    expect(await got({ family: 'la font' })).toEqual(fontaine);
    expect(await got({ family: 'ontaine' })).toEqual([]);
  });

  it('finds a person typed as "nom prénom" or "prénom nom" in one box', async () => {
    const got = async (name: string) => (await repo((r) => r.searchPatients({ name, limit: 1000 }))).map((p) => p.id).sort();
    const martinJean = all.filter((p) => [p.birthFamilyName, p.usedFamilyName ?? ''].some((n) => wordsOf(n)[0] === 'martin')
      && [...p.givenNames, p.usedGivenName ?? ''].some((n) => wordsOf(n)[0] === 'jean')).map((p) => p.id).sort();
    expect(martinJean.length).toBeGreaterThan(0);
    const byFamilyFirst = await got('Martin Jean');
    expect(await got('jean martin')).toEqual(byFamilyFirst);
    for (const id of martinJean) expect(byFamilyFirst).toContain(id);
    // Every one found has both: a family name starting "martin" and a given name starting "jean".
    const byId = new Map(all.map((p) => [p.id, p]));
    for (const id of byFamilyFirst) {
      const p = byId.get(id)!;
      expect(refName([p.birthFamilyName, p.usedFamilyName ?? ''], [...p.givenNames, p.usedGivenName ?? ''], 'martin jean')).toBe(true);
    }
  });

  // (Changes a patient: last.)
  it('never serves from memory an identity whose write did not commit', async () => {
    const original = (await repo((r) => r.patient(all.find((p) => p.birthFamilyName === 'Martin')!.id)))!;
    const ids = async (family: string) => (await repo((r) => r.searchPatients({ family, limit: 1000 }))).map((p) => p.id);
    // An update read back in its transaction (opened, kept in memory), then rolled back.
    await expect(store.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const r = new AdminRepository(tx, keys.vault.admin(practiceId));
      expect(await r.updatePatient({ ...original, birthFamilyName: 'Fantôme', usedFamilyName: null }, original.version)).toBe(original.version + 1);
      expect((await r.patient(original.id))!.birthFamilyName).toBe('Fantôme');
      expect((await r.searchPatients({ family: 'fantome', limit: 10 })).map((p) => p.id)).toEqual([original.id]);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    // Another write then commits the same version number with another name.
    expect(await repo((r) => r.updatePatient({ ...original, birthFamilyName: 'Réel', usedFamilyName: null }, original.version))).toBe(original.version + 1);
    expect((await repo((r) => r.patient(original.id)))!.birthFamilyName).toBe('Réel');
    expect(await ids('reel')).toContain(original.id);
    expect(await ids('fantom')).not.toContain(original.id);
  });

  it('leaves no clear identity on a patient shredded before it was sealed', async () => {
    const id = all.find((p) => p.birthFamilyName === 'Lefèvre')!.id;
    const p = (await repo((r) => r.patient(id)))!;
    // What an older medvault left: the identity in clear columns.
    await store.driver.transaction((q) => q.query(
      `UPDATE admin.patients SET identity_sealed = NULL, birth_family_name = $2, given_names = $3, sex = $4, birth_date = $5 WHERE id = $1`,
      [id, p.birthFamilyName, p.givenNames, p.sex, p.birthDate]));
    // And the patient's portal account, with the name an older medvault copied into it.
    await store.driver.transaction((q) => q.query(
      `INSERT INTO admin.users (id, practice_id, username, role, family_name, given_name, rpps, patient_id, password_hash, totp_sealed, status)
       VALUES (gen_random_uuid(), $1, 'p-legacy', 'patient', $2, $3, NULL, $4, 'x', NULL, 'active')`, [practiceId, p.birthFamilyName, p.givenNames[0], id]));
    expect(await repo((r) => r.markShredded(id, new Date()))).toBe(true);
    const row = (await store.driver.transaction((q) => q.query<Record<string, unknown>>(
      'SELECT birth_family_name, used_family_name, given_names, used_given_name, sex, birth_date, birthplace_insee, identity_status, vip, deceased_date FROM admin.patients WHERE id = $1', [id]))).rows[0]!;
    expect(Object.values(row).every((v) => v === null)).toBe(true);
    const account = (await store.driver.transaction((q) => q.query<{ f: string; g: string }>('SELECT family_name AS f, given_name AS g FROM admin.users WHERE patient_id = $1', [id]))).rows;
    expect(account).toEqual([{ f: '', g: '' }]);
  });
});
