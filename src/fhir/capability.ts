/** The CapabilityStatement served at GET /fhir/metadata. */
export const MAX_COUNT = 50;
export const DEFAULT_COUNT = 20;

const search = (names: string[]) => names.map((name) => ({ name, type: name === 'birthdate' || name === 'date' ? 'date' : name === 'identifier' ? 'token' : name === 'patient' || name === 'practitioner' || name === 'agent' ? 'reference' : 'string' }));

export function capabilityStatement(version: string, base: string): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-23',
    kind: 'instance',
    software: { name: 'medvault', version },
    implementation: { description: 'medvault patient records', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation: `Search results are paged: _count at most ${MAX_COUNT} (default ${DEFAULT_COUNT}); the next page is an opaque link. Every access is audited.`,
        security: {
          cors: false,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description: 'Bearer tokens from POST /auth/login and /auth/mfa (or OpenID Connect); SMART scopes narrow the role.',
        },
        resource: [
          { type: 'Patient', interaction: ['read', 'create', 'update', 'search-type'].map((code) => ({ code })), versioning: 'versioned-update', updateCreate: false, conditionalUpdate: false, searchParam: search(['name', 'family', 'given', 'birthdate', 'identifier', 'email', 'phone', '_count']), operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] },
          { type: 'Practitioner', interaction: ['read', 'search-type'].map((code) => ({ code })), searchParam: search(['_count']) },
          { type: 'Organization', interaction: ['read', 'search-type'].map((code) => ({ code })) },
          { type: 'Appointment', interaction: ['read', 'create', 'update', 'search-type'].map((code) => ({ code })), searchParam: search(['patient', 'practitioner', 'date', '_count']) },
          { type: 'DocumentReference', interaction: ['read', 'create', 'search-type'].map((code) => ({ code })), searchParam: search(['patient', '_count']) },
          { type: 'AuditEvent', interaction: ['search-type'].map((code) => ({ code })), searchParam: search(['patient', 'agent', 'date', '_count']) },
        ],
      },
    ],
  };
}
