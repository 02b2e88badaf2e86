import { Detector, type AccessEvent, type DisclosedPatient, type Response } from '../detect/index.js';
import { SCENARIOS, type AttackRequest, type Scenario } from './scenarios.js';
import { benignWorkload, type SimEvent, type SimPractice } from './workload.js';

/** What an honest event's response would disclose, as the server's disclosure ledger is asked. */
function disclosedBy(e: SimEvent): DisclosedPatient[] {
  if (e.outcome !== 'success') return [];
  if (e.action === 'read' && e.patientId) return [{ patientId: e.patientId, care: e.care, identity: true, listed: null, notes: [], sensitive: false }];
  // A search in one patient's compartment returns their chart.
  if (e.action === 'search' && e.patientId) return [{ patientId: e.patientId, care: e.care, identity: false, listed: null, notes: [`${e.patientId}:chart`], sensitive: false }];
  if (e.action === 'search') {
    return [
      ...(e.found ?? []).map((p) => ({ patientId: p, care: null, identity: false, listed: 'found' as const, notes: [], sensitive: false })),
      ...e.returned.map((p) => ({ patientId: p, care: e.care, identity: false, listed: 'broad' as const, notes: [], sensitive: false })),
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

export interface SimulationReport {
  readonly generatedAt: string;
  readonly options: SimulateOptions;
  readonly benign: { readonly events: number; readonly userDays: number; readonly alerts: number; readonly alertsPer1000UserDays: number; readonly explainedShare: number; readonly stepUpsPerUserDay: number; readonly refusedRequests: number;
    readonly alertsByRule: Record<string, number>;
    /** Accounts whose baseline at the end is their own (5+ working days), their peers', or none. */
    readonly baselines: { readonly accounts: number; readonly own: number; readonly peers: number };
  };
  readonly scenarios: ScenarioReport[];
}

const CONTAINED: Response[] = ['suspend', 'lock'];

/**
 * Runs the benign workload through the real detector on a simulated clock, then each attack
 * scenario on top of it, and reports what the detector let through.
 */
export function simulate(o: SimulateOptions): SimulationReport {
  const start = new Date(Date.UTC(2026, 2, 2, 0, 0)); // a Monday
  const work = benignWorkload({ seed: o.seed ?? 7, practices: o.practices, days: o.days, start, ...(o.patientsPerPractice ? { patientsPerPractice: o.patientsPerPractice } : {}) });
  const decoys = new Set(work.practices.flatMap((p) => p.decoys));
  const vips = new Set(work.practices.flatMap((p) => p.vips));

  // Benign traffic alone: alerts per user-day, refusals, step-ups.
  let alerts = 0;
  const alertsByRule: Record<string, number> = {};
  const detector = new Detector({
    isHoneytoken: (p) => decoys.has(p), isVip: (p) => vips.has(p),
    onAlert: (a) => {
      alerts++;
      for (const f of a.findings) alertsByRule[f.rule] = (alertsByRule[f.rule] ?? 0) + 1;
    },
  });
  let refused = 0;
  let stepUps = 0;
  for (const e of work.events) {
    const s = detector.state(e.userId, e.at).response;
    if (s === 'throttle' || CONTAINED.includes(s)) refused++;
    else {
      // The disclosure ledger, before the response is sent: a cut or refused response is a refusal.
      const d = disclosedBy(e);
      if (d.length > 0 && detector.admit(e.userId, e.role ?? null, e.practiceId, d, e.at).admitted < d.length) refused++;
    }
    if (s === 'step-up') stepUps++;
    detector.observe(e);
  }
  const explained = work.events.filter((e) => e.explained).length;
  // What the detector learned: accounts judged against their own history, or their peers'.
  const endAt = new Date(start.getTime() + o.days * 86_400_000);
  const users = new Set(work.events.map((e) => e.userId));
  const learned = [...users].map((u) => detector.baseline(u, endAt));

  const chosen = o.scenarios === 'all' ? SCENARIOS : SCENARIOS.filter((s) => o.scenarios.includes(s.name));
  const scenarios = chosen.map((s) => runScenario(s, work.practices, work.events, { decoys, vips }, start, o.days, work.careOf));
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
      baselines: { accounts: users.size, own: learned.filter((b) => b?.source === 'own').length, peers: learned.filter((b) => b?.source === 'peers').length },
    },
    scenarios,
  };
}

function runScenario(s: Scenario, practices: readonly SimPractice[], benign: readonly AccessEvent[], watched: { decoys: Set<string>; vips: Set<string> }, start: Date, days: number, careOf: Map<string, Set<string>>): ScenarioReport {
  const targets = (s.accounts === 'all' ? practices : practices.slice(0, s.accounts)).filter((p) => p.practitioners.length > 0);
  const victims = new Set(targets.map((p) => p.practitioners[0]!));
  let firstAlert: number | null = null;
  const detector = new Detector({
    isHoneytoken: (p) => watched.decoys.has(p), isVip: (p) => watched.vips.has(p),
    onAlert: (a) => { if (victims.has(a.userId) && firstAlert === null) firstAlert = a.at.getTime(); },
  });
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
