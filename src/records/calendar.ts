import type { Principal } from '../access/index.js';
import type { Appointment } from '../domain/index.js';
import type { DisclosedPatient } from '../detect/index.js';

/**
 * The near calendar: from the start of the day (UTC) 3 days back to 8 days ahead. What a doctor
 * prepares, sees and follows up this week, and the week ahead an assistant books into. The
 * patients it names are the day's work; beyond it, a calendar is a listing of who is a patient.
 */
export const NEAR_BEFORE_DAYS = 3;
export const NEAR_AFTER_DAYS = 8;
const DAY = 86_400_000;

export function nearCalendar(now: Date): { from: Date; to: Date } {
  const day = Math.floor(now.getTime() / DAY) * DAY;
  return { from: new Date(day - NEAR_BEFORE_DAYS * DAY), to: new Date(day + NEAR_AFTER_DAYS * DAY) };
}

type Listing = NonNullable<DisclosedPatient['calendarListing']>;

/**
 * How an appointment names its patient to this principal: not counted (the near calendar that is
 * the account's work: its own for a practitioner, every doctor's for an assistant, who runs them
 * all), by the account's own calendar further away, or by other doctors' calendars.
 */
export function listingOf(p: Principal, a: Appointment, near: { from: Date; to: Date }): Listing | null {
  const isNear = a.start >= near.from && a.start < near.to;
  if (p.role === 'practitioner') {
    if (a.practitionerId !== p.userId) return 'others';
    return isNear ? null : 'own';
  }
  if (p.role === 'assistant') return isNear ? null : 'others';
  // A patient's own appointments are not budgeted (the ledger skips them); other roles list none.
  return null;
}

/**
 * The patients a page of appointments names, in order of first appearance, each with how it is
 * counted: a patient any appointment of the page explains (near) is not counted, whatever else
 * names it; otherwise the account's own calendar before others'.
 */
export function namedBy(
  p: Principal, appts: readonly Appointment[], now: Date,
): { patientId: string; listing: Listing | null }[] {
  const near = nearCalendar(now);
  const out = new Map<string, Listing | null>();
  for (const a of appts) {
    const l = listingOf(p, a, near);
    const prev = out.get(a.patientId);
    if (prev === undefined) out.set(a.patientId, l);
    else if (prev !== null && (l === null || l === 'own')) out.set(a.patientId, l);
  }
  return [...out].map(([patientId, listing]) => ({ patientId, listing }));
}
