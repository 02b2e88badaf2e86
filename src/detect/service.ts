import { randomUUID } from 'node:crypto';
import { AccessError } from '../access/errors.js';
import {
  freshAuthentication, freshSecondFactor, networkOf, secondFactorUsed, type Principal,
} from '../access/index.js';
import type { AuthService } from '../access/index.js';
import { appendAuditEvents, AuthRepository, detached, type AuditEventInput, type Database } from '../store/index.js';
import { DetectionReads, insertAlert } from '../store/detection.js';
import { honeytokens } from '../store/honeytokens.js';
import { accountFact, PROBATION_MS } from './account-facts.js';
import { toAccess } from './access-event.js';
import { Detector, type Alert } from './engine.js';
import { DEFAULT_THRESHOLDS, worse, type Finding, type Response, type Thresholds } from './rules.js';
import type { DisclosedPatient } from './ledger.js';
import { explain, explainState } from './explain.js';
import { LocalEventBus, type EventBus } from './bus.js';
import { OfficerActions } from './officer.js';

export type { WaveView } from './officer.js';

/**
 * Detection wired to medvault: committed audit events feed the detector; the gate applies the
 * account's state before a request reads data; escalations become alerts (persisted, with their
 * reasons and evidence); a lock locks the account in the database and ends its sessions.
 * State lives in this process for now (one API instance).
 */
export class DetectionService {
  readonly detector: Detector;
  /** The officer's actions on accounts and waves (lock, four-eyes unlock, end of a wave). */
  readonly officer: OfficerActions;
  private honeytokens = new Set<string>();
  private vips = new Set<string>();
  private pending: Promise<unknown> = Promise.resolve();
  /** Alerts are raised by the instance that committed the event, not by every instance that hears of it. */
  private local = false;
  /** Events and alerts counted here (own, from the bus, from the database), by id. */
  private readonly seenIds = new Set<string>();
  private lastSeq = 0;
  private lastAlertAt = new Date(0);
  private syncTimer: NodeJS.Timeout | null = null;
  /** Told of patients shredded by another process (the operator's CLI, another instance). */
  private shredded: ((practiceId: string, patientId: string) => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly auth: AuthService,
    private readonly clock: () => Date,
    thresholds: Partial<Thresholds> = {},
    private readonly bus: EventBus = new LocalEventBus(),
    /** Where alerts also go, as JSON (MEDVAULT_ALERT_WEBHOOK_URL): a SIEM, an on-call tool. */
    private readonly webhook: string | null = null,
  ) {
    this.detector = new Detector({
      thresholds: { ...DEFAULT_THRESHOLDS, ...thresholds },
      isHoneytoken: (p) => this.honeytokens.has(p),
      isVip: (p) => this.vips.has(p),
      newId: randomUUID,
      onAlert: (a) => {
        if (!this.local) return;
        // This instance applied it already: the catch-up from the database must not apply it again
        // (regression: an alert written after an officer's unlock re-suspended the account).
        this.remember(`alert:${a.id}`);
        // Outside the request's unit of work (a transaction Bundle): a suspension outlives its rollback.
        this.pending = this.pending.then(() => detached(() => this.raise(a))).catch(() => undefined);
      },
    });
    this.officer = new OfficerActions(db, auth, this.detector, clock);
  }

  /**
   * Loads the decoys, replays the last four weeks of the audit log (a restart must not reset the
   * accounts' budgets), re-imposes the locks, and starts hearing the other instances.
   */
  async load(): Promise<void> {
    await this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const reads = new DetectionReads(tx);
      const h = await honeytokens(tx);
      this.honeytokens = new Set(h.filter((r) => r.kind === 'decoy').map((r) => r.patient_id));
      this.vips = new Set(h.filter((r) => r.kind === 'vip').map((r) => r.patient_id));
      // Four weeks: the longest window (a week) and the learned baselines (28 working days at most).
      const since = new Date(this.clock().getTime() - 28 * 86_400_000).toISOString();
      const events = await reads.accountEventsSince(since);
      for (const row of events) this.lastSeq = Math.max(this.lastSeq, Number(row.seq));
      this.lastSeq = Math.max(this.lastSeq, await reads.lastSeq());
      this.lastAlertAt = new Date(this.clock().getTime());
      for (const row of events) {
        this.remember(row.id as string);
        // Account events, in their place in time: an officer's unlock lifts what came before it
        // (regression: the replay brought back the state an officer had lifted, silently), an
        // approval starts the probation that the events after it are counted under.
        accountFact(this.detector, row);
        this.detector.observe(toAccess({
          id: row.id as string, at: new Date(row.at as Date), userId: row.user_id as string, sessionId: row.session_id as string | null, practiceId: row.practice_id as string | null,
          action: row.action as string, outcome: row.outcome as AuditEventInput['outcome'], patientId: row.patient_id as string | null,
          resourceType: row.resource_type as string | null, resourceId: row.resource_id as string | null, detail: row.detail as Record<string, unknown> | undefined, labels: row.labels as AuditEventInput['labels'],
          reason: row.reason as string | null, sourceIp: row.source_ip as string | null, role: row.role as string | null,
          purpose: row.purpose as AuditEventInput['purpose'],
        }));
      }
      for (const id of await reads.lockedAccounts()) this.detector.impose(id, 'lock');
      // Suspensions hold until a security officer lifts them, restarts included: the last
      // suspension of each account in the four weeks, unless an unlock came after it (regression:
      // a restart lifted them, and the budgets, which stop at their limit, never re-fire).
      for (const u of await reads.standingSuspensions(since)) {
        if (this.detector.state(u.user_id, this.clock()).response !== 'lock') this.detector.impose(u.user_id, 'suspend', u.findings);
      }
      const recent = await reads.approvedSince(new Date(this.clock().getTime() - PROBATION_MS));
      for (const u of recent) this.detector.probation(u.id, new Date(new Date(u.approved_at).getTime() + PROBATION_MS));
    });
    await this.bus.subscribe((events) => {
      for (const e of events) {
        if (e.id !== undefined && !this.remember(e.id)) continue;
        this.detector.observe(e);
      }
    });
  }

  /**
   * Several instances (Redis as a dependency with a contract): the database is the source
   * of truth. Every `ms`, the events other instances committed (that the bus did not bring, as
   * during a Redis outage) are read from the audit log and counted, and the suspensions, locks and
   * unlocks they decided are applied here — so that an account contained on one instance is
   * contained on all, whatever happened to the bus.
   */
  startSync(ms: number): void {
    if (this.syncTimer !== null) return;
    let running = false;
    this.syncTimer = setInterval(() => {
      if (running) return;
      running = true;
      void this.sync().catch(() => undefined).finally(() => (running = false));
    }, ms);
    this.syncTimer.unref();
  }

  /**
   * What to do when the audit log shows a patient shredded elsewhere: the vault forgets its key
   * in memory (a cache must not keep opening what a shred destroyed).
   */
  onShred(fn: (practiceId: string, patientId: string) => void): void {
    this.shredded = fn;
  }

  /** One catch-up from the database (see startSync); returns how many events were new here. */
  async sync(): Promise<number> {
    const out = await this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      // Sequence numbers are taken before commit: look back a little for late commits (ids dedupe).
      // Ids first (cheap): only the events not counted here yet are read whole.
      const reads = new DetectionReads(tx);
      const ids = await reads.eventIdsAfter(Math.max(0, this.lastSeq - 200));
      for (const r of ids) this.lastSeq = Math.max(this.lastSeq, Number(r.seq));
      const unseen = ids.filter((r) => !this.seenIds.has(r.id)).map((r) => r.id);
      const events = unseen.length === 0 ? [] : await reads.eventsById(unseen);
      const alerts = await reads.alertsSince(new Date(this.lastAlertAt.getTime() - 60_000));
      return { events, alerts };
    });
    let added = 0;
    const ops: { at: number; apply: () => void }[] = [];
    for (const row of out.events) {
      this.lastSeq = Math.max(this.lastSeq, Number(row.seq));
      if (!this.remember(row.id as string)) continue;
      added++;
      if (row.action === 'patient.shred' && typeof row.practice_id === 'string' && typeof row.patient_id === 'string') this.shredded?.(row.practice_id, row.patient_id);
      // In order with the events around it (events after an unlock count after it).
      accountFact(this.detector, row);
      if (row.user_id === null) continue;
      this.detector.observe(toAccess({
        id: row.id as string, at: new Date(row.at as Date), userId: row.user_id as string, sessionId: row.session_id as string | null, practiceId: row.practice_id as string | null,
        action: row.action as string, outcome: row.outcome as AuditEventInput['outcome'], patientId: row.patient_id as string | null,
        resourceType: row.resource_type as string | null, resourceId: row.resource_id as string | null, detail: row.detail as Record<string, unknown> | undefined, labels: row.labels as AuditEventInput['labels'],
        reason: row.reason as string | null, sourceIp: row.source_ip as string | null, role: row.role as string | null, purpose: row.purpose as AuditEventInput['purpose'],
      }));
    }
    for (const a of out.alerts) {
      this.lastAlertAt = new Date(Math.max(this.lastAlertAt.getTime(), new Date(a.at).getTime()));
      if (!this.remember(`alert:${a.id}`)) continue;
      if (a.response !== 'suspend' && a.response !== 'lock') continue;
      const response = a.response;
      ops.push({ at: new Date(a.at).getTime(), apply: () => {
        // An unlock after the alert (seen in an earlier catch-up, or made here) has lifted it.
        if (this.detector.releasedAfter(a.user_id, new Date(a.at))) return;
        const current = this.detector.state(a.user_id, this.clock()).response;
        if (worse(current, response) !== current) this.detector.impose(a.user_id, response, a.findings);
      } });
    }
    ops.sort((x, y) => x.at - y.at);
    for (const op of ops) op.apply();
    if (ops.length > 0) this.auth.forgetAccount();
    return added;
  }

  /** Notes an event (or alert) id as counted here; false if it already was. Bounded memory. */
  private remember(id: string): boolean {
    if (this.seenIds.has(id)) return false;
    this.seenIds.add(id);
    if (this.seenIds.size > 300_000) {
      let n = 0;
      for (const old of this.seenIds) {
        this.seenIds.delete(old);
        if (++n >= 50_000) break;
      }
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    this.syncTimer = null;
    await this.settle();
    await this.bus.close();
  }

  /** Alerts and their side effects, after the fact (never in the request's transaction). */
  private async raise(a: Alert): Promise<void> {
    await this.db.transaction({ role: 'auditWriter', practiceId: a.practiceId }, (tx) => insertAlert(tx, a));
    if (this.webhook) await this.notify(a);
    if (a.response === 'lock' || a.response === 'suspend') {
      if (a.response === 'lock') {
        await this.db.transaction({ role: 'platform', practiceId: null, platform: true }, async (tx) => {
          await new AuthRepository(tx).setStatus(a.userId, 'locked');
          await appendAuditEvents(tx, [systemEvent(a, 'account.lock', this.clock())]);
        });
      }
      await this.auth.revokeAllSessions(a.userId, a.response === 'lock' ? 'account locked by detection' : 'suspended by detection');
      this.auth.forgetAccount();
    }
  }

  /** Posts the alert (identifiers, reasons and evidence; no patient data) to the webhook; failures are not fatal. */
  private async notify(a: Alert): Promise<void> {
    try {
      await fetch(this.webhook as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: a.id, at: a.at.toISOString(), userId: a.userId, practiceId: a.practiceId, action: a.response, reasons: a.findings.map((f) => f.reason), evidence: a.findings.map((f) => ({ rule: f.rule, ...f.evidence })) }),
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      // The alert is stored and listed; a webhook outage does not stop containment.
    }
  }

  /** Waits for alert side effects in flight (tests, shutdown). */
  settle(): Promise<unknown> {
    return this.pending;
  }

  /** Feeds this instance's committed events to its detector and to the other instances. */
  observe(events: readonly AuditEventInput[]): void {
    for (const e of events) this.remember(e.id);
    const access = events.filter((e) => e.userId !== null).map((e) => toAccess(e as Required<Pick<AuditEventInput, 'userId'>> & AuditEventInput));
    this.local = true;
    try {
      for (const e of access) this.detector.observe(e);
    } finally {
      this.local = false;
    }
    this.bus.publish(access);
  }

  /**
   * The disclosure ledger for one response, before it is sent: how many of these patients (in
   * order) it may disclose, and the refusal for the rest (the budget's rung, now the account's
   * state). A patient's reads of their own record are not budgeted.
   */
  admit(p: Principal, patients: readonly DisclosedPatient[], at: Date, sourceIp: string | null = null): { admitted: number; refusal: AccessError | null } {
    if (p.role === 'patient' || patients.length === 0) return { admitted: patients.length, refusal: null };
    this.local = true;
    let a;
    try {
      a = this.detector.admit(p.userId, p.role, p.practiceId, patients, at, p.clientApproved !== true, sourceIp);
    } finally {
      this.local = false;
    }
    if (a.stop === null) return { admitted: a.admitted, refusal: null };
    if (a.shared) {
      // The practice's shared budget: this account is not held for what others spent.
      const refusal = new AccessError('practice_budget', Math.ceil(a.shared.retryAfterMs / 1000), explain(a.stop));
      return { admitted: a.admitted, refusal };
    }
    if (a.refuseOnly === true) {
      // Refused, not held: the account's charts stay open while this budget's window frees a place.
      return { admitted: a.admitted, refusal: new AccessError('throttled', Math.ceil((a.retryAfterMs ?? 60_000) / 1000), explain(a.stop)) };
    }
    const s = this.detector.state(p.userId, at);
    return { admitted: a.admitted, refusal: refusalOf(s.response, a.stop, s, at) };
  }

  /** When each session last moved to another network (a step-up there). */
  private readonly moves = new Map<string, number>();

  /**
   * A bearer session moved to another network after a step-up: an alert; moved again within ten
   * minutes (back and forth between two networks), it is one token in two hands: suspended.
   */
  sessionMoved(userId: string, practiceId: string | null, sessionId: string): void {
    const now = this.clock().getTime();
    const last = this.moves.get(sessionId);
    this.moves.set(sessionId, now);
    if (this.moves.size > 10_000) this.moves.delete(this.moves.keys().next().value as string);
    if (last !== undefined && now - last < 10 * 60_000) {
      const reason = 'one session was used from two different networks, back and forth (a copied token)';
      this.flag(userId, practiceId, { rule: 'session-device', response: 'suspend', reason, evidence: { count: 2, window: '10 min', examples: [] } });
      return;
    }
    this.accountEvent(userId, practiceId, 'session-moved');
  }

  /** Raises an alert and applies its rung for what authentication saw (second-factor guessing). */
  flag(userId: string, practiceId: string | null, finding: Finding): void {
    this.local = true;
    try {
      this.detector.flag(userId, practiceId, [finding], this.clock());
    } finally {
      this.local = false;
    }
  }

  /**
   * An account was created, approved, or had its second factor reset: always an alert (minted
   * accounts are how an insider would multiply budgets). An approved account starts on
   * probation: half budgets for 14 days.
   */
  accountEvent(userId: string, practiceId: string | null, what: 'created' | 'approved' | 'reset' | 'dpop-relaxed' | 'client-new' | 'session-moved'): void {
    const now = this.clock();
    if (what === 'approved') this.detector.probation(userId, new Date(now.getTime() + PROBATION_MS));
    const reason = {
      created: 'a new account was created (pending enrolment and approval)',
      approved: 'a new account was approved (on probation: half budgets for 14 days)',
      reset: 'the second factor was reset (new enrolment link)',
      'dpop-relaxed': 'a practice admin stopped requiring DPoP-bound sessions',
      'client-new': 'the account logged in from a client it never used (not approved: the calendar explains nothing from it)',
      'session-moved': 'a session was used from another network and moved there with a fresh second factor (a copied token, or a laptop on the move)',
    }[what];
    this.local = true;
    try {
      this.detector.flag(userId, practiceId, [{ rule: `account-${what}`, response: 'alert', reason, evidence: { count: 1, window: 'now', examples: [] } }], now, true);
    } finally {
      this.local = false;
    }
  }

  /** Before a request reads data: the account's state decides whether it goes on. */
  gate(p: Principal, sourceIp: string | null = null, client: string | null = null): void {
    const now = this.clock();
    // A session is bound to the client that opened it: its token from another client (or from
    // one that hides its user agent) is a copy. Refused before anything is read, and suspended.
    if (client !== null && p.client !== undefined && client !== p.client) {
      const copied: Finding = {
        rule: 'session-device', response: 'suspend',
        reason: 'one session was used from two different clients (a copied token)',
        evidence: { count: 1, window: 'session', examples: [] },
      };
      this.flag(p.userId, p.practiceId, copied);
      throw new AccessError('session_suspended', undefined, explain(copied));
    }
    // A bearer token (not sender-constrained) used from another network than its session's: it may
    // have been copied, user agent and all. The second factor decides, before any data; a step-up
    // moves the session to this network (access/auth.ts).
    if (p.network !== undefined && sourceIp !== null && networkOf(sourceIp) !== p.network) {
      const why = 'Ce jeton est utilisé depuis un autre réseau que celui où la session a été ouverte.';
      throw new AccessError('step_up_required', undefined, why);
    }
    const s = this.detector.state(p.userId, now, sourceIp, p.role, p.practiceId);
    // The person refused is told why, in French: the finding that put the account on its rung.
    const why = () => explainState(s.findings, s.response) ?? undefined;
    switch (s.response) {
      case 'lock':
        throw new AccessError('account_locked', undefined, why());
      case 'suspend':
        throw new AccessError('session_suspended', undefined, why());
      case 'throttle':
        throw new AccessError('throttled', secondsUntil(s.until, now), why());
      case 'step-up':
        // An account without a second factor (an assistant) cannot step up: a security officer
        // approves its device instead (and a code typed in vain would count as a guess).
        if (s.stepUpSince !== undefined && !secondFactorUsed(p)) throw new AccessError('device_approval_required', undefined, why());
        // A wave asks for a second factor given since it began: a session from before it is not
        // enough, nor a password alone.
        if (s.stepUpSince !== undefined ? !freshSecondFactor(p, now, s.stepUpSince) : !freshAuthentication(p, now)) {
          throw new AccessError('step_up_required', undefined, why());
        }
        return;
      default:
        return;
    }
  }

  /** Sets an account's status as a security officer, audited in the same transaction; false if no such account. */
}

/** Seconds until a throttle lifts (at least one: a Retry-After of 0 would invite a retry loop). */
function secondsUntil(until: Date | null, now: Date): number {
  return Math.max(1, Math.ceil(((until?.getTime() ?? now.getTime()) - now.getTime()) / 1000));
}

/**
 * The error a budget's rung gives the request it stopped, with why in French: the budget, unless
 * the account was already on a worse rung for another reason.
 */
function refusalOf(
  state: Response, stop: Finding, s: { findings: readonly Finding[]; until: Date | null }, now: Date,
): AccessError {
  const r = worse(state, stop.response);
  const why = r === stop.response ? explain(stop) : (explainState(s.findings, r) ?? explain(stop));
  if (r === 'lock') return new AccessError('account_locked', undefined, why);
  if (r === 'suspend') return new AccessError('session_suspended', undefined, why);
  const wait = Math.max(1, Math.ceil(((s.until?.getTime() ?? now.getTime() + 60_000) - now.getTime()) / 1000));
  return new AccessError('throttled', wait, why);
}

function systemEvent(a: Alert, action: 'account.lock', at: Date): AuditEventInput {
  return {
    id: randomUUID(), at, practiceId: a.practiceId, userId: null, role: 'system', sessionId: null, sourceIp: null, action,
    resourceType: 'Account', resourceId: a.userId, patientId: null, segment: 'security', labels: [], purpose: 'security', outcome: 'success',
    reason: a.findings.map((f) => f.reason).join('; ').slice(0, 500), detail: { alert: a.id },
  };
}
