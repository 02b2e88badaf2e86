import { describe, expect, it } from 'vitest';
import { HEAVY_KINDS } from './heavy.js';
import { simulate } from './simulate.js';

/**
 * A smaller run of `medvault simulate` than the committed report (docs/detection-report.json):
 * the detection budgets, checked so that a regression fails here. Four weeks, so that every kind of
 * heavy day is in it: Mondays, returns from holiday, a locum's first day, results sittings.
 */
describe('medvault simulate', () => {
  const report = simulate({ days: 28, practices: 10, scenarios: 'all', seed: 3 });
  const byName = new Map(report.scenarios.map((s) => [s.name, s]));

  it('leaves honest traffic alone: no alert but a notable patient looked up (by design), ≥ 95 % explained', () => {
    expect(report.benign.events).toBeGreaterThan(50_000);
    // A doctor looking up a notable patient she has no care relationship with is alerted on by design.
    const { vip = 0, ...others } = report.benign.alertsByRule;
    expect(vip).toBeLessThanOrEqual(1);
    expect(others).toEqual({});
    expect(report.benign.explainedShare).toBeGreaterThanOrEqual(0.95);
    expect(report.benign.refusedRequests).toBe(0);
  });

  it.each(HEAVY_KINDS)('refuses nothing and raises no budget alert on the heavy days: %s', (kind) => {
    const h = report.benign.heavyDays.find((x) => x.kind === kind)!;
    expect(h.userDays, kind).toBeGreaterThan(0);
    expect(h.requests, kind).toBeGreaterThan(h.userDays * 20);
    expect(h.refused, kind).toBe(0);
    expect(h.refusedByRule, kind).toEqual({});
    const { vip: _vip = 0, ...alerts } = h.alertsByRule;
    expect(alerts, kind).toEqual({});
  });

  it('makes the heavy days heavy: standing care well past an ordinary day', () => {
    const of = (k: string) => report.benign.heavyDays.find((x) => x.kind === k)!;
    // The weekend's results (15–25), a return's backlog, a sitting of 30–40 results.
    expect(of('monday').maxStandingPatients).toBeGreaterThanOrEqual(25);
    expect(of('after-holiday').maxStandingPatients).toBeGreaterThanOrEqual(45);
    expect(of('results-review').maxStandingPatients).toBeGreaterThanOrEqual(40);
    // A locum has no standing care: his day is the calendar the desk booked.
    expect(of('locum-first-day').maxStandingPatients).toBe(0);
    expect(of('locum-first-day').maxPatients).toBeGreaterThanOrEqual(15);
  });

  it('keeps every single-account attack within 25 patients', () => {
    for (const s of report.scenarios.filter((x) => x.name !== 'many-accounts')) {
      expect(s.maxPatientsExposedPerAccount, s.name).toBeLessThanOrEqual(25);
    }
    expect(byName.get('honeytoken-sweep')).toMatchObject({ patientsExposed: 1, containedBy: 'lock' });
    for (const name of ['smash-and-grab', 'night-replay', 'id-enumeration', 'low-and-slow', 'copied-session']) {
      expect(byName.get(name)!.containedBy, name).toBe('suspend');
    }
    // A copied session reading only the doctor's own patients is stopped by the client change alone.
    expect(byName.get('copied-session')!.patientsExposed).toBe(1);
  });

  it('judges every account against a baseline learned from its own history by the end', () => {
    expect(report.benign.baselines.accounts).toBeGreaterThan(10);
    expect(report.benign.baselines.own).toBe(report.benign.baselines.accounts);
  });

  it('keeps many accounts at once within 500 patients in all', () => {
    const s = byName.get('many-accounts')!;
    expect(s.accounts).toBe(10);
    expect(s.patientsExposed).toBeLessThanOrEqual(500);
    expect(s.containedBy).toBe('suspend');
  });
});
