import { describe, expect, it } from 'vitest';
import { Detector, type Alert } from './engine.js';
import { DEFAULT_THRESHOLDS } from './rules.js';
import { DAY, HOUR, MINUTE, type AccessEvent } from './features.js';

const DOC = 'doc-1';
const T0 = Date.UTC(2026, 2, 9, 7, 0); // Monday 08:00 in Paris (UTC+1)

function read(at: number, patientId: string, extra: Partial<AccessEvent> = {}): AccessEvent {
  return { at: new Date(at), userId: DOC, sessionId: 's1', practiceId: 'p', action: 'read', outcome: 'success', patientId, returned: [], labels: [], reason: 'care relationship', sourceIp: '10.0.0.1', ...extra };
}

describe('the detector', () => {
  it('leaves a real GP day alone: 22 consultations, charts opened before and after, a few searches', () => {
    const d = new Detector();
    let t = T0;
    for (let i = 0; i < 22; i++) {
      const p = `patient-${i}`;
      d.observe(read(t, p));
      d.observe({ ...read(t + 2 * MINUTE, null as unknown as string), patientId: null, action: 'search', returned: [p, `other-${i}`, `third-${i}`] });
      d.observe(read(t + 18 * MINUTE, p, { action: 'create', labels: i === 7 ? ['PSY'] : [] }));
      t += 25 * MINUTE;
    }
    expect(d.state(DOC, new Date(t)).response).toBe('allow');
  });

  it('throttles a smash-and-grab within a few dozen records, then suspends, and says why with evidence', () => {
    const alerts: Alert[] = [];
    const d = new Detector({ onAlert: (a) => alerts.push(a) });
    let i = 0;
    for (; i < 200; i++) {
      const s = d.observe(read(T0 + i * 2000, `p${i}`));
      if (s.response !== 'allow') break;
    }
    expect(i).toBe(40); // the 41st distinct patient in an hour
    expect(d.state(DOC, new Date(T0 + i * 2000)).response).toBe('throttle');
    expect(alerts[0]).toMatchObject({ userId: DOC, response: 'throttle' });
    expect(alerts[0]!.findings[0]).toMatchObject({ rule: 'patients-hour', evidence: { count: 41, window: '1 h' } });
    expect(alerts[0]!.findings[0]!.evidence.examples.length).toBeGreaterThan(0);
    for (let j = i + 1; j < 160; j++) d.observe(read(T0 + j * 2000, `p${j}`));
    expect(d.state(DOC, new Date(T0 + HOUR)).response).toBe('suspend');
  });

  it('counts identities disclosed by searches (paging through the directory)', () => {
    const d = new Detector();
    let state = d.state(DOC, new Date(T0));
    let pages = 0;
    for (; pages < 10 && state.response === 'allow'; pages++) {
      state = d.observe({ ...read(T0 + pages * 1000, null as unknown as string), patientId: null, action: 'search', returned: Array.from({ length: 20 }, (_, k) => `p${pages * 20 + k}`) });
    }
    // Search results are disclosures: one page of 20 identities is already more than a GP's searches show.
    expect(pages).toBe(1);
    expect(state.response).toBe('suspend');
    expect(state.findings.map((f) => f.rule)).toContain('search-breadth');
  });

  it('locks on a honeytoken at once, and a new session does not reset it; an unlock does', () => {
    const d = new Detector({ isHoneytoken: (p) => p === 'decoy' });
    d.observe(read(T0, 'p1'));
    expect(d.observe(read(T0 + 1000, 'decoy', { outcome: 'denied', reason: 'no-care-relationship' })).response).toBe('lock');
    expect(d.observe(read(T0 + 2000, 'p2', { sessionId: 's2', sourceIp: '10.9.9.9' })).response).toBe('lock');
    expect(d.state(DOC, new Date(T0 + DAY)).response).toBe('lock');
    d.release(DOC);
    expect(d.state(DOC, new Date(T0 + DAY)).response).toBe('allow');
  });

  it('catches low-and-slow through the weekly budget', () => {
    const d = new Detector();
    let last = d.state(DOC, new Date(T0));
    for (let day = 0; day < 7; day++) {
      for (let k = 0; k < 65; k++) last = d.observe(read(T0 + day * DAY + k * 4 * MINUTE, `d${day}-${k}`));
    }
    expect(last.response).toBe('lock');
    expect(last.findings.map((f) => f.rule)).toContain('patients-week');
  });

  it('asks for step-up on night sweeps, and lifts a throttle after its time', () => {
    const night = Date.UTC(2026, 2, 9, 22, 0); // 23:00 in Paris
    const d = new Detector({ throttleMs: 60_000 });
    let s = d.state(DOC, new Date(night));
    for (let k = 0; k < 26; k++) s = d.observe(read(night + k * 3 * MINUTE, `n${k}`));
    expect(s.response).toBe('step-up');
    const t = new Detector({ throttleMs: 60_000 });
    for (let k = 0; k < 41; k++) t.observe(read(T0 + k * 1000, `q${k}`));
    expect(t.state(DOC, new Date(T0 + 41_000)).response).toBe('throttle');
    expect(t.state(DOC, new Date(T0 + 41_000 + 61_000)).response).toBe('alert');
  });

  /** Ten working days of a quiet part-time GP: n distinct patients a day, 08:00–12:00. */
  function quietHistory(d: Detector, users: Record<string, number>, practiceId = 'p'): number {
    let day = 0;
    for (let w = 0; w < 10; w++, day++) {
      if (w === 5) day += 2; // a weekend
      for (const [userId, perDay] of Object.entries(users)) {
        for (let k = 0; k < perDay; k++) d.observe(read(T0 + day * DAY + k * 10 * MINUTE, `${userId}-${day}-${k}`, { userId, practiceId, role: 'practitioner' }));
      }
    }
    return T0 + (day + 1) * DAY;
  }

  it('learns each account\'s usual day and alerts far above it, under the fixed budgets', () => {
    const alerts: Alert[] = [];
    const d = new Detector({ onAlert: (a) => alerts.push(a) });
    const monday = quietHistory(d, { [DOC]: 8 });
    expect(d.baseline(DOC, new Date(monday))).toMatchObject({ value: 8, source: 'own', days: 10 });
    // 31 patients in a morning: under every fixed budget (40 an hour, 150 a day), but 4× this account's p90.
    let s = d.state(DOC, new Date(monday));
    for (let k = 0; k < 31; k++) s = d.observe(read(monday + k * 3 * MINUTE, `new-${k}`, { role: 'practitioner' }));
    expect(s.response).toBe('alert');
    const f = alerts.at(-1)!.findings.find((x) => x.rule === 'baseline');
    expect(f?.reason).toContain('p90 8 patients over 10 working days');
    expect(f?.evidence.count).toBe(31);
    // A busy GP (p90 25) doing the same is within 3× its usual day.
    const busy = new Detector();
    const at = quietHistory(busy, { busy: 25 });
    let b = busy.state('busy', new Date(at));
    for (let k = 0; k < 31; k++) b = busy.observe(read(at + k * 3 * MINUTE, `new-${k}`, { userId: 'busy', role: 'practitioner' }));
    expect(b.response).toBe('allow');
  });

  it('judges a new account against its peers (same role, practice of similar size) until it has a history', () => {
    const d = new Detector();
    const at = quietHistory(d, { 'old-1': 10, 'old-2': 12 }, 'p1');
    d.observe(read(at, 'x', { userId: 'new', practiceId: 'p1', role: 'practitioner' }));
    expect(d.baseline('new', new Date(at))).toMatchObject({ source: 'peers', value: 12 });
    // An assistant has no practitioner peers: no learned baseline, only the fixed budgets.
    d.observe(read(at, 'y', { userId: 'asst', practiceId: 'p1', role: 'assistant' }));
    expect(d.baseline('asst', new Date(at))).toBeNull();
  });

  it('suspends an account whose session is used from a second client (a copied token), and alerts on many sessions or clients', () => {
    const d = new Detector();
    d.observe(read(T0, 'p1', { device: 'doctor-pc' }));
    d.observe(read(T0 + MINUTE, 'p2', { device: 'doctor-pc' }));
    expect(d.state(DOC, new Date(T0 + MINUTE)).response).toBe('allow');
    const s = d.observe(read(T0 + 2 * MINUTE, 'p3', { device: 'elsewhere' }));
    expect(s.response).toBe('suspend');
    expect(s.findings.map((f) => f.rule)).toContain('session-device');
    // Five sessions at once, each from its own client: a second party, not a doctor.
    const m = new Detector();
    let last = m.state(DOC, new Date(T0));
    for (let k = 0; k < 5; k++) last = m.observe(read(T0 + k * MINUTE, `p${k}`, { sessionId: `s${k}`, device: `d${k % 2}` }));
    expect(last.response).toBe('alert');
    expect(last.findings.map((f) => f.rule)).toEqual(['sessions']);
  });

  it('raises one practice-wide alert when a practice\'s accounts together go far past its usual day', () => {
    const alerts: Alert[] = [];
    const d = new Detector({ onAlert: (a) => alerts.push(a), thresholds: { ...DEFAULT_THRESHOLDS, practiceFloor: 50 } });
    const at = quietHistory(d, { a: 10, b: 10 }, 'px');
    // Six accounts, each modest (15 patients), together 90 in a morning: 4.5× the practice's 20.
    for (let u = 0; u < 6; u++) for (let k = 0; k < 15; k++) d.observe(read(at + (u * 15 + k) * MINUTE, `w${u}-${k}`, { userId: `u${u}`, practiceId: 'px', role: 'practitioner' }));
    const practiceAlerts = alerts.filter((a) => a.findings.some((f) => f.rule === 'practice-day'));
    expect(practiceAlerts).toHaveLength(1);
    expect(practiceAlerts[0]!.findings[0]!.evidence.count).toBe(61);
    expect(practiceAlerts[0]!.practiceId).toBe('px');
  });

  it('holds new addresses during a wave, but not security officers, patients, nor an account an officer unlocked (regression: held, and the unlock forgot its addresses)', () => {
    const d = new Detector();
    const at = new Date(T0 + 5 * MINUTE);
    // The doctor works from the practice's address, then is suspended (a false positive, say).
    d.observe(read(T0, 'known-1', { sourceIp: '10.0.0.1' }));
    d.impose(DOC, 'suspend');
    // Three accounts contained within minutes: a wave.
    for (let k = 0; k < 3; k++) d.admit(`thief-${k}`, 'practitioner', 'p', Array.from({ length: 12 }, (_, i) => ({ patientId: `x${k}-${i}`, care: 'none' as const, identity: true, listed: null, notes: [], sensitive: false })), at);
    expect(d.wave(at)).toBe(true);
    const later = new Date(at.getTime() + MINUTE);
    // A wave of one practice asks its newcomers for a fresh second factor; another practice works.
    expect(d.state('stranger', later, '203.0.113.9', 'practitioner', 'p')).toMatchObject({ response: 'step-up', findings: [{ rule: 'wave-new-address' }], stepUpSince: at });
    expect(d.state('elsewhere', later, '203.0.113.9', 'practitioner', 'q').response).toBe('allow');
    expect(d.state('officer-2', later, '203.0.113.9', 'security-officer').response).toBe('allow');
    expect(d.state('patient-7', later, '198.51.100.4', 'patient').response).toBe('allow');
    // The officer unlocks the doctor during the wave: from the practice's address and from home alike, it works.
    d.release(DOC, later);
    expect(d.state(DOC, later, '10.0.0.1', 'practitioner').response).toBe('allow');
    expect(d.state(DOC, later, '192.0.2.50', 'practitioner').response).toBe('allow');
    // A fourth containment extends the wave: the account unlocked during it is still not held
    // (regression: the exemption counted from the latest containment, not from the wave's start).
    const fourth = new Date(later.getTime() + MINUTE);
    // (The practice's no-care day is spent: a fourth thief there is refused, and contained by another rule.)
    expect(d.admit('thief-3', 'practitioner', 'p', Array.from({ length: 12 }, (_, i) => ({ patientId: `x3-${i}`, care: 'none' as const, identity: true, listed: null, notes: [], sensitive: false })), fourth).admitted).toBe(0);
    d.flag('thief-3', 'p', [{ rule: 'session-device', response: 'suspend', reason: 'copied token', evidence: { count: 1, window: 'session', examples: [] } }], fourth);
    expect(d.state('thief-3', fourth).response).toBe('suspend');
    expect(d.state(DOC, new Date(fourth.getTime() + MINUTE), '192.0.2.51', 'practitioner').response).toBe('allow');
    expect(d.state('stranger', new Date(fourth.getTime() + MINUTE), '203.0.113.9', 'practitioner', 'p').response).toBe('step-up');
    // Its known address stayed.
    expect(d.releasedAfter(DOC, at)).toBe(true);
    expect(d.releasedAfter(DOC, new Date(later.getTime() + 1))).toBe(false);
  });

  it('keeps an account\'s known addresses across an unlock: a wave the next day does not hold it at its usual address', () => {
    const d = new Detector();
    d.observe(read(T0, 'known-1', { sourceIp: '10.0.0.1' }));
    d.release(DOC, new Date(T0 + MINUTE));
    const at = new Date(T0 + DAY);
    for (let k = 0; k < 3; k++) d.admit(`thief-${k}`, 'practitioner', 'p', Array.from({ length: 12 }, (_, i) => ({ patientId: `x${k}-${i}`, care: 'none' as const, identity: true, listed: null, notes: [], sensitive: false })), at);
    expect(d.wave(at)).toBe(true);
    expect(d.state(DOC, at, '10.0.0.1', 'practitioner').response).toBe('allow');
    expect(d.state(DOC, at, '192.0.2.50', 'practitioner').response).toBe('step-up');
  });

  it('rebuilds the probation windows from the audit events: after a restart, minted accounts still share one calendar day (regression: they started again from zero)', () => {
    const d = new Detector();
    const at = T0;
    // An established doctor of the practice, and two accounts approved yesterday (probation).
    d.observe(read(at - DAY, 'seen-1', { userId: 'established', role: 'practitioner' }));
    d.probation('new-a', new Date(at + 13 * DAY));
    d.probation('new-b', new Date(at + 13 * DAY));
    // The replay: new-a read 75 patients its calendar explains (audit events, never admitted here).
    // A look at the week's calendar first: 80 patients named by appointments, nothing of theirs disclosed.
    d.observe({ ...read(at - 1000, null as unknown as string, { userId: 'new-a', role: 'practitioner', action: 'search' }), patientId: null, scheduled: Array.from({ length: 80 }, (_, i) => `week-${i}`), calendar: [] });
    expect(d.admit('new-b', 'practitioner', 'p', [{ patientId: 'cal-first', care: 'scheduled', identity: true, listed: null, notes: [], sensitive: false }], new Date(at - 500)).admitted).toBe(1);
    for (let i = 0; i < 74; i++) d.observe({ ...read(at + i * 1000, `cal-${i}`, { userId: 'new-a', role: 'practitioner' }), scheduled: [`cal-${i}`], calendar: [`cal-${i}`] });
    const next = d.admit('new-b', 'practitioner', 'p', [{ patientId: 'cal-x', care: 'scheduled', identity: true, listed: null, notes: [], sensitive: false }], new Date(at + 80_000));
    expect(next.admitted).toBe(0);
    expect(next.stop?.rule).toBe('practice-probation-calendar');
  });

  const strangers = (k: string, n: number) => Array.from({ length: n }, (_, i) => ({ patientId: `${k}-${i}`, care: 'none' as const, identity: true, listed: null, notes: [], sensitive: false }));

  it('counts no patient-portal containment toward a wave (regression: three portal accounts held every practice)', () => {
    const d = new Detector();
    const at = new Date(T0);
    for (let k = 0; k < 5; k++) {
      d.observe(read(T0 - MINUTE, `self-${k}`, { userId: `patient-${k}`, role: 'patient', practiceId: null }));
      d.flag(`patient-${k}`, null, [{ rule: 'session-device', response: 'suspend', reason: 'copied token', evidence: { count: 1, window: 'session', examples: [] } }], at);
    }
    expect(d.wave(at)).toBe(false);
    expect(d.state('doctor-of-q', at, '203.0.113.9', 'practitioner', 'q').response).toBe('allow');
  });

  it('holds the platform only when the containments span practices; an officer ends a wave', () => {
    const d = new Detector();
    const at = new Date(T0);
    for (const k of ['a', 'b', 'c']) d.admit(`thief-${k}`, 'practitioner', k, strangers(k, 12), at);
    expect(d.wave(at, 'a')).toBe(true);
    expect(d.wave(at, 'z')).toBe(true);
    expect(d.activeWaves(at)).toMatchObject([{ practiceId: null, contained: [{ userId: 'thief-a' }, { userId: 'thief-b' }, { userId: 'thief-c' }] }]);
    expect(d.state('doctor-z', at, '203.0.113.9', 'practitioner', 'z').response).toBe('step-up');
    expect(d.activeWaves(at)[0]!.held).toEqual(['doctor-z']);
    expect(d.endWave(null, new Date(T0 + MINUTE))).toBe(true);
    expect(d.wave(new Date(T0 + MINUTE))).toBe(false);
    expect(d.state('doctor-z', new Date(T0 + MINUTE), '203.0.113.9', 'practitioner', 'z').response).toBe('allow');
    // The ended wave's containments do not start it again with the next one.
    d.admit('thief-d', 'practitioner', 'd', strangers('d', 12), new Date(T0 + 2 * MINUTE));
    expect(d.wave(new Date(T0 + 2 * MINUTE))).toBe(false);
  });

  it('keeps the counters across an unlock: the account resumes with what its windows have left (regression: an unlock gave a fresh day)', () => {
    const d = new Detector();
    const at = new Date(T0);
    expect(d.admit(DOC, 'practitioner', 'p', strangers('s', 12), at).admitted).toBe(10);
    expect(d.state(DOC, at).response).toBe('suspend');
    d.release(DOC, new Date(T0 + MINUTE));
    expect(d.state(DOC, new Date(T0 + MINUTE)).response).toBe('allow');
    // Re-reading what it was given costs nothing; a new stranger does not fit the hour's budget.
    expect(d.admit(DOC, 'practitioner', 'p', strangers('s', 10), new Date(T0 + 2 * MINUTE)).admitted).toBe(10);
    expect(d.admit(DOC, 'practitioner', 'p', strangers('t', 1), new Date(T0 + 2 * MINUTE)).admitted).toBe(0);
  });

  it('a practice budget spent by others refuses the next request without holding its account, and names those who spent it', () => {
    const alerts: Alert[] = [];
    const d = new Detector({ onAlert: (a) => alerts.push(a) });
    const at = new Date(T0);
    const listed = (k: string, n: number) => Array.from({ length: n }, (_, i) => ({ patientId: `${k}-${i}`, care: null, identity: false, listed: 'broad' as const, notes: [], sensitive: false }));
    // Two assistants list 50 patients each by broad searches (each within its own 60): the practice's 100.
    expect(d.admit('desk-1', 'assistant', 'p', listed('a', 50), at).admitted).toBe(50);
    expect(d.admit('desk-2', 'assistant', 'p', listed('b', 50), at).admitted).toBe(50);
    const next = d.admit(DOC, 'practitioner', 'p', listed('c', 5), new Date(T0 + MINUTE));
    expect(next).toMatchObject({ admitted: 0, stop: { rule: 'practice-listed' } });
    expect(next.shared!.retryAfterMs).toBeGreaterThan(8 * MINUTE);
    expect(d.state(DOC, new Date(T0 + MINUTE)).response).toBe('allow');
    expect(alerts.map((a) => a.userId).sort()).toEqual(['desk-1', 'desk-2']);
    expect(alerts.every((a) => a.response === 'alert')).toBe(true);
    // Five accounts of a fifth each: all five named (a quarter each would name none).
    const f = new Detector({ onAlert: (a) => alerts.push(a) });
    alerts.length = 0;
    for (let k = 0; k < 5; k++) expect(f.admit(`desk-${k}`, 'assistant', 'p', listed(`f${k}`, 20), at).admitted).toBe(20);
    expect(f.admit(DOC, 'practitioner', 'p', listed('g', 1), new Date(T0 + MINUTE)).admitted).toBe(0);
    expect(alerts.map((a) => a.userId).sort()).toEqual(['desk-0', 'desk-1', 'desk-2', 'desk-3', 'desk-4']);
    // One assistant alone cannot spend it: its own budget stops it first (and, from a client it
    // has not approved, holds it).
    const e = new Detector();
    expect(e.admit('desk-1', 'assistant', 'p', listed('a', 70), at, true).admitted).toBe(60);
    expect(e.state('desk-1', at).response).toBe('suspend');
    expect(e.admit(DOC, 'practitioner', 'p', listed('c', 5), new Date(T0 + MINUTE)).admitted).toBe(5);
  });

  it('a wave stops asking an account for a step-up once an officer approves its device (an assistant without a second factor)', () => {
    const d = new Detector();
    const at = new Date(T0);
    for (const k of ['a', 'b', 'c']) d.admit(`thief-${k}`, 'practitioner', 'p', strangers(`x${k}`, 12), at);
    expect(d.state('desk', at, '203.0.113.9', 'assistant', 'p').response).toBe('step-up');
    d.clearWave('desk', new Date(T0 + MINUTE));
    expect(d.state('desk', new Date(T0 + MINUTE), '203.0.113.9', 'assistant', 'p').response).toBe('allow');
    // A later wave holds it again at a new address (the approval was for that wave).
    expect(d.endWave('p', new Date(T0 + 2 * MINUTE))).toBe(true);
    const next = T0 + DAY + HOUR;
    for (const k of ['d', 'e', 'f']) d.admit(`thief-${k}`, 'practitioner', 'p', strangers(`y${k}`, 12), new Date(next));
    expect(d.state('desk', new Date(next), '198.51.100.7', 'assistant', 'p').response).toBe('step-up');
  });

  it('honest search habits hold nobody: listings are not charts without care, the fourth page of homonyms waits (regression: both suspended)', () => {
    const d = new Detector();
    const at = new Date(T0);
    const listed = (k: string, n: number, how: 'broad' | 'found') => Array.from({ length: n }, (_, i) => ({ patientId: `${k}-${i}`, care: 'none' as const, identity: false, listed: how, notes: [], sensitive: false }));
    // A two-letter name: 12 colleagues' patients listed (picker fields), within the listing budget.
    expect(d.admit(DOC, 'practitioner', 'p', listed('le', 12, 'broad'), at).admitted).toBe(12);
    expect(d.state(DOC, at).response).toBe('allow');
    // Four pages of homonyms in an hour: the fourth is refused until the hour frees a place, the account is not held.
    for (let k = 0; k < 3; k++) expect(d.admit(DOC, 'practitioner', 'p', listed(`mar${k}`, 20, 'found'), new Date(T0 + k * MINUTE)).admitted).toBe(20);
    const fourth = d.admit(DOC, 'practitioner', 'p', listed('mar3', 20, 'found'), new Date(T0 + 10 * MINUTE));
    expect(fourth).toMatchObject({ admitted: 0, stop: { rule: 'search-finds', response: 'throttle' } });
    expect(fourth.retryAfterMs).toBeGreaterThan(40 * MINUTE);
    expect(d.state(DOC, new Date(T0 + 10 * MINUTE)).response).toBe('allow');
    // Her charts stay open.
    expect(d.admit(DOC, 'practitioner', 'p', [{ patientId: 'own-1', care: 'standing', identity: true, listed: null, notes: [], sensitive: false }], new Date(T0 + 11 * MINUTE)).admitted).toBe(1);
  });

  it('counts accounts, not suspensions, toward a wave; an address an account logged in from before the wave is its own (regression: a doctor at her desk was held)', () => {
    const d = new Detector();
    const at = new Date(T0);
    d.sawAddress('desk-doctor', 'p', 'practitioner', '10.1.1.5', new Date(T0 - MINUTE));
    d.admit('a', 'practitioner', 'p', strangers('a', 12), at);
    d.release('a', new Date(T0 + 1000));
    d.admit('a', 'practitioner', 'p', strangers('a2', 12), new Date(T0 + 2000));
    d.admit('b', 'practitioner', 'p', strangers('b', 12), new Date(T0 + 3000));
    expect(d.wave(new Date(T0 + 4000), 'p')).toBe(false);
    d.admit('c', 'practitioner', 'p', strangers('c', 12), new Date(T0 + 5000));
    expect(d.wave(new Date(T0 + 6000), 'p')).toBe(true);
    expect(d.state('desk-doctor', new Date(T0 + 7000), '10.1.1.5', 'practitioner', 'p').response).toBe('allow');
    expect(d.state('desk-doctor', new Date(T0 + 7000), '10.1.1.6', 'practitioner', 'p').response).toBe('step-up');
  });

  it('a suspended account keeps the reason that suspended it when a milder rule fires later (regression: shown as off-hours)', () => {
    const d = new Detector();
    expect(d.admit(DOC, 'practitioner', 'p', strangers('s', 12), new Date(T0)).admitted).toBe(10);
    d.flag(DOC, 'p', [{ rule: 'off-hours', response: 'step-up', reason: 'opened more than 25 patients outside usual hours', evidence: { count: 26, window: '24 h', examples: [] } }], new Date(T0 + MINUTE));
    const s = d.state(DOC, new Date(T0 + MINUTE));
    expect(s.response).toBe('suspend');
    expect(s.findings.find((f) => f.response === 'suspend')?.rule).toBe('no-care-hour');
  });

  it('a two-letter search on the approved client cuts the list and holds nobody; from a thief\'s client it suspends (regression: an honest doctor suspended)', () => {
    const d = new Detector();
    const listed = (k: string, n: number) => Array.from({ length: n }, (_, i) => ({ patientId: `${k}-${i}`, care: 'none' as const, identity: false, listed: 'broad' as const, notes: [], sensitive: false }));
    const cut = d.admit(DOC, 'practitioner', 'p', listed('le', 20), new Date(T0));
    expect(cut).toMatchObject({ admitted: 15, stop: { rule: 'search-breadth' }, refuseOnly: true });
    expect(d.state(DOC, new Date(T0)).response).toBe('allow');
    const thief = d.admit('thief', 'practitioner', 'p', listed('la', 20), new Date(T0), true);
    expect(thief.admitted).toBe(15);
    expect(d.state('thief', new Date(T0)).response).toBe('suspend');
  });

  it('a wave holds a newcomer at the address it was asked from, not at her own desk', () => {
    const d = new Detector();
    d.sawAddress('doc-b', 'p', 'practitioner', '10.1.1.5', new Date(T0 - MINUTE));
    for (const k of ['a', 'b', 'c']) d.admit(`thief-${k}`, 'practitioner', 'p', strangers(k, 12), new Date(T0));
    expect(d.state('doc-b', new Date(T0 + 1000), '10.1.2.9', 'practitioner', 'p').response).toBe('step-up');
    const found = (k: string, n: number) => Array.from({ length: n }, (_, i) => ({ patientId: `${k}-${i}`, care: null, identity: false, listed: 'found' as const, notes: [], sensitive: false }));
    // At the new address: a newcomer's budgets (half of 60 found an hour); at her desk: her own.
    expect(d.admit('doc-b', 'practitioner', 'p', found('x', 40), new Date(T0 + 2000), false, '10.1.2.9').admitted).toBe(30);
    expect(d.admit('doc-b', 'practitioner', 'p', found('x', 40), new Date(T0 + 3000), false, '10.1.1.5').admitted).toBe(40);
  });

  it('a refuse-only budget holds an account that keeps asking: the third refusal in the hour suspends', () => {
    const d = new Detector();
    const listed = (k: string, n: number) => Array.from({ length: n }, (_, i) => ({ patientId: `${k}-${i}`, care: null, identity: false, listed: 'broad' as const, notes: [], sensitive: false }));
    expect(d.admit(DOC, 'practitioner', 'p', listed('a', 20), new Date(T0)).refuseOnly).toBe(true);
    expect(d.admit(DOC, 'practitioner', 'p', listed('b', 20), new Date(T0 + 1000)).refuseOnly).toBe(true);
    expect(d.state(DOC, new Date(T0 + 1000)).response).toBe('allow');
    expect(d.admit(DOC, 'practitioner', 'p', listed('c', 20), new Date(T0 + 2000)).refuseOnly).toBeUndefined();
    expect(d.state(DOC, new Date(T0 + 2000)).response).toBe('suspend');
  });
});
