import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import {
  calendar, call, colleaguesNotes, freeSlots, login, ownPatients, Session, startServer, strangers, Thief, user,
  WORKSTATION_UA, type Server,
} from './harness.js';
import { recordFigure } from './figures.js';
import { patientsOf } from '../helpers/app.js';

/**
 * A thief with a practitioner's password and TOTP seed, who has read our documentation, over
 * HTTP on a real server. Must show: ≤ 25 full identities and ≤ 10 notes of patients
 * without a genuine care relationship before containment, whatever the technique; ≤ 25 charts
 * for a thief who reads only the victim's own patients.
 */
const HOUR = 3_600_000;

describe.each(BACKENDS)('a compromised practitioner account ($name)', (backend) => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 3, patients: 120 });
  });
  afterAll(async () => {
    await s?.close();
  });
  /** Each attack starts a day later, on another practice's account where it can: budgets are per account and per practice. */

  it('parallel bursts of reads: no more than the budget leaves, even 40 at once', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const thief = new Thief(s, victim);
    const ids = await strangers(s, victim, 40);
    expect(ids.length).toBe(40);
    await thief.get('/me');
    await Promise.all(ids.map((id) => thief.get(`/fhir/Patient/${id}`)));
    // Thrown out, he logs in again and tries the rest, then a second burst.
    for (const id of ids) await thief.get(`/fhir/Patient/${id}`);
    const got = [...thief.haul.identities].filter((id) => ids.includes(id)).length;
    recordFigure(backend.name, 'practitioner: parallel burst of 40 reads', { identities: got });
    expect(got).toBeLessThanOrEqual(10);
    expect(got).toBeGreaterThan(0);
  });

  it('$everything over ids from the calendar: counted like any read', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1);
    const thief = new Thief(s, victim);
    const mine = new Set(await strangers(s, victim, 500));
    const cal = (await calendar(s, victim.practiceId!, new Date(s.now().getTime() - 14 * 24 * HOUR), new Date(s.now().getTime() + 7 * 24 * HOUR)))
      .filter((a) => mine.has(a.patientId));
    const targets = [...new Set(cal.map((a) => a.patientId))].slice(0, 40);
    expect(targets.length).toBeGreaterThan(12);
    for (const id of targets) await thief.get(`/fhir/Patient/${id}/$everything`);
    recordFigure(backend.name, 'practitioner: $everything sweep', { identities: thief.haul.identities.size, notes: thief.haul.notes.size });
    expect(thief.haul.identities.size).toBeLessThanOrEqual(10);
    expect(thief.haul.notes.size).toBe(0);
  });

  it('self-booked care opens no notes, moving a colleague\'s booking does not either, and bulk booking alerts', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 2);
    const thief = new Thief(s, victim);
    const ids = await strangers(s, victim, 25);
    const start = new Date(s.now().getTime() - 10 * 60_000);
    // The agenda refuses a booking that overlaps the victim's other visits, and a visit created
    // "missed" (which would hold no time, and so overlap whatever it likes) or longer than 12 hours:
    // he books all 25 in the free slots from ten minutes ago, after trying the last 5 as year-long
    // missed visits.
    const slots = await freeSlots(s, victim.fhirId!, start, ids.length);
    const book = (id: string, from: Date, status: string, ms: number) => thief.request('POST', '/fhir/Appointment', {
      resourceType: 'Appointment', status, start: from.toISOString(), end: new Date(from.getTime() + ms).toISOString(),
      participant: [{ actor: { reference: `Patient/${id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${victim.fhirId}` }, status: 'accepted' }],
    });
    for (const [i, id] of ids.entries()) {
      if (i >= 20) {
        const yearLong = await book(id, start, 'noshow', 365 * 24 * HOUR);
        expect(yearLong.status, JSON.stringify(yearLong.body)).toBe(409);
      }
      const r = await book(id, slots[i]!, 'booked', 20 * 60_000);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    // A self-booked appointment of today is a visit: he may write, and read what he wrote in it, and
    // nothing else (test/adversary/walk-in.int.test.ts): an empty page, or a refusal once it is over.
    const noNotes = async (id: string, visit: boolean | null) => {
      const r = await thief.get(`/fhir/DocumentReference?patient=${id}`);
      if (visit !== null) expect(r.status).toBe(visit ? 200 : 403);
      expect(r.body.entry ?? []).toEqual([]);
    };
    for (const id of ids) await noNotes(id, true);
    // An appointment someone else booked with the victim, re-pointed at a stranger: re-booked in the thief's name.
    // (One still to come, not his own: the agenda refuses to move a visit into the past.)
    const theirs = (await calendar(s, victim.practiceId!, s.now(), new Date(s.now().getTime() + 7 * 24 * HOUR)))
      .find((a) => a.practitionerId === victim.fhirId && !ids.includes(a.patientId));
    expect(theirs).toBeDefined();
    const moved = await thief.request('PUT', `/fhir/Appointment/${theirs!.id}`, {
      resourceType: 'Appointment', id: theirs!.id, status: 'booked', start: theirs!.start.toISOString(), end: new Date(theirs!.start.getTime() + 20 * 60_000).toISOString(),
      participant: [{ actor: { reference: `Patient/${ids[0]}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${victim.fhirId}` }, status: 'accepted' }],
    });
    expect(moved.status).toBe(200);
    await noNotes(ids[0]!, null);
    // A cancelled appointment someone else booked with the victim, brought back by the thief: re-booked
    // in his name too (regression: a status-only change kept the other booker).
    const cancelled = await s.store.driver.transaction((q) => q.query<{ id: string; patient_id: string; starts_at: Date; ends_at: Date }>(
      `UPDATE admin.appointments SET status = 'cancelled', booked_by = NULL WHERE id = (
         SELECT a.id FROM admin.appointments a WHERE a.practice_id = $1 AND a.practitioner_id = $2 AND a.starts_at > $3 AND a.id <> $4
            AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = a.patient_id AND c.practitioner_id = $2)
            AND NOT EXISTS (SELECT 1 FROM admin.appointments b WHERE b.patient_id = a.patient_id AND b.practitioner_id = $2 AND b.id <> a.id)
          ORDER BY a.starts_at LIMIT 1) RETURNING id, patient_id, starts_at, ends_at`,
      [victim.practiceId, victim.fhirId, s.now().toISOString(), theirs!.id],
    ));
    expect(cancelled.rows).toHaveLength(1);
    {
      const c = cancelled.rows[0]!;
      expect((await thief.get(`/fhir/DocumentReference?patient=${c.patient_id}`)).status).toBe(403);
      const back = await thief.request('PUT', `/fhir/Appointment/${c.id}`, {
        resourceType: 'Appointment', id: c.id, status: 'booked', start: new Date(c.starts_at).toISOString(), end: new Date(c.ends_at).toISOString(),
        participant: [{ actor: { reference: `Patient/${c.patient_id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${victim.fhirId}` }, status: 'accepted' }],
      });
      expect(back.status).toBe(200);
      await noNotes(c.patient_id, null);
    }
    // Later, when the visits are long over: still no care.
    s.advance(3 * 24 * HOUR);
    for (const id of ids.slice(-5)) await noNotes(id, false);
    expect(thief.haul.notes.size).toBe(0);
    await s.services.detection.settle();
    const officer = await login(s, user(s, 'security-officer'));
    const alerts = (await call(s, 'GET', '/security/alerts', { token: officer! })).body.alerts as { userId: string; reasons: string[] }[];
    expect(alerts.filter((a) => a.userId === victim.fhirId).flatMap((a) => a.reasons).join(' ')).toMatch(/created or moved more than 20 patients and appointments in an hour/);
  });

  it('break-the-glass sweeps: at most 10 notes without care, then contained', async () => {
    await s.fresh();
    const { victim, patients: ids } = await colleaguesNotes(s);
    expect(ids.length).toBeGreaterThan(12);
    const thief = new Thief(s, victim, 200);
    for (const id of ids) {
      // Break-the-glass needs a fresh second factor: the thief has the seed, so he logs in afresh.
      thief.token = null;
      const g = await thief.request('POST', '/access/break-glass', { patientId: id, reason: 'Patient au téléphone, dossier urgent' });
      if (g.status !== 201) continue;
      await thief.get(`/fhir/DocumentReference?patient=${id}`);
    }
    const contained = (await thief.get(`/fhir/Patient/${ids[0]}`)).status !== 200;
    recordFigure(backend.name, 'practitioner: break-the-glass sweep', { notes: thief.haul.notes.size, notePatients: thief.haul.notePatients.size, identities: thief.haul.identities.size });
    expect(thief.haul.notes.size).toBeLessThanOrEqual(10);
    expect(thief.haul.notePatients.size).toBeLessThanOrEqual(10);
    expect(contained).toBe(true);
  });

  it('broad listings: picker fields only, and no more than the listing budget', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1);
    const thief = new Thief(s, victim);
    let url: string | null = '/fhir/Patient?_count=50';
    for (let i = 0; i < 30 && url; i++) {
      const r = await thief.get(url);
      if (r.status !== 200) continue;
      const next = (r.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
      url = next ? new URL(next.url).pathname + new URL(next.url).search : '/fhir/Patient?_count=50';
    }
    // POST _search with the same parameters, and every letter as a short term.
    for (const l of 'abcdefghij') await thief.request('POST', '/fhir/Patient/_search', { family: l });
    recordFigure(backend.name, 'practitioner: broad listing', { listed: thief.haul.listed.size, identities: thief.haul.identities.size });
    expect(thief.haul.identities.size).toBe(0);
    expect(thief.haul.listed.size).toBeLessThanOrEqual(15);
  });

  it('a thief who reads only the victim\'s own patients: at most 25 charts', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 2);
    const thief = new Thief(s, victim);
    const own = await ownPatients(s, victim);
    const near = new Set((await calendar(s, victim.practiceId!, new Date(s.now().getTime() - 3 * 24 * HOUR), new Date(s.now().getTime() + 3 * 24 * HOUR))).map((a) => a.patientId));
    const standing = own.filter((id) => !near.has(id));
    expect(standing.length).toBeGreaterThan(25);
    for (const id of standing) {
      await thief.get(`/fhir/Patient/${id}`);
      await thief.get(`/fhir/DocumentReference?patient=${id}`);
    }
    const charts = new Set([...thief.haul.identities, ...thief.haul.notePatients]);
    recordFigure(backend.name, 'practitioner: own patients only', { charts: charts.size, notes: thief.haul.notes.size });
    expect(charts.size).toBeLessThanOrEqual(25);
  });

  it('a thief on his own client reads the victim\'s booked and standing patients: at most 25 charts, and cannot approve his client', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 1);
    const thief = new Thief(s, victim);
    const own = await ownPatients(s, victim);
    // The practice's assistant books the victim's tomorrow: 30 patients, his own first.
    const desk = new Session(s, user(s, 'assistant', 1));
    const tomorrow = Math.floor(s.now().getTime() / (24 * HOUR)) * 24 * HOUR + 24 * HOUR + 8 * HOUR;
    const day = [...own, ...(await strangers(s, victim))].slice(0, 30);
    // Tomorrow's free slots of his agenda, one after the other (the agenda refuses a taken one).
    const slots = await freeSlots(s, victim.fhirId!, new Date(tomorrow), day.length, { minutes: 18, step: 18 });
    for (const [i, id] of day.entries()) {
      const start = slots[i]!;
      const r = await desk.request('POST', '/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 18 * 60_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${victim.fhirId}` }, status: 'accepted' }],
      });
      expect(r.status).toBe(201);
    }
    s.advance(HOUR);
    const now = s.now().getTime();
    // What the calendar explains for the victim (booked by someone else, from 12 hours ago to 2 days ahead), first.
    const near = [...new Set((await calendar(s, victim.practiceId!, new Date(now - 12 * HOUR), new Date(now + 47 * HOUR))).filter((a) => a.practitionerId === victim.fhirId).map((a) => a.patientId))];
    const targets = [...near, ...own.filter((id) => !near.includes(id))];
    expect(near.length).toBeGreaterThanOrEqual(30);
    expect(targets.length).toBeGreaterThanOrEqual(30);
    // His client is not the victim's: he cannot approve it, even with a fresh second factor.
    await thief.get('/me');
    const mine = (await thief.get('/me/clients')).body.clients as { client: string; current: boolean; approved: boolean }[];
    const current = mine.find((c) => c.current)!;
    expect(current.approved).toBe(false);
    const approve = await call(s, 'POST', '/me/clients/approve', { token: thief.token!, ua: thief.ua, body: { client: current.client } });
    expect(approve.status).toBe(403);
    for (const id of targets) {
      await thief.get(`/fhir/Patient/${id}`);
      await thief.get(`/fhir/DocumentReference?patient=${id}`);
    }
    const charts = new Set([...thief.haul.identities, ...thief.haul.notePatients]);
    recordFigure(backend.name, 'practitioner: own booked and standing patients, thief\'s client', { targets: targets.length, booked: near.length, charts: charts.size, notes: thief.haul.notes.size });
    expect(charts.size).toBeLessThanOrEqual(25);
    expect(charts.size).toBeGreaterThan(0);
  });

  it('a thief on his own client reads the victim\'s own patients, then strangers: at most 25 identities in all (regression: 25 + 10)', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const thief = new Thief(s, victim, 10);
    const own = await ownPatients(s, victim);
    const others = await strangers(s, victim, 40);
    expect(own.length).toBeGreaterThanOrEqual(15);
    // The standing-care budget (25) and the no-care budget (10 an hour) were counted apart: together 35.
    for (const id of [...own.slice(0, 25), ...others.slice(0, 15)]) await thief.get(`/fhir/Patient/${id}`);
    recordFigure(backend.name, 'practitioner: own patients, then strangers, thief\'s client', { identities: thief.haul.identities.size });
    expect(thief.haul.identities.size).toBeLessThanOrEqual(25);
    expect(thief.haul.identities.size).toBeGreaterThanOrEqual(own.slice(0, 25).length);
  });

  /** Every three-letter prefix of the practice's family names, most patients first: the best sweep a thief could make. */
  async function prefixes(practiceId: string): Promise<string[]> {
    const n = new Map<string, number>();
    for (const p of await patientsOf(s, practiceId)) {
      const k = p.birthFamilyName.toLowerCase().slice(0, 3);
      if (k.length === 3) n.set(k, (n.get(k) ?? 0) + 1);
    }
    return [...n.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  }

  /** Every prefix of the practice, `_count=20`, then one more search: what was listed, and whether he was contained. */
  async function sweep(thief: Thief, label: string): Promise<{ listed: number; contained: boolean }> {
    const terms = await prefixes(thief.victim.practiceId!);
    for (const t of terms) await thief.get(`/fhir/Patient?name=${t}&_count=20`);
    const contained = (await thief.get(`/fhir/Patient?name=${terms[0]}&_count=20`)).status !== 200;
    recordFigure(backend.name, `practitioner: name-search sweep, ${label}`, { searches: terms.length, listed: thief.haul.listed.size, identities: thief.haul.identities.size });
    expect(thief.haul.identities.size).toBe(0);
    return { listed: thief.haul.listed.size, contained };
  }

  it('a thief on his own client sweeps specific-looking name searches: at most 25 listed, picker fields only', async () => {
    await s.fresh();
    const r = await sweep(new Thief(s, user(s, 'practitioner', 2), 10), 'thief\'s client');
    expect(r.listed).toBeLessThanOrEqual(25);
    expect(r.listed).toBeGreaterThan(10);
    expect(r.contained).toBe(true);
  });

  it('a thief driving the doctor\'s own approved client sweeps name searches: at most 75 listed (the honest hour\'s pages, then broad listings), picker fields only', async () => {
    await s.fresh();
    // The workstation's user agent from the practice's network: the approved client (malware on it, or a copied agent string).
    // From the approved client the hour's name-search budget (60) refuses without holding the
    // account (an honest doctor's fourth page waits); the sweep's two-letter terms then list
    // broadly, under their own budget (15 in ten minutes), which suspends.
    const r = await sweep(new Thief(s, user(s, 'practitioner', 1), 10, WORKSTATION_UA), 'approved client');
    expect(r.listed).toBeLessThanOrEqual(75);
    expect(r.listed).toBeGreaterThan(25);
    expect(r.contained).toBe(true);
  });

  it('a swarm of sessions with different clients shares one budget', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0);
    const ids = await strangers(s, victim, 60);
    const thieves = Array.from({ length: 6 }, (_, i) => new Thief(s, victim, 5, `Mozilla/5.0 swarm-${i}`));
    // Six sessions opened one after the other (a TOTP code is good once), then all at once.
    for (const t of thieves) expect((await t.get('/me')).status).toBe(200);
    await Promise.all(thieves.map((t, i) => Promise.all(ids.slice(i * 10, i * 10 + 10).map((id) => t.get(`/fhir/Patient/${id}`)))));
    const all = new Set(thieves.flatMap((t) => [...t.haul.identities]));
    recordFigure(backend.name, 'practitioner: swarm of 6 sessions', { identities: all.size });
    expect(all.size).toBeLessThanOrEqual(10);
  });

  it('a thief who spreads over days meets the weekly budgets (regression: every budget was daily)', async () => {
    await s.fresh(8);
    const victim = user(s, 'practitioner', 1);
    const ids = await strangers(s, victim, 80);
    expect(ids.length).toBeGreaterThan(45);
    const thief = new Thief(s, victim, 50);
    let contained = false;
    for (let day = 0; day < 5 && !contained; day++) {
      // Under every daily budget each day: 9 patients without care, an hour apart from the next batch.
      for (const id of ids.slice(day * 9, day * 9 + 9)) await thief.get(`/fhir/Patient/${id}`);
      contained = (await thief.get(`/fhir/Patient/${ids[ids.length - 1 - day]}`)).status !== 200;
      s.advance(25 * HOUR);
    }
    recordFigure(backend.name, 'practitioner: 9 strangers a day over days', { identities: thief.haul.identities.size });
    expect(thief.haul.identities.size).toBeLessThanOrEqual(30);
    expect(contained).toBe(true);
  });
});
