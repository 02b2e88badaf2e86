/**
 * Sliding windows the detector counts in, with bounded memory: distinct values per window (the
 * patients an account touched, last sighting kept, pruned past the longest window), a few distinct
 * values (clients, addresses), minute buckets for counts, and the learned daily baseline.
 */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/** Working days a baseline needs before it is used. */
export const MIN_BASELINE_DAYS = 5;

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
