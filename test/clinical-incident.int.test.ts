import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeAccounts } from '../src/incident/index.js';
import { REGISTRY, type Json } from '../src/resources/index.js';
import { bearer, login, secondOfficer, startTestApp, userOf, type TestApp } from './helpers/app.js';
import { BACKENDS } from './helpers/backends.js';
import { clinicalIn, writeClinical } from './helpers/clinical.js';

/**
 * Incident scoping of the registry's clinical types: a thief replays a doctor's credentials and is
 * served problems, treatments, results, vaccinations, allergies and consultations — by search, read,
 * version, history, `$everything` and break-the-glass — while the doctor works honestly in her own
 * session. The scope of the thief's session (and of his address) must name exactly the patients and
 * exactly the resource ids his responses carried (recall = precision = 1), with each patient's
 * categories and an HIV problem's label; the Art. 33 notification and the Art. 34 notices name the
 * categories in French.
 */
const THIEF_IP = '203.0.113.9';
const DOCTOR_IP = '10.0.0.1';
const OFFICER_IP = '10.0.0.50';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
/** The categories a Patient resource read in full discloses (src/incident/scope.ts). */
const FULL_IDENTITY = ['identity', 'contacts', 'nir'];
const category = (type: string) => REGISTRY.module(type)!.category.code;
const example = (type: string, patientId: string, authorId: string, at: Date) =>
  REGISTRY.module(type)!.example(patientId, authorId, at);
const patientOfRef = (ref: { reference: string }) => ref.reference.slice('Patient/'.length);

/** What the thief's responses carried, patient by patient: the suite's ground truth. */
class Served {
  readonly categories = new Map<string, Set<string>>();
  readonly resources = new Set<string>();
  readonly resourcesOf = new Map<string, Set<string>>();
  readonly labels = new Map<string, Set<string>>();

  private add(patientId: string, categories: readonly string[]): void {
    const set = this.categories.get(patientId) ?? new Set<string>();
    for (const c of categories) set.add(c);
    this.categories.set(patientId, set);
  }

  record(body: Json): void {
    const all = body.resourceType === 'Bundle'
      ? ((body.entry ?? []) as { resource: Json }[]).map((e) => e.resource)
      : [body];
    for (const r of all) {
      if (r.resourceType === 'Patient') this.add(String(r.id), FULL_IDENTITY);
      if (r.resourceType === 'Appointment') {
        const who = (r.participant as { actor: { reference: string } }[])
          .find((p) => p.actor.reference.startsWith('Patient/'));
        this.add(patientOfRef(who!.actor), ['appointments']);
      }
      if (r.resourceType === 'DocumentReference') this.add(patientOfRef(r.subject as { reference: string }), ['notes']);
    }
    for (const c of clinicalIn(body)) {
      this.add(c.patientId, [category(c.type)]);
      this.resources.add(c.id);
      this.resourcesOf.set(c.patientId, new Set([...(this.resourcesOf.get(c.patientId) ?? []), c.id]));
      const labels = this.labels.get(c.patientId) ?? new Set<string>();
      for (const l of c.labels) labels.add(l);
      this.labels.set(c.patientId, labels);
    }
  }

  get patients(): string[] {
    return [...this.categories.keys()].sort();
  }

  /** Patients per category, and per label, over what was served. */
  count(category: string): number {
    return [...this.categories.values()].filter((c) => c.has(category)).length;
  }

  labelled(label: string): number {
    return [...this.labels.values()].filter((l) => l.has(label)).length;
  }
}

interface Disclosure { patientId: string; categories: string[]; resources: string[]; labels: string[] }
interface ScopeReply {
  id: string;
  patients: string[];
  categories: Record<string, number>;
  labels: Record<string, number>;
  disclosures: Disclosure[];
  care: { accesses: number; patients: string[] };
  modified: { resourceType: string; resourceId: string | null }[];
  documents: Record<string, string>;
}

describe.each(BACKENDS)('incident scope of the clinical types ($name)', (backend) => {
  let t: TestApp;
  let doctor: ReturnType<typeof userOf>;
  let officer = '';
  let from = '';
  let to = '';
  let thiefSession = '';
  const served = new Served();
  /** Patients the doctor cares for (P[0..4]) and two strangers (S[0], S[1]). */
  let P: string[] = [];
  let S: string[] = [];
  /** Resources by patient and type. */
  const ids = new Map<string, Map<string, string>>();
  /** The problem the thief wrote himself. */
  let created = '';
  let sessionScope: ScopeReply;

  const q = async <R>(sql: string, params: unknown[]) =>
    (await t.store.driver.transaction((s) => s.query<R>(sql, params))).rows;
  const get = (token: string, url: string, ip: string) =>
    t.app.inject({ method: 'GET', url, headers: bearer(token), remoteAddress: ip });
  const send = (method: 'POST' | 'PUT', token: string, url: string, payload: object, ip: string, headers = {}) =>
    t.app.inject({
      method, url, remoteAddress: ip, payload: JSON.stringify(payload),
      headers: { ...bearer(token), 'content-type': 'application/json', ...headers },
    });
  const idOf = (patientId: string, type: string) => ids.get(patientId)!.get(type)!;
  const sid = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sid as string;

  /** Five patients a treating relationship ties to the doctor, and two nothing ties to her. */
  async function patients(practiceId: string, doctorId: string): Promise<void> {
    P = (await q<{ id: string }>(
      `SELECT DISTINCT patient_id AS id FROM admin.care_relationships
        WHERE practice_id = $1 AND practitioner_id = $2 AND kind = 'treating'
          AND starts_at <= $3 AND (ends_at IS NULL OR ends_at >= $3)
          AND patient_id NOT IN (SELECT patient_id FROM audit.honeytokens)
        ORDER BY 1 LIMIT 5`,
      [practiceId, doctorId, t.now().toISOString()],
    )).map((r) => r.id);
    S = (await q<{ id: string }>(
      `SELECT p.id FROM admin.patients p WHERE p.practice_id = $1
          AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
          AND NOT EXISTS (SELECT 1 FROM admin.appointments a WHERE a.patient_id = p.id AND a.practitioner_id = $2)
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY p.id LIMIT 2`,
      [practiceId, doctorId],
    )).map((r) => r.id);
    expect(P).toHaveLength(5);
    expect(S).toHaveLength(2);
  }

  /**
   * The doctor's own work, through the API: every type for four of her patients, a problem for the
   * fifth, a second problem for the first (a page of one leaves one out), a second version of the
   * third one's; and a colleague's HIV problem and result for a stranger.
   */
  async function records(token: string, at: Date): Promise<void> {
    for (const [i, patientId] of P.entries()) {
      const byType = new Map<string, string>();
      for (const m of i < 4 ? REGISTRY.modules : [REGISTRY.module('Condition')!]) {
        const r = await send('POST', token, `/fhir/${m.type}`, m.example(patientId, doctor.fhirId!, at), DOCTOR_IP);
        expect(r.statusCode, r.body.slice(0, 300)).toBe(201);
        byType.set(m.type, r.json().id as string);
      }
      ids.set(patientId, byType);
    }
    const diabetes = {
      ...example('Condition', P[0]!, doctor.fhirId!, at), code: { coding: [{ system: ICD10, code: 'E11' }] },
    };
    expect((await send('POST', token, '/fhir/Condition', diabetes, DOCTOR_IP)).statusCode).toBe(201);
    const condition = idOf(P[2]!, 'Condition');
    const { meta: _meta, ...current } = (await get(token, `/fhir/Condition/${condition}`, DOCTOR_IP)).json();
    const revised = { ...current, note: [{ text: 'Revu : objectif atteint.' }] };
    const v2 = await send('PUT', token, `/fhir/Condition/${condition}`, revised, DOCTOR_IP, { 'if-match': 'W/"1"' });
    expect(v2.statusCode, v2.body.slice(0, 300)).toBe(200);
    const practiceId = doctor.practiceId!;
    const colleague = (await q<{ id: string }>(
      "SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'practitioner' AND id <> $2 ORDER BY id LIMIT 1",
      [practiceId, doctor.fhirId],
    ))[0]?.id ?? doctor.fhirId!;
    const hiv = { ...example('Condition', S[0]!, colleague, at), code: { coding: [{ system: ICD10, code: 'B20' }] } };
    const written = await writeClinical(t.services.db, t.services.vault, practiceId, [
      { practiceId, patientId: S[0]!, authorId: colleague, type: 'Condition', at, body: hiv },
      { practiceId, patientId: S[0]!, authorId: colleague, type: 'Observation', at },
      { practiceId, patientId: S[1]!, authorId: colleague, type: 'Condition', at },
    ]);
    ids.set(S[0]!, new Map([['Condition', written[0]!.id], ['Observation', written[1]!.id]]));
  }

  /** The thief, with the doctor's password and second factor, from his own address. */
  async function theft(at: Date): Promise<void> {
    const thief = (await login(t, doctor, THIEF_IP)).access_token;
    thiefSession = sid(thief);
    const take = async (url: string) => {
      const r = await get(thief, url, THIEF_IP);
      expect(r.statusCode, `${url}: ${r.body.slice(0, 200)}`).toBe(200);
      served.record(r.json());
      return r.json() as Json;
    };
    const entries = (b: Json) => (b.entry ?? []) as unknown[];
    expect(entries(await take(`/fhir/Condition?patient=${P[0]}&_count=1`))).toHaveLength(1);
    await take(`/fhir/MedicationRequest?patient=${P[0]}`);
    await take(`/fhir/Observation/${idOf(P[1]!, 'Observation')}`);
    await take(`/fhir/Immunization?patient=${P[1]}`);
    expect(entries(await take(`/fhir/Condition/${idOf(P[2]!, 'Condition')}/_history`))).toHaveLength(2);
    await take(`/fhir/AllergyIntolerance/${idOf(P[2]!, 'AllergyIntolerance')}/_history/1`);
    await take(`/fhir/Patient/${P[3]}/$everything`);
    // A search that finds nothing discloses nothing: the fifth patient is not disclosed by it.
    expect(entries(await take(`/fhir/Condition?patient=${P[4]}&code=${ICD10}|A20.1`))).toEqual([]);
    // A stranger's record is refused; the other stranger's, after break-the-glass, is served.
    expect((await get(thief, `/fhir/Condition?patient=${S[1]}`, THIEF_IP)).statusCode).toBe(403);
    const reason = 'Patient inconscient aux urgences';
    const glass = await send('POST', thief, '/access/break-glass', { patientId: S[0], reason }, THIEF_IP);
    expect(glass.statusCode, glass.body).toBe(201);
    await take(`/fhir/Condition?patient=${S[0]}`);
    await take(`/fhir/Observation/${idOf(S[0]!, 'Observation')}`);
    // What the thief writes is a modification, not a disclosure (the 201 carries what he sent).
    const w = await send('POST', thief, '/fhir/Condition', example('Condition', P[1]!, doctor.fhirId!, at), THIEF_IP);
    expect(w.statusCode).toBe(201);
    created = w.json().id as string;
  }

  beforeAll(async () => {
    t = await startTestApp({ patients: 40, backend });
    doctor = userOf(t.seeded, 'practitioner', 0);
    await patients(doctor.practiceId!, doctor.fhirId!);
    const honest = (await login(t, doctor, DOCTOR_IP)).access_token;
    const at = new Date(t.now().getTime() - 3_600_000);
    await records(honest, at);
    from = new Date(t.now().getTime() - 1000).toISOString();
    // In the window, the doctor reads her own patients' problems (care, in her own session).
    for (const id of [P[0]!, P[4]!]) {
      expect((await get(honest, `/fhir/Condition?patient=${id}`, DOCTOR_IP)).statusCode).toBe(200);
    }
    await theft(at);
    t.advance(1000);
    to = new Date(t.now().getTime() + 1000).toISOString();
    officer = (await login(t, userOf(t.seeded, 'security-officer'), OFFICER_IP)).access_token;
  });
  afterAll(async () => t?.close());

  const scope = async (payload: object): Promise<ScopeReply> => {
    const r = await send('POST', officer, '/security/incidents', { from, to, ...payload }, OFFICER_IP);
    expect(r.statusCode, r.body.slice(0, 300)).toBe(201);
    return r.json() as ScopeReply;
  };

  /** Each disclosure against what the responses carried: the same patients, categories and resources. */
  function expectExact(s: ScopeReply): void {
    // Recall and precision, of patients and of resources.
    expect([...s.patients].sort()).toEqual(served.patients);
    expect(s.disclosures.flatMap((d) => d.resources).sort()).toEqual([...served.resources].sort());
    for (const d of s.disclosures) {
      expect([...d.categories].sort(), d.patientId).toEqual([...served.categories.get(d.patientId)!].sort());
    }
  }

  it('the thief\'s session: exactly the patients and resource ids he was served, categories and labels', async () => {
    // The ground truth, as the responses carried it, is not empty where it matters.
    expect(served.patients).toEqual([P[0]!, P[1]!, P[2]!, P[3]!, S[0]!].sort());
    expect(served.resources.has(created)).toBe(false);
    sessionScope = await scope({ sessions: [thiefSession] });
    expectExact(sessionScope);
    const byId = new Map(sessionScope.disclosures.map((d) => [d.patientId, d]));
    expect(byId.get(P[0]!)!.categories).toEqual(['problems', 'treatments']);
    expect(byId.get(P[1]!)!.categories).toEqual(['results', 'vaccinations']);
    expect(byId.get(P[2]!)!.categories).toEqual(['problems', 'allergies']);
    const everything = [...FULL_IDENTITY, ...REGISTRY.modules.map((m) => m.category.code)];
    expect(byId.get(P[3]!)!.categories).toEqual(expect.arrayContaining(everything));
    expect(byId.get(S[0]!)!.categories).toEqual(['problems', 'results']);
    // One of the first patient's problems (a page of one); both versions of the third one's are one
    // resource; the fifth patient's empty search and the doctor's own reads of her are not the thief's.
    const problems = (await q<{ id: string }>(
      "SELECT id FROM clinical.resources WHERE patient_id = $1 AND type = 'Condition' AND current", [P[0]],
    )).map((r) => r.id);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(byId.get(P[0]!)!.resources.filter((id) => problems.includes(id))).toHaveLength(1);
    expect(byId.get(P[2]!)!.resources).toEqual([idOf(P[2]!, 'AllergyIntolerance'), idOf(P[2]!, 'Condition')].sort());
    expect(byId.has(P[4]!)).toBe(false);
    expect(byId.get(S[0]!)!.labels).toContain('HIV');
    expect(sessionScope.labels.HIV).toBe(served.labelled('HIV'));
    for (const m of REGISTRY.modules) {
      expect(sessionScope.categories[m.category.code], m.type).toBe(served.count(m.category.code));
    }
    expect(sessionScope.categories).toMatchObject({ problems: 4, treatments: 2, vaccinations: 2, allergies: 2 });
    expect(sessionScope.modified.map((m) => `${m.resourceType}/${m.resourceId}`)).toContain(`Condition/${created}`);
  });

  it('the same from the thief\'s address, and from scopeAccounts itself (AccessScope.resources)', async () => {
    expectExact(await scope({ addresses: [THIEF_IP] }));
    const direct = await t.services.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      scopeAccounts(tx, {
        kind: 'account-abuse', userIds: [], sessions: [thiefSession], addresses: [],
        from: new Date(from), to: new Date(to),
      }));
    expect([...direct.resources].sort()).toEqual([...served.resources].sort());
    expect([...direct.patients].sort()).toEqual(served.patients);
  });

  it('the account alone: the break-the-glass stranger disclosed, care reads (his and hers) apart', async () => {
    const s = await scope({ accounts: [doctor.username] });
    expect(s.patients).toEqual([S[0]]);
    expect(s.disclosures[0]!.resources.sort()).toEqual([...served.resourcesOf.get(S[0]!)!].sort());
    const hers = [idOf(S[0]!, 'Condition'), idOf(S[0]!, 'Observation')];
    expect(s.disclosures[0]!.resources).toEqual(expect.arrayContaining(hers));
    expect(s.care.patients).toEqual(expect.arrayContaining([P[0], P[1], P[2], P[3], P[4]]));
  });

  it('the Art. 33 notification and the Art. 34 notices name the clinical categories in French', async () => {
    const a33 = await t.app.inject({ method: 'GET', url: sessionScope.documents.art33!, headers: bearer(officer) });
    expect(a33.statusCode).toBe(200);
    const doc = a33.json() as {
      dataCategories: { label: string; persons: number }[];
      specialCategories: unknown[];
      records: { approximateNumber: number };
    };
    // Worded from the modules: problèmes de santé, allergies, traitements, résultats d'analyses…
    const french = REGISTRY.modules.map((m) => `${m.category.fr}: ${served.count(m.category.code)}`);
    expect(french).toEqual(expect.arrayContaining(['problèmes de santé: 4', 'traitements: 2', 'vaccinations: 2']));
    expect(french.some((c) => c.startsWith("résultats d'analyses: "))).toBe(true);
    expect(doc.dataCategories.map((c) => `${c.label}: ${c.persons}`)).toEqual(expect.arrayContaining(french));
    const hiv = expect.objectContaining({ code: 'HIV', persons: served.labelled('HIV') });
    expect(doc.specialCategories).toEqual(expect.arrayContaining([hiv]));
    // Art. 33(3)(a): the records concerned count the clinical resources disclosed (regression: 1 for 14).
    expect(doc.records.approximateNumber).toBeGreaterThanOrEqual(served.resources.size);
    const document = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(officer) });
    const pdf = await document(`${sessionScope.documents.art33}?format=pdf`);
    const text = pdfText(pdf.rawPayload).replace(/\s+/g, ' ');
    for (const c of french) expect(text).toContain(c.replace(': ', ' : '));
    // The notices, once a second officer approved them: each patient's own categories, worded for them.
    const second = (await login(t, secondOfficer(t.seeded), '10.0.0.51')).access_token;
    const approve = `/security/incidents/${sessionScope.id}/approve-notices`;
    const approved = await send('POST', second, approve, {}, '10.0.0.51');
    expect(approved.statusCode).toBe(201);
    const a34 = await document(`${sessionScope.documents.art34}?format=json`);
    expect(a34.statusCode).toBe(200);
    const notices = new Map((a34.json().notices as { patientId: string; text: string }[])
      .map((n) => [n.patientId, n.text]));
    expect([...notices.keys()].sort()).toEqual(served.patients);
    const dossier = (c: string) => `des informations de votre dossier médical : ${c}`;
    expect(notices.get(P[0]!)).toContain(dossier('problèmes de santé'));
    expect(notices.get(P[0]!)).toContain(dossier('traitements'));
    expect(notices.get(P[0]!)).not.toContain(dossier("résultats d'analyses"));
    expect(notices.get(P[1]!)).toContain(dossier("résultats d'analyses"));
    expect(notices.get(P[1]!)).toContain(dossier('vaccinations'));
    // A letter travels by post: it names no sensitivity label.
    expect(notices.get(S[0]!)).not.toMatch(/\b(HIV|VIH)\b/);
  });

  function pdfText(pdf: Buffer): string {
    const dir = mkdtempSync(join(tmpdir(), 'medvault-pdf-'));
    try {
      writeFileSync(join(dir, 'doc.pdf'), pdf);
      return execFileSync('pdftotext', ['-layout', join(dir, 'doc.pdf'), '-'], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
