/**
 * How long a medical record must be kept (Code de la santé publique, art. R1112-7):
 * - 20 years from the last stay or consultation;
 * - at least until the patient's 28th birthday (a minor's record);
 * - when the patient dies less than 10 years after the last visit: 10 years from the death.
 * Litigation suspends these periods; that is decided by people, not computed here.
 */
export interface RetentionFacts {
  readonly birthDate: string; // YYYY-MM-DD
  /** Day of the last consultation, or null when none is recorded (then: from the record's creation). */
  readonly lastVisit: string | null;
  readonly createdOn: string;
  readonly deceasedDate: string | null;
}

function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y + years, m - 1, d));
  // 29 February + n years lands on 1 March in a common year: the period ends the day before.
  if (t.getUTCMonth() !== m - 1) t.setUTCDate(0);
  return t.toISOString().slice(0, 10);
}

/** The first day on which the record may be destroyed. */
export function retentionEnds(f: RetentionFacts): string {
  const last = f.lastVisit ?? f.createdOn;
  if (f.deceasedDate !== null && f.deceasedDate < addYears(last, 10)) return addYears(f.deceasedDate, 10);
  const twentyYears = addYears(last, 20);
  const twentyEighth = addYears(f.birthDate, 28);
  return twentyYears > twentyEighth ? twentyYears : twentyEighth;
}

export function retentionRunning(f: RetentionFacts, today: string): boolean {
  return today < retentionEnds(f);
}
