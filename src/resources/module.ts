import type { SensitivityLabel } from '../domain/index.js';

/**
 * What a clinical resource type is to medvault, said once, in its own folder
 * (src/resources/<type>/): its FHIR validation, its search parameters, what is sealed and how it
 * is searched, its policy and segment, what a read discloses, its incident category and its audit
 * kinds. The registry (registry.ts) builds every list the rest of medvault keeps from these
 * modules: the CapabilityStatement, the routes, the key-rotation and shredding tables, the
 * incident categories and the detector's channels. docs/resources.md says how to add one.
 */
export type Json = Record<string, unknown>;

/** The FHIR interactions a module may offer (R4 `CapabilityStatement.rest.resource.interaction`). */
export type Interaction = 'read' | 'vread' | 'update' | 'create' | 'search-type' | 'history-instance';

/** How medvault searches a parameter without storing its value in clear. */
export type SearchIndex =
  /** The resource's clinical date, kept in clear beside the sealed body (like a note's date): prefixes ge, le… */
  | 'date'
  /** Keyed beacons of `system|code` and of `code` (HMAC under the practice's index key): exact match only. */
  | 'token'
  /** Keyed beacons of a reference (`Encounter/{id}` and `{id}`): the lines and vitals of one consultation. */
  | 'reference';

export interface SearchParam {
  /**
   * The R4 SearchParameter code (`code`, `clinical-status`, `date`…), whose FHIRPath expression is the
   * official one.
   */
  readonly name: string;
  readonly index: SearchIndex;
}

/** What a read of this type discloses to the disclosure ledger: clinical content, weighed like a note. */
export type LedgerClass = 'clinical';

/** The incident category a disclosed resource of this type falls in (Art. 33/34 documents name it). */
export interface IncidentCategory {
  readonly code: string;
  readonly fr: string;
  readonly en: string;
}

/** A client's resource, checked and normalised by its module. */
export interface Checked {
  readonly problems: readonly string[];
  /** The patient the resource is about (its subject or patient reference). */
  readonly patientId: string | null;
}

export interface ResourceModule {
  /** The FHIR resourceType. */
  readonly type: string;
  /** Its name in the web app and in documents. */
  readonly title: { readonly fr: string; readonly en: string };
  /** The segment its rows live in, the database role that reads them, and the policy's class for it. */
  readonly segment: 'clinical';
  readonly ledger: LedgerClass;
  readonly category: IncidentCategory;
  readonly interactions: readonly Interaction[];
  /**
   * Search parameters beyond `patient` (always required: a clinical search reads one patient's
   * compartment) and `_count`.
   */
  readonly search: readonly SearchParam[];
  /** The FHIRPath of the resource's clinical date (its `date` search, the order of its lists), if it has one. */
  readonly date: string | null;
  /** The FHIRPath of the patient reference (`Condition.subject`, `AllergyIntolerance.patient`…). */
  readonly patient: string;
  /** Top-level elements medvault sets itself (refused from a client). `id` and `meta` always are. */
  readonly serverOwned: readonly string[];
  /**
   * The elements that name the author medvault records (the account that wrote the version), e.g.
   * Condition `{ recorder: ref }`, MedicationRequest `{ requester: ref }`; they are server-owned.
   */
  author(practitioner: { readonly reference: string }): Json;
  /** The audit event kinds its accesses write. */
  readonly audit: readonly ('read' | 'search' | 'create' | 'update')[];
  /**
   * Checks what the official schema cannot: codes from the lists medvault ships, units, required
   * elements, dates. Returns the problems in words a client can act on, and the patient.
   */
  check(resource: Json, now: Date): Checked;
  /** The sensitivity labels its codes carry (an HIV problem, an antiretroviral): labelled like a note would be. */
  labels(resource: Json): SensitivityLabel[];
  /** A small valid instance (tests, the throw-away registry, documentation). */
  example(patientId: string, practitionerId: string, at: Date): Json;
}
