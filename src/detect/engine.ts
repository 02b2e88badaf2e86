import { AccountFeatures, DailyHistory, DAY, defaultOffHours, DistinctWindow, HOUR, MINUTE, type AccessEvent } from './features.js';
import { DEFAULT_THRESHOLDS, evaluate, fromUnapprovedClient, onProbation, thresholdsFor, worse, type Baseline, type Finding, type Response, type Thresholds } from './rules.js';
import { admissible, count, type Admission, type DisclosedPatient } from './ledger.js';

export interface AccountState {
  readonly response: Response;
  readonly findings: readonly Finding[];
  /** When a throttle lifts. */
  readonly until: Date | null;
}

export interface Alert {
  readonly id: string;
  readonly at: Date;
  readonly userId: string;
  readonly practiceId: string | null;
  readonly response: Response;
  readonly findings: readonly Finding[];
}

export interface DetectorOptions {
  readonly thresholds?: Thresholds;
  readonly isHoneytoken?: (patientId: string) => boolean;
  readonly isVip?: (patientId: string) => boolean;
  readonly offHours?: (at: Date) => boolean;
  readonly throttleMs?: number;
  readonly onAlert?: (a: Alert) => void;
  readonly newId?: () => string;
}

/**
 * The detector: every committed audit event updates its account's features; the account's state
 * (the worst response any rule gives) is what the gate applies to the account's next request.
 * State is per account, not per session: logging in again, a new session or a new user agent
 * does not reset it. A lock stays until a security officer lifts it.
 */
/**
 * Platform-wide: when several accounts are contained within a short time (the 2025 pattern:
 * many accounts at once), accounts that show up from a network address they have not used in
 * the past week are held before their first request is served, until the wave has passed.
 */
const WAVE_CONTAINMENTS = 3;
const WAVE_WINDOW_MS = 10 * 60_000;
const WAVE_HOLD_MS = 60 * 60_000;

/** A practice's combined activity: distinct patients in the last day, and its learned daily baseline. */
export class PracticeActivity {
  readonly patients = new DistinctWindow([DAY]);
  /** What the practice's accounts together disclosed: the practice's own budgets (more accounts do not multiply them). */
  readonly noCarePatients = new DistinctWindow([DAY]);
  readonly noCareNotes = new DistinctWindow([DAY]);
  readonly listed = new DistinctWindow([10 * MINUTE]);
  /** Patients disclosed to the practice's accounts on probation, together. */
  readonly probationPatients = new DistinctWindow([DAY]);
  /**
   * Patients the calendar explains to the accounts on probation of a practice that has established
   * staff, together: minted doctors fed bookings by another account share one probation day.
   */
  readonly probationScheduled = new DistinctWindow([DAY]);
  readonly daily = new DailyHistory();
  readonly accounts = new Set<string>();
  alertedAt = -Infinity;
}

/** Peer groups: same role, practice of similar size (accounts seen in it). */
function sizeBucket(n: number): string {
  return n <= 3 ? 'small' : n <= 8 ? 'medium' : 'large';
}

const ALLOWED: AccountState = Object.freeze({ response: 'allow', findings: [], until: null }) as AccountState;

export class Detector {
  private readonly accounts = new Map<string, AccountFeatures>();
  private readonly states = new Map<string, AccountState>();
  private readonly containments: number[] = [];
  private waveUntil = 0;
  /** When the wave under way began (its first hold), however often later containments extend it. */
  private waveStartedAt = Infinity;
  private readonly practices = new Map<string, PracticeActivity>();
  private readonly peerCache = new Map<string, { at: number; value: Baseline | null }>();

  /** The baseline lookup handed to the rules (made once: no closure per event). */
  private readonly baselineFn = (f: AccountFeatures, now: number) => this.baselineOf(f, now);

  constructor(private readonly o: DetectorOptions = {}) {}

  private features(userId: string): AccountFeatures {
    let f = this.accounts.get(userId);
    if (!f) {
      f = new AccountFeatures(this.o.offHours ?? defaultOffHours, this.o.isHoneytoken ?? (() => false), this.o.isVip ?? (() => false));
      this.accounts.set(userId, f);
    }
    return f;
  }

  private practice(id: string): PracticeActivity {
    let p = this.practices.get(id);
    if (!p) {
      p = new PracticeActivity();
      this.practices.set(id, p);
    }
    return p;
  }

  private peerKey(f: AccountFeatures): string {
    const size = f.practiceId ? (this.practices.get(f.practiceId)?.accounts.size ?? 1) : 1;
    return `${f.role ?? '?'}:${sizeBucket(size)}`;
  }

  /**
   * The peers' baseline: the median of the own baselines of the accounts of the same role in
   * practices of the same size, recomputed at most hourly. Null while no peer has one.
   */
  private peerBaseline(key: string, now: number): Baseline | null {
    const cached = this.peerCache.get(key);
    if (cached && now - cached.at < HOUR) return cached.value;
    const values: number[] = [];
    for (const f of this.accounts.values()) {
      const b = f.daily.baseline();
      if (b !== null && this.peerKey(f) === key) values.push(b);
    }
    values.sort((a, b) => a - b);
    const value: Baseline | null = values.length === 0 ? null : { value: values[Math.floor(values.length / 2)]!, source: 'peers', days: 0 };
    this.peerCache.set(key, { at: now, value });
    return value;
  }

  /** An account's baseline: its own once it has five working days, its peers' until then. */
  baseline(userId: string, now: Date): Baseline | null {
    const f = this.accounts.get(userId);
    if (!f) return null;
    f.daily.roll(now.getTime());
    this.baselineCache.delete(f);
    return this.baselineOf(f, now.getTime());
  }

  private readonly baselineCache = new WeakMap<AccountFeatures, { at: number; value: Baseline | null }>();

  /** Recomputed at most hourly per account (own baselines change once a day, peers' hourly). */
  private baselineOf(f: AccountFeatures, now: number): Baseline | null {
    const c = this.baselineCache.get(f);
    if (c && now - c.at < HOUR && now >= c.at) return c.value;
    const own = f.daily.baseline();
    const value: Baseline | null = own !== null ? { value: own, source: 'own', days: f.daily.days() } : this.peerBaseline(this.peerKey(f), now);
    this.baselineCache.set(f, { at: now, value });
    return value;
  }

  /** Practice-wide: one alert a day when a practice's accounts together go far past its usual day. */
  private observePractice(e: AccessEvent, now: number): void {
    if (!e.practiceId) return;
    const p = this.practice(e.practiceId);
    p.accounts.add(e.userId);
    if (e.outcome !== 'success') return;
    // The windows of the practice's accounts on probation, as the ledger counted them (a restart
    // or another instance rebuilds them from the audit log like every other window).
    // The same keys as the ledger's: identities, notes and broad listings, outside the calendar or in
    // it (regression: every patient an appointment search named was counted, and a new doctor's
    // look at the week's calendar used up the practice's probation day).
    if ((this.probationUntil.get(e.userId) ?? 0) > now) {
      const calendar = e.calendar ?? [];
      for (const ids of [e.identities, e.standing, e.unexplained]) for (const id of ids ?? []) p.probationPatients.add(id, now);
      for (const id of e.returned) if (!calendar.includes(id)) p.probationPatients.add(id, now);
      if (calendar.length > 0 && this.established(p, now)) for (const id of calendar) p.probationScheduled.add(id, now);
    }
    for (const id of e.unexplained ?? []) p.noCarePatients.add(id, now);
    for (const id of e.noCareNotes ?? []) p.noCareNotes.add(id, now);
    for (const id of e.returned) p.listed.add(id, now);
    let touched = false;
    if (e.patientId) {
      p.daily.add(now, p.patients.add(e.patientId, now));
      touched = true;
    }
    for (const id of e.returned) {
      p.daily.add(now, p.patients.add(id, now));
      touched = true;
    }
    const usual = p.daily.baseline();
    if (!touched || usual === null || now - p.alertedAt < DAY) return;
    const t = this.o.thresholds ?? DEFAULT_THRESHOLDS;
    const limit = Math.max(t.practiceFloor, Math.ceil(t.practiceFactor * usual));
    const count = p.patients.count(DAY, now);
    if (count <= limit) return;
    p.alertedAt = now;
    this.o.onAlert?.({
      id: this.o.newId?.() ?? `${e.practiceId}:${now}`, at: e.at, userId: e.userId, practiceId: e.practiceId, response: 'alert',
      findings: [{
        rule: 'practice-day', response: 'alert',
        reason: `the practice's accounts together opened more than ${limit} distinct patients in a day, over ${t.practiceFactor}× its usual busiest day (p90 ${usual})`,
        evidence: { count, window: '24 h', examples: p.patients.sample(DAY, now) },
      }],
    });
  }

  /** Feeds one committed event; returns the account's new state. */
  observe(e: AccessEvent): AccountState {
    const f = this.features(e.userId);
    const grew = f.observe(e);
    const now = e.at.getTime();
    this.observePractice(e, now);
    const previous = this.states.get(e.userId);
    // Counts only rise with new sightings: when none rose, no rule can newly fire.
    if (!grew) return previous ?? ALLOWED;
    const findings = evaluate(f, now, this.o.thresholds ?? DEFAULT_THRESHOLDS, this.baselineFn);
    // The common case: nothing fires and nothing was wrong before: no new state to allocate.
    if (findings.length === 0 && (previous === undefined || (previous.response === 'allow' && previous.findings.length === 0))) {
      return previous ?? ALLOWED;
    }
    return this.escalate(e.userId, e.practiceId, findings, e.at, previous);
  }

  /** The account's new state from these findings; an alert when it got worse. */
  private escalate(userId: string, practiceId: string | null, findings: readonly Finding[], at: Date, previous: AccountState | undefined): AccountState {
    const now = at.getTime();
    let response: Response = findings.reduce<Response>((r, x) => worse(r, x.response), 'allow');
    // Locks and suspensions hold until lifted; a lower finding never undoes them.
    if (previous && (previous.response === 'lock' || previous.response === 'suspend')) response = worse(previous.response, response);
    const state: AccountState = {
      response,
      findings: findings.length > 0 ? findings : (previous?.findings ?? []),
      until: response === 'throttle' ? new Date(now + (this.o.throttleMs ?? 60_000)) : null,
    };
    const escalated = previous === undefined ? response !== 'allow' : response !== previous.response && worse(response, previous.response) === response;
    this.states.set(userId, state);
    if (escalated && (response === 'suspend' || response === 'lock')) this.noteContainment(now);
    if (escalated && response !== 'allow') {
      this.o.onAlert?.({ id: this.o.newId?.() ?? `${userId}:${now}`, at, userId, practiceId, response, findings });
    }
    return state;
  }

  /**
   * A finding from outside the audit stream (second-factor guessing, an account created): the
   * account takes its rung, with an alert. `always`: alert even if the rung is not new.
   */
  flag(userId: string, practiceId: string | null, findings: readonly Finding[], at: Date, always = false): AccountState {
    const previous = this.states.get(userId);
    const state = this.escalate(userId, practiceId, findings, at, previous);
    if (always && previous !== undefined && state.response === previous.response) {
      this.o.onAlert?.({ id: this.o.newId?.() ?? `${userId}:${at.getTime()}`, at, userId, practiceId, response: 'alert', findings });
    }
    return state;
  }

  private readonly probationUntil = new Map<string, number>();

  /** A new account is held to half budgets until then. */
  probation(userId: string, until: Date): void {
    this.probationUntil.set(userId, until.getTime());
  }

  /**
   * The disclosure ledger (ledger.ts): which of these patients, in order, a response may disclose
   * within the account's and its practice's budgets; they are counted at once. When a budget stops
   * the rest, the account takes that budget's rung (throttle, suspend, lock) and an alert says why.
   * Synchronous from check to count: concurrent requests cannot pass a budget together.
   */
  admit(userId: string, role: string | null, practiceId: string | null, patients: readonly DisclosedPatient[], at: Date, unapprovedClient = false): Admission {
    const f = this.features(userId);
    if (role) f.role = role;
    if (practiceId) f.practiceId = practiceId;
    const p = practiceId ? this.practice(practiceId) : null;
    p?.accounts.add(userId);
    const base = this.o.thresholds ?? DEFAULT_THRESHOLDS;
    const now = at.getTime();
    const byRole = thresholdsFor(f.role, base);
    const t = unapprovedClient ? fromUnapprovedClient(f.role, byRole) : byRole;
    const probation = (this.probationUntil.get(userId) ?? 0) > now;
    const strict = probation && p !== null && this.established(p, now);
    const a = admissible(f, p, probation ? onProbation(t) : t, base, patients, now, probation, strict);
    count(f, p, a.admitted === patients.length ? patients : patients.slice(0, a.admitted), now, probation, strict);
    if (a.stop) this.escalate(userId, practiceId, [a.stop], at, this.states.get(userId));
    return a;
  }

  /**
   * Whether a practice has established clinical staff (a practitioner or assistant seen in it, not
   * on probation): its accounts on probation share one calendar budget. A brand-new practice, whose
   * staff are all on probation, works from its calendar as usual.
   */
  private established(p: PracticeActivity, now: number): boolean {
    for (const id of p.accounts) {
      const role = this.accounts.get(id)?.role;
      if ((role === 'practitioner' || role === 'assistant') && (this.probationUntil.get(id) ?? 0) <= now) return true;
    }
    return false;
  }

  private noteContainment(now: number): void {
    this.containments.push(now);
    while (this.containments.length > 0 && now - this.containments[0]! > WAVE_WINDOW_MS) this.containments.shift();
    if (this.containments.length >= WAVE_CONTAINMENTS) {
      // A wave that was over starts again now; one still under way goes on (and keeps its start).
      if (now >= this.waveUntil) this.waveStartedAt = now;
      this.waveUntil = now + WAVE_HOLD_MS;
    }
  }

  /** Whether a platform-wide wave of containments is under way. */
  wave(now: Date): boolean {
    return now.getTime() < this.waveUntil;
  }

  /**
   * What the account's next request meets. `sourceIp`, when given, lets the wave rule hold an
   * account appearing from an address it has not used in the past week.
   */
  state(userId: string, now: Date, sourceIp?: string | null, role?: string | null): AccountState {
    const s = this.states.get(userId);
    if (sourceIp && this.wave(now) && this.heldByWave(userId, role ?? this.accounts.get(userId)?.role ?? null, sourceIp, now.getTime()) && (!s || worse(s.response, 'suspend') === 'suspend')) {
      return {
        response: 'suspend',
        findings: [{ rule: 'wave-new-address', response: 'suspend', reason: 'several accounts were contained in the last minutes and this one appears from a new network address', evidence: { count: this.containments.length, window: '10 min', examples: [] } }],
        until: null,
      };
    }
    if (!s) return { response: 'allow', findings: [], until: null };
    if (s.response === 'throttle' && s.until !== null && s.until <= now) return { ...s, response: 'alert', until: null };
    return s;
  }

  /** Sets an account's state from outside (a lock loaded from the database at start). */
  impose(userId: string, response: Response, findings: readonly Finding[] = []): void {
    this.states.set(userId, { response, findings, until: null });
  }

  /**
   * Whether the wave rule holds this account's request: an account appearing from an address it
   * has not used in the past week — unless it is a security officer (the wave's responders, who
   * read no records), a patient (who reads only their own), or an account an officer has unlocked
   * since the wave began (reviewed by a person).
   */
  private heldByWave(userId: string, role: string | null, sourceIp: string, now: number): boolean {
    if (role === 'security-officer' || role === 'patient') return false;
    if ((this.released.get(userId) ?? -Infinity) >= this.waveStartedAt) return false;
    return !(this.accounts.get(userId)?.knowsAddress(sourceIp, now) ?? false);
  }

  /** When each account was last unlocked by a security officer. */
  private readonly released = new Map<string, number>();

  /** Whether an officer unlocked the account after `at` (an alert from before it no longer holds). */
  releasedAfter(userId: string, at: Date): boolean {
    return (this.released.get(userId) ?? -Infinity) > at.getTime();
  }

  /**
   * A security officer's unlock: the state and the disclosure counters start again (the officer
   * judged it a false positive). The account's known network addresses stay: the wave rule must
   * not hold the account it was just given back to (regression: unlocking forgot them).
   */
  release(userId: string, at: Date = new Date()): void {
    this.states.delete(userId);
    const old = this.accounts.get(userId);
    this.accounts.delete(userId);
    this.released.set(userId, Math.max(this.released.get(userId) ?? -Infinity, at.getTime()));
    if (old) {
      const f = this.features(userId);
      f.role = old.role;
      f.practiceId = old.practiceId;
      f.addresses.copyFrom(old.addresses);
    }
  }
}
