import type { Faker } from '@faker-js/faker';

/**
 * The heavy days of a GP's month, where an honest account comes closest to its budgets. Sizes come
 * from FACTS.md where it has them, and from the simulator's own model otherwise (stated beside each):
 * - ≈ 22 consultations a day worked (DREES, IQVIA, Doctolib), slots 08:30–12:00 and 14:00–19:00;
 * - a result or a letter comes back for 30 % of consultations (the workload's follow-up reads), so
 *   ≈ 7 results a day worked; letters from specialists and hospitals about her treating patients,
 *   ≈ 3 a working day (an assumption: FACTS.md has no figure);
 * - 6.2 weeks of holiday a year (DREES): the population's calendar has three two-week blocks.
 * Every heavy day is the GP's own patients (standing care: a treating declaration or a recent visit)
 * or her calendar (scheduled care): honest work that her software must never refuse.
 */
export const HEAVY_KINDS = ['monday', 'after-holiday', 'locum-first-day', 'results-review'] as const;
export type HeavyKind = (typeof HEAVY_KINDS)[number];

export const DAY = 86_400_000;
const MIN = 60_000;

/** Paris day number of an instant (the population's clock is UTC+1). */
export function parisDay(t: number): number {
  return Math.floor((t + 60 * MIN) / DAY);
}

/** An instant from a Paris day number and a wall-clock minute of that day. */
export function wallClock(day: number, minute: number): number {
  return day * DAY + (minute - 60) * MIN;
}

export function weekday(day: number): number {
  return new Date(day * DAY).getUTCDay();
}

/** What a heavy day adds to a GP's (or a locum's) traffic. */
export type HeavyTask =
  /** A result or a letter filed to one of her patients' charts, opened (standing care). */
  | { readonly kind: 'document'; readonly at: number; readonly doc: string; readonly patient: string }
  /** A renewal asked for at the desk: the chart opened, a prescription written (standing care). */
  | { readonly kind: 'renewal'; readonly at: number; readonly doc: string; readonly patient: string }
  /** A consultation added to the calendar, booked by the desk (scheduled care). */
  | { readonly kind: 'consultation'; readonly at: number; readonly doc: string; readonly patient: string;
    readonly bookedAt: number; readonly history: boolean };

export interface HeavyDay {
  readonly userId: string;
  readonly practiceId: string;
  readonly day: number;
  readonly kind: HeavyKind;
}

/** A locum's account: approved the day before the first day, on probation for the detector's 14 days. */
export interface Locum {
  readonly id: string;
  readonly practiceId: string;
  readonly replaces: string;
  readonly approvedAt: number;
  readonly workingDays: number;
}

/** One GP of a practice as the planner sees her: her calendar by day and her patients. */
export interface GpMonth {
  readonly doc: string;
  /** Appointments per Paris day (every status), over the simulated days. */
  readonly perDay: ReadonlyMap<number, number>;
  /** Her patients by the day she saw them (for results: what comes back is what she ordered). */
  readonly seen: ReadonlyMap<number, readonly string[]>;
  /** Patients who declared her their treating doctor (médecin traitant). */
  readonly treating: readonly string[];
}

export interface HeavyPlan {
  readonly tasks: HeavyTask[];
  readonly days: HeavyDay[];
  readonly locums: Locum[];
  /** Paris days each GP was away (holiday), where nothing of hers happens. */
  readonly away: Map<string, Set<number>>;
}

/** Monday: the weekend's results and letters, two days of the ≈ 10 a day that come in: 15–25. */
const MONDAY_DOCUMENTS = { min: 15, max: 25 };
/** Monday and the return from holiday fill up: patients who waited. ≈ +20 % consultations. */
const EXTRA_CONSULTATIONS = { min: 0.15, max: 0.25 };
/**
 * The return from a holiday: the results of her last week of consultations before leaving
 * (30 % × 22 × 5 ≈ 33: later ones arrive within ten days, in the absence), all opened the first day
 * (abnormal ones cannot wait); letters, 3 per working day away, half the first day and half the
 * next; renewals asked for at the desk, one per working day away, the first day.
 */
const RETURN_RESULTS = { min: 28, max: 38 };
const LETTERS_PER_DAY_AWAY = 3;
const RENEWALS_PER_DAY_AWAY = 1;
/** A results sitting: 30–40 of her own patients' results, once a week for half the GPs' weeks. */
const REVIEW_RESULTS = { min: 30, max: 40 };
const REVIEW_WEEKLY_CHANCE = 0.5;
/** A document takes 1–3 minutes (read, file, act): ≈ 30 an hour. */
const DOCUMENT_MINUTES = { min: 1, max: 3 };
/**
 * A locum (remplaçant) covers about half the absences (an assumption: FACTS.md has no figure). He
 * works the absent GP's full calendar, 100–120 % of her usual day, booked by the desk, and reads
 * each patient's history (notes and past results: two searches of the patient's compartment).
 */
const LOCUM_CHANCE = 0.5;
const LOCUM_LOAD = { min: 1, max: 1.2 };

/** Consecutive weekdays without appointments: an absence (3 at least: a free afternoon is not one). */
const ABSENCE_MIN_WEEKDAYS = 3;

interface Absence {
  /** First Paris day away (a weekday), and the day she is back (null: still away at the end). */
  readonly from: number;
  readonly back: number | null;
  /** Working days away; an absence that began before the simulated days is taken as the usual two weeks. */
  readonly weekdays: number;
  /** Whether it began within the simulated days (a locum's first day is then visible). */
  readonly seenStart: boolean;
}

function absences(g: GpMonth, first: number, end: number): Absence[] {
  const out: Absence[] = [];
  let run: number[] = [];
  for (let d = first; d < end; d++) {
    const wd = weekday(d);
    if (wd === 0 || wd === 6) continue;
    if ((g.perDay.get(d) ?? 0) === 0) {
      run.push(d);
      continue;
    }
    if (run.length >= ABSENCE_MIN_WEEKDAYS) out.push(absence(run, d, first));
    run = [];
  }
  if (run.length >= ABSENCE_MIN_WEEKDAYS) out.push(absence(run, null, first));
  return out;
}

function absence(run: readonly number[], back: number | null, first: number): Absence {
  const start = run[0]!;
  // The first weekday of the simulated days: an absence starting there may have begun before.
  const seenStart = run.length > 0 && start > first + (weekday(first) === 6 ? 2 : weekday(first) === 0 ? 1 : 0);
  const weekdays = seenStart ? run.length : Math.max(run.length, 10);
  return { from: seenStart ? start : first, back, weekdays, seenStart };
}

/** Distinct draws from a pool, topped up from a second pool when the first runs short. */
function drawDistinct(f: Faker, n: number, pool: readonly string[], fallback: readonly string[]): string[] {
  const out = new Set(f.helpers.arrayElements(pool, Math.min(n, pool.length)));
  for (let i = 0; out.size < n && i < n * 10 && fallback.length > 0; i++) out.add(f.helpers.arrayElement(fallback));
  return [...out];
}

/** Patients she saw in the days before `day` (most recent first), as far back as `days`. */
function seenBefore(g: GpMonth, day: number, days: number): string[] {
  const out: string[] = [];
  for (let d = day - 1; d >= day - days; d--) out.push(...(g.seen.get(d) ?? []));
  return out;
}

/** A sitting of documents from `minute` on, one after the other. */
function sitting(
  f: Faker, kind: 'document' | 'renewal', doc: string, day: number, minute: number, patients: readonly string[],
): HeavyTask[] {
  let t = wallClock(day, minute);
  return patients.map((patient) => {
    t += f.number.int(kind === 'renewal' ? { min: 2, max: 4 } : DOCUMENT_MINUTES) * MIN;
    return { kind, at: t, doc, patient };
  });
}

/** Consultations added to a day (between 08:30 and 19:00), booked by the desk earlier that day or before. */
function extraConsultations(
  f: Faker, doc: string, day: number, n: number, patient: () => string, sameDay: boolean, history: boolean,
): HeavyTask[] {
  return Array.from({ length: n }, () => {
    const at = wallClock(day, 8 * 60 + 30 + f.number.int({ min: 0, max: 62 }) * 10);
    const bookedAt = sameDay ? wallClock(day, 8 * 60) + f.number.int({ min: 0, max: 25 }) * MIN
      : at - f.number.int({ min: 1, max: 10 }) * DAY + f.number.int({ min: -120, max: 120 }) * MIN;
    const booked = Math.min(bookedAt, at - 30 * MIN);
    return { kind: 'consultation' as const, at, doc, patient: patient(), bookedAt: booked, history };
  });
}

/**
 * The heavy days of one practice's GPs over the simulated Paris days [first, end): Monday mornings,
 * returns from holiday (with a locum's first day when one covered the absence), results sittings.
 */
export function planHeavyDays(
  f: Faker, practiceId: string, gps: readonly GpMonth[], practicePatients: readonly string[],
  first: number, end: number,
): HeavyPlan {
  const tasks: HeavyTask[] = [];
  const days: HeavyDay[] = [];
  const locums: Locum[] = [];
  const away = new Map<string, Set<number>>();
  for (const g of gps) {
    const own = g.treating.length > 0 ? g.treating : practicePatients;
    const usual = [...g.perDay.values()].filter((n) => n > 0);
    const perDay = usual.length === 0 ? 22 : Math.round(usual.reduce((a, b) => a + b, 0) / usual.length);
    const returns = new Set<number>();
    const off = new Set<number>();
    away.set(g.doc, off);
    for (const a of absences(g, first, end)) {
      const stop = a.back ?? end;
      for (let d = a.from; d < stop; d++) off.add(d);
      if (a.seenStart && f.number.float({ min: 0, max: 1 }) < LOCUM_CHANCE) {
        locums.push(locumFor(f, practiceId, g, a, stop, perDay, own, practicePatients, tasks, days));
      }
      if (a.back === null) continue;
      returns.add(a.back);
      const back = a.back;
      const recent = seenBefore(g, a.from, 10);
      const results = drawDistinct(f, f.number.int(RETURN_RESULTS), recent, own);
      tasks.push(...sitting(f, 'document', g.doc, back, 7 * 60, results));
      const letters = drawDistinct(f, LETTERS_PER_DAY_AWAY * a.weekdays, own, own);
      const half = Math.ceil(letters.length / 2);
      tasks.push(...sitting(f, 'document', g.doc, back, 12 * 60 + 30, letters.slice(0, half)));
      const renewals = drawDistinct(f, RENEWALS_PER_DAY_AWAY * a.weekdays, own, own);
      tasks.push(...sitting(f, 'renewal', g.doc, back, 19 * 60 + 15, renewals));
      const next = nextWorkingDay(g, back, end);
      if (next !== null) tasks.push(...sitting(f, 'document', g.doc, next, 12 * 60 + 30, letters.slice(half)));
      const extra = Math.round((g.perDay.get(back) ?? perDay) * f.number.float(EXTRA_CONSULTATIONS));
      tasks.push(...extraConsultations(f, g.doc, back, extra, () => f.helpers.arrayElement(own), true, false));
      days.push({ userId: g.doc, practiceId, day: back, kind: 'after-holiday' });
    }
    for (let d = first; d < end; d++) {
      if (weekday(d) !== 1 || (g.perDay.get(d) ?? 0) === 0 || returns.has(d)) continue;
      // The weekend's results and letters before the first consultation (08:30), then a fuller day.
      const docs = drawDistinct(f, f.number.int(MONDAY_DOCUMENTS), seenBefore(g, d, 10), own);
      tasks.push(...sitting(f, 'document', g.doc, d, 7 * 60 + 30, docs));
      const extra = Math.round((g.perDay.get(d) ?? perDay) * f.number.float(EXTRA_CONSULTATIONS));
      tasks.push(...extraConsultations(f, g.doc, d, extra, () => f.helpers.arrayElement(own), true, false));
      days.push({ userId: g.doc, practiceId, day: d, kind: 'monday' });
    }
    // Results sittings: a weekday that is neither Monday nor a return, in the free afternoon or the evening.
    for (let week = first; week < end; week += 7) {
      const candidates: number[] = [];
      for (let d = week; d < Math.min(end, week + 7); d++) {
        const wd = weekday(d);
        if (wd >= 2 && wd <= 5 && (g.perDay.get(d) ?? 0) > 0 && !returns.has(d)) candidates.push(d);
      }
      if (candidates.length === 0 || f.number.float({ min: 0, max: 1 }) >= REVIEW_WEEKLY_CHANCE) continue;
      const d = f.helpers.arrayElement(candidates);
      // Her free afternoon (one a week in the population's calendar) or, more often, the evening (Arndt 2017).
      const evening = f.number.float({ min: 0, max: 1 }) >= 0.4;
      const start = evening ? 20 * 60 + f.number.int({ min: 0, max: 60 }) : 14 * 60 + 30;
      const results = drawDistinct(f, f.number.int(REVIEW_RESULTS), seenBefore(g, d, 14), own);
      tasks.push(...sitting(f, 'document', g.doc, d, start, results));
      days.push({ userId: g.doc, practiceId, day: d, kind: 'results-review' });
    }
  }
  return { tasks, days, locums, away };
}

function nextWorkingDay(g: GpMonth, day: number, end: number): number | null {
  for (let d = day + 1; d < end; d++) if ((g.perDay.get(d) ?? 0) > 0) return d;
  return null;
}

/** A locum for an absence: a new account, the absent GP's calendar on each weekday away, booked by the desk. */
function locumFor(
  f: Faker, practiceId: string, g: GpMonth, a: Absence, stop: number, perDay: number,
  own: readonly string[], everyone: readonly string[], tasks: HeavyTask[], days: HeavyDay[],
): Locum {
  const id = f.string.uuid();
  let worked = 0;
  for (let d = a.from; d < stop; d++) {
    const wd = weekday(d);
    if (wd === 0 || wd === 6) continue;
    // 85 % of a GP's consultations are with her own list (the population's rule), the rest the practice's.
    const patient = () => f.helpers.arrayElement(f.number.float({ min: 0, max: 1 }) < 0.85 ? own : everyone);
    const n = Math.min(26, Math.round(perDay * f.number.float(LOCUM_LOAD)));
    tasks.push(...extraConsultations(f, id, d, n, patient, false, true));
    if (worked === 0) days.push({ userId: id, practiceId, day: d, kind: 'locum-first-day' });
    worked++;
  }
  return { id, practiceId, replaces: g.doc, approvedAt: wallClock(a.from - 1, 17 * 60), workingDays: worked };
}
