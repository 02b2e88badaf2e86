import type { Faker } from '@faker-js/faker';
import { TYPICAL_MINUTES, type Appointment, type AppointmentKind, type AppointmentStatus } from '../../domain/index.js';

/**
 * A GP's working calendar (DREES 2019: ~22 consultations a day worked, 9.5 half-days a week,
 * 6.2 weeks of holiday a year), filled from the patient list with more visits for the very
 * young and the old. Times are Europe/Paris wall-clock hours expressed in UTC+1 for simplicity.
 */
export interface ListPatient {
  readonly id: string;
  readonly age: number;
}

export interface CalendarOptions {
  readonly from: Date; // first day (UTC midnight)
  readonly to: Date; // last day, exclusive
  readonly now: Date;
  /** Visits per patient and year; 5,000 consultations over 1,643 patients ≈ 3. */
  readonly visitsPerPatientYear: number;
}

const WORKING_DAYS_PER_YEAR = 227;
const MORNING = [8 * 60 + 30, 12 * 60];
const AFTERNOON = [14 * 60, 19 * 60];
const SLOT = 20;

function visitWeight(age: number): number {
  if (age < 2) return 4;
  if (age < 6) return 2;
  if (age >= 80) return 3.5;
  if (age >= 65) return 2.5;
  return 1;
}

/** Weighted sampler over a patient list (cumulative weights, binary search). */
export class ListSampler {
  private readonly cumulative: Float64Array;
  constructor(private readonly list: readonly ListPatient[]) {
    this.cumulative = new Float64Array(list.length);
    let sum = 0;
    list.forEach((p, i) => {
      sum += visitWeight(p.age);
      this.cumulative[i] = sum;
    });
  }
  draw(f: Faker): ListPatient {
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    const x = f.number.float({ min: 0, max: total });
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return this.list[lo] as ListPatient;
  }
}

function holidayWeeks(f: Faker, from: Date, to: Date): Set<number> {
  // Three blocks of two weeks a year, placed at random; weeks numbered from the epoch.
  const weeks = new Set<number>();
  const firstWeek = Math.floor(from.getTime() / (7 * 86_400_000));
  const lastWeek = Math.floor(to.getTime() / (7 * 86_400_000));
  const years = Math.max(1, Math.ceil((lastWeek - firstWeek) / 52));
  // Each year of 52 weeks from the window's start holds three blocks; blocks that fall past
  // the window's end simply do not apply (a 30-day window sees about 0.7 holiday weeks).
  for (let y = 0; y < years; y++) {
    for (let b = 0; b < 3; b++) {
      const w = firstWeek + y * 52 + f.number.int({ min: 0, max: 50 });
      weeks.add(w);
      weeks.add(w + 1);
    }
  }
  return weeks;
}

/** The appointments of one practitioner over the calendar, drawn from the practice's patients. */
export function* practitionerCalendar(
  f: Faker,
  practiceId: string,
  practitionerId: string,
  own: ListSampler,
  ownSize: number,
  opts: CalendarOptions,
): Generator<Appointment> {
  const perDay = Math.max(1, Math.min(24, Math.round((ownSize * opts.visitsPerPatientYear) / WORKING_DAYS_PER_YEAR)));
  const saturday = f.number.float({ min: 0, max: 1 }) < 0.4;
  const freeWeekday = f.number.int({ min: 1, max: 5 }); // the half-week off: one free afternoon
  const holidays = holidayWeeks(f, opts.from, opts.to);
  for (let day = opts.from.getTime(); day < opts.to.getTime(); day += 86_400_000) {
    const d = new Date(day);
    const weekday = d.getUTCDay();
    if (weekday === 0 || (weekday === 6 && !saturday)) continue;
    if (holidays.has(Math.floor(day / (7 * 86_400_000)))) continue;
    const slots: number[] = [];
    for (let m = MORNING[0] as number; m < (MORNING[1] as number); m += SLOT) slots.push(m);
    if (weekday !== 6 && weekday !== freeWeekday) for (let m = AFTERNOON[0] as number; m < (AFTERNOON[1] as number); m += SLOT) slots.push(m);
    const count = Math.min(slots.length, Math.max(0, Math.round(perDay * (weekday === 6 ? 0.4 : 1) * f.number.float({ min: 0.75, max: 1.2 }))));
    const chosen = f.helpers.arrayElements(slots, count).sort((a, b) => a - b);
    const homeVisits = f.number.int({ min: 0, max: 2 }); // lunchtime rounds, ~13 % of encounters
    for (let h = 0; h < homeVisits; h++) chosen.push(12 * 60 + 15 + h * 45);
    for (const minute of chosen) {
      const kind: AppointmentKind = minute >= 12 * 60 + 15 && minute < 14 * 60 ? 'home-visit' : f.number.float({ min: 0, max: 1 }) < 0.05 ? 'teleconsultation' : 'consultation';
      const start = new Date(day + (minute - 60) * 60_000); // Paris wall clock ≈ UTC+1
      const end = new Date(start.getTime() + TYPICAL_MINUTES[kind] * 60_000);
      const patient = own.draw(f);
      yield {
        id: f.string.uuid(),
        practiceId,
        patientId: patient.id,
        practitionerId,
        start,
        end,
        status: statusAt(f, start, end, opts.now),
        kind,
      };
    }
  }
}

function statusAt(f: Faker, start: Date, end: Date, now: Date): AppointmentStatus {
  if (start.getTime() > now.getTime()) return 'booked';
  if (end.getTime() > now.getTime()) return 'arrived';
  const r = f.number.float({ min: 0, max: 1 });
  return r < 0.03 ? 'noshow' : r < 0.05 ? 'cancelled' : 'fulfilled';
}
