import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { validationErrors } from '../../../test/helpers/validators.js';
import { clinicalDate, tokenValues } from '../index.js';
import type { Json } from '../module.js';
import { ATC, CIS, UCUM } from '../systems.js';
import { medicationRequest as prescription } from './index.js';

const NOW = new Date('2025-03-14T09:30:00Z');
const PATIENT = '3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01';
const example = (): Json => prescription.example(PATIENT, '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', NOW);
const problems = (r: Json) => prescription.check(r, NOW).problems;
const drug = (...coding: { system: string; code: string }[]) => ({ medicationCodeableConcept: { coding, text: 'x' } });
const daily = { repeat: { frequency: 1, period: 1, periodUnit: 'd' } };
const dosage = (d: Json): Json => ({ text: '1 comprimé le matin', timing: daily, ...d });
const withDosage = (d: Json) => ({ ...example(), dosageInstruction: [dosage(d)] });
const dispense = (d: Json) => ({ ...example(), dispenseRequest: d });
const days = (value: number) => ({ value, unit: 'jours', system: UCUM, code: 'd' });

/** A CIP 13 with its EAN-13 check digit. */
function cip13(body: string): string {
  const sum = body.split('').reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return body + String((10 - (sum % 10)) % 10);
}

describe('MedicationRequest', () => {
  it('takes the example: amlodipine, one tablet a day, a month at a time renewed twice', () => {
    expect(problems(example())).toEqual([]);
    expect(tokenValues('MedicationRequest', 'code', example())).toEqual(['code=C08CA01', `code=${ATC}|C08CA01`]);
    expect(tokenValues('MedicationRequest', 'status', example())).toEqual(['status=active']);
    expect(tokenValues('MedicationRequest', 'intent', example())).toEqual(['intent=order']);
    expect(clinicalDate(example(), prescription.date)).toEqual(new Date('2025-03-14'));
  });

  it('takes every drug of the picker list, and its French CIS or CIP 13 code beside the ATC one', () => {
    const list = createRequire(import.meta.url)('../codes/medicaments-gp.json') as { codes: { code: string }[] };
    for (const { code } of list.codes) {
      expect(problems({ ...example(), ...drug({ system: ATC, code }) }), code).toEqual([]);
    }
    const amlodipine = { system: ATC, code: 'C08CA01' };
    const both = { ...example(), ...drug(amlodipine, { system: CIS, code: cip13('340093000001') }) };
    expect(problems(both)).toEqual([]);
    expect(validationErrors(both)).toEqual([]);
    expect(problems({ ...example(), ...drug(amlodipine, { system: CIS, code: '64531780' }) })).toEqual([]);
  });

  it('refuses a drug known by its CIS code alone (no label), a group of drugs, an unknown system', () => {
    expect(problems({ ...example(), ...drug({ system: CIS, code: '64531780' }) })).toEqual([
      `MedicationRequest.medicationCodeableConcept needs a coding from ${ATC}`,
    ]);
    expect(problems({ ...example(), ...drug({ system: ATC, code: 'C08CA' }) })).toContain(
      'MedicationRequest.medicationCodeableConcept.coding[0].code is not a valid code of its system',
    );
    expect(problems({ ...example(), ...drug({ system: 'http://example.org/bdm', code: '1234' }) })).toContain(
      `MedicationRequest.medicationCodeableConcept.coding[0].system must be ${ATC} or ${CIS}`,
    );
    const wrongDigit = cip13('340093000001').replace(/.$/, (d) => String((Number(d) + 1) % 10));
    expect(problems({ ...example(), ...drug({ system: CIS, code: wrongDigit }) })).toEqual([
      'MedicationRequest.medicationCodeableConcept.coding[0].code is not a valid code of its system',
    ]);
  });

  it('takes a drug named in words only (outside the list), unlabelled unless the client says so', () => {
    const inWords = { ...example(), medicationCodeableConcept: { text: 'Spasfon lyoc 80 mg' } };
    expect(problems(inWords)).toEqual([]);
    expect(prescription.labels(inWords)).toEqual([]);
  });

  it('wants the drug named in words, dated (not ahead), and written as an order', () => {
    const r = { ...example(), medicationCodeableConcept: { coding: [{ system: ATC, code: 'C08CA01' }] } };
    expect(problems(r)).toEqual([
      'MedicationRequest.medicationCodeableConcept.text is required (the name of the drug)',
    ]);
    expect(problems({ ...example(), authoredOn: '2025-03-20' })).toEqual([
      'MedicationRequest.authoredOn is in the future',
    ]);
    expect(problems({ ...example(), intent: 'plan' })).toEqual(['MedicationRequest.intent must be one of order']);
  });

  it('refuses the requester from a client (the prescriber is the author) and a Medication reference', () => {
    expect(problems({ ...example(), requester: { reference: 'Practitioner/x' } })).toEqual([
      'MedicationRequest.requester is set by medvault',
    ]);
    expect(problems({ ...example(), medicationReference: { reference: 'Medication/x' } })).toContain(
      'MedicationRequest.medicationReference is not accepted',
    );
  });

  it('wants a dosage, in words and in structure', () => {
    const { dosageInstruction: _d, ...without } = example();
    expect(problems(without)).toEqual(['MedicationRequest.dosageInstruction is required']);
    expect(problems(withDosage({ text: undefined }))).toEqual([
      'MedicationRequest.dosageInstruction[0].text is required (the dosage in words, as printed)',
    ]);
    expect(problems(withDosage({ timing: undefined }))).toEqual([
      'MedicationRequest.dosageInstruction[0].timing is required unless the drug is taken as needed (asNeededBoolean)',
    ]);
    expect(problems(withDosage({ timing: undefined, asNeededBoolean: true }))).toEqual([]);
  });

  it('refuses a period without its unit (R4 tim-2) and a unit outside units-of-time', () => {
    expect(problems(withDosage({ timing: { repeat: { frequency: 2, period: 1 } } }))).toEqual([
      'MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit is required with a period',
    ]);
    const inWords = { repeat: { frequency: 2, period: 1, periodUnit: 'jour' } };
    expect(problems(withDosage({ timing: inWords }))).toHaveLength(1);
    expect(problems(withDosage({ timing: { repeat: { frequency: 0, period: 1, periodUnit: 'd' } } }))).toHaveLength(1);
  });

  it('takes a dose in UCUM or in words, and refuses a unit that is neither', () => {
    const dose = (doseQuantity: Json) => withDosage({ doseAndRate: [{ doseQuantity }] });
    expect(problems(dose({ value: 500, unit: 'mg', system: UCUM, code: 'mg' }))).toEqual([]);
    expect(problems(dose({ value: 2, unit: 'bouffées' }))).toEqual([]);
    expect(problems(dose({ value: 1, unit: 'comprimé', system: UCUM, code: 'comprimé' }))).toEqual([
      `MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity needs a valid UCUM code with system ${UCUM}`,
    ]);
    expect(problems(dose({ value: 1 }))).toHaveLength(1);
    expect(problems(dose({ value: -1, unit: 'comprimé' }))).toHaveLength(1);
  });

  it('holds a prescription to twelve months, its repeats included (CSP art. R.5132-21)', () => {
    expect(problems(dispense({ numberOfRepeatsAllowed: 3, expectedSupplyDuration: days(90) }))).toEqual([]);
    expect(problems(dispense({ numberOfRepeatsAllowed: 4, expectedSupplyDuration: days(90) }))).toEqual([
      'MedicationRequest.dispenseRequest: the supply and its repeats exceed twelve months (CSP art. R.5132-21)',
    ]);
    const long = { timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', boundsDuration: days(400) } } };
    expect(problems(withDosage(long))).toEqual([
      'MedicationRequest.dosageInstruction: a treatment of more than twelve months (CSP art. R.5132-21)',
    ]);
  });

  it('refuses a supply duration that is not a time (R4 drt-1) and a validity that ends before it starts', () => {
    expect(problems(dispense({ expectedSupplyDuration: { value: 30, unit: 'jours' } }))).toHaveLength(1);
    expect(problems(dispense({ validityPeriod: { start: '2025-03-14', end: '2025-03-01' } }))).toEqual([
      'MedicationRequest.dispenseRequest.validityPeriod.end is before its start',
    ]);
  });

  it('refuses substitution without one of the three reasons the law allows', () => {
    expect(problems({ ...example(), substitution: { allowedBoolean: false } })).toEqual([
      'MedicationRequest.substitution.reason.text must name MTE, EFG or CIF when substitution is refused',
    ]);
    const ok = { ...example(), substitution: { allowedBoolean: false, reason: { text: 'Non substituable (MTE)' } } };
    expect(problems(ok)).toEqual([]);
    expect(validationErrors(ok)).toEqual([]);
  });

  it('labels an antiretroviral, an antidepressant, a nicotine substitute, not an antihypertensive', () => {
    const labels = (code: string) => prescription.labels({ ...example(), ...drug({ system: ATC, code }) });
    expect(prescription.labels(example())).toEqual([]);
    expect(labels('J05AR03')).toEqual(['HIV']);
    expect(labels('N06AB06')).toEqual(['PSY']);
    expect(labels('N07BA01')).toEqual(['SUD']);
    expect(labels('C09AA05')).toEqual([]);
  });
});
