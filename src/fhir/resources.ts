import type { Appointment, Practice, User } from '../domain/index.js';
import { AUDIT_ACTION_SYSTEM, DICOM, FINESS_SYSTEM, RPPS_SYSTEM, V3_ACT_CODE, V3_PURPOSE } from './codes.js';

// Clinical notes and documents (DocumentReference) have a file of their own.
export { toFhirDocumentReference, fromFhirDocumentReference, type NoteInput } from './document-reference.js';

type Json = Record<string, unknown>;

/** HL7's reasons for cancelling an appointment (FHIR R4 value set appointment-cancellation-reason). */
export const CANCEL_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason';
/** The practice's own visit types (their ids; names and lengths at GET /agenda/settings). */
export const VISIT_TYPE_SYSTEM = 'https://medvault.example/fhir/CodeSystem/visit-type';

export function toFhirAppointment(a: Appointment): Json {
  return {
    resourceType: 'Appointment',
    id: a.id,
    ...(a.version !== undefined
      ? { meta: { versionId: String(a.version), ...(a.updatedAt ? { lastUpdated: a.updatedAt.toISOString() } : {}) } }
      : {}),
    status: a.status,
    ...(a.cancelReason ? { cancelationReason: { coding: [{ system: CANCEL_REASON_SYSTEM, code: a.cancelReason }] } } : {}),
    serviceType: [{ coding: [{ system: 'https://medvault.example/fhir/CodeSystem/encounter-kind', code: a.kind }] }],
    ...(a.visitTypeId ? { appointmentType: { coding: [{ system: VISIT_TYPE_SYSTEM, code: a.visitTypeId }] } } : {}),
    start: a.start.toISOString(),
    end: a.end.toISOString(),
    participant: [
      { actor: { reference: `Patient/${a.patientId}` }, status: 'accepted' },
      { actor: { reference: `Practitioner/${a.practitionerId}` }, status: 'accepted' },
    ],
  };
}

export function toFhirPractitioner(u: User): Json {
  return {
    resourceType: 'Practitioner',
    id: u.id,
    active: u.status === 'active',
    ...(u.rpps ? { identifier: [{ system: RPPS_SYSTEM, value: u.rpps }] } : {}),
    name: [{ family: u.familyName, given: [u.givenName], ...(u.role === 'practitioner' ? { prefix: ['Dr'] } : {}) }],
  };
}

export function toFhirOrganization(p: Practice): Json {
  return {
    resourceType: 'Organization',
    id: p.id,
    active: true,
    ...(p.finess ? { identifier: [{ system: FINESS_SYSTEM, value: p.finess }] } : {}),
    name: p.name,
    ...(p.phone ? { telecom: [{ system: 'phone', value: p.phone }] } : {}),
    address: [{ city: p.city, postalCode: p.postalCode, country: 'FR' }],
  };
}

export interface AuditRecord {
  readonly id: string;
  readonly at: Date;
  readonly userId: string | null;
  readonly role: string | null;
  readonly userName?: string | null;
  readonly sourceIp: string | null;
  readonly action: string;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly patientId: string | null;
  readonly purpose: string | null;
  readonly outcome: string;
  readonly reason: string | null;
  readonly labels: readonly string[];
}

const PURPOSE: Record<string, string> = { care: 'TREAT', 'break-the-glass': 'ETREAT', admin: 'HOPERAT', patient: 'PATRQT', security: 'HSYSADMIN', system: 'HSYSADMIN' };
/** FHIR's resource types, which R4's AuditEvent.entity.type value set includes. */
const RESOURCE_TYPES = 'http://hl7.org/fhir/resource-types';
const ACTION: Record<string, string> = { read: 'R', search: 'E', create: 'C', update: 'U', everything: 'R', 'break-glass': 'E', 'patient.shred': 'D' };

/** An access as a FHIR AuditEvent (who, when, what, why, outcome) — never the data itself. */
export function toFhirAuditEvent(e: AuditRecord, options: { withNetwork: boolean }): Json {
  return {
    resourceType: 'AuditEvent',
    id: e.id,
    type: { system: DICOM, code: '110110', display: 'Patient Record' },
    subtype: [{ system: AUDIT_ACTION_SYSTEM, code: e.action }],
    action: ACTION[e.action] ?? 'E',
    recorded: e.at.toISOString(),
    outcome: e.outcome === 'success' ? '0' : e.outcome === 'denied' ? '4' : '8',
    ...(e.reason ? { outcomeDesc: e.reason } : {}),
    ...(e.purpose && PURPOSE[e.purpose] ? { purposeOfEvent: [{ coding: [{ system: V3_PURPOSE, code: PURPOSE[e.purpose] }] }] } : {}),
    agent: [
      {
        ...(e.role ? { type: { coding: [{ system: 'https://medvault.example/fhir/CodeSystem/role', code: e.role }] } } : {}),
        ...(e.userId ? { who: { reference: `${e.role === 'patient' ? 'Patient' : 'Practitioner'}/${e.userId}`, ...(e.userName ? { display: e.userName } : {}) } } : {}),
        requestor: true,
        ...(options.withNetwork && e.sourceIp ? { network: { address: e.sourceIp, type: '2' } } : {}),
      },
    ],
    source: { observer: { display: 'medvault' } },
    entity: [
      ...(e.patientId ? [{ what: { reference: `Patient/${e.patientId}` } }] : []),
      ...(e.resourceType && e.resourceId && e.resourceId !== e.patientId ? [{ what: { reference: `${e.resourceType}/${e.resourceId}` } }] : []),
      // A search names no one resource: the type searched says what was looked at (a problem list,
      // the prescriptions), for the patient reading who opened their record too.
      ...(e.resourceType && !e.resourceId ? [{ type: { system: RESOURCE_TYPES, code: e.resourceType } }] : []),
      ...(e.labels.length > 0 ? [{ securityLabel: e.labels.map((l) => ({ system: V3_ACT_CODE, code: l })) }] : []),
    ],
  };
}

/** A warning about a search, carried in its Bundle (search.mode outcome): the ledger's cut, parameters ignored. */
export interface SearchWarning {
  readonly code: 'throttled' | 'not-supported';
  readonly diagnostics: string;
}

export function searchBundle(
  base: string, resources: Json[], total: number | null, self: string, next: string | null,
  warnings: readonly SearchWarning[] = [],
): Json {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === null ? {} : { total }),
    link: [{ relation: 'self', url: self }, ...(next ? [{ relation: 'next', url: next }] : [])],
    entry: [
      ...resources.map((r) => ({ fullUrl: `${base}/${r.resourceType as string}/${r.id as string}`, resource: r, search: { mode: 'match' } })),
      // FHIR R4 §3.1.1.5.6: an OperationOutcome with search.mode "outcome" carries warnings about the search.
      ...(warnings.length === 0 ? [] : [{
        resource: { resourceType: 'OperationOutcome', issue: warnings.map((w) => ({ severity: 'warning', ...w })) },
        search: { mode: 'outcome' },
      }]),
    ],
  };
}
