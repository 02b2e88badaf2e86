/** The care window around an appointment: 2 days before, 30 after (the one definition of care: careClassSql). */
export const CARE_BEFORE = '2 days';
export const CARE_AFTER = '30 days';
/** An appointment "schedules" its patient from 2 days before until 12 hours after it (preparation, the visit, the letter). */
export const SCHEDULED_AFTER = '12 hours';
/**
 * A visit (a walk-in): an appointment with the practitioner opens it from 12 hours before its start
 * to 12 hours after its end (a day at most, however long the booking says it lasts); a patient the
 * practitioner registered, for 12 hours after the registration.
 */
export const VISIT_BEFORE = '12 hours';
export const VISIT_AFTER = '12 hours';
export const VISIT_LONGEST = '1 day';
/** A newly approved account's probation (the detector's PROBATION_MS; migration 015 counts the same 14 days). */
export const PROBATION = '14 days';

/**
 * How a care relationship explains a practitioner's access to a patient, when one does:
 * - `scheduled`: an appointment that someone else booked (an assistant, the patient, a colleague,
 *   the practice's import) is near: from 2 days before to 12 hours after it. The calendar bounds
 *   these; the reading account cannot add to it.
 * - `standing`: a live treating-doctor declaration, or such an appointment within its care window
 *   (30 days after). Reads under standing care have a daily budget.
 * An appointment the reading account booked (or moved) itself is no care relationship at all (a
 * thief would book one for every patient he wants); nor is a *provisional* booking (made by an
 * account on probation, in a practice that has established staff: migration 015) for a reader who
 * is on probation too: two minted accounts do not vouch for each other. Such an appointment of
 * today, or a patient the account registered itself, opens a *visit* instead (`CareClass`).
 */
export type GenuineCare = 'scheduled' | 'standing';

/**
 * SQL whose value is the genuine care class ('scheduled', 'standing') or NULL, for practitioner `prac`
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

/**
 * What a practitioner may do with a patient's clinical notes: a genuine care class (the whole
 * record), or `visit` — the patient is registered by or booked with her today, whoever booked it,
 * and no genuine care explains him. A visit lets her write the visit's notes and read the notes she
 * wrote since it opened (`visitNoteSql`), nothing older and nothing by anyone else: a thief who
 * books strangers for today himself writes, and reads back what he wrote, and no more.
 */
export type CareClass = GenuineCare | 'visit';

/**
 * SQL whose value is when the practitioner's open visit with the patient began (timestamptz), or
 * NULL when none is open at `at`. A booking opens its visit when it was made, and not before 12
 * hours ahead of the appointment: a doctor's own appointment booked weeks ago for today does not
 * reopen the notes she wrote in those weeks. A registration opens it when it was made. `booked_at`
 * and `registered_at` are the server's clock at the write (migrations 006 and 016); moving an
 * appointment re-books it, so no booking of the past can be carried to today.
 */
export function visitOpenedSql(patient: string, practice: string, prac: string, at: string): string {
  return `(SELECT min(o.opened) FROM (
      SELECT GREATEST(v.booked_at, v.starts_at - interval '${VISIT_BEFORE}') AS opened FROM admin.appointments v
        WHERE v.practice_id = ${practice} AND v.practitioner_id = ${prac} AND v.patient_id = ${patient}
          AND v.status <> 'cancelled'
          AND v.starts_at - interval '${VISIT_BEFORE}' <= ${at}
          AND LEAST(v.ends_at, v.starts_at + interval '${VISIT_LONGEST}') + interval '${VISIT_AFTER}' >= ${at}
      UNION ALL
      SELECT r.registered_at FROM admin.patients r
        WHERE r.practice_id = ${practice} AND r.id = ${patient} AND r.registered_by = ${prac}
          AND r.registered_at <= ${at} AND r.registered_at + interval '${VISIT_AFTER}' >= ${at}) o)`;
}

/** SQL: the practitioner's care class for the patient's notes (`CareClass`: a visit too), or NULL. */
export function noteCareSql(patient: string, practice: string, prac: string, at: string): string {
  return `COALESCE(${careClassSql(patient, practice, prac, at)},
    CASE WHEN ${visitOpenedSql(patient, practice, prac, at)} IS NOT NULL THEN 'visit' END)`;
}

/**
 * SQL (boolean): the note `n` (an alias of clinical.notes) is one the practitioner wrote in her
 * open visit with its patient — written by her, since the visit opened. Notes carry their author
 * and the server's clock at the write; neither can be set by a client.
 */
export function visitNoteSql(n: string, practice: string, prac: string, at: string): string {
  return `(${n}.author_id = ${prac} AND ${n}.written_at >= ${visitOpenedSql(`${n}.patient_id`, practice, prac, at)})`;
}

/**
 * SQL: the practitioner's care for one note `n` (an alias of clinical.notes): the patient's genuine
 * care class, `visit` for a note of her open visit, or NULL (no other note is opened by a visit).
 */
export function noteCareForNoteSql(n: string, practice: string, prac: string, at: string): string {
  return `COALESCE(${careClassSql(`${n}.patient_id`, practice, prac, at)},
    CASE WHEN ${visitNoteSql(n, practice, prac, at)} THEN 'visit' END)`;
}
