import { writeFileSync } from 'node:fs';
import { SCENARIOS } from '../sim/scenarios.js';
import { simulate } from '../sim/simulate.js';
import { CliError, EXIT_USAGE } from './errors.js';
import { intOption, parseOptions } from './options.js';

/** medvault simulate [--days N] [--practices N] [--scenario NAME|all] [--report FILE] */
export async function simulateCommand(args: string[], say: (l: string) => void): Promise<number> {
  const o = parseOptions(args, { days: { type: 'string' }, practices: { type: 'string' }, scenario: { type: 'string' }, report: { type: 'string' }, seed: { type: 'string' } });
  const scenario = o.scenario ?? 'all';
  if (scenario !== 'all' && !SCENARIOS.some((s) => s.name === scenario)) {
    throw new CliError(`unknown scenario "${scenario.slice(0, 40)}" (one of: all, ${SCENARIOS.map((s) => s.name).join(', ')})`, EXIT_USAGE);
  }
  const t0 = performance.now();
  const report = simulate({
    days: intOption('days', o.days, 30, 1, 365),
    practices: intOption('practices', o.practices, 10, 1, 2000),
    scenarios: scenario === 'all' ? 'all' : [scenario],
    seed: intOption('seed', o.seed, 7, 0, 2 ** 31 - 1),
  });
  const b = report.benign;
  say(`simulate: ${b.events} honest events over ${b.userDays} user-days: ${b.alertsPer1000UserDays.toFixed(2)} alerts per 1,000 user-days, ${(b.explainedShare * 100).toFixed(1)} % explained, ${b.refusedRequests} honest requests refused`);
  // The heavy days on their own lines: where false positives hide, the figure is visible.
  const rules = (m: Record<string, number>) => Object.entries(m).map(([r, n]) => `${r} ${n}`).join(', ');
  for (const h of b.heavyDays) {
    const why = [
      h.refused > 0 ? `refused by ${rules(h.refusedByRule)}` : '', h.alerted > 0 ? `alerts: ${rules(h.alertsByRule)}` : '',
    ].filter((x) => x !== '').join('; ');
    const carried = h.carriedOver > 0 ? ` (${h.carriedOver} by a suspension of an earlier day)` : '';
    say(`simulate:   heavy day ${h.kind}: ${h.userDays} user-days, ${h.requests} requests, `
      + `${h.refused} refused${carried}, `
      + `${h.alerted} alerted (busiest: ${h.maxPatients} patients, ${h.maxStandingPatients} under standing care only)`
      + (why ? ` — ${why}` : ''));
  }
  for (const s of report.scenarios) {
    say(`simulate: ${s.name}: ${s.patientsExposed} patients exposed (max ${s.maxPatientsExposedPerAccount} per account, ${s.accounts} accounts), first alert ${s.firstAlertAfterSeconds ?? '—'} s, contained ${s.containedAfterSeconds === null ? 'never' : `after ${s.containedAfterSeconds} s (${s.containedBy})`}`);
  }
  say(`simulate: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (o.report) writeFileSync(o.report, JSON.stringify(report, null, 2) + '\n');
  return 0;
}
