import { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { calendar, freeSlots, login, mint, Session, startServer, user, type Server } from './harness.js';
import { recordFigure } from './figures.js';
import { patientsOf } from '../helpers/app.js';

/**
 * Honest work that the budgets must never refuse: clients other than medvault's web
 * app, at the production thresholds, on a real server. Every request must succeed.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(BACKENDS)('honest days ($name)', (backend) => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 400 });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** The practitioner with the most patients booked from 12 hours ago to 2 days ahead (what "scheduled" covers). */
  async function busiestDoctor(): Promise<{ doctor: ReturnType<typeof user>; patients: string[] }> {
    const now = s.now().getTime();
    let best: { doctor: ReturnType<typeof user>; patients: string[] } | null = null;
    for (const u of s.seeded.users.filter((x) => x.role === 'practitioner')) {
      const cal = (await calendar(s, u.practiceId!, new Date(now - 12 * HOUR), new Date(now + 2 * DAY - HOUR))).filter((a) => a.practitionerId === u.fhirId);
      const patients = [...new Set(cal.map((a) => a.patientId))];
      if (!best || patients.length > best.patients.length) best = { doctor: u, patients };
    }
    return best!;
  }

  it('a scheduling assistant works through the day\'s calendar and books the next days, never refused', async () => {
    const assistant = user(s, 'assistant', 0);
    const session = new Session(s, assistant);
    const dayStart = new Date(Math.floor(s.now().getTime() / DAY) * DAY);
    const practitioners = s.seeded.users.filter((u) => u.role === 'practitioner' && u.practiceId === assistant.practiceId);
    let refused = 0;
    let requests = 0;
    let firstRefusal: string | null = null;
    const ok = async (method: string, path: string, body?: unknown) => {
      const r = await session.request(method, path, body);
      requests++;
      if (r.status >= 400) {
        refused++;
        firstRefusal ??= `${method} ${path.replace(/\?.*/, '')} ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
      }
      return r;
    };
    // The day's calendar, polled through the morning, and each arriving patient's identity.
    const today = dayStart.toISOString().slice(0, 10);
    const cal = await calendar(s, assistant.practiceId!, dayStart, new Date(dayStart.getTime() + DAY));
    for (let i = 0; i < 12; i++) {
      await ok('GET', `/fhir/Appointment?date=${today}&_count=50`);
      s.advance(10 * 60_000);
    }
    for (const a of cal) await ok('GET', `/fhir/Patient/${a.patientId}`);
    // Bookings by telephone: a name search, the identity, an appointment with one of the doctors.
    const patients = (await patientsOf(s, assistant.practiceId!)).slice(0, 40).map((p) => ({ id: p.id, name: p.birthFamilyName.toLowerCase() }));
    for (const [i, p] of patients.entries()) {
      await ok('GET', `/fhir/Patient?family=${encodeURIComponent(p.name.slice(0, 4))}&_count=10`);
      await ok('GET', `/fhir/Patient/${p.id}`);
      // Today's afternoon and tomorrow, for the first doctor; the next days for the others: the first
      // slot the doctor's agenda has free from the time the patient asks for (the agenda refuses a taken one).
      const asked = i < 24
        ? new Date(dayStart.getTime() + (i < 8 ? 14 : 32) * HOUR + (i % 8) * 20 * 60_000)
        : new Date(dayStart.getTime() + (2 + (i % 5)) * DAY + (8 + (i % 9)) * HOUR);
      const doctor = i < 24 ? practitioners[0]! : practitioners[i % practitioners.length]!;
      const [start] = await freeSlots(s, doctor.fhirId!, asked, 1, { minutes: 18 });
      await ok('POST', '/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked',
        start: start!.toISOString(), end: new Date(start!.getTime() + 18 * 60_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${p.id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${doctor.fhirId}` }, status: 'accepted' }],
      });
      s.advance(3 * 60_000);
    }
    recordFigure(backend.name, 'honest: scheduling assistant, calendar and 40 bookings', { calendar: cal.length, requests, refused });
    expect(firstRefusal).toBeNull();
  });

  it('a standard FHIR client opens today\'s and tomorrow\'s charts by compartment searches, never refused', async () => {
    const { doctor, patients } = await busiestDoctor();
    // More than 15 charts in well under an hour: 30+ compartment searches, which the old search rule suspended;
    // and more than a client the account never approved may open in a day (25): this is the doctor's own client.
    expect(patients.length).toBeGreaterThan(25);
    const session = new Session(s, doctor);
    // The client logs in and reads with one HTTP stack (one user agent): a session is bound to its client.
    const client = new Client({ baseUrl: `${s.base}/fhir`, bearerToken: await session.tokens(), customHeaders: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) medvault-adversary' } });
    let requests = 0;
    for (const id of patients) {
      client.bearerToken = await session.tokens();
      // The usual FHIR way: the patient, then the compartment searches, then each document.
      await client.read({ resourceType: 'Patient', id });
      const docs = (await client.search({ resourceType: 'DocumentReference', searchParams: { patient: id } })) as unknown as { entry?: { resource: { id: string; resourceType: string } }[] };
      await client.search({ resourceType: 'Appointment', searchParams: { patient: `Patient/${id}` } });
      requests += 3;
      for (const e of (docs.entry ?? []).filter((x) => x.resource.resourceType === 'DocumentReference')) {
        await client.read({ resourceType: 'DocumentReference', id: e.resource.id });
        requests++;
      }
      s.advance(60_000);
    }
    // fhir-kit-client throws on any non-2xx: reaching here means none was refused.
    recordFigure(backend.name, 'honest: FHIR client, charts of today and tomorrow', { patients: patients.length, requests, refused: 0 });
    const me = await session.request('GET', '/me');
    expect(me.status).toBe(200);
  });

  it('a doctor reads the charts of the patients an assistant booked for them, and writes notes', async () => {
    s.advance(DAY);
    const { doctor, patients } = await busiestDoctor();
    const session = new Session(s, doctor);
    let refused = 0;
    const why: string[] = [];
    for (const id of patients) {
      for (const path of [`/fhir/Patient/${id}`, `/fhir/DocumentReference?patient=${id}`, `/fhir/Patient/${id}/$everything`]) {
        const r = await session.request('GET', path);
        if (r.status !== 200) {
          refused++;
          why.push(`${path.replace(/[0-9a-f-]{36}/, '…')} ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
        }
      }
      const note = await session.request('POST', '/fhir/DocumentReference', {
        resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${id}` },
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Consultation de suivi, examen normal.').toString('base64') } }],
      });
      if (note.status !== 201) {
        refused++;
        why.push(`note ${note.status} ${JSON.stringify(note.body).slice(0, 160)}`);
      }
      s.advance(18 * 60_000);
    }
    recordFigure(backend.name, 'honest: doctor, booked patients with notes written', { patients: patients.length, refused });
    expect(why).toEqual([]);
  });

  it('a doctor finds patients by three-letter names in the web app (pages of 20), never refused (regression: suspended at the third search)', async () => {
    s.advance(DAY);
    const doctor = s.seeded.users.filter((u) => u.role === 'practitioner')[1]!;
    const session = new Session(s, doctor);
    let listed = 0;
    // The picker's searches of a morning, ten minutes apart: the third was refused, the account suspended.
    for (const term of ['mar', 'ber', 'dup', 'lef']) {
      const r = await session.request('GET', `/fhir/Patient?name=${term}&_count=20`);
      expect(r.status, term).toBe(200);
      listed += ((r.body.entry as unknown[] | undefined) ?? []).length;
      s.advance(10 * 60_000);
    }
    expect(listed).toBeGreaterThan(25);
    recordFigure(backend.name, 'honest: doctor finds patients by three-letter names', { searches: 4, listed, refused: 0 });
  });

  it('a doctor pages through their own calendar of the past month, never refused (regression: suspended for standing care)', async () => {
    s.advance(DAY);
    const { doctor } = await busiestDoctor();
    const session = new Session(s, doctor);
    const since = new Date(s.now().getTime() - 30 * DAY).toISOString().slice(0, 10);
    let r = await session.request('GET', `/fhir/Appointment?practitioner=${doctor.fhirId}&date=ge${since}&_count=50`);
    let pages = 0;
    while (r.status === 200 && pages < 10) {
      pages++;
      const next = (r.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
      if (!next) break;
      r = await session.request('GET', new URL(next.url).pathname + new URL(next.url).search);
    }
    expect(r.status).toBe(200);
    expect((await session.request('GET', `/fhir/Practitioner/${doctor.fhirId}`)).status).toBe(200);
    recordFigure(backend.name, 'honest: doctor pages a month of own calendar', { pages, refused: 0 });
  });

  it('an assistant of a busy practice books 110 patients for the next days and checks each one\'s identity, never refused', async () => {
    // The next working morning, 08:00 Paris.
    s.advance(DAY - (s.now().getTime() % DAY) + 7 * HOUR);
    const assistant = user(s, 'assistant', 1);
    const session = new Session(s, assistant);
    const dayStart = new Date(Math.floor(s.now().getTime() / DAY) * DAY);
    const practitioners = s.seeded.users.filter((u) => u.role === 'practitioner' && u.practiceId === assistant.practiceId);
    const patients = (await s.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.patients p WHERE practice_id = $1 AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY id LIMIT 110', [assistant.practiceId]))).rows.map((r) => r.id);
    expect(patients).toHaveLength(110);
    const why: string[] = [];
    for (const [i, id] of patients.entries()) {
      const doctor = practitioners[i % practitioners.length]!;
      const asked = new Date(
        dayStart.getTime() + (1 + (i % 2)) * DAY + (8 + (i % 10)) * HOUR + (i % 3) * 20 * 60_000);
      const [start] = await freeSlots(s, doctor.fhirId!, asked, 1, { minutes: 18 });
      const r = await session.request('POST', '/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked',
        start: start!.toISOString(), end: new Date(start!.getTime() + 18 * 60_000).toISOString(),
        participant: [
          { actor: { reference: `Patient/${id}` }, status: 'accepted' },
          { actor: { reference: `Practitioner/${doctor.fhirId}` }, status: 'accepted' },
        ],
      });
      if (r.status !== 201) why.push(`book ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      s.advance(90_000); // 40 bookings an hour
    }
    // The next morning: every booked patient's identity, as the day's arrivals are checked in.
    s.advance(DAY - (s.now().getTime() % DAY) + 7 * HOUR);
    for (const id of patients) {
      const r = await session.request('GET', `/fhir/Patient/${id}`);
      if (r.status !== 200) why.push(`read ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
    }
    recordFigure(backend.name, 'honest: assistant books and checks 110 patients', { refused: why.length });
    expect(why).toEqual([]);
  });

  /** A new assistant (minted and approved today) books `n` patients for `doctor` over the next hours; the doctor opens each chart. */
  async function newDeskBooksFor(assistant: ReturnType<typeof user>, doctor: ReturnType<typeof user>, n: number): Promise<string[]> {
    const desk = new Session(s, assistant);
    const ids = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT DISTINCT n.patient_id AS id FROM clinical.notes n WHERE n.practice_id = $1
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = n.patient_id) ORDER BY 1 DESC LIMIT $2`, [doctor.practiceId, n],
    ))).rows.map((r) => r.id);
    expect(ids).toHaveLength(n);
    const why: string[] = [];
    // The doctor's free slots of the next hours, one after the other (the agenda refuses a taken one).
    const slots = await freeSlots(s, doctor.fhirId!, new Date(s.now().getTime() + HOUR), n);
    for (const [i, id] of ids.entries()) {
      const start = slots[i]!;
      const r = await desk.request('POST', '/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 20 * 60_000).toISOString(),
        participant: [
          { actor: { reference: `Patient/${id}` }, status: 'accepted' },
          { actor: { reference: `Practitioner/${doctor.fhirId}` }, status: 'accepted' },
        ],
      });
      if (r.status !== 201) why.push(`book ${r.status}`);
      s.advance(60_000);
    }
    const session = new Session(s, doctor);
    for (const id of ids) {
      for (const path of [`/fhir/Patient/${id}`, `/fhir/DocumentReference?patient=${id}`]) {
        const r = await session.request('GET', path);
        if (r.status !== 200) why.push(`${path.replace(/[0-9a-f-]{36}/, '…')} ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      }
      s.advance(5 * 60_000);
    }
    expect(why).toEqual([]);
    return ids;
  }

  it('a new assistant\'s bookings explain an established doctor\'s day, never refused', async () => {
    s.advance(DAY);
    const admin = await login(s, user(s, 'practice-admin', 0));
    const assistant = await mint(s, admin!, 'assistant', 'desk.new', 0);
    const doctor = user(s, 'practitioner', 0, 1);
    const ids = await newDeskBooksFor(assistant, doctor, 20);
    recordFigure(backend.name, 'honest: new assistant books for an established doctor', { patients: ids.length, refused: 0 });
  });

  it('a new doctor in an established practice opens today\'s and tomorrow\'s charts booked by the desk, never refused', async () => {
    s.advance(DAY);
    const admin = await login(s, user(s, 'practice-admin', 0));
    const doctor = await mint(s, admin!, 'practitioner', 'dr.new', 0);
    const ids = await newDeskBooksFor(user(s, 'assistant', 0), doctor, 45);
    recordFigure(backend.name, 'honest: new doctor, established practice, 45 booked charts', { patients: ids.length, refused: 0 });
  });

  it('a brand-new practice (every account approved this week): the new assistant books for the new doctor, who opens the charts, never refused', async () => {
    s.advance(DAY);
    const practiceId = s.seeded.practices[1]!.id;
    // The practice was onboarded yesterday: all its staff were approved then (restored afterwards).
    const before = (await s.store.driver.transaction((q) => q.query<{ id: string; approved_at: Date | null }>('SELECT id, approved_at FROM admin.users WHERE practice_id = $1', [practiceId]))).rows;
    await s.store.driver.transaction((q) => q.query('UPDATE admin.users SET approved_at = $2 WHERE practice_id = $1', [practiceId, new Date(s.now().getTime() - DAY).toISOString()]));
    try {
      const admin = await login(s, user(s, 'practice-admin', 1));
      const assistant = await mint(s, admin!, 'assistant', 'desk.onboarding', 1);
      const doctor = await mint(s, admin!, 'practitioner', 'dr.onboarding', 1);
      const ids = await newDeskBooksFor(assistant, doctor, 20);
      recordFigure(backend.name, 'honest: brand-new practice, new assistant books for new doctor', { patients: ids.length, refused: 0 });
    } finally {
      await s.store.driver.transaction(async (q) => {
        for (const u of before) await q.query('UPDATE admin.users SET approved_at = $2 WHERE id = $1', [u.id, u.approved_at]);
      });
    }
  });
});
