import { AccountFeatures, DAY, HOUR, MINUTE, WEEK } from './features.js';

/**
 * The response ladder, mildest first. Each rule names the rung its shape deserves; an account is
 * at the highest rung any rule puts it on.
 */
export const LADDER = ['allow', 'alert', 'step-up', 'throttle', 'suspend', 'lock'] as const;
export type Response = (typeof LADDER)[number];

export function worse(a: Response, b: Response): Response {
  return LADDER.indexOf(a) >= LADDER.indexOf(b) ? a : b;
}

/** A rule's finding: what it saw, in one line, with the evidence. */
export interface Finding {
  readonly rule: string;
  readonly response: Response;
  readonly reason: string;
  readonly evidence: { readonly count: number; readonly window: string; readonly examples: readonly string[] };
}

/** Thresholds; a baseline (issue's peer groups) would set them per account. */
export interface Thresholds {
  readonly patientsPerHour: number;
  readonly patientsPerDay: number;
  readonly patientsPerWeek: number;
  readonly disclosedPer10Min: number;
  readonly noCarePerHour: number;
  readonly sensitivePerDay: number;
  readonly offHoursPerDay: number;
  readonly addressesPerDay: number;
  /** Patients without a care relationship a practitioner may touch in an hour / a day. */
  readonly noCarePatientsPerHour: number;
  readonly noCarePatientsPerDay: number;
  /** Searches per hour (a GP makes a handful; an alphabetical sweep makes one a second). */
  readonly searchesPerHour: number;
  /**
   * Patients listed by specific searches (name, birth date, NIR…: picker fields only) per hour,
   * from a client the account has approved: the web app's pages of 20 homonyms for a three-letter
   * name, a few times an hour.
   */
  readonly foundPerHour: number;
  /** The same over a day: specific searches at the hourly pace all day would list the practice. */
  readonly foundPerDay: number;
  /**
   * The same two from a client the account has not approved (a thief logs in from his own): an
   * alphabetical sweep lists ≤ 25 patients before the account is suspended.
   */
  readonly unapprovedFoundPerHour: number;
  readonly unapprovedFoundPerDay: number;
  /** Patients and appointments an account creates or moves in an hour. */
  readonly createsPerHour: number;
  /** Volume budgets multiply by this for assistants, who book for every practitioner. */
  readonly assistantFactor: number;
  /** Client fingerprints (user agents) an account uses in a day. */
  readonly devicesPerDay: number;
  /** Sessions of one account active within an hour. */
  readonly sessionsPerHour: number;
  /** The same budgets over a week: a thief who spreads over days meets them (regression: every budget was daily). */
  readonly noCarePatientsPerWeek: number;
  readonly noCareNotesPerWeek: number;
  readonly identitiesPerWeek: number;
  /**
   * Clinical resources (problems, allergies, prescriptions, results…, notes) an account writes in
   * an hour: an alert past the first, a suspension past the second. A consultation writes about ten
   * (the visit, five vitals, three lines, a note); a busy hour of six visits sixty.
   */
  readonly chartWritesPerHour: number;
  readonly chartWritesPerHourSuspend: number;
  /** Patients and appointments created or moved in an hour past which the account is suspended (twice the alert). */
  readonly createsPerHourSuspend: number;
  /** …and in a day (assistants ×4): bookings spread over hours to make a calendar to read. */
  readonly createsPerDaySuspend: number;
  /** Patients a practitioner opens under standing care only (no appointment near) in a day. */
  readonly standingPatientsPerDay: number;
  /** Patients whose full identity (NIR, address, contacts) one account reads in a day, whatever its role. */
  readonly identitiesPerDay: number;
  /**
   * Full identities a practitioner reads in a day from a client the account has not approved (a
   * thief logs in from his own): its own patients and strangers together (≤ 25).
   */
  readonly unapprovedIdentitiesPerDay: number;
  /** Clinical notes a practitioner reads without a genuine care relationship (break-the-glass) in a day. */
  readonly noCareNotesPerDay: number;
  /** A practice's accounts together: patients without a care relationship, and such notes, in a day. */
  readonly practiceNoCarePatientsPerDay: number;
  readonly practiceNoCareNotesPerDay: number;
  /** A practice's accounts together: identities listed by broad searches in ten minutes. */
  readonly practiceListedPer10Min: number;
  /** A practice's accounts on probation (newly approved) together: patients disclosed in a day. */
  readonly probationPoolPatientsPerDay: number;
  /** …and patients their calendar explains, in a practice with established staff (one probation day). */
  readonly probationCalendarPatientsPerDay: number;
  /**
   * Patients named by appointment listings outside the account's near calendar (its own calendar
   * from 3 days back to 8 days ahead for a practitioner; every doctor's for an assistant), per day
   * and per week; and, of those, patients named by other doctors' calendars than the account's own.
   */
  readonly calendarListedPerDay: number;
  readonly calendarListedPerWeek: number;
  readonly calendarOthersPerDay: number;
  readonly calendarOthersPerWeek: number;
  /** Learned baselines: alert above factor × the usual busiest day (p90), never under the floor. */
  readonly baselineFactor: number;
  readonly baselineFloor: number;
  /** A practice's distinct patients in 24 h: alert above factor × its usual busiest day, never under the floor. */
  readonly practiceFactor: number;
  readonly practiceFloor: number;
}

/** What was learned about an account (its own history, or its peers' while it has none). */
export interface Baseline {
  readonly value: number;
  readonly source: 'own' | 'peers';
  readonly days: number;
}


/**
 * Defaults from FACTS.md: a GP sees ≈ 22 patients a day and opens charts before and after, so
 * 40 distinct patients in an hour, 150 in a day or 400 in a week are far outside a real day;
 * the 2025 breach took ≈ 10,000 per account.
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  patientsPerHour: 40,
  patientsPerDay: 150,
  patientsPerWeek: 400,
  disclosedPer10Min: 15,
  noCarePerHour: 5,
  sensitivePerDay: 8,
  offHoursPerDay: 25,
  addressesPerDay: 4,
  noCarePatientsPerHour: 10,
  noCarePatientsPerDay: 15,
  searchesPerHour: 30,
  foundPerHour: 60,
  foundPerDay: 300,
  unapprovedFoundPerHour: 25,
  unapprovedFoundPerDay: 150,
  createsPerHour: 20,
  assistantFactor: 4,
  devicesPerDay: 3,
  sessionsPerHour: 4,
  noCarePatientsPerWeek: 30,
  noCareNotesPerWeek: 20,
  identitiesPerWeek: 300,
  createsPerHourSuspend: 40,
  createsPerDaySuspend: 60,
  // Twice a busy hour's writing (six consultations of ten writes each), then four times.
  chartWritesPerHour: 120,
  chartWritesPerHourSuspend: 240,
  // A GP's own patients with no visit near (results, letters, tomorrow's list, renewals): FACTS.md's
  // ≈ 22 consultations a day come with as many charts opened for what arrived in between; the day
  // after a two-week holiday opens 53–76 (the simulator's heavy days: a week of results, half the
  // letters and the renewals of the absence). 100 a day from the doctor's own client — the day's
  // full identities (identitiesPerDay) bind at the same figure; 25 from a client the account has
  // not approved (a thief's), like the day's identities.
  standingPatientsPerDay: 100,
  identitiesPerDay: 100,
  unapprovedIdentitiesPerDay: 25,
  noCareNotesPerDay: 10,
  practiceNoCarePatientsPerDay: 30,
  practiceNoCareNotesPerDay: 20,
  practiceListedPer10Min: 100,
  probationPoolPatientsPerDay: 50,
  probationCalendarPatientsPerDay: 75,
  // Calendar listings (FACTS.md: ≈ 22 consultations a day worked, 9.5 half-days a week, ≈ 5,000
  // consultations over 1,643 distinct patients a year, so few patients twice in a month). A month of
  // a doctor's own calendar is 21 working days × 22 ≈ 460 appointments, ≈ 400 patients once the
  // near window (free) is taken out: 450 a day. Pages seen again cost nothing; the month ahead
  // (partly booked) in the same week fits 600. Another doctor's calendar is a colleague's week to
  // cover (22 × 5 = 110), twice a week at most. Assistants ×4 (assistantFactor): the near agenda of every doctor is free, and 440 a
  // day beyond it is four doctor-weeks searched for a free slot. A thief paging the practice's
  // history gets ≤ 110 patients that are not the victim's own before the account is suspended
  // (the 2025 breach: ≈ 10,000 per account).
  calendarListedPerDay: 450,
  calendarListedPerWeek: 600,
  calendarOthersPerDay: 110,
  calendarOthersPerWeek: 220,
  baselineFactor: 3,
  baselineFloor: 30,
  practiceFactor: 3,
  practiceFloor: 300,
};

/** The thresholds an account of this role is held to (assistants: volume budgets scaled). */
export function thresholdsFor(role: string | null, t: Thresholds): Thresholds {
  return role === 'assistant' ? forAssistants(t) : t;
}

/**
 * An account's budgets for a request from a client it has not approved (a thief logs in from his
 * own). Every role: patients listed by specific searches are held to unapprovedFoundPerHour and
 * unapprovedFoundPerDay (scaled for assistants like the rest of their volume budgets), so that a
 * sweep of specific-looking searches lists ≤ 25 patients (≤ 100 for an assistant). A practitioner's
 * full identities of the day, whatever explains them, are capped at unapprovedIdentitiesPerDay (from
 * such a client the calendar explains nothing: its own patients count as standing care, and
 * strangers as no care — together they may not pass the cap).
 */
const capped = new Map<string, WeakMap<Thresholds, Thresholds>>();
export function fromUnapprovedClient(role: string | null, t: Thresholds): Thresholds {
  const key = role ?? '';
  let byT = capped.get(key);
  if (!byT) capped.set(key, (byT = new WeakMap()));
  let c = byT.get(t);
  if (!c) {
    const k = role === 'assistant' ? t.assistantFactor : 1;
    c = {
      ...t,
      foundPerHour: Math.min(t.foundPerHour, t.unapprovedFoundPerHour * k),
      foundPerDay: Math.min(t.foundPerDay, t.unapprovedFoundPerDay * k),
      // Appointment listings beyond the near calendar name who is a patient: from a thief's own
      // client, four days of a doctor's calendar (100) and a colleague's day (25), not a month.
      calendarListedPerDay: Math.min(t.calendarListedPerDay, 4 * t.unapprovedIdentitiesPerDay * k),
      calendarListedPerWeek: Math.min(t.calendarListedPerWeek, 4 * t.unapprovedIdentitiesPerDay * k),
      calendarOthersPerDay: Math.min(t.calendarOthersPerDay, t.unapprovedIdentitiesPerDay * k),
      calendarOthersPerWeek: Math.min(t.calendarOthersPerWeek, t.unapprovedIdentitiesPerDay * k),
      ...(role === 'practitioner' ? {
        identitiesPerDay: Math.min(t.identitiesPerDay, t.unapprovedIdentitiesPerDay),
        standingPatientsPerDay: Math.min(t.standingPatientsPerDay, t.unapprovedIdentitiesPerDay),
      } : {}),
    };
    byT.set(t, c);
  }
  return c;
}

/**
 * The budgets of an account on probation (newly approved): half of its role's, and a fifth of its
 * no-care budgets (five minted practitioners together reach what one account may).
 */
const halved = new WeakMap<Thresholds, Thresholds>();
export function onProbation(t: Thresholds): Thresholds {
  let h = halved.get(t);
  if (!h) {
    const half = (x: number) => Math.floor(x / 2);
    h = {
      ...t, patientsPerHour: half(t.patientsPerHour), patientsPerDay: half(t.patientsPerDay), patientsPerWeek: half(t.patientsPerWeek),
      noCarePatientsPerHour: Math.floor(t.noCarePatientsPerHour / 5), noCarePatientsPerDay: Math.floor(t.noCarePatientsPerDay / 5), standingPatientsPerDay: half(t.standingPatientsPerDay),
      identitiesPerDay: half(t.identitiesPerDay), noCareNotesPerDay: Math.floor(t.noCareNotesPerDay / 5),
      noCarePatientsPerWeek: Math.floor(t.noCarePatientsPerWeek / 5), noCareNotesPerWeek: Math.floor(t.noCareNotesPerWeek / 5), identitiesPerWeek: half(t.identitiesPerWeek), sensitivePerDay: half(t.sensitivePerDay),
      disclosedPer10Min: half(t.disclosedPer10Min), foundPerHour: half(t.foundPerHour), foundPerDay: half(t.foundPerDay),
    };
    halved.set(t, h);
  }
  return h;
}

/**
 * The budgets of an account a wave asked for a step-up (it appeared from a new address while
 * accounts were being contained): a newcomer's (onProbation), and a fifth of the broad listings —
 * the 2025 pattern pages the directory from every account at once; a doctor at a new desk finds
 * patients by name.
 */
const inWave = new WeakMap<Thresholds, Thresholds>();
export function duringWave(t: Thresholds): Thresholds {
  let w = inWave.get(t);
  if (!w) {
    const p = onProbation(t);
    w = { ...p, disclosedPer10Min: Math.floor(t.disclosedPer10Min / 5) };
    inWave.set(t, w);
  }
  return w;
}

/** The thresholds an assistant is held to: volume budgets scaled (computed once per thresholds object). */
const scaled = new WeakMap<Thresholds, Thresholds>();
function forAssistants(t: Thresholds): Thresholds {
  let s = scaled.get(t);
  if (!s) {
    const k = t.assistantFactor;
    s = {
      ...t,
      patientsPerHour: t.patientsPerHour * k, patientsPerDay: t.patientsPerDay * k, patientsPerWeek: t.patientsPerWeek * k,
      disclosedPer10Min: t.disclosedPer10Min * k, searchesPerHour: t.searchesPerHour * k, foundPerHour: t.foundPerHour * k, foundPerDay: t.foundPerDay * k, createsPerHour: t.createsPerHour * k, createsPerHourSuspend: t.createsPerHourSuspend * k, createsPerDaySuspend: t.createsPerDaySuspend * k,
      calendarListedPerDay: t.calendarListedPerDay * k, calendarListedPerWeek: t.calendarListedPerWeek * k,
      calendarOthersPerDay: t.calendarOthersPerDay * k, calendarOthersPerWeek: t.calendarOthersPerWeek * k,
    };
    scaled.set(t, s);
  }
  return s;
}

/** A rule of the table: a count over a window, a limit, the rung, and its reason in one line. */
interface Rule {
  readonly rule: string;
  readonly response: Response;
  readonly window: string;
  count(f: AccountFeatures, now: number): number;
  limit(t: Thresholds): number;
  examples?(f: AccountFeatures, now: number): string[];
  reason(limit: number): string;
}

const RULES: readonly Rule[] = [
  { rule: 'patients-hour', response: 'throttle', window: '1 h', count: (f, n) => f.unscheduled.count(HOUR, n), limit: (t) => t.patientsPerHour, examples: (f, n) => f.patients.sample(HOUR, n), reason: (l) => `opened more than ${l} distinct patients in an hour` },
  { rule: 'patients-day', response: 'suspend', window: '24 h', count: (f, n) => f.patients.count(DAY, n), limit: (t) => t.patientsPerDay, examples: (f, n) => f.patients.sample(DAY, n), reason: (l) => `opened more than ${l} distinct patients in a day` },
  { rule: 'patients-week', response: 'lock', window: '7 days', count: (f, n) => f.patients.count(WEEK, n), limit: (t) => t.patientsPerWeek, examples: (f, n) => f.patients.sample(WEEK, n), reason: (l) => `opened more than ${l} distinct patients in a week (low and slow)` },
  { rule: 'no-care-hour', response: 'suspend', window: '1 h', count: (f, n) => f.noCarePatients.count(HOUR, n), limit: (t) => t.noCarePatientsPerHour, examples: (f, n) => f.noCarePatients.sample(HOUR, n), reason: (l) => `touched more than ${l} patients without a care relationship in an hour` },
  { rule: 'no-care-day', response: 'suspend', window: '24 h', count: (f, n) => f.noCarePatients.count(DAY, n), limit: (t) => t.noCarePatientsPerDay, examples: (f, n) => f.noCarePatients.sample(DAY, n), reason: (l) => `touched more than ${l} patients without a care relationship in a day` },
  { rule: 'search-finds', response: 'throttle', window: '1 h', count: (f, n) => f.found.count(HOUR, n), limit: (t) => t.foundPerHour, examples: (f, n) => f.found.sample(HOUR, n), reason: (l) => `found more than ${l} patients by name searches in an hour` },
  { rule: 'search-rate', response: 'suspend', window: '1 h', count: (f, n) => f.searches.sum(HOUR, n), limit: (t) => t.searchesPerHour, reason: (l) => `made more than ${l} patient searches in an hour` },
  { rule: 'search-breadth', response: 'suspend', window: '10 min', count: (f, n) => f.disclosed.count(10 * MINUTE, n), limit: (t) => t.disclosedPer10Min, examples: (f, n) => f.disclosed.sample(10 * MINUTE, n), reason: (l) => `searches disclosed more than ${l} identities in ten minutes` },
  { rule: 'standing-day', response: 'suspend', window: '24 h', count: (f, n) => f.standing.count(DAY, n), limit: (t) => t.standingPatientsPerDay, examples: (f, n) => f.standing.sample(DAY, n), reason: (l) => `opened more than ${l} patients in a day that no near appointment explains` },
  { rule: 'identities-day', response: 'suspend', window: '24 h', count: (f, n) => f.identities.count(DAY, n), limit: (t) => t.identitiesPerDay, examples: (f, n) => f.identities.sample(DAY, n), reason: (l) => `read the full identity of more than ${l} patients in a day` },
  { rule: 'no-care-notes-day', response: 'suspend', window: '24 h', count: (f, n) => f.noCareNotes.count(DAY, n), limit: (t) => t.noCareNotesPerDay, reason: (l) => `read more than ${l} clinical notes without a care relationship in a day` },
  { rule: 'no-care', response: 'step-up', window: '1 h', count: (f, n) => f.noCare.sum(HOUR, n), limit: (t) => t.noCarePerHour, reason: (l) => `was refused more than ${l} times for lack of a care relationship in an hour` },
  { rule: 'sensitive', response: 'suspend', window: '24 h', count: (f, n) => f.sensitive.count(DAY, n), limit: (t) => t.sensitivePerDay, examples: (f, n) => f.sensitive.sample(DAY, n), reason: (l) => `read sensitive notes of more than ${l} patients in a day` },
  { rule: 'off-hours', response: 'step-up', window: '24 h', count: (f, n) => f.offHours.count(DAY, n), limit: (t) => t.offHoursPerDay, examples: (f, n) => f.offHours.sample(DAY, n), reason: (l) => `opened more than ${l} patients outside usual hours` },
  { rule: 'no-care-week', response: 'suspend', window: '7 days', count: (f, n) => f.noCarePatients.count(WEEK, n), limit: (t) => t.noCarePatientsPerWeek, reason: (l) => `touched more than ${l} patients without a care relationship in a week` },
  { rule: 'no-care-notes-week', response: 'suspend', window: '7 days', count: (f, n) => f.noCareNotes.count(WEEK, n), limit: (t) => t.noCareNotesPerWeek, reason: (l) => `read more than ${l} clinical notes without a care relationship in a week` },
  { rule: 'identities-week', response: 'suspend', window: '7 days', count: (f, n) => f.identities.count(WEEK, n), limit: (t) => t.identitiesPerWeek, reason: (l) => `read the full identity of more than ${l} patients in a week` },
  { rule: 'bulk-create-suspend', response: 'suspend', window: '1 h', count: (f, n) => f.created.sum(HOUR, n), limit: (t) => t.createsPerHourSuspend, reason: (l) => `created or moved more than ${l} patients and appointments in an hour` },
  { rule: 'bulk-create-day', response: 'suspend', window: '24 h', count: (f, n) => f.created.sum(DAY, n), limit: (t) => t.createsPerDaySuspend, reason: (l) => `created or moved more than ${l} patients and appointments in a day` },
  {
    rule: 'chart-writes-suspend', response: 'suspend', window: '1 h', count: (f, n) => f.chartWrites.sum(HOUR, n),
    limit: (t) => t.chartWritesPerHourSuspend, reason: (l) => `wrote more than ${l} clinical resources in an hour`,
  },
  {
    rule: 'chart-writes', response: 'alert', window: '1 h', count: (f, n) => f.chartWrites.sum(HOUR, n),
    limit: (t) => t.chartWritesPerHour, reason: (l) => `wrote more than ${l} clinical resources in an hour`,
  },
  { rule: 'bulk-create', response: 'alert', window: '1 h', count: (f, n) => f.created.sum(HOUR, n), limit: (t) => t.createsPerHour, reason: (l) => `created or moved more than ${l} patients and appointments in an hour` },
  { rule: 'addresses', response: 'alert', window: '24 h', count: (f, n) => f.addresses.count(DAY, n), limit: (t) => t.addressesPerDay, examples: (f, n) => f.addresses.sample(DAY, n), reason: (l) => `used more than ${l} network addresses in a day` },
  { rule: 'devices', response: 'alert', window: '24 h', count: (f, n) => f.devices.count(DAY, n), limit: (t) => t.devicesPerDay, reason: (l) => `used more than ${l} different clients (user agents) in a day` },
  { rule: 'sessions', response: 'alert', window: '1 h', count: (f, n) => f.sessions.count(HOUR, n), limit: (t) => t.sessionsPerHour, reason: (l) => `had more than ${l} sessions active within an hour` },
];

const NONE: readonly Finding[] = Object.freeze([]);

/**
 * Every rule over one account's features. Nothing is allocated unless a rule fires (examples and
 * reasons are made only then). The learned baseline is looked up only when the day's count is
 * above the baseline rule's floor.
 */
export function evaluate(
  f: AccountFeatures,
  now: number,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
  baseline: Baseline | null | ((f: AccountFeatures, now: number) => Baseline | null) = null,
): readonly Finding[] {
  let out: Finding[] | null = null;
  const t = thresholdsFor(f.role, thresholds);
  if (f.honeytokens.length > 0) {
    (out ??= []).push({ rule: 'honeytoken', response: 'lock', reason: 'opened a decoy patient that no care relationship reaches', evidence: { count: f.honeytokens.length, window: 'ever', examples: f.honeytokens.slice(0, 5) } });
  }
  if (f.vipWithoutCare.length > 0) {
    (out ??= []).push({ rule: 'vip', response: 'alert', reason: 'tried to open a notable patient without a care relationship', evidence: { count: f.vipWithoutCare.length, window: 'ever', examples: f.vipWithoutCare.slice(0, 5) } });
  }
  for (const r of RULES) {
    const count = r.count(f, now);
    const limit = r.limit(t);
    if (count > limit) (out ??= []).push({ rule: r.rule, response: r.response, reason: r.reason(limit), evidence: { count, window: r.window, examples: r.examples ? r.examples(f, now) : [] } });
  }
  if (f.copiedSessions.length > 0) {
    (out ??= []).push({ rule: 'session-device', response: 'suspend', reason: 'one session was used from two different clients (a copied token)', evidence: { count: f.copiedSessions.length, window: 'session', examples: [] } });
  }
  const day = f.patients.count(DAY, now);
  if (baseline !== null && day > t.baselineFloor) {
    const b = typeof baseline === 'function' ? baseline(f, now) : baseline;
    if (b !== null) {
      const limit = Math.max(t.baselineFloor, Math.ceil(t.baselineFactor * b.value));
      if (day > limit) {
        const whose = b.source === 'own' ? `its own busiest days (p90 ${b.value} patients over ${b.days} working days)` : `its peers' busiest days (p90 ${b.value} patients)`;
        (out ??= []).push({ rule: 'baseline', response: 'alert', reason: `opened more than ${limit} distinct patients in a day, over ${t.baselineFactor}× ${whose}`, evidence: { count: day, window: '24 h', examples: f.patients.sample(DAY, now) } });
      }
    }
  }
  return out ?? NONE;
}
