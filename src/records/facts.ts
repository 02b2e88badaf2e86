import { careClassSql, type CareClass } from '../store/care.js';
import type { Sql } from '../store/index.js';

/** How a care relationship explains each of these patients for a practitioner now (absent: none). One query. */
export async function careClasses(sql: Sql, practiceId: string, practitionerId: string, patientIds: readonly string[], now: Date): Promise<Map<string, CareClass>> {
  if (patientIds.length === 0) return new Map();
  const r = await sql.query<{ id: string; care: CareClass | null }>(
    `SELECT p.id, ${careClassSql('p.id', '$1', '$2', '$4::timestamptz')} AS care FROM unnest($3::uuid[]) AS p(id)`,
    [practiceId, practitionerId, [...new Set(patientIds)], now.toISOString()],
  );
  return new Map(r.rows.filter((x) => x.care !== null).map((x) => [x.id, x.care as CareClass]));
}

/** Whether a practitioner has a care relationship (of either class) with a patient now. */
export async function hasCareRelationship(sql: Sql, practiceId: string, practitionerId: string, patientId: string, now: Date): Promise<boolean> {
  return (await careClasses(sql, practiceId, practitionerId, [patientId], now)).has(patientId);
}

/** Of these patients, those a practitioner has a care relationship with now (one query). */
export async function withCareRelationship(sql: Sql, practiceId: string, practitionerId: string, patientIds: readonly string[], now: Date): Promise<Set<string>> {
  return new Set((await careClasses(sql, practiceId, practitionerId, patientIds, now)).keys());
}
