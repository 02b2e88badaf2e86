import { describe, expect, it } from 'vitest';
import { simulate } from './simulate.js';

/**
 * A smaller run of `medvault simulate` than the committed report (docs/detection-report.json):
 * the detection issue's budgets, checked so that a regression fails here.
 */
describe('medvault simulate', () => {
  const report = simulate({ days: 14, practices: 8, scenarios: 'all', seed: 3 });
  const byName = new Map(report.scenarios.map((s) => [s.name, s]));

  it('leaves honest traffic alone: ≤ 1 alert per 1,000 user-days, ≥ 95 % explained, nothing refused', () => {
    expect(report.benign.events).toBeGreaterThan(10_000);
    expect(report.benign.alertsPer1000UserDays).toBeLessThanOrEqual(1);
    expect(report.benign.explainedShare).toBeGreaterThanOrEqual(0.95);
    expect(report.benign.refusedRequests).toBe(0);
  });

  it('keeps every single-account attack within 25 patients', () => {
    for (const s of report.scenarios.filter((x) => x.name !== 'many-accounts')) {
      expect(s.maxPatientsExposedPerAccount, s.name).toBeLessThanOrEqual(25);
    }
    expect(byName.get('honeytoken-sweep')).toMatchObject({ patientsExposed: 1, containedBy: 'lock' });
    for (const name of ['smash-and-grab', 'night-replay', 'id-enumeration', 'low-and-slow', 'copied-session']) expect(byName.get(name)!.containedBy, name).toBe('suspend');
    // A copied session reading only the doctor's own patients is stopped by the client change alone.
    expect(byName.get('copied-session')!.patientsExposed).toBe(1);
  });

  it('judges every account against a baseline learned from its own history by the end', () => {
    expect(report.benign.baselines.accounts).toBeGreaterThan(10);
    expect(report.benign.baselines.own).toBe(report.benign.baselines.accounts);
  });

  it('keeps many accounts at once within 500 patients in all', () => {
    const s = byName.get('many-accounts')!;
    expect(s.accounts).toBe(8);
    expect(s.patientsExposed).toBeLessThanOrEqual(500);
    expect(s.containedBy).toBe('suspend');
  });
});
