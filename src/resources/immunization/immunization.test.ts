import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { validationErrors } from '../../../test/helpers/validators.js';
import { clinicalDate, tokenValues } from '../index.js';
import type { Json } from '../module.js';
import { ATC, CVX, UCUM } from '../systems.js';
import { immunization } from './index.js';

const NOW = new Date('2025-03-14T09:30:00Z');
const PATIENT = '3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01';
const example = (): Json => immunization.example(PATIENT, '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', NOW);
const problems = (r: Json) => immunization.check(r, NOW).problems;
const vaccine = (...coding: { system: string; code: string }[]) => ({ vaccineCode: { coding } });
const REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/** A vaccine not given, as a refusal is recorded: no lot, no dose, no site. */
function notDone(): Json {
  const { lotNumber: _l, site: _s, route: _r, doseQuantity: _d, protocolApplied: _p, ...rest } = example();
  return { ...rest, status: 'not-done', statusReason: { coding: [{ system: REASON, code: 'PATOBJ' }] } };
}

describe('Immunization', () => {
  it('takes the example: a flu vaccine given today, searchable by vaccine, status and date', () => {
    expect(problems(example())).toEqual([]);
    expect(tokenValues('Immunization', 'vaccine-code', example())).toEqual([
      'vaccine-code=J07BB02', `vaccine-code=${ATC}|J07BB02`, 'vaccine-code=88', `vaccine-code=${CVX}|88`,
    ]);
    expect(tokenValues('Immunization', 'status', example())).toEqual(['status=completed']);
    expect(clinicalDate(example(), immunization.date)).toEqual(NOW);
  });

  it('takes every vaccine of the French schedule list, with its CVX code where it has one', () => {
    type Vaccine = { code: string; cvx?: string };
    const list = createRequire(import.meta.url)('../codes/vaccins-fr.json') as { codes: Vaccine[] };
    for (const v of list.codes) {
      const codings = [{ system: ATC, code: v.code }, ...(v.cvx ? [{ system: CVX, code: v.cvx }] : [])];
      expect(problems({ ...example(), ...vaccine(...codings) }), v.code).toEqual([]);
    }
  });

  it('refuses a drug that is not a vaccine, a CVX code alone, and an unknown system', () => {
    expect(problems({ ...example(), ...vaccine({ system: ATC, code: 'J01CA04' }) })).toContain(
      'Immunization.vaccineCode.coding[0].code is not a valid code of its system',
    );
    expect(problems({ ...example(), ...vaccine({ system: CVX, code: '88' }) })).toEqual([
      `Immunization.vaccineCode needs a coding from ${ATC} (group J07)`,
    ]);
    expect(problems({ ...example(), ...vaccine({ system: 'http://example.org/vaccins', code: 'FLU' }) })).toContain(
      `Immunization.vaccineCode.coding[0].system must be ${ATC} or ${CVX}`,
    );
  });

  it('takes a vaccine not given with its reason, and refuses a lot or a dose on it', () => {
    expect(problems(notDone())).toEqual([]);
    expect(validationErrors(notDone())).toEqual([]);
    expect(problems({ ...notDone(), lotNumber: 'X4F27B' })).toEqual([
      'Immunization.lotNumber: a vaccine not given has none',
    ]);
    expect(problems({ ...example(), statusReason: notDone().statusReason })).toEqual([
      'Immunization.statusReason is for a vaccine not given (not-done)',
    ]);
  });

  it('refuses a dose that is not a volume of vaccine', () => {
    const dose = (value: number, code: string) => ({
      ...example(), doseQuantity: { value, unit: code, system: UCUM, code },
    });
    expect(problems(dose(0.1, 'mL'))).toEqual([]);
    expect(problems(dose(5, 'mL'))).toEqual(['Immunization.doseQuantity: the value is outside 0.05 to 2 mL']);
    expect(problems(dose(0.5, 'g'))).toEqual(['Immunization.doseQuantity: the unit must be commensurable with mL']);
  });

  it('wants the date it was given, not ahead, and a dose number in each protocol', () => {
    const { occurrenceDateTime: _o, ...undated } = example();
    expect(problems(undated)).toEqual(['Immunization.occurrenceDateTime is required']);
    expect(problems({ ...example(), occurrenceDateTime: '2025-04-01' })).toEqual([
      'Immunization.occurrenceDateTime is in the future',
    ]);
    expect(problems({ ...example(), protocolApplied: [{ series: 'ROR' }] })).toEqual([
      'Immunization.protocolApplied[0].doseNumberPositiveInt is required',
    ]);
    expect(problems({ ...example(), occurrenceString: 'enfance' })).toContain(
      'Immunization.occurrenceString is not accepted',
    );
  });

  it('refuses the performer from a client (the vaccinator is the author), and an unknown site or route', () => {
    expect(problems({ ...example(), performer: [{ actor: { reference: 'Practitioner/x' } }] })).toEqual([
      'Immunization.performer is set by medvault',
    ]);
    const site = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActSite', code: 'BUTT' }] };
    expect(problems({ ...example(), site })).toHaveLength(1);
    const routes = 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration';
    const route = { coding: [{ system: routes, code: 'IV' }] };
    expect(problems({ ...example(), route })).toHaveLength(1);
  });

  it('carries no label: the schedule\'s vaccines disclose no sensitive class', () => {
    expect(immunization.labels(example())).toEqual([]);
    expect(immunization.labels({ ...example(), ...vaccine({ system: ATC, code: 'J07BM03' }) })).toEqual([]);
  });
});
