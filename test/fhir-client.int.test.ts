import { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeNir } from '../src/domain/index.js';
import { INS_NIR_SYSTEM } from '../src/fhir/index.js';
import { totp, startTestApp, userOf, type TestApp } from './helpers/app.js';
import { expectValidFhir } from './helpers/fhir.js';

/** An unmodified third-party FHIR client (fhir-kit-client) against a listening medvault. */
let t: TestApp;
let baseUrl: string;
beforeAll(async () => {
  t = await startTestApp({ patients: 25, clock: () => new Date() });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = t.app.server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${addr.port}`;
  // Links are built from the public address (never from Host): here, where the server listens.
  t.services.publicUrl = baseUrl;
});
afterAll(async () => t?.close());

describe('a standard FHIR client', () => {
  it('logs in, searches, reads, creates and updates', async () => {
    const assistant = userOf(t.seeded, 'assistant');
    const login = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: assistant.username, password: assistant.password }) });
    let tokens = (await login.json()) as { access_token?: string; mfa_token?: string };
    if (tokens.mfa_token) {
      const m = await fetch(`${baseUrl}/auth/mfa`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: tokens.mfa_token, code: await totp(assistant.totpSecret!) }) });
      tokens = (await m.json()) as { access_token: string };
    }
    const client = new Client({ baseUrl: `${baseUrl}/fhir`, bearerToken: tokens.access_token! });

    const meta = await client.capabilityStatement();
    expect(meta.resourceType).toBe('CapabilityStatement');

    const bundle = (await client.search({ resourceType: 'Patient', searchParams: { _count: '5' } })) as unknown as { entry: { resource: { id: string } }[]; link: { relation: string }[] };
    expectValidFhir(bundle);
    expect(bundle.entry).toHaveLength(5);
    const page2 = (await client.nextPage({ bundle: bundle as never })) as unknown as { entry: { resource: { id: string } }[] };
    expect(page2.entry.map((e) => e.resource.id)).not.toContain(bundle.entry[0]!.resource.id);

    const read = (await client.read({ resourceType: 'Patient', id: bundle.entry[0]!.resource.id })) as unknown as { id: string };
    expectValidFhir(read);
    expect(read.id).toBe(bundle.entry[0]!.resource.id);

    const created = (await client.create({
      resourceType: 'Patient',
      body: {
        resourceType: 'Patient', gender: 'male', birthDate: '1975-03-08',
        identifier: [{ system: INS_NIR_SYSTEM, value: composeNir({ sexDigit: 1, year: 75, month: 3, birthplace: '33063', serial: 41 }) }],
        name: [{ use: 'official', family: 'Garnier', given: ['Paul'] }],
      },
    })) as unknown as { id: string; meta: { versionId: string } };
    expectValidFhir(created);
    const updated = (await client.update({
      resourceType: 'Patient', id: created.id,
      body: { ...created, resourceType: 'Patient', telecom: [{ system: 'phone', value: '06 12 34 56 78', use: 'mobile' }] },
      options: { headers: { 'if-match': `W/"${created.meta.versionId}"` } },
    })) as unknown as { meta: { versionId: string }; telecom: { value: string }[] };
    expectValidFhir(updated);
    expect(updated.meta.versionId).toBe('2');
    expect(updated.telecom[0]!.value).toBe('06 12 34 56 78');
    // The client's default update sends no If-Match: it is written over the current version.
    const plain = (await client.update({
      resourceType: 'Patient', id: created.id, body: { ...updated, resourceType: 'Patient', gender: 'male' },
    })) as unknown as { meta: { versionId: string }; gender: string };
    expectValidFhir(plain);
    expect(plain.meta.versionId).toBe('3');
    expect(plain.gender).toBe('male');
    // The client's JSON Patch: the next version, with what the patch says.
    const patchedPatient = (await client.patch({
      resourceType: 'Patient', id: created.id,
      jsonPatch: [{ op: 'add', path: '/telecom/-', value: { system: 'email', value: 'paul.garnier@example.fr' } }],
    })) as unknown as { meta: { versionId: string }; telecom: { value: string }[] };
    expectValidFhir(patchedPatient);
    expect(patchedPatient.meta.versionId).toBe('4');
    expect(patchedPatient.telecom.map((x) => x.value)).toContain('paul.garnier@example.fr');

    // A transaction: a new patient and her first appointment, the appointment naming the patient by
    // the Bundle's urn:uuid; then the same as a batch with If-None-Exist creates nothing again.
    const doctor = userOf(t.seeded, 'practitioner');
    const start = new Date(Date.now() + 2 * 86_400_000);
    start.setUTCHours(9, 0, 0, 0);
    const nir = composeNir({ sexDigit: 2, year: 91, month: 11, birthplace: '69123', serial: 52 });
    const entry = (ifNoneExist?: string) => [
      {
        fullUrl: 'urn:uuid:0f0e0d0c-aaaa-4bbb-8ccc-0123456789ab',
        resource: {
          resourceType: 'Patient', gender: 'female', birthDate: '1991-11-20',
          identifier: [{ system: INS_NIR_SYSTEM, value: nir }], name: [{ use: 'official', family: 'Perrin', given: ['Léa'] }],
        },
        request: { method: 'POST', url: 'Patient', ...(ifNoneExist ? { ifNoneExist } : {}) },
      },
      {
        resource: {
          resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 900_000).toISOString(),
          participant: [
            { actor: { reference: 'urn:uuid:0f0e0d0c-aaaa-4bbb-8ccc-0123456789ab' }, status: 'accepted' },
            { actor: { reference: `Practitioner/${doctor.fhirId}` }, status: 'accepted' },
          ],
        },
        request: { method: 'POST', url: 'Appointment' },
      },
    ];
    const done = (await client.transaction({ body: { resourceType: 'Bundle', type: 'transaction', entry: entry() } })) as unknown as {
      type: string; entry: { response: { status: string; location: string }; resource: { participant?: { actor: { reference: string } }[] } }[];
    };
    expectValidFhir(done);
    expect(done.type).toBe('transaction-response');
    expect(done.entry.map((e) => e.response.status)).toEqual(['201 Created', '201 Created']);
    const newId = /^Patient\/([0-9a-f-]{36})/.exec(done.entry[0]!.response.location)![1];
    expect(done.entry[1]!.resource.participant![0]!.actor.reference).toBe(`Patient/${newId}`);
    const again = (await client.batch({
      body: { resourceType: 'Bundle', type: 'batch', entry: entry(`identifier=${INS_NIR_SYSTEM}|${nir}`).slice(0, 1) },
    })) as unknown as { entry: { response: { status: string; location: string } }[] };
    expect(again.entry[0]!.response.status).toBe('200 OK');
    expect(again.entry[0]!.response.location).toContain(`Patient/${newId}`);
  });
});
