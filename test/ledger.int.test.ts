import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisclosedPatient } from '../src/detect/index.js';
import type { Principal } from '../src/access/index.js';
import { bearer, login, NO_DETECTION, patientsOf, startTestApp, userOf, type TestApp } from './helpers/app.js';

/**
 * The disclosure ledger's count for a response equals what its body carries. For every
 * route that returns patient data, random requests by every role that reads patients: the patients
 * and notes the ledger admitted are exactly the patients and notes in the body (full identities
 * as identities, listed patients as listed), and nothing leaves without being counted.
 */
let t: TestApp;
let admitted: DisclosedPatient[][] = [];
beforeAll(async () => {
  t = await startTestApp({ patients: 40, thresholds: NO_DETECTION });
  const real = t.services.detection.admit.bind(t.services.detection);
  t.services.detection.admit = (p: Principal, patients: readonly DisclosedPatient[], at: Date) => {
    const r = real(p, patients, at);
    admitted.push(patients.slice(0, r.admitted));
    return r;
  };
});
afterAll(async () => t?.close());

type Body = { resourceType: string; id?: string; meta?: { tag?: { code: string }[] }; subject?: { reference: string }; entry?: { resource: Body }[] };

/** What a body carries: full identities, listed patients, notes (with their patient). */
function carried(b: Body): { identities: Set<string>; listed: Set<string>; notes: Set<string> } {
  const out = { identities: new Set<string>(), listed: new Set<string>(), notes: new Set<string>() };
  const resources = b.resourceType === 'Bundle' ? (b.entry ?? []).map((e) => e.resource) : [b];
  for (const r of resources) {
    if (r.resourceType === 'Patient') ((r.meta?.tag ?? []).some((x) => x.code === 'SUBSETTED') ? out.listed : out.identities).add(r.id!);
    if (r.resourceType === 'DocumentReference') out.notes.add(`${r.subject!.reference.slice(8)}:${r.id}`);
  }
  return out;
}

function counted(list: DisclosedPatient[][]): { identities: Set<string>; listed: Set<string>; notes: Set<string> } {
  const out = { identities: new Set<string>(), listed: new Set<string>(), notes: new Set<string>() };
  for (const d of list.flat()) {
    if (d.identity) out.identities.add(d.patientId);
    if (d.listed) out.listed.add(d.patientId);
    for (const n of d.notes) out.notes.add(`${d.patientId}:${n}`);
  }
  return out;
}

describe('the disclosure ledger', () => {
  it('counts exactly the patients and notes each response carries, on every route that returns them', async () => {
    const practiceId = t.seeded.practices[0]!.id;
    const ids = (await t.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 ORDER BY id', [practiceId]))).rows.map((r) => r.id);
    const notes = (await t.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM clinical.notes WHERE practice_id = $1 ORDER BY id LIMIT 30', [practiceId]))).rows.map((r) => r.id);
    const names = (await patientsOf(t, practiceId)).slice(0, 20).map((p) => p.birthFamilyName.toLowerCase());
    const tokens = {
      practitioner: (await login(t, userOf(t.seeded, 'practitioner'))).access_token,
      assistant: (await login(t, userOf(t.seeded, 'assistant'))).access_token,
    };
    const route = fc.oneof(
      fc.constantFrom(...ids).map((id) => `/fhir/Patient/${id}`),
      fc.constantFrom(...ids).map((id) => `/fhir/Patient/${id}/$everything`),
      fc.constantFrom(...ids).map((id) => `/fhir/DocumentReference?patient=${id}`),
      fc.constantFrom(...notes).map((id) => `/fhir/DocumentReference/${id}`),
      fc.constantFrom(...ids).map((id) => `/fhir/Appointment?patient=${id}`),
      fc.tuple(fc.constantFrom(...names), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 })).map(([n, len, c]) => `/fhir/Patient?family=${encodeURIComponent(n.slice(0, len))}&_count=${c}`),
      fc.integer({ min: 1, max: 50 }).map((c) => `/fhir/Patient?_count=${c}`),
      fc.constant('/fhir/Appointment?date=ge2026-03-01&_count=20'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<keyof typeof tokens>('practitioner', 'assistant'), route, async (who, url) => {
        admitted = [];
        const r = await t.app.inject({ method: 'GET', url, headers: bearer(tokens[who]) });
        const body = r.json() as Body;
        const inBody = r.statusCode === 200 ? carried(body) : { identities: new Set(), listed: new Set(), notes: new Set() };
        const inLedger = counted(admitted);
        expect([...inLedger.identities].sort()).toEqual([...inBody.identities].sort());
        expect([...inLedger.listed].sort()).toEqual([...inBody.listed].sort());
        expect([...inLedger.notes].sort()).toEqual([...inBody.notes].sort());
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('counts and audits the duplicate-NIR answer of a patient creation as the NIR search it is (regression: an unaudited oracle)', async () => {
    const { AdminRepository } = await import('../src/store/index.js');
    // The second practice: the property runs above may have opened a decoy in the first (a lock).
    const practiceId = t.seeded.practices[1]!.id;
    const existing = await t.services.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const repo = new AdminRepository(tx, t.services.vault.admin(practiceId));
      const row = (await tx.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 AND nir_bidx IS NOT NULL LIMIT 1', [practiceId])).rows[0]!;
      return repo.patient(row.id);
    });
    const token = (await login(t, userOf(t.seeded, 'assistant', 1))).access_token;
    admitted = [];
    const r = await t.app.inject({
      method: 'POST', url: '/fhir/Patient', headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
      payload: { resourceType: 'Patient', gender: existing!.sex, birthDate: existing!.birthDate, name: [{ family: 'Doublon', given: ['Test'] }], identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: existing!.nir }] },
    });
    expect(r.statusCode).toBe(422);
    expect(counted(admitted).listed).toEqual(new Set([existing!.id]));
    const ev = await t.store.driver.transaction((q) => q.query<{ detail: { returned: string[]; duplicateCheck: boolean } }>("SELECT detail FROM audit.events WHERE action = 'search' AND detail->>'duplicateCheck' = 'true' ORDER BY seq DESC LIMIT 1"));
    expect(ev.rows[0]!.detail.returned).toEqual([existing!.id]);
  });
});
