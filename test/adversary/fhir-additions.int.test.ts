import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startTestApp, userOf, type TestApp } from '../helpers/app.js';
import { BACKENDS } from '../helpers/backends.js';
import { labResult } from '../helpers/observations.js';
import { CANCEL_REASON_SYSTEM } from '../../src/fhir/index.js';

/**
 * An outside review of four additions: Patient's other identifiers, active, generalPractitioner and
 * communication; `_summary` / `_elements` on reads and searches; Practitioner and Organization
 * searches; Appointment versions and If-Match. Attacker's view (a thief with a doctor's or an
 * assistant's session: no 5xx, no value echoed, nothing in clear, no bypass, nothing of another
 * practice) and a FHIR integrator's (read, change, write back; follow Location; race two updates).
 *
 * One backend: PostgreSQL when it answers (real concurrency for the If-Match race), else PGlite.
 */
const backend = BACKENDS.find((b) => b.name === 'postgres') ?? BACKENDS[0]!;
const MINUTE = 60_000;
const KIND_SYSTEM = 'https://medvault.example/fhir/CodeSystem/encounter-kind';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Reply { status: number; body: Json | null; headers: Record<string, unknown>; raw: string }

/** A value that stands for patient data: it must never come back in an error, a log or a clear column. */
const mark = () => `Zqvx${randomBytes(6).toString('hex')}`;

describe(`FHIR additions under attack (${backend.name})`, () => {
  let t: TestApp;
  let doc: string;
  let assistant: string;
  let docId: string;
  let A: string;
  let B: string;
  let treated: string;

  const q = <R>(sql: string, params: unknown[] = []) =>
    t.store.driver.transaction((s) => s.query<R>(sql, params)).then((r) => r.rows);

  /** One request, its body parsed when it is JSON (nothing asserted: the tests say what they expect). */
  async function call(
    token: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {},
    contentType = 'application/fhir+json',
  ): Promise<Reply> {
    const r = await t.app.inject({
      method: method as 'GET', url,
      headers: {
        authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': contentType }), ...headers,
      },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    let body: Json | null;
    try {
      body = r.body.length > 0 ? (JSON.parse(r.body) as Json) : null;
    } catch {
      body = null;
    }
    return { status: r.statusCode, body, headers: r.headers, raw: r.body };
  }

  /** A 4xx OperationOutcome, never a 5xx, and never the marked value. */
  function refusedCleanly(r: Reply, what: string, value?: string): void {
    expect(r.status, `${what}: ${r.raw.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(r.status, `${what}: ${r.raw.slice(0, 300)}`).toBeLessThan(500);
    expect(r.body?.resourceType, what).toBe('OperationOutcome');
    if (value) expect(r.raw, `${what} echoes the value`).not.toContain(value);
  }

  const basePatient = () => ({
    resourceType: 'Patient',
    name: [{ use: 'official', family: 'Vernier', given: ['Agathe'] }],
    gender: 'female',
    birthDate: '1972-05-14',
  });

  beforeAll(async () => {
    t = await startTestApp({ patients: 40, backend });
    [A, B] = t.seeded.practices.map((p) => p.id) as [string, string];
    doc = (await login(t, userOf(t.seeded, 'practitioner'))).access_token;
    assistant = (await login(t, userOf(t.seeded, 'assistant'))).access_token;
    docId = userOf(t.seeded, 'practitioner').fhirId!;
    treated = (await q<{ id: string }>(
      `SELECT c.patient_id id FROM admin.care_relationships c
        WHERE c.practice_id = $1 AND c.practitioner_id = $2 AND c.kind = 'treating'
          AND EXISTS (SELECT 1 FROM clinical.notes n WHERE n.patient_id = c.patient_id) LIMIT 1`,
      [A, docId],
    ))[0]!.id;
  });
  afterAll(async () => t?.close());

  // ─── 1. Patient's extras ───────────────────────────────────────────────────────────────────

  it('odd types in identifier, generalPractitioner, communication and active are a 4xx that names a path, never a value', async () => {
    const m = mark();
    const bodies: [string, Json][] = [
      ['identifier value too long', { identifier: [{ system: 'urn:x:y', value: m.repeat(10) }] }],
      ['identifier system not a URI', { identifier: [{ system: m, value: '1' }] }],
      ['identifier use unknown', { identifier: [{ system: 'urn:x:y', value: '1', use: m }] }],
      ['identifier a string', { identifier: [m] }],
      ['identifier a number', { identifier: [5] }],
      ['identifier an array in an array', { identifier: [[m]] }],
      ['identifier an object', { identifier: { system: 'urn:x:y', value: m } }],
      ['identifier null', { identifier: [null] }],
      ['identifier value a number', { identifier: [{ system: 'urn:x:y', value: 12 }] }],
      ['identifier type a string', { identifier: [{ system: 'urn:x:y', value: '1', type: m }] }],
      ['identifier type an array', { identifier: [{ system: 'urn:x:y', value: '1', type: [m] }] }],
      ['identifier type coding without code', { identifier: [{ system: 'urn:x:y', value: '1', type: { coding: [{ system: m }] } }] }],
      ['identifier type coding a string', { identifier: [{ system: 'urn:x:y', value: '1', type: { coding: [m] } }] }],
      ['eleven identifiers', { identifier: Array.from({ length: 11 }, (_, i) => ({ system: 'urn:x:y', value: `${m}${i}` })) }],
      ['two INS-NIR', { identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: m }, { system: 'urn:oid:1.2.250.1.213.1.4.8', value: m }] }],
      ['gp reference not a practitioner id', { generalPractitioner: [{ reference: `Practitioner/${m}` }] }],
      ['gp reference a number', { generalPractitioner: [{ reference: 5 }] }],
      ['gp reference absolute', { generalPractitioner: [{ reference: `https://evil.example/fhir/Practitioner/${m}` }] }],
      ['gp identifier a string', { generalPractitioner: [{ identifier: m }] }],
      ['gp identifier an array', { generalPractitioner: [{ identifier: [m] }] }],
      ['gp identifier without value', { generalPractitioner: [{ identifier: { system: m } }] }],
      ['gp a string', { generalPractitioner: [m] }],
      ['gp a string, not a list', { generalPractitioner: m }],
      ['gp display only', { generalPractitioner: [{ display: m }] }],
      ['gp display a number', { generalPractitioner: [{ identifier: { system: 'urn:x:y', value: '1' }, display: 7 }] }],
      ['gp null', { generalPractitioner: [null] }],
      ['communication language a string', { communication: [{ language: m }] }],
      ['communication language an array', { communication: [{ language: [m] }] }],
      ['communication coding a string', { communication: [{ language: { coding: [m] } }] }],
      ['communication code not BCP 47', { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: m.repeat(3) }] } }] }],
      ['communication code with a space', { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: `fr ${m}` }] } }] }],
      ['communication preferred a string', { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr' }] }, preferred: m }] }],
      ['communication a string', { communication: m }],
      ['communication text only', { communication: [{ language: { text: m } }] }],
      ['active a string', { active: m }],
      ['active null', { active: null }],
      ['active a list', { active: [true] }],
    ];
    for (const [what, extra] of bodies) {
      const r = await call(assistant, 'POST', '/fhir/Patient', { ...basePatient(), ...extra });
      refusedCleanly(r, what, m);
    }
    // The same through an update and a JSON Patch.
    const created = await call(assistant, 'POST', '/fhir/Patient', basePatient());
    expect(created.status).toBe(201);
    const id = created.body!.id as string;
    for (const [what, extra] of bodies.slice(0, 12)) {
      refusedCleanly(await call(assistant, 'PUT', `/fhir/Patient/${id}`, { ...created.body, ...extra, meta: undefined }), `PUT ${what}`, m);
    }
    const patch = [{ op: 'add', path: '/identifier', value: [{ system: 'urn:x:y', value: m, period: { start: '2020' } }] }];
    refusedCleanly(await call(assistant, 'PATCH', `/fhir/Patient/${id}`, patch, {}, 'application/json-patch+json'), 'PATCH identifier.period', m);
  });

  it('a key the client chose (a name, a number) is not echoed in the refusal either', async () => {
    const m = mark();
    for (const [what, extra] of [
      ['a null under an unknown key of an identifier', { identifier: [{ system: 'urn:x:y', value: '1', [m]: null }] }],
      ['an unknown key of an identifier', { identifier: [{ system: 'urn:x:y', value: '1', [m]: 'x' }] }],
      ['an unknown key of a communication', { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr' }] }, [m]: true }] }],
      ['an unknown key of a generalPractitioner', { generalPractitioner: [{ display: 'x', identifier: { system: 'urn:x:y', value: '1' }, [m]: 1 }] }],
    ] as [string, Json][]) {
      refusedCleanly(await call(assistant, 'POST', '/fhir/Patient', { ...basePatient(), ...extra }), what, m);
    }
  });

  it('a generalPractitioner is a practitioner of the practice: another practice\'s, an assistant, a stranger are 422', async () => {
    const other = (await q<{ id: string }>(
      "SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'practitioner' LIMIT 1", [B],
    ))[0]!.id;
    const desk = (await q<{ id: string }>(
      "SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'assistant' LIMIT 1", [A],
    ))[0]!.id;
    for (const [what, ref] of [['another practice', other], ['an assistant', desk], ['upper-case other practice', other.toUpperCase()]] as const) {
      const r = await call(assistant, 'POST', '/fhir/Patient', { ...basePatient(), generalPractitioner: [{ reference: `Practitioner/${ref}` }] });
      expect(r.status, what).toBe(422);
      expect(r.raw).not.toContain(other);
    }
    // Our own doctor, written in capitals, is accepted and read back as our doctor.
    const ok = await call(assistant, 'POST', '/fhir/Patient', { ...basePatient(), generalPractitioner: [{ reference: `Practitioner/${docId.toUpperCase()}` }] });
    expect(ok.status, ok.raw).toBe(201);
    expect(ok.body!.generalPractitioner).toEqual([{ reference: `Practitioner/${docId}` }]);
    // An update and a patch to another practice's practitioner are refused too.
    const put = await call(assistant, 'PUT', `/fhir/Patient/${ok.body!.id}`, {
      ...ok.body, meta: undefined, generalPractitioner: [{ reference: `Practitioner/${other}` }],
    });
    expect(put.status).toBe(422);
    const patch = await call(assistant, 'PATCH', `/fhir/Patient/${ok.body!.id}`,
      [{ op: 'replace', path: '/generalPractitioner/0/reference', value: `Practitioner/${other}` }], {}, 'application/json-patch+json');
    expect(patch.status).toBe(422);
    const now = await call(assistant, 'GET', `/fhir/Patient/${ok.body!.id}`);
    expect(now.body!.generalPractitioner).toEqual([{ reference: `Practitioner/${docId}` }]);
  });

  it("the old system's identifier is kept sealed: not in any clear column, audit detail or log line", async () => {
    const old = mark();
    const oldHex = Buffer.from(old, 'utf8').toString('hex');
    const created = await call(assistant, 'POST', '/fhir/Patient', {
      ...basePatient(),
      identifier: [{ use: 'old', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'https://old-his.example/ipp', value: old }],
      generalPractitioner: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810009999999' }, display: `Dr ${old}` }],
    });
    expect(created.status, created.raw).toBe(201);
    const id = created.body!.id as string;
    expect((await call(assistant, 'GET', `/fhir/Patient/${id}`)).body!.identifier[0].value).toBe(old);
    await call(assistant, 'PUT', `/fhir/Patient/${id}`, { ...created.body, meta: undefined, active: false });
    // A refused write of it too (422: a stranger as GP): the refusal's trail must not hold it either.
    await call(assistant, 'POST', '/fhir/Patient', {
      ...basePatient(), identifier: [{ system: 'https://old-his.example/ipp', value: old }],
      generalPractitioner: [{ reference: 'Practitioner/11111111-1111-4111-8111-111111111111' }],
    });
    const tables = await q<{ s: string; n: string }>(
      `SELECT table_schema s, table_name n FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const found: string[] = [];
    for (const { s, n } of tables) {
      const rows = await q<{ c: number }>(
        `SELECT count(*)::int c FROM "${s}"."${n}" x WHERE x::text LIKE '%' || $1 || '%' OR x::text LIKE '%' || $2 || '%'`,
        [old, oldHex],
      );
      if (rows[0]!.c > 0) found.push(`${s}.${n}`);
    }
    expect(found, 'tables holding the old identifier in clear').toEqual([]);
    expect(t.logs()).not.toContain(old);
  });

  // ─── 2. _summary and _elements ─────────────────────────────────────────────────────────────

  it('_summary and _elements given oddly, on every kind of GET and on POST _search, are never a 5xx', async () => {
    const note = (await q<{ id: string }>('SELECT id FROM clinical.notes WHERE patient_id = $1 LIMIT 1', [treated]))[0]!.id;
    const obs = await call(doc, 'POST', '/fhir/Observation', labResult(treated, '14682-9', 131, 'umol/L', [45, 104]));
    expect(obs.status, obs.raw).toBe(201);
    const o = obs.body!.id as string;
    const gets = [
      `/fhir/Patient/${treated}?_elements=name&_elements=gender`,
      `/fhir/Patient/${treated}?_summary=true&_summary=false`,
      `/fhir/Patient/${treated}?_summary=`,
      `/fhir/Patient/${treated}?_elements=`,
      `/fhir/Patient/${treated}?_elements=,,,`,
      `/fhir/Patient/${treated}?_elements=${'a'.repeat(80)}`,
      `/fhir/Patient/${treated}?_elements=${Array.from({ length: 60 }, (_, i) => `a${i}`).join(',')}`,
      `/fhir/Patient/${treated}?_elements=__proto__`,
      `/fhir/Patient/${treated}?_elements=constructor,toString,hasOwnProperty`,
      `/fhir/Patient/${treated}?_elements=Patient.name,Observation.code`,
      `/fhir/Patient/${treated}?_elements=value[x]`,
      `/fhir/Patient/${treated}?_elements%5B%5D=name`,
      `/fhir/Patient/${treated}?_elements[a]=name`,
      `/fhir/Patient/${treated}?_summary=COUNT`,
      `/fhir/Patient/${treated}/$everything?_elements=name`,
      `/fhir/Patient/${treated}/$everything?_summary=count`,
      `/fhir/Patient/${treated}/$everything?_summary=true&_summary=true`,
      `/fhir/Observation/${o}/_history?_elements=code`,
      `/fhir/Observation/${o}/_history?_summary=bogus`,
      `/fhir/Observation/${o}/_history/1?_summary=text`,
      `/fhir/Binary/${note}?_elements=id`,
      `/fhir/Binary/${note}?_summary=bogus`,
      `/fhir/DocumentReference/${note}/$content?_summary=true`,
      `/fhir/Patient/${treated}/$ordonnance?_elements=x&request=${o}`,
      '/fhir/metadata?_summary=true',
      '/fhir/metadata?_elements=rest',
      '/fhir/Practitioner?_elements=name&name=a',
      '/fhir/Organization?_summary=data',
      `/fhir/AuditEvent?patient=${treated}&_elements=agent`,
      `/fhir/Appointment?patient=${treated}&_elements=status,participant`,
      `/fhir/Observation?patient=${treated}&_summary=count`,
      `/fhir/Observation?_cursor=abc&_elements=code`,
    ];
    const fiveXX: string[] = [];
    for (const url of gets) {
      for (const accept of [undefined, 'application/fhir+json']) {
        const r = await call(doc, 'GET', url, undefined, accept ? { accept } : {});
        if (r.status >= 500) fiveXX.push(`${r.status} ${url} ${r.raw.slice(0, 120)}`);
      }
    }
    const forms: [string, string, string][] = [
      ['form, repeated', '_elements=name&_elements=gender', 'application/x-www-form-urlencoded'],
      ['form, count', '_summary=count', 'application/x-www-form-urlencoded'],
      ['form, both', '_summary=true&_elements=name', 'application/x-www-form-urlencoded'],
      ['form, cursor and elements', '_cursor=x&_elements=name', 'application/x-www-form-urlencoded'],
      ['json, an array', JSON.stringify({ _elements: ['name'] }), 'application/json'],
      ['json, an object', JSON.stringify({ _summary: { a: 1 } }), 'application/json'],
      ['json, null', JSON.stringify({ _elements: null }), 'application/json'],
      ['json, a list', JSON.stringify([{ _elements: 'name' }]), 'application/json'],
      ['fhir+json, a number', JSON.stringify({ _summary: 1 }), 'application/fhir+json'],
    ];
    for (const [what, payload, type] of forms) {
      for (const url of ['/fhir/Patient/_search', `/fhir/Observation/_search?patient=${treated}`]) {
        const r = await call(doc, 'POST', url, payload, {}, type);
        if (r.status >= 500) fiveXX.push(`${r.status} POST ${url} ${what} ${r.raw.slice(0, 120)}`);
      }
    }
    // A write whose URL carries them: the write ignores them or refuses, never fails.
    const w = await call(doc, 'PUT', `/fhir/Observation/${o}?_summary=count&_elements=x`, obs.body);
    if (w.status >= 500) fiveXX.push(`${w.status} PUT with _summary`);
    expect(fiveXX).toEqual([]);
  });

  it('_elements and _summary give an assistant nothing more, and change nothing the audit and the ledger record', async () => {
    // Clinical: refused alike with and without them.
    for (const url of [
      `/fhir/Observation?patient=${treated}`, `/fhir/DocumentReference?patient=${treated}`,
      `/fhir/Patient/${treated}/$everything`,
    ]) {
      const plain = await call(assistant, 'GET', url);
      for (const extra of ['_summary=true', '_elements=id', '_summary=text', '_summary=data']) {
        const r = await call(assistant, 'GET', `${url}${url.includes('?') ? '&' : '?'}${extra}`);
        expect(r.status, `${url} ${extra}`).toBe(plain.status);
        if (r.status === 200) expect(JSON.stringify(r.body)).not.toMatch(/"resourceType":"(Observation|DocumentReference)"/);
      }
    }
    // A search's listing holds no NIR or address; no _elements brings them back.
    const listing = await call(assistant, 'GET', '/fhir/Patient?_count=3&_elements=identifier,address,telecom,extension');
    expect(listing.status).toBe((await call(assistant, 'GET', '/fhir/Patient?_count=3')).status);
    for (const e of listing.body?.entry ?? []) {
      expect(Object.keys(e.resource)).not.toEqual(expect.arrayContaining(['identifier']));
      expect(e.resource.address).toBeUndefined();
      expect(e.resource.telecom).toBeUndefined();
    }
    // The audit of a search is the same with _elements as without: the same patients returned.
    const last = async () => (await q<{ detail: Json }>('SELECT detail FROM audit.events ORDER BY seq DESC LIMIT 1'))[0]!.detail;
    await call(doc, 'GET', '/fhir/Patient?_count=4');
    const without = await last();
    await call(doc, 'GET', '/fhir/Patient?_count=4&_elements=id');
    const withIt = await last();
    expect(withIt.returned).toEqual(without.returned);
    expect(withIt.fields).toEqual(without.fields);
  });

  it('the next-page link carries no _elements value, and the next page is shaped alike', async () => {
    const r = await call(doc, 'GET', '/fhir/Patient?_count=2&_elements=gender,birthDate');
    expect(r.status).toBe(200);
    for (const l of r.body!.link) {
      expect(l.url).not.toMatch(/_elements|gender|birthDate|_summary/);
      expect(l.url).toMatch(/\?_cursor=[A-Za-z0-9_.-]+$/);
    }
    const next = r.body!.link.find((l: Json) => l.relation === 'next');
    expect(next).toBeDefined();
    const page = await call(doc, 'GET', new URL(next.url).pathname + new URL(next.url).search);
    expect(page.status).toBe(200);
    for (const e of page.body!.entry) {
      expect(e.resource.name).toBeUndefined();
      expect(e.resource.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
    }
  });

  it('a resource read subsetted (tagged SUBSETTED) and written back is refused, not stored without what was cut away', async () => {
    const obs = await call(doc, 'POST', '/fhir/Observation', labResult(treated, '14682-9', 131, 'umol/L', [45, 104], 'N'));
    expect(obs.status, obs.raw).toBe(201);
    const id = obs.body!.id as string;
    expect(obs.body!.referenceRange).toBeDefined();
    const cut = await call(doc, 'GET', `/fhir/Observation/${id}?_elements=subject,category,effective,value`);
    expect(cut.status).toBe(200);
    expect(cut.body!.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
    expect(cut.body!.referenceRange).toBeUndefined();
    const back = await call(doc, 'PUT', `/fhir/Observation/${id}`, cut.body, { 'if-match': String(cut.headers.etag) });
    const after = await call(doc, 'GET', `/fhir/Observation/${id}`);
    // The write is refused (4xx), and nothing was lost: the reference range and interpretation stay.
    expect({
      refused: back.status >= 400 && back.status < 500,
      referenceRange: after.body!.referenceRange !== undefined, interpretation: after.body!.interpretation !== undefined,
    }, `PUT answered ${back.status}, now version ${String(after.body!.meta?.versionId)}`)
      .toEqual({ refused: true, referenceRange: true, interpretation: true });
  });

  it('a Patient read subsetted and written back is refused (its meta.tag is not accepted)', async () => {
    const cut = await call(assistant, 'GET', `/fhir/Patient/${treated}?_summary=true`);
    expect(cut.status).toBe(200);
    const back = await call(assistant, 'PUT', `/fhir/Patient/${treated}`, cut.body, { 'if-match': String(cut.headers.etag) });
    expect(back.status).toBe(400);
  });

  // ─── 3. Directory searches ─────────────────────────────────────────────────────────────────

  it("a directory search never finds another practice's staff or organization", async () => {
    const theirs = await q<{ id: string; rpps: string | null; family_name: string; given_name: string }>(
      "SELECT id, rpps, family_name, given_name FROM admin.users WHERE practice_id = $1 AND role = 'practitioner'", [B],
    );
    const ours = new Set((await q<{ id: string }>('SELECT id FROM admin.users WHERE practice_id = $1', [A])).map((x) => x.id));
    expect(theirs.length).toBeGreaterThan(0);
    const ids = (r: Reply) => ((r.body?.entry ?? []) as Json[]).map((e) => e.resource.id as string);
    const all = await call(doc, 'GET', '/fhir/Practitioner?_count=50');
    expect(all.status).toBe(200);
    for (const id of ids(all)) expect(ours.has(id), id).toBe(true);
    for (const u of theirs) {
      for (const query of [
        `_id=${u.id}`, `_id=${docId},${u.id}`, ...(u.rpps ? [`identifier=${u.rpps}`, `identifier=|${u.rpps}`] : []),
        `family=${encodeURIComponent(u.family_name)}`, `name:exact=${encodeURIComponent(u.family_name)}`,
        `name:contains=${encodeURIComponent(u.given_name.slice(1, 4))}`, `given=${encodeURIComponent(u.given_name)}`,
      ]) {
        for (const token of [doc, assistant]) {
          const r = await call(token, 'GET', `/fhir/Practitioner?${query}`);
          expect(r.status, query).toBe(200);
          expect(ids(r), query).not.toContain(u.id);
          for (const id of ids(r)) expect(ours.has(id), query).toBe(true);
        }
      }
    }
    expect(ids(await call(doc, 'GET', `/fhir/Organization?_id=${B}`))).toEqual([]);
    expect(ids(await call(doc, 'GET', `/fhir/Organization?_id=${A}`))).toEqual([A]);
    // Bad values: a 400 that names the parameter, not the value.
    const m = mark();
    for (const query of [`active=${m}`, `name=${m.repeat(20)}`, `name:missing=${m}`, `family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}&family:exact=${m}`, `identifier=a&_count=0`]) {
      refusedCleanly(await call(doc, 'GET', `/fhir/Practitioner?${query}`), query, m);
    }
    for (const query of ['name=', 'name:contains=', 'identifier=|', 'identifier=', '_id=', `_id=${'x'.repeat(199)}`, 'name=%C3%A9%CC%81']) {
      const r = await call(doc, 'GET', `/fhir/Practitioner?${query}`);
      expect(r.status, query).toBeLessThan(500);
    }
  });

  // ─── 4. Appointment versions and If-Match ──────────────────────────────────────────────────

  /** A free start in a month's time (a home visit: no opening hours), its minute varied per call. */
  let slot = 0;
  function appointment(patient: string, startMs: number, more: Json = {}): Json {
    return {
      resourceType: 'Appointment', status: 'booked',
      serviceType: [{ coding: [{ system: KIND_SYSTEM, code: 'home-visit' }] }],
      start: new Date(startMs).toISOString(), end: new Date(startMs + 20 * MINUTE).toISOString(),
      participant: [
        { actor: { reference: `Patient/${patient}` }, status: 'accepted' },
        { actor: { reference: `Practitioner/${docId}` }, status: 'accepted' },
      ],
      ...more,
    };
  }
  const freeStart = () => {
    const day = new Date(t.now().getTime() + (40 + slot++) * 86_400_000);
    day.setUTCHours(9, 0, 0, 0);
    return day.getTime();
  };
  async function book(): Promise<{ id: string; start: number; body: Json; reply: Reply }> {
    const start = freeStart();
    const r = await call(assistant, 'POST', '/fhir/Appointment', appointment(treated, start));
    expect(r.status, r.raw).toBe(201);
    return { id: r.body!.id as string, start, body: r.body!, reply: r };
  }

  it('two updates with the same If-Match at once: one 200, one 412, one version written', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await book();
      const moves = [30, 90].map((d) => ({ ...appointment(treated, a.start + d * MINUTE), id: a.id }));
      const both = await Promise.all(moves.map((m) => call(assistant, 'PUT', `/fhir/Appointment/${a.id}`, m, { 'if-match': 'W/"1"' })));
      expect(both.map((r) => r.status).sort(), both.map((r) => r.raw.slice(0, 120)).join(' | ')).toEqual([200, 412]);
      // The same with a change of status only (no agenda lock taken): still one winner.
      const cancels = ['pat', 'prov'].map((code) => ({
        ...appointment(treated, a.start + (both[0]!.status === 200 ? 30 : 90) * MINUTE), id: a.id, status: 'cancelled',
        cancelationReason: { coding: [{ system: CANCEL_REASON_SYSTEM, code }] },
      }));
      const again = await Promise.all(cancels.map((c) => call(assistant, 'PUT', `/fhir/Appointment/${a.id}`, c, { 'if-match': 'W/"2"' })));
      expect(again.map((r) => r.status).sort(), again.map((r) => r.raw.slice(0, 160)).join(' | ')).toEqual([200, 412]);
      const history = await call(assistant, 'GET', `/fhir/Appointment/${a.id}/_history`);
      expect(history.body!.entry.map((e: Json) => e.resource.meta.versionId)).toEqual(['3', '2', '1']);
    }
  });

  it('a stale, malformed or odd If-Match on an Appointment is a 4xx that writes nothing', async () => {
    const a = await book();
    const move = { ...appointment(treated, a.start + 30 * MINUTE), id: a.id };
    for (const ifMatch of ['W/"2"', 'W/"0"', '"x"', 'W/"1", W/"2"', 'W/"99999999999"', '*', 'W/"-1"']) {
      const r = await call(assistant, 'PUT', `/fhir/Appointment/${a.id}`, move, { 'if-match': ifMatch });
      refusedCleanly(r, `If-Match ${ifMatch}`);
    }
    const other = '11111111-1111-4111-8111-111111111111';
    refusedCleanly(await call(assistant, 'PUT', `/fhir/Appointment/${other}`, { ...move, id: other }, { 'if-match': 'W/"1"' }), 'unknown id');
    const now = await call(assistant, 'GET', `/fhir/Appointment/${a.id}`);
    expect(now.body!.meta.versionId).toBe('1');
  });

  it('an Appointment read carries its ETag, as the docs promise (versions: meta.versionId, an ETag, If-Match)', async () => {
    const a = await book();
    const read = await call(assistant, 'GET', `/fhir/Appointment/${a.id}`);
    expect(read.status).toBe(200);
    expect(read.body!.meta.versionId).toBe('1');
    expect(read.headers.etag).toBe('W/"1"');
  });

  it('an Appointment read, changed and written back whole with If-Match is accepted (a standard client\'s update)', async () => {
    const a = await book();
    const read = await call(assistant, 'GET', `/fhir/Appointment/${a.id}`);
    const moved = {
      ...read.body, start: new Date(a.start + 45 * MINUTE).toISOString(), end: new Date(a.start + 65 * MINUTE).toISOString(),
    };
    const r = await call(assistant, 'PUT', `/fhir/Appointment/${a.id}`, moved, { 'if-match': `W/"${read.body!.meta.versionId}"` });
    expect(r.status, r.raw.slice(0, 300)).toBe(200);
    expect(r.body!.meta.versionId).toBe('2');
  });

  it('the Location of a booked Appointment can be followed', async () => {
    const a = await book();
    const location = String(a.reply.headers.location);
    expect(location).toMatch(new RegExp(`/fhir/Appointment/${a.id}$`));
    const r = await call(assistant, 'GET', new URL(location).pathname);
    expect(r.status, r.raw.slice(0, 200)).toBe(200);
    expect(r.body!.id).toBe(a.id);
  });
});
