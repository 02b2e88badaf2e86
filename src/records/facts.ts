import { hasBreakGlass } from '../access/index.js';
import { careClasses, noteCareClass } from '../store/care-facts.js';
import type { CareClass } from '../store/care.js';
import type { Sql } from '../store/index.js';

export { careClasses, onTheCalendar } from '../store/care-facts.js';

/**
 * What a practitioner may do with a patient's notes now (store/care.ts): a genuine care class, a
 * visit (write it, read what she wrote in it), or null. With a break-the-glass grant a visit gives
 * way (null): the grant, not the visit, then decides, and opens the whole record under its review.
 */
export async function noteCareOf(
  sql: Sql, practiceId: string, practitionerId: string, patientId: string, now: Date,
): Promise<CareClass | null> {
  const care = await noteCareClass(sql, practiceId, practitionerId, patientId, now);
  if (care === 'visit' && (await hasBreakGlass(sql, practiceId, practitionerId, patientId, now))) return null;
  return care;
}

/** Whether a practitioner has a genuine care relationship (of either class) with a patient now. */
export async function hasCareRelationship(
  sql: Sql, practiceId: string, practitionerId: string, patientId: string, now: Date,
): Promise<boolean> {
  return (await careClasses(sql, practiceId, practitionerId, [patientId], now)).has(patientId);
}
