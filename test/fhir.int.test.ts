import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeNir } from '../src/domain/index.js';
import { INS_NIR_SYSTEM } from '../src/fhir/index.js';
import { login, patientsOf, startTestApp, userOf, type TestApp } from './helpers/app.js';
import { fhir } from './helpers/fhir.js';
import { BACKENDS } from './helpers/backends.js';

describe.each(BACKENDS)('the FHIR API over HTTP ($name)', (backend) => {
  let t: TestApp;
  let doc: { access_token: string };
  let assistant: { access_token: string };
  let A: string;
  let B: string;
  let docId: string;

  beforeAll(async () => {
    t = await startTestApp({ patients: 60, backend });
    [A, B] = t.seeded.practices.map((p) => p.id) as [string, string];
    doc = await login(t, userOf(t.seeded, 'practitioner'));
    assistant = await login(t, userOf(t.seeded, 'assistant'));
    docId = userOf(t.seeded, 'practitioner').fhirId!;
  });
  afterAll(async () => t?.close());

  const q = <R>(sql: string, params: unknown[] = []) => t.store.driver.transaction((s) => s.query<R>(sql, params)).then((r) => r.rows);
  const auditCount = async () => (await q<{ n: number }>('SELECT count(*)::int n FROM audit.events'))[0]!.n;

  /** The audit rows one request added: exactly one, of the given shape. */
  async function oneAuditEvent(before: number, shape: Record<string, unknown>) {
    const rows = await q<Record<string, unknown>>('SELECT * FROM audit.events ORDER BY seq DESC LIMIT 5');
    expect((await auditCount()) - before).toBe(1);
    expect(rows[0]).toMatchObject(shape);
    return rows[0]!;
  }

  /** A patient the practitioner treats, with notes and an INS-NIR (its blind index is the clear sign of one). */
  async function patientWithCare(practiceId: string, practitionerId: string) {
    return (await q<{ id: string }>(
      `SELECT c.patient_id id FROM admin.care_relationships c JOIN admin.patients p ON p.id = c.patient_id
        WHERE c.practice_id = $1 AND c.practitioner_id = $2 AND c.kind = 'treating' AND p.nir_bidx IS NOT NULL
          AND EXISTS (SELECT 1 FROM clinical.notes n WHERE n.patient_id = c.patient_id) LIMIT 1`,
      [practiceId, practitionerId],
    ))[0]!.id;
  }

  async function patientWithoutCare(practiceId: string, practitionerId: string) {
    return (await q<{ id: string }>(
      `SELECT p.id FROM admin.patients p WHERE p.practice_id = $1
          AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
          AND NOT EXISTS (SELECT 1 FROM admin.appointments a WHERE a.patient_id = p.id AND a.practitioner_id = $2)
        LIMIT 1`,
      [practiceId, practitionerId],
    ))[0]!.id;
  }

  describe('FHIR API', () => {
    it('serves its CapabilityStatement without a token', async () => {
      const r = await t.app.inject({ method: 'GET', url: '/fhir/metadata' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
    });

    it('reads a patient (FR Core shape) with exactly one audit event', async () => {
      const id = await patientWithCare(A, docId);
      const before = await auditCount();
      const r = await fhir(t, doc.access_token, 'GET', `/fhir/Patient/${id}`);
      expect(r.status).toBe(200);
      expect(r.headers.etag).toBe('W/"1"');
      expect(r.body.identifier[0].system).toBe(INS_NIR_SYSTEM);
      expect(r.body.identifier[0].value).toMatch(/^[12]\d{14}$/);
      expect(r.body.name[0]).toMatchObject({ use: 'official' });
      await oneAuditEvent(before, { action: 'read', resource_type: 'Patient', patient_id: id, outcome: 'success', purpose: 'admin', segment: 'admin' });
    });

    it('searches with opaque paging links that carry no search term, capped _count, and audits the returned ids', async () => {
      // The commonest first letter of the practice's family names: more than a page of two.
      const letters = new Map<string, number>();
      for (const p of await patientsOf(t, A)) {
        const l = p.birthFamilyName.slice(0, 1);
        letters.set(l, (letters.get(l) ?? 0) + 1);
      }
      const [prefix, many] = [...letters].sort((x, y) => y[1] - x[1])[0]!;
      expect(many).toBeGreaterThan(2);
      const before = await auditCount();
      const r = await fhir(t, doc.access_token, 'GET', `/fhir/Patient?family=${encodeURIComponent(prefix)}&_count=2`);
      expect(r.status).toBe(200);
      expect(r.body.entry.length).toBeGreaterThan(0);
      const ev = await oneAuditEvent(before, { action: 'search', resource_type: 'Patient', outcome: 'success' });
      expect((ev.detail as { returned: string[] }).returned.sort()).toEqual(r.body.entry.map((e: { resource: { id: string } }) => e.resource.id).sort());
      for (const l of r.body.link) expect(l.url).not.toContain('family');
      const next = r.body.link.find((l: { relation: string }) => l.relation === 'next');
      expect(next).toBeDefined();
      const nextPath = new URL(next.url).pathname + new URL(next.url).search;
      const r2 = await fhir(t, doc.access_token, 'GET', nextPath);
      expect(r2.status).toBe(200);
      const idsOf = (b: { entry: { resource: { id: string } }[] }) => b.entry.map((e) => e.resource.id);
      expect(idsOf(r2.body).some((id) => idsOf(r.body).includes(id))).toBe(false);
      // A page link is its owner's only.
      expect((await fhir(t, assistant.access_token, 'GET', nextPath)).status).toBe(400);
      const big = await fhir(t, doc.access_token, 'GET', '/fhir/Patient?_count=5000');
      expect(big.body.entry.length).toBeLessThanOrEqual(50);
      expect((await fhir(t, doc.access_token, 'GET', '/fhir/Patient?nickname=x')).status).toBe(400);
    });

    it('finds a patient by INS-NIR through the blind index, and by POST _search', async () => {
      const id = await patientWithCare(A, docId);
      const p = await fhir(t, doc.access_token, 'GET', `/fhir/Patient/${id}`);
      const nir = p.body.identifier[0].value as string;
      expect(nir).toMatch(/^[12]\d{14}$/);
      const r = await t.app.inject({ method: 'POST', url: '/fhir/Patient/_search', headers: { authorization: `Bearer ${doc.access_token}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: `identifier=${encodeURIComponent(`${INS_NIR_SYSTEM}|${nir}`)}` });
      expect(r.json().entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([id]);
    });

    it('gives notes to a practitioner with a care relationship only, and never to an assistant', async () => {
      const mine = await patientWithCare(A, docId);
      let before = await auditCount();
      const notes = await fhir(t, doc.access_token, 'GET', `/fhir/DocumentReference?patient=${mine}`);
      expect(notes.status).toBe(200);
      expect(notes.body.entry.length).toBeGreaterThan(0);
      await oneAuditEvent(before, { action: 'search', resource_type: 'DocumentReference', patient_id: mine, purpose: 'care', segment: 'clinical' });
      const noteId = notes.body.entry[0].resource.id;
      before = await auditCount();
      const one = await fhir(t, doc.access_token, 'GET', `/fhir/DocumentReference/${noteId}`);
      expect(Buffer.from(one.body.content[0].attachment.data, 'base64').toString()).toMatch(/^Motif : /);
      await oneAuditEvent(before, { action: 'read', resource_type: 'DocumentReference', resource_id: noteId, outcome: 'success' });

      const stranger = await patientWithoutCare(A, docId);
      before = await auditCount();
      expect((await fhir(t, doc.access_token, 'GET', `/fhir/DocumentReference?patient=${stranger}`)).status).toBe(403);
      await oneAuditEvent(before, { action: 'search', outcome: 'denied', reason: 'no-care-relationship' });
      const denied = await fhir(t, assistant.access_token, 'GET', `/fhir/DocumentReference/${noteId}`);
      expect(denied.status).toBe(403);
      expect(JSON.stringify(denied.body)).not.toContain('Motif');
      const everything = await fhir(t, assistant.access_token, 'GET', `/fhir/Patient/${mine}/$everything`);
      expect(everything.status).toBe(200);
      expect(everything.body.entry.some((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'DocumentReference')).toBe(false);
      const full = await fhir(t, doc.access_token, 'GET', `/fhir/Patient/${mine}/$everything`);
      expect(full.body.entry.some((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'DocumentReference')).toBe(true);
    });

    it('creates and updates a patient with versioning, refusing what a client may not set', async () => {
      const nir = composeNir({ sexDigit: 2, year: 90, month: 7, birthplace: '69381', serial: 555 });
      const patient = {
        resourceType: 'Patient',
        identifier: [{ system: INS_NIR_SYSTEM, value: nir }],
        name: [{ use: 'official', family: 'Lefèvre', given: ['Claire', 'Anne'] }],
        gender: 'female',
        birthDate: '1990-07-14',
        telecom: [{ system: 'email', value: 'claire.lefevre@example.fr' }],
      };
      let before = await auditCount();
      const created = await fhir(t, assistant.access_token, 'POST', '/fhir/Patient', patient);
      expect(created.status).toBe(201);
      expect(created.headers.location).toMatch(/\/fhir\/Patient\/[0-9a-f-]{36}\/_history\/1$/);
      await oneAuditEvent(before, { action: 'create', resource_type: 'Patient', outcome: 'success' });
      const id = created.body.id;
      expect((await fhir(t, assistant.access_token, 'POST', '/fhir/Patient', patient)).status).toBe(422); // same NIR twice
      const update = { ...created.body, name: [{ use: 'official', family: 'Lefèvre', given: ['Claire'] }] };
      // FHIR's update: without If-Match it writes over the current version (the clients' default).
      before = await auditCount();
      const plain = await fhir(t, assistant.access_token, 'PUT', `/fhir/Patient/${id}`, update);
      expect(plain.status).toBe(200);
      expect(plain.body.meta.versionId).toBe('2');
      await oneAuditEvent(before, { action: 'update', resource_id: id });
      // With If-Match, only over the version it names: a stale one is 412 and writes nothing.
      before = await auditCount();
      const updated = await fhir(t, assistant.access_token, 'PUT', `/fhir/Patient/${id}`, update, { 'if-match': 'W/"2"' });
      expect(updated.status).toBe(200);
      expect(updated.body.meta.versionId).toBe('3');
      await oneAuditEvent(before, { action: 'update', resource_id: id });
      expect((await fhir(t, assistant.access_token, 'PUT', `/fhir/Patient/${id}`, update, { 'if-match': 'W/"2"' })).status).toBe(412);
      expect((await fhir(t, assistant.access_token, 'PUT', `/fhir/Patient/${id}`, update, { 'if-match': 'v3' })).status).toBe(400);
      expect((await fhir(t, assistant.access_token, 'GET', `/fhir/Patient/${id}`)).body.meta.versionId).toBe('3');
      for (const bad of [
        { ...patient, managingOrganization: { reference: `Organization/${B}` } },
        { ...patient, unknownField: 1 },
        { ...patient, meta: { security: [{ code: 'V' }] } },
        { ...patient, identifier: [{ system: INS_NIR_SYSTEM, value: nir.slice(0, 13) + '00' }] },
        { ...patient, birthDate: '2990-01-01' },
        { ...patient, id: '11111111-1111-4111-8111-111111111111' },
      ]) {
        const r = await fhir(t, assistant.access_token, 'POST', '/fhir/Patient', bad);
        expect(r.status, JSON.stringify(bad).slice(0, 80)).toBe(400);
      }
    });

    it("keeps what another system's export brings: its identifiers, active, generalPractitioner, communication", async () => {
      const old = `OLD-${Date.now()}`;
      const patient = {
        resourceType: 'Patient',
        identifier: [
          { system: 'https://github.com/synthetichealth/synthea', value: `s-${old}` },
          {
            type: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical Record Number' }],
              text: 'Medical Record Number',
            },
            system: 'http://hospital.smarthealthit.org', value: old, use: 'usual',
          },
        ],
        active: false,
        name: [{ use: 'official', family: 'Garnier', given: ['Odile'] }],
        gender: 'female',
        birthDate: '1961-03-02',
        generalPractitioner: [
          { reference: `Practitioner/${docId}` },
          { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810002345678' }, display: 'Dr Anne Roux' },
        ],
        communication: [
          { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr' }] }, preferred: true },
          { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US', display: 'English' }], text: 'English' } },
        ],
      };
      const created = await fhir(t, assistant.access_token, 'POST', '/fhir/Patient', patient);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const read = (await fhir(t, assistant.access_token, 'GET', `/fhir/Patient/${created.body.id}`)).body;
      expect(read.identifier).toEqual(patient.identifier);
      expect(read.active).toBe(false);
      expect(read.generalPractitioner).toEqual(patient.generalPractitioner);
      expect(read.communication).toEqual([
        patient.communication[0],
        { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US', display: 'English' }] } },
      ]);
      // Sealed with the identity: the old system's number is nowhere in the row in clear.
      const clear = await q<{ n: number }>(
        `SELECT count(*)::int n FROM admin.patients WHERE id = $1 AND position(convert_to($2, 'UTF8') IN
          coalesce(identity_sealed, ''::bytea) || coalesce(nir_sealed, ''::bytea)) > 0`,
        [created.body.id, old],
      );
      expect(clear[0]!.n).toBe(0);
      // An update that leaves them out clears them (an update replaces the resource); active is true again.
      const { identifier: _i, active: _a, generalPractitioner: _g, communication: _c, ...bare } = read;
      const updated = (await fhir(t, assistant.access_token, 'PUT', `/fhir/Patient/${read.id}`, bare)).body;
      expect(updated).toMatchObject({ active: true });
      expect(updated.identifier ?? []).toEqual([]);
      expect(updated.generalPractitioner).toBeUndefined();
      // What is not kept is refused and named.
      const refused = async (p: Record<string, unknown>, status: number, says: RegExp) => {
        const r = await fhir(t, assistant.access_token, 'POST', '/fhir/Patient', { ...patient, ...p });
        expect(r.status, JSON.stringify(p)).toBe(status);
        expect(JSON.stringify(r.body.issue), JSON.stringify(p)).toMatch(says);
      };
      const stranger = '11111111-1111-4111-8111-111111111111';
      await refused({ generalPractitioner: [{ reference: `Practitioner/${stranger}` }] }, 422, /generalPractitioner/);
      await refused({ generalPractitioner: [{ reference: `Organization/${A}` }] }, 400, /generalPractitioner\[0\]/);
      await refused({ identifier: [{ value: 'x' }] }, 400, /identifier\[0\]\.system/);
      await refused({ identifier: [{ system: 'urn:x:y', value: 'x', period: { start: '2020' } }] }, 400, /identifier\[0\]\.period/);
      await refused({ communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'français' }] } }] }, 400, /communication\[0\]/);
      await refused({ active: 'no' }, 400, /active/);
      await refused({ identifier: [{ system: 'urn:x:y', value: 'x', type: {} }] }, 400, /identifier\[0\]\.type needs/);
      await refused({ identifier: [{ system: 'urn:x:y', value: 'x', type: { coding: [{ system: 'urn:x:t', code: 'MR', display: 7 }] } }] },
        400, /display/);
      await refused({ generalPractitioner: [{ reference: `Practitioner/${docId}`, display: 'Dr X' }] }, 400, /not both/);
      await refused({ maritalStatus: { text: 'M' } }, 400, /Patient\.maritalStatus/);
    });

    it('narrows a patient search by gender, and refuses gender alone or an unknown value', async () => {
      for (const [given, gender] of [['Aurèle', 'male'], ['Aurélie', 'female']]) {
        const p = { resourceType: 'Patient', name: [{ use: 'official', family: 'Quennevillard', given: [given] }], gender, birthDate: '1980-02-02' };
        expect((await fhir(t, assistant.access_token, 'POST', '/fhir/Patient', p)).status).toBe(201);
      }
      const found = async (q: string) => {
        const r = await fhir(t, assistant.access_token, 'GET', `/fhir/Patient?${q}`);
        expect(r.status, q).toBe(200);
        return (r.body.entry ?? []).map((e: { resource: { gender: string } }) => e.resource.gender).sort();
      };
      expect(await found('family=Quennevill')).toEqual(['female', 'male']);
      expect(await found('family=Quennevill&gender=male')).toEqual(['male']);
      expect(await found('family=Quennevill&gender=other')).toEqual([]);
      for (const q of ['gender=female', 'family=Quennevill&gender=woman']) {
        const r = await fhir(t, assistant.access_token, 'GET', `/fhir/Patient?${q}`);
        expect(r.status, q).toBe(400);
        expect(JSON.stringify(r.body.issue)).toMatch(/gender/);
      }
    });

    it('writes a note for a patient in care, and refuses one without a care relationship', async () => {
      const mine = await patientWithCare(A, docId);
      const note = (patient: string) => ({
        resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patient}` },
        securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' }] }],
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Motif : suivi. Humeur améliorée.').toString('base64') } }],
      });
      const before = await auditCount();
      const r = await fhir(t, doc.access_token, 'POST', '/fhir/DocumentReference', note(mine));
      expect(r.status).toBe(201);
      expect(r.body.author[0].reference).toBe(`Practitioner/${docId}`);
      await oneAuditEvent(before, { action: 'create', resource_type: 'DocumentReference', labels: ['PSY'] });
      const stranger = await patientWithoutCare(A, docId);
      expect((await fhir(t, doc.access_token, 'POST', '/fhir/DocumentReference', note(stranger))).status).toBe(403);
      expect((await fhir(t, doc.access_token, 'POST', '/fhir/DocumentReference', { ...note(mine), author: [{ reference: 'Practitioner/x' }] })).status).toBe(400);
      expect((await fhir(t, assistant.access_token, 'POST', '/fhir/DocumentReference', note(mine))).status).toBe(403);
    });

    it('answers 404 for every id of another practice, and audits the attempt (BOLA)', async () => {
      const theirs = await q<{ kind: string; id: string }>(
        `(SELECT 'Patient' kind, id FROM admin.patients WHERE practice_id = $1 LIMIT 3)
         UNION ALL (SELECT 'DocumentReference', id FROM clinical.notes WHERE practice_id = $1 LIMIT 3)
         UNION ALL (SELECT 'Appointment', id FROM admin.appointments WHERE practice_id = $1 LIMIT 3)`,
        [B],
      );
      expect(theirs.length).toBe(9);
      for (const x of theirs) {
        const before = await auditCount();
        const r = await fhir(t, doc.access_token, 'GET', `/fhir/${x.kind}/${x.id}`);
        expect(r.status, x.kind).toBe(404);
        await oneAuditEvent(before, { outcome: 'denied', resource_id: x.id, practice_id: A });
      }
      expect((await fhir(t, doc.access_token, 'GET', `/fhir/Patient/${theirs[0]!.id}/$everything`)).status).toBe(404);
    });

    it('lets a patient see who opened their record, by name and role, never other patients', async () => {
      const patientUser = userOf(t.seeded, 'patient');
      const me = await login(t, patientUser);
      await fhir(t, doc.access_token, 'GET', `/fhir/Patient/${patientUser.fhirId}`);
      // The problem list read by the doctor is in it; the security officer's reading of the log is not
      // (the machinery around the record, not an access to it).
      expect((await fhir(t, doc.access_token, 'GET', `/fhir/Condition?patient=${patientUser.fhirId}`)).status).toBe(200);
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      expect((await fhir(t, officer.access_token, 'GET', `/fhir/AuditEvent?patient=${patientUser.fhirId}`)).status)
        .toBe(200);
      const r = await fhir(t, me.access_token, 'GET', '/fhir/AuditEvent');
      expect(r.status).toBe(200);
      const events = r.body.entry.map((e: { resource: Record<string, unknown> }) => e.resource);
      expect(events.length).toBeGreaterThan(0);
      const roles = events.map((e: { agent: { type?: { coding: { code: string }[] } }[] }) =>
        e.agent[0]?.type?.coding[0]?.code);
      expect(roles).not.toContain('security-officer');
      expect(events[0].subtype[0].code).toBe('search');
      expect(events[0].agent[0].who.reference).toBe(`Practitioner/${docId}`);
      expect(events[0].agent[0].who.display).toMatch(/\S+ \S+/);
      for (const e of events) {
        expect(JSON.stringify(e)).not.toMatch(/"network"/);
        for (const en of e.entity ?? []) if (en.what?.reference?.startsWith('Patient/')) expect(en.what.reference).toBe(`Patient/${patientUser.fhirId}`);
      }
      // Not another patient's record.
      const other = (await q<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 AND id <> $2 LIMIT 1', [A, patientUser.fhirId]))[0]!.id;
      expect((await fhir(t, me.access_token, 'GET', `/fhir/Patient/${other}`)).status).toBe(404);
      // Security officers search the log; practitioners may not.
      const so = await fhir(t, officer.access_token, 'GET', `/fhir/AuditEvent?patient=${patientUser.fhirId}`);
      expect(so.status).toBe(200);
      expect(so.body.entry.length).toBeGreaterThan(0);
      expect((await fhir(t, doc.access_token, 'GET', '/fhir/AuditEvent')).status).toBe(403);
    });

    it('fails the request, returning no patient data, when the audit insert fails', async () => {
      const id = await patientWithCare(A, docId);
      const p = await fhir(t, doc.access_token, 'GET', `/fhir/Patient/${id}`);
      const family = p.body.name[0].family as string;
      await t.store.driver.transaction((s) =>
        s.exec(`CREATE FUNCTION audit.fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$;
                CREATE TRIGGER fail_insert BEFORE INSERT ON audit.events FOR EACH ROW EXECUTE FUNCTION audit.fail_insert();`),
      );
      try {
        for (const url of [`/fhir/Patient/${id}`, `/fhir/Patient?family=${encodeURIComponent(family.slice(0, 2))}`, `/fhir/DocumentReference?patient=${id}`, `/fhir/Patient/${id}/$everything`]) {
          const r = await fhir(t, doc.access_token, 'GET', url);
          expect(r.status, url).toBe(500);
          expect(JSON.stringify(r.body)).not.toContain(family);
          expect(JSON.stringify(r.body)).not.toContain('Motif');
        }
      } finally {
        await t.store.driver.transaction((s) => s.exec('DROP TRIGGER fail_insert ON audit.events; DROP FUNCTION audit.fail_insert();'));
      }
    });
  });
});
