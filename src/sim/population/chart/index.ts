import { createHash } from 'node:crypto';
import { Faker, base, type Randomizer } from '@faker-js/faker';
import type { SensitivityLabel } from '../../../domain/index.js';
import { REGISTRY, type Json } from '../../../resources/index.js';
import { allergyResource } from './allergies.js';
import { encounterResource, reasonOf, type Visit } from './encounters.js';
import { labSittings } from './labs.js';
import { vitalSigns } from './observations.js';
import { conditionResource, listProblems, recordedAt } from './problem-list.js';
import { ageAt, drawProfile, type Profile } from './profile.js';
import { acuteLine, prescriptionResource, standingLines } from './treatments.js';
import { doses, immunizationResource, type Dose } from './vaccines.js';
import { measure, type Measured } from './vitals.js';

export { drawProfile, type Profile } from './profile.js';
export { reasonOf, type Visit } from './encounters.js';
export type { Measured } from './vitals.js';

/**
 * A patient's chart as FHIR resources: the problem list, allergies, treatments, vaccinations,
 * laboratory results, and for each visit of the window its consultation with the vital signs and
 * prescriptions written in it. Each resource is as a client would send it (the module's author
 * elements are added when it is written) with the labels its module gives it.
 */
export interface ChartResource {
  readonly id: string;
  readonly type: string;
  readonly patientId: string;
  readonly authorId: string;
  readonly writtenAt: Date;
  readonly body: Json;
  readonly labels: readonly SensitivityLabel[];
  /** The appointment whose consultation wrote it, if one of the window did. */
  readonly appointmentId: string | null;
}

/**
 * Small Fast Counter (sfc32, PractRand): a stream seeded in a few operations, as each chart and
 * visit reseeds one. Faker calls `next` unbound: the state lives in the closure.
 */
function sfc32(): Randomizer {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = ((c << 21) | (c >>> 11)) + t | 0;
    return (t >>> 0) / 4294967296;
  };
  const seed = (s: number | number[]): void => {
    const w = Array.isArray(s) ? s : [s];
    [a, b, c, d] = [w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 1].map((x) => x | 0) as [number, number, number, number];
    for (let i = 0; i < 12; i++) next();
  };
  return { next, seed };
}

/**
 * Random streams of the charts, apart from the population's: a patient's chart is drawn from her
 * id and the seed alone, a visit's measurements from the appointment's id, so that the rest of the
 * population stays what it was and a visit measures the same for its note and for its chart.
 */
export class ChartStreams {
  private readonly chart = new Faker({ locale: [base], randomizer: sfc32() });
  private readonly visit = new Faker({ locale: [base], randomizer: sfc32() });

  constructor(private readonly seed: number) {}

  private static words(seed: number, key: string): number[] {
    const h = createHash('sha256').update(`${seed}|${key}`).digest();
    return [0, 4, 8, 12].map((i) => h.readUInt32BE(i));
  }

  /** The stream of one patient's chart (each call starts it again). */
  of(patientId: string): Faker {
    this.chart.seed(ChartStreams.words(this.seed, patientId));
    return this.chart;
  }

  /** What a visit measured (weight, pressure, pulse), the same for its note and its chart. */
  measured(p: Profile, v: { id: string; start: Date }, now: Date): Measured {
    this.visit.seed(ChartStreams.words(this.seed, `visit|${v.id}`));
    return measure(this.visit, p, v.start, now);
  }
}

/** A patient's profile, drawn when she is (from her own stream). */
export function profileOf(
  streams: ChartStreams, patient: { id: string; practiceId: string; sex: string; birthDate: string }, gpId: string,
  now: Date,
): Profile {
  return drawProfile(streams.of(patient.id), patient, gpId, now);
}

const MINUTE = 60_000;

export function drawChart(
  streams: ChartStreams, p: Profile, visits: readonly Visit[], window: { from: Date; now: Date },
): ChartResource[] {
  const { from, now } = window;
  const g = streams.of(`${p.patientId}|chart`);
  const out: ChartResource[] = [];
  const add = (body: Json, authorId: string, writtenAt: Date, visit: Visit | null, id = g.string.uuid()) => {
    const type = body.resourceType as string;
    const labels = (REGISTRY.module(type) as NonNullable<ReturnType<typeof REGISTRY.module>>).labels(body);
    const appointmentId = visit?.appointmentId ?? null;
    out.push({ id, type, patientId: p.patientId, authorId, writtenAt, body, labels, appointmentId });
  };
  const seen = [...visits].sort((a, b) => a.start.getTime() - b.start.getTime());
  const encounters = new Map(seen.map((v) => [v, g.string.uuid()]));
  const chart = listProblems(g, p, seen, now);
  const treated: Profile = { ...p, drugs: chart.drugs };

  for (const x of chart.problems) {
    const at = recordedAt(g, x, now);
    const by = x.diagnosedAt;
    const body = conditionResource(x, p.patientId, at, now, by ? encounters.get(by)! : null);
    add(body, by?.practitionerId ?? p.gpId, at, by);
  }
  for (const a of p.allergies) {
    const onset = new Date(now.getTime() - a.onsetYearsAgo * 365.25 * 86_400_000);
    const later = onset.getTime() + g.number.int({ min: 0, max: 60 }) * 86_400_000;
    const recorded = new Date(Math.min(later, now.getTime() - 86_400_000));
    add(allergyResource(a, p.patientId, recorded, onset), p.gpId, recorded, null);
  }
  for (const s of labSittings(g, treated, now)) {
    // Results reach the practice the day after the sample, and are filed by the patient's GP.
    const filed = new Date(Math.min(s.at.getTime() + 30 * 60 * MINUTE, now.getTime() - MINUTE));
    for (const r of s.results) add(r, p.gpId, filed, null);
  }

  const given = doses(g, p, now);
  const linked = new Map<Dose, Visit>();
  let measuredHeight = false;
  for (const v of seen) {
    const enc = encounters.get(v)!;
    const at = (minutes: number) => new Date(v.start.getTime() + minutes * MINUTE);
    add(encounterResource(v), v.practitionerId, at(2), v, enc);
    const m = streams.measured(p, { id: v.appointmentId, start: v.start }, now);
    if (v.kind !== 'teleconsultation') {
      const height = ageAt(p.birth, v.start) < 18 || !measuredHeight;
      const common = { patientId: p.patientId, at: at(4), encounterId: enc };
      const measured = vitalSigns(common, m, { height, scale: v.kind === 'consultation' });
      for (const o of measured) add(o, v.practitionerId, at(5), v);
      measuredHeight ||= v.kind === 'consultation';
    }
    const reason = reasonOf(v.motif);
    if (reason.vaccinates && v.kind !== 'teleconsultation') {
      const dose = vaccinationAt(given, linked, p, v);
      linked.set(dose, v);
      add(immunizationResource(g, dose, p, enc), v.practitionerId, at(11), v);
    }
    if (reason.acute) {
      const line = acuteLine(reason.acute, treated, v, m.weightKg, now);
      add(prescriptionResource(line, p.patientId, enc), v.practitionerId, at(13), v);
    }
  }
  for (const d of given) if (!linked.has(d)) add(immunizationResource(g, d, p, null), p.gpId, d.at, null);
  for (const l of standingLines(g, treated, seen, from, now, chart.started)) {
    const body = prescriptionResource(l, p.patientId, l.visit ? encounters.get(l.visit)! : null);
    add(body, l.visit?.practitionerId ?? p.gpId, l.at, l.visit);
  }
  return out;
}

/**
 * The dose a vaccination visit gave: a scheduled dose due within two months of it, moved to the
 * visit; otherwise a seasonal influenza dose in autumn and winter, or a booster.
 */
function vaccinationAt(given: Dose[], linked: ReadonlyMap<Dose, Visit>, p: Profile, v: Visit): Dose {
  const t = v.start.getTime();
  const due = given.find((d) => !linked.has(d) && Math.abs(d.at.getTime() - t) < 60 * 86_400_000);
  const at = new Date(t + 8 * MINUTE);
  if (due) {
    const moved = { ...due, at };
    given[given.indexOf(due)] = moved;
    return moved;
  }
  const month = v.start.getUTCMonth();
  const age = ageAt(p.birth, v.start);
  const season = month >= 9 || month <= 1;
  const extra: Dose = age >= 18 && season
    ? { code: 'J07BB02', at, doseNumber: 1, ofDoses: 1, series: 'Campagne antigrippale' }
    : { code: age >= 18 ? 'J07CA01' : age >= 6 ? 'J07CA02' : 'J07BD52', at, doseNumber: 1, ofDoses: null,
      series: 'Rattrapage' };
  given.push(extra);
  return extra;
}
