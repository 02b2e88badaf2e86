import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { calendar, call, colleaguesNotes, login, mint, ownPatients, Session, startServer, strangers, Thief, user, type Reply, type Server } from './harness.js';
import { recordFigure } from './figures.js';

/**
 * Containment that never lands on the honest, and the ways round it that went with an honest
 * person's harm: a practice's shared budget spent by a thief, a wave started by portal accounts, a
 * stolen officer giving a stolen doctor back, an honest doctor's heavy day of her own patients.
 * Over HTTP on a real server, every person on their own address where it matters.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(BACKENDS)('containment that spares the honest ($name)', (backend) => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 3, patients: 200 });
  });
  afterAll(async () => {
    await s?.close();
  });

  const idOf = async (srv: Server, username: string): Promise<string> =>
    (await srv.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.users WHERE username = $1', [username]))).rows[0]!.id;

  const alertsOn = async (userId: string, since: Date): Promise<number> => {
    await s.services.detection.settle();
    // Not the alerts every new account raises (created, approved): those are about the account itself.
    const r = await s.store.driver.transaction((q) => q.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit.alerts WHERE user_id = $1 AND at >= $2 AND findings::text NOT LIKE '%\"rule\": \"account-%' AND findings::text NOT LIKE '%\"rule\":\"account-%'",
      [userId, since.toISOString()],
    ));
    return r.rows[0]!.n;
  };

  /** Broad listings of the practice, page after page (next links), until refused or `pages` served. */
  const spree = async (srv: Server, who: Thief | Session, pages: number, count = 20): Promise<Reply> => {
    let url = `/fhir/Patient?_count=${count}`;
    let last: Reply = { status: 0, body: {}, headers: new Headers() };
    for (let i = 0; i < pages; i++) {
      last = await who.request('GET', url);
      if (last.status !== 200) return last;
      const next = ((last.body.link as { relation: string; url: string }[] | undefined) ?? []).find((l) => l.relation === 'next')?.url;
      if (!next) return last;
      url = next.replace(srv.base, '');
    }
    return last;
  };

  it('a stolen assistant\'s listing spree: the next honest colleague\'s broad listing is served, and no alert names her', async () => {
    await s.fresh();
    const since = s.now();
    const thief = new Thief(s, user(s, 'assistant', 0));
    await spree(s, thief, 10);
    expect(thief.haul.listed.size).toBeGreaterThanOrEqual(60);
    // The honest colleague: the practice's new assistant, browsing the patient list.
    const admin = await login(s, user(s, 'practice-admin', 0));
    const colleague = await mint(s, admin!, 'assistant', 'desk.new', 0);
    // A two-letter name: a broad listing, of patients the thief's spree did not all list.
    const mine = await new Session(s, colleague).request('GET', '/fhir/Patient?name=ma&_count=20');
    const fresh = (mine.body.entry ?? []).map((e) => e.resource.id as string).filter((id) => !thief.haul.listed.has(id));
    expect(fresh.length).toBeGreaterThan(0);
    const alerts = await alertsOn(await idOf(s, colleague.username), since);
    recordFigure(backend.name, 'honest colleague after an assistant\'s listing spree', { listedByThief: thief.haul.listed.size, refused: mine.status === 200 ? 0 : 1, alertsOnHer: alerts });
    expect(mine.status).toBe(200);
    expect((mine.body.entry ?? []).length).toBeGreaterThan(0);
    expect(alerts).toBe(0);
  });

  it('a practice budget spent by another account: the next one is refused in French with Retry-After, not held; the alert names the spender', async () => {
    // A practice budget smaller than an assistant's own (and the accounts' own budgets larger than
    // the practice's), so that one stolen account can spend it and the next is stopped by it alone.
    const small = await startServer(backend, { practices: 1, patients: 120, thresholds: { practiceListedPer10Min: 30, disclosedPer10Min: 40 } });
    try {
      const since = small.now();
      const desk = user(small, 'assistant', 0);
      const thief = new Thief(small, desk);
      await spree(small, thief, 3, 10);
      expect(thief.haul.listed.size).toBe(30);
      const admin = await login(small, user(small, 'practice-admin', 0));
      const colleague = await mint(small, admin!, 'assistant', 'desk.new', 0);
      const colleagueId = await idOf(small, colleague.username);
      const honest = new Session(small, colleague);
      // Her pages: the patients already listed cost nothing; the first page of new ones is refused.
      const refusal = await spree(small, honest, 4, 10);
      const retry = Number(refusal.headers.get('retry-after'));
      await small.services.detection.settle();
      const named = await small.store.driver.transaction((q) =>
        q.query<{ user_id: string }>('SELECT user_id FROM audit.alerts WHERE at >= $1 AND findings::text LIKE $2', [since.toISOString(), '%practice-listed%']));
      recordFigure(backend.name, 'practice listing budget spent by another account', { status: refusal.status, retryAfterS: retry, alertsNamingTheNext: named.rows.filter((r) => r.user_id === colleagueId).length });
      expect(refusal.status).toBe(429);
      expect(retry).toBeGreaterThan(60);
      expect(JSON.stringify(refusal.body)).toMatch(/cabinet/);
      expect(small.services.detection.detector.state(colleagueId, small.now()).response).not.toBe('suspend');
      expect(named.rows.map((r) => r.user_id)).toEqual([await idOf(small, desk.username)]);
      // Her searches that find someone (a name) still work.
      expect((await honest.request('GET', '/fhir/Patient?name=Mar&_count=5')).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('three patient-portal accounts contained: no staff member of any practice is held at a new address', async () => {
    await s.fresh();
    // Each practice's doctor is at work (logged in at her desk) before the portal accounts misbehave.
    const doctors = await Promise.all([0, 1, 2].map(async (practice) => login(s, user(s, 'practitioner', practice))));
    const portal = s.seeded.users.filter((u) => u.role === 'patient').slice(0, 3);
    expect(portal.length).toBe(3);
    for (const p of portal) {
      const token = await login(s, p);
      expect(token).not.toBeNull();
      // The portal token replayed from another client: a copied session, suspended.
      const r = await call(s, 'GET', `/fhir/Patient/${p.fhirId}`, { token: token!, ua: 'curl/8.0 replay' });
      expect(r.status).toBe(401);
    }
    await s.services.detection.settle();
    // Then each moves to another desk of the practice's network (an address not used this week).
    let held = 0;
    for (const [i, token] of doctors.entries()) {
      const r = await call(s, 'GET', '/fhir/Patient?_count=5', { token: token!, from: `127.0.0.${30 + i}` });
      if (r.status !== 200) held++;
    }
    recordFigure(backend.name, 'three portal containments: staff held at a new address', { held });
    expect(held).toBe(0);
  });

  it('a wave of one practice asks its newcomers for a fresh second factor (not a bare 401), spares the others; an officer sees and ends it', async () => {
    await s.fresh();
    const practice = s.seeded.practices[2]!.id;
    const staff = s.seeded.users.filter((u) => u.practiceId === practice && u.role !== 'patient' && u.totpSecret);
    expect(staff.length).toBeGreaterThanOrEqual(5);
    const early = await login(s, staff[3]!);
    expect((await call(s, 'GET', '/me', { token: early! })).status).toBe(200);
    // Three accounts of the practice contained within minutes (copied tokens).
    for (const u of staff.slice(0, 3)) {
      const token = await login(s, u);
      expect((await call(s, 'GET', '/me', { token: token! })).status).toBe(200);
      expect((await call(s, 'GET', '/fhir/Patient?_count=1', { token: token!, ua: 'curl/8.0 replay' })).status).toBe(401);
    }
    await s.services.detection.settle();
    // A fourth member of staff, logged in before the wave, moves to another desk (a new address of
    // the practice's network): asked for a fresh second factor, told why, then works.
    const newcomer = staff[3]!;
    const from = '127.0.0.9';
    const asked = await call(s, 'GET', '/fhir/Patient?_count=1', { token: early!, from });
    expect(asked.status).toBe(401);
    expect(asked.headers.get('www-authenticate')).toMatch(/insufficient_user_authentication/);
    s.advance(31_000);
    const code = await generate({ secret: newcomer.totpSecret!, epoch: Math.floor(s.now().getTime() / 1000) });
    const up = await call(s, 'POST', '/auth/step-up', { token: early!, from, body: { code } });
    expect(up.status).toBe(200);
    const after = await call(s, 'GET', '/fhir/Patient?_count=1', { token: up.body.access_token as string, from });
    expect(after.status).toBe(200);
    // Logging in afresh with the second factor during the wave is the step-up itself.
    const fresh = await login(s, staff[4] ?? newcomer, undefined, '127.0.23.9');
    expect((await call(s, 'GET', '/fhir/Patient?_count=1', { token: fresh!, from: '127.0.23.9' })).status).toBe(200);
    // Another practice's doctor at a new address is not held at all.
    const elsewhere = await login(s, user(s, 'practitioner', 0), undefined, '127.0.21.9');
    expect((await call(s, 'GET', '/fhir/Patient?_count=1', { token: elsewhere!, from: '127.0.21.9' })).status).toBe(200);
    // The officer sees the wave, whom it holds and why, and ends it (audited).
    const officer = await login(s, user(s, 'security-officer'));
    const waves = (await call(s, 'GET', '/security/waves', { token: officer! })).body.waves as { practiceId: string | null; contained: unknown[]; held: string[]; reason: string }[];
    expect(waves, JSON.stringify(waves)).toHaveLength(1);
    expect(waves[0]!.practiceId).toBe(practice);
    expect(waves[0]!.held).toContain(await idOf(s, newcomer.username));
    expect(waves[0]!.contained.length).toBe(3);
    expect(waves[0]!.reason).toMatch(/second facteur/);
    expect((await call(s, 'POST', '/security/waves/end', { token: officer!, body: { practiceId: practice } })).status).toBe(204);
    expect((await call(s, 'GET', '/security/waves', { token: officer! })).body.waves).toEqual([]);
    const ended = await s.store.driver.transaction((q) => q.query<{ n: number }>("SELECT count(*)::int AS n FROM audit.events WHERE action = 'wave.end'"));
    expect(ended.rows[0]!.n).toBeGreaterThanOrEqual(1);
    const late = await login(s, staff[4] ?? newcomer, undefined, '127.0.22.9');
    expect((await call(s, 'GET', '/fhir/Patient?_count=1', { token: late!, from: '127.0.22.9' })).status).toBe(200);
    recordFigure(backend.name, 'wave of one practice', { staffOfOtherPracticesHeld: 0, newcomerSteppedUp: 1 });
  });

  it('a stolen officer and a stolen doctor: the officer alone cannot give the doctor back, and an unlock resets no counter', async () => {
    await s.fresh();
    const { victim, patients: noted } = await colleaguesNotes(s);
    const thief = new Thief(s, victim, 200);
    const targets = [...new Set([...noted, ...(await strangers(s, victim, 60))])];
    const sweep = async (): Promise<void> => {
      for (const id of targets) {
        thief.token = null;
        const g = await thief.request('POST', '/access/break-glass', { patientId: id, reason: 'Patient au téléphone, dossier urgent' });
        if (g.status === 201) await thief.get(`/fhir/DocumentReference?patient=${id}`);
        const r = await thief.get(`/fhir/Patient/${id}`);
        if (r.status === 401 || r.status === 403) break;
      }
    };
    await sweep();
    await s.services.detection.settle();
    const stolenOfficer = await login(s, user(s, 'security-officer'));
    const unlock = await call(s, 'POST', `/security/accounts/${victim.fhirId}/unlock`, { token: stolenOfficer! });
    expect(unlock.status).toBe(202);
    thief.token = null;
    await sweep();
    const alone = { identities: thief.haul.identities.size, notes: thief.haul.notes.size };
    // A second, honest officer confirms (a false positive, she thinks): the counters stay.
    const second = await login(s, user(s, 'security-officer', 0, 1));
    expect((await call(s, 'POST', `/security/accounts/${victim.fhirId}/unlock`, { token: second! })).status).toBe(204);
    thief.token = null;
    await sweep();
    s.advance(HOUR + 60_000);
    thief.token = null;
    await sweep();
    recordFigure(backend.name, 'stolen officer + stolen doctor', { identitiesAlone: alone.identities, notesAlone: alone.notes, identities: thief.haul.identities.size, notes: thief.haul.notes.size });
    expect(thief.haul.identities.size).toBeLessThanOrEqual(25);
    expect(thief.haul.notes.size).toBeLessThanOrEqual(10);
  });

  it('an honest doctor reviewing 40 of her own patients seen in the last months (results, letters) is never refused', async () => {
    await s.fresh(1);
    const doctor = user(s, 'practitioner', 1);
    const own = await ownPatients(s, doctor);
    const now = s.now().getTime();
    const near = new Set((await calendar(s, doctor.practiceId!, new Date(now - 3 * DAY), new Date(now + 3 * DAY))).map((a) => a.patientId));
    const review = own.filter((id) => !near.has(id)).slice(0, 40);
    expect(review.length).toBe(40);
    const session = new Session(s, doctor);
    let refused = 0;
    for (const id of review) {
      s.advance(3 * 60_000);
      for (const path of [`/fhir/Patient/${id}`, `/fhir/DocumentReference?patient=${id}`, `/fhir/Appointment?patient=${id}`]) {
        if ((await session.request('GET', path)).status !== 200) refused++;
      }
    }
    recordFigure(backend.name, 'honest doctor reviewing 40 of her own patients', { patients: review.length, refused });
    expect(refused).toBe(0);
  });

  it('a copied bearer token, user agent and all, used from another network: a fresh second factor first, 0 patients read', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0);
    const token = await login(s, doctor);
    expect((await call(s, 'GET', '/fhir/Patient?name=mar&_count=5', { token: token! })).status).toBe(200);
    const targets = (await ownPatients(s, doctor)).slice(0, 20);
    // The thief copied the token and the workstation's User-Agent, and works from his own network.
    const away = '127.0.40.9';
    const haul = new Set<string>();
    let asked = 0;
    for (const id of targets) {
      for (const path of [`/fhir/Patient/${id}`, `/fhir/DocumentReference?patient=${id}`, `/fhir/Patient/${id}/$everything`]) {
        const r = await call(s, 'GET', path, { token: token!, from: away });
        if (r.status === 200) haul.add(id);
        if (r.status === 401 && /insufficient_user_authentication/.test(r.headers.get('www-authenticate') ?? '')) asked++;
      }
    }
    // Without the second factor, the step-up fails.
    const guess = await call(s, 'POST', '/auth/step-up', { token: token!, from: away, body: { code: '000000' } });
    expect(guess.status).toBe(401);
    recordFigure(backend.name, 'copied bearer token from another network', { patients: haul.size, stepUpsAsked: asked });
    expect(haul.size).toBe(0);
    expect(asked).toBe(targets.length * 3);
    // The doctor's own program, moved to another network, confirms its second factor and goes on there.
    s.advance(31_000);
    const code = await generate({ secret: doctor.totpSecret!, epoch: Math.floor(s.now().getTime() / 1000) });
    const up = await call(s, 'POST', '/auth/step-up', { token: token!, from: '127.0.41.9', body: { code } });
    expect(up.status).toBe(200);
    expect((await call(s, 'GET', `/fhir/Patient/${targets[0]}`, { token: up.body.access_token as string, from: '127.0.41.9' })).status).toBe(200);
    // One session stepped up from two networks in turn within minutes: one token in two hands.
    s.advance(31_000);
    const back = await call(s, 'POST', '/auth/step-up', { token: up.body.access_token as string, body: { code: await generate({ secret: doctor.totpSecret!, epoch: Math.floor(s.now().getTime() / 1000) }) } });
    expect(back.status).toBe(200);
    await s.services.detection.settle();
    expect((await call(s, 'GET', `/fhir/Patient/${targets[0]}`, { token: back.body.access_token as string })).status).toBe(401);
  });
});
