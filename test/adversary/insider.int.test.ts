import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import {
  calendar, call, freeSlots, login, mint, startServer, strangers, Thief, user, type Server,
} from './harness.js';
import { recordFigure } from './figures.js';

/**
 * Insiders and their tools: a practice admin minting accounts, a guesser with the password but not
 * the second factor, a compromised assistant harvesting the calendar. Must show:
 * minted accounts add nothing to what a practice can lose; ≤ 20 second-factor guesses evaluated
 * per account per day; a compromised assistant ≤ 100 identities and no note.
 */
const HOUR = 3_600_000;

describe.each(BACKENDS)('insiders ($name)', (backend) => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 150 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a practice admin mints accounts: they do not log in without a second person, and approved they share one small pool', async () => {
    await s.fresh();
    const admin = await login(s, user(s, 'practice-admin', 0));
    const victimPractice = user(s, 'practitioner', 0);
    const minted: { username: string; password: string; secret: string; id: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await call(s, 'POST', '/admin/accounts', { token: admin!, body: { username: `dr.minted${i}`, role: 'practitioner', familyName: 'Minted', givenName: `N${i}` } });
      expect(c.status).toBe(201);
      expect(JSON.stringify(c.body)).not.toMatch(/password|totpSecret|recoveryCodes/);
      // The admin holds the link, so he redeems it himself…
      const token = String(c.body.enrolmentUrl).split('/').pop()!;
      const st = await call(s, 'POST', '/auth/enrol', { body: { token } });
      const secret = st.body.totpSecret as string;
      s.advance(31_000);
      const code = await generate({ secret, epoch: Math.floor(s.now().getTime() / 1000) });
      expect((await call(s, 'POST', '/auth/enrol/complete', { body: { token, password: `minted-password-${i}!`, code } })).status).toBe(200);
      minted.push({ username: `dr.minted${i}`, password: `minted-password-${i}!`, secret, id: c.body.id as string });
      // …but cannot approve what he created.
      expect((await call(s, 'POST', `/admin/accounts/${c.body.id}/approve`, { token: admin! })).status).toBe(403);
    }
    const asUser = (m: (typeof minted)[number]) => ({ username: m.username, password: m.password, totpSecret: m.secret, role: 'practitioner' as const, practiceId: victimPractice.practiceId, fhirId: m.id });
    for (const m of minted) expect(await login(s, asUser(m))).toBeNull();
    // A colluding (or deceived) security officer approves them all: probation, one shared pool.
    const officer = await login(s, user(s, 'security-officer'));
    for (const m of minted) expect((await call(s, 'POST', `/security/accounts/${m.id}/approve`, { token: officer! })).status).toBe(200);
    const ids = await strangers(s, victimPractice, 100);
    const all = new Set<string>();
    for (const [i, m] of minted.entries()) {
      const thief = new Thief(s, asUser(m));
      for (const id of ids.slice(i * 20, i * 20 + 20)) await thief.get(`/fhir/Patient/${id}`);
      await thief.get('/fhir/Patient?_count=50');
      for (const id of [...thief.haul.identities, ...thief.haul.listed]) all.add(id);
    }
    recordFigure(backend.name, 'practice admin: 5 minted practitioners, approved', { patients: all.size });
    // One compromised practitioner account alone may reach 15 patients without care in a day.
    expect(all.size).toBeLessThanOrEqual(15);
    await s.services.detection.settle();
    const officer2 = await login(s, user(s, 'security-officer'));
    const alerts = (await call(s, 'GET', '/security/alerts', { token: officer2! })).body.alerts as { userId: string; reasons: string[] }[];
    for (const m of minted) expect(alerts.filter((a) => a.userId === m.id).flatMap((a) => a.reasons).join(' ')).toMatch(/new account was created/);
  });

  it('a practice admin mints an assistant and a doctor, both approved: the new assistant\'s bookings open nothing to the new doctor (regression: 75 identities, 100 notes)', async () => {
    await s.fresh();
    const admin = await login(s, user(s, 'practice-admin', 1));
    const assistant = await mint(s, admin!, 'assistant', 'desk.minted', 1);
    const doctor = await mint(s, admin!, 'practitioner', 'dr.pair', 1);
    // Patients of the practice with clinical notes (written by the established doctors).
    const ids = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT DISTINCT n.patient_id AS id FROM clinical.notes n WHERE n.practice_id = $1
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = n.patient_id) ORDER BY 1 LIMIT 40`, [assistant.practiceId],
    ))).rows.map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(30);
    const desk = new Thief(s, assistant, 5);
    let booked = 0;
    for (const [i, id] of ids.entries()) {
      const start = new Date(s.now().getTime() + 2 * HOUR + i * 20 * 60_000);
      const r = await desk.request('POST', '/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 20 * 60_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${doctor.fhirId}` }, status: 'accepted' }],
      });
      if (r.status === 201) booked++;
    }
    expect(booked).toBe(ids.length);
    // The new doctor's first client is approved: the thief's own.
    const thief = new Thief(s, doctor, 10);
    for (const id of ids) {
      await thief.get(`/fhir/Patient/${id}`);
      await thief.get(`/fhir/DocumentReference?patient=${id}`);
    }
    recordFigure(backend.name, 'practice admin: minted assistant books for a minted doctor, both approved', { booked, identities: thief.haul.identities.size, notes: thief.haul.notes.size });
    // What one compromised practitioner may reach without a genuine care relationship, at most.
    expect(thief.haul.identities.size).toBeLessThanOrEqual(15);
    expect(thief.haul.notes.size).toBeLessThanOrEqual(10);
    // The database keeps the flag: a write that clears it without re-booking changes nothing.
    const flags = await s.store.driver.transaction(async (q) => {
      await q.query('UPDATE admin.appointments SET booked_provisional = false WHERE booked_by = $1', [assistant.fhirId]);
      return (await q.query<{ p: boolean }>('SELECT booked_provisional AS p FROM admin.appointments WHERE booked_by = $1', [assistant.fhirId])).rows.map((r) => r.p);
    });
    expect(flags).toHaveLength(ids.length);
    expect(flags.every((x) => x)).toBe(true);
  });

  it('a practice admin resets a doctor\'s second factor and redeems the link himself: he cannot approve it, the doctor is not his (regression)', async () => {
    await s.fresh();
    // The second practice's admin and one of its doctors (the other tests use the first practice's).
    const admin = await login(s, user(s, 'practice-admin', 1));
    const victim = s.seeded.users.filter((u) => u.role === 'practitioner' && u.practiceId === s.seeded.practices[1]!.id).at(-1)!;
    const reset = await call(s, 'POST', `/admin/accounts/${victim.fhirId}/reset-mfa`, { token: admin! });
    expect(reset.status).toBe(200);
    const token = String(reset.body.enrolmentUrl).split('/').pop()!;
    const st = await call(s, 'POST', '/auth/enrol', { body: { token } });
    s.advance(31_000);
    const code = await generate({ secret: st.body.totpSecret as string, epoch: Math.floor(s.now().getTime() / 1000) });
    const done = await call(s, 'POST', '/auth/enrol/complete', { body: { token, password: 'attacker-chosen-password-1', code } });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('pending');
    // The admin who handed out the link cannot approve the account, even though he did not create it.
    expect((await call(s, 'POST', `/admin/accounts/${victim.fhirId}/approve`, { token: admin! })).status).toBe(403);
    expect(await login(s, { ...victim, password: 'attacker-chosen-password-1', totpSecret: st.body.totpSecret as string })).toBeNull();
    // A second reset does not skip the approval either.
    const again = await call(s, 'POST', `/admin/accounts/${victim.fhirId}/reset-mfa`, { token: admin! });
    const token2 = String(again.body.enrolmentUrl).split('/').pop()!;
    const st2 = await call(s, 'POST', '/auth/enrol', { body: { token: token2 } });
    s.advance(31_000);
    const code2 = await generate({ secret: st2.body.totpSecret as string, epoch: Math.floor(s.now().getTime() / 1000) });
    expect((await call(s, 'POST', '/auth/enrol/complete', { body: { token: token2, password: 'attacker-chosen-password-2', code: code2 } })).body.status).toBe('pending');
    recordFigure(backend.name, 'practice admin: takeover by second-factor reset', { identities: 0 });
  });

  it('minted doctors fed bookings by a stolen established assistant share one probation day (regression: 75 charts each)', async () => {
    await s.fresh();
    const admin = await login(s, user(s, 'practice-admin', 0));
    const doctors = [await mint(s, admin!, 'practitioner', 'dr.withdesk1', 0), await mint(s, admin!, 'practitioner', 'dr.withdesk2', 0)];
    const ids = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT p.id FROM admin.patients p WHERE p.practice_id = $1
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY (SELECT count(*) FROM clinical.notes n WHERE n.patient_id = p.id) DESC, 1 LIMIT 120`, [doctors[0]!.practiceId],
    ))).rows.map((r) => r.id);
    expect(ids.length).toBe(120);
    // The thief holds the practice's assistant's password (assistants log in with a password alone)
    // and books 60 patients for each new doctor.
    const desk = new Thief(s, user(s, 'assistant', 0), 5);
    let booked = 0;
    for (const [i, id] of ids.entries()) {
      const start = new Date(s.now().getTime() + 2 * HOUR + Math.floor(i / 2) * 15 * 60_000);
      const r = await desk.request('POST', '/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 15 * 60_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${doctors[i % 2]!.fhirId}` }, status: 'accepted' }],
      });
      if (r.status === 201) booked++;
    }
    const charts = new Set<string>();
    let notes = 0;
    for (const [k, doctor] of doctors.entries()) {
      const thief = new Thief(s, doctor, 10);
      for (const id of ids.filter((_, i) => i % 2 === k)) {
        await thief.get(`/fhir/Patient/${id}`);
        await thief.get(`/fhir/DocumentReference?patient=${id}`);
      }
      for (const id of [...thief.haul.identities, ...thief.haul.notePatients]) charts.add(id);
      notes += thief.haul.notes.size;
    }
    recordFigure(backend.name, 'two minted doctors + stolen established assistant', { booked, charts: charts.size, notes });
    // The two-stolen-accounts class: the bookings are someone else's, so they are care; however
    // many doctors are minted, together they read one probation day (75 patients).
    expect(booked).toBeGreaterThanOrEqual(100);
    expect(charts.size).toBeLessThanOrEqual(75);
  });

  it('lock, second-factor reset, unlock: the account is pending again, not active without a second factor or approval (regression)', async () => {
    await s.fresh();
    const admin = await login(s, user(s, 'practice-admin', 1));
    const desk = await mint(s, admin!, 'assistant', 'desk.reset', 1);
    expect(await login(s, desk)).not.toBeNull();
    const officer = await login(s, user(s, 'security-officer'));
    const officer2 = await login(s, user(s, 'security-officer', 0, 1));
    expect((await call(s, 'POST', `/security/accounts/${desk.fhirId}/lock`, { token: officer! })).status).toBe(204);
    expect((await call(s, 'POST', `/admin/accounts/${desk.fhirId}/reset-mfa`, { token: admin! })).status).toBe(200);
    expect((await call(s, 'POST', `/security/accounts/${desk.fhirId}/unlock`, { token: officer! })).status).toBe(202);
    expect((await call(s, 'POST', `/security/accounts/${desk.fhirId}/unlock`, { token: officer2! })).status).toBe(204);
    // The old password alone opened an active, "established" account: now it waits for its user and a second person.
    expect(await login(s, desk)).toBeNull();
    const status = async () => (await s.store.driver.transaction((q) => q.query<{ status: string }>('SELECT status FROM admin.users WHERE id = $1', [desk.fhirId]))).rows[0]!.status;
    expect(await status()).toBe('pending');
    // A departed employee's account, disabled, then locked and unlocked in an incident, stays disabled.
    const leaver = await mint(s, admin!, 'assistant', 'desk.leaver', 1);
    expect((await call(s, 'POST', `/admin/accounts/${leaver.fhirId}/disable`, { token: admin! })).status).toBe(204);
    expect((await call(s, 'POST', `/security/accounts/${leaver.fhirId}/lock`, { token: officer! })).status).toBe(204);
    expect((await call(s, 'POST', `/security/accounts/${leaver.fhirId}/unlock`, { token: officer! })).status).toBe(202);
    expect((await call(s, 'POST', `/security/accounts/${leaver.fhirId}/unlock`, { token: officer2! })).status).toBe(204);
    expect(await login(s, leaver)).toBeNull();
  });

  it('a guesser with the password: at most 10 second-factor codes evaluated a day, then the account is locked', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1);
    let evaluated = 0;
    let locked = false;
    for (let i = 0; i < 300 && !locked; i++) {
      const l = await call(s, 'POST', '/auth/login', { body: { username: victim.username, password: victim.password } });
      if (l.status === 429) {
        s.advance(Number(l.headers.get('retry-after') ?? 60) * 1000);
        continue;
      }
      if (l.status === 403) { locked = true; break; }
      expect(l.status).toBe(200);
      const m = await call(s, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code: String(100000 + i).padStart(6, '0') } });
      if (m.status === 401) evaluated++;
      else if (m.status === 429) s.advance(Number(m.headers.get('retry-after') ?? 60) * 1000);
      else if (m.status === 403) locked = true;
    }
    recordFigure(backend.name, 'guesser: second-factor codes evaluated', { evaluated });
    expect(evaluated).toBeLessThanOrEqual(10);
    expect(locked).toBe(true);
    // The right code no longer helps.
    expect(await login(s, victim)).toBeNull();
    await s.services.detection.settle();
    const officer = await login(s, user(s, 'security-officer'));
    const alerts = (await call(s, 'GET', '/security/alerts', { token: officer! })).body.alerts as { userId: string; reasons: string[] }[];
    expect(alerts.filter((a) => a.userId === victim.fhirId).flatMap((a) => a.reasons).join(' ')).toMatch(/wrong second-factor codes/);
  });

  it('step-up guesses from a stolen session count against the same per-account allowance', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    // The thief holds a live session (access and refresh tokens), not the TOTP seed.
    s.advance(31_000);
    const l = await call(s, 'POST', '/auth/login', { body: { username: victim.username, password: victim.password } });
    const code = await generate({ secret: victim.totpSecret!, epoch: Math.floor(s.now().getTime() / 1000) });
    const session = (await call(s, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code } })).body as { access_token: string; refresh_token: string };
    let access = session.access_token;
    let refresh = session.refresh_token;
    let evaluated = 0;
    for (let i = 0; i < 100; i++) {
      const r = await call(s, 'POST', '/auth/step-up', { token: access, body: { code: String(200000 + i) } });
      if (r.status === 429) s.advance(Number(r.headers.get('retry-after') ?? 60) * 1000);
      else if (r.status === 401 && (r.headers.get('www-authenticate') ?? '').includes('invalid_token')) {
        const t = await call(s, 'POST', '/auth/refresh', { body: { refresh_token: refresh } });
        if (t.status !== 200) break; // the session ended with the lock
        access = t.body.access_token as string;
        refresh = t.body.refresh_token as string;
      } else if (r.status === 401) evaluated++;
      else break;
    }
    recordFigure(backend.name, 'guesser: step-up codes evaluated', { evaluated });
    expect(evaluated).toBeLessThanOrEqual(10);
    expect(evaluated).toBeGreaterThan(3);
    // Locked: the right code no longer helps, and the stolen session is over.
    expect(await login(s, victim)).toBeNull();
    expect((await call(s, 'POST', '/auth/refresh', { body: { refresh_token: refresh } })).status).toBe(401);
  });

  it('a compromised assistant on his own client: the calendar the desk booked explains nothing, at most 100 identities (regression: 148 + 105 in the demo)', async () => {
    await s.fresh();
    const victim = user(s, 'assistant', 0);
    const doctors = s.seeded.users.filter((u) => u.role === 'practitioner' && u.practiceId === victim.practiceId);
    // The practice's patients, the decoys (honeytokens, which lock at once) left out: what the budgets alone allow.
    const every = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      'SELECT p.id FROM admin.patients p WHERE p.practice_id = $1 AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY p.id', [victim.practiceId],
    ))).rows.map((r) => r.id);
    expect(every.length).toBeGreaterThanOrEqual(140);
    // Tomorrow's calendar, booked by the practice's desk (another account): 80 patients.
    const tomorrow = Math.floor(s.now().getTime() / (24 * HOUR)) * 24 * HOUR + 24 * HOUR + 7 * HOUR;
    const booked = every.slice(0, 80);
    await s.store.driver.transaction(async (q) => {
      for (const [i, id] of booked.entries()) {
        const start = new Date(tomorrow + (i % 40) * 15 * 60_000);
        await q.query(
          `INSERT INTO admin.appointments (id, practice_id, patient_id, practitioner_id, starts_at, ends_at, status, kind, booked_by, booked_at)
             VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'booked', 'consultation', $6, $7)`,
          [victim.practiceId, id, doctors[i % doctors.length]!.fhirId, start.toISOString(), new Date(start.getTime() + 15 * 60_000).toISOString(), doctors[0]!.fhirId, s.now().toISOString()],
        );
      }
    });
    const thief = new Thief(s, victim, 20);
    // A patient thief: throttled, he waits the hour out and goes on.
    for (const id of [...booked, ...every.slice(80, 140)]) {
      const r = await thief.get(`/fhir/Patient/${id}`);
      if (r.status === 429) {
        s.advance(HOUR);
        await thief.get(`/fhir/Patient/${id}`);
      }
    }
    recordFigure(backend.name, 'assistant: desk-booked calendar and more, thief\'s client', { booked: booked.length, identities: thief.haul.identities.size, notes: thief.haul.notes.size });
    expect(thief.haul.identities.size).toBeLessThanOrEqual(100);
    expect(thief.haul.identities.size).toBeGreaterThanOrEqual(50);
    expect(thief.haul.notes.size).toBe(0);
  });

  it('a compromised assistant harvesting the calendar: at most 100 identities, no note', async () => {
    await s.fresh();
    const victim = user(s, 'assistant', 0);
    const thief = new Thief(s, victim, 50);
    const from = new Date(s.now().getTime() - 20 * 24 * HOUR);
    const to = new Date(s.now().getTime() + 10 * 24 * HOUR);
    // Ids from the calendar first, then every id of the practice (as if enumerated).
    const cal = await calendar(s, victim.practiceId!, from, to);
    const every = (await s.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 ORDER BY id', [victim.practiceId]))).rows.map((r) => r.id);
    const ids = [...new Set([...cal.map((a) => a.patientId), ...every])];
    expect(ids.length).toBeGreaterThan(100);
    for (let d = 0; d < 30; d++) {
      const day = new Date(from.getTime() + d * 24 * HOUR).toISOString().slice(0, 10);
      await thief.get(`/fhir/Appointment?date=${day}&_count=50`);
    }
    for (const id of ids) {
      await thief.get(`/fhir/Patient/${id}`);
      if (thief.haul.identities.size % 10 === 0) await thief.get(`/fhir/DocumentReference?patient=${id}`);
    }
    for (const id of ids.slice(0, 20)) await thief.get(`/fhir/Patient/${id}/$everything`);
    recordFigure(backend.name, 'assistant: calendar harvest', { identities: thief.haul.identities.size, notes: thief.haul.notes.size });
    expect(thief.haul.identities.size).toBeLessThanOrEqual(100);
    expect(thief.haul.identities.size).toBeGreaterThan(0);
    expect(thief.haul.notes.size).toBe(0);
  });

  it('a compromised assistant books patients to make them "expected", then reads them at once: still at most 100 (regression)', async () => {
    await s.fresh();
    const victim = user(s, 'assistant', 1);
    const thief = new Thief(s, victim, 20);
    const doctors = s.seeded.users.filter((u) => u.role === 'practitioner' && u.practiceId === victim.practiceId);
    const ids = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      'SELECT id FROM admin.patients p WHERE practice_id = $1 AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY id LIMIT 140', [victim.practiceId],
    ))).rows.map((r) => r.id);
    const tomorrow = new Date(s.now().getTime() + 26 * HOUR);
    // Free slots of each doctor from tomorrow on (the agenda refuses a taken one): every booking lands.
    const slots = await Promise.all(doctors.map((d, k) =>
      freeSlots(s, d.fhirId!, tomorrow, Math.ceil((ids.length - k) / doctors.length), { minutes: 15, step: 15 })));
    let booked = 0;
    for (const [i, id] of ids.entries()) {
      const start = slots[i % doctors.length]![Math.floor(i / doctors.length)]!;
      const r = await thief.request('POST', '/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 15 * 60_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${doctors[i % doctors.length]!.fhirId}` }, status: 'accepted' }],
      });
      if (r.status === 201) booked++;
      s.advance(60_000);
    }
    for (const id of ids) await thief.get(`/fhir/Patient/${id}`);
    recordFigure(backend.name, 'assistant: books 140 patients, then reads them', { booked, identities: thief.haul.identities.size });
    expect(booked).toBe(ids.length);
    expect(thief.haul.identities.size).toBeLessThanOrEqual(100);
  });
});
