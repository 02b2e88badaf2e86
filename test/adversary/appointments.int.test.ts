import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { Session, startServer, Thief, type Reply, type Server } from './harness.js';
import { recordFigure } from './figures.js';

/**
 * Appointment listings name patients (`Appointment.participant`): paged over months, the
 * practice's calendar is a list of who is a patient. A thief with a doctor's password and second
 * factor pages it every way the API allows; the patients it names outside the account's own near
 * calendar are counted by the disclosure ledger and bounded. Honest calendar work (a FHIR client's
 * week, an assistant's agenda of every doctor, a doctor's month) is never refused.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * The budgets under test (DEFAULT_THRESHOLDS, src/detect/rules.ts), written out: a practitioner may
 * be shown 110 patients a day that other doctors' calendars name, outside the near window.
 */
const OTHERS_PER_DAY = 110;
const NEAR_BEFORE_DAYS = 3;
const NEAR_AFTER_DAYS = 8;

type Appt = { id: string; patientId: string; practitionerId: string; start: string };

/** The appointments a FHIR reply carried, and whether the server cut the listing (an outcome entry). */
function appointmentsOf(r: Reply): { appts: Appt[]; cut: boolean } {
  const entries = (r.body.entry ?? []) as { resource: Record<string, unknown>; search?: { mode: string } }[];
  const appts: Appt[] = [];
  for (const e of entries) {
    if (e.resource.resourceType !== 'Appointment') continue;
    const refs = (e.resource.participant as { actor: { reference: string } }[]).map((p) => p.actor.reference);
    appts.push({
      id: e.resource.id as string,
      patientId: refs.find((x) => x.startsWith('Patient/'))!.slice('Patient/'.length),
      practitionerId: refs.find((x) => x.startsWith('Practitioner/'))!.slice('Practitioner/'.length),
      start: e.resource.start as string,
    });
  }
  return { appts, cut: entries.some((e) => e.search?.mode === 'outcome') };
}

const nextOf = (r: Reply): string | null => {
  const next = ((r.body.link ?? []) as { relation: string; url: string }[]).find((l) => l.relation === 'next');
  return next ? new URL(next.url).pathname + new URL(next.url).search : null;
};

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

describe.each(BACKENDS)('appointment listings ($name)', (backend) => {
  let s: Server;
  /** The practice with the most doctors, and its doctors. */
  let practiceId: string;
  let doctors: string[];

  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 400 });
    const counts = await s.store.driver.transaction((q) =>
      q.query<{ practice_id: string; n: number }>(`SELECT practice_id, count(*)::int AS n FROM admin.users WHERE role = 'practitioner' GROUP BY 1 ORDER BY 2 DESC, 1`),
    );
    practiceId = counts.rows[0]!.practice_id;
    doctors = (await s.store.driver.transaction((q) =>
      q.query<{ id: string }>(`SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'practitioner' ORDER BY id`, [practiceId]),
    )).rows.map((r) => r.id);
    await backfill();
  });
  afterAll(async () => {
    await s?.close();
  });

  /**
   * The practice's calendar as a real one is (the seed keeps two weeks): each doctor sees 22
   * patients a day, Monday to Saturday, from their own list (patients shared out among the doctors),
   * over the last four months and the next five weeks.
   */
  async function backfill(): Promise<void> {
    const dayStart = new Date(Math.floor(s.now().getTime() / DAY) * DAY).toISOString();
    await s.store.driver.transaction((q) =>
      q.query(
        `WITH pts AS (SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS i, count(*) OVER ()::int AS n FROM admin.patients p
                       WHERE practice_id = $1 AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id)),
              gps AS (SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS g, count(*) OVER ()::int AS k FROM admin.users
                       WHERE practice_id = $1 AND role = 'practitioner'),
              slots AS (SELECT d, sl, $2::timestamptz + d * interval '1 day' AS day FROM generate_series(-120, 35) d, generate_series(0, 21) sl)
         INSERT INTO admin.appointments (id, practice_id, patient_id, practitioner_id, starts_at, ends_at, status, kind)
         SELECT gen_random_uuid(), $1, pts.id, gps.id, day + interval '7 hours 30 minutes' + sl * interval '25 minutes',
                day + interval '7 hours 50 minutes' + sl * interval '25 minutes', CASE WHEN d < 0 THEN 'fulfilled' ELSE 'booked' END, 'consultation'
           FROM slots CROSS JOIN gps JOIN pts ON pts.i = gps.g + gps.k * (((d + 200) * 31 + sl * 7) % (pts.n / gps.k))
          WHERE extract(isodow FROM day AT TIME ZONE 'UTC') <> 7 AND d NOT BETWEEN -14 AND 7`,
        [practiceId, dayStart],
      ),
    );
  }

  /** A doctor of the practice, by position, as the seed's demo user. */
  function doctor(nth: number) {
    const u = s.seeded.users.find((x) => x.role === 'practitioner' && x.fhirId === doctors[nth]);
    if (!u) throw new Error(`no doctor #${nth}`);
    return u;
  }

  /** Patients a doctor's own calendar names in the near window (free: the day's work). */
  async function ownNear(practitionerId: string): Promise<Set<string>> {
    const dayStart = Math.floor(s.now().getTime() / DAY) * DAY;
    const r = await s.store.driver.transaction((q) =>
      q.query<{ patient_id: string }>(
        `SELECT DISTINCT patient_id FROM admin.appointments WHERE practice_id = $1 AND practitioner_id = $2 AND starts_at >= $3 AND starts_at < $4`,
        [practiceId, practitionerId, new Date(dayStart - NEAR_BEFORE_DAYS * DAY).toISOString(), new Date(dayStart + NEAR_AFTER_DAYS * DAY).toISOString()],
      ),
    );
    return new Set(r.rows.map((x) => x.patient_id));
  }

  it('a stolen doctor pages the practice\'s calendar every way: the patients named are counted and bounded', async () => {
    await s.fresh();
    expect(doctors.length, 'a practice with colleagues').toBeGreaterThanOrEqual(2);
    const victim = doctor(0);
    const thief = new Thief(s, victim);
    const revealed = new Set<string>();
    let pages = 0;
    let cuts = 0;
    const page = async (path: string, max = 200) => {
      let next: string | null = path;
      for (let i = 0; next !== null && i < max; i++) {
        const r = await thief.get(next);
        if (r.status !== 200) return;
        pages++;
        const { appts, cut } = appointmentsOf(r);
        for (const a of appts) revealed.add(a.patientId);
        next = nextOf(r);
        // A cut listing ends there, like the other listings: an outcome entry, no next page.
        if (cut) {
          cuts++;
          expect(next).toBeNull();
        }
      }
    };
    const now = s.now().getTime();
    // The whole calendar, unfiltered, at the largest page the server gives.
    await page('/fhir/Appointment?_count=1000');
    // Six months back, as one open range and as a closed one.
    await page(`/fhir/Appointment?date=ge${day(now - 190 * DAY)}&_count=50`);
    await page(`/fhir/Appointment?date=ge${day(now - 190 * DAY)}&date=le${day(now + 30 * DAY)}&_count=50`);
    // Each colleague's calendar.
    for (const id of doctors.slice(1)) await page(`/fhir/Appointment?practitioner=${id}&_count=50`);
    // Thirty past days at once, in parallel.
    await Promise.all(Array.from({ length: 30 }, (_, i) => page(`/fhir/Appointment?date=${day(now - (20 + i) * DAY)}&_count=50`, 5)));
    // Patients pulled in with their appointments.
    await page('/fhir/Appointment?_include=Appointment:patient&_count=50');

    const practice = await s.store.driver.transaction((q) =>
      q.query<{ patient_id: string; practitioner_id: string }>('SELECT DISTINCT patient_id, practitioner_id FROM admin.appointments WHERE practice_id = $1', [practiceId]),
    );
    const own = new Set(practice.rows.filter((x) => x.practitioner_id === victim.fhirId).map((x) => x.patient_id));
    const listedAnywhere = new Set(practice.rows.map((x) => x.patient_id));
    const free = await ownNear(victim.fhirId!);
    // Patients only other doctors' calendars name: what the account has no calendar of its own for.
    const others = [...revealed].filter((id) => !own.has(id));
    // What the ledger counted: the patients the account's appointment searches named outside its near calendar.
    const events = await s.store.driver.transaction((q) =>
      q.query<{ detail: Record<string, unknown> | null }>(
        `SELECT detail FROM audit.events WHERE user_id = $1 AND resource_type = 'Appointment' AND outcome = 'success'`,
        [victim.fhirId],
      ),
    );
    const counted = new Set<string>();
    for (const e of events.rows) {
      for (const k of ['calendarOwn', 'calendarOthers']) for (const id of (e.detail?.[k] as string[] | undefined) ?? []) counted.add(id);
    }
    const alerts = await s.store.driver.transaction((q) =>
      q.query<{ findings: { rule: string }[] }>('SELECT findings FROM audit.alerts WHERE user_id = $1', [victim.fhirId]),
    );
    const rules = alerts.rows.flatMap((a) => a.findings.map((f) => f.rule));
    recordFigure(backend.name, 'practitioner: pages the practice\'s calendar (unfiltered, months, colleagues, parallel)', {
      practicePatients: listedAnywhere.size, revealed: revealed.size, others: others.length, ownNear: free.size, counted: counted.size, pages, cuts,
      identities: thief.haul.identities.size,
    });
    // Every patient revealed outside the near own calendar was counted by the ledger.
    expect([...revealed].filter((id) => !free.has(id) && !counted.has(id))).toEqual([]);
    expect(others.length).toBeLessThanOrEqual(OTHERS_PER_DAY);
    expect(revealed.size).toBeLessThan(listedAnywhere.size);
    expect(rules.some((r) => r.startsWith('calendar-'))).toBe(true);
    expect(cuts).toBeGreaterThan(0);
    // `_include` adds no patient: refused as an unknown parameter.
    expect(thief.haul.identities.size).toBe(0);
  });

  it('a FHIR client asks for a week with date=ge…&date=le… and gets exactly its appointments', async () => {
    await s.fresh();
    const me = doctor(1);
    const session = new Session(s, me);
    const from = Math.floor(s.now().getTime() / DAY) * DAY;
    const to = from + 7 * DAY; // le<from + 6 days> covers that whole day
    const got: Appt[] = [];
    let next: string | null = `/fhir/Appointment?practitioner=Practitioner/${me.fhirId}&date=ge${day(from)}&date=le${day(to - DAY)}&_count=20`;
    while (next !== null) {
      const r = await session.request('GET', next);
      expect(r.status, JSON.stringify(r.body).slice(0, 200)).toBe(200);
      const { appts, cut } = appointmentsOf(r);
      expect(cut).toBe(false);
      got.push(...appts);
      next = nextOf(r);
    }
    const expected = await s.store.driver.transaction((q) =>
      q.query<{ id: string }>(
        'SELECT id FROM admin.appointments WHERE practice_id = $1 AND practitioner_id = $2 AND starts_at >= $3 AND starts_at < $4',
        [practiceId, me.fhirId, new Date(from).toISOString(), new Date(to).toISOString()],
      ),
    );
    expect(expected.rows.length).toBeGreaterThan(0);
    expect(got.map((a) => a.id).sort()).toEqual(expected.rows.map((x) => x.id).sort());
    recordFigure(backend.name, 'honest: FHIR client, a week by date=ge&date=le', { appointments: got.length, refused: 0 });
    // What is not a date, or a prefix left unsupported, is a 400 OperationOutcome that says so.
    for (const bad of ['ap2026-12-01', '2026-02-30', 'ge2026-12-01,le2026-12-07', 'gt9999-12-31', `2026-12-01T${'9'.repeat(300)}`]) {
      const r = await session.request('GET', `/fhir/Appointment?date=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.resourceType).toBe('OperationOutcome');
    }
    const ap = await session.request('GET', '/fhir/Appointment?date=ap2026-12-01');
    expect(JSON.stringify(ap.body)).toContain("le préfixe ap n'est pas pris en charge");
    // The CapabilityStatement says what the date parameter takes.
    const cs = await session.request('GET', '/fhir/metadata');
    const resources = (cs.body.rest as { resource: { type: string; searchParam?: { name: string; documentation?: string }[] }[] }[])[0]!.resource;
    const date = resources.find((x) => x.type === 'Appointment')!.searchParam!.find((p) => p.name === 'date')!;
    expect(date.documentation).toContain('eq, ne, gt, lt, ge, le, sa, eb');
  });

  it('an assistant runs every doctor\'s agenda for today and the week ahead, several times a day, never refused', async () => {
    await s.fresh();
    // 08:00 Paris on a working morning.
    s.advance(DAY - (s.now().getTime() % DAY) + 7 * HOUR);
    const assistant = s.seeded.users.find((u) => u.role === 'assistant' && u.practiceId === practiceId)!;
    const session = new Session(s, assistant);
    const today = Math.floor(s.now().getTime() / DAY) * DAY;
    let requests = 0;
    const why: string[] = [];
    const seen = new Set<string>();
    const page = async (path: string) => {
      let next: string | null = path;
      while (next !== null) {
        const r = await session.request('GET', next);
        requests++;
        const { appts, cut } = r.status === 200 ? appointmentsOf(r) : { appts: [], cut: false };
        if (r.status !== 200 || cut) why.push(`${path.replace(/[0-9a-f-]{36}/g, '…')} ${r.status}${cut ? ' cut' : ''}`);
        for (const a of appts) seen.add(a.patientId);
        next = r.status === 200 ? nextOf(r) : null;
      }
    };
    // Morning, noon and evening: the practice's day, each doctor's day and week, and each day of the week.
    for (const hour of [0, 4, 9]) {
      await page(`/fhir/Appointment?date=${day(today)}&_count=50`);
      await page(`/fhir/Appointment?date=ge${day(today)}&date=le${day(today + 7 * DAY)}&_count=50`);
      for (const id of doctors) {
        await page(`/fhir/Appointment?practitioner=${id}&date=${day(today)}&_count=50`);
        await page(`/fhir/Appointment?practitioner=${id}&date=ge${day(today)}&date=lt${day(today + 8 * DAY)}&_count=50`);
        for (let d = 1; d <= 7; d++) await page(`/fhir/Appointment?practitioner=${id}&date=eq${day(today + d * DAY)}&_count=50`);
      }
      s.advance((hour === 0 ? 4 : 5) * HOUR);
    }
    recordFigure(backend.name, 'honest: assistant, every doctor\'s agenda, today and the week ahead, three times', { doctors: doctors.length, patients: seen.size, requests, refused: why.length });
    expect(why).toEqual([]);
    expect(seen.size).toBeGreaterThan(0);
  });

  it('a doctor pages her own calendar of the past month and the month ahead, never cut nor refused', async () => {
    await s.fresh();
    const me = doctor(doctors.length - 1);
    const session = new Session(s, me);
    const now = s.now().getTime();
    let next: string | null = `/fhir/Appointment?practitioner=${me.fhirId}&date=ge${day(now - 31 * DAY)}&date=le${day(now + 31 * DAY)}&_count=50`;
    let appts = 0;
    const why: string[] = [];
    while (next !== null) {
      const r = await session.request('GET', next);
      const { appts: got, cut } = r.status === 200 ? appointmentsOf(r) : { appts: [], cut: false };
      if (r.status !== 200 || cut) why.push(`${r.status}${cut ? ' cut' : ''}`);
      appts += got.length;
      next = r.status === 200 ? nextOf(r) : null;
    }
    recordFigure(backend.name, 'honest: doctor pages her own calendar, a month back and a month ahead', { appointments: appts, refused: why.length });
    expect(why).toEqual([]);
    expect(appts).toBeGreaterThan(300);
  });
});
