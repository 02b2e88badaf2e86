import { AccountFeatures, defaultOffHours, type AccessEvent } from './features.js';
import { DEFAULT_THRESHOLDS, evaluate, worse, type Finding, type Response, type Thresholds } from './rules.js';

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

const ALLOWED: AccountState = Object.freeze({ response: 'allow', findings: [], until: null }) as AccountState;

export class Detector {
  private readonly accounts = new Map<string, AccountFeatures>();
  private readonly states = new Map<string, AccountState>();
  private readonly containments: number[] = [];
  private waveUntil = 0;

  constructor(private readonly o: DetectorOptions = {}) {}

  private features(userId: string): AccountFeatures {
    let f = this.accounts.get(userId);
    if (!f) {
      f = new AccountFeatures(this.o.offHours ?? defaultOffHours, this.o.isHoneytoken ?? (() => false), this.o.isVip ?? (() => false));
      this.accounts.set(userId, f);
    }
    return f;
  }

  /** Feeds one committed event; returns the account's new state. */
  observe(e: AccessEvent): AccountState {
    const f = this.features(e.userId);
    f.observe(e);
    const now = e.at.getTime();
    const findings = evaluate(f, now, this.o.thresholds ?? DEFAULT_THRESHOLDS);
    const previous = this.states.get(e.userId);
    // The common case: nothing fires and nothing was wrong before: no new state to allocate.
    if (findings.length === 0 && (previous === undefined || (previous.response === 'allow' && previous.findings.length === 0))) {
      return previous ?? ALLOWED;
    }
    let response: Response = findings.reduce<Response>((r, x) => worse(r, x.response), 'allow');
    // Locks and suspensions hold until lifted; a lower finding never undoes them.
    if (previous && (previous.response === 'lock' || previous.response === 'suspend')) response = worse(previous.response, response);
    const state: AccountState = {
      response,
      findings: findings.length > 0 ? findings : (previous?.findings ?? []),
      until: response === 'throttle' ? new Date(now + (this.o.throttleMs ?? 60_000)) : null,
    };
    const escalated = previous === undefined ? response !== 'allow' : response !== previous.response && worse(response, previous.response) === response;
    this.states.set(e.userId, state);
    if (escalated && (response === 'suspend' || response === 'lock')) this.noteContainment(now);
    if (escalated && response !== 'allow') {
      this.o.onAlert?.({ id: this.o.newId?.() ?? `${e.userId}:${now}`, at: e.at, userId: e.userId, practiceId: e.practiceId, response, findings });
    }
    return state;
  }

  private noteContainment(now: number): void {
    this.containments.push(now);
    while (this.containments.length > 0 && now - this.containments[0]! > WAVE_WINDOW_MS) this.containments.shift();
    if (this.containments.length >= WAVE_CONTAINMENTS) this.waveUntil = now + WAVE_HOLD_MS;
  }

  /** Whether a platform-wide wave of containments is under way. */
  wave(now: Date): boolean {
    return now.getTime() < this.waveUntil;
  }

  /**
   * What the account's next request meets. `sourceIp`, when given, lets the wave rule hold an
   * account appearing from an address it has not used in the past week.
   */
  state(userId: string, now: Date, sourceIp?: string | null): AccountState {
    const s = this.states.get(userId);
    if (sourceIp && this.wave(now) && !(this.accounts.get(userId)?.knowsAddress(sourceIp, now.getTime()) ?? false) && (!s || worse(s.response, 'suspend') === 'suspend')) {
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

  /** A security officer's unlock: the state and the counters start again. */
  release(userId: string): void {
    this.states.delete(userId);
    this.accounts.delete(userId);
  }
}
