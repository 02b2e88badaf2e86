export { toFhirPatient, toFhirPatientListing, fromFhirPatient, type PatientInput } from './patient.js';
export { toFhirDocumentReference, fromFhirDocumentReference, toFhirAppointment, toFhirPractitioner, toFhirOrganization, toFhirAuditEvent, searchBundle, type AuditRecord } from './resources.js';
export { capabilityStatement, MAX_COUNT, DEFAULT_COUNT } from './capability.js';
export { fhirSchemaErrors } from './validator.js';
export * from './codes.js';
