import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CANCEL_REASON_SYSTEM, VISIT_TYPE_SYSTEM } from '../src/fhir/index.js';
import type { DemoUser } from '../src/sim/seed.js';
import { BACKENDS } from './helpers/backends.js';
import {
  freeSlots, Session, startServer, Thief, user, WORKSTATION_UA, type Reply, type Server,
} from './adversary/harness.js';

/**
 * The agenda's rules through the API (src/records/agenda.ts): a booking that overlaps the doctor's
 * other visit, lies in the past, outside the opening hours (Europe/Paris wall clock) or in an
 * absence is refused with 409 and a French reason; the statuses of a visit still to come; HL7
 * cancellation reasons; every version kept; the settings written by the practice admin alone, each
 * write audited, bad bodies refused with 400. The clock starts on Tuesday 2026-03-10, 10:00 UTC; the
 * seeded calendar ends on 2026-03-18, so the days used below from 2026-03-19 on are free (asserted).
 */
const MINUTE = 60_000;
const KIND_SYSTEM = 'https://medvault.example/fhir/CodeSystem/encounter-kind';
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Booking {
  readonly patient: string;
  readonly practitioner: string;
  readonly start: Date | string;
  readonly minutes?: number;
  readonly status?: string;
  readonly kind?: string;
  readonly more?: Record<string, unknown>;
}

function appointment(b: Booking): Record<string, unknown> {
  const start = new Date(b.start);
  return {
    resourceType: 'Appointment', status: b.status ?? 'booked',
    ...(b.kind ? { serviceType: [{ coding: [{ system: KIND_SYSTEM, code: b.kind }] }] } : {}),
    start: start.toISOString(), end: new Date(start.getTime() + (b.minutes ?? 20) * MINUTE).toISOString(),
    participant: [
      { actor: { reference: `Patient/${b.patient}` }, status: 'accepted' },
      { actor: { reference: `Practitioner/${b.practitioner}` }, status: 'accepted' },
    ],
    ...b.more,
  };
}

const cancelled = (code: string, system = CANCEL_REASON_SYSTEM) => ({
  cancelationReason: { coding: [{ system, code }] },
});

/** The OperationOutcome's words (the edge writes one issue). */
function diagnostics(r: Reply): string {
  expect(r.body.resourceType).toBe('OperationOutcome');
  return (r.body.issue as { diagnostics: string }[])[0]!.diagnostics;
}

/** The patients a reply names (participants of appointments, versions included). */
function patientsNamed(r: Reply): string[] {
  return [...JSON.stringify(r.body).matchAll(/Patient\/([0-9a-f-]{36})/g)].map((m) => m[1]!);
}

describe.each(BACKENDS)('the agenda ($name)', (backend) => {
  let s: Server;
  let desk: Session;
  let doc: Session;
  let admin: Session;
  let doctor: DemoUser;
  let colleague: DemoUser;
  let patients: string[] = [];
  let nextPatient = 0;
  const patient = (): string => patients[nextPatient++ % patients.length]!;

  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 120 });
    doctor = user(s, 'practitioner', 0, 0);
    colleague = user(s, 'practitioner', 0, 1);
    desk = new Session(s, user(s, 'assistant', 0));
    doc = new Session(s, doctor);
    admin = new Session(s, user(s, 'practice-admin', 0));
    const practiceId = doctor.practiceId!;
    patients = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT id FROM admin.patients p WHERE practice_id = $1
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY id`, [practiceId],
    ))).rows.map((r) => r.id);
    expect(patients.length).toBeGreaterThan(60);
  });
  afterAll(async () => {
    await s?.close();
  });
  // Each test's writes in an hour of their own: an account creating or moving more than 40 in an
  // hour is suspended (detect/rules.ts), which is not what these tests are about.
  beforeEach(() => {
    s.advance(HOUR);
  });

  /** Visits holding time (booked, arrived, seen) of a practitioner that overlap [from, to). */
  async function holding(practitionerId: string, from: string | Date, to: string | Date): Promise<number> {
    const r = await s.store.driver.transaction((q) => q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM admin.appointments WHERE practitioner_id = $1 AND starts_at < $3 AND ends_at > $2
          AND status IN ('booked', 'arrived', 'fulfilled')`,
      [practitionerId, new Date(from).toISOString(), new Date(to).toISOString()],
    ));
    return r.rows[0]!.n;
  }

  async function idOf(u: DemoUser): Promise<string> {
    const r = await s.store.driver.transaction((q) =>
      q.query<{ id: string }>('SELECT id FROM admin.users WHERE username = $1', [u.username]));
    return r.rows[0]!.id;
  }

  const book = (by: Session, b: Booking): Promise<Reply> => by.request('POST', '/fhir/Appointment', appointment(b));
  const change = (by: Session, id: string, b: Booking): Promise<Reply> =>
    by.request('PUT', `/fhir/Appointment/${id}`, { ...appointment(b), id });

  it('a visit over the doctor\'s other visit is refused with 409 and why, in French; beside it, taken', async () => {
    const day = ['2026-03-19T00:00:00Z', '2026-03-20T00:00:00Z'] as const;
    expect(await holding(doctor.fhirId!, ...day)).toBe(0);
    // 09:00–09:20 in Paris (UTC+1 in March, before the change to summer time).
    const first = await book(desk, { patient: patient(), practitioner: doctor.fhirId!, start: '2026-03-19T08:00:00Z' });
    expect(first.status).toBe(201);
    const clash = await book(desk, { patient: patient(), practitioner: doctor.fhirId!, start: '2026-03-19T08:10:00Z' });
    expect(clash.status).toBe(409);
    expect(diagnostics(clash)).toBe(
      'Ce rendez-vous ne peut pas être pris : ce créneau chevauche un autre rendez-vous du médecin (09:00–09:20)');
    // Inside it, around it: refused too.
    for (const [at, minutes] of [['2026-03-19T08:05:00Z', 5], ['2026-03-19T07:50:00Z', 40]] as const) {
      const r = await book(desk, { patient: patient(), practitioner: doctor.fhirId!, start: at, minutes });
      expect(r.status, at).toBe(409);
    }
    // The next slot starts when it ends; a colleague is free at the same time.
    const after = await book(desk, { patient: patient(), practitioner: doctor.fhirId!, start: '2026-03-19T08:20:00Z' });
    expect(after.status).toBe(201);
    const other = await book(desk, {
      patient: patient(), practitioner: colleague.fhirId!, start: '2026-03-19T08:00:00Z',
    });
    expect(other.status).toBe(201);
    expect(await holding(doctor.fhirId!, ...day)).toBe(2);
    // A move onto the other visit is refused; a move that overlaps only its own old place is not.
    const firstId = first.body.id as string;
    const patientOf = (r: Reply) =>
      (r.body.participant as { actor: { reference: string } }[])[0]!.actor.reference.slice('Patient/'.length);
    const onto = await change(desk, after.body.id as string, {
      patient: patientOf(after), practitioner: doctor.fhirId!, start: '2026-03-19T08:10:00Z',
    });
    expect(onto.status).toBe(409);
    expect(diagnostics(onto)).toMatch(/chevauche un autre rendez-vous du médecin \(09:00–09:20\)$/);
    const earlier = await change(doc, firstId, {
      patient: patientOf(first), practitioner: doctor.fhirId!, start: '2026-03-19T07:50:00Z',
    });
    expect(earlier.status).toBe(200);
    expect(earlier.body.start).toBe('2026-03-19T07:50:00.000Z');
  });

  it('an appointment is versioned: If-Match over a stale version is 412 and writes nothing; reads and writes carry the ETag', async () => {
    const b = { patient: patient(), practitioner: doctor.fhirId!, start: '2026-05-12T08:00:00Z' };
    const made = await book(desk, b);
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    expect(made.body.meta).toMatchObject({ versionId: '1' });
    expect(made.headers.get('etag')).toBe('W/"1"');
    expect(made.headers.get('location')).toMatch(new RegExp(`/fhir/Appointment/${id}$`));
    expect((await desk.request('GET', `/fhir/Appointment/${id}`)).headers.get('etag')).toBe('W/"1"');
    const put = (start: string, ifMatch?: string) => desk.request(
      'PUT', `/fhir/Appointment/${id}`, { ...appointment({ ...b, start }), id }, ifMatch ? { 'if-match': ifMatch } : undefined);
    // Two desks read version 1; the first moves it, the second's move names version 1 and is refused.
    const first = await put('2026-05-12T08:30:00Z', 'W/"1"');
    expect(first.status).toBe(200);
    expect(first.body.meta).toMatchObject({ versionId: '2' });
    expect(first.headers.get('etag')).toBe('W/"2"');
    const second = await put('2026-05-12T09:00:00Z', 'W/"1"');
    expect(second.status).toBe(412);
    const now = await desk.request('GET', `/fhir/Appointment/${id}`);
    expect(now.body).toMatchObject({ start: '2026-05-12T08:30:00.000Z', meta: { versionId: '2' } });
    // Without If-Match an update writes over the current version (FHIR's default), the next version.
    const plain = await put('2026-05-12T09:00:00Z');
    expect(plain.status).toBe(200);
    expect(plain.body.meta).toMatchObject({ versionId: '3' });
    expect((await put('2026-05-12T09:30:00Z', 'v3')).status).toBe(400);
    const history = await desk.request('GET', `/fhir/Appointment/${id}/_history`);
    expect((history.body.entry as { resource: { meta: { versionId: string } } }[]).map((e) => e.resource.meta.versionId))
      .toEqual(['3', '2', '1']);
  });

  it('ten bookings of one slot sent at once for one doctor: exactly one is taken, nine refused', async () => {
    const start = '2026-03-19T10:00:00Z'; // 11:00 in Paris
    const end = new Date(Date.parse(start) + 20 * MINUTE);
    expect(await holding(doctor.fhirId!, start, end)).toBe(0);
    await desk.tokens();
    const replies = await Promise.all(Array.from({ length: 10 }, () =>
      book(desk, { patient: patient(), practitioner: doctor.fhirId!, start })));
    expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(diagnostics(r)).toMatch(/chevauche.*\(11:00–11:20\)$/);
    }
    expect(await holding(doctor.fhirId!, start, end)).toBe(1);
  });

  it('a cancelled visit frees its slot: booked again by the desk; the cancelled one cannot come back', async () => {
    const start = '2026-03-19T13:00:00Z'; // 14:00 in Paris
    expect(await holding(doctor.fhirId!, start, new Date(Date.parse(start) + 20 * MINUTE))).toBe(0);
    const first = { patient: patient(), practitioner: doctor.fhirId!, start };
    const a = await book(desk, first);
    expect(a.status).toBe(201);
    const cancel = await change(desk, a.body.id as string, { ...first, status: 'cancelled', more: cancelled('pat') });
    expect(cancel.status).toBe(200);
    const again = await book(desk, { patient: patient(), practitioner: doctor.fhirId!, start });
    expect(again.status).toBe(201);
    const back = await change(desk, a.body.id as string, first);
    expect(back.status).toBe(409);
    expect(diagnostics(back)).toMatch(/chevauche un autre rendez-vous du médecin \(14:00–14:20\)$/);
  });

  it('the past: refused to the desk and to a doctor booking it, taken when a doctor records a visit', async () => {
    const now = s.now().getTime();
    const [past] = await freeSlots(s, doctor.fhirId!, new Date(Math.floor(now / DAY) * DAY - DAY + 16 * HOUR), 1);
    expect(past!.getTime()).toBeLessThan(now - HOUR);
    const visit = { patient: patient(), practitioner: doctor.fhirId! as string, start: past! };
    const why = /ce créneau est passé : un médecin enregistre une consultation passée comme « vue »/;
    for (const [by, status] of [[desk, 'booked'], [desk, 'fulfilled'], [doc, 'booked'], [doc, 'arrived']] as const) {
      const r = await book(by, { ...visit, status });
      expect(r.status, `${by.user.role} ${status}`).toBe(409);
      expect(diagnostics(r)).toMatch(why);
    }
    const recorded = await book(doc, { ...visit, status: 'fulfilled' });
    expect(recorded.status).toBe(201);
    expect((await doc.request('GET', `/fhir/Appointment/${recorded.body.id}`)).body.status).toBe('fulfilled');
    // A visit recorded afterwards still cannot lie over another.
    const twice = await book(doc, { ...visit, patient: patient(), status: 'fulfilled' });
    expect(twice.status).toBe(409);
    expect(diagnostics(twice)).toMatch(/chevauche/);
  });

  it('a visit next week cannot be marked arrived, seen or missed', async () => {
    const now = s.now().getTime();
    const [nextWeek] = await freeSlots(s, doctor.fhirId!, new Date(now + 7 * DAY), 1);
    const visit = { patient: patient(), practitioner: doctor.fhirId! as string, start: nextWeek! };
    const booked = await book(desk, visit);
    expect(booked.status).toBe(201);
    const id = booked.body.id as string;
    for (const status of ['arrived', 'fulfilled', 'noshow']) {
      const r = await change(status === 'fulfilled' ? doc : desk, id, { ...visit, status });
      expect(r.status, status).toBe(409);
      expect(diagnostics(r)).toMatch(/un rendez-vous à venir ne peut pas encore être marqué arrivé, vu ou absent$/);
    }
    expect((await desk.request('GET', `/fhir/Appointment/${id}`)).body.status).toBe('booked');
  });

  it('a new visit is booked first: one created missed or cancelled, or longer than 12 hours, is refused', async () => {
    const [slot] = await freeSlots(s, doctor.fhirId!, new Date(s.now().getTime() + 2 * DAY), 1);
    const visit = { patient: patient(), practitioner: doctor.fhirId! as string, start: slot! };
    for (const status of ['noshow', 'cancelled']) {
      const r = await book(desk, { ...visit, status });
      expect(r.status, status).toBe(409);
      expect(diagnostics(r)).toMatch(/un rendez-vous est d’abord pris, puis marqué absent ou annulé$/);
    }
    // A year-long "missed" visit would hold no time and show on every day of the agenda.
    const yearLong = await book(desk, { ...visit, status: 'noshow', minutes: 365 * 24 * 60 });
    expect(yearLong.status).toBe(409);
    expect(diagnostics(yearLong)).toContain('un rendez-vous dure au plus 12 heures');
    const kept = await s.store.driver.transaction((q) => q.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM admin.appointments WHERE patient_id = $1 AND starts_at = $2',
      [visit.patient, slot!.toISOString()],
    ));
    expect(kept.rows[0]!.n).toBe(0);
    // Booked, it is then missed or cancelled as usual; and 12 hours is still a visit (a long home visit).
    const booked = await book(desk, visit);
    expect(booked.status).toBe(201);
    const [free] = await freeSlots(s, doctor.fhirId!, new Date(slot!.getTime() + 3 * DAY), 1, { minutes: 13 * 60 });
    const long = { ...visit, start: free!, kind: 'home-visit' };
    const longest = await book(desk, { ...long, minutes: 12 * 60 });
    expect(longest.status, JSON.stringify(longest.body)).toBe(201);
    const longer = await change(desk, longest.body.id as string, { ...long, minutes: 12 * 60 + 5 });
    expect(longer.status).toBe(409);
    expect(diagnostics(longer)).toContain('un rendez-vous dure au plus 12 heures');
    const cancel = await change(desk, booked.body.id as string, { ...visit, status: 'cancelled' });
    expect(cancel.status).toBe(200);
  });

  it('a visit under way that runs late is lengthened, not refused as a booking in the past (regression)', async () => {
    const now = s.now().getTime();
    // Today: a slot with half an hour free, booked for 20 minutes; the patient is marked arrived early.
    const [soon] = await freeSlots(s, doctor.fhirId!, new Date(now + 40 * MINUTE), 1, { minutes: 30 });
    const today = { patient: patient(), practitioner: doctor.fhirId! as string, start: soon! };
    const t = await book(desk, today);
    expect(t.status).toBe(201);
    s.advance(soon!.getTime() - s.now().getTime() - 30 * MINUTE);
    const early = await change(desk, t.body.id as string, { ...today, status: 'arrived' });
    expect(early.status).toBe(200);
    // The visit began 25 minutes ago and runs late: the desk gives it ten more minutes.
    s.advance(55 * MINUTE);
    const longer = await change(desk, t.body.id as string, { ...today, status: 'arrived', minutes: 30 });
    expect(longer.status, JSON.stringify(longer.body)).toBe(200);
    expect(longer.body.end).toBe(new Date(soon!.getTime() + 30 * MINUTE).toISOString());
    // Moving its start into the past is still refused.
    const moved = await change(desk, t.body.id as string, {
      ...today, start: new Date(soon!.getTime() - 5 * MINUTE), status: 'arrived',
    });
    expect(moved.status).toBe(409);
    expect(diagnostics(moved)).toMatch(/ce créneau est passé/);
  });

  it('a cancellation carries its HL7 reason code, "other" when the client gives none; a bad code is 400', async () => {
    const visit = { patient: patient(), practitioner: doctor.fhirId! as string, start: '2026-03-20T08:00:00Z' };
    expect(await holding(doctor.fhirId!, '2026-03-20T08:00:00Z', '2026-03-20T09:00:00Z')).toBe(0);
    const a = await book(desk, visit);
    expect(a.status).toBe(201);
    const id = a.body.id as string;
    const c = await change(desk, id, { ...visit, status: 'cancelled', more: cancelled('pat-crs') });
    expect(c.status).toBe(200);
    const expected = { coding: [{ system: CANCEL_REASON_SYSTEM, code: 'pat-crs' }] };
    expect(c.body.cancelationReason).toEqual(expected);
    expect((await desk.request('GET', `/fhir/Appointment/${id}`)).body.cancelationReason).toEqual(expected);
    for (const [label, more, status] of [
      ['unknown code', cancelled('because'), 'cancelled'],
      ['another system', cancelled('pat-crs', 'http://example.org/reasons'), 'cancelled'],
      ['not cancelled', cancelled('pat'), 'booked'],
    ] as const) {
      const r = await change(desk, id, { ...visit, status, more });
      expect(r.status, label).toBe(400);
      expect(diagnostics(r)).toMatch(/cancelationReason/);
    }
    expect((await desk.request('GET', `/fhir/Appointment/${id}`)).body.cancelationReason).toEqual(expected);
    const second = { ...visit, patient: patient(), start: '2026-03-20T08:30:00Z' };
    const b = await book(desk, second);
    expect(b.status).toBe(201);
    const plain = await change(desk, b.body.id as string, { ...second, status: 'cancelled' });
    expect(plain.status).toBe(200);
    expect(plain.body.cancelationReason).toEqual({ coding: [{ system: CANCEL_REASON_SYSTEM, code: 'other' }] });
  });

  it('_history lists every version, newest first, each with who changed it', async () => {
    const visit = { patient: patient(), practitioner: doctor.fhirId! as string, start: '2026-03-20T09:00:00Z' };
    expect(await holding(doctor.fhirId!, '2026-03-20T09:00:00Z', '2026-03-20T10:00:00Z')).toBe(0);
    const a = await book(desk, visit);
    expect(a.status).toBe(201);
    const id = a.body.id as string;
    s.advance(MINUTE);
    expect((await change(desk, id, { ...visit, start: '2026-03-20T09:30:00Z' })).status).toBe(200);
    s.advance(MINUTE);
    const byDoctor = { ...visit, start: '2026-03-20T09:30:00Z', status: 'cancelled', more: cancelled('prov') };
    expect((await change(doc, id, byDoctor)).status).toBe(200);
    const h = await desk.request('GET', `/fhir/Appointment/${id}/_history`);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 3 });
    const versions = h.body.entry!.map((e) => e.resource as {
      id: string; status: string; start: string; cancelationReason?: { coding: { code: string }[] };
      meta: {
        versionId: string; lastUpdated: string; extension?: { url: string; valueReference: { reference: string } }[];
      };
    });
    expect(versions.map((v) => v.id)).toEqual([id, id, id]);
    expect(versions.map((v) => v.meta.versionId)).toEqual(['3', '2', '1']);
    expect(versions.map((v) => v.status)).toEqual(['cancelled', 'booked', 'booked']);
    expect(versions.map((v) => v.start))
      .toEqual(['2026-03-20T09:30:00.000Z', '2026-03-20T09:30:00.000Z', '2026-03-20T09:00:00.000Z']);
    expect(versions.map((v) => v.cancelationReason?.coding[0]?.code ?? null)).toEqual(['prov', null, null]);
    const by = versions.map((v) =>
      v.meta.extension?.find((x) => x.url.endsWith('/StructureDefinition/changed-by'))?.valueReference.reference);
    const deskId = await idOf(desk.user);
    expect(by).toEqual([`Practitioner/${doctor.fhirId}`, `Practitioner/${deskId}`, `Practitioner/${deskId}`]);
    const at = versions.map((v) => Date.parse(v.meta.lastUpdated));
    expect(at[0]!).toBeGreaterThan(at[1]!);
    expect(at[1]!).toBeGreaterThan(at[2]!);
    // Each version names the appointment's patient only.
    expect(new Set(patientsNamed(h))).toEqual(new Set([visit.patient]));
  });

  it('opening hours: outside refused, inside taken, by the Paris wall clock, summer time too; home visits exempt',
    async () => {
    const week = (opens: string, closes: string) => [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens, closes }));
    const set = await admin.request('PUT', '/agenda/hours', {
      practitionerId: null,
      hours: [...week('08:30', '12:00'), ...week('14:00', '19:00'), { weekday: 6, opens: '08:30', closes: '12:00' }],
    });
    expect(set.status).toBe(204);
    try {
      const settings = await desk.request('GET', '/agenda/settings');
      expect((settings.body.hours as unknown[]).length).toBe(11);
      for (const d of ['2026-03-22', '2026-03-23', '2026-03-30']) {
        expect(await holding(doctor.fhirId!, `${d}T00:00:00Z`, `${d}T23:59:00Z`), d).toBe(0);
        expect(await holding(colleague.fhirId!, `${d}T00:00:00Z`, `${d}T23:59:00Z`), d).toBe(0);
      }
      const closed = /ce créneau est en dehors des heures d’ouverture$/;
      const cases: [string, string, number, string, string, number][] = [
        // Monday 23 March, UTC+1.
        ['08:00 Paris, before opening', '2026-03-23T07:00:00Z', 20, 'consultation', doctor.fhirId!, 409],
        ['08:30 Paris, at opening', '2026-03-23T07:30:00Z', 20, 'consultation', doctor.fhirId!, 201],
        ['11:40–12:00 Paris, up to closing', '2026-03-23T10:40:00Z', 20, 'consultation', doctor.fhirId!, 201],
        ['11:50–12:10 Paris, past closing', '2026-03-23T10:50:00Z', 20, 'consultation', colleague.fhirId!, 409],
        ['12:30 Paris, lunch', '2026-03-23T11:30:00Z', 20, 'consultation', colleague.fhirId!, 409],
        ['12:30 Paris, a home visit', '2026-03-23T11:30:00Z', 37, 'home-visit', doctor.fhirId!, 201],
        ['18:00 Paris', '2026-03-23T17:00:00Z', 20, 'consultation', doctor.fhirId!, 201],
        // Sunday 22 March: closed all day.
        ['Sunday 10:00 Paris', '2026-03-22T09:00:00Z', 20, 'consultation', doctor.fhirId!, 409],
        // Monday 30 March, UTC+2 (summer time from 29 March): the same wall clock, other UTC times.
        ['08:30 Paris in summer time', '2026-03-30T06:30:00Z', 20, 'consultation', doctor.fhirId!, 201],
        ['07:30 Paris in summer time', '2026-03-30T05:30:00Z', 20, 'consultation', colleague.fhirId!, 409],
        ['19:00 Paris in summer time', '2026-03-30T17:00:00Z', 20, 'consultation', doctor.fhirId!, 409],
      ];
      const wrong: string[] = [];
      for (const [label, start, minutes, kind, practitioner, status] of cases) {
        const r = await book(desk, { patient: patient(), practitioner, start, minutes, kind });
        if (r.status !== status) wrong.push(`${label}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        else if (status === 409) expect(diagnostics(r), label).toMatch(closed);
      }
      expect(wrong).toEqual([]);
      // A practitioner's own hours replace the practice's: the colleague works Monday afternoons only.
      const own = await admin.request('PUT', '/agenda/hours', {
        practitionerId: colleague.fhirId, hours: [{ weekday: 1, opens: '14:00', closes: '18:00' }],
      });
      expect(own.status).toBe(204);
      const monday = (practitioner: string, start: string) => book(desk, { patient: patient(), practitioner, start });
      expect((await monday(colleague.fhirId!, '2026-03-23T08:00:00Z')).status).toBe(409);
      expect((await monday(colleague.fhirId!, '2026-03-23T13:00:00Z')).status).toBe(201);
      expect((await monday(doctor.fhirId!, '2026-03-23T08:00:00Z')).status).toBe(201);
    } finally {
      for (const practitionerId of [colleague.fhirId, null]) {
        expect((await admin.request('PUT', '/agenda/hours', { practitionerId, hours: [] })).status).toBe(204);
      }
    }
    // No hours set: every time is open again.
    const sunday = await book(desk, {
      patient: patient(), practitioner: doctor.fhirId!, start: '2026-03-22T09:00:00Z',
    });
    expect(sunday.status).toBe(201);
  });

  it('an absence refuses the doctor\'s bookings in it, not a colleague\'s; removed, the slot is open', async () => {
    const slot = { practitioner: doctor.fhirId!, start: '2026-03-24T09:00:00Z' };
    expect(await holding(doctor.fhirId!, '2026-03-24T00:00:00Z', '2026-03-25T00:00:00Z')).toBe(0);
    const away = await admin.request('POST', '/agenda/absences', {
      practitionerId: doctor.fhirId, start: '2026-03-23T23:00:00Z', end: '2026-03-24T23:00:00Z',
    });
    expect(away.status).toBe(201);
    const absenceId = away.body.id as string;
    const listed = await doc.request('GET', '/agenda/settings?from=2026-03-20T00:00:00Z&to=2026-03-30T00:00:00Z');
    expect(listed.body.absences).toEqual([
      {
        id: absenceId, practitionerId: doctor.fhirId,
        start: '2026-03-23T23:00:00.000Z', end: '2026-03-24T23:00:00.000Z',
      },
    ]);
    const r = await book(desk, { ...slot, patient: patient() });
    expect(r.status).toBe(409);
    expect(diagnostics(r)).toMatch(/le médecin est absent à ce moment$/);
    expect((await book(desk, { ...slot, practitioner: colleague.fhirId!, patient: patient() })).status).toBe(201);
    expect((await admin.request('DELETE', `/agenda/absences/${absenceId}`)).status).toBe(204);
    expect((await book(desk, { ...slot, patient: patient() })).status).toBe(201);
    expect((await admin.request('DELETE', `/agenda/absences/${absenceId}`)).status).toBe(404);
    // Only a practitioner of the practice is absent.
    for (const practitionerId of [await idOf(desk.user), randomUUID()]) {
      const x = await admin.request('POST', '/agenda/absences', {
        practitionerId, start: '2026-03-26T08:00:00Z', end: '2026-03-26T12:00:00Z',
      });
      expect(x.status).toBe(404);
    }
  });

  it('settings: read by the desk and the doctors, written by the practice admin alone, audited', async () => {
    const adminId = await idOf(admin.user);
    const schedule = async (userId: string, outcome: string) => (await s.store.driver.transaction((q) => q.query<{
      part: string;
    }>(
      `SELECT detail->>'part' AS part FROM audit.events
        WHERE user_id = $1 AND resource_type = 'Schedule' AND outcome = $2
          AND action = 'update' ORDER BY seq`, [userId, outcome],
    ))).rows.map((x) => x.part);
    for (const who of [desk, doc]) {
      const r = await who.request('GET', '/agenda/settings');
      expect(r.status, who.user.role).toBe(200);
      expect(Object.keys(r.body).sort()).toEqual(['absences', 'hours', 'visitTypes']);
    }
    const types = [
      { id: randomUUID(), label: 'Consultation', minutes: 20, colour: '#2a6f97', kind: 'consultation' },
      { id: randomUUID(), label: 'Visite à domicile', minutes: 40, colour: '#a44a3f', kind: 'home-visit' },
    ];
    const writes: [string, string, unknown][] = [
      ['PUT', '/agenda/visit-types', { visitTypes: types }],
      ['PUT', '/agenda/hours', { practitionerId: null, hours: [] }],
      ['POST', '/agenda/absences', {
        practitionerId: doctor.fhirId, start: '2026-04-01T08:00:00Z', end: '2026-04-01T12:00:00Z',
      }],
      ['DELETE', `/agenda/absences/${randomUUID()}`, undefined],
    ];
    const deskId = await idOf(desk.user);
    const before = {
      admin: (await schedule(adminId, 'success')).length, desk: (await schedule(deskId, 'denied')).length,
    };
    for (const who of [desk, doc]) {
      for (const [method, path, body] of writes) {
        const r = await who.request(method, path, body);
        expect(r.status, `${who.user.role} ${method} ${path}`).toBe(403);
        expect(r.body.resourceType).toBe('OperationOutcome');
      }
    }
    expect((await schedule(deskId, 'denied')).length - before.desk).toBe(writes.length);
    const settings = await desk.request('GET', '/agenda/settings');
    expect(settings.body.visitTypes).toEqual([]);
    expect(settings.body.absences).toEqual([]);

    expect((await admin.request('PUT', '/agenda/visit-types', { visitTypes: types })).status).toBe(204);
    expect((await admin.request('PUT', '/agenda/hours', { practitionerId: null, hours: [] })).status).toBe(204);
    const away = await admin.request('POST', '/agenda/absences', writes[2]![2]);
    expect(away.status).toBe(201);
    expect((await admin.request('DELETE', `/agenda/absences/${away.body.id}`)).status).toBe(204);
    expect((await schedule(adminId, 'success')).slice(before.admin))
      .toEqual(['visit-types', 'opening-hours', 'absence', 'absence']);
    expect((await doc.request('GET', '/agenda/settings')).body.visitTypes)
      .toEqual(types.map((t) => ({ ...t, active: true })));

    // A booking names one of them; an unknown one, or one no longer offered, is refused.
    const typed = (id: string) => ({ appointmentType: { coding: [{ system: VISIT_TYPE_SYSTEM, code: id }] } });
    const visit = {
      patient: patient(), practitioner: doctor.fhirId! as string, start: '2026-03-25T08:00:00Z',
      more: typed(types[0]!.id),
    };
    expect(await holding(doctor.fhirId!, '2026-03-25T00:00:00Z', '2026-03-26T00:00:00Z')).toBe(0);
    const a = await book(desk, visit);
    expect(a.status).toBe(201);
    expect(a.body.appointmentType).toEqual(typed(types[0]!.id).appointmentType);
    const unknown = await book(desk, { ...visit, start: '2026-03-25T09:00:00Z', more: typed(randomUUID()) });
    expect(unknown.status).toBe(409);
    expect(diagnostics(unknown)).toMatch(/ce type de consultation n’existe pas au cabinet$/);
    expect((await admin.request('PUT', '/agenda/visit-types', { visitTypes: types.slice(1) })).status).toBe(204);
    expect((await book(desk, { ...visit, patient: patient(), start: '2026-03-25T10:00:00Z' })).status).toBe(409);
    // The visit booked as it keeps its type when it moves.
    expect((await change(desk, a.body.id as string, { ...visit, start: '2026-03-25T08:20:00Z' })).status).toBe(200);
  });

  it('bad settings bodies and queries are 400 OperationOutcomes, never 5xx', async () => {
    const type = { id: randomUUID(), label: 'Consultation', minutes: 20, colour: '#2a6f97', kind: 'consultation' };
    const absence = { practitionerId: doctor.fhirId, start: '2026-04-02T08:00:00Z', end: '2026-04-02T12:00:00Z' };
    const cases: [string, string, unknown][] = [
      ['PUT', '/agenda/visit-types', {}],
      ['PUT', '/agenda/visit-types', { visitTypes: 'Consultation' }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, id: 'consultation' }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, minutes: 1 }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, minutes: 20.5 }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, colour: 'red' }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, kind: 'surgery' }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, label: '' }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, label: '   ' }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [{ ...type, patient: 'Patient/x' }] }],
      ['PUT', '/agenda/visit-types', { visitTypes: [type, type] }],
      ['PUT', '/agenda/visit-types', { visitTypes: Array.from({ length: 41 }, () => ({ ...type, id: randomUUID() })) }],
      ['PUT', '/agenda/visit-types', null],
      ['PUT', '/agenda/visit-types', [type]],
      ['PUT', '/agenda/hours', { hours: [] }],
      ['PUT', '/agenda/hours', { practitionerId: 'dr', hours: [] }],
      ['PUT', '/agenda/hours', { practitionerId: null, hours: [{ weekday: 8, opens: '08:00', closes: '12:00' }] }],
      ['PUT', '/agenda/hours', { practitionerId: null, hours: [{ weekday: 0, opens: '08:00', closes: '12:00' }] }],
      ['PUT', '/agenda/hours', { practitionerId: null, hours: [{ weekday: 1, opens: '24:00', closes: '25:00' }] }],
      ['PUT', '/agenda/hours', { practitionerId: null, hours: [{ weekday: 1, opens: '8:00', closes: '12:00' }] }],
      ['PUT', '/agenda/hours', { practitionerId: null, hours: [{ weekday: 1, opens: '12:00', closes: '08:00' }] }],
      ['PUT', '/agenda/hours', { practitionerId: null, hours: [{ weekday: 1, opens: '12:00', closes: '12:00' }] }],
      ['POST', '/agenda/absences', {}],
      ['POST', '/agenda/absences', { ...absence, start: 'demain' }],
      ['POST', '/agenda/absences', { ...absence, start: '2026-04-02' }],
      ['POST', '/agenda/absences', { ...absence, end: absence.start }],
      ['POST', '/agenda/absences', { ...absence, start: absence.end, end: absence.start }],
      ['POST', '/agenda/absences', { ...absence, reason: 'malade' }],
      ['POST', '/agenda/absences', { ...absence, practitionerId: 'dr' }],
      ['DELETE', '/agenda/absences/not-an-id', undefined],
      ['GET', '/agenda/settings?from=hier', undefined],
      ['GET', '/agenda/settings?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z', undefined],
      ['GET', '/agenda/settings?from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z', undefined],
      ['GET', '/agenda/settings?patient=x', undefined],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of cases) {
      const r = await admin.request(method, path, body);
      if (r.status !== 400 || r.body.resourceType !== 'OperationOutcome') {
        const sent = JSON.stringify(body)?.slice(0, 80);
        wrong.push(`${method} ${path} ${sent}: ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      }
    }
    // Not JSON at all.
    for (const path of ['/agenda/visit-types', '/agenda/hours']) {
      const r = await fetch(s.base + path, {
        method: 'PUT', body: '{"visitTypes": [',
        headers: {
          authorization: `Bearer ${await admin.tokens()}`, 'content-type': 'application/json',
          'user-agent': WORKSTATION_UA,
        },
      });
      if (r.status !== 400) wrong.push(`PUT ${path} broken JSON: ${r.status}`);
    }
    expect(wrong).toEqual([]);
    // Nothing of it was written.
    const settings = await admin.request('GET', '/agenda/settings');
    expect(settings.body.visitTypes).not.toContainEqual(expect.objectContaining({ id: type.id }));
    expect(settings.body.absences).toEqual([]);
  });

  it('a thief with a doctor\'s password and second factor names no more patients by _history or settings than by reads',
    async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1, 0);
    const practiceId = victim.practiceId!;
    const now = s.now().getTime();
    // A colleague's calendar of three weeks ago, beyond the victim's near calendar (3 days back):
    // 40 patients, one visit each, each counted by the ledger when an appointment names it.
    const colleagueId = s.seeded.users.find((u) => u.role === 'practitioner' && u.practiceId === practiceId
      && u.fhirId !== victim.fhirId)!.fhirId!;
    const targets = await s.store.driver.transaction(async (q) => {
      const ids = (await q.query<{ id: string }>(
        `SELECT id FROM admin.patients p WHERE practice_id = $1
            AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY id LIMIT 40`,
        [practiceId],
      )).rows.map((x) => x.id);
      const first = Math.floor(now / DAY) * DAY - 21 * DAY + 8 * HOUR;
      const out: { id: string; patientId: string }[] = [];
      for (const [i, patientId] of ids.entries()) {
        const start = new Date(first + Math.floor(i / 20) * DAY + (i % 20) * 20 * MINUTE);
        const id = randomUUID();
        await q.query(
          `INSERT INTO admin.appointments
              (id, practice_id, patient_id, practitioner_id, starts_at, ends_at, status, kind)
             VALUES ($1, $2, $3, $4, $5, $6, 'fulfilled', 'consultation')`,
          [id, practiceId, patientId, colleagueId, start.toISOString(), new Date(start.getTime() + 18 * MINUTE)
            .toISOString()],
        );
        out.push({ id, patientId });
      }
      return out;
    });
    expect(targets.length).toBe(40);
    const thief = new Thief(s, victim);
    // The settings name no patient, whatever the range; he cannot change them.
    const settings = await thief.get('/agenda/settings?from=2025-06-01T00:00:00Z&to=2026-07-01T00:00:00Z');
    expect(settings.status).toBe(200);
    expect(patientsNamed(settings)).toEqual([]);
    const everyone = (await s.store.driver.transaction((q) =>
      q.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1', [practiceId])))
      .rows.map((x) => x.id);
    const text = JSON.stringify(settings.body);
    expect(everyone.filter((id) => text.includes(id))).toEqual([]);
    expect((await thief.request('PUT', '/agenda/hours', { practitionerId: null, hours: [] })).status).toBe(403);
    const named = new Set<string>();
    const outcome = { history: { served: 0, refused: 0 }, read: { served: 0, refused: 0 } };
    const refusedReads: string[] = [];
    // The first half by history, the rest by plain reads: one budget for both.
    for (const [i, t] of targets.entries()) {
      const how = i < 20 ? 'history' : 'read';
      const r = await thief.get(how === 'history' ? `/fhir/Appointment/${t.id}/_history` : `/fhir/Appointment/${t.id}`);
      if (r.status === 200) {
        outcome[how].served++;
        for (const p of patientsNamed(r)) named.add(p);
      } else {
        outcome[how].refused++;
        expect(patientsNamed(r)).toEqual([]);
        if (how === 'read') refusedReads.push(t.id);
      }
    }
    // From his own client a thief may name 25 patients of other calendars in a day (detect/rules.ts):
    // the histories (all served, under that budget) are charged to it like reads, which get the rest.
    expect(outcome.history.served).toBe(20);
    expect(named.size).toBeLessThanOrEqual(25);
    expect(outcome.read.served).toBeLessThanOrEqual(25 - outcome.history.served);
    expect(outcome.read.refused).toBeGreaterThan(0);
    // Where the read is refused, so is the history.
    for (const id of refusedReads.slice(0, 5)) {
      const h = await thief.get(`/fhir/Appointment/${id}/_history`);
      expect(h.status).not.toBe(200);
      expect(patientsNamed(h)).toEqual([]);
    }
    await s.reset();
  });

  it('a history is read like its appointment: another practice\'s not found; a patient sees her own, not another\'s',
    async () => {
    const other = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      'SELECT id FROM admin.appointments WHERE practice_id = $1 ORDER BY starts_at DESC LIMIT 1',
      [s.seeded.practices[1]!.id],
    ))).rows[0]!.id;
    for (const path of [`/fhir/Appointment/${other}`, `/fhir/Appointment/${other}/_history`]) {
      const r = await doc.request('GET', path);
      expect(r.status, path).toBe(404);
      expect(patientsNamed(r)).toEqual([]);
    }
    const alice = user(s, 'patient', 0);
    const portal = new Session(s, alice);
    const appts = (await s.store.driver.transaction((q) => q.query<{ id: string; patient_id: string }>(
      `SELECT id, patient_id FROM admin.appointments WHERE practice_id = $1 AND patient_id <> $2
        ORDER BY starts_at DESC LIMIT 1`,
      [alice.practiceId, alice.fhirId],
    ))).rows;
    const own = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      'SELECT id FROM admin.appointments WHERE patient_id = $1 ORDER BY starts_at LIMIT 1', [alice.fhirId],
    ))).rows[0]!.id;
    const mine = await portal.request('GET', `/fhir/Appointment/${own}/_history`);
    expect(mine.status).toBe(200);
    expect(new Set(patientsNamed(mine))).toEqual(new Set([alice.fhirId]));
    for (const path of [`/fhir/Appointment/${appts[0]!.id}`, `/fhir/Appointment/${appts[0]!.id}/_history`]) {
      const r = await portal.request('GET', path);
      expect(r.status, path).not.toBe(200);
      expect(patientsNamed(r)).toEqual([]);
    }
  });
});
