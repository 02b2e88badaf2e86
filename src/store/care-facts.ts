import { careClassSql, noteCareSql, type CareClass, type GenuineCare } from './care.js';
import type { Sql } from './driver.js';

/**
 * The care facts the records decide on, as queries (care.ts has their SQL): how a genuine care
 * relationship explains patients for a practitioner, her care class for one patient's notes, and
 * which patients the practice's calendar expects. The records add what is not the store's (a
 * break-the-glass grant: src/records/facts.ts).
 */
/**
 * How a genuine care relationship explains each of these patients for a practitioner now (absent:
 * none). A visit (a walk-in) is not among them: it explains only the notes written in it. One query.
 */
export async function careClasses(
  sql: Sql, practiceId: string, practitionerId: string, patientIds: readonly string[], now: Date,
): Promise<Map<string, GenuineCare>> {
  if (patientIds.length === 0) return new Map();
  const r = await sql.query<{ id: string; care: GenuineCare | null }>(
    `SELECT p.id, ${careClassSql('p.id', '$1', '$2', '$4::timestamptz')} AS care FROM unnest($3::uuid[]) AS p(id)`,
    [practiceId, practitionerId, [...new Set(patientIds)], now.toISOString()],
  );
  return new Map(r.rows.filter((x) => x.care !== null).map((x) => [x.id, x.care as GenuineCare]));
}

/** The practitioner's care class for a patient's notes (care.ts `noteCareSql`: genuine care or a visit), or null. */
export async function noteCareClass(
  sql: Sql, practiceId: string, practitionerId: string, patientId: string, now: Date,
): Promise<CareClass | null> {
  const r = await sql.query<{ care: CareClass | null }>(
    `SELECT ${noteCareSql('$3::uuid', '$1', '$2', '$4::timestamptz')} AS care`,
    [practiceId, practitionerId, patientId, now.toISOString()],
  );
  return r.rows[0]?.care ?? null;
}

/**
 * Of these patients, those the practice's calendar expects: an appointment (not cancelled, with
 * any practitioner) from 12 hours ago to 3 days ahead, booked by someone else or at least 12 hours
 * ago. For an assistant, whose work is the calendar, reading such a patient's identity is the day's
 * work (checking in, confirming).
 */
export async function onTheCalendar(
  sql: Sql, practiceId: string, reader: string, patientIds: readonly string[], now: Date,
): Promise<Set<string>> {
  if (patientIds.length === 0) return new Set();
  // An appointment the reader booked counts once it is 12 hours old: booking a hundred patients
  // to read their identities at once explains nothing (an attack found it), and bulk booking
  // raises its alert in the meantime.
  const r = await sql.query<{ patient_id: string }>(
    `SELECT DISTINCT patient_id FROM admin.appointments
      WHERE practice_id = $1 AND patient_id = ANY($2::uuid[]) AND status <> 'cancelled'
        AND starts_at >= $3::timestamptz - interval '12 hours' AND starts_at <= $3::timestamptz + interval '3 days'
        AND (booked_by IS NULL OR booked_by <> $4 OR booked_at <= $3::timestamptz - interval '12 hours')`,
    [practiceId, [...new Set(patientIds)], now.toISOString(), reader],
  );
  return new Set(r.rows.map((x) => x.patient_id));
}
