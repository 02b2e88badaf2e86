import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeAccounts } from '../../src/incident/index.js';
import { scopeCopy } from '../../src/incident/copy.js';
import { REGISTRY, type Json } from '../../src/resources/index.js';
import type { DemoUser } from '../../src/sim/seed.js';
import { BACKENDS } from '../helpers/backends.js';
import { clinicalIn, writeClinical } from '../helpers/clinical.js';
import { call, login, ownPatients, Session, startServer, strangers, Thief, user, type Server } from './harness.js';

/**
 * A stolen doctor at the edges of the clinical record: codes and words that name HIV, labels a
 * client leaves out of an update, a flood of writes into one chart, an update's answer as an oracle,
 * a consultation of another patient, an ordonnance of another patient's line, and what a keyless
 * copy of the database names; then what held from the start (searches, cursors, other practices,
 * the assistant, an honest doctor's whole chart).
 *
 *   MEDVAULT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx vitest run test/adversary/clinical-edges.int.test.ts
 */
const DAY = 86_400_000;
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const SNOMED = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
/** docs/detection.md: sensitive patients a practitioner may open in a day. */
const SENSITIVE_PER_DAY = 8;

/** More patients declared the doctor's own (a GP has ~1,600): care is not what stops a sweep. */
const MORE_OWN = `
  INSERT INTO admin.care_relationships (id, practice_id, patient_id, practitioner_id, kind, starts_at)
  SELECT gen_random_uuid(), p.practice_id, p.id, $2, 'treating', $3 FROM admin.patients p WHERE p.practice_id = $1
     AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
     AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id)
   ORDER BY p.id LIMIT 60`;

/** HIV written in codes medvault accepts but does not label (sensitive.json: B20–B24, Z21, R75; 2 SNOMED; 5 LOINC). */
const HIV_UNLABELLED: { name: string; code: Json }[] = [
  { name: 'ICD-10 O98.7 (HIV disease complicating pregnancy)', code: { coding: [{ system: ICD10, code: 'O98.7' }], text: 'VIH et grossesse' } },
  { name: 'SNOMED 62479008 (AIDS)', code: { coding: [{ system: SNOMED, code: '62479008' }], text: 'SIDA' } },
  { name: 'SNOMED 91947003 (asymptomatic HIV infection)', code: { coding: [{ system: SNOMED, code: '91947003' }], text: 'Infection VIH asymptomatique' } },
  { name: 'ICD-10 Z20.6 (contact with HIV)', code: { coding: [{ system: ICD10, code: 'Z20.6' }], text: 'Exposition au VIH' } },
];

/** A lab result: HIV-1/2 Ag+Ab screen (LOINC 75622-1, the 4th-generation test French labs report), positive. */
function hivScreen(patientId: string, at: Date): Json {
  return {
    resourceType: 'Observation', status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: 'laboratory' }] }],
    code: { coding: [{ system: LOINC, code: '75622-1' }], text: 'Dépistage VIH 1+2 (Ag p24 + Ac)' },
    subject: { reference: `Patient/${patientId}` }, effectiveDateTime: at.toISOString(),
    valueCodeableConcept: { coding: [{ system: SNOMED, code: '10828004' }], text: 'positif' },
  };
}

interface Raw { status: number; body: Json }

describe.each(BACKENDS)('a stolen doctor at the edges of the clinical record ($name)', (backend) => {
  let s: Server;

  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 100 });
    const since = new Date(s.now().getTime() - 400 * DAY).toISOString();
    for (const [i, p] of s.seeded.practices.entries()) {
      await s.store.driver.transaction((q) => q.query(MORE_OWN, [p.id, user(s, 'practitioner', i).fhirId, since]));
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  /** A request as the thief's session with headers of its own (If-Match). */
  async function raw(t: Thief, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Raw> {
    if (t.token === null) await t.get('/me');
    const r = await fetch(s.base + path, {
      method,
      headers: { authorization: `Bearer ${t.token}`, 'user-agent': t.ua, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    let b: Json;
    try {
      b = text ? (JSON.parse(text) as Json) : {};
    } catch {
      b = { text: text.slice(0, 200) };
    }
    return { status: r.status, body: b };
  }

  const labelsOf = (r: Json) => (((r.meta as Json | undefined)?.security ?? []) as { system: string; code: string }[])
    .filter((c) => c.system === V3_ACT).map((c) => c.code);

  // ─── 1 ──────────────────────────────────────────────────────────────────────────────
  it('HIV coded outside the blocks (O98.7, Z20.6, SNOMED AIDS, an HIV screen) is labelled: ≤ 8 HIV patients, all in the scope', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const own = (await ownPatients(s, victim)).slice(0, 20);
    expect(own.length).toBe(20);
    const at = new Date(s.now().getTime() - 30 * DAY);
    const cond = REGISTRY.module('Condition')!;
    // The victim's own patients: 16 with an HIV problem coded in accepted codes, 4 with a positive HIV screen.
    const writes = own.map((p, i) => i < 16
      ? { practiceId: victim.practiceId!, patientId: p, authorId: victim.fhirId!, type: 'Condition', at, body: { ...cond.example(p, victim.fhirId!, at), code: HIV_UNLABELLED[i % 4]!.code } }
      : { practiceId: victim.practiceId!, patientId: p, authorId: victim.fhirId!, type: 'Observation', at, body: hivScreen(p, at) });
    await writeClinical(s.services.db, s.services.vault, victim.practiceId!, writes);

    const t = new Thief(s, victim, 10);
    const from = s.now();
    const hivPatients = new Set<string>();
    const labelled = new Set<string>();
    for (const [i, p] of own.entries()) {
      const r = await t.get(`/fhir/${i < 16 ? 'Condition' : 'Observation'}?patient=${p}`);
      if (r.status !== 200) continue;
      for (const x of clinicalIn(r.body)) {
        hivPatients.add(x.patientId);
        if (x.labels.includes('HIV')) labelled.add(x.patientId);
      }
    }
    const to = new Date(s.now().getTime() + 1000);
    const scope = await s.services.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      scopeAccounts(tx, { kind: 'account-abuse', userIds: [victim.fhirId!], sessions: [], addresses: [], from, to, countCare: true }));
    console.log(`[edges] 1 ${backend.name}: HIV patients served ${hivPatients.size}, labelled HIV ${labelled.size}, scope labels ${JSON.stringify(scope.labels)}`);
    // The sensitive budget (8 a day) is what should stop this sweep; labels are what feed it.
    expect(hivPatients.size).toBeLessThanOrEqual(SENSITIVE_PER_DAY);
    expect(labelled.size).toBe(hivPatients.size);
    expect(scope.labels.HIV ?? 0).toBe(hivPatients.size);
  });

  // ─── 2 ──────────────────────────────────────────────────────────────────────────────
  it('an update that does not send meta back (the web app strips it) keeps the HIV label of the resource', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1);
    const p = (await ownPatients(s, victim))[0]!;
    const honest = new Session(s, victim);
    const at = new Date(s.now().getTime() - DAY);
    // A drug in words (Biktarvy is not in the picker list): labelled only by what the client asserts.
    const med = {
      ...(REGISTRY.module('MedicationRequest')!.example(p, victim.fhirId!, at) as Json),
      medicationCodeableConcept: { text: 'Biktarvy (bictégravir/emtricitabine/ténofovir)' },
      meta: { security: [{ system: V3_ACT, code: 'HIV' }] },
    };
    const created = await honest.request('POST', '/fhir/MedicationRequest', med);
    expect(created.status).toBe(201);
    expect(labelsOf(created.body)).toEqual(['HIV']);
    // web/src/clinical/write.ts treatmentStopped(): `const { meta, text, ...kept } = m; return { ...kept, status: 'stopped' }`.
    const { meta: _meta, ...kept } = created.body as Json;
    const token = await honest.tokens();
    const put = await fetch(`${s.base}/fhir/MedicationRequest/${String(created.body.id)}`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': 'W/"1"', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) medvault-adversary' },
      body: JSON.stringify({ ...kept, status: 'stopped' }),
    });
    const updated = (await put.json()) as Json;
    console.log(`[edges] 2 ${backend.name}: PUT ${put.status}, labels before ${JSON.stringify(labelsOf(created.body))} after ${JSON.stringify(labelsOf(updated))}`);
    expect(put.status).toBe(200);
    // The current version (what searches, $everything and the ledger see) must still be labelled HIV.
    expect(labelsOf(updated)).toContain('HIV');
    // Nor does an update without If-Match (written over whatever version is current), even two at once.
    const plain = await Promise.all([1, 2].map(() => fetch(`${s.base}/fhir/MedicationRequest/${String(created.body.id)}`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) medvault-adversary' },
      body: JSON.stringify({ ...kept, status: 'stopped' }),
    })));
    expect(plain.map((r) => r.status)).toEqual([200, 200]);
    for (const r of plain) expect(labelsOf((await r.json()) as Json)).toContain('HIV');
  });

  // ─── 3 ──────────────────────────────────────────────────────────────────────────────
  it('a stolen doctor flooding one chart (300 × 100 KB in seconds) is refused, or named by an alert', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const p = (await ownPatients(s, victim))[25]!;
    const t = new Thief(s, victim, 10);
    const cond = REGISTRY.module('Condition')!;
    const at = new Date(s.now().getTime() - DAY);
    const note = Array.from({ length: 10 }, (_, i) => ({ text: `${i} ${'x'.repeat(9_990)}` }));
    let accepted = 0;
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const rs = await Promise.all(Array.from({ length: 10 }, () => t.request('POST', '/fhir/Condition', { ...cond.example(p, victim.fhirId!, at), note })));
      accepted += rs.filter((r) => r.status === 201).length;
      s.advance(1_000);
    }
    const ms = Date.now() - started;
    await s.services.detection.settle();
    const officer = await login(s, user(s, 'security-officer'));
    const alerts = (await call(s, 'GET', '/security/alerts', { token: officer! })).body.alerts as { userId: string; reasons: string[] }[];
    const reasons = alerts.filter((a) => a.userId === victim.fhirId).flatMap((a) => a.reasons);
    const everything = await new Session(s, victim).request('GET', `/fhir/Patient/${p}/$everything`);
    const size = JSON.stringify(everything.body).length;
    console.log(`[edges] 3 ${backend.name}: ${accepted}/300 creates of 100 KB in ${ms} ms; $everything now ${(size / 1e6).toFixed(1)} MB; alerts: ${JSON.stringify(reasons)}`);
    // A budget on clinical writes (per patient and per account), or at least an alert naming them.
    const named = reasons.some((r) => /clinical|clinique|resources|ressources|created/i.test(r));
    expect(accepted <= 100 || named).toBe(true);
  });

  // ─── 4 ──────────────────────────────────────────────────────────────────────────────
  it('PUT answers a resource of a patient without care as it answers no such resource (no membership oracle)', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const colleague = s.seeded.users.find((u) => u.role === 'practitioner' && u.practiceId === victim.practiceId && u.username !== victim.username) as DemoUser;
    const stranger = (await strangers(s, victim, 3))[0]!;
    const at = new Date(s.now().getTime() - DAY);
    const [w] = await writeClinical(s.services.db, s.services.vault, victim.practiceId!, [{ practiceId: victim.practiceId!, patientId: stranger, authorId: colleague.fhirId!, type: 'Condition', at }]);
    const t = new Thief(s, victim, 10);
    const body = (id: string) => ({ ...(REGISTRY.module('Condition')!.example(stranger, victim.fhirId!, at) as Json), id });
    const real = await raw(t, 'PUT', `/fhir/Condition/${w!.id}`, body(w!.id), { 'if-match': 'W/"1"' });
    const none = '00000000-0000-4000-8000-000000000000';
    const absent = await raw(t, 'PUT', `/fhir/Condition/${none}`, body(none), { 'if-match': 'W/"1"' });
    console.log(`[edges] 4 ${backend.name}: PUT a stranger's Condition → ${real.status}; PUT no such Condition → ${absent.status}`);
    expect(real.status).toBe(absent.status);
  });

  // ─── 5 ──────────────────────────────────────────────────────────────────────────────
  it("an Observation of patient A is refused inside patient B's consultation (an encounter of another patient)", async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1);
    const [a, b] = await ownPatients(s, victim);
    const honest = new Session(s, victim);
    const at = new Date(s.now().getTime() - DAY);
    const enc = await honest.request('POST', '/fhir/Encounter', REGISTRY.module('Encounter')!.example(b!, victim.fhirId!, at));
    expect(enc.status).toBe(201);
    const obs = {
      resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: OBS_CATEGORY, code: 'vital-signs' }] }],
      code: { coding: [{ system: LOINC, code: '29463-7' }] }, subject: { reference: `Patient/${a}` },
      encounter: { reference: `Encounter/${String(enc.body.id)}` }, effectiveDateTime: at.toISOString(),
      valueQuantity: { value: 72, unit: 'kg', system: UCUM, code: 'kg' },
    };
    const r = await honest.request('POST', '/fhir/Observation', obs);
    console.log(`[edges] 5 ${backend.name}: Observation(subject A, encounter of B) → ${r.status}`);
    expect([400, 422]).toContain(r.status);
  });

  // ─── 6 ──────────────────────────────────────────────────────────────────────────────
  it('$ordonnance refused (400) for another patient\'s line reads, counts and audits nothing: the scope names nothing', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1);
    const [a, b] = await ownPatients(s, victim);
    const at = new Date(s.now().getTime() - DAY);
    const [line] = await writeClinical(s.services.db, s.services.vault, victim.practiceId!, [{ practiceId: victim.practiceId!, patientId: a!, authorId: victim.fhirId!, type: 'MedicationRequest', at }]);
    const t = new Thief(s, victim, 10);
    await t.get('/me');
    const from = s.now();
    // A's prescription line asked for on B's ordonnance: 400, nothing of the line in the answer…
    const r = await t.get(`/fhir/Patient/${b}/$ordonnance?request=${line!.id}`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toContain(String(a));
    const scope = await s.services.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      scopeAccounts(tx, { kind: 'account-abuse', userIds: [victim.fhirId!], sessions: [], addresses: [], from, to: new Date(s.now().getTime() + 1000), countCare: true }));
    console.log(`[edges] 6 ${backend.name}: ordonnance ${r.status}; scope patients ${JSON.stringify(scope.patients)} resources ${JSON.stringify(scope.resources)}`);
    // …so the scope of this session should name nothing.
    expect(scope.resources).toEqual([]);
    expect(scope.patients).toEqual([]);
  });

  // ─── 7 ──────────────────────────────────────────────────────────────────────────────
  it('a keyless copy of clinical.resources + audit.events names no never-accessed HIV patient; its report counts the labels', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const own = (await ownPatients(s, victim)).slice(40, 48);
    const at = new Date(s.now().getTime() - 10 * DAY);
    const cond = REGISTRY.module('Condition')!;
    const hiv = { coding: [{ system: ICD10, code: 'B20' }], text: 'Infection VIH' };
    // Six HIV problems imported (never read, never audited), two ordinary ones.
    await writeClinical(s.services.db, s.services.vault, victim.practiceId!, own.slice(0, 8).map((p, i) => ({
      practiceId: victim.practiceId!, patientId: p, authorId: victim.fhirId!, type: 'Condition', at,
      body: i < 6 ? { ...cond.example(p, victim.fhirId!, at), code: hiv } : cond.example(p, victim.fhirId!, at),
    })));
    // One HIV problem written through the API by the honest doctor: its create is audited with its label.
    const other = (await ownPatients(s, victim))[48]!;
    const honest = new Session(s, victim);
    expect((await honest.request('POST', '/fhir/Condition', { ...cond.example(other, victim.fhirId!, at), code: hiv })).status).toBe(201);
    // What the holder of a copy (no keys) computes, in SQL only: the beacons of the audited HIV
    // rows minus those of audited unlabelled rows, then every row carrying one of them.
    const found = await s.store.driver.transaction((q) => q.query<{ patient_id: string }>(`
      WITH hiv AS (SELECT DISTINCT unnest(r.tokens) AS b FROM clinical.resources r JOIN audit.events e ON e.resource_id = r.id::text
                    WHERE e.resource_type = 'Condition' AND 'HIV' = ANY(e.labels)),
           plain AS (SELECT DISTINCT unnest(r.tokens) AS b FROM clinical.resources r JOIN audit.events e ON e.resource_id = r.id::text
                    WHERE e.resource_type = 'Condition' AND e.labels = '{}'),
           marker AS (SELECT b FROM hiv EXCEPT SELECT b FROM plain)
      SELECT DISTINCT r.patient_id FROM clinical.resources r WHERE r.type = 'Condition' AND r.tokens && ARRAY(SELECT b FROM marker)`));
    const named = new Set(found.rows.map((x) => x.patient_id));
    const copy = await scopeCopy(s.services.db, [victim.practiceId!], ['clinical.resources', 'audit.events'], false, 'en');
    console.log(`[edges] 7 ${backend.name}: patients a keyless copy names HIV: ${named.size} (of them never accessed: ${own.slice(0, 6).filter((p) => named.has(p)).length}); copy report labels ${JSON.stringify(copy.labels)}, art34 required ${copy.art34.required}`);
    // The copy is meant to be ciphertext: no never-accessed patient's HIV status should be derivable…
    expect(own.slice(0, 6).filter((p) => named.has(p))).toEqual([]);
    // …and where it is, the copy report must say so.
    expect(copy.labels.HIV ?? 0).toBeGreaterThan(0);
  });

  it('holds: patient-less and wide searches, foreign cursors, other practices, the assistant\'s clinical paths', async () => {
    await s.fresh();
    const doc = user(s, 'practitioner', 0);
    const colleague = s.seeded.users.find((u) => u.role === 'practitioner' && u.practiceId === doc.practiceId && u.username !== doc.username) as DemoUser;
    const p = (await ownPatients(s, doc))[50]!;
    const elsewhere = user(s, 'practitioner', 1);
    const theirs = (await ownPatients(s, elsewhere))[50]!;
    const at = new Date(s.now().getTime() - DAY);
    const [mine] = await writeClinical(s.services.db, s.services.vault, doc.practiceId!, [{ practiceId: doc.practiceId!, patientId: p, authorId: doc.fhirId!, type: 'MedicationRequest', at }]);
    const [foreign] = await writeClinical(s.services.db, s.services.vault, elsewhere.practiceId!, [{ practiceId: elsewhere.practiceId!, patientId: theirs, authorId: elsewhere.fhirId!, type: 'Condition', at }]);
    const t = new Thief(s, doc, 10);
    const statuses: Record<string, number> = {};
    const st = async (k: string, r: Promise<{ status: number }>) => (statuses[k] = (await r).status);
    await st('POST _search without patient', raw(t, 'POST', '/fhir/Condition/_search', { code: 'I10' }));
    await st('21 code values', t.get(`/fhir/Condition?patient=${p}&code=${Array.from({ length: 21 }, (_, i) => `I${10 + i}`).join(',')}`));
    const page = await t.get(`/fhir/Observation?patient=${p}&_count=1`);
    const next = ((page.body.link ?? []) as { relation: string; url: string }[]).find((l) => l.relation === 'self')!.url.split('_cursor=')[1]!;
    await st('Observation cursor on Condition', t.get(`/fhir/Condition?_cursor=${next}`));
    const other = new Thief(s, colleague, 10);
    await st("another user's cursor", other.get(`/fhir/Observation?_cursor=${next}`));
    await st("other practice's resource", t.get(`/fhir/Condition/${foreign!.id}`));
    await st("other practice's vread", t.get(`/fhir/Condition/${foreign!.id}/_history/1`));
    await st("other practice's patient search", t.get(`/fhir/Condition?patient=${theirs}`));
    await st("other practice's ordonnance", t.get(`/fhir/Patient/${theirs}/$ordonnance?request=${foreign!.id}`));
    const desk = new Thief(s, user(s, 'assistant', 0), 10);
    await st('assistant $ordonnance', desk.get(`/fhir/Patient/${p}/$ordonnance?request=${mine!.id}`));
    await st('assistant MedicationRequest read', desk.get(`/fhir/MedicationRequest/${mine!.id}`));
    await st('assistant _search', raw(desk, 'POST', '/fhir/MedicationRequest/_search', { patient: p }));
    await st('assistant creates a Condition', desk.request('POST', '/fhir/Condition', REGISTRY.module('Condition')!.example(p, doc.fhirId!, at)));
    console.log(`[edges] held ${backend.name}: ${JSON.stringify(statuses)}`);
    expect(statuses).toMatchObject({
      'POST _search without patient': 400, '21 code values': 400, 'Observation cursor on Condition': 400, "another user's cursor": 400,
      "other practice's resource": 404, "other practice's vread": 404, "other practice's patient search": 404, "other practice's ordonnance": 404,
      'assistant $ordonnance': 400, 'assistant MedicationRequest read': 403, 'assistant _search': 403, 'assistant creates a Condition': 403,
    });
  });

  // ─── held ───────────────────────────────────────────────────────────────────────────────────
  it('holds: a doctor reads her own patient\'s full chart (20 problems, 200 results, 30 prescriptions) the web app\'s way, uncut', async () => {
    await s.fresh();
    const doc = user(s, 'practitioner', 1);
    const p = (await ownPatients(s, doc))[30]!;
    const at = new Date(s.now().getTime() - 60 * DAY);
    const mk = (type: string, n: number) => Array.from({ length: n }, (_, i) => ({ practiceId: doc.practiceId!, patientId: p, authorId: doc.fhirId!, type, at: new Date(at.getTime() + i * 3_600_000) }));
    // What the patient's chart held already (the seeded demo charts), then the full chart on top.
    const before = Object.fromEntries((await s.store.driver.transaction((q) => q.query<{ type: string; n: number }>(
      'SELECT type, count(*)::int AS n FROM clinical.resources WHERE patient_id = $1 AND current GROUP BY type', [p]))).rows.map((r) => [r.type, Number(r.n)]));
    const had = (type: string) => (before[type] as number | undefined) ?? 0;
    await writeClinical(s.services.db, s.services.vault, doc.practiceId!, [...mk('Condition', 20), ...mk('Observation', 200), ...mk('MedicationRequest', 30), ...mk('Encounter', 15)]);
    const honest = new Session(s, doc);
    const got: Record<string, number> = {};
    for (const m of REGISTRY.modules) {
      let path: string | null = `/fhir/${m.type}?patient=${p}&_count=50`;
      let n = 0;
      while (path) {
        const r = await honest.request('GET', path);
        expect(r.status, m.type).toBe(200);
        expect(JSON.stringify(r.body)).not.toContain('Liste coupée');
        n += (r.body.entry ?? []).length;
        const next = ((r.body.link ?? []) as { relation: string; url: string }[]).find((l) => l.relation === 'next')?.url;
        path = next ? next.replace(/^https?:\/\/[^/]+/, '') : null;
      }
      got[m.type] = n;
    }
    expect(got).toMatchObject({
      Condition: had('Condition') + 20, Observation: had('Observation') + 200, MedicationRequest: had('MedicationRequest') + 30, Encounter: had('Encounter') + 15,
    });
    const e = await honest.request('GET', `/fhir/Patient/${p}/$everything`);
    expect(e.status).toBe(200);
    expect(clinicalIn(e.body).length).toBe(Object.values(got).reduce((x, y) => x + y, 0));
  });
});
