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
  /** Identities found by specific searches per hour (the target and a homonym or two each time). */
  readonly foundPerHour: number;
  /** Volume budgets multiply by this for assistants, who book for every practitioner. */
  readonly assistantFactor: number;
  /** Client fingerprints (user agents) an account uses in a day. */
  readonly devicesPerDay: number;
  /** Sessions of one account active within an hour. */
  readonly sessionsPerHour: number;
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
  foundPerHour: 20,
  assistantFactor: 4,
  devicesPerDay: 3,
  sessionsPerHour: 4,
  baselineFactor: 3,
  baselineFloor: 30,
  practiceFactor: 3,
  practiceFloor: 300,
};

/** The thresholds an assistant is held to: volume budgets scaled (computed once per thresholds object). */
const scaled = new WeakMap<Thresholds, Thresholds>();
function forAssistants(t: Thresholds): Thresholds {
  let s = scaled.get(t);
  if (!s) {
    const k = t.assistantFactor;
    s = {
      ...t,
      patientsPerHour: t.patientsPerHour * k, patientsPerDay: t.patientsPerDay * k, patientsPerWeek: t.patientsPerWeek * k,
      disclosedPer10Min: t.disclosedPer10Min * k, searchesPerHour: t.searchesPerHour * k, foundPerHour: t.foundPerHour * k,
    };
    scaled.set(t, s);
  }
  return s;
}

export function evaluate(f: AccountFeatures, now: number, thresholds: Thresholds = DEFAULT_THRESHOLDS, baseline: Baseline | null = null): Finding[] {
  const out: Finding[] = [];
  const t = f.role === 'assistant' ? forAssistants(thresholds) : thresholds;
  // Examples are gathered only for a rule that fires: most events fire none.
  const check = (rule: string, response: Response, count: number, limit: number, window: string, examples: () => string[], reason: string) => {
    if (count > limit) out.push({ rule, response, reason, evidence: { count, window, examples: examples() } });
  };
  if (f.honeytokens.length > 0) {
    out.push({ rule: 'honeytoken', response: 'lock', reason: 'opened a decoy patient that no care relationship reaches', evidence: { count: f.honeytokens.length, window: 'ever', examples: f.honeytokens.slice(0, 5) } });
  }
  if (f.vipWithoutCare.length > 0) {
    out.push({ rule: 'vip', response: 'alert', reason: 'tried to open a notable patient without a care relationship', evidence: { count: f.vipWithoutCare.length, window: 'ever', examples: f.vipWithoutCare.slice(0, 5) } });
  }
  check('patients-hour', 'throttle', f.patients.count(HOUR, now), t.patientsPerHour, '1 h', () => f.patients.sample(HOUR, now), `opened more than ${t.patientsPerHour} distinct patients in an hour`);
  check('patients-day', 'suspend', f.patients.count(DAY, now), t.patientsPerDay, '24 h', () => f.patients.sample(DAY, now), `opened more than ${t.patientsPerDay} distinct patients in a day`);
  check('patients-week', 'lock', f.patients.count(WEEK, now), t.patientsPerWeek, '7 days', () => f.patients.sample(WEEK, now), `opened more than ${t.patientsPerWeek} distinct patients in a week (low and slow)`);
  check('no-care-hour', 'suspend', f.noCarePatients.count(HOUR, now), t.noCarePatientsPerHour, '1 h', () => f.noCarePatients.sample(HOUR, now), `touched more than ${t.noCarePatientsPerHour} patients without a care relationship in an hour`);
  check('no-care-day', 'suspend', f.noCarePatients.count(DAY, now), t.noCarePatientsPerDay, '24 h', () => f.noCarePatients.sample(DAY, now), `touched more than ${t.noCarePatientsPerDay} patients without a care relationship in a day`);
  check('search-finds', 'suspend', f.found.count(HOUR, now), t.foundPerHour, '1 h', () => f.found.sample(HOUR, now), `found more than ${t.foundPerHour} patients by name searches in an hour`);
  check('search-rate', 'suspend', f.searches.sum(HOUR, now), t.searchesPerHour, '1 h', () => [], `made more than ${t.searchesPerHour} patient searches in an hour`);
  check('search-breadth', 'suspend', f.disclosed.count(10 * MINUTE, now), t.disclosedPer10Min, '10 min', () => f.disclosed.sample(10 * MINUTE, now), `searches disclosed more than ${t.disclosedPer10Min} identities in ten minutes`);
  check('no-care', 'step-up', f.noCare.sum(HOUR, now), t.noCarePerHour, '1 h', () => [], `was refused more than ${t.noCarePerHour} times for lack of a care relationship in an hour`);
  check('sensitive', 'suspend', f.sensitive.count(DAY, now), t.sensitivePerDay, '24 h', () => f.sensitive.sample(DAY, now), `read sensitive notes of more than ${t.sensitivePerDay} patients in a day`);
  check('off-hours', 'step-up', f.offHours.count(DAY, now), t.offHoursPerDay, '24 h', () => f.offHours.sample(DAY, now), `opened more than ${t.offHoursPerDay} patients outside usual hours`);
  check('addresses', 'alert', f.addresses.count(DAY, now), t.addressesPerDay, '24 h', () => f.addresses.sample(DAY, now), `used more than ${t.addressesPerDay} network addresses in a day`);
  if (f.copiedSessions.length > 0) {
    out.push({ rule: 'session-device', response: 'suspend', reason: 'one session was used from two different clients (a copied token)', evidence: { count: f.copiedSessions.length, window: 'session', examples: [] } });
  }
  check('devices', 'alert', f.devices.count(DAY, now), t.devicesPerDay, '24 h', () => [], `used more than ${t.devicesPerDay} different clients (user agents) in a day`);
  check('sessions', 'alert', f.activeSessions.count(HOUR, now), t.sessionsPerHour, '1 h', () => [], `had more than ${t.sessionsPerHour} sessions active within an hour`);
  if (baseline !== null) {
    const limit = Math.max(t.baselineFloor, Math.ceil(t.baselineFactor * baseline.value));
    const whose = baseline.source === 'own' ? `its own busiest days (p90 ${baseline.value} patients over ${baseline.days} working days)` : `its peers' busiest days (p90 ${baseline.value} patients)`;
    check('baseline', 'alert', f.patients.count(DAY, now), limit, '24 h', () => f.patients.sample(DAY, now), `opened more than ${limit} distinct patients in a day, over ${t.baselineFactor}× ${whose}`);
  }
  return out;
}
