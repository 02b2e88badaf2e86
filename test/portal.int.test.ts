import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enterAsPatient } from '../src/store/index.js';
import { bearer, login, startTestApp, type TestApp } from './helpers/app.js';
import { fhir } from './helpers/fhir.js';
import type { DemoUser } from '../src/sim/seed.js';

/**
 * The patient portal over HTTP, as a thief holding a patient's password would try it: she reads
 * the notes and documents her doctor shared with her and nothing else — not an unshared note by its
 * id, its `$content` or `Binary`, its history, nor another patient's shared note, nor through
 * `$everything`; the database refuses the same even to a query that forgets to ask. Sharing is the
 * author's alone, while she treats the patient, and audited; the summary PDF holds what the portal
 * shows; an emergency access shows the patient the reason stated for it.
 */
// FHIR answers are untyped JSON here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = Record<string, any>;

let t: TestApp;
let practiceId: string;
let alice: DemoUser;
let bruno: DemoUser;
let aliceToken: string;
let doctor: DemoUser;
let doctorToken: string;
let colleagueToken: string;
let assistantToken: string;
const tmp = mkdtempSync(join(tmpdir(), 'medvault-portal-'));

const ids = (b: J): string[] => (b.entry ?? []).map((e: J) => e.resource).filter((r: J) => r.resourceType === 'DocumentReference')
  .map((r: J) => r.id as string);
const share = (token: string, id: string, shared: boolean) => fhir(t, token, 'POST', `/fhir/DocumentReference/${id}/$share`, {
  resourceType: 'Parameters', parameter: [{ name: 'shared', valueBoolean: shared }],
});
/** The doctor's view of a patient's notes: every current one, shared or not. */
async function allNotesOf(patientId: string): Promise<J[]> {
  const r = await fhir(t, doctorToken, 'GET', `/fhir/DocumentReference?patient=${patientId}&_count=100`);
  expect(r.status).toBe(200);
  return r.body.entry.map((e: J) => e.resource);
}
const isShared = (n: J) => (n.meta?.tag ?? []).some((x: J) => x.code === 'patient');
const textOf = (n: J) => Buffer.from(n.content[0].attachment.data ?? '', 'base64').toString();
/** The doctor's working note about Alice, not shared (sim/portal.ts). */
async function workingNote(): Promise<J> {
  const found = (await allNotesOf(alice.fhirId!)).find((n) => !isShared(n) && textOf(n).startsWith('Note de travail'));
  expect(found).toBeDefined();
  return found!;
}
async function lastEvent(where: string, params: unknown[]): Promise<J> {
  return t.services.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) =>
    (await tx.query<J>(`SELECT * FROM audit.events WHERE ${where} ORDER BY seq DESC LIMIT 1`, params)).rows[0]!);
}

beforeAll(async () => {
  t = await startTestApp({ patients: 20 });
  // A practice with two doctors at least: the one who shares, and a colleague who may not.
  const doctors = (id: string) => t.seeded.users.filter((u) => u.role === 'practitioner' && u.practiceId === id).length;
  practiceId = t.seeded.practices.map((p) => p.id).find((id) => doctors(id) >= 2)!;
  expect(practiceId).toBeDefined();
  const patients = t.seeded.users.filter((u) => u.role === 'patient' && u.practiceId === practiceId);
  [alice, bruno] = [patients[0]!, patients[1]!];
  aliceToken = (await login(t, alice)).access_token;
  // The seeded portal content: a letter shared with her by her doctor (sim/portal.ts); its author is her doctor.
  const mine = await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference?patient=${alice.fhirId}`);
  const author = (mine.body.entry[0].resource.author[0].reference as string).slice('Practitioner/'.length);
  doctor = t.seeded.users.find((u) => u.fhirId === author)!;
  doctorToken = (await login(t, doctor)).access_token;
  const colleague = t.seeded.users.find((u) => u.role === 'practitioner' && u.practiceId === practiceId && u !== doctor)!;
  colleagueToken = (await login(t, colleague)).access_token;
  const assistant = t.seeded.users.find((u) => u.role === 'assistant' && u.practiceId === practiceId)!;
  assistantToken = (await login(t, assistant)).access_token;
}, 120_000);

afterAll(async () => {
  await t?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the notes a patient reads are the ones shared with her', () => {
  it('lists only the shared notes in her search, marked with the sharing tag', async () => {
    const everyNote = await allNotesOf(alice.fhirId!);
    expect(everyNote.filter((n) => !isShared(n)).length).toBeGreaterThan(0);
    const r = await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference?patient=${alice.fhirId}`);
    expect(r.status).toBe(200);
    expect(ids(r.body).sort()).toEqual(everyNote.filter(isShared).map((n) => n.id).sort());
    for (const e of r.body.entry) expect(e.resource.meta.tag[0]).toMatchObject({ code: 'patient' });
  });

  it('opens a shared note, its $content and its Binary', async () => {
    const letter = (await allNotesOf(alice.fhirId!)).find(isShared)!;
    const read = await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference/${letter.id}`);
    expect(read.status).toBe(200);
    expect(Buffer.from(read.body.content[0].attachment.data, 'base64').toString()).toMatch(/Consultation de suivi/);
    for (const url of [`/fhir/DocumentReference/${letter.id}/$content`, `/fhir/Binary/${letter.id}`]) {
      const r = await t.app.inject({ method: 'GET', url, headers: bearer(aliceToken) });
      expect(r.statusCode, url).toBe(200);
    }
  });

  it('refuses an unshared note by its id, its $content, its Binary and its history, as absent, and audits it', async () => {
    const working = await workingNote();
    const urls = [
      `/fhir/DocumentReference/${working.id}`, `/fhir/DocumentReference/${working.id}/$content`,
      `/fhir/Binary/${working.id}`, `/fhir/DocumentReference/${working.id}/_history`,
      `/fhir/DocumentReference/${working.id}/_history/1`,
    ];
    for (const url of urls) {
      const r = await t.app.inject({ method: 'GET', url, headers: bearer(aliceToken) });
      expect(r.statusCode, url).toBe(404);
      expect(r.body).not.toMatch(/Note de travail|hypoth/);
    }
    const denied = await lastEvent('resource_id = $1 AND user_id = $2', [working.id, await userIdOf(alice)]);
    expect(denied).toMatchObject({ outcome: 'denied', action: 'read', resource_type: 'DocumentReference' });
  });

  it("refuses another patient's shared note, and her search of another patient finds nothing of it", async () => {
    const brunoToken = (await login(t, bruno)).access_token;
    const his = await fhir(t, brunoToken, 'GET', `/fhir/DocumentReference?patient=${bruno.fhirId}`);
    const theirs = his.body.entry[0].resource as J;
    expect(theirs.subject.reference).toBe(`Patient/${bruno.fhirId}`);
    expect((await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference/${theirs.id}`)).status).toBe(404);
    expect((await fhir(t, aliceToken, 'GET', `/fhir/Binary/${theirs.id}`)).status).toBe(404);
    const search = await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference?patient=${bruno.fhirId}`);
    expect(search.status === 404 || ids(search.body ?? {}).length === 0).toBe(true);
    expect((await fhir(t, aliceToken, 'GET', `/fhir/Patient/${bruno.fhirId}/$everything`)).status).toBe(404);
  });

  it('gives only the shared notes in her $everything', async () => {
    const r = await fhir(t, aliceToken, 'GET', `/fhir/Patient/${alice.fhirId}/$everything`);
    expect(r.status).toBe(200);
    const shared = (await allNotesOf(alice.fhirId!)).filter(isShared).map((n) => n.id);
    expect(ids(r.body).sort()).toEqual(shared.sort());
    expect(JSON.stringify(r.body)).not.toMatch(/Note de travail/);
  });

  it('shows the database only her shared, current notes once the transaction names her, and no write', async () => {
    const count = (patientId: string | null) => t.services.db.transaction({ role: 'clinical', practiceId }, async (tx) => {
      await enterAsPatient(tx, patientId);
      const r = await tx.query<{ n: number; others: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE patient_id <> $1 OR NOT shared_with_patient)::int AS others
           FROM clinical.notes`, [alice.fhirId],
      );
      return r.rows[0]!;
    });
    const seen = await count(alice.fhirId);
    expect(seen.others).toBe(0);
    expect(seen.n).toBe((await allNotesOf(alice.fhirId!)).filter(isShared).length);
    // No patient named: nothing at all (fail closed).
    expect((await count(null)).n).toBe(0);
    const write = t.services.db.transaction({ role: 'clinical', practiceId }, async (tx) => {
      await enterAsPatient(tx, alice.fhirId);
      await tx.query('UPDATE clinical.notes SET shared_with_patient = true WHERE patient_id = $1', [alice.fhirId]);
    });
    await expect(write).rejects.toThrow(/row-level security|policy/);
  });
});

async function userIdOf(u: DemoUser): Promise<string> {
  return t.services.db.transaction({ role: 'admin', practiceId }, async (tx) =>
    (await tx.query<{ id: string }>('SELECT id FROM admin.users WHERE username = $1', [u.username])).rows[0]!.id);
}

describe('sharing a note is its author’s decision', () => {
  it('lets the author share and unshare, each audited; the patient sees it, then no longer', async () => {
    const working = await workingNote();
    const on = await share(doctorToken, working.id, true);
    expect(on.status).toBe(200);
    expect(on.body.parameter[0]).toEqual({ name: 'shared', valueBoolean: true });
    expect((await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference/${working.id}`)).status).toBe(200);
    const audited = await lastEvent("resource_id = $1 AND action = 'update'", [working.id]);
    expect(audited).toMatchObject({ outcome: 'success', role: 'practitioner', segment: 'clinical' });
    expect(audited.detail).toMatchObject({ shared: true });
    expect((await share(doctorToken, working.id, false)).status).toBe(200);
    expect((await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference/${working.id}`)).status).toBe(404);
    expect((await lastEvent("resource_id = $1 AND action = 'update'", [working.id])).detail).toMatchObject({ shared: false });
  });

  it('refuses a colleague, an assistant and the patient herself, audited', async () => {
    const working = await workingNote();
    expect((await share(colleagueToken, working.id, true)).status).toBe(403);
    const refused = await lastEvent("resource_id = $1 AND outcome = 'denied'", [working.id]);
    expect(refused.reason).toBe('not-the-author');
    expect((await share(assistantToken, working.id, true)).status).toBe(403);
    expect([403, 404]).toContain((await share(aliceToken, working.id, true)).status);
    expect((await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference/${working.id}`)).status).toBe(404);
  });

  it('refuses a malformed $share body and an unknown note', async () => {
    const working = await workingNote();
    const bad = [
      { resourceType: 'Parameters', parameter: [{ name: 'shared', valueString: 'yes' }] },
      { resourceType: 'Parameters', parameter: [] },
      { resourceType: 'Bundle', parameter: [{ name: 'shared', valueBoolean: true }] },
    ];
    for (const body of bad) {
      expect((await fhir(t, doctorToken, 'POST', `/fhir/DocumentReference/${working.id}/$share`, body)).status).toBe(400);
    }
    expect((await share(doctorToken, '00000000-0000-4000-8000-000000000000', true)).status).toBe(404);
  });

  it('keeps an amendment of a shared note shared, and the note it replaced out of her reach', async () => {
    const note = (text: string, replaces?: string) => ({
      resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${alice.fhirId}` },
      ...(replaces ? { relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${replaces}` } }] } : {}),
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
    });
    const first = await fhir(t, doctorToken, 'POST', '/fhir/DocumentReference', note('Conseils après la visite.'));
    expect(first.status).toBe(201);
    expect(isShared(first.body)).toBe(false);
    expect((await share(doctorToken, first.body.id, true)).status).toBe(200);
    const amended = await fhir(t, doctorToken, 'POST', '/fhir/DocumentReference', note('Conseils, corrigés.', first.body.id));
    expect(amended.status).toBe(201);
    expect(isShared(amended.body)).toBe(true);
    expect((await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference/${amended.body.id}`)).status).toBe(200);
    expect((await fhir(t, aliceToken, 'GET', `/fhir/DocumentReference/${first.body.id}`)).status).toBe(404);
    // A replaced note is not shared anew.
    expect((await share(doctorToken, first.body.id, true)).status).toBe(422);
  });
});

describe('what else the portal reads', () => {
  it('names the practice’s practitioners to the patient', async () => {
    const r = await fhir(t, aliceToken, 'GET', '/fhir/Practitioner');
    expect(r.status).toBe(200);
    expect(r.body.entry.map((e: J) => e.resource.id)).toContain(doctor.fhirId);
  });

  it('shows the patient the reason stated for an emergency access to her record', async () => {
    const reason = 'Patiente inconsciente aux urgences, médecin traitant injoignable';
    const glass = await t.app.inject({
      method: 'POST', url: '/access/break-glass', headers: { ...bearer(colleagueToken), 'content-type': 'application/json' },
      payload: JSON.stringify({ patientId: alice.fhirId, reason }),
    });
    expect(glass.statusCode).toBe(201);
    const r = await fhir(t, aliceToken, 'GET', '/fhir/AuditEvent?_count=100');
    const events: J[] = r.body.entry.map((e: J) => e.resource);
    const emergency = events.find((e) => e.subtype[0].code === 'break-glass')!;
    expect(emergency.outcomeDesc).toBe(reason);
    expect(emergency.purposeOfEvent[0].coding[0].code).toBe('ETREAT');
    // The policy's own reasons stay with the security officers.
    for (const e of events.filter((x) => x.subtype[0].code !== 'break-glass')) expect(e.outcomeDesc).toBeUndefined();
  });

  it('prints her summary as a French PDF: appointments, shared documents, accesses — nothing unshared', async () => {
    const r = await t.app.inject({
      method: 'GET', url: `/fhir/Patient/${alice.fhirId}/$record-summary`, headers: bearer(aliceToken),
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/pdf/);
    const file = join(tmp, 'summary.pdf');
    writeFileSync(file, r.rawPayload);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toMatch(/Relevé de mon dossier médical/);
    expect(text).toMatch(/Mes rendez-vous/);
    expect(text).toMatch(/Compte rendu de consultation/);
    expect(text).toMatch(/Qui a consulté mon dossier/);
    expect(text).toMatch(/médecin traitant injoignable/);
    expect(text).not.toMatch(/Note de travail/);
    // Another patient's summary, and a professional's: refused.
    const theirs = await t.app.inject({
      method: 'GET', url: `/fhir/Patient/${bruno.fhirId}/$record-summary`, headers: bearer(aliceToken),
    });
    expect(theirs.statusCode).toBe(404);
    const byDoctor = await t.app.inject({
      method: 'GET', url: `/fhir/Patient/${alice.fhirId}/$record-summary`, headers: bearer(doctorToken),
    });
    expect(byDoctor.statusCode).toBe(403);
  });
});
