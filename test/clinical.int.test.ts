import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../src/resources/index.js';
import { bearer, login, userOf, type TestApp, startTestApp } from './helpers/app.js';
import { fhir as fhirRequest } from './helpers/fhir.js';
import { validationErrors } from './helpers/validators.js';
import { BACKENDS } from './helpers/backends.js';

/** The registry's clinical types over HTTP: written, read, versioned, searched, refused where the policy says. */
describe.each(BACKENDS)('clinical resources over HTTP ($name)', (backend) => {
  let t: TestApp;
  let doc: string;
  let assistant: string;
  let docId: string;
  let patient: string;
  /**
   * Every request of this file goes through both independent validators (FHIR.js and
   * @medplum/core): each clinical resource the server returns, alone or in a bundle, has 0 errors.
   */
  const fhir: typeof fhirRequest = async (...args) => {
    const r = await fhirRequest(...args);
    const body = r.body as Record<string, unknown> | null;
    if (body && body.resourceType !== 'OperationOutcome') {
      const resources = body.resourceType === 'Bundle'
        ? ((body.entry ?? []) as { resource: Record<string, unknown> }[]).map((e) => e.resource)
        : [body];
      for (const x of resources) {
        if (x.resourceType === 'OperationOutcome' || x.resourceType === 'Patient') continue;
        expect(validationErrors(x), `${String(x.resourceType)} ${JSON.stringify(x).slice(0, 300)}`).toEqual([]);
        validated.add(String(x.resourceType));
      }
    }
    return r;
  };
  const validated = new Set<string>();
  const q = <R>(sql: string, params: unknown[] = []) =>
    t.store.driver.transaction((s) => s.query<R>(sql, params)).then((r) => r.rows);
  /** The server's logged request failures: why a status was not the one expected. */
  const failures = (max: number): string =>
    t.logs().split('\n').filter((l) => l.includes('request failed')).join('\n').slice(0, max);

  beforeAll(async () => {
    t = await startTestApp({ patients: 40, backend });
    doc = (await login(t, userOf(t.seeded, 'practitioner'))).access_token;
    assistant = (await login(t, userOf(t.seeded, 'assistant'))).access_token;
    docId = userOf(t.seeded, 'practitioner').fhirId!;
    const practice = t.seeded.practices[0]!.id;
    patient = (await q<{ id: string }>(
      `SELECT patient_id id FROM admin.care_relationships
        WHERE practice_id = $1 AND practitioner_id = $2 AND kind = 'treating' LIMIT 1`,
      [practice, docId],
    ))[0]!.id;
  });
  afterAll(async () => t?.close());

  for (const m of REGISTRY.modules) {
    describe(m.type, () => {
      it('is created, read, updated (If-Match), read at each version, and found in the patient\'s record', async () => {
        const example = m.example(patient, docId, new Date());
        const created = await fhir(t, doc, 'POST', `/fhir/${m.type}`, example);
        expect(created.status, failures(2000)).toBe(201);
        const id = created.body.id as string;
        expect(created.body.meta.versionId).toBe('1');
        expect(created.headers.etag).toBe('W/"1"');
        const read = await fhir(t, doc, 'GET', `/fhir/${m.type}/${id}`);
        expect(read.status, failures(1500)).toBe(200);
        expect(read.body).toMatchObject({ resourceType: m.type, id });
        // A standard client sends back what it read, meta and author elements included.
        const again = read.body;
        const stale = await fhir(t, doc, 'PUT', `/fhir/${m.type}/${id}`, again, { 'if-match': 'W/"7"' });
        expect(stale.status).toBe(412);
        const updated = await fhir(t, doc, 'PUT', `/fhir/${m.type}/${id}`, again, { 'if-match': 'W/"1"' });
        expect(updated.status, JSON.stringify(updated.body)).toBe(200);
        expect(updated.body.meta.versionId).toBe('2');
        expect((await fhir(t, doc, 'GET', `/fhir/${m.type}/${id}/_history/1`)).body.meta.versionId).toBe('1');
        // Without If-Match (a standard client's default update) it writes over the current version;
        // two at once are both written, one after the other — never a lost update, never a 412.
        const plain = await fhir(t, doc, 'PUT', `/fhir/${m.type}/${id}`, again);
        expect(plain.status, JSON.stringify(plain.body)).toBe(200);
        expect(plain.body.meta.versionId).toBe('3');
        const both = await Promise.all([1, 2].map(() => fhir(t, doc, 'PUT', `/fhir/${m.type}/${id}`, again)));
        expect(both.map((r) => r.status)).toEqual([200, 200]);
        expect(both.map((r) => r.body.meta.versionId).sort()).toEqual(['4', '5']);
        const history = await fhir(t, doc, 'GET', `/fhir/${m.type}/${id}/_history`);
        type Version = { resource: { meta: { versionId: string } } };
        expect(history.body.entry.map((e: Version) => e.resource.meta.versionId)).toEqual(['5', '4', '3', '2', '1']);
        const found = await fhir(t, doc, 'GET', `/fhir/${m.type}?patient=${patient}`);
        expect(found.status).toBe(200);
        expect(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toContain(id);
        for (const p of m.search.filter((s) => s.index === 'token')) {
          // The example's own codes find it; a code it does not have finds nothing of it.
          const miss = await fhir(t, doc, 'GET', `/fhir/${m.type}?patient=${patient}&${p.name}=no-such-code`);
          expect(miss.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).not.toContain(id);
        }
      });

      it('is never given to an assistant, and a search needs its patient', async () => {
        expect((await fhir(t, assistant, 'GET', `/fhir/${m.type}?patient=${patient}`)).status).toBe(403);
        const written = await fhir(t, assistant, 'POST', `/fhir/${m.type}`, m.example(patient, docId, new Date()));
        expect(written.status).toBe(403);
        expect((await fhir(t, doc, 'GET', `/fhir/${m.type}`)).status).toBe(400);
      });
    });
  }

  it('finds a problem by its code and not by another, and labels an HIV problem like an HIV note', async () => {
    const hiv = {
      ...REGISTRY.module('Condition')!.example(patient, docId, new Date()),
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'B20' }] },
    };
    const r = await fhir(t, doc, 'POST', '/fhir/Condition', hiv);
    expect(r.status).toBe(201);
    expect(r.body.meta.security).toContainEqual(expect.objectContaining({ code: 'HIV' }));
    const byCode = await fhir(
      t, doc, 'GET', `/fhir/Condition?patient=${patient}&code=http://hl7.org/fhir/sid/icd-10|B20`,
    );
    expect(byCode.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([r.body.id]);
    const audit = await q<{ labels: string[]; action: string }>(
      `SELECT labels, action FROM audit.events
        WHERE resource_type = 'Condition' AND action = 'search' ORDER BY seq DESC LIMIT 1`,
    );
    expect(audit[0]!.labels).toContain('HIV');
  });

  it('refuses a resource its module does not accept, with the reasons and nothing written', async () => {
    const before = (await q<{ n: number }>('SELECT count(*)::int n FROM clinical.resources'))[0]!.n;
    const bad = {
      ...REGISTRY.module('Condition')!.example(patient, docId, new Date()),
      asserter: { reference: `Practitioner/${docId}` }, onsetDateTime: '2999-01-01',
    };
    const r = await fhir(t, doc, 'POST', '/fhir/Condition', bad);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('asserter is set by medvault');
    expect(JSON.stringify(r.body)).toContain('in the future');
    expect((await q<{ n: number }>('SELECT count(*)::int n FROM clinical.resources'))[0]!.n).toBe(before);
  });

  it('prints the prescriber\'s lines as an ordonnance, and nothing of another patient', async () => {
    const m = REGISTRY.module('MedicationRequest')!;
    const line = (drug: string, dosage: string, substitutable: boolean) => {
      type Ex = { medicationCodeableConcept: object; dosageInstruction: object[] };
      const ex = m.example(patient, docId, new Date()) as Record<string, unknown> & Ex;
      return {
        ...ex,
        medicationCodeableConcept: { ...ex.medicationCodeableConcept, text: drug },
        dosageInstruction: [{ ...ex.dosageInstruction[0], text: dosage }],
        substitution: substitutable ? { allowedBoolean: true } : { allowedBoolean: false, reason: { text: 'MTE' } },
      };
    };
    const amlodipine = line('Amlodipine 5 mg, comprimé', '1 comprimé le matin', true);
    const a = await fhir(t, doc, 'POST', '/fhir/MedicationRequest', amlodipine);
    const paracetamol = line('Paracétamol 1 g, comprimé', '1 comprimé 3 fois par jour si douleur', false);
    const b = await fhir(t, doc, 'POST', '/fhir/MedicationRequest', paracetamol);
    expect([a.status, b.status], JSON.stringify([a.body, b.body]).slice(0, 600)).toEqual([201, 201]);
    const ordonnance = (patientId: string, request: string, token: string) => t.app.inject({
      method: 'GET', url: `/fhir/Patient/${patientId}/$ordonnance?request=${request}`, headers: bearer(token),
    });
    const r = await ordonnance(patient, `${a.body.id},${b.body.id}`, doc);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('application/pdf');
    const file = join(mkdtempSync(join(tmpdir(), 'ordo-')), 'o.pdf');
    writeFileSync(file, r.rawPayload);
    const pdfText = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(pdfText).toContain('Amlodipine 5 mg');
    expect(pdfText).toContain('1 comprimé 3 fois par jour si douleur');
    expect(pdfText).toMatch(/Non substituable/i);
    expect(pdfText).toContain('MTE');
    expect(pdfText).toContain('Signature du prescripteur');
    // Another of her patients: the line is not theirs (refused, audited). A patient she has no care
    // for: the search of their prescriptions is refused before any line is looked at.
    const other = (await q<{ id: string }>(
      `SELECT patient_id id FROM admin.care_relationships
        WHERE practice_id = $1 AND practitioner_id = $2 AND patient_id <> $3 AND kind = 'treating' LIMIT 1`,
      [t.seeded.practices[0]!.id, docId, patient],
    ))[0]!.id;
    const wrong = await ordonnance(other, a.body.id, doc);
    expect(wrong.statusCode).toBe(400);
    const stranger = (await q<{ id: string }>(
      `SELECT p.id FROM admin.patients p WHERE p.practice_id = $1
        AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
        AND NOT EXISTS (SELECT 1 FROM admin.appointments x WHERE x.patient_id = p.id AND x.practitioner_id = $2) LIMIT 1`,
      [t.seeded.practices[0]!.id, docId],
    ))[0]!.id;
    expect((await ordonnance(stranger, a.body.id, doc)).statusCode).toBe(403);
    const refused = await q<{ outcome: string }>(
      `SELECT outcome FROM audit.events WHERE resource_type = 'MedicationRequest' AND patient_id = ANY($1::uuid[])
        AND outcome = 'denied'`, [[other, stranger]],
    );
    expect(refused.length).toBe(2);
    const byAssistant = await ordonnance(patient, a.body.id, assistant);
    expect(byAssistant.statusCode).toBe(400);
  });

  it('gives the doctor the whole record with every clinical type, the assistant none, audited by type', async () => {
    for (const m of REGISTRY.modules) {
      const written = await fhir(t, doc, 'POST', `/fhir/${m.type}`, m.example(patient, docId, new Date()));
      expect(written.status).toBe(201);
    }
    const condition = REGISTRY.module('Condition')!.example(patient, docId, new Date());
    const made = await fhir(t, doc, 'POST', '/fhir/Condition', condition);
    expect(made.status).toBe(201);
    const all = await fhir(t, doc, 'GET', `/fhir/Patient/${patient}/$everything`);
    expect(all.status).toBe(200);
    const types = new Set(all.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType));
    for (const m of REGISTRY.modules) expect(types, m.type).toContain(m.type);
    const audit = await q<{ detail: { resources?: Record<string, string[]> } }>(
      `SELECT detail FROM audit.events WHERE action = 'everything' AND outcome = 'success' ORDER BY seq DESC LIMIT 1`,
    );
    expect(audit[0]!.detail.resources?.Condition).toContain(made.body.id);
    const mine = await fhir(t, assistant, 'GET', `/fhir/Patient/${patient}/$everything`);
    const seen = new Set(
      (mine.body.entry ?? []).map((e: { resource: { resourceType: string } }) => e.resource.resourceType),
    );
    for (const m of REGISTRY.modules) expect(seen.has(m.type), m.type).toBe(false);
  });

  it('had both validators check every clinical type the server returned, searches included', () => {
    for (const m of REGISTRY.modules) expect(validated, m.type).toContain(m.type);
  });

  it('keeps the sensitivity label a client asserts on a problem in words, and refuses an unknown one', async () => {
    const inWords = {
      ...REGISTRY.module('Condition')!.example(patient, docId, new Date()),
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' }] },
    };
    const r = await fhir(t, doc, 'POST', '/fhir/Condition', inWords);
    expect(r.status).toBe(201);
    expect(r.body.meta.security).toContainEqual(expect.objectContaining({ code: 'PSY' }));
    expect(r.body.meta.security).toContainEqual(expect.objectContaining({ code: 'R' }));
    const bad = { ...inWords, meta: { security: [{ system: 'http://example.org/x', code: 'SECRET' }] } };
    expect((await fhir(t, doc, 'POST', '/fhir/Condition', bad)).status).toBe(400);
  });

  it('pages a history and a search through their next links', async () => {
    const m = REGISTRY.module('AllergyIntolerance')!;
    const first = await fhir(t, doc, 'POST', `/fhir/${m.type}`, m.example(patient, docId, new Date()));
    let current = first.body;
    for (let v = 1; v <= 3; v++) {
      const next = await fhir(t, doc, 'PUT', `/fhir/${m.type}/${current.id}`, current, { 'if-match': `W/"${v}"` });
      expect(next.status).toBe(200);
      current = next.body;
    }
    const follow = async (url: string) => {
      const seen: string[] = [];
      let next: string | undefined = url;
      while (next) {
        const page = await fhir(t, doc, 'GET', next.replace(/^https?:\/\/[^/]+/, ''));
        expect(page.status).toBe(200);
        type Entry = { resource: { id: string; meta: { versionId: string } } };
        seen.push(...page.body.entry.map((e: Entry) => `${e.resource.id}/${e.resource.meta.versionId}`));
        next = page.body.link.find((l: { relation: string }) => l.relation === 'next')?.url;
      }
      return seen;
    };
    const everyVersion = [4, 3, 2, 1].map((v) => `${current.id}/${v}`);
    expect(await follow(`/fhir/${m.type}/${current.id}/_history?_count=3`)).toEqual(everyVersion);
    const all = await follow(`/fhir/${m.type}?patient=${patient}&_count=1`);
    expect(all).toContain(`${current.id}/4`);
    expect(new Set(all).size).toBe(all.length);
  });

  it('finds the lines and vitals of one consultation by its encounter', async () => {
    const encounter = REGISTRY.module('Encounter')!.example(patient, docId, new Date());
    const visit = await fhir(t, doc, 'POST', '/fhir/Encounter', encounter);
    expect(visit.status).toBe(201);
    const ref = { reference: `Encounter/${visit.body.id}` };
    for (const type of ['Observation', 'MedicationRequest', 'Condition']) {
      const example = { ...REGISTRY.module(type)!.example(patient, docId, new Date()), encounter: ref };
      const made = await fhir(t, doc, 'POST', `/fhir/${type}`, example);
      expect(made.status, type).toBe(201);
      const ids = async (q: string) => (await fhir(t, doc, 'GET', `/fhir/${type}?patient=${patient}&${q}`)).body.entry
        .map((e: { resource: { id: string } }) => e.resource.id);
      expect(await ids(`encounter=Encounter/${visit.body.id}`), type).toEqual([made.body.id]);
      expect(await ids(`encounter=${visit.body.id}`), type).toEqual([made.body.id]);
      expect(await ids(`encounter=Encounter/${patient}`), type).toEqual([]);
    }
  });

  it('finds resources by _id and by when they were last updated (a client syncing what changed)', async () => {
    const before = t.now().toISOString();
    const a = await fhir(t, doc, 'POST', '/fhir/AllergyIntolerance', REGISTRY.module('AllergyIntolerance')!.example(patient, docId, new Date()));
    const b = await fhir(t, doc, 'POST', '/fhir/AllergyIntolerance', REGISTRY.module('AllergyIntolerance')!.example(patient, docId, new Date()));
    expect([a.status, b.status]).toEqual([201, 201]);
    const ids = async (query: string) => {
      const r = await fhir(t, doc, 'GET', `/fhir/AllergyIntolerance?patient=${patient}&${query}`);
      expect(r.status, `${query} ${JSON.stringify(r.body).slice(0, 200)}`).toBe(200);
      return (r.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
    };
    expect(await ids(`_id=${a.body.id}`)).toEqual([a.body.id]);
    expect(await ids(`_id=${a.body.id},${b.body.id}`)).toEqual([a.body.id, b.body.id].sort());
    expect(await ids(`_id=${patient}`)).toEqual([]);
    const since = await ids(`_lastUpdated=ge${encodeURIComponent(before)}`);
    expect(since).toEqual(expect.arrayContaining([a.body.id, b.body.id]));
    expect(await ids(`_lastUpdated=lt${encodeURIComponent(before)}&_id=${a.body.id}`)).toEqual([]);
    // An update moves a resource's last update: what was written before it no longer counts.
    t.advance(60_000);
    const mark = t.now().toISOString();
    t.advance(1_000);
    const updated = await fhir(t, doc, 'PUT', `/fhir/AllergyIntolerance/${a.body.id}`, { ...a.body, meta: undefined, text: undefined, recorder: undefined });
    expect(updated.status, JSON.stringify(updated.body).slice(0, 300)).toBe(200);
    expect(await ids(`_lastUpdated=gt${encodeURIComponent(mark)}`)).toEqual([a.body.id]);
    for (const bad of ['_id=nope', '_lastUpdated=yesterday', `_id=${'a,'.repeat(60)}`]) {
      const r = await fhir(t, doc, 'GET', `/fhir/AllergyIntolerance?patient=${patient}&${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('sorts a search by clinical date or last update, either way, and keeps the order on the next page (_sort)', async () => {
    const made: string[] = [];
    for (const day of ['2025-01-10', '2025-02-10', '2025-01-20']) {
      t.advance(1_000);
      const r = await fhir(t, doc, 'POST', '/fhir/Observation', REGISTRY.module('Observation')!.example(patient, docId, new Date(`${day}T09:00:00Z`)));
      expect(r.status).toBe(201);
      made.push(r.body.id as string);
    }
    const [jan10, feb10, jan20] = made as [string, string, string];
    const order = async (sort: string) => {
      const r = await fhir(t, doc, 'GET', `/fhir/Observation?patient=${patient}&_id=${made.join(',')}&_sort=${sort}`);
      expect(r.status, sort).toBe(200);
      return r.body.entry.map((e: { resource: { id: string } }) => e.resource.id);
    };
    expect(await order('date')).toEqual([jan10, jan20, feb10]);
    expect(await order('-date')).toEqual([feb10, jan20, jan10]);
    expect(await order('_lastUpdated')).toEqual([jan10, feb10, jan20]);
    expect(await order('-_lastUpdated')).toEqual([jan20, feb10, jan10]);
    // One a page: the next page continues in the same order.
    const first = await fhir(t, doc, 'GET', `/fhir/Observation?patient=${patient}&_id=${made.join(',')}&_sort=date&_count=1`);
    expect(first.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([jan10]);
    const next = new URL(first.body.link.find((l: { relation: string }) => l.relation === 'next').url);
    const second = await fhir(t, doc, 'GET', next.pathname + next.search);
    expect(second.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([jan20]);
    for (const bad of ['code', 'date,code', '']) {
      const r = await fhir(t, doc, 'GET', `/fhir/Observation?patient=${patient}&_sort=${bad}`);
      expect(r.status, bad).toBe(400);
    }
  });

  it('patches a resource with JSON Patch: the next version, checked like an update; a failed test or a bad path changes nothing', async () => {
    const made = await fhir(t, doc, 'POST', '/fhir/Condition', REGISTRY.module('Condition')!.example(patient, docId, new Date()));
    expect(made.status).toBe(201);
    const url = `/fhir/Condition/${made.body.id}`;
    const patch = (ops: unknown, headers: Record<string, string> = {}) => t.app.inject({
      method: 'PATCH', url, payload: JSON.stringify(ops),
      headers: { ...bearer(doc), 'content-type': 'application/json-patch+json', ...headers },
    });
    const resolved = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] };
    const ok = await patch([
      { op: 'test', path: '/id', value: made.body.id },
      { op: 'replace', path: '/clinicalStatus', value: resolved },
      { op: 'add', path: '/abatementDateTime', value: made.body.onsetDateTime ?? '2026-01-01' },
    ]);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ meta: { versionId: '2' }, clinicalStatus: resolved });
    expect(validationErrors(ok.json())).toEqual([]);
    const failures: [unknown, number, Record<string, string>?][] = [
      [[{ op: 'test', path: '/clinicalStatus/coding/0/code', value: 'active' }], 422],
      [[{ op: 'replace', path: '/nowhere/deep', value: 1 }], 400],
      [[{ op: 'replace', path: '/id', value: patient }], 400],
      [[{ op: 'replace', path: '/clinicalStatus', value: 'not a concept' }], 400],
      [{ op: 'remove', path: '/note' }, 400],
      [[], 400],
      [[{ op: 'remove', path: '/abatementDateTime' }], 412, { 'if-match': 'W/"1"' }],
    ];
    for (const [ops, status, headers] of failures) {
      const r = await patch(ops, headers);
      expect(r.statusCode, JSON.stringify(ops)).toBe(status);
      expect(r.json().resourceType).toBe('OperationOutcome');
      expect(r.body).not.toContain(patient);
    }
    const now = await fhir(t, doc, 'GET', url);
    expect(now.body.meta.versionId).toBe('2');
    // The assistant's patch is refused as her update would be: clinical content is not hers.
    const theirs = await t.app.inject({
      method: 'PATCH', url, payload: JSON.stringify([{ op: 'remove', path: '/abatementDateTime' }]),
      headers: { ...bearer(assistant), 'content-type': 'application/json-patch+json' },
    });
    expect(theirs.statusCode).toBe(403);
  });
});
