import { ucumOf, unitWords, type Coded, type Vaccine } from './codes.js';
import {
  ALLERGY_CLINICAL, ATC, CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, CVX, ENCOUNTER_CLASS,
  encounterRef, ICD10, LOINC, OBSERVATION_CATEGORY, UCUM, VITAL,
} from './read.js';

/**
 * The clinical resources the chart writes, as the server's modules accept them
 * (src/resources/<type>/index.ts: their check() says what is refused). The author elements
 * (recorder, requester, performer) are the server's to set and are never sent.
 */
type Json = Record<string, unknown>;

const patient = (id: string) => ({ reference: `Patient/${id}` });
const inConsultation = (encounterId: string | null) => (encounterId ? { encounter: encounterRef(encounterId) } : {});

/** A local calendar day (YYYY-MM-DD): a prescription is dated the day the doctor signs it, where she is. */
export function localDay(at: Date): string {
  return `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
}

export type EncounterClass = 'AMB' | 'HH' | 'VR';

/** A consultation begun now, with its reason in words and the practitioner who sees the patient. */
export function encounterStarted(
  patientId: string, practitionerId: string, reason: string, cls: EncounterClass, at: Date,
): Json {
  return {
    resourceType: 'Encounter',
    status: 'in-progress',
    class: { system: ENCOUNTER_CLASS, code: cls },
    subject: patient(patientId),
    participant: [{
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }],
      individual: { reference: `Practitioner/${practitionerId}` },
    }],
    period: { start: at.toISOString() },
    reasonCode: [{ text: reason }],
  };
}

/**
 * The same consultation, finished now. What the server set (meta, the narrative) is not sent back:
 * it refuses a client's `meta`; the version sent is in If-Match.
 */
export function encounterFinished(e: any, at: Date): Json {
  const { meta: _meta, text: _text, ...kept } = e;
  return { ...kept, status: 'finished', period: { ...e.period, end: at.toISOString() } };
}

/** A vital sign measured now: its LOINC code, its value in the code's UCUM unit (from the server's list). */
export function vitalSign(patientId: string, encounterId: string | null, loinc: string, value: number, at: Date): Json {
  const code = ucumOf(loinc);
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs' }] }],
    code: { coding: [{ system: LOINC, code: loinc }] },
    subject: patient(patientId),
    ...inConsultation(encounterId),
    effectiveDateTime: at.toISOString(),
    valueQuantity: { value, unit: unitWords(code), system: UCUM, code },
  };
}

/** A blood pressure: the panel 85354-9 with its systolic and diastolic components (R4 vital signs profile). */
export function bloodPressure(
  patientId: string, encounterId: string | null, systolic: number, diastolic: number, at: Date,
): Json {
  const part = (loinc: string, value: number) => ({
    code: { coding: [{ system: LOINC, code: loinc }] },
    valueQuantity: { value, unit: 'mmHg', system: UCUM, code: ucumOf(loinc) },
  });
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs' }] }],
    code: { coding: [{ system: LOINC, code: VITAL.bloodPressure }] },
    subject: patient(patientId),
    ...inConsultation(encounterId),
    effectiveDateTime: at.toISOString(),
    component: [part(VITAL.systolic, systolic), part(VITAL.diastolic, diastolic)],
  };
}

/** The body mass index, kg/m², to one decimal. */
export function bmiOf(weightKg: number, heightCm: number): number {
  const m = heightCm / 100;
  return Math.round((weightKg / (m * m)) * 10) / 10;
}

/** A problem of the list: a CIM-10 code, active and confirmed. */
export function problem(patientId: string, encounterId: string | null, c: Coded, onset: string | null, at: Date): Json {
  return {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: 'active' }] },
    verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: 'confirmed' }] },
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'problem-list-item' }] }],
    code: { coding: [{ system: ICD10, code: c.code, display: c.display }], text: c.display },
    subject: patient(patientId),
    ...inConsultation(encounterId),
    ...(onset ? { onsetDateTime: onset } : {}),
    recordedDate: localDay(at),
  };
}

/** The same problem, resolved today (R4 con-4: an abated problem is no longer active). */
export function problemResolved(c: any, at: Date): Json {
  const { meta: _meta, text: _text, ...kept } = c;
  return {
    ...kept,
    clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: 'resolved' }] },
    abatementDateTime: localDay(at),
  };
}

/** A treatment stopped today (R4 MedicationRequest.status `stopped`), nothing else changed. */
export function treatmentStopped(m: any): Json {
  const { meta: _meta, text: _text, ...kept } = m;
  return { ...kept, status: 'stopped' };
}

export type AllergyCategory = 'medication' | 'food' | 'environment' | 'biologic';
export type Criticality = 'low' | 'high' | 'unable-to-assess';

export interface AllergyInput {
  /** A drug of the list (ATC), or null for a substance in words. */
  readonly drug: Coded | null;
  readonly substance: string;
  readonly category: AllergyCategory;
  readonly criticality: Criticality | null;
  readonly reaction: string;
}

/** An allergy: a drug coded in ATC (then a medication), or a substance in words. */
export function allergy(patientId: string, encounterId: string | null, a: AllergyInput, at: Date): Json {
  return {
    resourceType: 'AllergyIntolerance',
    clinicalStatus: { coding: [{ system: ALLERGY_CLINICAL, code: 'active' }] },
    type: 'allergy',
    category: [a.drug ? 'medication' : a.category],
    ...(a.criticality ? { criticality: a.criticality } : {}),
    code: a.drug
      ? { coding: [{ system: ATC, code: a.drug.code, display: a.drug.display }], text: a.substance }
      : { text: a.substance },
    patient: patient(patientId),
    ...inConsultation(encounterId),
    recordedDate: localDay(at),
    ...(a.reaction.trim() ? { reaction: [{ manifestation: [{ text: a.reaction.trim() }] }] } : {}),
  };
}

/** A vaccination given: the vaccine by its ATC code (and CVX where one matches), its lot, its dose number. */
export function vaccination(
  patientId: string, encounterId: string | null, v: Vaccine, day: string, lot: string, dose: number | null,
): Json {
  return {
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: {
      coding: [{ system: ATC, code: v.code, display: v.display }, ...(v.cvx ? [{ system: CVX, code: v.cvx }] : [])],
      text: v.display,
    },
    patient: patient(patientId),
    ...inConsultation(encounterId),
    occurrenceDateTime: day,
    primarySource: true,
    ...(lot.trim() ? { lotNumber: lot.trim() } : {}),
    ...(dose ? { protocolApplied: [{ doseNumberPositiveInt: dose }] } : {}),
  };
}
