/**
 * Batches and transactions at POST /fhir: each entry served as a request of its own (policy, care,
 * ledger, audit), urn:uuid and conditional references resolved, conditional creates, a transaction
 * kept whole or not at all, a batch entry by entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeNir } from '../src/domain/index.js';
import { INS_NIR_SYSTEM } from '../src/fhir/index.js';
import { REGISTRY } from '../src/resources/index.js';
import { login, startTestApp, userOf, type TestApp } from './helpers/app.js';
import { BACKENDS } from './helpers/backends.js';
import { expectValidFhir } from './helpers/fhir.js';

type Json = Record<string, unknown>;

describe.each(BACKENDS)('batches and transactions ($name)', (backend) => {
  let t: TestApp;
  let token: string;
  let patient: string;
  let doctorId: string;
  beforeAll(async () => {
    t = await startTestApp({ backend });
    const doctor = userOf(t.seeded, 'practitioner');
    doctorId = doctor.fhirId!;
    token = (await login(t, doctor)).access_token;
    patient = (await t.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT patient_id id FROM admin.care_relationships
        WHERE practice_id = $1 AND practitioner_id = $2 AND kind = 'treating' LIMIT 1`,
      [t.seeded.practices[0]!.id, doctorId],
    ))).rows[0]!.id;
  });
  afterAll(async () => t?.close());

  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', ...extra,
  });
  const post = (body: Json, extra: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/fhir', headers: headers(extra), payload: JSON.stringify(body) });
  const example = (type: string) => REGISTRY.module(type)!.example(patient, doctorId, new Date(Date.now() - 3_600_000)) as Json;
  const count = async (type: string) => {
    const r = await t.app.inject({ method: 'GET', url: `/fhir/${type}?patient=${patient}&_count=50`, headers: headers() });
    return ((r.json().entry ?? []) as unknown[]).length;
  };
  const auditCount = async (outcome: string) => (await t.store.driver.transaction((q) => q.query<{ n: string }>(
    'SELECT count(*) n FROM audit.events WHERE outcome = $1', [outcome],
  ))).rows[0]!.n;

  /** A new patient as an import would send it: its NIR, a name, a birth date. */
  function newPatient(serial: number): Json {
    return {
      resourceType: 'Patient', gender: 'female', birthDate: '1984-06-02',
      identifier: [{ system: INS_NIR_SYSTEM, value: composeNir({ sexDigit: 2, year: 84, month: 6, birthplace: '75056', serial }) }],
      name: [{ use: 'official', family: 'Lemaire', given: ['Claire'] }],
    };
  }

  describe('POST /fhir', () => {
    it('commits a transaction whole: every entry created, references to its urn:uuid entries resolved', async () => {
      const conditions = await count('Condition');
      const condition = example('Condition');
      const visit = 'urn:uuid:9c8b7a6d-0000-4b4b-8c8c-0123456789ab';
      // The observation names the consultation of the same Bundle, listed after it.
      const observation = { ...example('Observation'), encounter: { reference: visit } };
      const bundle = {
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:2d8f1a9c-1111-4a4a-8b8b-0123456789ab', resource: condition, request: { method: 'POST', url: 'Condition' } },
          { fullUrl: 'urn:uuid:5e7c2b1d-2222-4c4c-9d9d-0123456789ab', resource: observation, request: { method: 'POST', url: 'Observation' } },
          { fullUrl: visit, resource: example('Encounter'), request: { method: 'POST', url: 'Encounter' } },
        ],
      };
      const r = await post(bundle);
      expect(r.statusCode, r.body).toBe(200);
      const out = r.json();
      expectValidFhir(out);
      expect(out).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
      expect(out.entry.map((e: Json) => (e.response as Json).status)).toEqual(['201 Created', '201 Created', '201 Created']);
      expect((out.entry[0].response as Json).location).toMatch(/^Condition\/[0-9a-f-]{36}\/_history\/1$/);
      expect(out.entry[0].resource).toMatchObject({ resourceType: 'Condition', subject: { reference: `Patient/${patient}` } });
      const encounterId = (out.entry[2].resource as Json).id as string;
      expect(out.entry[1].resource).toMatchObject({ encounter: { reference: `Encounter/${encounterId}` } });
      expect(await count('Condition')).toBe(conditions + 1);
    });

    it('keeps nothing of a transaction with one failing entry, answers its outcome, and still audits the refusal', async () => {
      const conditions = await count('Condition');
      const denied = Number(await auditCount('denied'));
      const stranger = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
      const bundle = {
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { resource: example('Condition'), request: { method: 'POST', url: 'Condition' } },
          { resource: { ...example('Condition'), subject: { reference: `Patient/${stranger}` } }, request: { method: 'POST', url: 'Condition' } },
        ],
      };
      const r = await post(bundle);
      expect(r.statusCode).toBe(404);
      const outcome = r.json();
      expectValidFhir(outcome);
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0].diagnostics).toMatch(/^Bundle\.entry\[1\]: /);
      expect(await count('Condition')).toBe(conditions);
      // The refused entry's audit outlived the rollback.
      expect(Number(await auditCount('denied'))).toBeGreaterThan(denied);
    });

    it('answers a batch entry by entry: one failing does not stop the others', async () => {
      const conditions = await count('Condition');
      const bundle = {
        resourceType: 'Bundle', type: 'batch',
        entry: [
          { resource: { ...example('Condition'), clinicalStatus: 'active' }, request: { method: 'POST', url: 'Condition' } },
          { resource: example('Condition'), request: { method: 'POST', url: 'Condition' } },
          { request: { method: 'GET', url: `Condition?patient=${patient}` } },
        ],
      };
      const r = await post(bundle);
      expect(r.statusCode).toBe(200);
      const out = r.json();
      expectValidFhir(out);
      expect(out.type).toBe('batch-response');
      expect(out.entry.map((e: Json) => (e.response as Json).status)).toEqual(['400 Bad Request', '201 Created', '200 OK']);
      expect(out.entry[0].response.outcome.resourceType).toBe('OperationOutcome');
      expect(out.entry[2].resource).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
      expect(await count('Condition')).toBe(conditions + 1);
    });

    it('creates once under If-None-Exist, in a transaction and on a create of its own', async () => {
      const body = newPatient(77);
      const nir = (body.identifier as Json[])[0]!.value as string;
      const ifNoneExist = `identifier=${INS_NIR_SYSTEM}|${nir}`;
      const bundle = {
        resourceType: 'Bundle', type: 'transaction',
        entry: [{ fullUrl: 'urn:uuid:7a6b5c4d-3333-4e4e-8f8f-0123456789ab', resource: body, request: { method: 'POST', url: 'Patient', ifNoneExist } }],
      };
      const first = await post(bundle);
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json().entry[0].response.status).toBe('201 Created');
      const id = /^Patient\/([0-9a-f-]{36})/.exec(first.json().entry[0].response.location as string)![1];
      const again = await post(bundle);
      expect(again.json().entry[0].response).toMatchObject({ status: '200 OK', location: expect.stringContaining(`Patient/${id}`) });
      const direct = await t.app.inject({
        method: 'POST', url: '/fhir/Patient', payload: JSON.stringify(body), headers: headers({ 'if-none-exist': ifNoneExist }),
      });
      expect(direct.statusCode).toBe(200);
      expect(direct.json().id).toBe(id);
      const search = await t.app.inject({ method: 'GET', url: `/fhir/Patient?${new URLSearchParams({ identifier: `${INS_NIR_SYSTEM}|${nir}` })}`, headers: headers() });
      expect(search.json().entry).toHaveLength(1);
    });

    it('resolves a conditional reference to the one resource it names, and refuses one that names none', async () => {
      const body = newPatient(78);
      const nir = (body.identifier as Json[])[0]!.value as string;
      const created = await t.app.inject({ method: 'POST', url: '/fhir/Patient', payload: JSON.stringify(body), headers: headers() });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      const appointment = {
        resourceType: 'Appointment', status: 'booked',
        start: new Date(Date.now() + 86_400_000).toISOString(), end: new Date(Date.now() + 86_400_000 + 900_000).toISOString(),
        participant: [
          { actor: { reference: `Patient?identifier=${INS_NIR_SYSTEM}|${nir}` }, status: 'accepted' },
          { actor: { reference: `Practitioner/${doctorId}` }, status: 'accepted' },
        ],
      };
      const ok = await post({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: appointment, request: { method: 'POST', url: 'Appointment' } }] });
      const entry = ok.json().entry[0];
      expect(entry.response.status, JSON.stringify(entry)).toBe('201 Created');
      expect(JSON.stringify(entry.resource)).toContain(`Patient/${id}`);
      const none = { ...appointment, participant: [{ actor: { reference: `Patient?identifier=${INS_NIR_SYSTEM}|${composeNir({ sexDigit: 1, year: 50, month: 1, birthplace: '75056', serial: 1 })}` }, status: 'accepted' }] };
      const refused = await post({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: none, request: { method: 'POST', url: 'Appointment' } }] });
      expect(refused.json().entry[0].response.status).toBe('412 Precondition Failed');
    });

    it('declares what it serves: transaction and batch, and conditional creates', async () => {
      const cap = (await t.app.inject({ method: 'GET', url: '/fhir/metadata' })).json();
      expect(cap.rest[0].interaction.map((i: Json) => i.code)).toEqual(['transaction', 'batch']);
      const patientCap = cap.rest[0].resource.find((r: Json) => r.type === 'Patient');
      expect(patientCap.conditionalCreate).toBe(true);
      expect(cap.rest[0].resource.find((r: Json) => r.type === 'AuditEvent').conditionalCreate).toBeUndefined();
    });

    it('refuses what is not a batch or a transaction with 400, and a forged entry grant with 401', async () => {
      for (const body of [{ resourceType: 'Patient' }, { resourceType: 'Bundle', type: 'collection' }, { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'POST', url: 'https://elsewhere.example/fhir/Patient' }, resource: {} }] }]) {
        const r = await post(body as Json);
        expect(r.statusCode, JSON.stringify(body)).toBe(400);
        expect(r.json().resourceType).toBe('OperationOutcome');
      }
      const reads = await post({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: `Condition?patient=${patient}` } }] });
      expect(reads.statusCode).toBe(400);
      const forged = await t.app.inject({ method: 'GET', url: `/fhir/Patient/${patient}`, headers: { 'x-medvault-entry': 'A'.repeat(43) } });
      expect(forged.statusCode).toBe(401);
    });
  });
});
