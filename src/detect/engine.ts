import { AccountFeatures, DAY, defaultOffHours, HOUR, MINUTE, type AccessEvent } from './features.js';
import { DEFAULT_THRESHOLDS, duringWave, evaluate, fromUnapprovedClient, onProbation, thresholdsFor, worse, type Baseline, type Finding, type Response, type Thresholds } from './rules.js';
import { admissible, count, REFUSE_ONLY, SHARED_BUDGETS, type Admission, type DisclosedPatient } from './ledger.js';
import { Waves, type Wave, type WaveState } from './waves.js';
import { PracticeActivity } from './practice-activity.js';

export { PracticeActivity } from './practice-activity.js';

export interface AccountState {
  readonly response: Response;
  readonly findings: readonly Finding[];
  /** When a throttle lifts. */
  readonly until: Date | null;
  /** A step-up asked for by a wave: the second factor must have been given since then. */
  readonly stepUpSince?: Date;
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
 * A refuse-only budget (ledger.ts REFUSE_ONLY) refuses an account's request twice in an hour; the
 * third time it holds it like any budget: an honest person told to wait does, a script pages on.
 */
const REFUSE_ONLY_STRIKES = 3;

/**
 * The findings an account's state keeps: a held rung keeps those that decided it (a later, milder
 * one — off-hours, say — must not become the reason a suspended doctor is shown), with the new ones.
 */
function reasonsOf(previous: AccountState | undefined, response: Response, findings: readonly Finding[]): readonly Finding[] {
  if (previous !== undefined && response === previous.response && response !== 'allow' && previous.findings.length > 0) {
    return [...previous.findings, ...findings.filter((x) => !previous.findings.some((y) => y.rule === x.rule))];
  }
  return findings.length > 0 ? findings : (previous?.findings ?? []);
}

/** Peer groups: same role, practice of similar size (accounts seen in it). */
function sizeBucket(n: number): string {
  return n <= 3 ? 'small' : n <= 8 ? 'medium' : 'large';
}

const ALLOWED: AccountState = Object.freeze({ response: 'allow', findings: [], until: null }) as AccountState;

export class Detector {
  private readonly accounts = new Map<string, AccountFeatures>();
  private readonly states = new Map<string, AccountState>();
  /** Waves of containments under way (waves.ts). */
  private readonly waves = new Waves();
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
      for (const ids of [e.identities, e.standing, e.unexplained]) for (const id of ids ?? []) p.credit(p.probationPatients, DAY, id, e.userId, now);
      for (const id of e.returned) if (!calendar.includes(id)) p.credit(p.probationPatients, DAY, id, e.userId, now);
      if (calendar.length > 0 && this.established(p, now)) for (const id of calendar) p.credit(p.probationScheduled, DAY, id, e.userId, now);
    }
    for (const id of e.unexplained ?? []) p.credit(p.noCarePatients, DAY, id, e.userId, now);
    for (const id of e.noCareNotes ?? []) p.credit(p.noCareNotes, DAY, id, e.userId, now);
    for (const id of e.returned) p.credit(p.listed, 10 * MINUTE, id, e.userId, now);
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
  private escalate(userId: string, practiceId: string | null, findings: readonly Finding[], at: Date, previous: AccountState | undefined, throttleMs?: number): AccountState {
    const now = at.getTime();
    let response: Response = findings.reduce<Response>((r, x) => worse(r, x.response), 'allow');
    // Locks and suspensions hold until lifted; a lower finding never undoes them.
    if (previous && (previous.response === 'lock' || previous.response === 'suspend')) response = worse(previous.response, response);
    const state: AccountState = {
      response,
      findings: reasonsOf(previous, response, findings),
      until: response === 'throttle' ? new Date(now + (throttleMs ?? this.o.throttleMs ?? 60_000)) : null,
    };
    const escalated = previous === undefined ? response !== 'allow' : response !== previous.response && worse(response, previous.response) === response;
    this.states.set(userId, state);
    if (escalated && (response === 'suspend' || response === 'lock')) this.noteContainment(userId, practiceId, now);
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
  admit(
    userId: string, role: string | null, practiceId: string | null, patients: readonly DisclosedPatient[], at: Date, unapprovedClient = false,
    sourceIp: string | null = null,
  ): Admission {
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
    // An account a wave asked for a step-up (a new address while accounts were being contained)
    // works, with a newcomer's budgets until the wave is over: the second factor does not stop a
    // thief who holds it, and the wave's accounts must not add up to the 2025 pattern.
    // Only from the address the wave asked about: her own desk keeps her budgets.
    const w = this.waves.covering(f.practiceId, now);
    const held = w !== null && (sourceIp !== null ? w.heldAt.has(`${userId}|${sourceIp}`) : w.held.has(userId));
    const a = admissible(f, p, held ? duringWave(t) : probation ? onProbation(t) : t, base, patients, now, probation, strict);
    count(f, p, a.admitted === patients.length ? patients : patients.slice(0, a.admitted), now, probation, strict, userId);
    if (a.stop && a.shared && p !== null && practiceId !== null) this.attribute(p, practiceId, a.stop, at);
    else if (a.stop && REFUSE_ONLY.has(a.stop.rule) && !unapprovedClient && this.strike(userId, a.stop.rule, now) < REFUSE_ONLY_STRIKES) {
      return { ...a, refuseOnly: true };
    }
    else if (a.stop) {
      // From a thief's own client a refuse-only budget holds the account like the others.
      const stop: Finding = REFUSE_ONLY.has(a.stop.rule) ? { ...a.stop, response: 'suspend' } : a.stop;
      // A throttle lasts until the budget's window frees a place.
      this.escalate(userId, practiceId, [stop], at, this.states.get(userId), a.retryAfterMs);
      if (stop !== a.stop) return { ...a, stop };
    }
    return a;
  }

  /**
   * A practice's shared budget is spent: the request that would pass it is refused, and the alert
   * names the accounts whose own disclosures spent it, with their share — never the one who asked
   * next, who may be an honest colleague arriving after a thief (attribution by contribution).
   * The biggest spenders are named until three quarters are accounted for, and any other that
   * brought a tenth; one alert per budget and practice while the window is full.
   */
  private attribute(p: PracticeActivity, practiceId: string, stop: Finding, at: Date): void {
    const shared = SHARED_BUDGETS.get(stop.rule);
    if (!shared) return;
    const now = at.getTime();
    if (now - (p.attributedAt.get(stop.rule) ?? -Infinity) < shared.window) return;
    p.attributedAt.set(stop.rule, now);
    const shares = p.shares(shared.of(p), shared.window, now);
    const total = stop.evidence.count;
    // The biggest spenders until three quarters of the window are accounted for, and anyone else who
    // brought a tenth of it (five accounts of a fifth each are all named).
    let covered = 0;
    const named = shares.filter((s) => {
      const take = covered * 4 < total * 3 || s.count * 10 >= total;
      covered += s.count;
      return take;
    });
    const examples = shares.slice(0, 5).map((s) => `${s.userId}:${s.count}`);
    for (const s of named) {
      this.o.onAlert?.({
        id: this.o.newId?.() ?? `${s.userId}:${stop.rule}:${now}`, at, userId: s.userId, practiceId, response: 'alert',
        findings: [{
          rule: stop.rule, response: 'alert',
          reason: `${stop.reason}: this account spent ${s.count} of ${total}`,
          evidence: { count: s.count, window: stop.evidence.window, examples },
        }],
      });
    }
  }

  /** Refusals of a refuse-only budget per account, within the budget's hour: a person told to wait stops. */
  private readonly strikes = new Map<string, number[]>();

  /** Counts one more refusal of this budget for this account; returns how many in the last hour. */
  private strike(userId: string, rule: string, now: number): number {
    const key = `${userId}|${rule}`;
    const list = (this.strikes.get(key) ?? []).filter((t) => now - t < HOUR);
    list.push(now);
    this.strikes.set(key, list);
    if (this.strikes.size > 50_000) this.strikes.delete(this.strikes.keys().next().value as string);
    return list.length;
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

  private noteContainment(userId: string, practiceId: string | null, now: number): void {
    // Patients' accounts never count: each reads only its own record.
    if (this.accounts.get(userId)?.role === 'patient') return;
    this.waves.contained(userId, practiceId, now);
  }

  /** Whether a wave is under way (for this practice, or anywhere when none is named). */
  wave(now: Date, practiceId?: string | null): boolean {
    return this.waves.under(now.getTime(), practiceId);
  }

  /** The waves under way, for the security console. */
  activeWaves(now: Date): Wave[] {
    return this.waves.active(now.getTime());
  }

  /** A security officer ends a wave (a practice's, or the platform's with null). */
  endWave(practiceId: string | null, at: Date): boolean {
    return this.waves.end(practiceId, at.getTime());
  }

  /**
   * What the account's next request meets. `sourceIp`, when given, lets a wave ask an account
   * appearing from an address it has not used in the past week for a fresh second factor, given
   * after the wave began (`stepUpSince`).
   */
  state(userId: string, now: Date, sourceIp?: string | null, role?: string | null, practiceId?: string | null): AccountState {
    const s = this.states.get(userId);
    const known = this.accounts.get(userId);
    const w = sourceIp ? this.heldByWave(userId, role ?? known?.role ?? null, practiceId ?? known?.practiceId ?? null, sourceIp, now.getTime()) : null;
    if (w && (!s || worse(s.response, 'step-up') === 'step-up')) {
      w.held.add(userId);
      if (sourceIp) w.heldAt.add(`${userId}|${sourceIp}`);
      return {
        response: 'step-up',
        findings: [{
          rule: 'wave-new-address', response: 'step-up',
          reason: 'several accounts were contained in the last minutes and this one appears from a new network address',
          evidence: { count: w.contained.length, window: '10 min', examples: [] },
        }],
        until: null,
        stepUpSince: new Date(w.startedAt),
      };
    }
    if (!s) return { response: 'allow', findings: [], until: null };
    if (s.response === 'throttle' && s.until !== null && s.until <= now) return { ...s, response: 'alert', until: null };
    return s;
  }

  /** The accounts held now (suspended or locked), e.g. for the console's unlocks waiting for a second officer. */
  held(): string[] {
    return [...this.states].filter(([, s]) => s.response === 'suspend' || s.response === 'lock').map(([id]) => id);
  }

  /** Sets an account's state from outside (a lock loaded from the database at start). */
  impose(userId: string, response: Response, findings: readonly Finding[] = []): void {
    this.states.set(userId, { response, findings, until: null });
  }

  /**
   * The wave that holds this account's request, if any: an account of a practice under a wave (its
   * own, or the platform's) appearing from an address it has not used in the past week — unless it
   * is a security officer (the wave's responders, who read no records), a patient (who reads only
   * their own), or an account an officer has unlocked since the wave began (reviewed by a person).
   */
  private heldByWave(userId: string, role: string | null, practiceId: string | null, sourceIp: string, now: number): WaveState | null {
    if (role === 'security-officer' || role === 'patient') return null;
    const w = this.waves.covering(practiceId, now);
    if (!w) return null;
    if ((this.released.get(userId) ?? -Infinity) >= w.startedAt) return null;
    if ((this.waveCleared.get(userId) ?? -Infinity) >= w.startedAt) return null;
    return this.accounts.get(userId)?.knowsAddress(sourceIp, now, w.startedAt) ? null : w;
  }

  /**
   * A session opened from this address (the login, before any data): the account is known there,
   * so a wave that begins later does not take its own desk for a newcomer's. Other instances learn
   * it from the login's audit event.
   */
  sawAddress(userId: string, practiceId: string | null, role: string, ip: string, at: Date): void {
    const f = this.features(userId);
    f.role ??= role;
    f.practiceId ??= practiceId;
    f.addresses.add(ip, at.getTime());
  }

  /** When a security officer last approved a device of each account (the wave's other way through). */
  private readonly waveCleared = new Map<string, number>();

  /**
   * A security officer approved a client of the account (an account without a second factor — an
   * assistant — cannot step up): a wave under way no longer holds it.
   */
  clearWave(userId: string, at: Date): void {
    this.waveCleared.set(userId, Math.max(this.waveCleared.get(userId) ?? -Infinity, at.getTime()));
  }

  /** When each account was last unlocked by a security officer. */
  private readonly released = new Map<string, number>();

  /** Whether an officer unlocked the account after `at` (an alert from before it no longer holds). */
  releasedAfter(userId: string, at: Date): boolean {
    return (this.released.get(userId) ?? -Infinity) > at.getTime();
  }

  /**
   * A security officer's unlock (two officers): the state is lifted; the disclosure counters stay —
   * the account resumes with what its windows have left (an unlock does not hand a thief a fresh
   * day or week). The wave rule does not hold an account an officer gave back.
   */
  release(userId: string, at: Date = new Date()): void {
    this.states.delete(userId);
    // What the officers judged — a decoy opened, a notable patient, a copied session — is not
    // held against the account again; its windows are.
    const f = this.accounts.get(userId);
    if (f) {
      f.honeytokens = [];
      f.vipWithoutCare = [];
      f.copiedSessions = [];
    }
    this.released.set(userId, Math.max(this.released.get(userId) ?? -Infinity, at.getTime()));
  }

  /**
   * Forgets an account's counters and state (its known network addresses stay): for test harnesses
   * that start a new attack on the same accounts, and never reached from the API.
   */
  forget(userId: string): void {
    this.states.delete(userId);
    const old = this.accounts.get(userId);
    this.accounts.delete(userId);
    if (old) {
      const f = this.features(userId);
      f.role = old.role;
      f.practiceId = old.practiceId;
      f.addresses.copyFrom(old.addresses);
    }
  }
}
