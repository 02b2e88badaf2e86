import { describe, expect, it } from 'vitest';
import { validationErrors } from '../../../test/helpers/validators.js';
import { clinicalDate, tokenValues } from '../index.js';
import type { Json } from '../module.js';
import { ALLERGY_CLINICAL, ATC, SNOMED } from '../systems.js';
import { allergyIntolerance as allergy } from './index.js';

const NOW = new Date('2025-03-14T09:30:00Z');
const PATIENT = '3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01';
const example = (): Json => allergy.example(PATIENT, '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', NOW);
const problems = (r: Json) => allergy.check(r, NOW).problems;
const coded = (system: string, code: string) => ({ coding: [{ system, code }] });
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

describe('AllergyIntolerance', () => {
  it('takes the example: an amoxicillin allergy with urticaria, searchable by code, status, category and date', () => {
    expect(problems(example())).toEqual([]);
    expect(tokenValues('AllergyIntolerance', 'code', example())).toContain(`code=${ATC}|J01CA04`);
    expect(tokenValues('AllergyIntolerance', 'clinical-status', example())).toContain('clinical-status=active');
    expect(tokenValues('AllergyIntolerance', 'category', example())).toEqual(['category=medication']);
    expect(clinicalDate(example(), allergy.date)).toEqual(new Date('2025-03-14'));
  });

  it('takes an allergy no list codes, in words only, and a food allergy in SNOMED CT', () => {
    const pollen = { ...example(), code: { text: 'Pollen de bouleau' }, category: ['environment'] };
    expect(problems(pollen)).toEqual([]);
    expect(validationErrors(pollen)).toEqual([]);
    const peanut = { ...example(), code: coded(SNOMED, '762952008'), category: ['food'] };
    expect(problems(peanut)).toEqual([]);
  });

  it('refuses a code system it does not know, and a SNOMED CT code with a wrong check digit', () => {
    expect(problems({ ...example(), code: coded('http://example.org/allergenes', 'AMOX') })).toEqual([
      `AllergyIntolerance.code.coding[0].system must be ${SNOMED} or ${ATC}`,
    ]);
    expect(problems({ ...example(), code: coded(SNOMED, '762952009') })).toEqual([
      'AllergyIntolerance.code.coding[0].code is not a valid code of its system',
    ]);
  });

  it('refuses a drug (ATC) filed as a food', () => {
    expect(problems({ ...example(), category: ['food'] })).toEqual([
      'AllergyIntolerance.category: a substance coded in ATC is a medication',
    ]);
  });

  it('wants a clinical status, except on an entry made in error (R4 ait-1, ait-2)', () => {
    const { clinicalStatus: _c, ...without } = example();
    expect(problems(without)).toEqual(['AllergyIntolerance.clinicalStatus is required (active, inactive, resolved)']);
    const error = { ...example(), verificationStatus: coded(VERIFICATION, 'entered-in-error') };
    expect(problems(error)).toEqual([
      'AllergyIntolerance.clinicalStatus must be absent when entered-in-error (R4 ait-2)',
    ]);
    expect(problems({ ...without, verificationStatus: coded(VERIFICATION, 'entered-in-error') })).toEqual([]);
    expect(problems({ ...example(), clinicalStatus: coded(ALLERGY_CLINICAL, 'remission') })).toHaveLength(1);
  });

  it('refuses a future or missing recorded date, and an onset after it', () => {
    expect(problems({ ...example(), recordedDate: '2025-04-01' })).toEqual([
      'AllergyIntolerance.recordedDate is in the future',
    ]);
    const { recordedDate: _r, ...undated } = example();
    expect(problems(undated)).toEqual(['AllergyIntolerance.recordedDate is required']);
    expect(problems({ ...example(), onsetDateTime: '2025-03-01', recordedDate: '2025-02-01' })).toEqual([
      'AllergyIntolerance.onsetDateTime is after recordedDate',
    ]);
  });

  it('wants a manifestation in every reaction, and a severity from its required binding', () => {
    expect(problems({ ...example(), reaction: [{ severity: 'moderate' }] })).toEqual([
      'AllergyIntolerance.reaction[0].manifestation is required',
    ]);
    const r = { ...example(), reaction: [{ manifestation: [{ text: 'Œdème de Quincke' }], severity: 'grave' }] };
    expect(problems(r)).toEqual(['AllergyIntolerance.reaction[0].severity must be one of mild, moderate, severe']);
  });

  it('refuses the recorder from a client, and an unknown category or criticality', () => {
    expect(problems({ ...example(), recorder: { reference: 'Practitioner/x' } })).toEqual([
      'AllergyIntolerance.recorder is set by medvault',
    ]);
    expect(problems({ ...example(), code: { text: 'Pollen' }, category: ['pollen'], criticality: 'severe' })).toEqual([
      'AllergyIntolerance.criticality must be one of low, high, unable-to-assess',
      'AllergyIntolerance.category[0] must be one of food, medication, environment, biologic',
    ]);
  });

  it('labels an allergy to an antiretroviral or to a psychotropic (the allergy discloses the treatment)', () => {
    expect(allergy.labels(example())).toEqual([]);
    expect(allergy.labels({ ...example(), code: coded(ATC, 'J05AF06') })).toEqual(['HIV']);
    expect(allergy.labels({ ...example(), code: coded(ATC, 'N05AH03') })).toEqual(['PSY']);
    const reaction = [{ substance: coded(ATC, 'J05AR03'), manifestation: [{ text: 'Éruption' }] }];
    expect(allergy.labels({ ...example(), reaction })).toEqual(['HIV']);
  });
});
