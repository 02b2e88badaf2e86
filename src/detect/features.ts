/**
 * Per-account features over the stream of committed audit events, in sliding windows. Memory is
 * bounded: a map of the distinct patients each account touched (last time seen), pruned past the
 * longest window, and minute buckets for counts.
 */
export interface AccessEvent {
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
  readonly labels: readonly string[];
  readonly reason: string | null;
  readonly sourceIp: string | null;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/** Distinct values with their last sighting; counts within any window up to `horizon`. */
export class DistinctWindow {
  private readonly seen = new Map<string, number>();
  constructor(private readonly horizonMs: number) {}

  add(key: string, at: number): void {
    this.seen.delete(key);
    this.seen.set(key, at); // insertion order = recency order
    this.prune(at);
  }

  private prune(now: number): void {
    for (const [k, t] of this.seen) {
      if (now - t <= this.horizonMs) break;
      this.seen.delete(k);
    }
  }

  /** How many distinct values were seen in the last `windowMs` before `now`. */
  count(windowMs: number, now: number): number {
    let n = 0;
    for (const t of [...this.seen.values()].reverse()) {
      if (now - t > windowMs) break;
      n++;
    }
    return n;
  }

  /** Some of the values seen in the window (evidence for an alert). */
  sample(windowMs: number, now: number, max = 5): string[] {
    const out: string[] = [];
    for (const [k, t] of [...this.seen.entries()].reverse()) {
      if (now - t > windowMs || out.length >= max) break;
      out.push(k);
    }
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

/** Everything the rules look at for one account. */
export class AccountFeatures {
  readonly patients = new DistinctWindow(WEEK);
  readonly disclosed = new DistinctWindow(DAY); // identities returned by searches
  readonly noCare = new CountWindow(DAY);
  readonly sensitive = new DistinctWindow(WEEK);
  readonly offHours = new DistinctWindow(DAY);
  readonly addresses = new DistinctWindow(WEEK);
  readonly sessions = new DistinctWindow(DAY);
  honeytokens: string[] = [];
  vipWithoutCare: string[] = [];

  constructor(
    /** Whether a time is outside the account's usual hours (Paris time by default). */
    private readonly offHoursAt: (at: Date) => boolean,
    private readonly isHoneytoken: (patientId: string) => boolean,
    private readonly isVip: (patientId: string) => boolean,
  ) {}

  observe(e: AccessEvent): void {
    const t = e.at.getTime();
    // Opening a decoy's record is the tell; a decoy merely listed among search results is not
    // (a doctor typing a common name would trip it) — broad listing is the volume rules' job.
    if (e.patientId && this.isHoneytoken(e.patientId)) this.honeytokens.push(e.patientId);
    const touched = [...(e.patientId ? [e.patientId] : []), ...e.returned];
    for (const p of touched) {
      if (e.outcome !== 'success') continue;
      this.patients.add(p, t);
      if (this.offHoursAt(e.at)) this.offHours.add(p, t);
    }
    for (const p of e.returned) this.disclosed.add(p, t);
    if (e.reason === 'no-care-relationship') this.noCare.add(t);
    if (e.patientId && e.reason === 'no-care-relationship' && this.isVip(e.patientId)) this.vipWithoutCare.push(e.patientId);
    if (e.labels.length > 0 && e.outcome === 'success' && e.patientId) this.sensitive.add(e.patientId, t);
    if (e.sourceIp) this.addresses.add(e.sourceIp, t);
    if (e.sessionId) this.sessions.add(e.sessionId, t);
  }
}

/** 22:00–06:59 Paris time (UTC+1, no DST here) counts as outside usual hours by default. */
export function defaultOffHours(at: Date): boolean {
  const h = (at.getUTCHours() + 1) % 24;
  return h >= 22 || h < 7;
}
