/**
 * HTTP's own answers on the FHIR API: 405 with Allow for a method a path does not support, 406 for
 * an Accept that admits no JSON; the browser's and standard clients' Accept headers are served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startTestApp, userOf, type TestApp } from './helpers/app.js';
import { acceptsJson, preferredReturn } from '../src/server/fhir-http.js';
import { REGISTRY } from '../src/resources/index.js';

/** A test app, a doctor's token and one of her own patients (she reads it under standing care). */
async function doctorApp(): Promise<{ t: TestApp; token: string; patient: string; doctorId: string }> {
  const t = await startTestApp();
  const doctor = userOf(t.seeded, 'practitioner');
  const token = (await login(t, doctor)).access_token;
  const patient = (await t.store.driver.transaction((q) => q.query<{ id: string }>(
    `SELECT patient_id id FROM admin.care_relationships
      WHERE practice_id = $1 AND practitioner_id = $2 AND kind = 'treating' LIMIT 1`,
    [t.seeded.practices[0]!.id, doctor.fhirId!],
  ))).rows[0]!.id;
  return { t, token, patient, doctorId: doctor.fhirId! };
}

describe('FHIR HTTP semantics', () => {
  let t: TestApp;
  let token: string;
  let patient: string;
  beforeAll(async () => {
    ({ t, token, patient } = await doctorApp());
  });
  afterAll(async () => t?.close());

  const call = (method: string, url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: method as never, url, headers: { authorization: `Bearer ${token}`, ...headers } });

  it('answers 405 with Allow for a method the path does not support, 404 for a path that does not exist', async () => {
    const del = await call('DELETE', `/fhir/Patient/${patient}`);
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD, PUT, PATCH');
    expect(del.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });
    const meta = await call('POST', '/fhir/metadata');
    expect(meta.statusCode).toBe(405);
    expect(meta.headers.allow).toBe('GET, HEAD');
    expect((await call('DELETE', '/fhir/Condition/5b4c7a1e-0f2d-4c3b-9a8e-1d2c3b4a5f6e')).statusCode).toBe(405);
    expect((await call('PUT', '/fhir/Condition')).headers.allow).toBe('GET, HEAD, POST');
    expect((await call('GET', '/fhir/NoSuchType')).statusCode).toBe(404);
    expect((await call('DELETE', '/fhir/NoSuchType/1')).statusCode).toBe(404);
    expect((await call('DELETE', '/nothing-here')).statusCode).toBe(404);
    // What 405 refused was not carried out.
    expect((await call('GET', `/fhir/Patient/${patient}`)).statusCode).toBe(200);
  });

  it('answers 406 to an Accept without JSON, and serves JSON to every Accept that admits it', async () => {
    for (const accept of ['application/fhir+xml', 'application/xml', 'text/html', 'application/fhir+json;q=0']) {
      const r = await call('GET', `/fhir/Patient/${patient}`, { accept });
      expect(r.statusCode, accept).toBe(406);
      expect(r.json().resourceType).toBe('OperationOutcome');
      expect(r.body).not.toContain(patient);
    }
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const json = ['application/fhir+json', 'application/json', browser, '*/*', 'application/fhir+xml, application/fhir+json'];
    for (const accept of json) {
      const r = await call('GET', `/fhir/Patient/${patient}`, { accept });
      expect(r.statusCode, accept).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/fhir\+json/);
    }
    expect((await call('GET', `/fhir/Patient/${patient}`)).statusCode).toBe(200);
    // The metadata too (no token needed there).
    const xml = { accept: 'application/fhir+xml' };
    expect((await t.app.inject({ method: 'GET', url: '/fhir/metadata', headers: xml })).statusCode).toBe(406);
  });

  it('reads an Accept header as RFC 9110 says: ranges, parameters, weights', () => {
    expect(acceptsJson(undefined)).toBe(true);
    expect(acceptsJson('')).toBe(true);
    expect(acceptsJson('APPLICATION/FHIR+JSON; fhirVersion=4.0')).toBe(true);
    expect(acceptsJson('application/*;q=0.1')).toBe(true);
    expect(acceptsJson('*/*;q=0')).toBe(false);
    expect(acceptsJson('text/plain, image/png')).toBe(false);
  });

  it('refuses an unknown search parameter, and leaves it out and names it under Prefer: handling=lenient', async () => {
    const url = `/fhir/Condition?patient=${patient}&_include=Condition:encounter&nonsense=1`;
    const strict = await call('GET', url);
    expect(strict.statusCode).toBe(400);
    expect(strict.json().resourceType).toBe('OperationOutcome');
    const lenient = await call('GET', url, { prefer: 'handling=lenient' });
    expect(lenient.statusCode).toBe(200);
    const bundle = lenient.json();
    const plain = (await call('GET', `/fhir/Condition?patient=${patient}`)).json();
    const ids = (b: { entry?: { resource: { resourceType: string; id: string } }[] }) =>
      (b.entry ?? []).filter((e) => e.resource.resourceType === 'Condition').map((e) => e.resource.id);
    expect(ids(bundle)).toEqual(ids(plain));
    const outcome = bundle.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome').resource;
    expect(outcome.issue).toEqual([expect.objectContaining({ severity: 'warning', code: 'not-supported' })]);
    expect(outcome.issue[0].diagnostics).toMatch(/_include, nonsense/);
    // Leniency is about names: a known parameter with a wrong value is still a 400.
    expect((await call('GET', `/fhir/Condition?patient=${patient}&_count=abc`, { prefer: 'handling=lenient' })).statusCode).toBe(400);
  });

  it('answers _elements and _summary on searches and reads: the elements asked for, tagged SUBSETTED, next pages alike', async () => {
    const subsetted = (r: { meta?: { tag?: { code: string }[] } }) => (r.meta?.tag ?? []).some((x) => x.code === 'SUBSETTED');
    const entries = (b: { entry?: { resource: Record<string, unknown> }[] }) => (b.entry ?? []).map((e) => e.resource);
    const whole = entries((await call('GET', `/fhir/Observation?patient=${patient}&_count=2`)).json());
    expect(whole.length).toBeGreaterThan(0);
    const page = await call('GET', `/fhir/Observation?patient=${patient}&_count=2&_elements=effective`);
    expect(page.statusCode).toBe(200);
    const cut = entries(page.json());
    expect(cut.map((r) => r.id)).toEqual(whole.map((r) => r.id));
    for (const r of cut) {
      expect(subsetted(r)).toBe(true);
      // status and code are mandatory: kept; effective[x] asked for; the value left out.
      for (const k of Object.keys(r)) {
        expect(['code', 'effectiveDateTime', 'effectivePeriod', 'id', 'meta', 'resourceType', 'status']).toContain(k);
      }
      expect(r).toHaveProperty('code');
    }
    const next = page.json().link.find((l: { relation: string }) => l.relation === 'next');
    if (next) {
      const more = entries((await call('GET', new URL(next.url).pathname + new URL(next.url).search)).json());
      for (const r of more) expect(subsetted(r)).toBe(true);
    }
    // A read: _summary=true keeps Patient's summary elements (name, birthDate), not its extensions.
    const full = (await call('GET', `/fhir/Patient/${patient}`)).json();
    expect(full).toHaveProperty('extension');
    const summary = await call('GET', `/fhir/Patient/${patient}?_summary=true`);
    expect(summary.statusCode).toBe(200);
    expect(summary.json()).toMatchObject({ id: patient, name: full.name, birthDate: full.birthDate });
    expect(summary.json()).not.toHaveProperty('extension');
    expect(subsetted(summary.json())).toBe(true);
    expect((await call('GET', `/fhir/Patient/${patient}?_elements=gender`)).json()).toEqual({
      resourceType: 'Patient', id: patient, meta: { ...full.meta, tag: [expect.objectContaining({ code: 'SUBSETTED' })] },
      active: full.active, gender: full.gender,
    });
    // What cannot be done is a 400, before anything is read.
    for (const q of ['_summary=count', '_summary=true&_elements=name', '_elements=a%20b']) {
      const r = await call('GET', `/fhir/Patient/${patient}?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().resourceType).toBe('OperationOutcome');
    }
  });
});

describe('Prefer: return on writes', () => {
  let t: TestApp;
  let token: string;
  let patient: string;
  let doctorId: string;
  beforeAll(async () => {
    ({ t, token, patient, doctorId } = await doctorApp());
  });
  afterAll(async () => t?.close());

  const write = (method: 'POST' | 'PUT', url: string, body: unknown, prefer?: string) => t.app.inject({
    method, url, payload: JSON.stringify(body),
    headers: {
      authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', ...(prefer ? { prefer } : {}),
    },
  });

  it('answers a write with nothing, an OperationOutcome or the resource, as asked; written alike', async () => {
    const condition = REGISTRY.module('Condition')!.example(patient, doctorId, new Date());
    const minimal = await write('POST', '/fhir/Condition', condition, 'return=minimal');
    expect(minimal.statusCode).toBe(201);
    expect(minimal.body).toBe('');
    expect(minimal.headers['preference-applied']).toBe('return=minimal');
    expect(minimal.headers.etag).toBe('W/"1"');
    const location = String(minimal.headers.location);
    expect(location).toMatch(/\/fhir\/Condition\/[0-9a-f-]{36}\/_history\/1$/);
    const id = /Condition\/([0-9a-f-]{36})/.exec(location)![1]!;
    const auth = { authorization: `Bearer ${token}` };
    const read = await t.app.inject({ method: 'GET', url: `/fhir/Condition/${id}`, headers: auth });
    expect(read.statusCode).toBe(200);
    const outcome = await write('PUT', `/fhir/Condition/${id}`, read.json(), 'return=OperationOutcome');
    expect(outcome.statusCode).toBe(200);
    expect(outcome.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'information' }] });
    expect(outcome.headers.etag).toBe('W/"2"');
    const full = await write('PUT', `/fhir/Condition/${id}`, read.json(), 'return=representation');
    expect(full.json()).toMatchObject({ resourceType: 'Condition', id, meta: { versionId: '3' } });
    expect((await write('PUT', `/fhir/Condition/${id}`, read.json())).json().meta.versionId).toBe('4');
    // A refused write answers its OperationOutcome whatever was preferred.
    const other = { ...(read.json() as Record<string, unknown>), id: 'other' };
    const bad = await write('PUT', `/fhir/Condition/${id}`, other, 'return=minimal');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().resourceType).toBe('OperationOutcome');
    // A search sent as POST is not a write: its Bundle comes whatever Prefer says.
    const search = await t.app.inject({
      method: 'POST', url: '/fhir/Condition/_search', payload: `patient=${patient}`,
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded', prefer: 'return=minimal' },
    });
    expect(search.json().resourceType).toBe('Bundle');
  });

  it('reads the Prefer header as RFC 7240 writes it', () => {
    expect(preferredReturn('return=minimal')).toBe('minimal');
    expect(preferredReturn('handling=lenient, return=OperationOutcome')).toBe('OperationOutcome');
    expect(preferredReturn('return="minimal"')).toBe('minimal');
    expect(preferredReturn('respond-async')).toBe('representation');
    expect(preferredReturn(undefined)).toBe('representation');
    expect(preferredReturn('noreturn=minimal')).toBe('representation');
  });

});
