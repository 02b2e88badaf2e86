import { describe, expect, it } from 'vitest';
import { simulate } from './simulate.js';

/**
 * A small simulation as a regression guard for what the detector achieves today (the issue's
 * budgets are not all met yet: see docs/detection.md and docs/detection-report.json).
 */
describe('medvault simulate', () => {
  const report = simulate({ days: 10, practices: 4, scenarios: 'all', seed: 3, patientsPerPractice: 1200 });
  const byName = new Map(report.scenarios.map((s) => [s.name, s]));

  it('runs honest traffic that care relationships explain', () => {
    expect(report.benign.events).toBeGreaterThan(1000);
    expect(report.benign.userDays).toBeGreaterThan(0);
    expect(report.benign.explainedShare).toBeGreaterThan(0.95);
  });

  it('locks a honeytoken sweep on its first record', () => {
    expect(byName.get('honeytoken-sweep')).toMatchObject({ patientsExposed: 1, containedBy: 'lock' });
  });

  it('contains paging attacks, for one account and for every account at once, within minutes', () => {
    for (const name of ['smash-and-grab', 'night-replay', 'many-accounts']) {
      const s = byName.get(name)!;
      expect(s.containedBy, name).toBe('suspend');
      expect(s.maxPatientsExposedPerAccount, name).toBeLessThanOrEqual(200);
      expect(s.firstAlertAfterSeconds, name).toBeLessThanOrEqual(5);
      expect(s.containedAfterSeconds, name).toBeLessThan(900);
    }
    expect(byName.get('many-accounts')!.accounts).toBe(4);
  });
});
