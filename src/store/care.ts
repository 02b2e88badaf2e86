/** The care window around an appointment (domain DEFAULT_CARE_WINDOW): 2 days before, 30 after. */
export const CARE_BEFORE = '2 days';
export const CARE_AFTER = '30 days';
/** An appointment "schedules" its patient from 2 days before until 12 hours after it (preparation, the visit, the letter). */
export const SCHEDULED_AFTER = '12 hours';
/** A newly approved account's probation (the detector's PROBATION_MS; migration 015 counts the same 14 days). */
export const PROBATION = '14 days';

/**
 * How a care relationship explains a practitioner's access to a patient, when one does:
 * - `scheduled`: an appointment that someone else booked (an assistant, the patient, a colleague,
 *   the practice's import) is near: from 2 days before to 12 hours after it. The calendar bounds
 *   these; the reading account cannot add to it.
 * - `standing`: a live treating-doctor declaration, or such an appointment within its care window
 *   (30 days after). Reads under standing care have a daily budget.
 * An appointment the reading account booked (or moved) itself is no care relationship at all
 * (issue 12: a thief would book one for every patient he wants): a walk-in seen by a doctor who
 * books it himself is opened through break-the-glass (a reason, a fresh second factor, review).
 * Nor is a *provisional* booking (made by an account on probation, in a practice that has
 * established staff: migration 015) for a reader who is on probation too: two minted accounts do
 * not vouch for each other.
 */
export type CareClass = 'scheduled' | 'standing';

/**
 * SQL whose value is the care class ('scheduled', 'standing') or NULL, for practitioner `prac`
 * and the patient `patient` (an SQL expression) at `at` in practice `practice`. Placeholders are
 * given by number.
 */
export function careClassSql(patient: string, practice: string, prac: string, at: string): string {
  // Two index probes, as the boolean form had: one aggregate over the practitioner's appointments
  // with the patient that someone else booked (scheduled if one is near, standing if one is in its
  // 30-day window), then the treating-doctor declaration only when no appointment answered.
  const appt = `SELECT CASE
        WHEN bool_or(a.starts_at - interval '${CARE_BEFORE}' <= ${at} AND a.ends_at + interval '${SCHEDULED_AFTER}' >= ${at}) THEN 'scheduled'
        WHEN bool_or(true) THEN 'standing' END
      FROM admin.appointments a WHERE a.practice_id = ${practice} AND a.practitioner_id = ${prac} AND a.patient_id = ${patient} AND a.status <> 'cancelled'
        AND (a.booked_by IS NULL OR a.booked_by <> ${prac})
        AND (NOT a.booked_provisional OR NOT EXISTS (SELECT 1 FROM admin.users r WHERE r.id = ${prac} AND r.approved_at > ${at} - interval '${PROBATION}'))
        AND a.starts_at - interval '${CARE_BEFORE}' <= ${at} AND a.ends_at + interval '${CARE_AFTER}' >= ${at}`;
  return `COALESCE((${appt}),
    CASE WHEN EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.practice_id = ${practice} AND c.practitioner_id = ${prac} AND c.patient_id = ${patient}
                        AND c.starts_at <= ${at} AND (c.ends_at IS NULL OR c.ends_at >= ${at})) THEN 'standing' END)`;
}
