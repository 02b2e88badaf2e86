import { describe, expect, it } from 'vitest';
import { validationErrors } from '../../test/helpers/validators.js';
import { clinicalDate, definitionOf, incidentCategories, REGISTRY, tokenValues } from './index.js';
import { evaluate } from './search.js';

/**
 * What every registered module must hold, run over the registry itself (a module added there is
 * tested here without being named): its example passes its own check and two independent FHIR
 * validators, with and without the author medvault adds; every token parameter finds beacons in
 * it; its clinical date is the one R4's date search reads; server-owned elements and a missing
 * patient are refused.
 */
const NOW = new Date('2025-03-14T09:30:00Z');
const PATIENT = '3f1c2a4e-8b7d-4c21-9e3f-5a6b7c8d9e01';
const PRACTITIONER = '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d';

describe.each(REGISTRY.modules.map((m) => [m.type, m] as const))('%s', (_type, m) => {
  const example = () => m.example(PATIENT, PRACTITIONER, NOW);

  it('its example passes its own check, for the right patient', () => {
    expect(m.check(example(), NOW)).toEqual({ problems: [], patientId: PATIENT });
  });

  it('its example is valid for FHIR.js and for Medplum, before and after medvault names its author', () => {
    expect(validationErrors(example())).toEqual([]);
    const stored = { ...example(), ...m.author({ reference: `Practitioner/${PRACTITIONER}` }) };
    expect(validationErrors(stored)).toEqual([]);
  });

  it('its example carries no sensitivity label', () => {
    expect(m.labels(example())).toEqual([]);
  });

  it.each(m.search.filter((s) => s.index === 'token').map((s) => s.name))('%s finds beacons in the example', (name) => {
    const values = tokenValues(m.type, name, example());
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => v.startsWith(`${name}=`))).toBe(true);
  });

  it('its clinical date is the date the R4 date search parameter reads, not in the future', () => {
    const date = clinicalDate(example(), m.date);
    expect(date).not.toBeNull();
    expect(date!.getTime()).toBeLessThanOrEqual(NOW.getTime());
    expect(date!.getTime()).toBeGreaterThan(NOW.getTime() - 86_400_000);
    const param = m.search.find((s) => s.index === 'date');
    expect(param).toBeDefined();
    expect(clinicalDate(example(), definitionOf(m.type, param!.name).expression)).toEqual(date);
  });

  it('its patient path reads the example patient', () => {
    expect(evaluate(example(), `${m.patient}.reference`)).toEqual([`Patient/${PATIENT}`]);
  });

  it.each(m.serverOwned)('refuses %s from a client (medvault sets it)', (element) => {
    const r = { ...example(), [element]: element === 'text' ? { status: 'generated', div: '<div/>' } : {} };
    expect(m.check(r, NOW).problems).toContain(`${m.type}.${element} is set by medvault`);
  });

  it('refuses meta and an element it does not know', () => {
    const problems = m.check({ ...example(), meta: { tag: [] }, implicitRules: 'x' }, NOW).problems;
    expect(problems).toContain(`${m.type}.meta is set by medvault`);
    expect(problems).toContain(`${m.type}.implicitRules is not accepted`);
  });

  it('refuses a resource without its patient', () => {
    const element = m.patient.split('.')[1] as string;
    const { [element]: _gone, ...r } = example();
    const checked = m.check(r, NOW);
    expect(checked.patientId).toBeNull();
    expect(checked.problems).toContain(`${m.type}.${element} is required (Patient/{id})`);
  });

  it('refuses a patient reference that is not a medvault id', () => {
    const element = m.patient.split('.')[1] as string;
    const r = { ...example(), [element]: { reference: 'Patient/12' } };
    expect(m.check(r, NOW).problems).toContain(`${m.type}.${element} must reference Patient/{id}`);
  });
});

describe('the registry', () => {
  it('serves the six clinical types, each with its own incident category', () => {
    expect(REGISTRY.modules.map((m) => m.type)).toEqual([
      'Condition', 'AllergyIntolerance', 'MedicationRequest', 'Observation', 'Immunization', 'Encounter',
    ]);
    expect(incidentCategories(REGISTRY).map((c) => c.code)).toEqual([
      'problems', 'allergies', 'treatments', 'results', 'vaccinations', 'consultations',
    ]);
  });
});
