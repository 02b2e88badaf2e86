import { CARE_AFTER, CARE_BEFORE } from '../store/care.js';
import type { Sql } from '../store/index.js';

/**
 * Whether a practitioner has a care relationship with a patient now: a live treating-doctor
 * declaration, or a (not cancelled) appointment whose window covers now.
 */
export async function hasCareRelationship(sql: Sql, practiceId: string, practitionerId: string, patientId: string, now: Date): Promise<boolean> {
  const r = await sql.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM admin.care_relationships WHERE practice_id = $1 AND practitioner_id = $2 AND patient_id = $3
                      AND starts_at <= $4 AND (ends_at IS NULL OR ends_at >= $4))
         OR EXISTS (SELECT 1 FROM admin.appointments WHERE practice_id = $1 AND practitioner_id = $2 AND patient_id = $3
                      AND status <> 'cancelled' AND starts_at - interval '${CARE_BEFORE}' <= $4 AND ends_at + interval '${CARE_AFTER}' >= $4) AS ok`,
    [practiceId, practitionerId, patientId, now.toISOString()],
  );
  return r.rows[0]?.ok === true;
}

/** Of these patients, those a practitioner has a care relationship with now (one query). */
export async function withCareRelationship(sql: Sql, practiceId: string, practitionerId: string, patientIds: readonly string[], now: Date): Promise<Set<string>> {
  if (patientIds.length === 0) return new Set();
  const r = await sql.query<{ patient_id: string }>(
    `SELECT patient_id FROM admin.care_relationships WHERE practice_id = $1 AND practitioner_id = $2 AND patient_id = ANY($3::uuid[])
        AND starts_at <= $4 AND (ends_at IS NULL OR ends_at >= $4)
     UNION
     SELECT patient_id FROM admin.appointments WHERE practice_id = $1 AND practitioner_id = $2 AND patient_id = ANY($3::uuid[])
        AND status <> 'cancelled' AND starts_at - interval '${CARE_BEFORE}' <= $4 AND ends_at + interval '${CARE_AFTER}' >= $4`,
    [practiceId, practitionerId, patientIds, now.toISOString()],
  );
  return new Set(r.rows.map((x) => x.patient_id));
}
