export { toFhirPatient, toFhirPatientListing, fromFhirPatient, type PatientInput } from './patient.js';
export {
  CANCEL_REASON_SYSTEM, VISIT_TYPE_SYSTEM, toFhirDocumentReference, fromFhirDocumentReference, toFhirAppointment,
  toFhirPractitioner, toFhirOrganization, toFhirAuditEvent, searchBundle, type AuditRecord, type SearchWarning,
} from './resources.js';
export { capabilityStatement, MAX_COUNT, DEFAULT_COUNT, APPOINTMENT_SEARCH, PATIENT_SEARCH } from './capability.js';
export { dateCondition, parseDateValue, meets, DATE_PREFIXES, type DateCondition, type DatePrefix, type Interval } from './date-search.js';
export { fhirSchemaErrors } from './validator.js';
export { toFhirClinical } from './clinical.js';
export { isSubsetted, subset, subsetOf, SUBSETTED, SUBSETTED_WRITE, type Subset } from './subsetting.js';
export * from './codes.js';
export { directoryMatches, directoryProblems, ORGANIZATION_SEARCH, PRACTITIONER_SEARCH } from './directory-search.js';
