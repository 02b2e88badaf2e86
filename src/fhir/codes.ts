/** Systems and codes used in medvault's FHIR resources (FR Core, HL7 terminology). */
export const INS_NIR_SYSTEM = 'urn:oid:1.2.250.1.213.1.4.8';
export const RPPS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
export const FINESS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.2';
export const FR_CORE_PATIENT = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient';
export const FR_CORE_PATIENT_INS = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins';
export const BIRTH_PLACE_EXT = 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace';
export const INSEE_CODE_EXT = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code';
export const IDENTITY_STATUS_EXT = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability';
export const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const V3_CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
export const LOINC = 'http://loinc.org';
export const DICOM = 'http://dicom.nema.org/resources/ontology/DCM';
export const AUDIT_ACTION_SYSTEM = 'https://medvault.example/fhir/CodeSystem/audit-action';
export const V3_PURPOSE = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
