import { describe, expect, it } from 'vitest';
import { validationErrors } from '../../../test/helpers/validators.js';
import { clinicalDate, tokenValues } from '../index.js';
import type { Json } from '../module.js';
import { CONDITION_CLINICAL, CONDITION_VERIFICATION, ICD10, SNOMED } from '../systems.js';
import { condition } from './index.js';

const NOW = new Date('2025-03-14T09:30:00Z');
const PATIENT = '3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01';
const example = (): Json => condition.example(PATIENT, '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', NOW);
const problems = (r: Json) => condition.check(r, NOW).problems;
const coded = (system: string, code: string) => ({ coding: [{ system, code }] });

describe('Condition', () => {
  it('takes the example: an active essential hypertension, dated the day it was seen', () => {
    expect(problems(example())).toEqual([]);
    expect(clinicalDate(example(), condition.date)).toEqual(new Date('2025-03-14'));
    expect(tokenValues('Condition', 'code', example())).toEqual(['code=I10', `code=${ICD10}|I10`]);
  });

  it('takes a resolved problem with its abatement date, coded in SNOMED CT', () => {
    const r = {
      ...example(),
      code: coded(SNOMED, '195967001'),
      clinicalStatus: coded(CONDITION_CLINICAL, 'resolved'),
      onsetDateTime: '2024-11-02',
      abatementDateTime: '2025-01-10',
    };
    expect(problems(r)).toEqual([]);
    expect(validationErrors(r)).toEqual([]);
  });

  it('refuses an abated problem that is still active (R4 con-4)', () => {
    expect(problems({ ...example(), abatementDateTime: '2025-02-01' })).toContain(
      'Condition.abatementDateTime: an abated problem is inactive, in remission or resolved',
    );
  });

  it('refuses a code system it does not know, an ill-formed ICD-10 code and a missing code', () => {
    expect(problems({ ...example(), code: coded('http://example.org/local', 'HTA') })).toEqual([
      `Condition.code needs a coding from ${ICD10} or ${SNOMED}`,
    ]);
    expect(problems({ ...example(), code: coded(ICD10, 'hypertension') })).toHaveLength(1);
    const { code: _c, ...r } = example();
    expect(problems(r)).toEqual(['Condition.code is required']);
  });

  it('refuses an onset in the future and a clinical status outside its required binding', () => {
    expect(problems({ ...example(), onsetDateTime: '2025-06-01' })).toEqual([
      'Condition.onsetDateTime is in the future',
    ]);
    expect(problems({ ...example(), clinicalStatus: coded(CONDITION_CLINICAL, 'cured') })).toHaveLength(1);
  });

  it('refuses a clinical status on an entry made in error (R4 con-5)', () => {
    const r = { ...example(), verificationStatus: coded(CONDITION_VERIFICATION, 'entered-in-error') };
    expect(problems(r)).toContain('Condition.clinicalStatus must be absent when entered-in-error');
  });

  it('labels HIV, psychiatric and addiction problems, not a hypertension', () => {
    expect(condition.labels(example())).toEqual([]);
    expect(condition.labels({ ...example(), code: coded(ICD10, 'B20') })).toEqual(['HIV']);
    expect(condition.labels({ ...example(), code: coded(ICD10, 'F32.1') })).toEqual(['PSY']);
    expect(condition.labels({ ...example(), code: coded(ICD10, 'F10.2') })).toEqual(['SUD']);
    expect(condition.labels({ ...example(), code: coded(SNOMED, '86406008') })).toEqual(['HIV']);
  });
});
