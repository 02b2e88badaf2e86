/**
 * Waves: when several staff accounts are contained within a short time (the 2025 pattern: many
 * accounts at once), accounts that show up from a network address they have not used in the past
 * week are asked for a fresh second factor, and held to newcomers' budgets, until the wave has
 * passed. A wave of one practice's accounts holds that practice; one whose containments span
 * several practices holds the platform. Which accounts count (not patients) and whom a wave holds
 * (engine.ts heldByWave) are the detector's; this file keeps the containments and the waves.
 */
const WAVE_CONTAINMENTS = 3;
const WAVE_WINDOW_MS = 10 * 60_000;
const WAVE_HOLD_MS = 60 * 60_000;

/** A wave under way: where (a practice, or the platform), since when, until when, why, and whom it held. */
export interface Wave {
  readonly practiceId: string | null;
  readonly startedAt: Date;
  readonly until: Date;
  /** The containments that started or extended it. */
  readonly contained: readonly { readonly userId: string; readonly practiceId: string | null; readonly at: Date }[];
  /** The accounts it asked for a step-up (new address during the wave). */
  readonly held: readonly string[];
}

interface Containment {
  userId: string;
  practiceId: string | null;
  at: number;
}

export interface WaveState {
  startedAt: number;
  until: number;
  contained: Containment[];
  held: Set<string>;
  /** The accounts it asked, with the address they were asked from ("user|ip"). */
  heldAt: Set<string>;
}

export class Waves {
  /** Staff containments of the last minutes (a wave's evidence). */
  private readonly containments: Containment[] = [];
  /** Waves under way, by practice id ('' for the platform). */
  private readonly waves = new Map<string, WaveState>();

  /** An account was contained: distinct accounts, not suspensions (suspended twice counts once). */
  contained(userId: string, practiceId: string | null, now: number): void {
    while (this.containments.length > 0 && now - this.containments[0]!.at > WAVE_WINDOW_MS) this.containments.shift();
    const again = this.containments.findIndex((c) => c.userId === userId);
    if (again >= 0) this.containments.splice(again, 1);
    this.containments.push({ userId, practiceId, at: now });
    const here = this.containments.filter((c) => c.practiceId === practiceId);
    if (practiceId !== null && here.length >= WAVE_CONTAINMENTS) this.extend(practiceId, here, now);
    const practices = new Set(this.containments.map((c) => c.practiceId ?? ''));
    if (practices.size >= WAVE_CONTAINMENTS) this.extend('', this.containments, now);
  }

  private extend(key: string, evidence: readonly Containment[], now: number): void {
    let w = this.waves.get(key);
    // A wave that was over starts again now; one still under way goes on (and keeps its start).
    if (!w || now >= w.until) {
      w = { startedAt: now, until: now, contained: [], held: new Set(), heldAt: new Set() };
      this.waves.set(key, w);
    }
    w.until = now + WAVE_HOLD_MS;
    for (const c of evidence) if (!w.contained.some((x) => x.userId === c.userId && x.at === c.at)) w.contained.push({ ...c });
  }

  /** The wave that covers an account of this practice now (its practice's, else the platform's). */
  covering(practiceId: string | null, now: number): WaveState | null {
    const own = practiceId !== null ? this.waves.get(practiceId) : undefined;
    if (own && now < own.until) return own;
    const all = this.waves.get('');
    return all && now < all.until ? all : null;
  }

  /** Whether a wave is under way (for this practice, or anywhere when none is named). */
  under(now: number, practiceId?: string | null): boolean {
    if (practiceId !== undefined) return this.covering(practiceId, now) !== null;
    for (const w of this.waves.values()) if (now < w.until) return true;
    return false;
  }

  /** The waves under way, for the security console. */
  active(now: number): Wave[] {
    const out: Wave[] = [];
    for (const [key, w] of this.waves) {
      if (now >= w.until) continue;
      out.push({
        practiceId: key === '' ? null : key, startedAt: new Date(w.startedAt), until: new Date(w.until),
        contained: w.contained.map((c) => ({ userId: c.userId, practiceId: c.practiceId, at: new Date(c.at) })),
        held: [...w.held],
      });
    }
    return out;
  }

  /**
   * A security officer ends a wave (a practice's, or the platform's with null): nobody is asked
   * for a step-up by it any more. The containments it counted do not start it again.
   */
  end(practiceId: string | null, at: number): boolean {
    const w = this.waves.get(practiceId ?? '');
    if (!w || at >= w.until) return false;
    w.until = at;
    const ended = new Set(w.contained.map((c) => `${c.userId}:${c.at}`));
    for (let i = this.containments.length - 1; i >= 0; i--) {
      const c = this.containments[i]!;
      if (ended.has(`${c.userId}:${c.at}`) || practiceId === null || c.practiceId === practiceId) this.containments.splice(i, 1);
    }
    return true;
  }
}
