import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, tokenValues, type Json } from '../src/resources/index.js';
import { isShreddedKeyError, ResourceRepository, type Database } from '../src/store/index.js';
import { envelopeKekVersion, LocalKeyProvider, rotateKeys, shredPatient, Vault } from '../src/vault/index.js';
import { bearer, login, startTestApp, userOf, type TestApp } from './helpers/app.js';
import { BACKENDS } from './helpers/backends.js';
import { clinicalIn, writeClinical } from './helpers/clinical.js';
import { NOW, openWithVault, seedTwoPractices } from './helpers/fixtures.js';
import { keyringWithoutRetired } from './helpers/records.js';

/**
 * The registry's clinical types under the vault's key operations, on every backend:
 * - shredding a patient (GDPR art. 17) leaves none of the patient's resources readable — every read,
 *   version, history, search and `$everything` is refused as gone or finds nothing — and clears
 *   their search beacons, while another patient's stay readable and findable;
 * - key rotation rewraps every version of every resource (versions share an id: the walk goes by
 *   version), so that none is left under the old KEK version and each opens, with its own content,
 *   with the retired versions gone from the keyring.
 */
const tmp = mkdtempSync(join(tmpdir(), 'medvault-clinical-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const note = (text: string): Json => ({ note: [{ text }] });
/** A type's example with `text` in a free-text element of its own (R4 Encounter has no note: its reason). */
function withText(type: string, body: Json, text: string): Json {
  if (type !== 'Encounter') return { ...body, ...note(text) };
  return { ...body, reasonCode: [{ ...(body.reasonCode as Json[])[0], text }] };
}
const textOf = (type: string, body: Json) =>
  ((type === 'Encounter' ? body.reasonCode : body.note) as { text: string }[])[0]!.text;

describe.each(BACKENDS)('clinical resources shredded ($name)', (backend) => {
  let t: TestApp;
  let token = '';
  let practiceId = '';
  /** The patient shredded and a patient kept, both the doctor's. */
  let gone = '';
  let kept = '';
  /** Each patient's resources: type → id. */
  const ids = new Map<string, Map<string, string>>();

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
  const q = async <R>(sql: string, params: unknown[]) =>
    (await t.store.driver.transaction((s) => s.query<R>(sql, params))).rows;
  const beaconsOf = (patientId: string) =>
    q<{ id: string; n: number; version: number }>(
      'SELECT id, cardinality(tokens) AS n, version FROM clinical.resources WHERE patient_id = $1', [patientId],
    );

  beforeAll(async () => {
    t = await startTestApp({ patients: 20, backend });
    const doc = userOf(t.seeded, 'practitioner');
    practiceId = doc.practiceId!;
    token = (await login(t, doc)).access_token;
    [gone, kept] = (await q<{ id: string }>(
      `SELECT DISTINCT patient_id AS id FROM admin.care_relationships
        WHERE practitioner_id = $1 AND kind = 'treating' AND ends_at IS NULL ORDER BY 1 LIMIT 2`,
      [doc.fhirId],
    )).map((r) => r.id) as [string, string];
    const at = new Date(t.now().getTime() - 3_600_000);
    for (const patientId of [gone, kept]) {
      const byType = new Map<string, string>();
      for (const m of REGISTRY.modules) {
        const r = await t.app.inject({
          method: 'POST', url: `/fhir/${m.type}`, payload: JSON.stringify(m.example(patientId, doc.fhirId!, at)),
          headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
        });
        expect(r.statusCode, r.body.slice(0, 300)).toBe(201);
        byType.set(m.type, r.json().id as string);
      }
      ids.set(patientId, byType);
    }
    // The shredded patient's problem has a second version.
    const id = ids.get(gone)!.get('Condition')!;
    const { meta: _meta, ...current } = (await get(`/fhir/Condition/${id}`)).json();
    const v2 = await t.app.inject({
      method: 'PUT', url: `/fhir/Condition/${id}`, payload: JSON.stringify({ ...current, ...note('Revu.') }),
      headers: { ...bearer(token), 'content-type': 'application/fhir+json', 'if-match': 'W/"1"' },
    });
    expect(v2.statusCode).toBe(200);
    // Before: beacons on every version written here.
    const mine = new Set(ids.get(gone)!.values());
    const beacons = (await beaconsOf(gone)).filter((b) => mine.has(b.id));
    expect(beacons).toHaveLength(REGISTRY.modules.length + 1);
    expect(beacons.every((b) => b.n > 0)).toBe(true);
    const done = await shredPatient(t.services.db, t.services.vault, {
      practiceId, patientId: gone, reason: 'demande du patient, art. 17', force: true, actor: 'test', now: t.now(),
    }, { settleMs: 10 });
    expect(done.forced).toBe(true);
  });
  afterAll(async () => t?.close());

  for (const m of REGISTRY.modules) {
    it(`${m.type}: every read of the shredded patient's is gone, every search finds nothing readable`, async () => {
      const id = ids.get(gone)!.get(m.type)!;
      // The read, the first version, the history, the patient's list: 410 Gone.
      const read = `${m.type}/${id}`;
      for (const url of [read, `${read}/_history/1`, `${read}/_history`, `${m.type}?patient=${gone}`]) {
        const r = await get(`/fhir/${url}`);
        expect(r.statusCode, url).toBe(410);
        expect(r.body).not.toContain(id);
      }
      // Searched by the example's own codes, as a client would: the beacons are gone, nothing is found.
      const example = m.example(gone, userOf(t.seeded, 'practitioner').fhirId!, NOW);
      for (const p of m.search.filter((x) => x.index === 'token')) {
        const values = tokenValues(m.type, p.name, example).map((v) => v.slice(p.name.length + 1));
        expect(values.length, p.name).toBeGreaterThan(0);
        const r = await get(`/fhir/${m.type}?patient=${gone}&${p.name}=${encodeURIComponent(values.join(','))}`);
        expect(r.statusCode, p.name).toBe(200);
        expect(clinicalIn(r.json()), p.name).toEqual([]);
      }
      // Opened directly, without the records: the key is gone.
      await expect(t.services.db.transaction({ role: 'clinical', practiceId }, async (tx) => {
        const repo = new ResourceRepository(tx, t.services.vault.clinical(practiceId));
        const row = await repo.one(m.type, id, null, null, t.now());
        return row!.open();
      })).rejects.toSatisfy(isShreddedKeyError);
    });
  }

  it('the whole record is gone, the beacons of every version are cleared, and nothing more is written', async () => {
    expect((await get(`/fhir/Patient/${gone}/$everything`)).statusCode).toBe(410);
    const rows = await beaconsOf(gone);
    expect(rows.length).toBeGreaterThanOrEqual(REGISTRY.modules.length + 1);
    expect(rows.filter((r) => r.n !== 0)).toEqual([]);
    const again = REGISTRY.module('Condition')!.example(gone, userOf(t.seeded, 'practitioner').fhirId!, NOW);
    const write = await t.app.inject({
      method: 'POST', url: '/fhir/Condition', payload: JSON.stringify(again),
      headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
    });
    expect(write.statusCode).not.toBe(201);
  });

  it('another patient\'s resources stay readable and findable by their codes', async () => {
    for (const m of REGISTRY.modules) {
      const id = ids.get(kept)!.get(m.type)!;
      expect((await get(`/fhir/${m.type}/${id}`)).statusCode).toBe(200);
    }
    const found = await get(`/fhir/Condition?patient=${kept}&code=${ICD10}|I10`);
    expect(clinicalIn(found.json()).map((r) => r.id)).toContain(ids.get(kept)!.get('Condition'));
  });
});

describe.each(BACKENDS)('clinical resources under key rotation ($name)', (backend) => {
  let env: Awaited<ReturnType<typeof openWithVault>>;
  let practices: string[] = [];
  /** What each version says: `id/version` → its note. */
  const written = new Map<string, { practiceId: string; type: string; id: string; version: number; text: string }>();

  const versionsOf = (db: Database, practiceId: string) => db.transaction({ role: 'clinical', practiceId }, (tx) =>
    tx.query<{ vid: string; body_sealed: Buffer; labels_sealed: Buffer }>(
      'SELECT vid, body_sealed, labels_sealed FROM clinical.resources WHERE practice_id = $1 ORDER BY vid',
      [practiceId],
    )).then((r) => r.rows);

  beforeAll(async () => {
    env = await openWithVault(backend);
    const seeded = await seedTwoPractices(env.db, env.keys.vault, 12);
    practices = seeded.practices.map((p) => p.id);
    for (const practiceId of practices) {
      const author = seeded.users.find((u) => u.role === 'practitioner' && u.practiceId === practiceId)!.fhirId!;
      const patients = (await env.driver.transaction((s) => s.query<{ id: string }>(
        'SELECT id FROM admin.patients WHERE practice_id = $1 ORDER BY id LIMIT 4', [practiceId],
      ))).rows.map((r) => r.id);
      // Every type for each patient, and for the first one a problem in three versions.
      const writes = patients.flatMap((patientId) => REGISTRY.modules.map((m) => {
        const text = `${m.type} ${patientId} v1`;
        const body = withText(m.type, m.example(patientId, author, NOW), text);
        return { practiceId, patientId, authorId: author, type: m.type, at: NOW, body, text };
      }));
      const first = await writeClinical(env.db, env.keys.vault, practiceId, writes);
      first.forEach((r, i) => {
        written.set(`${r.id}/1`, { practiceId, type: r.type, id: r.id, version: 1, text: writes[i]!.text });
      });
      const problem = first.find((r) => r.type === 'Condition' && r.patientId === patients[0])!;
      for (const version of [2, 3]) {
        const text = `Condition ${patients[0]} v${version}`;
        const body = { ...REGISTRY.module('Condition')!.example(patients[0]!, author, NOW), ...note(text) };
        await writeClinical(env.db, env.keys.vault, practiceId, [{
          practiceId, patientId: patients[0]!, authorId: author, type: 'Condition', at: NOW, body,
          update: { id: problem.id, expected: version - 1 },
        }]);
        written.set(`${problem.id}/${version}`, { practiceId, type: 'Condition', id: problem.id, version, text });
      }
    }
  });
  afterAll(async () => env?.cleanup());

  it('rewraps every version of every resource (a problem in three versions); each opens as written', async () => {
    const before = new Map<string, { body: Buffer; kek: number }>();
    for (const p of practices) {
      for (const r of await versionsOf(env.db, p)) {
        before.set(r.vid, { body: r.body_sealed, kek: envelopeKekVersion(r.body_sealed) });
      }
    }
    expect([...written.keys()].filter((vid) => !before.has(vid))).toEqual([]);
    expect([...written.values()].filter((w) => w.version === 3)).toHaveLength(practices.length);
    // Small batches: the walk's pages end between versions of one resource.
    const done = await rotateKeys(env.db, env.keys.vault, { purposes: ['clinical'], batchSize: 2, settleMs: 10 });
    expect(done.map((d) => d.purpose)).toEqual(practices.map(() => 'clinical'));
    for (const d of done) {
      const rows = await versionsOf(env.db, d.practiceId);
      expect(rows.length).toBeGreaterThan(0);
      // No version left under the old KEK version, in either sealed column.
      const behind = rows.filter((r) =>
        envelopeKekVersion(r.body_sealed) !== d.toVersion || envelopeKekVersion(r.labels_sealed) !== d.toVersion);
      expect(behind.map((r) => r.vid)).toEqual([]);
      for (const r of rows) {
        expect(d.toVersion).toBeGreaterThan(before.get(r.vid)!.kek);
        // Only the wrapped data key changed: the ciphertext of the body is the same.
        expect(r.body_sealed.subarray(-60).equals(before.get(r.vid)!.body.subarray(-60))).toBe(true);
      }
    }
    // With the retired versions gone from the keyring, every version opens with its own words.
    const dir = join(tmp, `rotated-${backend.name}`);
    cpSync(env.keys.dir, dir, { recursive: true });
    expect(keyringWithoutRetired(join(env.keys.dir, 'keyring.json'), join(dir, 'keyring.json'))).toBe(practices.length);
    const onlyNew = new Vault(LocalKeyProvider.open({ path: join(dir, 'keyring.json'), passphrase: null }));
    try {
      for (const w of written.values()) {
        const body = await env.db.transaction({ role: 'clinical', practiceId: w.practiceId }, async (tx) => {
          const repo = new ResourceRepository(tx, onlyNew.clinical(w.practiceId));
          const row = await repo.one(w.type, w.id, w.version, null, NOW);
          return row!.open();
        });
        expect(textOf(w.type, body), `${w.id}/${w.version}`).toBe(w.text);
      }
    } finally {
      await onlyNew.provider.close();
    }
  });
});
