import { Detector, type DisclosedPatient, type Response, type Thresholds } from '../detect/index.js';
import { SCENARIOS, type AttackRequest, type Scenario } from './scenarios.js';
import { HEAVY_KINDS, parisDay, type HeavyDay, type HeavyKind } from './heavy.js';
import { benignWorkload, type SimEvent, type SimPractice, type Workload } from './workload.js';

/** What an honest event's response would disclose, as the server's disclosure ledger is asked. */
function disclosedBy(e: SimEvent): DisclosedPatient[] {
  if (e.outcome !== 'success') return [];
  const one = { care: e.care, listed: null, sensitive: false };
  if (e.action === 'read' && e.patientId) return [{ ...one, patientId: e.patientId, identity: true, notes: [] }];
  // A search of one type of clinical resource discloses what it returned, sensitive if any is labelled.
  if (e.action === 'search' && e.patientId && e.resourceType) {
    const ids = e.resources ?? [];
    return ids.length === 0 ? [] : [{
      ...one, patientId: e.patientId, identity: false, notes: [], resources: ids, sensitive: e.labels.length > 0,
    }];
  }
  // A search in one patient's compartment returns their chart.
  if (e.action === 'search' && e.patientId) {
    return [{ ...one, patientId: e.patientId, identity: false, notes: [`${e.patientId}:chart`] }];
  }
  if (e.action === 'search') {
    return [
      ...(e.found ?? []).map((p) => ({ ...one, patientId: p, care: null, identity: false, listed: 'found' as const, notes: [] })),
      ...e.returned.map((p) => ({ ...one, patientId: p, identity: false, listed: 'broad' as const, notes: [] })),
    ];
  }
  return [];
}

export interface SimulateOptions {
  readonly days: number;
  readonly practices: number;
  readonly scenarios: readonly string[] | 'all';
  readonly seed?: number;
  readonly patientsPerPractice?: number;
  /** Budgets other than the detector's defaults, for what-if runs (never the committed report's). */
  readonly thresholds?: Thresholds;
}

export interface ScenarioReport {
  readonly name: string;
  readonly description: string;
  readonly accounts: number;
  readonly patientsExposed: number;
  readonly maxPatientsExposedPerAccount: number;
  readonly requestsServed: number;
  readonly firstAlertAfterSeconds: number | null;
  readonly containedAfterSeconds: number | null;
  readonly containedBy: Response | null;
  readonly stepUpsPassed: number;
}

/** One kind of heavy day (heavy.ts), and what the detector did on those days. */
export interface HeavyDayReport {
  readonly kind: HeavyKind;
  /** User-days of this kind, and every request of the account on those (Paris) days. */
  readonly userDays: number;
  readonly requests: number;
  readonly refused: number;
  /**
   * Of those, refused by a containment that began on an earlier day (a suspension holds until an
   * officer lifts it): the rest are the heavy days' own refusals.
   */
  readonly carriedOver: number;
  /** Alerts raised on those accounts on those days. */
  readonly alerted: number;
  readonly refusedByRule: Record<string, number>;
  readonly alertsByRule: Record<string, number>;
  /** The busiest such day: distinct patients, and those only standing care explains (the standing-day budget). */
  readonly maxPatients: number;
  readonly maxStandingPatients: number;
}

export interface SimulationReport {
  readonly generatedAt: string;
  readonly options: SimulateOptions;
  readonly benign: {
    readonly events: number; readonly userDays: number; readonly alerts: number; readonly alertsPer1000UserDays: number;
    readonly explainedShare: number; readonly stepUpsPerUserDay: number; readonly refusedRequests: number;
    readonly alertsByRule: Record<string, number>;
    /** What refused the honest requests: the gate's state (its first finding) or the ledger's budget. */
    readonly refusedByRule: Record<string, number>;
    /** Accounts whose baseline at the end is their own (5+ working days), their peers', or none. */
    readonly baselines: { readonly accounts: number; readonly own: number; readonly peers: number };
    /** The heavy days, each kind on its own line (a day may be of two kinds). */
    readonly heavyDays: HeavyDayReport[];
  };
  readonly scenarios: ScenarioReport[];
}

const CONTAINED: Response[] = ['suspend', 'lock'];

const bump = (m: Record<string, number>, k: string) => { m[k] = (m[k] ?? 0) + 1; };
const userDay = (userId: string, at: Date) => `${userId}|${parisDay(at.getTime())}`;

/**
 * Runs the benign workload through the real detector on a simulated clock, then each attack
 * scenario on top of it, and reports what the detector let through.
 */
export function simulate(o: SimulateOptions): SimulationReport {
  const start = new Date(Date.UTC(2026, 2, 2, 0, 0)); // a Monday
  const work = benignWorkload({
    seed: o.seed ?? 7, practices: o.practices, days: o.days, start,
    ...(o.patientsPerPractice ? { patientsPerPractice: o.patientsPerPractice } : {}),
  });
  const decoys = new Set(work.practices.flatMap((p) => p.decoys));
  const vips = new Set(work.practices.flatMap((p) => p.vips));

  // Benign traffic alone: alerts per user-day, refusals, step-ups.
  let alerts = 0;
  const alertsByRule: Record<string, number> = {};
  // Refusals and alerts per user-day, by rule: what the heavy days met.
  const dayAlerts = new Map<string, string[]>();
  const dayRefusals = new Map<string, string[]>();
  const note = (m: Map<string, string[]>, key: string, rule: string) => m.set(key, [...(m.get(key) ?? []), rule]);
  const detector = new Detector({
    isHoneytoken: (p) => decoys.has(p), isVip: (p) => vips.has(p),
    ...(o.thresholds ? { thresholds: o.thresholds } : {}),
    onAlert: (a) => {
      alerts++;
      for (const f of a.findings) bump(alertsByRule, f.rule);
      note(dayAlerts, userDay(a.userId, a.at), a.findings.map((f) => f.rule).join('+'));
    },
  });
  for (const p of work.probation) detector.probation(p.userId, p.until);
  let refused = 0;
  let stepUps = 0;
  const refusedByRule: Record<string, number> = {};
  // The user-day an account's refusals began on, while they last: later days' refusals are carried over.
  const refusedSince = new Map<string, string>();
  const carried = new Map<string, number>();
  for (const e of work.events) {
    const s = detector.state(e.userId, e.at);
    let why: string | null = null;
    if (s.response === 'throttle' || CONTAINED.includes(s.response)) why = s.findings[0]?.rule ?? s.response;
    else {
      // The disclosure ledger, before the response is sent: a cut or refused response is a refusal.
      const d = disclosedBy(e);
      const a = d.length > 0 ? detector.admit(e.userId, e.role ?? null, e.practiceId, d, e.at) : null;
      if (a && a.admitted < d.length) why = a.stop?.rule ?? 'ledger';
    }
    const today = userDay(e.userId, e.at);
    if (why !== null) {
      refused++;
      bump(refusedByRule, why);
      note(dayRefusals, today, why);
      const since = refusedSince.get(e.userId) ?? today;
      refusedSince.set(e.userId, since);
      if (since !== today) carried.set(today, (carried.get(today) ?? 0) + 1);
    } else refusedSince.delete(e.userId);
    if (s.response === 'step-up') stepUps++;
    detector.observe(e);
  }
  const explained = work.events.filter((e) => e.explained).length;
  // What the detector learned: accounts judged against their own history, or their peers'.
  const endAt = new Date(start.getTime() + o.days * 86_400_000);
  const users = new Set(work.events.map((e) => e.userId));
  const learned = [...users].map((u) => detector.baseline(u, endAt));

  const chosen = o.scenarios === 'all' ? SCENARIOS : SCENARIOS.filter((s) => o.scenarios.includes(s.name));
  const scenarios = chosen.map((s) => runScenario(s, work, { decoys, vips }, start, o.days, o.thresholds));
  return {
    generatedAt: new Date().toISOString(),
    options: o,
    benign: {
      events: work.events.length, userDays: work.userDays, alerts,
      alertsPer1000UserDays: work.userDays === 0 ? 0 : (alerts / work.userDays) * 1000,
      explainedShare: work.events.length === 0 ? 1 : explained / work.events.length,
      stepUpsPerUserDay: work.userDays === 0 ? 0 : stepUps / work.userDays,
      refusedRequests: refused,
      alertsByRule,
      refusedByRule,
      baselines: {
        accounts: users.size, own: learned.filter((b) => b?.source === 'own').length,
        peers: learned.filter((b) => b?.source === 'peers').length,
      },
      heavyDays: heavyDayReports(work.heavyDays, work.events, dayRefusals, carried, dayAlerts),
    },
    scenarios,
  };
}

/** Each kind of heavy day: its user-days, their requests, and what was refused or alerted on them. */
function heavyDayReports(
  days: readonly HeavyDay[], events: readonly SimEvent[], refusals: Map<string, string[]>,
  carried: Map<string, number>, alerts: Map<string, string[]>,
): HeavyDayReport[] {
  const byDay = new Map<string, SimEvent[]>();
  const wanted = new Set(days.map((d) => `${d.userId}|${d.day}`));
  for (const e of events) {
    const k = userDay(e.userId, e.at);
    if (wanted.has(k)) byDay.set(k, [...(byDay.get(k) ?? []), e]);
  }
  return HEAVY_KINDS.map((kind) => {
    const keys = [...new Set(days.filter((d) => d.kind === kind).map((d) => `${d.userId}|${d.day}`))];
    const refusedByRule: Record<string, number> = {};
    const alertsByRule: Record<string, number> = {};
    let requests = 0;
    let carriedOver = 0;
    let maxPatients = 0;
    let maxStandingPatients = 0;
    for (const k of keys) {
      const es = byDay.get(k) ?? [];
      requests += es.length;
      carriedOver += carried.get(k) ?? 0;
      for (const r of refusals.get(k) ?? []) bump(refusedByRule, r);
      for (const r of alerts.get(k) ?? []) bump(alertsByRule, r);
      maxPatients = Math.max(maxPatients, new Set(es.flatMap((e) => (e.patientId ? [e.patientId] : []))).size);
      maxStandingPatients = Math.max(maxStandingPatients, new Set(es.flatMap((e) => e.standing ?? [])).size);
    }
    const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
    return {
      kind, userDays: keys.length, requests, refused: sum(refusedByRule), carriedOver, alerted: sum(alertsByRule),
      refusedByRule, alertsByRule, maxPatients, maxStandingPatients,
    };
  });
}

function runScenario(
  s: Scenario, work: Workload, watched: { decoys: Set<string>; vips: Set<string> }, start: Date, days: number,
  thresholds: Thresholds | undefined,
): ScenarioReport {
  const { practices, events: benign, careOf } = work;
  const targets = (s.accounts === 'all' ? practices : practices.slice(0, s.accounts)).filter((p) => p.practitioners.length > 0);
  const victims = new Set(targets.map((p) => p.practitioners[0]!));
  let firstAlert: number | null = null;
  const detector = new Detector({
    isHoneytoken: (p) => watched.decoys.has(p), isVip: (p) => watched.vips.has(p),
    ...(thresholds ? { thresholds } : {}),
    onAlert: (a) => { if (victims.has(a.userId) && firstAlert === null) firstAlert = a.at.getTime(); },
  });
  // The locums' probation, as in the honest run: the honest traffic underneath is the same.
  for (const p of work.probation) detector.probation(p.userId, p.until);
  // The attack starts on the last simulated day; the days before are the account's honest history.
  let end = start.getTime() + days * 86_400_000;
  let attackStart = start.getTime() + (s.startDay === 'last' ? days - 1 : 0) * 86_400_000 + s.startSecond * 1000;
  // A copied session is replayed while it is alive: ten minutes after the victim's last honest
  // request of the simulated days (session lifetime 12 h), with that request's session.
  const victimSession = new Map<string, string>();
  if (s.victimSession) {
    const firstVictim = targets[0]?.practitioners[0];
    const last = [...benign].reverse().find((e) => e.userId === firstVictim);
    if (last) attackStart = last.at.getTime() + 10 * 60_000;
    end = Math.max(end, attackStart + 86_400_000);
    for (const e of benign) if (victims.has(e.userId) && e.sessionId && e.at.getTime() < attackStart) victimSession.set(e.userId, e.sessionId);
  }
  // Honest traffic goes on around the attack, fed in time order.
  let b = 0;
  const feedUntil = (t: number) => {
    while (b < benign.length && benign[b]!.at.getTime() <= t) detector.observe(benign[b++]!);
  };
  feedUntil(attackStart);
  const perAccount = new Map<string, Set<string>>();
  let served = 0;
  let stepUps = 0;
  let containedAt: number | null = null;
  let containedBy: Response | null = null;
  const iters: { p: SimPractice; user: string; it: Iterator<AttackRequest>; t: number; done: boolean; pending?: IteratorResult<AttackRequest> | undefined }[] = targets.map((p) => ({
    p, user: p.practitioners[0]!, it: s.requests(p, practices, [...(careOf.get(p.practitioners[0]!) ?? [])])[Symbol.iterator](), t: attackStart, done: false,
  }));
  // Requests of all compromised accounts, interleaved in time (capped at 50,000 per account).
  for (let round = 0; round < 50_000 && iters.some((x) => !x.done); round++) {
    for (const x of iters) {
      if (x.done || x.t > end) { x.done = true; continue; }
      feedUntil(x.t);
      const pending = x.pending ?? x.it.next();
      x.pending = pending;
      if (pending.done) { x.done = true; continue; }
      const state = detector.state(x.user, new Date(x.t), pending.value.sourceIp);
      if (CONTAINED.includes(state.response)) {
        x.done = true;
        if (containedAt === null || x.t > containedAt) { containedAt = x.t; containedBy = state.response; }
        continue;
      }
      if (state.response === 'throttle') { x.t = Math.max(x.t + 1000, state.until?.getTime() ?? x.t + 60_000); continue; }
      if (state.response === 'step-up') stepUps++;
      const r = pending.value;
      x.pending = undefined;
      served++;
      const mine = careOf.get(x.user);
      // The disclosure ledger cuts the response before it leaves: only what it admits is exposed.
      const asked: DisclosedPatient[] = r.patients.map((p) => ({
        patientId: p, care: r.specific ? null : mine?.has(p) ? 'standing' : 'none', identity: r.action === 'read', listed: r.action === 'search' ? (r.specific ? 'found' : 'broad') : null, notes: [], sensitive: false,
      }));
      // The thief's own browser is a client the doctor never approved; a copied session is the doctor's.
      const admitted = detector.admit(x.user, 'practitioner', x.p.id, asked, new Date(x.t), r.victimSession !== true).admitted;
      const seen = perAccount.get(x.user) ?? new Set<string>();
      for (const p of r.patients.slice(0, admitted)) seen.add(p);
      perAccount.set(x.user, seen);
      // The attacker's browser is not the doctor's: a session of its own, or the doctor's copied one.
      const sessionId = r.victimSession ? (victimSession.get(x.user) ?? `${x.user}-attack`) : `${x.user}-attack`;
      detector.observe({ at: new Date(x.t), userId: x.user, sessionId, device: 'attacker-browser', practiceId: x.p.id, action: r.action, outcome: 'success',
        patientId: r.action === 'read' ? (r.patients[0] ?? null) : null, returned: r.action === 'search' && !r.specific ? r.patients : [], labels: [], reason: null, sourceIp: r.sourceIp,
        role: 'practitioner', unexplained: r.specific ? [] : r.patients.filter((p) => !mine?.has(p)), ...(r.specific ? { found: r.patients } : {}) });
      x.t += s.everySeconds * 1000;
      // Low and slow works office hours only.
      if (s.name === 'low-and-slow') {
        const h = new Date(x.t).getUTCHours() + 1;
        if (h >= 18) x.t = Math.floor(x.t / 86_400_000) * 86_400_000 + 86_400_000 + 8 * 3_600_000;
      }
    }
  }
  const exposed = [...perAccount.values()].reduce((n, v) => n + v.size, 0);
  return {
    name: s.name, description: s.description, accounts: targets.length, patientsExposed: exposed,
    maxPatientsExposedPerAccount: Math.max(0, ...[...perAccount.values()].map((v) => v.size)), requestsServed: served,
    firstAlertAfterSeconds: firstAlert === null ? null : Math.max(0, (firstAlert - attackStart) / 1000),
    containedAfterSeconds: containedAt === null ? null : (containedAt - attackStart) / 1000, containedBy, stepUpsPassed: stepUps,
  };
}
