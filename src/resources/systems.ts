/** Code systems of the clinical resources (HL7 terminology, WHO, LOINC, UCUM, French registries). */
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const ATC = 'http://www.whocc.no/atc';
export const UCUM = 'http://unitsofmeasure.org';
/** The French drug database's presentation codes (CIP 13) and specialty codes (CIS). */
export const CIS = 'https://smt.esante.gouv.fr/terminologie-cis';
export const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const OBSERVATION_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
export const ENCOUNTER_CLASS = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
/** CVX vaccine codes are American; the French schedule's vaccines are coded with ATC (J07…) here. */
export const CVX = 'http://hl7.org/fhir/sid/cvx';
