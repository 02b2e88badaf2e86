import { describe, expect, it } from 'vitest';
import { validationErrors } from '../../../test/helpers/validators.js';
import { loincChecked } from '../elements.js';
import { clinicalDate, tokenValues } from '../index.js';
import type { Json } from '../module.js';
import { LOINC, OBSERVATION_CATEGORY, OBSERVATION_INTERPRETATION, SNOMED, UCUM } from '../systems.js';
import { observation } from './index.js';

const NOW = new Date('2025-03-14T09:30:00Z');
const PATIENT = '3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01';
const example = (): Json => observation.example(PATIENT, '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', NOW);
const problems = (r: Json) => observation.check(r, NOW).problems;
const qty = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });
const category = (code: string) => [{ coding: [{ system: OBSERVATION_CATEGORY, code }] }];

/** One measurement or result, without the example's panel. */
function single(kind: 'vital-signs' | 'laboratory', code: string, value: Json): Json {
  const { component: _c, interpretation: _i, ...rest } = example();
  return { ...rest, category: category(kind), code: { coding: [{ system: LOINC, code }] }, ...value };
}
const weight = (value: number, unit: string) => single('vital-signs', '29463-7', { valueQuantity: qty(value, unit) });
const lab = (code: string, value: Json) => single('laboratory', code, value);
const bp = (systolic: number, diastolic: number | null) => {
  const parts = (example().component as Json[]).slice(0, diastolic === null ? 1 : 2);
  (parts[0] as Json).valueQuantity = qty(systolic, 'mm[Hg]');
  if (diastolic !== null) (parts[1] as Json).valueQuantity = qty(diastolic, 'mm[Hg]');
  return { ...example(), component: parts };
};

describe('Observation: vital signs', () => {
  it('takes the example, a blood pressure panel, searchable by code, category, status and date', () => {
    expect(problems(example())).toEqual([]);
    expect(tokenValues('Observation', 'code', example())).toEqual(['code=85354-9', `code=${LOINC}|85354-9`]);
    expect(tokenValues('Observation', 'category', example())).toContain('category=vital-signs');
    expect(tokenValues('Observation', 'status', example())).toEqual(['status=final']);
    expect(clinicalDate(example(), observation.date)).toEqual(NOW);
  });

  it('takes a weight in kg, g or pounds, and refuses 5000 kg', () => {
    expect(problems(weight(72.5, 'kg'))).toEqual([]);
    expect(validationErrors(weight(72.5, 'kg'))).toEqual([]);
    expect(problems(weight(72_500, 'g'))).toEqual([]);
    expect(problems(weight(160, '[lb_av]'))).toEqual([]);
    expect(problems(weight(5000, 'kg'))).toEqual(['Observation.valueQuantity: the value is outside 0.3 to 400 kg']);
  });

  it('refuses a unit that is not UCUM, one that measures something else, and a value without a unit', () => {
    expect(problems(weight(72, 'KG'))).toEqual([
      `Observation.valueQuantity needs a valid UCUM code with system ${UCUM}`,
    ]);
    expect(problems(weight(72, 'mm[Hg]'))).toEqual([
      'Observation.valueQuantity: the unit must be commensurable with kg',
    ]);
    expect(problems(single('vital-signs', '29463-7', { valueQuantity: { value: 72, unit: 'kg' } }))).toHaveLength(1);
  });

  it('converts a temperature in Fahrenheit, and refuses one no living patient has', () => {
    const temperature = (v: number, unit: string) => single('vital-signs', '8310-5', { valueQuantity: qty(v, unit) });
    expect(problems(temperature(101.3, '[degF]'))).toEqual([]);
    expect(problems(temperature(38.4, 'Cel'))).toEqual([]);
    expect(problems(temperature(384, 'Cel'))).toHaveLength(1);
  });

  it('wants both pressures, the systolic above the diastolic, and no value on the panel (R4 obs-7)', () => {
    expect(problems(bp(128, 84))).toEqual([]);
    expect(problems(bp(80, 120))).toEqual(['Observation.component: the systolic pressure must be above the diastolic']);
    expect(problems(bp(128, null))).toEqual(['Observation.component: 8462-4 is required']);
    expect(problems({ ...example(), valueQuantity: qty(128, 'mm[Hg]') })).toContain(
      "Observation.value[x]: a panel's values are in its components (R4 obs-7)",
    );
  });

  it('refuses a pressure recorded outside its panel, and a vital sign filed as a laboratory result', () => {
    expect(problems(single('vital-signs', '8480-6', { valueQuantity: qty(130, 'mm[Hg]') }))).toEqual([
      'Observation.code: this code is a component of the panel 85354-9',
    ]);
    expect(problems(single('laboratory', '29463-7', { valueQuantity: qty(72, 'kg') }))).toEqual([
      'Observation.category: this code is a vital sign (vital-signs)',
    ]);
    expect(problems(single('vital-signs', '2345-7', { valueQuantity: qty(1, 'g/L') }))).toHaveLength(1);
  });

  it('refuses a future measurement, a missing date, and the performer from a client', () => {
    expect(problems({ ...example(), effectiveDateTime: '2025-03-20T08:00:00Z' })).toEqual([
      'Observation.effectiveDateTime is in the future',
    ]);
    const { effectiveDateTime: _e, ...undated } = example();
    expect(problems(undated)).toEqual(['Observation.effectiveDateTime is required']);
    expect(problems({ ...example(), performer: [{ reference: 'Practitioner/x' }] })).toEqual([
      'Observation.performer is set by medvault',
    ]);
  });
});

describe('Observation: laboratory results', () => {
  const creatinine = (value: Json, more: Json = {}) => lab('14682-9', { valueQuantity: value, ...more });

  it('takes a creatinine in umol/L with its range and interpretation', () => {
    const r = creatinine(qty(132, 'umol/L'), {
      referenceRange: [{ low: qty(45, 'umol/L'), high: qty(104, 'umol/L') }],
      interpretation: [{ coding: [{ system: OBSERVATION_INTERPRETATION, code: 'H' }] }],
    });
    expect(problems(r)).toEqual([]);
    expect(validationErrors(r)).toEqual([]);
  });

  it('takes a result in arbitrary units in its own unit (a TSH in m[IU]/L, which UCUM cannot convert)', () => {
    const tsh = lab('3016-3', { valueQuantity: qty(2.1, 'm[IU]/L'), referenceRange: [{ low: qty(0.4, 'm[IU]/L'), high: qty(4, 'm[IU]/L') }] });
    expect(problems(tsh)).toEqual([]);
    expect(problems(lab('3016-3', { valueQuantity: qty(2.1, 'mm[Hg]') }))).toEqual([
      'Observation.valueQuantity: the unit must be commensurable with m[IU]/L',
    ]);
  });

  it('refuses a creatinine in g/L (LOINC codes mass and substance concentrations apart) or negative', () => {
    expect(problems(creatinine(qty(1.2, 'g/L')))).toEqual([
      'Observation.valueQuantity: the unit must be commensurable with umol/L',
    ]);
    expect(problems(creatinine(qty(-3, 'umol/L')))).toEqual(['Observation.valueQuantity.value is negative']);
  });

  it('refuses a range whose low is above its high, or in a unit of another kind', () => {
    const range = (low: Json, high: Json) => creatinine(qty(90, 'umol/L'), { referenceRange: [{ low, high }] });
    expect(problems(range(qty(104, 'umol/L'), qty(45, 'umol/L')))).toEqual([
      'Observation.referenceRange[0].low is above its high',
    ]);
    expect(problems(range(qty(0.5, 'mg/dL'), qty(104, 'umol/L')))).toEqual([
      "Observation.referenceRange[0].low: the unit must be commensurable with the value's",
    ]);
    expect(problems(creatinine(qty(90, 'umol/L'), { referenceRange: [{}] }))).toEqual([
      'Observation.referenceRange[0] needs a low, a high or a text (R4 obs-3)',
    ]);
  });

  it('refuses an interpretation outside the v3 list, and a value beside a reason for its absence (R4 obs-6)', () => {
    const positive = [{ coding: [{ system: OBSERVATION_INTERPRETATION, code: 'POS' }] }];
    const r = creatinine(qty(90, 'umol/L'), { interpretation: positive });
    expect(problems(r)).toHaveLength(1);
    const absent = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'error' }] };
    expect(problems(creatinine(qty(90, 'umol/L'), { dataAbsentReason: absent }))).toEqual([
      'Observation.dataAbsentReason must be absent when a value is present (R4 obs-6)',
    ]);
    expect(problems(lab('14682-9', { dataAbsentReason: absent }))).toEqual([]);
    expect(problems(lab('14682-9', {}))).toEqual(['Observation.value[x] or dataAbsentReason is required (R4 vs-2)']);
  });

  it('takes a test outside the picker list with a valid check digit, and refuses a wrong check digit', () => {
    expect(loincChecked('2532-0')).toBe(true);
    expect(problems(lab('2532-0', { valueQuantity: qty(210, 'U/L') }))).toEqual([]);
    expect(problems(lab('2345-8', { valueQuantity: qty(1, 'g/L') }))).toEqual([
      'Observation.code.coding[0].code is not a valid code of its system',
    ]);
  });

  it('takes a screening test as a coded presence, not a quantity', () => {
    const negative = { coding: [{ system: SNOMED, code: '260385009', display: 'Négatif' }] };
    expect(problems(lab('56888-1', { valueCodeableConcept: negative }))).toEqual([]);
    expect(problems(lab('56888-1', { valueQuantity: qty(1, '1') }))).toEqual([
      'Observation.valueQuantity: this test tells a presence; its value is a valueCodeableConcept',
    ]);
  });

  it('labels an HIV viral load and an HIV screening test whatever their result, not a blood pressure', () => {
    expect(observation.labels(example())).toEqual([]);
    expect(observation.labels(lab('20447-9', { valueQuantity: qty(40, '{copies}/mL') }))).toEqual(['HIV']);
    const negative = { coding: [{ system: SNOMED, code: '260385009' }] };
    expect(observation.labels(lab('56888-1', { valueCodeableConcept: negative }))).toEqual(['HIV']);
    expect(observation.labels(lab('14682-9', { valueQuantity: qty(90, 'umol/L') }))).toEqual([]);
  });
});
