import type { Decision, Principal } from '../access/index.js';
import type { DisclosedPatient } from '../detect/index.js';
import type { Tx } from '../store/index.js';
import type { CareClass } from '../store/care.js';
import { careClasses, onTheCalendar } from './facts.js';

/**
 * What explains each patient a request discloses, as the request's principal may claim it: the
 * one place the disclosure ledger and the audit event take the care class from.
 */
export type Care = (id: string) => DisclosedPatient['care'];

/**
 * For a practitioner, how a care relationship explains each patient (scheduled, standing) or
 * not (none); for an assistant, whether the calendar expects it; null for other roles. One query.
 */
export async function careFor(tx: Tx, p: Principal, practiceId: string, patientIds: readonly string[], now: Date): Promise<Care> {
  // An assistant has no care relationships; the calendar explains the patients it expects.
  if (p.role === 'assistant') {
    const due = await onTheCalendar(tx, practiceId, p.userId, patientIds, now);
    return (id) => (due.has(id) ? 'scheduled' : null);
  }
  if (p.role !== 'practitioner') return () => null;
  const m = await careClasses(tx, practiceId, p.userId, patientIds, now);
  return (id) => m.get(id) ?? 'none';
}

/**
 * The care class as this request's client may claim it. From a client the account has not
 * approved (a thief logs in from his own), the calendar explains nothing: for a practitioner a
 * near appointment counts as standing care, under its daily budget (≤ 25 charts of one's own
 * patients, and ≤ 25 identities in all); for an assistant it counts like any patient, under its
 * identity budget (≤ 100; an outside attack took 148 calendar patients, then 105 more).
 */
export function claimed(p: Principal, care: Care): Care {
  if (p.clientApproved === true) return care;
  if (p.role === 'assistant') return (id) => (care(id) === 'scheduled' ? null : care(id));
  if (p.role !== 'practitioner') return care;
  return (id) => {
    const c = care(id);
    return c === 'scheduled' ? 'standing' : c;
  };
}

/** What the audit event records of care for these patients (the detector and incident scoping read it). */
export function careDetail(p: Principal, ids: readonly string[], care: Care): { unexplained?: string[]; standing?: string[]; scheduled?: string[] } {
  const c = claimed(p, care);
  if (p.role === 'assistant') {
    const scheduled = ids.filter((id) => c(id) === 'scheduled');
    return scheduled.length > 0 ? { scheduled } : {};
  }
  if (p.role !== 'practitioner') return {};
  const standing = ids.filter((id) => c(id) === 'standing');
  return { unexplained: ids.filter((id) => c(id) === 'none'), ...(standing.length > 0 ? { standing } : {}) };
}

/**
 * How care explains a practitioner's note access that the policy allowed: break-the-glass is none.
 * A visit's notes are the ones she wrote in it today: counted like the calendar's (which `claimed`
 * turns into standing care, under its budget, from a client the account has not approved).
 */
export function noteCare(p: Principal, d: Decision, cls: CareClass | null): Care {
  if (p.role !== 'practitioner') return () => null;
  const glass = d.allow && d.purpose === 'break-the-glass';
  const care: DisclosedPatient['care'] = glass ? 'none' : cls === 'visit' ? 'scheduled' : (cls ?? 'none');
  return () => care;
}

/**
 * How care explains a practitioner's whole-record read (`$everything`: the identity, and the notes
 * the decision `d` let in, if any): as a read of the identity is explained — a visit explains none,
 * so the identity of a patient she booked herself counts as it always did, the visit's notes with it.
 */
export function recordCare(p: Principal, d: Decision | null, cls: CareClass | null): Care {
  const genuine = cls === 'visit' ? null : cls;
  if (d !== null && d.allow) return noteCare(p, d, genuine);
  if (p.role !== 'practitioner') return () => null;
  return () => genuine ?? 'none';
}

/**
 * Which of the patient's notes an allowed note read may return: all of them (null) under genuine
 * care, break-the-glass or for another role (a patient's own record), or — when a visit is all
 * that let a practitioner in — only those she wrote in it (store/care.ts `visitNoteSql`). Anything
 * else a practitioner's read could be let in by is narrowed to the visit too: deny by default.
 */
export function visitScope(
  p: Principal, d: Decision | null, cls: CareClass | null, now: Date,
): { practitionerId: string; at: Date } | null {
  if (p.role !== 'practitioner') return null;
  if (d?.allow && d.purpose === 'break-the-glass') return null;
  if (cls === 'scheduled' || cls === 'standing') return null;
  return { practitionerId: p.userId, at: now };
}
