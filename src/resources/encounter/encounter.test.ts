import { describe, expect, it } from 'vitest';
import { validationErrors } from '../../../test/helpers/validators.js';
import { clinicalDate, tokenValues } from '../index.js';
import type { Json } from '../module.js';
import { ENCOUNTER_CLASS, ICD10, SNOMED } from '../systems.js';
import { encounter } from './index.js';

const NOW = new Date('2025-03-14T09:30:00Z');
const PATIENT = '3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01';
const APPOINTMENT = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const example = (): Json => encounter.example(PATIENT, '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', NOW);
const problems = (r: Json) => encounter.check(r, NOW).problems;
const reason = (system: string, code: string) => ({ reasonCode: [{ coding: [{ system, code }] }] });
const when = (status: string, start: string, end?: string) => ({
  ...example(), status, period: end === undefined ? { start } : { start, end },
});

describe('Encounter', () => {
  it('takes the example: a finished consultation at the practice for a hypertension follow-up', () => {
    expect(problems(example())).toEqual([]);
    expect(tokenValues('Encounter', 'class', example())).toEqual(['class=AMB', `class=${ENCOUNTER_CLASS}|AMB`]);
    expect(tokenValues('Encounter', 'status', example())).toEqual(['status=finished']);
    expect(tokenValues('Encounter', 'reason-code', example())).toEqual(['reason-code=I10', `reason-code=${ICD10}|I10`]);
    expect(clinicalDate(example(), encounter.date)).toEqual(new Date(NOW.getTime() - 20 * 60_000));
  });

  it('takes a planned teleconsultation ahead, booked from an appointment, with a reason in words', () => {
    const r = {
      ...when('planned', '2025-03-21T14:00:00Z'),
      class: { system: ENCOUNTER_CLASS, code: 'VR' },
      appointment: [{ reference: `Appointment/${APPOINTMENT}` }],
      reasonCode: [{ text: 'Résultats de la prise de sang' }],
    };
    expect(problems(r)).toEqual([]);
    expect(validationErrors(r)).toEqual([]);
  });

  it('wants a start, an end not before it, and only a planned consultation ahead', () => {
    expect(problems({ ...example(), period: { end: '2025-03-14T09:00:00Z' } })).toEqual([
      'Encounter.period.start is required',
    ]);
    expect(problems(when('finished', '2025-03-14T09:00:00Z', '2025-03-14T08:40:00Z'))).toEqual([
      'Encounter.period.end is before its start',
    ]);
    expect(problems(when('finished', '2025-03-21T14:00:00Z', '2025-03-21T14:20:00Z'))).toEqual([
      'Encounter.period.start is in the future (only a planned consultation is ahead)',
      'Encounter.period.end is in the future',
    ]);
    expect(problems(when('planned', '2025-02-01T14:00:00Z'))).toEqual([
      'Encounter.period.start: a planned consultation is not in the past',
    ]);
    expect(problems(when('in-progress', '2025-03-14T09:00:00Z', '2025-03-14T09:20:00Z'))).toEqual([
      'Encounter.period.end: a consultation in progress has not ended',
    ]);
  });

  it('refuses a status or class medvault does not serve, and a missing class', () => {
    expect(problems({ ...example(), status: 'arrived' })).toHaveLength(1);
    expect(problems({ ...example(), class: { system: ENCOUNTER_CLASS, code: 'IMP' } })).toEqual([
      `Encounter.class must be one of AMB, HH, VR (${ENCOUNTER_CLASS})`,
    ]);
    const { class: _c, ...classless } = example();
    expect(problems(classless)).toEqual(['Encounter.class is required (AMB, HH, VR)']);
  });

  it('takes a practitioner as participant but not a patient, and refuses a note (not an R4 Encounter element)', () => {
    const participant = [{ individual: { reference: `Patient/${PATIENT}` } }];
    expect(problems({ ...example(), participant })).toEqual([
      'Encounter.participant[0].individual must reference Practitioner/{id}',
    ]);
    expect(problems({ ...example(), note: [{ text: 'Patient anxieux' }] })).toEqual(['Encounter.note is not accepted']);
  });

  it('refuses a reason in a code system it does not know, or an ill-formed CIM-10 code', () => {
    expect(problems({ ...example(), ...reason('http://example.org/motifs', 'RENOUV') })).toEqual([
      `Encounter.reasonCode[0].coding[0].system must be ${ICD10} or ${SNOMED}`,
    ]);
    expect(problems({ ...example(), ...reason(ICD10, 'HTA') })).toHaveLength(1);
  });

  it('labels a visit for HIV or a depression by its reason, not one for hypertension', () => {
    expect(encounter.labels(example())).toEqual([]);
    expect(encounter.labels({ ...example(), ...reason(ICD10, 'B24') })).toEqual(['HIV']);
    expect(encounter.labels({ ...example(), ...reason(ICD10, 'F33.1') })).toEqual(['PSY']);
    expect(encounter.labels({ ...example(), ...reason(SNOMED, '165816005') })).toEqual(['HIV']);
  });
});
