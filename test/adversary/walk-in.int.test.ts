import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { AdminRepository, ClinicalRepository } from '../../src/store/index.js';
import { INS_NIR_SYSTEM } from '../../src/fhir/index.js';
import { REGISTRY } from '../../src/resources/index.js';
import { writeClinical } from '../helpers/clinical.js';
import {
  calendar, colleaguesNotes, freeSlots, Session, startServer, Thief, type Reply, type Server,
} from './harness.js';
import { recordFigure } from './figures.js';

/**
 * Walk-ins: a doctor who registers a patient, or sees a patient booked with her for today (one she
 * booked herself included), writes that visit's notes and reads what she wrote in it, without
 * break-the-glass. The patient's earlier record still needs genuine care: a thief with her password
 * and second factor who books strangers for today himself gets to write, and to read the notes he
 * writes from then on — no note written before his booking, nor by anyone else.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const noteBody = (patientId: string, text: string) => ({
  resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patientId}` },
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
});

const appointmentBody = (patientId: string, practitionerId: string, start: Date) => ({
  resourceType: 'Appointment', status: 'booked',
  start: start.toISOString(), end: new Date(start.getTime() + 20 * MINUTE).toISOString(),
  participant: [
    { actor: { reference: `Patient/${patientId}` }, status: 'accepted' },
    { actor: { reference: `Practitioner/${practitionerId}` }, status: 'accepted' },
  ],
});

/** The DocumentReference ids a reply carried (a note, a search page, `$everything`). */
function noteIds(r: Reply): string[] {
  const resources = r.body.resourceType === 'Bundle' ? (r.body.entry ?? []).map((e) => e.resource) : [r.body];
  return resources.filter((x) => x.resourceType === 'DocumentReference').map((x) => x.id as string);
}

describe.each(BACKENDS)('walk-ins ($name)', (backend) => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 120 });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** The notes of these patients in the database now: what "earlier record" means for a test. */
  async function notesOn(patientIds: readonly string[]): Promise<Set<string>> {
    const r = await s.store.driver.transaction((q) =>
      q.query<{ id: string }>('SELECT id FROM clinical.notes WHERE patient_id = ANY($1::uuid[])', [patientIds]));
    return new Set(r.rows.map((x) => x.id));
  }

  it('honest: a doctor registers a walk-in and books herself: writes and reads the visit\'s notes', async () => {
    await s.fresh();
    const { victim: doctor, patients: others } = await colleaguesNotes(s);
    const session = new Session(s, doctor);
    const why: string[] = [];
    let requests = 0;
    const ok = async (method: string, path: string, body?: unknown): Promise<Reply> => {
      const r = await session.request(method, path, body);
      requests++;
      if (r.status >= 400) {
        const where = path.replace(/[0-9a-f-]{36}/g, '…');
        why.push(`${method} ${where} ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      }
      return r;
    };
    // A walk-in: registered at the desk by the doctor herself (no assistant in a solo practice).
    const created = await ok('POST', '/fhir/Patient', {
      resourceType: 'Patient', name: [{ use: 'official', family: 'Passage', given: ['Lucie'] }],
      gender: 'female', birthDate: '1988-04-12',
    });
    const walkIn = created.body.id as string;
    expect(walkIn).toMatch(/^[0-9a-f-]{36}$/);
    // Registered a minute ago: she may write at once, before the booking is even made.
    const first = await ok('POST', '/fhir/DocumentReference', noteBody(walkIn, 'Motif : fièvre depuis hier.'));
    const soon = (ms: number) => new Date(s.now().getTime() + ms);
    // The first slot her agenda has free (the agenda refuses one that overlaps her other visits).
    const [opening] = await freeSlots(s, doctor.fhirId!, soon(2 * MINUTE), 1);
    await ok('POST', '/fhir/Appointment', appointmentBody(walkIn, doctor.fhirId!, opening!));
    s.advance(15 * MINUTE);
    const second = await ok('POST', '/fhir/DocumentReference', noteBody(walkIn, 'Angine virale probable.'));
    const written = [first.body.id as string, second.body.id as string];
    const byId = await ok('GET', `/fhir/DocumentReference/${written[1]}`);
    const listed = await ok('GET', `/fhir/DocumentReference?patient=${walkIn}`);
    const whole = await ok('GET', `/fhir/Patient/${walkIn}/$everything`);
    expect(why).toEqual([]);
    expect(noteIds(byId)).toEqual([written[1]]);
    expect(noteIds(listed).sort()).toEqual([...written].sort());
    expect(noteIds(whole).sort()).toEqual([...written].sort());

    // An existing patient of the practice (earlier notes by colleagues, no care with her), booked
    // by the doctor herself for today: this visit's note, and none of the earlier ones.
    s.advance(10 * MINUTE);
    const known = others[0]!;
    const earlier = await notesOn([known]);
    expect(earlier.size).toBeGreaterThan(0);
    const [next] = await freeSlots(s, doctor.fhirId!, soon(5 * MINUTE), 1);
    await ok('POST', '/fhir/Appointment', appointmentBody(known, doctor.fhirId!, next!));
    s.advance(10 * MINUTE);
    const visit = await ok('POST', '/fhir/DocumentReference', noteBody(known, 'Sans rendez-vous : lombalgie aiguë.'));
    const mine = visit.body.id as string;
    const again = await ok('GET', `/fhir/DocumentReference/${mine}`);
    const list = await ok('GET', `/fhir/DocumentReference?patient=${known}`);
    const all = await ok('GET', `/fhir/Patient/${known}/$everything`);
    expect(noteIds(again)).toEqual([mine]);
    expect(noteIds(list)).toEqual([mine]);
    expect(noteIds(all)).toEqual([mine]);

    recordFigure(backend.name, 'walk-in: honest doctor registers, books herself, writes and reads the visit', {
      requests, refused: why.length,
    });
    expect(why).toEqual([]);
  });

  it('adversary: a thief books patients with notes for today, tries every route: no earlier note', async () => {
    await s.fresh();
    const { victim, patients: targets } = await colleaguesNotes(s);
    expect(targets.length).toBeGreaterThan(6);
    const practiceId = victim.practiceId!;
    // Among them, a patient with a note the victim herself wrote ten days ago (and no care now).
    const ownPast = targets[4]!;
    const tenDaysAgo = new Date(s.now().getTime() - 10 * 24 * HOUR);
    await s.services.db.transaction({ role: 'clinical', practiceId }, (tx) =>
      new ClinicalRepository(tx, s.services.vault.clinical(practiceId)).insertNotes([{
        id: randomUUID(), practiceId, patientId: ownPast, authorId: victim.fhirId!, writtenAt: tenDaysAgo,
        text: 'Suivi ancien, antécédents.', labels: [],
      }]));
    const booked = targets.slice(0, 5);
    const earlier = await notesOn(booked);
    expect(earlier.size).toBeGreaterThan(5);
    const thief = new Thief(s, victim);
    const written: string[] = [];
    let routes = 0;

    // Free slots of the victim's agenda from five minutes on: one per patient booked, one for the move below.
    const slots = await freeSlots(s, victim.fhirId!, new Date(s.now().getTime() + 5 * MINUTE), booked.length + 1);
    for (const [i, id] of booked.entries()) {
      const r = await thief.request('POST', '/fhir/Appointment', appointmentBody(id, victim.fhirId!, slots[i]!));
      expect(r.status).toBe(201);
    }
    s.advance(10 * MINUTE);
    const sweep = async (): Promise<void> => {
      for (const id of booked) {
        await thief.get(`/fhir/DocumentReference?patient=${id}`);
        await thief.get(`/fhir/DocumentReference?patient=Patient/${id}`);
        await thief.get(`/fhir/Patient/${id}/$everything`);
        routes += 3;
      }
      for (const n of earlier) {
        await thief.get(`/fhir/DocumentReference/${n}`);
        routes++;
      }
    };
    await sweep();
    // He writes a note for each (the visit lets him write), then tries again: his own notes only.
    for (const id of booked.slice(0, 3)) {
      const w = await thief.request('POST', '/fhir/DocumentReference', noteBody(id, 'Consultation.'));
      if (w.status === 201) written.push(w.body.id as string);
    }
    await sweep();

    // A colleague's booking moved onto a target, for today, is re-booked in his name: nothing older either.
    const now = s.now().getTime();
    const week = await calendar(s, practiceId, new Date(now), new Date(now + 7 * 24 * HOUR));
    const theirs = week.find((a) => a.practitionerId !== victim.fhirId);
    expect(theirs).toBeDefined();
    const target = targets[5]!;
    const moved = await thief.request('PUT', `/fhir/Appointment/${theirs!.id}`, {
      ...appointmentBody(target, victim.fhirId!, slots[booked.length]!), id: theirs!.id,
    });
    expect(moved.status).toBe(200);
    const movedEarlier = await notesOn([target]);
    await thief.get(`/fhir/DocumentReference?patient=${target}`);
    await thief.get(`/fhir/Patient/${target}/$everything`);
    for (const n of movedEarlier) await thief.get(`/fhir/DocumentReference/${n}`);

    // "Registering" a patient who already exists (her INS-NIR) attaches nothing of the old record.
    const existing = await s.services.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const repo = new AdminRepository(tx, s.services.vault.admin(practiceId));
      for (const id of targets.slice(6)) {
        const p = await repo.patient(id);
        if (p?.nir) return p;
      }
      return null;
    });
    expect(existing).not.toBeNull();
    const dup = await thief.request('POST', '/fhir/Patient', {
      resourceType: 'Patient', identifier: [{ system: INS_NIR_SYSTEM, value: existing!.nir }],
      name: [{ use: 'official', family: existing!.birthFamilyName, given: ['X'] }],
      gender: existing!.sex, birthDate: existing!.birthDate,
    });
    expect(dup.status).toBe(422);
    const dupEarlier = await notesOn([existing!.id]);
    await thief.get(`/fhir/DocumentReference?patient=${existing!.id}`);
    await thief.get(`/fhir/Patient/${existing!.id}/$everything`);
    for (const n of dupEarlier) await thief.get(`/fhir/DocumentReference/${n}`);

    const past = [...thief.haul.notes].filter((n) => earlier.has(n) || movedEarlier.has(n) || dupEarlier.has(n));
    const other = [...thief.haul.notes].filter((n) => !written.includes(n) && !past.includes(n));
    recordFigure(backend.name, 'walk-in: thief self-books patients with earlier notes', {
      patients: booked.length + 2, earlierNotes: earlier.size + movedEarlier.size + dupEarlier.size, routes,
      pastNotes: past.length, written: written.length,
      ownNotesRead: [...thief.haul.notes].filter((n) => written.includes(n)).length,
    });
    expect(past).toEqual([]);
    expect(other).toEqual([]);
    // What a visit gives him: the notes he wrote himself since his booking (none where a visit gives nothing).
    expect([...thief.haul.notes].filter((n) => written.includes(n))).toEqual(written);
  });

  it('a visit\'s search finds what she wrote in it; after break-the-glass, the whole chart', async () => {
    await s.fresh();
    const { victim: doctor, patients: others } = await colleaguesNotes(s);
    const practiceId = doctor.practiceId!;
    const known = others[1]!;
    let session = new Session(s, doctor);
    const conditions = async (): Promise<string[]> => {
      const r = await session.request('GET', `/fhir/Condition?patient=${known}`);
      expect(r.status).toBe(200);
      return (r.body.entry ?? []).map((e) => e.resource.id as string).sort();
    };
    // The chart's problems: a colleague's and one she wrote herself ten days ago (no care now).
    const colleague = s.seeded.users.find((u) => u.role === 'practitioner' && u.practiceId === practiceId
      && u.fhirId !== doctor.fhirId)!;
    const tenDaysAgo = new Date(s.now().getTime() - 10 * 24 * HOUR);
    const earlier = (await writeClinical(s.services.db, s.services.vault, practiceId, [
      { practiceId, patientId: known, authorId: colleague.fhirId!, type: 'Condition', at: tenDaysAgo },
      { practiceId, patientId: known, authorId: doctor.fhirId!, type: 'Condition', at: tenDaysAgo },
    ])).map((x) => x.id);
    expect((await session.request('GET', `/fhir/Condition?patient=${known}`)).status).toBe(403);
    // Booked by herself for today: a visit. Its problem is found, nothing older, hers included.
    const [soon] = await freeSlots(s, doctor.fhirId!, new Date(s.now().getTime() + 5 * MINUTE), 1);
    const booked = await session.request('POST', '/fhir/Appointment', appointmentBody(known, doctor.fhirId!, soon!));
    expect(booked.status).toBe(201);
    s.advance(10 * MINUTE);
    const example = REGISTRY.module('Condition')!.example(known, doctor.fhirId!, s.now());
    const mine = await session.request('POST', '/fhir/Condition', example);
    expect(mine.status).toBe(201);
    expect(await conditions()).toEqual([mine.body.id as string]);
    // Break-the-glass (a second factor just given): the visit gives way, the search reads the whole chart.
    session = new Session(s, doctor);
    const reason = 'Malaise en salle';
    expect((await session.request('POST', '/access/break-glass', { patientId: known, reason })).status).toBe(201);
    const chart = await s.store.driver.transaction((q) => q.query<{ id: string }>(
      "SELECT id FROM clinical.resources WHERE patient_id = $1 AND type = 'Condition' AND current", [known]));
    const all = chart.rows.map((x) => x.id).sort();
    expect(all).toEqual(expect.arrayContaining([...earlier, mine.body.id as string]));
    expect(await conditions()).toEqual(all);
  });

  it('a registration is a fact of the insert: a later write cannot make an old record newly registered', async () => {
    await s.fresh();
    const { victim, patients } = await colleaguesNotes(s);
    const old = patients[0]!;
    // Even a write that names the columns (a future code path, an operator's slip) keeps them.
    await s.store.driver.transaction((q) =>
      q.query('UPDATE admin.patients SET registered_by = $2, registered_at = $3 WHERE id = $1', [
        old, victim.fhirId, s.now().toISOString(),
      ]));
    const row = await s.store.driver.transaction((q) =>
      q.query<{ registered_by: string | null }>('SELECT registered_by FROM admin.patients WHERE id = $1', [old]));
    expect(row.rows[0]?.registered_by).toBeNull();
    const thief = new Thief(s, victim);
    expect((await thief.get(`/fhir/DocumentReference?patient=${old}`)).status).toBe(403);
    expect((await thief.request('POST', '/fhir/DocumentReference', noteBody(old, 'Consultation.'))).status).toBe(403);
    expect(thief.haul.notes.size).toBe(0);
  });
});
