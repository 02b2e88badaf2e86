import { describe, expect, it } from 'vitest';
import { validationErrors } from './validators.js';

/** The two validators the clinical modules' tests rely on really refuse what is wrong. */
describe('validationErrors', () => {
  const valid = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    subject: { reference: 'Patient/3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01' },
    valueQuantity: { value: 72, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  };

  it('finds nothing wrong with a valid resource', () => {
    expect(validationErrors(valid)).toEqual([]);
  });

  it('reports a wrong type from both validators', () => {
    const errors = validationErrors({ ...valid, valueQuantity: { value: 'soixante-douze' } });
    expect(errors.some((e) => e.startsWith('fhir.js: ') && e.includes('valueQuantity.value'))).toBe(true);
    expect(errors.some((e) => e.startsWith('medplum: ') && e.includes('value'))).toBe(true);
  });

  it('reports a code outside a required binding (FHIR.js)', () => {
    const errors = validationErrors({ ...valid, status: 'validé' });
    expect(errors.some((e) => e.startsWith('fhir.js: Observation.status'))).toBe(true);
  });

  it('reports an unknown element (Medplum) and a broken invariant (Medplum, R4 tim-2)', () => {
    const unknown = validationErrors({ ...valid, poids: 72 });
    expect(unknown.some((e) => e.startsWith('medplum: Observation.poids'))).toBe(true);
    const timing = { repeat: { frequency: 1, period: 1 } };
    const r = {
      resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'x' },
      subject: valid.subject, dosageInstruction: [{ timing }],
    };
    expect(validationErrors(r).some((e) => e.startsWith('medplum: ') && e.includes('tim-2'))).toBe(true);
  });

  it('keeps a required choice holding false (FHIR.js alone calls it missing), reports one truly missing', () => {
    const r = {
      resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'x' },
      subject: valid.subject, substitution: { allowedBoolean: false },
    };
    expect(validationErrors(r)).toEqual([]);
    const missing = validationErrors({ ...r, substitution: { reason: { text: 'MTE' } } });
    expect(missing.some((e) => e.startsWith('fhir.js: MedicationRequest.substitution.allowed[x]'))).toBe(true);
  });

  it('reports a missing required element', () => {
    const { status: _s, ...r } = valid;
    expect(validationErrors(r).length).toBeGreaterThan(0);
  });
});
