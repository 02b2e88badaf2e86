/** The care window around an appointment (domain DEFAULT_CARE_WINDOW): 2 days before, 30 after. */
export const CARE_BEFORE = '2 days';
export const CARE_AFTER = '30 days';

/**
 * SQL that is true when practitioner `$prac` has a care relationship with the patient `patient`
 * (an SQL expression) at `$at` in practice `$practice`: a live treating-doctor declaration, or a
 * (not cancelled) appointment whose window covers the moment. Placeholders are given by number.
 */
export function careSql(patient: string, practice: string, prac: string, at: string): string {
  return `(EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.practice_id = ${practice} AND c.practitioner_id = ${prac} AND c.patient_id = ${patient}
                    AND c.starts_at <= ${at} AND (c.ends_at IS NULL OR c.ends_at >= ${at}))
       OR EXISTS (SELECT 1 FROM admin.appointments a WHERE a.practice_id = ${practice} AND a.practitioner_id = ${prac} AND a.patient_id = ${patient}
                    AND a.status <> 'cancelled' AND a.starts_at - interval '${CARE_BEFORE}' <= ${at} AND a.ends_at + interval '${CARE_AFTER}' >= ${at}))`;
}
