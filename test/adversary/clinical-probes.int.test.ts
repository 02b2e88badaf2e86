import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, type Json } from '../../src/resources/index.js';
import { disclosed } from '../../src/audit/disclosure.js';
import { BACKENDS } from '../helpers/backends.js';
import { writeClinical } from '../helpers/clinical.js';
import { call, login, ownPatients, Session, startServer, Thief, user, type Server } from './harness.js';

/**
 * The clinical record's edges as a thief probes them, beyond clinical*.int.test.ts: yes/no questions
 * asked of many charts (empty answers count), ids shaped like UUIDs, the patient's view of which
 * chart was searched, the same answer for another patient's resource as for none, ordonnance
 * probes, and bad input. On PostgreSQL when it answers, else on the embedded database.
 *
 *   npx vitest run test/adversary/clinical-probes.int.test.ts
 */
const DAY = 86_400_000;
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const HIV = 'http://hl7.org/fhir/sid/icd-10|B20,http://hl7.org/fhir/sid/icd-10|B21,' +
  'http://hl7.org/fhir/sid/icd-10|B22,http://hl7.org/fhir/sid/icd-10|B23,http://hl7.org/fhir/sid/icd-10|B24';

const MORE_OWN = `
  INSERT INTO admin.care_relationships (id, practice_id, patient_id, practitioner_id, kind, starts_at)
  SELECT gen_random_uuid(), p.practice_id, p.id, $2, 'treating', $3 FROM admin.patients p WHERE p.practice_id = $1
     AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
     AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id)
   ORDER BY p.id LIMIT 170`;

const preferred = BACKENDS.some((b) => b.name === 'postgres') ? 'postgres' : 'pglite';
const backends = BACKENDS.filter((b) => b.name === preferred);

describe.each(backends)('the clinical record probed by a thief ($name)', (backend) => {
  let s: Server;

  beforeAll(async () => {
    s = await startServer(backend, { practices: 1, patients: 230 });
    const since = new Date(s.now().getTime() - 400 * DAY).toISOString();
    const p = s.seeded.practices[0]!;
    await s.store.driver.transaction((q) => q.query(MORE_OWN, [p.id, user(s, 'practitioner', 0).fhirId, since]));
  });
  afterAll(async () => {
    await s?.close();
  });

  // ─── 1. yes/no questions asked of many charts ──────────────────────────────────────
  it('a stolen doctor asking patients\' charts for HIV codes is cut at 25 patients: empty answers count', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const own = await ownPatients(s, victim);
    expect(own.length).toBeGreaterThan(120);
    const at = new Date(s.now().getTime() - 30 * DAY);
    const cond = REGISTRY.module('Condition')!;
    // Every own patient has a problem (hypertension); one in twenty an HIV problem (B20).
    const hivPatients = new Set(own.filter((_, i) => i % 40 === 7));
    await writeClinical(s.services.db, s.services.vault, victim.practiceId!, own.map((p) => ({
      practiceId: victim.practiceId!, patientId: p, authorId: victim.fhirId!, type: 'Condition', at,
      body: hivPatients.has(p)
        ? { ...cond.example(p, victim.fhirId!, at), code: { coding: [{ system: ICD10, code: 'B20' }], text: 'VIH' } }
        : cond.example(p, victim.fhirId!, at),
    })));

    const thief = new Thief(s, victim, 30);
    const from = s.now();
    const negative = new Set<string>();
    const positive = new Set<string>();
    const other: number[] = [];
    const questions = new Map<number, number>();
    const start = s.now().getTime();
    for (let i = 0; i < own.length; i++) {
      const p = own[i]!;
      // POST _search, as a client would (the same route as GET).
      const r = await thief.request('POST', '/fhir/Condition/_search', { patient: p, code: HIV });
      if (r.status === 200) {
        // The same patient again, other questions: hepatitis B/C, psychosis and depression, pregnancy.
        for (const codes of ['B18.0,B18.1,B18.2,B17.1', 'F20,F20.0,F31,F32,F32.2,F33', 'Z33,Z34,O80,O02.1']) {
          const code = codes.split(',').map((c) => `${ICD10}|${c}`).join(',');
          const more = await thief.request('POST', '/fhir/Condition/_search', { patient: p, code });
          questions.set(more.status, (questions.get(more.status) ?? 0) + 1);
        }
      }
      if (r.status === 429) {
        // Throttled: wait as Retry-After says (the clock of the test server), then ask again.
        const wait = Number(r.headers.get('retry-after') ?? '60') * 1000 + 1000;
        other.push(r.status);
        s.advance(wait);
        if (s.now().getTime() - start > DAY) break;
        i--;
        continue;
      }
      if (r.status !== 200) {
        other.push(r.status);
        break;
      }
      const n = (r.body.entry ?? []).filter((e) => e.resource.resourceType === 'Condition').length;
      (n === 0 ? negative : positive).add(p);
    }
    await s.services.detection.settle();
    // What he learned, right: every answer matches the chart.
    expect([...positive].every((p) => hivPatients.has(p))).toBe(true);
    expect([...negative].every((p) => !hivPatients.has(p))).toBe(true);
    const learned = negative.size + positive.size;
    // The audit has an event per search; the detector reads every answered one as the chart opened.
    const events = (await s.store.driver.transaction((q) => q.query<{
      resource_type: string; action: string; outcome: string; resource_id: string | null;
      patient_id: string | null; purpose: string | null; labels: string[]; detail: unknown;
    }>(
      `SELECT resource_type, action, outcome, resource_id, patient_id, purpose, labels, detail FROM audit.events
        WHERE user_id = $1 AND at >= $2 AND resource_type = 'Condition'`,
      [victim.fhirId, from.toISOString()]))).rows;
    const uncounted = events.filter((e) => e.outcome === 'success' && disclosed({
      action: e.action, outcome: e.outcome, resourceType: e.resource_type, resourceId: e.resource_id,
      patientId: e.patient_id, purpose: e.purpose, labels: e.labels, detail: e.detail,
    }).length === 0);
    expect(uncounted).toEqual([]);
    // The promise: a thief learns clinical facts of at most ~25 patients in a day.
    expect(learned).toBeLessThanOrEqual(25);
  });

  // ─── 2. malformed ids that pass the route's shape checks ───────────────────────────────────
  it('bad ids shaped like UUIDs never give a 5xx, and nothing is written', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0);
    const session = new Session(s, doctor);
    const own = (await ownPatients(s, doctor))[0]!;
    const at = new Date(s.now().getTime() - DAY);
    const before = (await s.store.driver.transaction((q) => q.query<{ n: number }>(
      'SELECT count(*)::int n FROM clinical.resources'))).rows[0]!.n;
    const bad36 = '-'.repeat(36);
    const hex36 = 'a'.repeat(36);
    const obs = REGISTRY.module('Observation')!.example(own, doctor.fhirId!, at);
    const cond = REGISTRY.module('Condition')!.example(own, doctor.fhirId!, at);
    const mreq = REGISTRY.module('MedicationRequest')!.example(own, doctor.fhirId!, at);
    const tries: [string, string, string, unknown?][] = [
      ['Observation, encounter Encounter/-×36', 'POST', '/fhir/Observation',
        { ...obs, encounter: { reference: `Encounter/${bad36}` } }],
      ['Observation, encounter Encounter/a×36', 'POST', '/fhir/Observation',
        { ...obs, encounter: { reference: `Encounter/${hex36}` } }],
      ['Condition, subject Patient/-×36', 'POST', '/fhir/Condition',
        { ...cond, subject: { reference: `Patient/${bad36}` } }],
      ['Condition, subject Patient/a×36', 'POST', '/fhir/Condition',
        { ...cond, subject: { reference: `Patient/${hex36}` } }],
      ['MedicationRequest, subject Patient/-×36', 'POST', '/fhir/MedicationRequest',
        { ...mreq, subject: { reference: `Patient/${bad36}` } }],
      ['$ordonnance request=-×36', 'GET', `/fhir/Patient/${own}/$ordonnance?request=${bad36}`],
      ['$ordonnance request=a×36', 'GET', `/fhir/Patient/${own}/$ordonnance?request=${hex36}`],
    ];
    const statuses: Record<string, number> = {};
    for (const [name, method, path, body] of tries) {
      const r = await session.request(method, path, body);
      statuses[name] = r.status;
    }
    const after = (await s.store.driver.transaction((q) => q.query<{ n: number }>(
      'SELECT count(*)::int n FROM clinical.resources'))).rows[0]!.n;
    expect(after).toBe(before);
    expect(Object.values(statuses).filter((x) => x >= 500)).toEqual([]);
  });

  // ─── 3. the patient's own access history ───────────────────────────────────────────────────
  it("the patient sees the doctor's reads, vreads, histories and searches of every clinical type, " +
    'no address, no other patient', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0);
    const patientUser = s.seeded.users.find((u) => u.role === 'patient' && u.practiceId === doctor.practiceId)!;
    const patientId = patientUser.fhirId!;
    const practiceId = doctor.practiceId!;
    await s.store.driver.transaction((q) => q.query(
      `INSERT INTO admin.care_relationships (id, practice_id, patient_id, practitioner_id, kind, starts_at)
       SELECT gen_random_uuid(), $1, $2, $3, 'treating', $4
        WHERE NOT EXISTS (SELECT 1 FROM admin.care_relationships WHERE patient_id = $2 AND practitioner_id = $3)`,
      [practiceId, patientId, doctor.fhirId, new Date(s.now().getTime() - 100 * DAY).toISOString()]));
    const at = new Date(s.now().getTime() - 5 * DAY);
    const written = await writeClinical(s.services.db, s.services.vault, practiceId, REGISTRY.modules.map((m) => ({
      practiceId, patientId, authorId: doctor.fhirId!, type: m.type, at,
    })));
    const session = new Session(s, doctor);
    const from = s.now();
    s.advance(60_000);
    for (const w of written) {
      expect((await session.request('GET', `/fhir/${w.type}/${w.id}`)).status).toBe(200);
      expect((await session.request('GET', `/fhir/${w.type}/${w.id}/_history/1`)).status).toBe(200);
      expect((await session.request('GET', `/fhir/${w.type}/${w.id}/_history`)).status).toBe(200);
      expect((await session.request('GET', `/fhir/${w.type}?patient=${patientId}`)).status).toBe(200);
    }
    expect((await session.request('GET', `/fhir/Patient/${patientId}/$everything`)).status).toBe(200);
    // The patient's view.
    const token = await login(s, patientUser);
    expect(token).not.toBeNull();
    const seen: Json[] = [];
    let url: string | null = `/fhir/AuditEvent?date=ge${from.toISOString()}&_count=100`;
    while (url) {
      const r = await call(s, 'GET', url, { token: token! });
      expect(r.status).toBe(200);
      for (const e of r.body.entry ?? []) seen.push(e.resource);
      const next = ((r.body.link ?? []) as { relation: string; url: string }[]).find((l) => l.relation === 'next');
      url = next ? next.url.slice(next.url.indexOf('/fhir/')) : null;
    }
    const kinds = new Set<string>();
    for (const e of seen) {
      const entities = (e.entity ?? []) as { what?: { reference: string } }[];
      const what = entities.map((x) => x.what?.reference).filter(Boolean) as string[];
      // No network address, no other patient.
      expect(JSON.stringify(e.agent)).not.toContain('network');
      for (const w of what) if (w.startsWith('Patient/')) expect(w).toBe(`Patient/${patientId}`);
      const sub = ((e.subtype ?? []) as { code: string }[])[0]?.code;
      const typed = what.find((w) => !w.startsWith('Patient/'))?.split('/')[0];
      kinds.add(`${typed ?? '-'}:${sub}`);
    }
    // Reads name their resource: one per type (read + vread); searches name none but are there.
    for (const m of REGISTRY.modules) {
      expect(kinds.has(`${m.type}:read`)).toBe(true);
      expect(kinds.has(`${m.type}:search`)).toBe(true); // the _history names the resource
    }
    // Searches: 6 (one per type) + 6 histories: 12 search events; reads 12.
    const searchEvents = seen.filter((e) => ((e.subtype ?? []) as { code: string }[])[0]?.code === 'search');
    expect(searchEvents.length).toBeGreaterThanOrEqual(12);
  });

  // ─── 4. existence oracles for a patient account and an assistant ────────────────────────────
  it('a patient account and an assistant get the same answer for another patient\'s resource ' +
    'as for no resource', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0);
    const assistant = user(s, 'assistant', 0);
    const patientUser = s.seeded.users.find((u) => u.role === 'patient' && u.practiceId === doctor.practiceId)!;
    const practiceId = doctor.practiceId!;
    const other = (await ownPatients(s, doctor)).find((p) => p !== patientUser.fhirId)!;
    const at = new Date(s.now().getTime() - 5 * DAY);
    const [w] = await writeClinical(s.services.db, s.services.vault, practiceId, [
      { practiceId, patientId: other, authorId: doctor.fhirId!, type: 'MedicationRequest', at },
    ]);
    const none = '11111111-1111-4111-8111-111111111111';
    const out: Record<string, [number, number]> = {};
    for (const who of [patientUser, assistant]) {
      const token = await login(s, who);
      for (const [k, f] of Object.entries({
        read: (id: string) => `/fhir/MedicationRequest/${id}`,
        vread: (id: string) => `/fhir/MedicationRequest/${id}/_history/1`,
        history: (id: string) => `/fhir/MedicationRequest/${id}/_history`,
        search: (_: string, p?: string) => `/fhir/MedicationRequest?patient=${p}`,
        ordonnance: (id: string, p?: string) => `/fhir/Patient/${p}/$ordonnance?request=${id}`,
      })) {
        const a = await call(s, 'GET', f(w!.id, other), { token: token! });
        const b = await call(s, 'GET', f(none, none), { token: token! });
        out[`${who.role}:${k}`] = [a.status, b.status];
      }
    }
    for (const [k, [a, b]] of Object.entries(out)) expect(`${k} ${a}`).toBe(`${k} ${b}`);
  });

  // ─── 5. ordonnance probes without care ─────────────────────────────────────────
  it('$ordonnance for a patient without care says nothing about whose line an id is, ' +
    'and is audited as refused', async () => {
    await s.fresh();
    const thiefDoctor = user(s, 'practitioner', 0);
    const colleague = s.seeded.users.find((u) =>
      u.role === 'practitioner' && u.practiceId === thiefDoctor.practiceId && u.fhirId !== thiefDoctor.fhirId)!;
    const practiceId = thiefDoctor.practiceId!;
    // A patient of the colleague that nothing ties to the thief's victim.
    const r = await s.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT p.id FROM admin.patients p WHERE p.practice_id = $1
        AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
        AND NOT EXISTS (SELECT 1 FROM admin.appointments a WHERE a.patient_id = p.id AND a.practitioner_id = $2)
        AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY p.id LIMIT 2`,
      [practiceId, thiefDoctor.fhirId]));
    const [stranger, stranger2] = r.rows.map((x) => x.id);
    const at = new Date(s.now().getTime() - 5 * DAY);
    const [line] = await writeClinical(s.services.db, s.services.vault, practiceId, [
      { practiceId, patientId: stranger!, authorId: colleague.fhirId!, type: 'MedicationRequest', at },
    ]);
    const thief = new Thief(s, thiefDoctor, 0);
    const none = '11111111-1111-4111-8111-111111111111';
    const since = s.now();
    const own = await thief.get(`/fhir/Patient/${stranger}/$ordonnance?request=${line!.id}`);
    const wrongPatient = await thief.get(`/fhir/Patient/${stranger2}/$ordonnance?request=${line!.id}`);
    const unknown = await thief.get(`/fhir/Patient/${stranger}/$ordonnance?request=${none}`);
    const msg = (x: { body: Json }) => JSON.stringify(((x.body.issue ?? []) as Json[]).map((i) => i.diagnostics));
    const audited = (await s.store.driver.transaction((q) => q.query<{
      action: string; resource_type: string | null; outcome: string;
    }>(
      "SELECT action, resource_type, outcome FROM audit.events " +
        "WHERE user_id = $1 AND at >= $2 AND resource_type IS NOT NULL",
      [thiefDoctor.fhirId, since.toISOString()]))).rows;
    expect(`${own.status} ${msg(own)}`).toBe(`${unknown.status} ${msg(unknown)}`);
    expect(`${wrongPatient.status} ${msg(wrongPatient)}`).toBe(`${unknown.status} ${msg(unknown)}`);
    // Each probe is an access refused, and written so.
    expect(audited.filter((e) => e.resource_type === 'MedicationRequest' && e.outcome === 'denied')).toHaveLength(3);
  });
  // ─── 6. bad input on the clinical routes ───────────────────────────────────────────────────
  it('bad search parameters, bodies and If-Match never give a 5xx, and leave nothing half-written', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0);
    const session = new Session(s, doctor);
    const own = (await ownPatients(s, doctor))[1]!;
    const at = new Date(s.now().getTime() - DAY);
    const [w] = await writeClinical(s.services.db, s.services.vault, doctor.practiceId!, [
      { practiceId: doctor.practiceId!, patientId: own, authorId: doctor.fhirId!, type: 'Condition', at },
    ]);
    const count = async () => (await s.store.driver.transaction((q) => q.query<{ n: number }>(
      'SELECT count(*)::int n FROM clinical.resources'))).rows[0]!.n;
    const before = await count();
    const cond = REGISTRY.module('Condition')!.example(own, doctor.fhirId!, at);
    const q = (x: string) => `/fhir/Condition?patient=${own}&${x}`;
    const gets = [
      q('_count=0'), q('_count=99999'), q('_count=-1'), q('code='), q(`code=${'x'.repeat(201)}`),
      q(`code=${Array(21).fill('a').join(',')}`),
      q('code=%00'), q('code=a%7Cb%7Cc'), q('onset-date=ge0001-01-01'), q('onset-date=le9998-12-31'),
      q('onset-date=gt9998-12-31T23:59:59.999999999%2B14:00'),
      q('onset-date=ap2020'), q('onset-date=ne2020'), q('clinical-status=active&clinical-status=inactive'),
      q('patient.name=x'), q('_sort=date'),
      `/fhir/Condition?patient=Patient/${own.toUpperCase()}`, `/fhir/Condition/${w!.id}/_history/999999999`,
      `/fhir/Condition/${w!.id}/_history/0`,
      `/fhir/Condition/${w!.id}/_history?_count=1000`, `/fhir/Condition?_cursor=${'a'.repeat(24)}.${'b'.repeat(43)}`,
    ];
    const bad: Record<string, number> = {};
    for (const g of gets) {
      const r = await session.request('GET', g);
      if (r.status >= 500) bad[`GET ${g}`] = r.status;
    }
    const put = async (body: unknown, ifMatch?: string) => {
      const r = await fetch(`${s.base}/fhir/Condition/${w!.id}`, {
        method: 'PUT', body: JSON.stringify(body),
        headers: {
          authorization: `Bearer ${await session.tokens()}`, 'content-type': 'application/fhir+json',
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) medvault-adversary',
          ...(ifMatch ? { 'if-match': ifMatch } : {}),
        },
      });
      return r.status;
    };
    const puts: [string, unknown, string | undefined][] = [
      ['no If-Match', { ...cond, id: w!.id }, undefined],
      ['If-Match W/"0"', { ...cond, id: w!.id }, 'W/"0"'],
      ['If-Match W/"999999999"', { ...cond, id: w!.id }, 'W/"999999999"'],
      ['If-Match "1"', { ...cond, id: w!.id }, '"1"'],
      ['If-Match *', { ...cond, id: w!.id }, '*'],
      ['subject of another patient',
        { ...cond, id: w!.id, subject: { reference: `Patient/${(await ownPatients(s, doctor))[2]}` } }, 'W/"1"'],
      ['encounter a number', { ...cond, id: w!.id, encounter: { reference: 12 } }, 'W/"1"'],
      ['encounter unknown',
        { ...cond, id: w!.id, encounter: { reference: 'Encounter/11111111-1111-4111-8111-111111111111' } }, 'W/"1"'],
      ['meta.security not an array', { ...cond, id: w!.id, meta: { security: 'HIV' } }, 'W/"1"'],
      ['meta.security junk', { ...cond, id: w!.id, meta: { security: [null, 1, { system: 1 }] } }, 'W/"1"'],
      ['array body', [cond], 'W/"1"'],
      ['deep', {
        ...cond, id: w!.id, note: [{ text: 'x', extension: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) }],
      }, 'W/"1"'],
      ['onset year 0001', { ...cond, id: w!.id, onsetDateTime: '0001-01-01' }, 'W/"1"'],
      ['onset 9999-12-31T23:59:59+14:00', { ...cond, id: w!.id, onsetDateTime: '9999-12-31T23:59:59+14:00' }, 'W/"1"'],
      ['onset leap 2023-02-29', { ...cond, id: w!.id, onsetDateTime: '2023-02-29' }, 'W/"1"'],
      ['onsetPeriod.start bad',
        { ...cond, id: w!.id, onsetDateTime: undefined, onsetPeriod: { start: '2020-13-01' } }, 'W/"1"'],
      ['__proto__', JSON.parse(
        `{"resourceType":"Condition","id":"${w!.id}","__proto__":{"x":1},` +
          `"subject":{"reference":"Patient/${own}"},"code":{"text":"x"}}`), 'W/"1"'],
    ];
    const putStatus: Record<string, number> = {};
    for (const [name, body, m] of puts) putStatus[name] = await put(body, m);
    const posts: [string, string, unknown][] = [
      ['Observation valueQuantity 1e308', '/fhir/Observation', {
        ...REGISTRY.module('Observation')!.example(own, doctor.fhirId!, at),
        valueQuantity: { value: 1e308, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      }],
      ['Immunization occurrence year 0001', '/fhir/Immunization', {
        ...REGISTRY.module('Immunization')!.example(own, doctor.fhirId!, at), occurrenceDateTime: '0001-01-01',
      }],
      ['MedicationRequest authoredOn 9999', '/fhir/MedicationRequest', {
        ...REGISTRY.module('MedicationRequest')!.example(own, doctor.fhirId!, at),
        authoredOn: '9999-12-31T23:59:59+14:00',
      }],
      ['Encounter period start after end', '/fhir/Encounter', {
        ...REGISTRY.module('Encounter')!.example(own, doctor.fhirId!, at),
        period: { start: '2026-01-02', end: '2026-01-01' },
      }],
      ['_search body array', '/fhir/Condition/_search', [own]],
      ['_search body nested', '/fhir/Condition/_search', { patient: { reference: own } }],
    ];
    const postStatus: Record<string, number> = {};
    for (const [name, path, body] of posts) postStatus[name] = (await session.request('POST', path, body)).status;
    const after = await count();
    // Only what was accepted was written: the creations, and the one update sent without If-Match
    // (written over the current version, as FHIR's update does); every later one named a stale version.
    expect(putStatus['no If-Match']).toBe(200);
    expect(Object.entries(putStatus).filter(([, v]) => v === 200).map(([k]) => k)).toEqual(['no If-Match']);
    const accepted = Object.values(postStatus).filter((v) => v === 201).length + 1;
    expect(after - before).toBe(accepted);
    expect(bad).toEqual({});
    expect(Object.entries({ ...putStatus, ...postStatus }).filter(([, v]) => v >= 500)).toEqual([]);
  });

  // ─── 7. which clinical type a search read, as the patient sees it ───────────────────────────
  it('the patient can tell which clinical type a doctor searched', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0);
    const patientUser = s.seeded.users.find((u) => u.role === 'patient' && u.practiceId === doctor.practiceId)!;
    const patientId = patientUser.fhirId!;
    const session = new Session(s, doctor);
    const from = s.now();
    s.advance(60_000);
    // The care relationship was added by test 3.
    for (const m of REGISTRY.modules) {
      expect((await session.request('GET', `/fhir/${m.type}?patient=${patientId}`)).status).toBe(200);
    }
    const token = await login(s, patientUser);
    const r = await call(s, 'GET', `/fhir/AuditEvent?date=ge${from.toISOString()}&_count=100`, { token: token! });
    const searches = (r.body.entry ?? []).map((e) => e.resource)
      .filter((e) => ((e.subtype ?? []) as { code: string }[])[0]?.code === 'search');
    const shown = searches.map((e) => JSON.stringify({ entity: e.entity, type: e.type, subtype: e.subtype }));
    expect(searches.length).toBe(REGISTRY.modules.length);
    expect(new Set(shown).size).toBe(REGISTRY.modules.length);
  });
});
