import type { PracticeActivity } from './engine.js';
import { DAY, HOUR, MINUTE, WEEK, type AccountFeatures, type DistinctWindow } from './features.js';
import type { Finding, Response, Thresholds } from './rules.js';

/**
 * The disclosure ledger: before a response leaves, what it would disclose is checked against the
 * account's and the practice's budgets, and counted at once. The check and the count are one
 * synchronous step (no await between them), so parallel requests of one account, or of many
 * sessions of it, cannot all pass a budget that only one of them fits: the later ones see the
 * earlier ones' patients. A list is cut to what the budgets leave; a single read that does not fit
 * is refused.
 *
 * The counts are the detector's own windows (AccountFeatures, PracticeActivity): the audit events
 * committed afterwards add the same keys at the same instant, which changes nothing, and feed the
 * other instances and the replay at start.
 */

/** One patient a response would disclose, and how. */
export interface DisclosedPatient {
  readonly patientId: string;
  /**
   * What explains it for a practitioner: an appointment near (`scheduled`), a standing care
   * relationship only (`standing`), nothing (`none`). Null for roles without care relationships.
   */
  readonly care: 'scheduled' | 'standing' | 'none' | null;
  /** The full identity (NIR, address, contacts): a read of this one patient. */
  readonly identity: boolean;
  /** Listed by a search: a broad listing of the practice, or found by a specific criterion. */
  readonly listed: 'broad' | 'found' | null;
  /** Clinical notes of this patient in the response. */
  readonly notes: readonly string[];
  /**
   * Clinical resources of this patient in the response (problems, treatments, results…: the
   * registry's types). They open the chart as notes do, under the same patient budgets: one ledger
   * for every type, so a sweep of problem lists is cut where a sweep of notes is.
   */
  readonly resources?: readonly string[];
  /**
   * The patient's chart was searched (a clinical type, or a resource's history), whatever it found:
   * an empty answer discloses too ("no HIV code here"), so the search opens the chart like a page
   * of results — a thief testing patients for one code is cut where one reading their charts is.
   */
  readonly searched?: boolean;
  /** Whether any of those notes or resources carries a sensitivity label. */
  readonly sensitive: boolean;
  /**
   * Named by an appointment listing outside the account's near calendar: by the account's own
   * calendar further away (`own`), or by other doctors' calendars (`others`). Absent: not named by
   * such a listing (a read, a chart, or the near calendar, which is the day's work).
   */
  readonly calendarListing?: 'own' | 'others';
}

/** What the ledger says: how many of the patients (in order) may leave, and the budget that stopped the rest. */
export interface Admission {
  readonly admitted: number;
  readonly stop: Finding | null;
  /** When the stopping budget's window frees a place (its oldest entry leaves it), in ms from now. */
  readonly retryAfterMs?: number;
  /** The stop refuses this request and holds nobody (REFUSE_ONLY, from a client the account approved). */
  readonly refuseOnly?: boolean;
  /**
   * Set when the budget that stopped the rest is the practice's, shared by its accounts: the request
   * is refused, but its account is not held for what the others spent (the detector names them).
   * When enough of the window has passed for this response's first patient to fit, in ms from now.
   */
  readonly shared?: { readonly retryAfterMs: number } | undefined;
}

/**
 * Budgets whose stop, from a client the account approved, refuses the request and nothing more: the
 * account is not throttled or held (its charts stay open). Patients found by name searches in an
 * hour: an honest doctor's fourth page of homonyms waits for the hour to free a place; a sweep meets
 * the daily budget, which suspends. Identities listed by broad searches in ten minutes: a two-letter
 * name in the web app lists 20, the list is cut at 15 and the next waits (a sweep meets the daily
 * patients budget, which suspends). From a client the account has not approved (a thief's own) the
 * stop suspends as before.
 */
export const REFUSE_ONLY: ReadonlySet<string> = new Set(['search-finds', 'search-breadth']);

/** The practice's budgets (shared by its accounts), by rule: the window they count in, per account. */
export const SHARED_BUDGETS: ReadonlyMap<string, { window: number; of(p: PracticeActivity): DistinctWindow }> = new Map([
  ['practice-no-care-day', { window: DAY, of: (p: PracticeActivity) => p.noCarePatients }],
  ['practice-no-care-notes-day', { window: DAY, of: (p: PracticeActivity) => p.noCareNotes }],
  ['practice-listed', { window: 10 * MINUTE, of: (p: PracticeActivity) => p.listed }],
  ['practice-probation-calendar', { window: DAY, of: (p: PracticeActivity) => p.probationScheduled }],
  ['practice-probation-pool', { window: DAY, of: (p: PracticeActivity) => p.probationPatients }],
]);

interface Budget {
  readonly rule: string;
  /** Only for accounts on probation (newly approved). */
  readonly probation?: true;
  /** Only for accounts on probation in a practice with established staff. */
  readonly strict?: true;
  readonly response: Response;
  readonly window: number;
  readonly label: string;
  /** The keys this patient adds to the budget's window (patient ids, or note ids). */
  keys(c: DisclosedPatient): readonly string[];
  win(f: AccountFeatures, p: PracticeActivity | null): DistinctWindow | null;
  limit(t: Thresholds): number;
  reason(limit: number): string;
}

const own = (c: DisclosedPatient) => [c.patientId];
const none: readonly string[] = [];
const when = (ok: boolean, c: DisclosedPatient) => (ok ? own(c) : none);
/** Touches the count of distinct patients: a read, a chart, a broad listing (a patient found by name is its own budget). */
const charted = (c: DisclosedPatient) => c.notes.length > 0 || (c.resources?.length ?? 0) > 0 || c.searched === true;
const touches = (c: DisclosedPatient) => c.identity || charted(c) || c.listed === 'broad';
/**
 * Opens a chart: an identity or notes. The care budgets count these: a listing carries picker fields
 * only and has budgets of its own (a doctor's two-letter search listed patients of colleagues, and
 * counted them as patients without care).
 */
const opens = (c: DisclosedPatient) => c.identity || charted(c);

const BUDGETS: readonly Budget[] = [
  // The hourly pace counts what the calendar does not explain: a doctor (or an assistant) going
  // through the day's and tomorrow's list in an hour is the work, not a sweep.
  { rule: 'patients-hour', response: 'throttle', window: HOUR, label: '1 h', keys: (c) => when(touches(c) && c.care !== 'scheduled', c), win: (f) => f.unscheduled, limit: (t) => t.patientsPerHour, reason: (l) => `reached its budget of ${l} distinct patients in an hour outside the calendar` },
  { rule: 'patients-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(touches(c), c), win: (f) => f.patients, limit: (t) => t.patientsPerDay, reason: (l) => `reached its budget of ${l} distinct patients in a day` },
  { rule: 'patients-week', response: 'lock', window: WEEK, label: '7 days', keys: (c) => when(touches(c), c), win: (f) => f.patients, limit: (t) => t.patientsPerWeek, reason: (l) => `reached its budget of ${l} distinct patients in a week` },
  { rule: 'no-care-hour', response: 'suspend', window: HOUR, label: '1 h', keys: (c) => when(c.care === 'none' && opens(c), c), win: (f) => f.noCarePatients, limit: (t) => t.noCarePatientsPerHour, reason: (l) => `reached its budget of ${l} patients without a care relationship in an hour` },
  { rule: 'no-care-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(c.care === 'none' && opens(c), c), win: (f) => f.noCarePatients, limit: (t) => t.noCarePatientsPerDay, reason: (l) => `reached its budget of ${l} patients without a care relationship in a day` },
  { rule: 'standing-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(c.care === 'standing' && opens(c), c), win: (f) => f.standing, limit: (t) => t.standingPatientsPerDay, reason: (l) => `reached its budget of ${l} patients in a day that no near appointment explains` },
  { rule: 'identities-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(c.identity && c.care !== 'scheduled', c), win: (f) => f.identities, limit: (t) => t.identitiesPerDay, reason: (l) => `reached its budget of ${l} full identities outside the calendar in a day` },
  { rule: 'identities-week', response: 'suspend', window: WEEK, label: '7 days', keys: (c) => when(c.identity && c.care !== 'scheduled', c), win: (f) => f.identities, limit: (t) => t.identitiesPerWeek, reason: (l) => `reached its budget of ${l} full identities outside the calendar in a week` },
  { rule: 'no-care-week', response: 'suspend', window: WEEK, label: '7 days', keys: (c) => when(c.care === 'none' && opens(c), c), win: (f) => f.noCarePatients, limit: (t) => t.noCarePatientsPerWeek, reason: (l) => `reached its budget of ${l} patients without a care relationship in a week` },
  { rule: 'no-care-notes-week', response: 'suspend', window: WEEK, label: '7 days', keys: (c) => (c.care === 'none' ? c.notes : none), win: (f) => f.noCareNotes, limit: (t) => t.noCareNotesPerWeek, reason: (l) => `reached its budget of ${l} clinical notes without a care relationship in a week` },
  { rule: 'no-care-notes-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => (c.care === 'none' ? c.notes : none), win: (f) => f.noCareNotes, limit: (t) => t.noCareNotesPerDay, reason: (l) => `reached its budget of ${l} clinical notes without a care relationship in a day` },
  // Sensitive charts the calendar does not explain: a quarter of a GP's patients carry a label
  // (depression, the pill, a dependence), and the day's consultations are the work, not a sweep.
  { rule: 'sensitive', response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(c.sensitive && c.care !== 'scheduled', c), win: (f) => f.sensitive, limit: (t) => t.sensitivePerDay, reason: (l) => `reached its budget of ${l} patients with sensitive notes in a day` },
  { rule: 'search-breadth', response: 'suspend', window: 10 * MINUTE, label: '10 min', keys: (c) => when(c.listed === 'broad', c), win: (f) => f.disclosed, limit: (t) => t.disclosedPer10Min, reason: (l) => `reached its budget of ${l} identities listed by broad searches in ten minutes` },
  { rule: 'search-finds-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(c.listed === 'found', c), win: (f) => f.found, limit: (t) => t.foundPerDay, reason: (l) => `reached its budget of ${l} patients found by searches in a day` },
  // Appointment listings name their patients: beyond the near calendar, a listing of who is a
  // patient. Counted per distinct patient, own calendar and others' together, and others' apart.
  {
    rule: 'calendar-day', response: 'suspend', window: DAY, label: '24 h',
    keys: (c) => when(c.calendarListing !== undefined, c), win: (f) => f.calendarListed,
    limit: (t) => t.calendarListedPerDay,
    reason: (l) => `reached its budget of ${l} patients named by calendar listings beyond its near calendar in a day`,
  },
  {
    rule: 'calendar-week', response: 'suspend', window: WEEK, label: '7 days',
    keys: (c) => when(c.calendarListing !== undefined, c), win: (f) => f.calendarListed,
    limit: (t) => t.calendarListedPerWeek,
    reason: (l) => `reached its budget of ${l} patients named by calendar listings beyond its near calendar in a week`,
  },
  {
    rule: 'calendar-others-day', response: 'suspend', window: DAY, label: '24 h',
    keys: (c) => when(c.calendarListing === 'others', c), win: (f) => f.calendarOthers,
    limit: (t) => t.calendarOthersPerDay,
    reason: (l) => `reached its budget of ${l} patients named by other calendars than its own in a day`,
  },
  {
    rule: 'calendar-others-week', response: 'suspend', window: WEEK, label: '7 days',
    keys: (c) => when(c.calendarListing === 'others', c), win: (f) => f.calendarOthers,
    limit: (t) => t.calendarOthersPerWeek,
    reason: (l) => `reached its budget of ${l} patients named by other calendars than its own in a week`,
  },
  { rule: 'search-finds', response: 'throttle', window: HOUR, label: '1 h', keys: (c) => when(c.listed === 'found', c), win: (f) => f.found, limit: (t) => t.foundPerHour, reason: (l) => `reached its budget of ${l} patients found by searches in an hour` },
  // The practice's budgets: accounts added to a practice do not add to what it can lose.
  { rule: 'practice-no-care-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(c.care === 'none' && opens(c), c), win: (_f, p) => p?.noCarePatients ?? null, limit: (t) => t.practiceNoCarePatientsPerDay, reason: (l) => `the practice's accounts together reached their budget of ${l} patients without a care relationship in a day` },
  { rule: 'practice-no-care-notes-day', response: 'suspend', window: DAY, label: '24 h', keys: (c) => (c.care === 'none' ? c.notes : none), win: (_f, p) => p?.noCareNotes ?? null, limit: (t) => t.practiceNoCareNotesPerDay, reason: (l) => `the practice's accounts together reached their budget of ${l} clinical notes without a care relationship in a day` },
  { rule: 'practice-listed', response: 'suspend', window: 10 * MINUTE, label: '10 min', keys: (c) => when(c.listed === 'broad', c), win: (_f, p) => p?.listed ?? null, limit: (t) => t.practiceListedPer10Min, reason: (l) => `the practice's accounts together reached their budget of ${l} identities listed by broad searches in ten minutes` },
  // Accounts on probation share one pool per practice: however many are minted, together they
  // disclose what one newly approved account may (minted accounts add nothing).
  // …and, in a practice with established staff, the patients the calendar explains to them share
  // one probation day: doctors minted and fed bookings by another (stolen) account do not add up.
  { rule: 'practice-probation-calendar', probation: true, strict: true, response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(touches(c) && c.care === 'scheduled', c), win: (_f, p) => p?.probationScheduled ?? null, limit: (t) => t.probationCalendarPatientsPerDay, reason: (l) => `the practice's accounts on probation together reached their budget of ${l} patients of their calendar in a day` },
  { rule: 'practice-probation-pool', probation: true, response: 'suspend', window: DAY, label: '24 h', keys: (c) => when(touches(c) && c.care !== 'scheduled', c), win: (_f, p) => p?.probationPatients ?? null, limit: (t) => t.probationPoolPatientsPerDay, reason: (l) => `the practice's accounts on probation together reached their budget of ${l} patients in a day` },
];

/**
 * Checks patients in order against every budget, without changing anything: the first patient
 * that would take a budget past its limit stops the admission. Patients already counted in a
 * window (seen again) cost nothing there: re-reading a chart is not a new disclosure.
 */
export function admissible(f: AccountFeatures, practice: PracticeActivity | null, t: Thresholds, practiceT: Thresholds, patients: readonly DisclosedPatient[], now: number, probation = false, strict = false): Admission {
  // What the patients before this one in the response add, per budget (made on first use: most
  // responses disclose one patient, and need none).
  const pending: (Set<string> | undefined)[] = [];
  for (let i = 0; i < patients.length; i++) {
    const c = patients[i]!;
    for (let b = 0; b < BUDGETS.length; b++) {
      const budget = BUDGETS[b]!;
      if ((budget.probation && !probation) || (budget.strict && !strict)) continue;
      const keys = budget.keys(c);
      if (keys.length === 0) continue;
      const win = budget.win(f, practice);
      if (win === null) continue;
      const limit = budget.limit(budget.rule.startsWith('practice-') ? practiceT : t);
      const added = pending[b];
      const before = added?.size ?? 0;
      let fresh = 0;
      for (const k of keys) if (!added?.has(k) && !win.has(k, budget.window, now)) fresh++;
      if (fresh > 0 && win.count(budget.window, now) + before + fresh > limit) {
        const stop: Finding = {
          rule: budget.rule, response: budget.response, reason: budget.reason(limit),
          evidence: { count: win.count(budget.window, now) + before, window: budget.label, examples: [] },
        };
        // The window frees a place when its oldest sighting leaves it.
        const retryAfterMs = Math.max(1000, (win.oldest(budget.window, now) ?? now) + budget.window - now + 1);
        if (!SHARED_BUDGETS.has(budget.rule)) return { admitted: i, stop, retryAfterMs };
        return { admitted: i, stop, retryAfterMs, shared: { retryAfterMs } };
      }
    }
    if (i === patients.length - 1) break;
    for (let b = 0; b < BUDGETS.length; b++) {
      const budget = BUDGETS[b]!;
      const keys = budget.keys(c);
      if (keys.length === 0) continue;
      const win = budget.win(f, practice);
      const added = pending[b] ?? (pending[b] = new Set<string>());
      // What the window counts already is not counted again for the patients after it (a page that
      // starts with patients seen this hour was cut too early).
      for (const k of keys) if (win === null || !win.has(k, budget.window, now)) added.add(k);
    }
  }
  return { admitted: patients.length, stop: null };
}

/** Counts admitted patients in the windows of the account and of its practice, at once. */
export function count(f: AccountFeatures, practice: PracticeActivity | null, patients: readonly DisclosedPatient[], now: number, probation = false, strict = false, userId = ''): void {
  for (const c of patients) {
    if (touches(c)) f.daily.add(now, f.patients.add(c.patientId, now));
    if (practice && touches(c)) practice.daily.add(now, practice.patients.add(c.patientId, now));
    for (const b of BUDGETS) {
      if ((b.probation && !probation) || (b.strict && !strict)) continue;
      const win = b.win(f, practice);
      // The patients windows are counted above, with the daily history.
      if (win === null || win === f.patients) continue;
      // The practice's shared windows remember who brought each key (the alert names them).
      if (practice !== null && SHARED_BUDGETS.has(b.rule)) for (const k of b.keys(c)) practice.credit(win, b.window, k, userId, now);
      else for (const k of b.keys(c)) win.add(k, now);
    }
  }
}
