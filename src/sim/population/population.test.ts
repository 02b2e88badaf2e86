import { fr } from '@faker-js/faker';
import { describe, expect, it } from 'vitest';
import { parseNir, validatePatientIdentity, type Appointment, type ClinicalNote, type Patient, type User } from '../../domain/index.js';
import { generatePopulation, PATIENTS_PER_PRACTITIONER, type PopulationChunk, type PopulationOptions } from './index.js';

const NOW = new Date('2026-03-10T10:00:00Z');

function collect(opts: PopulationOptions) {
  const practices: { staff: readonly User[] }[] = [];
  const patients: Patient[] = [];
  const appointments: Appointment[] = [];
  const notes: ClinicalNote[] = [];
  const decoys: Patient[] = [];
  let largestChunk = 0;
  for (const c of generatePopulation(opts)) {
    if (c.kind === 'practice') practices.push({ staff: c.staff });
    else if (c.kind === 'patients') {
      patients.push(...c.patients);
      largestChunk = Math.max(largestChunk, c.patients.length);
    } else if (c.kind === 'decoys') {
      decoys.push(...c.patients);
    } else if (c.kind === 'visits') {
      appointments.push(...c.appointments);
      notes.push(...c.notes);
      largestChunk = Math.max(largestChunk, c.appointments.length);
    }
  }
  return { practices, patients, appointments, notes, decoys, largestChunk };
}

describe('synthetic population', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const take = (seed: number) => {
      const out: PopulationChunk[] = [];
      for (const c of generatePopulation({ seed, practices: 2, patientsPerPractice: 50, now: NOW, visitHistoryDays: 10 })) out.push(c);
      return out;
    };
    expect(take(11)).toEqual(take(11));
    expect(take(11)).not.toEqual(take(12));
  });

  it('gives every patient a valid identity whose NIR matches sex, birth date and birthplace', () => {
    const { patients } = collect({ seed: 3, practices: 3, patientsPerPractice: 800, now: NOW, visitHistoryDays: 1 });
    expect(patients).toHaveLength(2400);
    const today = NOW.toISOString().slice(0, 10);
    for (const p of patients) expect(validatePatientIdentity(p, today), JSON.stringify(p)).toEqual([]);
    const withNir = patients.filter((p) => p.nir !== null);
    expect(withNir.length / patients.length).toBeGreaterThan(0.9);
    // NIRs are unique within a practice, and ids are random UUIDs, never the NIR.
    for (const pid of new Set(patients.map((p) => p.practiceId))) {
      const nirs = withNir.filter((p) => p.practiceId === pid).map((p) => p.nir);
      expect(new Set(nirs).size).toBe(nirs.length);
    }
    expect(new Set(patients.map((p) => p.id)).size).toBe(patients.length);
    for (const p of withNir) expect(parseNir(p.id).ok).toBe(false);
    // Some are born abroad (99 + country) and a few in Corsica or overseas.
    expect(patients.some((p) => p.birthplaceInsee?.startsWith('99'))).toBe(true);
  });

  it('uses French names', () => {
    const { patients } = collect({ seed: 5, practices: 1, patientsPerPractice: 300, now: NOW, visitHistoryDays: 1 });
    const fn = fr.person?.first_name;
    const firstNames = new Set([...(fn?.generic ?? []), ...(fn?.female ?? []), ...(fn?.male ?? [])]);
    expect(firstNames.size).toBeGreaterThan(100);
    for (const p of patients) for (const g of p.givenNames) expect(firstNames.has(g), g).toBe(true);
  });

  it('staffs practices with 1–6 practitioners and realistic patient lists by default', () => {
    const { practices, patients } = collect({ seed: 9, practices: 4, now: NOW, visitHistoryDays: 0, futureDays: 0 });
    let expected = 0;
    for (const p of practices) {
      const roles = p.staff.map((u) => u.role);
      const gps = roles.filter((r) => r === 'practitioner').length;
      expect(gps).toBeGreaterThanOrEqual(1);
      expect(gps).toBeLessThanOrEqual(6);
      expect(roles.filter((r) => r === 'assistant').length).toBeGreaterThanOrEqual(1);
      expect(roles.filter((r) => r === 'practice-admin')).toHaveLength(1);
      for (const u of p.staff.filter((s) => s.role === 'practitioner')) expect(u.rpps).toMatch(/^10[0-9]{9}$/);
      expected += gps * PATIENTS_PER_PRACTITIONER;
    }
    expect(patients).toHaveLength(expected);
  });

  it('fills GP days like DREES describes them, with a note per fulfilled visit', () => {
    // Default list sizes (1,600 per GP), so that a GP's day is filled from a realistic list.
    const { appointments, notes } = collect({ seed: 21, practices: 2, now: NOW, visitHistoryDays: 60 });
    const perDay = new Map<string, number>();
    for (const a of appointments) {
      const local = new Date(a.start.getTime() + 3_600_000);
      expect(local.getUTCDay(), 'no Sunday appointments').not.toBe(0);
      expect(local.getUTCHours()).toBeGreaterThanOrEqual(8);
      expect(local.getUTCHours()).toBeLessThan(19);
      const key = `${a.practitionerId} ${local.toISOString().slice(0, 10)}`;
      perDay.set(key, (perDay.get(key) ?? 0) + 1);
    }
    const weekdays = [...perDay.values()];
    const mean = weekdays.reduce((s, n) => s + n, 0) / weekdays.length;
    expect(mean).toBeGreaterThan(12);
    expect(mean).toBeLessThan(28);
    const fulfilled = appointments.filter((a) => a.status === 'fulfilled');
    expect(notes).toHaveLength(fulfilled.length);
    const byId = new Map(appointments.map((a) => [a.patientId + a.practitionerId, a]));
    for (const n of notes) {
      expect(n.writtenAt.getTime()).toBeLessThanOrEqual(NOW.getTime() + 3_600_000);
      expect(byId.has(n.patientId + n.authorId)).toBe(true);
      expect(n.text).toMatch(/^Motif : /);
    }
    expect(appointments.some((a) => a.status === 'booked' && a.start > NOW)).toBe(true);
  });

  it('seeds two decoy patients per practice that no visit or list ever reaches', () => {
    const { decoys, appointments, notes, patients } = collect({ seed: 8, practices: 3, patientsPerPractice: 200, now: NOW, visitHistoryDays: 60 });
    expect(decoys).toHaveLength(6);
    const ids = new Set(decoys.map((d) => d.id));
    expect(appointments.some((a) => ids.has(a.patientId))).toBe(false);
    expect(notes.some((n) => ids.has(n.patientId))).toBe(false);
    expect(patients.some((p) => ids.has(p.id))).toBe(false);
    // They look like everyone else.
    const today = NOW.toISOString().slice(0, 10);
    for (const d of decoys) expect(validatePatientIdentity(d, today)).toEqual([]);
  });

  it('labels about 1 % of notes as sensitive', () => {
    const { notes } = collect({ seed: 33, practices: 2, patientsPerPractice: 2000, now: NOW, visitHistoryDays: 365 });
    expect(notes.length).toBeGreaterThan(8000);
    const share = notes.filter((n) => n.labels.length > 0).length / notes.length;
    expect(share).toBeGreaterThan(0.004);
    expect(share).toBeLessThan(0.016);
    const labelled = notes.filter((n) => n.labels.includes('HIV'));
    for (const n of labelled) expect(n.text).toMatch(/VIH/);
  });

  it('streams in bounded chunks, whatever the population size', () => {
    const { largestChunk, patients } = collect({ seed: 1, practices: 1, patientsPerPractice: 20_000, now: NOW, visitHistoryDays: 5, batchSize: 500 });
    expect(patients).toHaveLength(20_000);
    expect(largestChunk).toBeLessThanOrEqual(500);
    // A million-patient population starts producing at once: nothing is built ahead.
    const gen = generatePopulation({ seed: 1, practices: 400, patientsPerPractice: 2500, now: NOW });
    const t0 = performance.now();
    gen.next();
    gen.next();
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
