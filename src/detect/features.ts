/**
 * Per-account features over the stream of committed audit events, in sliding windows. Memory is
 * bounded: a map of the distinct patients each account touched (last time seen), pruned past the
 * longest window, and minute buckets for counts.
 */
export interface AccessEvent {
  /** The audit event's id: an event heard twice (the bus, then the database) is counted once. */
  readonly id?: string;
  readonly at: Date;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly practiceId: string | null;
  readonly action: string;
  readonly outcome: string;
  /** The patient the access concerned, if one. */
  readonly patientId: string | null;
  /** Patients a search disclosed. */
  readonly returned: readonly string[];
  /**
   * Of the patients touched, those no care relationship of this account explains (absent when
   * not known: the account's role has no care relationships, as for assistants).
   */
  readonly unexplained?: readonly string[];
  /** Identities a specific search found (a name of 3+ letters, a birth date…). */
  readonly found?: readonly string[];
  /** The account's role: budgets differ between a GP and an assistant who books for six. */
  readonly role?: string | null;
  readonly labels: readonly string[];
  readonly reason: string | null;
  readonly sourceIp: string | null;
  /** A short fingerprint of the client's user agent (no more than that is kept). */
  readonly device?: string | null;
  /** Patients whose full identity (NIR, address, contacts) the access disclosed: a read of one patient. */
  readonly identities?: readonly string[];
  /** Of the patients touched, those only a standing care relationship explains (no appointment near). */
  readonly standing?: readonly string[];
  /** Clinical notes disclosed without a genuine care relationship (break-the-glass). */
  readonly noCareNotes?: readonly string[];
  /**
   * Whether a search looks for patients (a Patient search) rather than reading the compartment of
   * one patient already in hand (`DocumentReference?patient=…`): only the former counts as a search.
   * Absent: every search counts.
   */
  readonly discovery?: boolean;
  /** Of the patients touched, those a near appointment explains (the calendar: scheduled care). */
  readonly scheduled?: readonly string[];
  /**
   * Of those, the ones whose identity, notes or broad listing the event disclosed (what the
   * ledger's budgets count: a patient merely named by an appointment is not among them).
   */
  readonly calendar?: readonly string[];
  /** Whether a create or update makes a record of the practice (patient, appointment) rather than a note. Absent: it does. */
  readonly writes?: boolean;
  /** Whether a create or update writes clinical content (a note, a problem, a result…: the chart). */
  readonly chartWrite?: boolean;
  /** Patients appointment listings named outside the account's near calendar (the ledger's calendar budgets). */
  readonly calendarListed?: readonly string[];
  /** Of those, the ones only other doctors' calendars named. */
  readonly calendarOthers?: readonly string[];
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/**
 * Distinct values seen within fixed windows (1 h, 24 h, 7 days…), counted incrementally: one map
 * of each value's last sighting, one log of sightings, and per window a read position in the log
 * and a count. A sighting leaving a window lowers its count only if the value was not seen again
 * since. Adding and counting are amortised O(1).
 */
export class DistinctWindow {
  private readonly last = new Map<string, number>();
  // The log of sightings as two parallel arrays (no object per sighting: less garbage).
  private keys: string[] = [];
  private times: number[] = [];
  private readonly windows: number[];
  private readonly pos: number[];
  private readonly counts: number[];

  constructor(windows: readonly number[]) {
    this.windows = [...windows].sort((a, b) => a - b);
    this.pos = this.windows.map(() => 0);
    this.counts = this.windows.map(() => 0);
  }

  private advance(i: number, now: number): void {
    const w = this.windows[i]!;
    const largest = i === this.windows.length - 1;
    let p = this.pos[i]!;
    while (p < this.times.length && now - this.times[p]! > w) {
      const k = this.keys[p]!;
      const t = this.times[p]!;
      if (this.last.get(k) === t) {
        this.counts[i]!--;
        if (largest) this.last.delete(k); // out of every window now
      }
      p++;
    }
    this.pos[i] = p;
    if (largest && p > 4096 && p > this.times.length / 2) {
      // Drop what every window has passed.
      this.keys = this.keys.slice(p);
      this.times = this.times.slice(p);
      for (let j = 0; j < this.pos.length; j++) this.pos[j] = this.pos[j]! - p;
    }
  }

  /** Whether the last add raised a count (a rule may fire only then). */
  grew = false;

  /** Records a sighting; returns the value's previous sighting within the longest window, if any. */
  add(key: string, at: number): number | undefined {
    const prev = this.last.get(key);
    this.grew = prev === undefined || at - prev > this.windows[0]!;
    if (prev === at) return prev; // seen again at the same instant: nothing changes
    for (let i = 0; i < this.windows.length; i++) {
      this.advance(i, at);
      if (prev === undefined || at - prev > this.windows[i]!) this.counts[i]!++;
    }
    this.last.set(key, at);
    this.keys.push(key);
    this.times.push(at);
    return prev;
  }


  private index(windowMs: number): number {
    const i = this.windows.indexOf(windowMs);
    if (i < 0) throw new RangeError(`no ${windowMs} ms window kept`);
    return i;
  }

  /** How many distinct values were seen in the last `windowMs` before `now`. */
  count(windowMs: number, now: number): number {
    const i = this.index(windowMs);
    this.advance(i, now);
    return this.counts[i]!;
  }

  /** Whether a value was seen within the window. */
  has(key: string, windowMs: number, now: number): boolean {
    const t = this.last.get(key);
    return t !== undefined && now - t <= windowMs;
  }

  /** When the oldest sighting still counted in the window was made (null if none). */
  oldest(windowMs: number, now: number): number | null {
    const i = this.index(windowMs);
    this.advance(i, now);
    for (let p = this.pos[i]!; p < this.times.length; p++) {
      if (this.last.get(this.keys[p]!) === this.times[p]) return this.times[p]!;
    }
    return null;
  }

  /** Some of the values seen in the window (evidence for an alert). */
  sample(windowMs: number, now: number, max = 5): string[] {
    const i = this.index(windowMs);
    this.advance(i, now);
    const out: string[] = [];
    for (let p = this.times.length - 1; p >= this.pos[i]! && out.length < max; p--) {
      const k = this.keys[p]!;
      if (this.last.get(k) === this.times[p]) out.push(k);
    }
    return out;
  }
}

/**
 * The same questions for values an account has few of (its sessions, clients, network
 * addresses): one map of each value's last sighting, scanned to count. A repeated value costs a
 * map write, not a log entry; values older than the longest window are dropped as it grows.
 */
export class FewDistinct {
  private readonly last = new Map<string, number>();
  private readonly longest: number;

  constructor(windows: readonly number[]) {
    this.longest = Math.max(...windows);
    this.shortest = Math.min(...windows);
  }

  /** Whether the last add raised a count (a rule may fire only then). */
  grew = false;
  private readonly shortest: number;

  add(key: string, at: number): void {
    const prev = this.last.get(key);
    this.grew = prev === undefined || at - prev > this.shortest;
    if (prev !== undefined && prev >= at) return;
    // A value unseen for longer than every window is new again.
    if (prev === undefined || at - prev > this.longest) this.first.set(key, at);
    this.last.set(key, at);
    if (this.last.size > 32) {
      for (const [k, t] of this.last) {
        if (at - t > this.longest) {
          this.last.delete(k);
          this.first.delete(k);
        }
      }
    }
  }

  /** When each value's current run of sightings began (its first sighting within the longest window). */
  private readonly first = new Map<string, number>();

  /** Whether the value was seen within the window and already before `before`. */
  knownBefore(key: string, windowMs: number, now: number, before: number): boolean {
    return this.has(key, windowMs, now) && (this.first.get(key) ?? Infinity) < before;
  }

  count(windowMs: number, now: number): number {
    let n = 0;
    for (const t of this.last.values()) if (now - t <= windowMs) n++;
    return n;
  }

  has(key: string, windowMs: number, now: number): boolean {
    const t = this.last.get(key);
    return t !== undefined && now - t <= windowMs;
  }

  /** Takes over another's keys and their last times (an account's known addresses across an unlock). */
  copyFrom(other: FewDistinct): void {
    for (const [key, t] of other.last) if ((this.last.get(key) ?? -Infinity) < t) this.last.set(key, t);
    for (const [key, t] of other.first) if ((this.first.get(key) ?? Infinity) > t) this.first.set(key, t);
  }

  sample(windowMs: number, now: number, max = 5): string[] {
    const out: string[] = [];
    for (const [k, t] of this.last) if (now - t <= windowMs && out.length < max) out.push(k);
    return out;
  }
}

/** Event counts in minute buckets, summed over any window up to the horizon. */
export class CountWindow {
  private readonly buckets = new Map<number, number>();
  constructor(private readonly horizonMs: number) {}

  add(at: number, n = 1): void {
    const b = Math.floor(at / MINUTE);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    const oldest = Math.floor((at - this.horizonMs) / MINUTE);
    for (const k of this.buckets.keys()) if (k < oldest) this.buckets.delete(k);
  }

  sum(windowMs: number, now: number): number {
    const from = Math.floor((now - windowMs) / MINUTE);
    let s = 0;
    for (const [k, v] of this.buckets) if (k > from) s += v;
    return s;
  }
}

/** Paris calendar day of a time (UTC+1, as the rest of the detector). */
export function parisDay(at: number): number {
  return Math.floor((at + HOUR) / DAY);
}

/**
 * A learned baseline: the distinct patients touched per working day over the last 28 working
 * days, and its 90th percentile once there are at least 5 such days. Days without activity are
 * not working days and do not lower it.
 */
export class DailyHistory {
  private day = -1;
  private today = 0;
  private readonly past: number[] = [];
  private p90: number | null = null;

  /**
   * Counts a patient touched at `at`, given when it was last touched before (from the
   * DistinctWindow that saw it): it is new today unless that was earlier today.
   */
  add(at: number, previous: number | undefined): void {
    const d = parisDay(at);
    if (d !== this.day) {
      if (d < this.day) return; // late event of an earlier day: the day's count is closed
      this.close();
      this.day = d;
    }
    if (previous === undefined || parisDay(previous) !== d) this.today++;
  }

  /** Closes the day in progress if `now` is past it. */
  roll(now: number): void {
    const d = parisDay(now);
    if (d > this.day) {
      this.close();
      this.day = d;
    }
  }

  private close(): void {
    if (this.today === 0) return;
    this.past.push(this.today);
    if (this.past.length > 28) this.past.shift();
    this.today = 0;
    if (this.past.length >= MIN_BASELINE_DAYS) {
      const sorted = [...this.past].sort((a, b) => a - b);
      this.p90 = sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!;
    }
  }

  /** The p90 of working days, or null while fewer than 5 days are known. */
  baseline(): number | null {
    return this.p90;
  }

  /** Working days learned so far. */
  days(): number {
    return this.past.length;
  }
}

export const MIN_BASELINE_DAYS = 5;

/** Everything the rules look at for one account. */
export class AccountFeatures {
  readonly patients = new DistinctWindow([HOUR, DAY, WEEK]);
  readonly disclosed = new DistinctWindow([10 * MINUTE]); // identities returned by searches
  readonly noCare = new CountWindow(DAY);
  readonly sensitive = new DistinctWindow([DAY]);
  readonly offHours = new DistinctWindow([DAY]);
  readonly addresses = new FewDistinct([DAY, WEEK]);
  /** Sessions seen in the last hour (several at once: a second party using the account) and day. */
  readonly sessions = new FewDistinct([HOUR, DAY]);
  /**
   * Whether the account used this network address in the past week — and already before `before`
   * (a wave's start: an address first seen during a wave, at the login that precedes the first
   * request, is not known).
   */
  knowsAddress(ip: string, now: number, before = Infinity): boolean {
    return this.addresses.knownBefore(ip, WEEK, now, before);
  }

  /** Patients touched without a care relationship: the signature of the 2025 breach. */
  readonly noCarePatients = new DistinctWindow([HOUR, DAY, WEEK]);
  /** Searches made (specific ones included): many in an hour is a sweep by other means. */
  readonly searches = new CountWindow(HOUR);
  /** Identities found by specific searches: a handful an hour, unless someone sweeps by name. */
  readonly found = new DistinctWindow([HOUR, DAY]);
  /** Patients opened under standing care only (treating declaration, past visit): a daily budget. */
  readonly standing = new DistinctWindow([DAY]);
  /** Patients whose full identity the account read. */
  readonly identities = new DistinctWindow([DAY, WEEK]);
  /** Notes read without a genuine care relationship (break-the-glass). */
  readonly noCareNotes = new DistinctWindow([DAY, WEEK]);
  /** Patients touched that no near appointment explains: the hourly budget (a day's calendar read in an hour is the doctor preparing it). */
  readonly unscheduled = new DistinctWindow([HOUR]);
  /** Patients and appointments created or moved: bulk creation makes the facts a thief would need. */
  readonly created = new CountWindow(DAY);
  /** Clinical resources written: a flood of writes into charts (false allergies, a chart made unreadable). */
  readonly chartWrites = new CountWindow(HOUR);
  /** Patients named by appointment listings outside the near calendar, and those named by others' calendars. */
  readonly calendarListed = new DistinctWindow([DAY, WEEK]);
  readonly calendarOthers = new DistinctWindow([DAY, WEEK]);
  /** Distinct patients per working day: the account's own baseline. */
  readonly daily = new DailyHistory();
  /** Client fingerprints (user agents) used in the last day. */
  readonly devices = new FewDistinct([DAY]);
  /** Each recent session's first device; a session seen from another device was copied. */
  private readonly sessionDevice = new Map<string, string>();
  copiedSessions: string[] = [];
  practiceId: string | null = null;
  role: string | null = null;
  honeytokens: string[] = [];
  vipWithoutCare: string[] = [];

  constructor(
    /** Whether a time is outside the account's usual hours (Paris time by default). */
    private readonly offHoursAt: (at: Date) => boolean,
    private readonly isHoneytoken: (patientId: string) => boolean,
    private readonly isVip: (patientId: string) => boolean,
  ) {}

  /**
   * Feeds one event. Returns whether any count a rule looks at went up (or a one-off signal
   * appeared): when none did, no rule can newly fire, and the detector skips the rules.
   */
  observe(e: AccessEvent): boolean {
    const t = e.at.getTime();
    let grew = false;
    // Opening a decoy's record is the tell; a decoy merely listed among search results is not
    // (a doctor typing a common name would trip it) — broad listing is the volume rules' job.
    if (e.patientId && this.isHoneytoken(e.patientId)) {
      this.honeytokens.push(e.patientId);
      grew = true;
    }
    if (e.outcome === 'success') {
      const off = this.offHoursAt(e.at);
      const due = e.scheduled && e.scheduled.length > 0 ? new Set(e.scheduled) : null;
      for (const p of [...(e.patientId ? [e.patientId] : []), ...e.returned]) {
        if (due?.has(p)) continue;
        this.unscheduled.add(p, t);
        grew ||= this.unscheduled.grew;
      }
      if (e.patientId) {
        this.daily.add(t, this.patients.add(e.patientId, t));
        grew ||= this.patients.grew;
        if (off) {
          this.offHours.add(e.patientId, t);
          grew ||= this.offHours.grew;
        }
      }
      for (const p of e.returned) {
        this.daily.add(t, this.patients.add(p, t));
        grew ||= this.patients.grew;
        if (off) {
          this.offHours.add(p, t);
          grew ||= this.offHours.grew;
        }
      }
    }
    for (const p of e.returned) {
      this.disclosed.add(p, t);
      grew ||= this.disclosed.grew;
    }
    if (e.outcome === 'success') {
      for (const p of e.unexplained ?? []) {
        this.noCarePatients.add(p, t);
        grew ||= this.noCarePatients.grew;
        if (this.isVip(p)) {
          this.vipWithoutCare.push(p);
          grew = true;
        }
      }
    }
    if (e.role && e.role !== this.role) {
      this.role = e.role;
      grew = true;
    }
    if (e.outcome === 'success') {
      for (const p of e.identities ?? []) {
        this.identities.add(p, t);
        grew ||= this.identities.grew;
      }
      for (const p of e.standing ?? []) {
        this.standing.add(p, t);
        grew ||= this.standing.grew;
      }
      for (const n of e.noCareNotes ?? []) {
        this.noCareNotes.add(n, t);
        grew ||= this.noCareNotes.grew;
      }
      // Budgets of the ledger only (checked before a response leaves): no rule reads them afterwards.
      for (const p of e.calendarListed ?? []) this.calendarListed.add(p, t);
      for (const p of e.calendarOthers ?? []) this.calendarOthers.add(p, t);
    }
    if ((e.action === 'create' || e.action === 'update') && e.outcome === 'success' && e.patientId && e.writes !== false) {
      this.created.add(t);
      grew = true;
    }
    if ((e.action === 'create' || e.action === 'update') && e.outcome === 'success' && e.chartWrite === true) {
      this.chartWrites.add(t);
      grew = true;
    }
    if (e.action === 'search' && e.outcome === 'success' && e.discovery !== false) {
      this.searches.add(t);
      grew = true;
    }
    for (const p of e.found ?? []) {
      this.found.add(p, t);
      grew ||= this.found.grew;
    }
    if (e.reason === 'no-care-relationship') {
      this.noCare.add(t);
      grew = true;
    }
    if (e.patientId && e.reason === 'no-care-relationship' && this.isVip(e.patientId) && !this.vipWithoutCare.includes(e.patientId)) {
      this.vipWithoutCare.push(e.patientId);
      grew = true;
    }
    // The calendar's patients are the day's work: their sensitive charts do not count (the ledger's rule).
    if (e.labels.length > 0 && e.outcome === 'success' && e.patientId && !(e.scheduled ?? []).includes(e.patientId)) {
      this.sensitive.add(e.patientId, t);
      grew ||= this.sensitive.grew;
    }
    if (e.sourceIp) {
      this.addresses.add(e.sourceIp, t);
      grew ||= this.addresses.grew;
    }
    if (e.sessionId) {
      this.sessions.add(e.sessionId, t);
      grew ||= this.sessions.grew;
    }
    if (e.practiceId) this.practiceId = e.practiceId;
    if (e.device) {
      this.devices.add(e.device, t);
      grew ||= this.devices.grew;
      if (e.sessionId) {
        const first = this.sessionDevice.get(e.sessionId);
        if (first === undefined) {
          this.sessionDevice.set(e.sessionId, e.device);
          if (this.sessionDevice.size > 32) this.sessionDevice.delete(this.sessionDevice.keys().next().value as string);
        } else if (first !== e.device && !this.copiedSessions.includes(e.sessionId)) {
          this.copiedSessions.push(e.sessionId);
          grew = true;
        }
      }
    }
    return grew;
  }
}

/** 22:00–06:59 Paris time (UTC+1, no DST here) counts as outside usual hours by default. */
export function defaultOffHours(at: Date): boolean {
  const h = (at.getUTCHours() + 1) % 24;
  return h >= 22 || h < 7;
}
