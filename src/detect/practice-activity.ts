import { DailyHistory, DAY, DistinctWindow, MINUTE } from './features.js';

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
  /** When each shared budget's contributors were last named (one alert per full window). */
  readonly attributedAt = new Map<string, number>();
  /** Who first brought each key into each shared window (attribution by contribution). */
  private readonly credits = new Map<DistinctWindow, Map<string, string>>();

  /** Adds a key to one of the practice's shared windows, crediting the account that brought it. */
  credit(win: DistinctWindow, windowMs: number, key: string, userId: string, now: number): void {
    if (!win.has(key, windowMs, now)) {
      let m = this.credits.get(win);
      if (!m) this.credits.set(win, (m = new Map()));
      m.set(key, userId);
      // Forget the credits of keys the window has let go (bounded by what the window holds).
      if (m.size > 2 * win.count(windowMs, now) + 64) for (const k of m.keys()) if (!win.has(k, windowMs, now)) m.delete(k);
    }
    win.add(key, now);
  }

  /** How much of a shared window each account brought, most first. */
  shares(win: DistinctWindow, windowMs: number, now: number): { userId: string; count: number }[] {
    const by = new Map<string, number>();
    for (const [k, u] of this.credits.get(win) ?? []) if (win.has(k, windowMs, now)) by.set(u, (by.get(u) ?? 0) + 1);
    return [...by].map(([userId, count]) => ({ userId, count })).sort((x, y) => y.count - x.count);
  }
}
