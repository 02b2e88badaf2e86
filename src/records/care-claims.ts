import type { Decision, Principal } from '../access/index.js';
import type { DisclosedPatient } from '../detect/index.js';
import type { Tx } from '../store/index.js';
import type { CareClass } from '../store/care.js';
import { careClasses, onTheCalendar } from './facts.js';

/**
 * What explains each patient a request discloses, as the request's principal may claim it: the
 * one place the disclosure ledger and the audit event take the care class from (issue 12).
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

/** How care explains a practitioner's note access that the policy allowed: break-the-glass is none. */
export function noteCare(p: Principal, d: Decision, cls: CareClass | null): Care {
  if (p.role !== 'practitioner') return () => null;
  const care: DisclosedPatient['care'] = d.allow && d.purpose === 'break-the-glass' ? 'none' : (cls ?? 'none');
  return () => care;
}
