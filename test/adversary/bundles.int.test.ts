import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request as httpRequest } from 'node:http';
import { composeNir } from '../../src/domain/index.js';
import { INS_NIR_SYSTEM } from '../../src/fhir/index.js';
import { REGISTRY } from '../../src/resources/index.js';
import { BACKENDS } from '../helpers/backends.js';
import {
  asNew, bundle, call, login, newPatient, ownPatients, startServer, strangers, withNir, WORKSTATION_UA, type Server,
} from './harness.js';

/**
 * Batches and transactions (`POST /fhir`) as a thief with a practitioner's or an assistant's
 * password and second factor uses them: every entry is served by its own route for the Bundle's
 * principal (an in-process grant), so a Bundle must get no more than the same requests sent one by
 * one — the same budgets, the same refusals, the same audit — and must not reach anything but the
 * FHIR API. Each test asserts the safe behaviour (regression guards). On every backend.
 *
 *   npx vitest run --project server test/adversary/bundles.int.test.ts
 */

/** Every 32-byte random value drawn while the test runs (the entry grants among them), to look for them afterwards. */
const drawn = vi.hoisted(() => [] as string[]);
vi.mock('node:crypto', async (importOriginal) => {
  const m = await importOriginal<typeof import('node:crypto')>();
  const randomBytes = ((n: number, ...rest: unknown[]) => {
    const b = (m.randomBytes as (...a: unknown[]) => Buffer)(n, ...rest);
    if (n === 32 && rest.length === 0) drawn.push(Buffer.from(b).toString('base64url'));
    return b;
  }) as typeof m.randomBytes;
  return { ...m, default: { ...m, randomBytes }, randomBytes };
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely
type Json = Record<string, any>;
const THIEF_UA = 'Mozilla/5.0 (Windows NT 10.0) thief';
const HOUR = 3_600_000;

/** A POST with a raw header value (bytes a real client can send, which fetch would refuse). */
function rawPost(s: Server, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(s.base + path, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.write(body);
    req.end();
  });
}

const statuses = (r: { body: Json }) => ((r.body.entry ?? []) as Json[]).map((e) => Number(String(e.response.status).slice(0, 3)));

describe.each(BACKENDS)('FHIR batches and transactions attacked ($name)', (backend) => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 3, patients: 80 });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** The n-th practitioner of the seeded practices (each test its own account: budgets are per account). */
  const doctor = (n: number) => {
    const all = s.seeded.users.filter((u) => u.role === 'practitioner');
    return all[n % all.length]!;
  };
  const count = async (sql: string, args: unknown[]) =>
    Number((await s.store.driver.transaction((q) => q.query<{ n: string }>(sql, args))).rows[0]!.n);
  const auditsOf = (userId: string) => count('SELECT count(*) n FROM audit.events WHERE user_id = $1', [userId]);
  const condition = (patientId: string, authorId: string) =>
    REGISTRY.module('Condition')!.example(patientId, authorId, new Date(s.now().getTime() - HOUR)) as Json;

  // ─── 1. the Bundle's budget is the account's ─────────────────────────────────────────
  it('a batch of 40 strangers\' identities gets no more than the same reads one by one (≤ 10), the rest refused', async () => {
    await s.fresh();
    const victim = doctor(0);
    const token = (await login(s, victim, THIEF_UA))!;
    const ids = await strangers(s, victim, 40);
    expect(ids).toHaveLength(40);
    const r = await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('batch', ids.map((id) => ({ request: { method: 'GET', url: `Patient/${id}` } }))) });
    expect(r.status).toBe(200);
    const got = ((r.body.entry ?? []) as Json[]).filter((e) => e.resource?.resourceType === 'Patient').length;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThanOrEqual(10);
    const st = statuses(r);
    expect(st.slice(got).every((x) => [401, 403, 429].includes(x))).toBe(true);
    // …and the account is contained for what follows, as after the same reads one by one.
    expect((await call(s, 'GET', `/fhir/Patient/${ids[0]}`, { token, ua: THIEF_UA })).status).toBe(401);
    // Every identity that left was audited.
    const audited = await count(
      `SELECT count(*) n FROM audit.events WHERE user_id = $1 AND action = 'read' AND resource_type = 'Patient' AND outcome = 'success' AND patient_id = ANY($2::uuid[])`,
      [victim.fhirId, ids],
    );
    expect(audited).toBe(got);
  });

  // ─── 2. entries reach the FHIR API only ──────────────────────────────────────────────
  it('entry URLs that try to leave /fhir are refused: no route but the FHIR API is reached', async () => {
    await s.fresh();
    const victim = doctor(1);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const escapes = [
      'Patient/../../auth/logout', '../auth/logout', '/auth/logout', 'Patient/%2e%2e/%2e%2e/auth/logout', 'Patient/%2E%2E/me',
      'Patient?x=/../../auth/logout', 'Patient/..;/me', 'Patient\\..\\..\\me', '//evil.example/fhir/Patient', 'http://evil.example/fhir/Patient',
      `http://127.0.0.1:1/fhir/Patient/${own[0]}`, `${s.base}/auth/logout`, `${s.base}/fhir/../auth/logout`, `${s.base}/security/alerts`,
      'metadata', '$export', 'Patient/$everything', `Patient/${own[0]}/$everything`, 'Patient/_search', 'Patient#/../../me',
      ' Patient', 'Patient/ ', '', 'auth/logout', 'security/alerts', 'me',
    ];
    for (const method of ['GET', 'POST', 'DELETE']) {
      for (const url of escapes) {
        const body = bundle('batch', [{ request: { method, url }, ...(method === 'POST' ? { resource: { resourceType: 'Patient' } } : {}) }]);
        const r = await call(s, 'POST', '/fhir', { token, body });
        expect(r.status, `${method} ${url}`).toBe(400);
        expect(r.body.resourceType).toBe('OperationOutcome');
      }
    }
    // What passes the check lands inside /fhir: a bad id, an unknown type or a method the path does not have.
    const inside = ['Patient/.', 'Metadata', 'Bundle', 'Patient/x/_history/1', 'Patient?_format=xml', 'Patient?a=%00', `Patient?name=${encodeURIComponent('\r\nX-Medvault-Entry: x')}`];
    const r = await call(s, 'POST', '/fhir', { token, body: bundle('batch', inside.map((url) => ({ request: { method: 'GET', url } }))) });
    expect(r.status).toBe(200);
    for (const [i, st] of statuses(r).entries()) expect([200, 400, 404, 405], inside[i]).toContain(st);
    // The logout was never reached: the session still works.
    expect((await call(s, 'GET', '/fhir/Practitioner', { token })).status).toBe(200);
  });

  it('a Bundle cannot nest a Bundle: an entry posting a Bundle reaches no batch endpoint', async () => {
    await s.fresh();
    const victim = doctor(2);
    const token = (await login(s, victim))!;
    const inner = bundle('batch', [{ request: { method: 'GET', url: 'Practitioner' } }]);
    const r = await call(s, 'POST', '/fhir', { token, body: bundle('batch', [
      { resource: inner, request: { method: 'POST', url: 'Bundle' } },
      { resource: inner, request: { method: 'POST', url: `${s.base}/fhir` } },
      { resource: inner, request: { method: 'POST', url: `${s.base}/fhir/` } },
    ]) });
    expect(r.status).toBe(400);
    const one = await call(s, 'POST', '/fhir', { token, body: bundle('batch', [{ resource: inner, request: { method: 'POST', url: 'Bundle' } }]) });
    expect(one.status).toBe(200);
    expect([404, 405]).toContain(statuses(one)[0]);
    expect((one.body.entry as Json[])[0]!.resource).toBeUndefined();
  });

  // ─── 3. malformed Bundles are the client's mistake: 4xx, never 5xx ───────────────────
  it('malformed Bundles, entries and resources are answered 4xx, never 5xx', async () => {
    await s.fresh();
    const victim = doctor(3);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const cond = condition(own[0]!, victim.fhirId!);
    const deep = (n: number): Json => (n === 0 ? { reference: 'Patient?name=x' } : { extension: [deep(n - 1)] });
    const bodies: [string, unknown][] = [
      ['array', []], ['string', 'x'], ['number', 1], ['null', null], ['Patient', { resourceType: 'Patient' }],
      ['collection', { resourceType: 'Bundle', type: 'collection', entry: [] }], ['type missing', { resourceType: 'Bundle' }],
      ['entry object', bundle('batch', { a: 1 } as unknown as unknown[])], ['entry null', bundle('batch', [null])], ['entry numbers', bundle('batch', [1, 'x', true])],
      ['request null', bundle('batch', [{ request: null }])], ['url object', bundle('batch', [{ request: { method: 'GET', url: { a: 1 } } }])],
      ['method lower', bundle('batch', [{ request: { method: 'get', url: 'Practitioner' } }])], ['method HEAD', bundle('batch', [{ request: { method: 'HEAD', url: 'Practitioner' } }])],
      ['POST without resource', bundle('batch', [{ request: { method: 'POST', url: 'Condition' } }])],
      ['POST resource string', bundle('batch', [{ resource: 'x', request: { method: 'POST', url: 'Condition' } }])],
      ['POST resource array', bundle('batch', [{ resource: [1, 2], request: { method: 'POST', url: 'Condition' } }])],
      ['POST resource null', bundle('transaction', [{ resource: null, request: { method: 'POST', url: 'Condition' } }])],
      ['PUT resource number', bundle('batch', [{ resource: 7, request: { method: 'PUT', url: `Condition/${own[0]}` } }])],
      ['PATCH array', bundle('batch', [{ resource: [{ op: 'replace', path: '/status', value: 'entered-in-error' }], request: { method: 'PATCH', url: `DocumentReference/${own[0]}` } }])],
      ['PATCH nothing', bundle('batch', [{ request: { method: 'PATCH', url: `DocumentReference/${own[0]}` } }])],
      ['GET with resource', bundle('batch', [{ resource: 5, request: { method: 'GET', url: 'Practitioner' } }])],
      ['ifMatch CRLF', bundle('batch', [{ resource: { ...cond, id: own[0] }, request: { method: 'PUT', url: `Condition/${own[0]}`, ifMatch: 'W/"1"\r\nx-medvault-entry: x' } }])],
      ['ifMatch object', bundle('batch', [{ resource: { ...cond, id: own[0] }, request: { method: 'PUT', url: `Condition/${own[0]}`, ifMatch: { a: 1 } } }])],
      ['ifNoneExist #', bundle('batch', [{ resource: cond, request: { method: 'POST', url: 'Condition', ifNoneExist: '#' } }])],
      ['ifNoneExist unicode', bundle('batch', [{ resource: cond, request: { method: 'POST', url: 'Condition', ifNoneExist: 'patient=\u2603\ud83d\ude00' } }])],
      ['ifNoneExist _count', bundle('batch', [{ resource: cond, request: { method: 'POST', url: 'Condition', ifNoneExist: `patient=${own[0]}&_count=999999` } }])],
      ['cond ref ?', bundle('batch', [{ resource: { ...cond, subject: { reference: 'Patient?' } }, request: { method: 'POST', url: 'Condition' } }])],
      ['cond ref #', bundle('batch', [{ resource: { ...cond, subject: { reference: 'Patient?name=x#' } }, request: { method: 'POST', url: 'Condition' } }])],
      ['cond ref unknown type', bundle('batch', [{ resource: { ...cond, subject: { reference: 'Nothing?x=1' } }, request: { method: 'POST', url: 'Condition' } }])],
      ['cond ref lone surrogate', bundle('batch', [{ resource: { ...cond, subject: { reference: 'Patient?name=\ud800' } }, request: { method: 'POST', url: 'Condition' } }])],
      ['reference number', bundle('batch', [{ resource: { ...cond, subject: { reference: 42 } }, request: { method: 'POST', url: 'Condition' } }])],
      ['urn self', bundle('transaction', [{ fullUrl: 'urn:uuid:a', resource: { ...cond, subject: { reference: 'urn:uuid:a' } }, request: { method: 'POST', url: 'Condition' } }])],
      ['urn unknown', bundle('batch', [{ resource: { ...cond, subject: { reference: 'urn:uuid:nowhere' } }, request: { method: 'POST', url: 'Condition' } }])],
      ['urn duplicate', bundle('transaction', [{ fullUrl: 'urn:uuid:a', resource: cond, request: { method: 'POST', url: 'Condition' } }, { fullUrl: 'urn:uuid:a', resource: cond, request: { method: 'POST', url: 'Condition' } }])],
      ['urn cycle', bundle('transaction', [
        { fullUrl: 'urn:uuid:a', resource: { ...cond, note: [{ reference: 'urn:uuid:b' }] }, request: { method: 'POST', url: 'Condition' } },
        { fullUrl: 'urn:uuid:b', resource: { ...cond, note: [{ reference: 'urn:uuid:a' }] }, request: { method: 'POST', url: 'Condition' } }])],
      ['transaction GET', bundle('transaction', [{ request: { method: 'GET', url: 'Practitioner' } }])],
      ['transaction DELETE', bundle('transaction', [{ request: { method: 'DELETE', url: `Condition/${own[0]}` } }])],
      ['conditional PUT', bundle('transaction', [{ resource: cond, request: { method: 'PUT', url: `Condition?patient=${own[0]}` } }])],
      ['deep resource', bundle('batch', [{ resource: { ...cond, extension: [deep(40)] }, request: { method: 'POST', url: 'Condition' } }])],
      ['1001 entries', bundle('batch', Array.from({ length: 1001 }, () => ({ request: { method: 'GET', url: 'Practitioner' } })))],
    ];
    for (const [name, body] of bodies) {
      const r = await call(s, 'POST', '/fhir', { token, body });
      expect(r.status, name).toBeGreaterThanOrEqual(200);
      expect(r.status, `${name}: ${JSON.stringify(r.body).slice(0, 200)}`).toBeLessThan(500);
      expect(r.body.resourceType, name).toMatch(/^(Bundle|OperationOutcome)$/);
      for (const st of statuses(r)) expect(st, `${name}: ${JSON.stringify(r.body).slice(0, 300)}`).toBeLessThan(500);
    }
    const big = await call(s, 'POST', '/fhir', { token, body: bundle('batch', Array.from({ length: 1001 }, () => ({ request: { method: 'GET', url: 'Practitioner' } }))) });
    expect(big.status).toBe(400);
    const nested = await call(s, 'POST', '/fhir', { token, body: bundle('batch', [{ resource: { ...cond, extension: [deep(40)] }, request: { method: 'POST', url: 'Condition' } }]) });
    expect(nested.status).toBe(400);
    // Nothing of all that was written.
    const r = await call(s, 'GET', `/fhir/Condition?patient=${own[0]}&_count=100`, { token });
    expect(r.status).toBe(200);
  });

  it('a create\'s If-None-Exist header, however malformed, is answered 4xx or by the search, never 5xx', async () => {
    await s.fresh();
    const victim = doctor(4);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const cond = condition(own[0]!, victim.fhirId!);
    const values = ['#', '?', '%', '%zz', '&&&', 'identifier=\xe9\xff', `patient=${own[0]}#`, `patient=${'a'.repeat(6000)}`, '_count=0', '_cursor=x', `patient=${own[0]}&patient=${own[0]}`, `_id=${own[0]}`];
    for (const v of values) {
      for (const [type, body] of [['Condition', cond], ['Patient', newPatient(900)], ['Appointment', { resourceType: 'Appointment' }], ['DocumentReference', { resourceType: 'DocumentReference' }]] as const) {
        const r = await rawPost(s, `/fhir/${type}`, {
          authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', 'if-none-exist': v, 'user-agent': WORKSTATION_UA,
        }, JSON.stringify(body));
        expect(r.status, `${type} If-None-Exist: ${JSON.stringify(v).slice(0, 40)} → ${r.text.slice(0, 200)}`).toBeLessThan(500);
      }
    }
    // Without a token, or on a path that is no create, the header changes nothing.
    expect((await rawPost(s, '/fhir/Patient', { 'content-type': 'application/fhir+json', 'if-none-exist': 'a=b' }, '{}')).status).toBe(401);
    expect((await rawPost(s, '/fhir/Nothing', { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', 'if-none-exist': 'a=b' }, '{}')).status).toBeLessThan(500);
  });

  // ─── 4. the entry grant ──────────────────────────────────────────────────────────────
  it('the entry grant is reflected nowhere, and is dead once the Bundle is answered', async () => {
    await s.fresh();
    const victim = doctor(5);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const from = drawn.length;
    const r = await call(s, 'POST', '/fhir', { token, body: bundle('batch', [
      { request: { method: 'GET', url: `Patient/${own[0]}` } }, { request: { method: 'GET', url: 'Patient/nope' } },
      { request: { method: 'GET', url: 'AuditEvent' } }, { request: { method: 'GET', url: 'Nothing' } },
      { resource: { resourceType: 'Condition' }, request: { method: 'POST', url: 'Condition' } },
      { resource: condition(own[0]!, victim.fhirId!), request: { method: 'PUT', url: `Condition/${own[0]}`, ifMatch: 'W/"x"' } },
    ]) });
    expect(r.status).toBe(200);
    const grants = drawn.slice(from);
    expect(grants.length).toBeGreaterThan(0);
    const seen = JSON.stringify(r.body) + JSON.stringify([...r.headers.entries()]);
    for (const g of grants) expect(seen).not.toContain(g);
    for (const g of grants) {
      const again = await fetch(`${s.base}/fhir/Patient/${own[0]}`, { headers: { 'x-medvault-entry': g, 'user-agent': WORKSTATION_UA } });
      expect(again.status).toBe(401);
      expect(await again.text()).not.toContain('"Patient"');
    }
    // A grant header beside a good token does not add to it: the grant alone decides, and a bad one is refused.
    const both = await fetch(`${s.base}/fhir/Patient/${own[0]}`, { headers: { authorization: `Bearer ${token}`, 'x-medvault-entry': grants[0]!, 'user-agent': WORKSTATION_UA } });
    expect(both.status).toBe(401);
  });

  // ─── 5. searches made for a Bundle are audited whatever becomes of it ────────────────
  it('conditional references and ifNoneExist searches are audited even when the transaction rolls back', async () => {
    await s.fresh();
    const victim = doctor(6);
    const token = (await login(s, victim, THIEF_UA))!;
    const [known] = await withNir(s, victim.practiceId!);
    const nir = known!.nir!;
    const unknown = composeNir({ sexDigit: 1, year: 51, month: 3, birthplace: '75056', serial: 777 });
    const searches = () => count(
      `SELECT count(*) n FROM audit.events WHERE user_id = $1 AND action = 'search' AND resource_type = 'Patient'`, [victim.fhirId],
    );
    const failing = { resource: { resourceType: 'Condition', clinicalStatus: 'nonsense' }, request: { method: 'POST', url: 'Condition' } };
    const appointment = (ref: string) => ({
      resourceType: 'Appointment', status: 'booked', start: new Date(s.now().getTime() + 30 * 86_400_000).toISOString(),
      end: new Date(s.now().getTime() + 30 * 86_400_000 + 900_000).toISOString(),
      participant: [{ actor: { reference: ref }, status: 'accepted' }, { actor: { reference: `Practitioner/${victim.fhirId}` }, status: 'accepted' }],
    });
    for (const which of [nir, unknown]) {
      const before = await searches();
      const r = await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('transaction', [
        { resource: appointment(`Patient?identifier=${INS_NIR_SYSTEM}|${which}`), request: { method: 'POST', url: 'Appointment' } }, failing,
      ]) });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(await searches()).toBeGreaterThan(before);
    }
    for (const which of [nir, unknown]) {
      const before = await searches();
      const r = await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('transaction', [
        { resource: known!.nir === which ? asNew(known!) : newPatient(321), request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${INS_NIR_SYSTEM}|${which}` } }, failing,
      ]) });
      expect(r.status).toBe(400);
      expect(await searches()).toBeGreaterThan(before);
    }
    // The If-None-Exist header of a create: the search and the read of what it found, both audited.
    const before = await auditsOf(victim.fhirId!);
    const h = await call(s, 'POST', '/fhir/Patient', { token, ua: THIEF_UA, body: asNew(known!) });
    expect(h.status).toBe(422);
    const direct = await rawPost(s, '/fhir/Patient', {
      authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', 'user-agent': THIEF_UA,
      'if-none-exist': `identifier=${INS_NIR_SYSTEM}|${nir}`,
    }, JSON.stringify(asNew(known!)));
    expect(direct.status).toBe(200);
    expect(JSON.parse(direct.text).id).toBe(known!.id);
    expect(await auditsOf(victim.fhirId!)).toBeGreaterThanOrEqual(before + 3);
  });

  // ─── 6. an assistant never reads or writes clinical data through a Bundle ────────────
  it('an assistant\'s Bundles write no clinical resource and read none, not even through conditional searches', async () => {
    await s.fresh();
    const doc = doctor(7);
    const assistant = s.seeded.users.find((u) => u.role === 'assistant' && u.practiceId === doc.practiceId)!;
    const token = (await login(s, assistant))!;
    const own = await ownPatients(s, doc);
    const cond = condition(own[0]!, doc.fhirId!);
    const conditions = () => count('SELECT count(*) n FROM clinical.resources WHERE patient_id = $1', [own[0]]);
    const before = await conditions();
    const writes = [
      { resource: cond, request: { method: 'POST', url: 'Condition' } },
      { resource: { ...cond, subject: { reference: `Condition?patient=${own[0]}` } }, request: { method: 'POST', url: 'Condition' } },
      { resource: cond, request: { method: 'POST', url: 'Condition', ifNoneExist: `patient=${own[0]}` } },
      { resource: { resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${own[0]}` }, content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('x').toString('base64') } }] }, request: { method: 'POST', url: 'DocumentReference' } },
    ];
    const tx = await call(s, 'POST', '/fhir', { token, body: bundle('transaction', writes) });
    expect([400, 403, 404]).toContain(tx.status);
    const batch = await call(s, 'POST', '/fhir', { token, body: bundle('batch', [...writes,
      { request: { method: 'GET', url: `Condition?patient=${own[0]}` } }, { request: { method: 'GET', url: `DocumentReference?patient=${own[0]}` } },
      { request: { method: 'GET', url: `Observation?patient=${own[0]}` } }, { request: { method: 'GET', url: `MedicationRequest?patient=${own[0]}` } },
    ]) });
    expect(batch.status).toBe(200);
    for (const e of batch.body.entry as Json[]) {
      expect(Number(String(e.response.status).slice(0, 3))).toBeGreaterThanOrEqual(400);
      expect(e.resource).toBeUndefined();
    }
    const header = await rawPost(s, '/fhir/Condition', {
      authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', 'if-none-exist': `patient=${own[0]}`, 'user-agent': WORKSTATION_UA,
    }, JSON.stringify(cond));
    expect(header.status).toBe(403);
    expect(header.text).not.toMatch(/"resourceType":"Condition"/);
    expect(await conditions()).toBe(before);
  });

  // ─── 7. a transaction is all or nothing ──────────────────────────────────────────────
  it('a transaction whose last entry fails keeps nothing: no patient, no appointment, no condition', async () => {
    await s.fresh();
    const victim = doctor(8);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const patients = () => count('SELECT count(*) n FROM admin.patients WHERE practice_id = $1', [victim.practiceId]);
    const appointments = () => count('SELECT count(*) n FROM admin.appointments WHERE practice_id = $1', [victim.practiceId]);
    const resources = () => count('SELECT count(*) n FROM clinical.resources WHERE practice_id = $1', [victim.practiceId]);
    const before = [await patients(), await appointments(), await resources()];
    const start = new Date(s.now().getTime() + 40 * 86_400_000);
    const failings: [string, Json][] = [
      ['invalid', { resource: { resourceType: 'Condition', clinicalStatus: 'x' }, request: { method: 'PUT', url: `Condition/${own[0]}` } }],
      ['stranger', { resource: { ...condition(own[0]!, victim.fhirId!), subject: { reference: 'Patient/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' } }, request: { method: 'POST', url: 'Condition' } }],
      ['version', { resource: { ...condition(own[0]!, victim.fhirId!), id: own[0] }, request: { method: 'PUT', url: `Condition/${own[0]}`, ifMatch: 'W/"99"' } }],
    ];
    for (const [name, failing] of failings) {
      const r = await call(s, 'POST', '/fhir', { token, body: bundle('transaction', [
        { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: newPatient(600), request: { method: 'POST', url: 'Patient' } },
        { resource: {
          resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 900_000).toISOString(),
          participant: [{ actor: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' }, status: 'accepted' }, { actor: { reference: `Practitioner/${victim.fhirId}` }, status: 'accepted' }],
        }, request: { method: 'POST', url: 'Appointment' } },
        { resource: condition(own[0]!, victim.fhirId!), request: { method: 'POST', url: 'Condition' } },
        failing,
      ]) });
      expect(r.status, name).toBeGreaterThanOrEqual(400);
      expect(r.status, name).toBeLessThan(500);
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect([await patients(), await appointments(), await resources()], name).toEqual(before);
    }
  });

  // ─── 8. detection learns of what a transaction wrote ─────────────────────────────────
  it('detection counts a transaction\'s writes as they are made: bulk creation stops it midway, nothing kept', async () => {
    await s.fresh();
    const victim = doctor(9);
    const token = (await login(s, victim, THIEF_UA))!;
    const r = await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('transaction',
      Array.from({ length: 45 }, (_, i) => ({ resource: newPatient(700 + i), request: { method: 'POST', url: 'Patient' } }))) });
    // The entry the suspension met is refused, and the transaction with it.
    expect(r.status).toBe(401);
    await s.services.detection.settle();
    expect(['suspend', 'lock']).toContain(s.services.detection.detector.state(victim.fhirId!, s.now()).response);
    expect((await call(s, 'GET', '/fhir/Practitioner', { token, ua: THIEF_UA })).status).toBe(401);
    // The alert outlives the rollback: it is raised outside the transaction.
    const alerts = await count(`SELECT count(*) n FROM audit.alerts WHERE user_id = $1 AND findings::text LIKE '%bulk-create%'`, [victim.fhirId]);
    expect(alerts).toBeGreaterThan(0);
    // Nothing of the transaction was kept.
    expect(await count(`SELECT count(*) n FROM audit.events WHERE user_id = $1 AND action = 'create' AND resource_type = 'Patient'`, [victim.fhirId])).toBe(0);
  });

  // ─── 9. the in-flight bound holds across parallel Bundles ────────────────────────────
  it('parallel Bundles of one account are held to its in-flight bound: refused 429, never 5xx', async () => {
    await s.fresh();
    const victim = doctor(10);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const rs = await Promise.all(Array.from({ length: 20 }, () => call(s, 'POST', '/fhir', { token, body: bundle('batch',
      Array.from({ length: 10 }, () => ({ request: { method: 'GET', url: `Patient/${own[0]}` } }))) })));
    for (const r of rs) {
      expect([200, 429]).toContain(r.status);
      for (const st of statuses(r)) expect([200, 429]).toContain(st);
    }
  });
});
