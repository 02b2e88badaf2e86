import { randomUUID } from 'node:crypto';
import { fourEyes } from '../access/policy.js';
import type { AuthService, Principal } from '../access/index.js';
import { appendAuditEvents, AuthRepository, type Database } from '../store/index.js';
import { DetectionReads } from '../store/detection.js';
import type { ActionOf } from '../audit/events.js';
import type { Detector } from './engine.js';

/**
 * What a security officer does to accounts and waves from the console: lock an account, lift a
 * lock with a second officer (the policy's four eyes), list the unlocks that wait, end a wave.
 * Each is audited; the detector of this instance applies it at once, the others hear it from the log.
 */
export class OfficerActions {
  constructor(
    private readonly db: Database,
    private readonly auth: AuthService,
    private readonly detector: Detector,
    private readonly clock: () => Date,
  ) {}

  private async setStatusAs(
    officer: Principal, userId: string, status: 'locked' | 'active', action: ActionOf<'Account'>, reason: string,
  ): Promise<boolean> {
    return this.db.transaction({ role: 'platform', practiceId: null, platform: true }, async (tx) => {
      const repo = new AuthRepository(tx);
      const a = await repo.accountById(userId);
      if (!a) return false;
      if (status === 'active') await repo.reactivate(userId);
      else await repo.setStatus(userId, status);
      await appendAuditEvents(tx, [
        {
          id: randomUUID(), at: this.clock(), practiceId: a.practiceId, userId: officer.userId, role: officer.role, sessionId: officer.sessionId,
          sourceIp: null, action, resourceType: 'Account', resourceId: userId, patientId: null, segment: 'security', labels: [],
          purpose: 'security', outcome: 'success', reason,
        },
      ]);
      return true;
    });
  }

  /** A security officer locks an account by hand: sessions end, the detector holds it. Audited. */
  async lock(officer: Principal, userId: string): Promise<boolean> {
    const found = await this.setStatusAs(officer, userId, 'locked', 'account.lock', 'locked by a security officer');
    if (found) {
      this.detector.impose(userId, 'lock', [{ rule: 'officer', response: 'lock', reason: 'locked by a security officer', evidence: { count: 1, window: 'now', examples: [] } }]);
      await this.auth.revokeAllSessions(userId, 'account locked by a security officer');
      this.auth.forgetAccount();
    }
    return found;
  }

  /**
   * A security officer lifts a suspension or a lock — with a second officer (four eyes, as for the
   * Art. 34 notices): a stolen officer account alone cannot give a stolen doctor back. The first
   * officer's call asks (audited, `account.unlock-request`), a different officer's call within a day
   * lifts (audited, `account.unlock`). The lift keeps the account's counters: it resumes with what
   * its windows have left, not with fresh budgets.
   */
  async unlock(officer: Principal, userId: string): Promise<'unlocked' | 'pending' | 'asked-again' | 'not-found'> {
    const at = this.clock();
    const asked = await this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const reads = new DetectionReads(tx);
      if (!(await reads.accountExists(userId))) return null;
      return reads.unlockRequests(userId, new Date(at.getTime() - UNLOCK_REQUEST_MS).toISOString());
    });
    if (asked === null) return 'not-found';
    const step = fourEyes(officer.userId, asked);
    if (step !== 'confirm') {
      const why = 'unlock asked by a security officer; a second officer must confirm it';
      await this.audited(officer, userId, 'account.unlock-request', why);
      // The same officer asking again is recorded too, and still lifts nothing: they are told why.
      return step === 'asked-again' ? 'asked-again' : 'pending';
    }
    const found = await this.setStatusAs(officer, userId, 'active', 'account.unlock', 'unlocked by two security officers');
    if (!found) return 'not-found';
    this.detector.release(userId, at);
    await this.auth.secondFactorReset(userId);
    this.auth.forgetAccount();
    return 'unlocked';
  }

  /**
   * The unlocks asked and not yet confirmed, of these accounts: for each account with a request, the
   * officers who asked (a different officer confirms). Requests older than a day have lapsed.
   */
  async unlockRequests(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const since = new Date(this.clock().getTime() - UNLOCK_REQUEST_MS).toISOString();
    return this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const reads = new DetectionReads(tx);
      const out = new Map<string, string[]>();
      for (const id of new Set(userIds)) {
        const by = await reads.unlockRequests(id, since);
        if (by.length > 0) out.set(id, [...new Set(by)]);
      }
      return out;
    });
  }

  /** The waves under way, for the console (ids only). */
  waves(): WaveView[] {
    return this.detector.activeWaves(this.clock()).map((w) => ({
      practiceId: w.practiceId, startedAt: w.startedAt.toISOString(), until: w.until.toISOString(),
      contained: w.contained.map((c) => ({ userId: c.userId, practiceId: c.practiceId, at: c.at.toISOString() })),
      held: [...w.held],
      reason: waveReason(w.practiceId, w.contained.length),
    }));
  }

  /** A security officer ends a wave; audited (`wave.end`), and heard by the other instances through the log. */
  async endWave(officer: Principal, practiceId: string | null): Promise<boolean> {
    const at = this.clock();
    if (!this.detector.endWave(practiceId, at)) return false;
    await this.db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) => appendAuditEvents(tx, [{
      id: randomUUID(), at, practiceId, userId: officer.userId, role: officer.role, sessionId: officer.sessionId,
      sourceIp: null, action: 'wave.end', resourceType: 'Practice', resourceId: practiceId, patientId: null, segment: 'security', labels: [],
      purpose: 'security', outcome: 'success', reason: 'wave ended by a security officer',
    }]));
    return true;
  }

  /** An officer's action on an account, audited alone (no status change). */
  private async audited(
    officer: Principal, userId: string, action: ActionOf<'Account'>, reason: string,
  ): Promise<void> {
    await this.db.transaction({ role: 'platform', practiceId: null, platform: true }, async (tx) => {
      const a = await new AuthRepository(tx).accountById(userId);
      await appendAuditEvents(tx, [{
        id: randomUUID(), at: this.clock(), practiceId: a?.practiceId ?? null, userId: officer.userId, role: officer.role, sessionId: officer.sessionId,
        sourceIp: null, action, resourceType: 'Account', resourceId: userId, patientId: null, segment: 'security', labels: [],
        purpose: 'security', outcome: 'success', reason,
      }]);
    });
  }
}

/** A wave as the console shows it (ids and times; no patient). */
export interface WaveView {
  readonly practiceId: string | null;
  readonly startedAt: string;
  readonly until: string;
  readonly contained: { userId: string; practiceId: string | null; at: string }[];
  readonly held: string[];
  readonly reason: string;
}

/** Why a wave holds, in French, for the officer. */
function waveReason(practiceId: string | null, contained: number): string {
  const where = practiceId === null ? 'de plusieurs cabinets' : 'de ce cabinet';
  return `${contained} comptes ${where} suspendus ou verrouillés en quelques minutes : les comptes qui se connectent ` +
    'depuis une nouvelle adresse doivent confirmer leur second facteur';
}

/** How long an officer's unlock request waits for a second officer. */
const UNLOCK_REQUEST_MS = 24 * 3_600_000;
