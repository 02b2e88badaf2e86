/**
 * FHIR R4 date search (https://hl7.org/fhir/R4/search.html#date, §3.1.1.4.2 and the prefixes of
 * §3.1.1.4) against an instant such as Appointment.start.
 *
 * A value has an implicit range set by its precision: `2026-12` is the whole month, `2026-12-01`
 * the whole day, `2026-12-01T10:00Z` that minute. Against a point in time t, with the value's range
 * [lo, hi):
 *   eq  lo ≤ t < hi        ne  t < lo or t ≥ hi
 *   ge  t ≥ lo             le  t < hi
 *   gt  t ≥ hi             lt  t < lo
 *   sa  t ≥ hi (starts after: for a point, as gt)   eb  t < lo (ends before: as lt)
 * `ap` (approximately) leaves the tolerance to the server: it is refused rather than guessed.
 * A parameter repeated is an AND (§3.1.1.1 "date=ge…&date=le…" is a range).
 *
 * Values without a time zone are read in UTC, the time zone of the calendar's instants (FHIR lets
 * the server choose its own). Years run from 0001 to 9998: every bound, and the day after it,
 * must stay a date PostgreSQL and ISO 8601 write with four digits.
 */

export const DATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'] as const;
export type DatePrefix = (typeof DATE_PREFIXES)[number];

/** A half-open interval of instants [from, to). */
export interface Interval {
  readonly from: Date;
  readonly to: Date;
}

/** What repeated date values ask for together: t ≥ from, t < to, and t outside every excluded interval. */
export interface DateCondition {
  readonly from: Date | null;
  readonly to: Date | null;
  readonly excluded: readonly Interval[];
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** At most this many values of one date parameter (a range needs two; more is not a calendar). */
export const MAX_DATE_VALUES = 4;

const VALUE = new RegExp(
  '^(?<prefix>[a-z]{2})?(?<year>\\d{4})(?:-(?<month>\\d{2})(?:-(?<day>\\d{2})' +
    '(?:T(?<hour>\\d{2}):(?<minute>\\d{2})(?::(?<second>\\d{2})(?:\\.(?<fraction>\\d{1,9}))?)?' +
    '(?<zone>Z|[+-]\\d{2}:\\d{2})?)?)?)?$',
);

const FORMAT = 'AAAA, AAAA-MM, AAAA-MM-JJ ou AAAA-MM-JJThh:mm[:ss][Z|±hh:mm], '
  + 'précédé de eq, ne, gt, lt, ge, le, sa ou eb';

const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** An instant from UTC fields (Date.UTC would map years 0–99 to 1900–1999). */
function utc(year: number, month: number, day: number, ms = 0): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() + ms);
}

/** One value: its prefix and its implicit range [lo, hi). */
export function parseDateValue(name: string, raw: string): Parsed<{ prefix: DatePrefix; range: Interval }> {
  const m = VALUE.exec(raw);
  if (!m?.groups) return fail(`${name} : valeur de date non reconnue (attendu ${FORMAT})`);
  const g = m.groups;
  const prefix = g.prefix ?? 'eq';
  if (!(DATE_PREFIXES as readonly string[]).includes(prefix)) {
    const supported = DATE_PREFIXES.join(', ');
    return fail(`${name} : le préfixe ${prefix.slice(0, 2)} n'est pas pris en charge (pris en charge : ${supported})`);
  }
  const year = Number(g.year);
  const month = g.month === undefined ? 1 : Number(g.month);
  const day = g.day === undefined ? 1 : Number(g.day);
  if (year < 1 || year > 9998) return fail(`${name} : l'année doit être comprise entre 0001 et 9998`);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return fail(`${name} : cette date n'existe pas`);
  const hour = Number(g.hour ?? 0);
  const minute = Number(g.minute ?? 0);
  const second = Number(g.second ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return fail(`${name} : cette heure n'existe pas`);
  let offset = 0;
  if (g.zone !== undefined && g.zone !== 'Z') {
    const oh = Number(g.zone.slice(1, 3));
    const om = Number(g.zone.slice(4, 6));
    if (oh > 14 || om > 59) return fail(`${name} : fuseau horaire invalide`);
    offset = (g.zone.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  // The implicit range: as wide as the last field given (R4 §3.1.1.4.2).
  let lo: Date;
  let hi: Date;
  if (g.month === undefined) {
    lo = utc(year, 1, 1);
    hi = utc(year + 1, 1, 1);
  } else if (g.day === undefined) {
    lo = utc(year, month, 1);
    hi = month === 12 ? utc(year + 1, 1, 1) : utc(year, month + 1, 1);
  } else if (g.hour === undefined) {
    lo = utc(year, month, day);
    hi = utc(year, month, day, 86_400_000);
  } else {
    const fraction = g.fraction ?? '';
    const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
    lo = utc(year, month, day, ((hour * 60 + minute) * 60 + second) * 1000 + ms - offset);
    // A minute, a second, or the last decimal given (down to the millisecond a Date keeps).
    const width = g.second === undefined ? 60_000 : 10 ** (3 - Math.min(3, fraction.length));
    hi = new Date(lo.getTime() + width);
  }
  return { ok: true, value: { prefix: prefix as DatePrefix, range: { from: lo, to: hi } } };
}

/** Repeated values, ANDed: one condition, or the first problem. */
export function dateCondition(name: string, values: readonly string[]): Parsed<DateCondition> {
  if (values.length > MAX_DATE_VALUES) return fail(`${name} : au plus ${MAX_DATE_VALUES} valeurs`);
  let from: Date | null = null;
  let to: Date | null = null;
  const excluded: Interval[] = [];
  const after = (d: Date) => {
    if (from === null || d > from) from = d;
  };
  const before = (d: Date) => {
    if (to === null || d < to) to = d;
  };
  for (const raw of values) {
    // A comma is an OR of values (R4 §3.1.1.3): a calendar asks for one range, not a union.
    if (raw.includes(',')) return fail(`${name} : des valeurs séparées par des virgules ne sont pas prises en charge`);
    const v = parseDateValue(name, raw);
    if (!v.ok) return v;
    const { prefix, range } = v.value;
    switch (prefix) {
      case 'eq':
        after(range.from);
        before(range.to);
        break;
      case 'ne':
        excluded.push(range);
        break;
      case 'ge':
        after(range.from);
        break;
      case 'gt':
      case 'sa':
        after(range.to);
        break;
      case 'le':
        before(range.to);
        break;
      case 'lt':
      case 'eb':
        before(range.from);
        break;
      default: {
        const never: never = prefix;
        return fail(`${name} : préfixe ${String(never)} inconnu`);
      }
    }
  }
  return { ok: true, value: { from, to, excluded } };
}

/** Whether an instant meets a condition (the same rule the database query and the exclusions apply). */
export function meets(c: DateCondition, t: Date): boolean {
  if (c.from !== null && t < c.from) return false;
  if (c.to !== null && t >= c.to) return false;
  return !c.excluded.some((x) => t >= x.from && t < x.to);
}
