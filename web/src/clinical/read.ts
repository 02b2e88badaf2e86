import { LOINC_CODES, unitWords } from './codes.js';

/**
 * Reading the clinical resources the server returns (FHIR R4 JSON): the words of a concept, a
 * quantity in French, a vital sign's code and values. Nothing here writes.
 */
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const ATC = 'http://www.whocc.no/atc';
export const CVX = 'http://hl7.org/fhir/sid/cvx';
export { fmtNumber, LOINC } from './basics.js';
import { fmtNumber, LOINC } from './basics.js';
export const UCUM = 'http://unitsofmeasure.org';
export const ENCOUNTER_CLASS = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** The LOINC codes of the vital signs the chart records (the R4 vital signs profile). */
export const VITAL = {
  weight: '29463-7',
  height: '8302-2',
  bmi: '39156-5',
  bloodPressure: '85354-9',
  systolic: '8480-6',
  diastolic: '8462-4',
  heartRate: '8867-4',
  temperature: '8310-5',
} as const;

/** A CodeableConcept in words: its text, else a coding's display, else its code. */
export function conceptText(c: any): string {
  if (!c) return '—';
  if (typeof c.text === 'string') return c.text;
  const coding = (c.coding ?? []).find((x: any) => typeof x.display === 'string') ?? c.coding?.[0];
  return coding?.display ?? coding?.code ?? '—';
}

/** The code of a concept in one system. */
export function codeIn(c: any, system: string): string | undefined {
  return (c?.coding ?? []).find((x: any) => x.system === system)?.code;
}

/** A number as the reader writes it (83,7 in French). */
/** A Quantity in words: "83,7 kg", "146 mmHg". */
export function quantityText(q: any): string {
  if (!q || typeof q.value !== 'number') return '—';
  const unit = q.code ? unitWords(q.code) : (q.unit ?? '');
  return `${fmtNumber(q.value)} ${unit}`.trim();
}

/** An Observation's LOINC code. */
export function loincOf(o: any): string | undefined {
  return codeIn(o?.code, LOINC);
}

/** A panel component's value (the systolic of a blood pressure). */
export function componentValue(o: any, loinc: string): number | undefined {
  const c = (o?.component ?? []).find((x: any) => codeIn(x.code, LOINC) === loinc);
  return typeof c?.valueQuantity?.value === 'number' ? c.valueQuantity.value : undefined;
}

/** A vital sign's value in words, a blood pressure as "146/93 mmHg". */
export function vitalText(o: any): string {
  if (loincOf(o) === VITAL.bloodPressure) {
    const s = componentValue(o, VITAL.systolic);
    const d = componentValue(o, VITAL.diastolic);
    return s === undefined || d === undefined ? '—' : `${fmtNumber(s)}/${fmtNumber(d)} mmHg`;
  }
  return quantityText(o?.valueQuantity);
}

/** An Observation's name: its text, its coding's display, or the server's French name for the code. */
export function observationName(o: any): string {
  if (typeof o?.code?.text === 'string') return o.code.text;
  const loinc = loincOf(o);
  return (loinc && LOINC_CODES.get(loinc)?.display) ?? conceptText(o?.code);
}

/** The sensitivity labels the server gave a resource (meta.security, v3 ActCode: HIV, PSY…), as a note has them. */
export function sensitivityOf(r: any): string[] {
  const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
  return (r?.meta?.security ?? []).filter((c: any) => c.system === ACT).map((c: any) => c.code as string);
}

/** The reference a resource keeps to its consultation. */
export function encounterRef(id: string): { reference: string } {
  return { reference: `Encounter/${id}` };
}

/** Whether a resource was recorded in this consultation. */
export function inEncounter(r: any, encounterId: string): boolean {
  return r?.encounter?.reference === `Encounter/${encounterId}`;
}
