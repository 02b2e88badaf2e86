import { Faker, base, en, fr } from '@faker-js/faker';
import {
  type Appointment,
  type CareRelationship,
  type ClinicalNote,
  type Patient,
  type Practice,
  type User,
} from '../../domain/index.js';
import { ChartStreams, drawChart, profileOf, type ChartResource, type Profile, type Visit } from './chart/index.js';
import { drawPatient } from './identity.js';
import { writeNote } from './notes.js';
import { drawPractice } from './staff.js';
import { ListSampler, practitionerCalendar, type ListPatient } from './visits.js';

export { writeNote, SENSITIVE_SHARE } from './notes.js';
export type { ChartResource } from './chart/index.js';
export { ascii } from './identity.js';
export { uniqueUsername } from './staff.js';

/** A French GP sees about 1,643 distinct patients a year (CNAM); we use 1,600 per practitioner. */
export const PATIENTS_PER_PRACTITIONER = 1600;

export interface PopulationOptions {
  readonly seed: number;
  readonly practices: number;
  /** Patients per practice; by default 1,600 per practitioner of the practice. */
  readonly patientsPerPractice?: number;
  /** The simulated "now". */
  readonly now: Date;
  /** Days of past appointments and notes; default 365. */
  readonly visitHistoryDays?: number;
  /** Days of booked appointments ahead; default 14. */
  readonly futureDays?: number;
  /** Rows per emitted chunk; default 500. */
  readonly batchSize?: number;
  /**
   * Whose charts to draw: every patient's (the default), those the calendar names (seen in the
   * window or booked: the patients a session or a simulated day reaches), or none.
   */
  readonly charts?: 'all' | 'calendar' | 'none';
}

export type PopulationChunk =
  | { readonly kind: 'practice'; readonly practice: Practice; readonly staff: readonly User[] }
  | { readonly kind: 'patients'; readonly practiceId: string; readonly patients: readonly Patient[]; readonly care: readonly CareRelationship[] }
  | { readonly kind: 'visits'; readonly practiceId: string; readonly appointments: readonly Appointment[]; readonly notes: readonly ClinicalNote[] }
  /** Honeytoken patients: ordinary-looking identities that no care relationship or visit ever reaches. */
  | { readonly kind: 'decoys'; readonly practiceId: string; readonly patients: readonly Patient[] }
  /** Patients' charts (clinical resources), after the practice's visits: the visits' consultations are in them. */
  | { readonly kind: 'charts'; readonly practiceId: string; readonly resources: readonly ChartResource[] };

function utcMidnight(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/**
 * A deterministic synthetic population, streamed practice by practice and in batches, so that a
 * million patients never sit in memory at once (only a practice's list of ids and ages does).
 */
export function* generatePopulation(opts: PopulationOptions): Generator<PopulationChunk> {
  const f = new Faker({ locale: [fr, en, base] });
  f.seed(opts.seed);
  const batch = opts.batchSize ?? 500;
  const usernames = new Set<string>();
  const today = utcMidnight(opts.now);
  const from = new Date(today.getTime() - (opts.visitHistoryDays ?? 365) * 86_400_000);
  const to = new Date(today.getTime() + ((opts.futureDays ?? 14) + 1) * 86_400_000);
  const streams = new ChartStreams(opts.seed);

  for (let i = 0; i < opts.practices; i++) {
    const { practice, place, staff } = drawPractice(f, usernames);
    yield { kind: 'practice', practice, staff };
    const practitioners = staff.filter((u) => u.role === 'practitioner');
    const count = opts.patientsPerPractice ?? PATIENTS_PER_PRACTITIONER * practitioners.length;
    const lists: ListPatient[][] = practitioners.map(() => []);
    const all: ListPatient[] = [];
    const nirs = new Set<string>();
    // Who each patient is to her chart, her chart's profile once drawn, and the visits it will hold.
    const people = new Map<string, Person>();
    const profiles = new Map<string, Profile>();
    const profile = (id: string): Profile => {
      const known = profiles.get(id);
      if (known) return known;
      const drawn = profileOf(streams, people.get(id) as Person, (people.get(id) as Person).gpId, opts.now);
      profiles.set(id, drawn);
      return drawn;
    };
    const visitsOf = new Map<string, Visit[]>();
    const named = new Set<string>();

    let patients: Patient[] = [];
    let care: CareRelationship[] = [];
    for (let n = 0; n < count; n++) {
      const { age, ...drawn } = drawPatient(f, practice.id, place, opts.now, nirs);
      // One notable person per practice (the 2025 victims included some): flagged VIP.
      const patient = n === 7 ? { ...drawn, vip: true } : drawn;
      const k = n % practitioners.length;
      const gp = practitioners[k] as User;
      lists[k]?.push({ id: patient.id, age });
      all.push({ id: patient.id, age });
      patients.push(patient);
      people.set(patient.id, personOf(patient, gp.id));
      // 72 % of adults (≈ 60 % of the list) declared their GP as médecin traitant (CNAM: ~960 of ~1,600).
      if (age >= 16 && f.number.float({ min: 0, max: 1 }) < 0.72) {
        const since = new Date(today.getTime() - f.number.int({ min: 30, max: 3650 }) * 86_400_000);
        care.push({
          id: f.string.uuid(), practiceId: practice.id, patientId: patient.id, practitionerId: gp.id,
          kind: 'treating', startsAt: since, endsAt: null, appointmentId: null,
        });
      }
      if (patients.length >= batch) {
        yield { kind: 'patients', practiceId: practice.id, patients, care };
        patients = [];
        care = [];
      }
    }
    if (patients.length > 0) yield { kind: 'patients', practiceId: practice.id, patients, care };
    // Two decoys per practice, drawn like everyone else but left out of every list and calendar.
    yield {
      kind: 'decoys',
      practiceId: practice.id,
      patients: [0, 1].map(() => {
        const { age: _age, ...decoy } = drawPatient(f, practice.id, place, opts.now, nirs);
        // A decoy has a chart like anyone's: an empty one would tell it apart.
        people.set(decoy.id, personOf(decoy, (practitioners[0] as User).id));
        return decoy;
      }),
    };

    const everyone = new ListSampler(all);
    const ageOf = new Map(all.map((p) => [p.id, p.age]));
    for (let k = 0; k < practitioners.length; k++) {
      const gp = practitioners[k] as User;
      const own = lists[k] as ListPatient[];
      if (own.length === 0) continue;
      const sampler = new ListSampler(own);
      // 85 % of encounters are with one's own list; the rest cover colleagues' patients.
      const mixed = { draw: (ff: Faker) => (ff.number.float({ min: 0, max: 1 }) < 0.85 ? sampler.draw(ff) : everyone.draw(ff)) };
      let appointments: Appointment[] = [];
      let notes: ClinicalNote[] = [];
      for (const a of practitionerCalendar(f, practice.id, gp.id, mixed as ListSampler, own.length, {
        from, to, now: opts.now, visitsPerPatientYear: 3,
      })) {
        appointments.push(a);
        named.add(a.patientId);
        if (a.status === 'fulfilled') {
          const measured = a.kind === 'teleconsultation' ? null : streams.measured(profile(a.patientId), a, opts.now);
          const written = writeNote(f, ageOf.get(a.patientId) ?? 40, undefined, measured);
          const visits = visitsOf.get(a.patientId) ?? visitsOf.set(a.patientId, []).get(a.patientId)!;
          visits.push({
            appointmentId: a.id, patientId: a.patientId, practitionerId: gp.id, start: a.start, end: a.end,
            kind: a.kind, motif: written.motif,
          });
          notes.push({
            id: f.string.uuid(), practiceId: practice.id, patientId: a.patientId, authorId: gp.id,
            writtenAt: new Date(a.end.getTime() + f.number.int({ min: 1, max: 30 }) * 60_000),
            text: written.text, labels: written.labels,
          });
        }
        if (appointments.length >= batch) {
          yield { kind: 'visits', practiceId: practice.id, appointments, notes };
          appointments = [];
          notes = [];
        }
      }
      if (appointments.length > 0) yield { kind: 'visits', practiceId: practice.id, appointments, notes };
    }
    const listed = [...people.keys()];
    const charted = opts.charts === 'none' ? [] : opts.charts === 'calendar' ? listed.filter((id) => named.has(id)) : listed;
    yield* charts(streams, practice.id, charted.map(profile), visitsOf, { from, now: opts.now }, batch);
  }
}

/** A patient as her chart needs her: sex, birth date, and the GP whose list she is on. */
interface Person {
  readonly id: string;
  readonly practiceId: string;
  readonly sex: string;
  readonly birthDate: string;
  readonly gpId: string;
}

function personOf(p: Patient, gpId: string): Person {
  return { id: p.id, practiceId: p.practiceId, sex: p.sex, birthDate: p.birthDate, gpId };
}

/** The charts of a practice (its patients' in list order, then its decoys'), in batches of resources. */
function* charts(
  streams: ChartStreams, practiceId: string, profiles: readonly Profile[], visitsOf: ReadonlyMap<string, Visit[]>,
  window: { from: Date; now: Date }, batch: number,
): Generator<PopulationChunk> {
  let resources: ChartResource[] = [];
  for (const profile of profiles) {
    resources.push(...drawChart(streams, profile, visitsOf.get(profile.patientId) ?? [], window));
    if (resources.length >= batch) {
      yield { kind: 'charts', practiceId, resources };
      resources = [];
    }
  }
  if (resources.length > 0) yield { kind: 'charts', practiceId, resources };
}
