import { DATE_PREFIXES, MAX_DATE_VALUES } from './date-search.js';
import { ORGANIZATION_SEARCH, PRACTITIONER_SEARCH } from './directory-search.js';
import { REGISTRY, routeLists, searchTypeOf, type Registry } from '../resources/index.js';

/** The CapabilityStatement served at GET /fhir/metadata. */
export const MAX_COUNT = 50;
export const DEFAULT_COUNT = 20;

/** Appointment's search parameters: the route accepts these and the CapabilityStatement names them. */
export const APPOINTMENT_SEARCH = ['patient', 'practitioner', 'date'] as const;

/** What a date parameter accepts (fhir/date-search.ts), said where a client reads it. */
const dateDoc = (prefixes: readonly string[]) =>
  `FHIR R4 date search: prefixes ${prefixes.join(', ')} (not ap); a value at any precision from the year to the `
  + 'millisecond is the whole period it names (2026-12-01 is that day); values without a time zone are UTC; '
  + 'repeated, the values are ANDed (date=ge2026-12-01&date=le2026-12-07 is that week); '
  + `at most ${MAX_DATE_VALUES} values.`;
const DATE_DOC: Record<string, string> = {
  Appointment: dateDoc(DATE_PREFIXES),
  AuditEvent: dateDoc(DATE_PREFIXES.filter((p) => p !== 'ne')),
};

const ID_DOC = 'Resource ids; comma-separated values are ORed.';

const REFERENCES = new Set(['patient', 'practitioner', 'agent']);
const kindOf = (name: string) => {
  if (name === 'birthdate' || name === 'date' || name === '_lastUpdated') return 'date';
  if (['identifier', '_id', 'active', 'gender', 'status'].includes(name)) return 'token';
  if (name === '_count') return 'number';
  return REFERENCES.has(name) ? 'reference' : 'string';
};
const search = (names: readonly string[], type?: string) => names.map((name) => ({
  name,
  type: kindOf(name),
  ...(name === 'date' && type && DATE_DOC[type] ? { documentation: DATE_DOC[type] } : {}),
}));

/** Patient's search parameters (`gender` only beside another: src/server/fhir-routes.ts). */
export const PATIENT_SEARCH = ['name', 'family', 'given', 'birthdate', 'gender', 'identifier', 'email', 'phone'];

/** A directory search's parameter names without their modifiers (name, not name:exact). */
const bare = (names: readonly string[]) => [...new Set(names.map((n) => n.split(':')[0] as string))];

const OPERATION_DEFINITIONS = 'https://medvault.example/fhir/OperationDefinition';
const HL7_OPERATION_DEFINITIONS = 'http://hl7.org/fhir/OperationDefinition';

/**
 * Clinical notes and documents. Statuses: a search returns every status unless `status` says
 * (FHIR R4 defines no default filter; each note carries its status, the client filters).
 */
function documentReferenceCapability(): Record<string, unknown> {
  return {
    type: 'DocumentReference',
    documentation: 'Typed text (text/plain) or a document (application/pdf, image/jpeg, image/png; '
      + 'at most 5 MiB decoded, the type checked against the bytes) inline in content[0].attachment.data. '
      + 'A read returns the document whole; a search, $everything and a create describe it '
      + '(contentType, size, hash, title) with its url, Binary/{id}, where '
      + 'GET returns the bytes (or the Binary resource for Accept: application/fhir+json), as does '
      + 'DocumentReference/{id}/$content. A note is never updated: an amendment is a new DocumentReference with '
      + "relatesTo [{code: 'replaces'}] written by the earlier note's author, which supersedes it; "
      + 'its author withdraws a note with PATCH (JSON Patch) '
      + "[{op: 'replace', path: '/status', value: 'entered-in-error'}].",
    interaction: ['read', 'create', 'patch', 'search-type'].map((code) => ({ code })),
    updateCreate: false,
    searchParam: [
      { name: 'patient', type: 'reference', documentation: 'Required: a search reads one patient\'s record.' },
      {
        name: 'status', type: 'token',
        documentation: 'current, superseded or entered-in-error; comma-separated values are ORed. '
          + 'Absent: notes of every status.',
      },
      { name: '_count', type: 'number' },
    ],
    operation: [
      { name: 'content', definition: `${OPERATION_DEFINITIONS}/DocumentReference-content` },
      {
        name: 'share', definition: `${OPERATION_DEFINITIONS}/DocumentReference-share`,
        documentation: 'POST Parameters { shared: boolean }: the note\'s author shows it to the patient in '
          + 'the portal, or stops.',
      },
    ],
  };
}

/**
 * The registry's clinical types as CapabilityStatement entries: interactions and search parameters
 * from their modules.
 */
export function clinicalCapabilities(registry: Registry): Record<string, unknown>[] {
  return routeLists(registry).map(({ type, interactions, search: params }) => {
    const m = registry.module(type)!;
    return {
      type,
      // An updatable type is patched too (JSON Patch: server/json-patch.ts).
      interaction: [...interactions, ...(interactions.includes('update') ? ['patch'] : [])].map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: interactions.includes('vread'),
      updateCreate: false,
      conditionalUpdate: false,
      // _sort is a result parameter (date, -date, _lastUpdated, -_lastUpdated), not a search parameter.
      searchParam: params.filter((name) => name !== '_sort').map((name) => {
        if (name === 'patient') {
          return { name, type: 'reference', documentation: `Required: a ${type} search reads one patient's record.` };
        }
        if (name === '_count') return { name, type: 'number' };
        if (name === '_id') return { name, type: 'token', documentation: ID_DOC };
        if (name === '_lastUpdated') {
          return { name, type: 'date', documentation: `When the current version was written. ${DATE_DOC.AuditEvent}` };
        }
        const p = m.search.find((s) => s.name === name)!;
        const doc = p.index === 'token' ? 'Exact match on system|code or code; comma-separated values are ORed.'
          : p.index === 'reference' ? 'A reference as Type/id or id; comma-separated values are ORed.'
            : DATE_DOC.AuditEvent;
        return { name, type: searchTypeOf(type, p), documentation: doc };
      }),
    };
  });
}

const codes = (interactions: readonly string[]) => interactions.map((code) => ({ code }));
const SMART_ON_FHIR = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
};

/** Every type that creates creates conditionally too (If-None-Exist: server/bundle-routes.ts). */
function conditional(resources: Record<string, unknown>[]): Record<string, unknown>[] {
  return resources.map((r) => ((r.interaction as { code: string }[]).some((i) => i.code === 'create')
    ? { ...r, conditionalCreate: true }
    : r));
}

export function capabilityStatement(
  version: string, base: string, registry: Registry = REGISTRY,
): Record<string, unknown> {
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
        documentation: `Search results are paged: _count at most ${MAX_COUNT} (default ${DEFAULT_COUNT}); `
          + 'the next page is an opaque link. Every access is audited.',
        security: {
          cors: false,
          service: [SMART_ON_FHIR],
          description: 'Bearer tokens from POST /auth/login and /auth/mfa (or OpenID Connect); '
            + 'SMART scopes narrow the role.',
        },
        resource: conditional([
          {
            type: 'Patient',
            interaction: codes(['read', 'create', 'update', 'patch', 'search-type']),
            versioning: 'versioned-update',
            updateCreate: false,
            conditionalUpdate: false,
            searchParam: search([...PATIENT_SEARCH, '_count']),
            operation: [
              { name: 'everything', definition: `${HL7_OPERATION_DEFINITIONS}/Patient-everything` },
              {
                name: 'record-summary', definition: `${OPERATION_DEFINITIONS}/Patient-record-summary`,
                documentation: 'The patient\'s own record as a PDF (her account only).',
              },
              {
                name: 'ordonnance', definition: `${OPERATION_DEFINITIONS}/Patient-ordonnance`,
                documentation: 'GET ?request=MedicationRequest ids: the prescriber\'s own active lines as a '
                  + 'printable ordonnance (PDF).',
              },
            ],
          },
          {
            type: 'Practitioner', interaction: codes(['read', 'search-type']),
            searchParam: search(['_count', ...bare(PRACTITIONER_SEARCH)]),
          },
          {
            type: 'Organization', interaction: codes(['read', 'search-type']),
            searchParam: search(bare(ORGANIZATION_SEARCH)),
          },
          {
            type: 'Appointment',
            interaction: codes(['read', 'create', 'update', 'search-type', 'history-instance']),
            versioning: 'versioned-update',
            searchParam: search([...APPOINTMENT_SEARCH, '_count'], 'Appointment'),
          },
          documentReferenceCapability(),
          ...clinicalCapabilities(registry),
          {
            type: 'AuditEvent',
            interaction: codes(['search-type']),
            searchParam: search(['patient', 'agent', 'date', '_count'], 'AuditEvent'),
          },
        ]),
        // POST [base]: entry by entry, or all or nothing (urn:uuid and conditional references,
        // ifNoneExist); a transaction writes, its reads go in a batch.
        interaction: [
          { code: 'transaction', documentation: 'Creates and updates, all or nothing; reads go in a batch.' },
          { code: 'batch' },
        ],
      },
    ],
  };
}
