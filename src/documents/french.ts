/** How a French prescription writes dates and quantities. */

const MONTHS = [
  'janvier', 'février', 'mars', 'avril', 'mai', 'juin',
  'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre',
] as const;

/** A calendar day, without a time or a time zone. */
export interface CalendarDay {
  readonly year: number;
  readonly month: number; // 1–12
  readonly day: number;
}

// The prescription is dated where the practice is: an instant late on 31 December in UTC is
// already 1 January in Paris. Overseas practices would need their own zone passed in.
const PARIS_DAY = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit',
});

/** The day an instant falls on in metropolitan France. */
export function parisDay(instant: Date): CalendarDay {
  const parts = Object.fromEntries(PARIS_DAY.formatToParts(instant).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day) };
}

/** A `YYYY-MM-DD` string as a day, or null when it is not a real calendar day. */
export function parseDay(value: string): CalendarDay | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  return { year, month, day };
}

export function compareDays(a: CalendarDay, b: CalendarDay): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** "7 décembre 2026"; the first of the month is written "1er", as French usage has it. */
export function longDate(d: CalendarDay): string {
  return `${d.day === 1 ? '1er' : String(d.day)} ${MONTHS[d.month - 1]} ${d.year}`;
}

/** "12/03/1961". */
export function shortDate(d: CalendarDay): string {
  return `${String(d.day).padStart(2, '0')}/${String(d.month).padStart(2, '0')}/${d.year}`;
}

/** "72" or "3,45": a decimal comma, at most two decimals, no trailing zeros. */
export function decimal(value: number): string {
  return String(Math.round(value * 100) / 100).replace('.', ',');
}
