/**
 * Observations as another system would post them to medvault (a connected scale, a laboratory's
 * interface): the vital signs profile's codes and units, a result with its reference range.
 */
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** An Observation of a patient, of a category, coded in LOINC, with its value. */
function observation(patientId: string, category: string, loinc: string, at: string, value: object) {
  return {
    resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: CATEGORY, code: category }] }],
    code: { coding: [{ system: LOINC, code: loinc }] }, subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: at, ...value,
  };
}

const quantity = (value: number, code: string, unit = code) => ({ value, unit, system: UCUM, code });

/** A weight measured earlier. */
export const weight = (patientId: string, at: string, kg: number) =>
  observation(patientId, 'vital-signs', '29463-7', at, { valueQuantity: quantity(kg, 'kg') });

/** A blood pressure measured earlier: the panel and its two components. */
export function pressure(patientId: string, at: string, systolic: number, diastolic: number) {
  const part = (code: string, value: number) => ({
    code: { coding: [{ system: LOINC, code }] }, valueQuantity: quantity(value, 'mm[Hg]', 'mmHg'),
  });
  return observation(patientId, 'vital-signs', '85354-9', at, {
    component: [part('8480-6', systolic), part('8462-4', diastolic)],
  });
}

/** A laboratory result with its reference range, and the laboratory's interpretation when it gave one. */
export function labResult(
  patientId: string, loinc: string, value: number, unit: string, [low, high]: [number | null, number | null],
  flag?: string,
) {
  return observation(patientId, 'laboratory', loinc, new Date().toISOString(), {
    valueQuantity: quantity(value, unit),
    referenceRange: [{
      ...(low !== null ? { low: quantity(low, unit) } : {}),
      ...(high !== null ? { high: quantity(high, unit) } : {}),
    }],
    ...(flag ? { interpretation: [{ coding: [{ system: INTERPRETATION, code: flag }] }] } : {}),
  });
}
