import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explain, explainState, isRuleId } from './explain.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Every rule id the code raises, read from the code: `rule: 'literal'` anywhere under src/, and the
 * account events of service.ts (`account-${what}`, `what` a union of literals). A `rule:` written
 * any other way must be one of the known pass-throughs (a finding's own rule handed on), or this
 * test cannot vouch for it and fails.
 */
function ruleIdsInCode(): { ids: Set<string>; unknown: string[] } {
  const ids = new Set<string>();
  const unknown: string[] = [];
  const passThrough = new Set(['f.rule', 'r.rule', 'stop.rule', 'budget.rule']);
  for (const file of sources(SRC)) {
    if (file.endsWith(join('detect', 'explain.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    // Code only: comments may say "rule: …" in prose.
    const code = text.split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');
    for (const m of code.matchAll(/\brule: ([^,}\n]+)/g)) {
      const v = m[1]!.trim();
      const literal = /^'([a-z0-9-]+)'$/.exec(v);
      if (literal) ids.add(literal[1]!);
      else if (v === '`account-${what') {
        const union = /accountEvent\([^)]*what: ((?:'[a-z-]+'(?: \| )?)+)/.exec(text)?.[1];
        if (!union) unknown.push(`${file}: ${v} (no union of what)`);
        for (const w of union?.matchAll(/'([a-z-]+)'/g) ?? []) ids.add(`account-${w[1]}`);
      } else if (!passThrough.has(v) && !/^string\b|^the /.test(v) && !/^[A-Z]\w*$/.test(v)) {
        // A parameter typed by name (`rule: ProblemRule`) is a type annotation, not a rule id.
        unknown.push(`${file}: ${v}`);
      }
    }
  }
  return { ids, unknown };
}

const finding = (rule: string, reason: string, count = 1, window = '24 h') => ({ rule, reason, evidence: { count, window } });

describe('explain: the detector in French', () => {
  it('has a French sentence for every rule id found in the code', () => {
    const { ids, unknown } = ruleIdsInCode();
    expect(unknown).toEqual([]);
    // The ids of the rule table, of the ledger's budgets, of the engine and the services are all there.
    for (const id of ['patients-day', 'practice-listed', 'wave-new-address', 'account-client-new', 'second-factor']) expect(ids).toContain(id);
    expect([...ids].filter((id) => !isRuleId(id))).toEqual([]);
    for (const id of ids) {
      const s = explain(finding(id, 'opened more than 7 distinct patients in a day', 3));
      expect(s).not.toMatch(/règle de détection/);
      expect(s).toMatch(/[éèàç]| le | la | de /);
    }
  });

  it('says a rule found over its limit, and a budget reached at it', () => {
    expect(explain(finding('patients-day', 'opened more than 150 distinct patients in a day', 151)))
      .toBe('Ce compte a ouvert plus de 150 patients distincts en une journée.');
    expect(explain(finding('patients-day', 'reached its budget of 150 distinct patients in a day', 150)))
      .toBe('Ce compte a atteint son plafond de 150 patients distincts en une journée.');
    expect(explain(finding('standing-day', 'reached its budget of 25 patients in a day that no near appointment explains')))
      .toBe('Ce compte a atteint son plafond de 25 patients ouverts en une journée sans rendez-vous proche.');
  });

  it('says a practice budget is the practice\'s, and the share of the account an alert names', () => {
    const reason = 'the practice\'s accounts together reached their budget of 100 identities listed by broad searches in ten minutes';
    expect(explain(finding('practice-listed', reason, 100, '10 min')))
      .toBe('Les comptes du cabinet, ensemble, ont atteint leur plafond de 100 identités affichées par des recherches larges en dix minutes.');
    expect(explain(finding('practice-listed', `${reason}: this account spent 60 of 100`, 60, '10 min')))
      .toMatch(/Ce compte en a consommé 60 sur 100\.$/);
  });

  it('reads the factor of a learned baseline and the count of second-factor guesses', () => {
    const b = 'opened more than 45 distinct patients in a day, over 3× its own busiest days (p90 15 patients over 20 working days)';
    expect(explain(finding('baseline', b, 46))).toBe('Ce compte a ouvert plus de 45 patients distincts en une journée, soit plus de 3 fois ses journées habituelles les plus chargées.');
    expect(explain(finding('second-factor', 'entered 10 wrong second-factor codes in 24 hours: someone who knows the password is guessing', 10)))
      .toMatch(/^10 codes de second facteur erronés/);
  });

  it('names no record, patient or account (a damaged record\'s reason holds ids; the sentence does not)', () => {
    const id = '0b6f3c1e-6c2a-4a57-9d4b-3f0e2a1b9c88';
    const s = explain(finding('record-damaged', `a record failed its integrity check (altered or damaged in the database): notes of record ${id} in practice ${id}`, 1, 'now'));
    expect(s).not.toContain(id);
    const shared = explain(finding('practice-no-care-day', `the practice's accounts together reached their budget of 30 patients without a care relationship in a day: this account spent 20 of 30`));
    expect(shared).not.toMatch(/[0-9a-f]{8}-/);
  });

  it('falls back to a French sentence with the evidence for a rule it does not know', () => {
    expect(explain(finding('new-rule', 'did something 12 times', 12, '1 h'))).toBe('Une règle de détection (new-rule) s\'est déclenchée : 12 constaté(s) en une heure.');
  });

  it('explains a state by the finding of its rung', () => {
    const findings = [
      { ...finding('addresses', 'used more than 4 network addresses in a day', 5), response: 'alert' as const },
      { ...finding('patients-day', 'opened more than 150 distinct patients in a day', 151), response: 'suspend' as const },
    ];
    expect(explainState(findings, 'suspend')).toMatch(/150 patients distincts/);
    expect(explainState(findings, 'lock')).toMatch(/150 patients distincts/);
    expect(explainState([], 'suspend')).toBeNull();
  });
});
