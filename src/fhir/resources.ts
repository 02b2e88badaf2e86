import type { Appointment, ClinicalNote, Practice, User } from '../domain/index.js';
import { SENSITIVITY_LABELS, isId, isSensitivityLabel, noteConfidentiality } from '../domain/index.js';
import { AUDIT_ACTION_SYSTEM, DICOM, FINESS_SYSTEM, LOINC, RPPS_SYSTEM, V3_ACT_CODE, V3_CONFIDENTIALITY, V3_PURPOSE } from './codes.js';

type Json = Record<string, unknown>;

export function toFhirDocumentReference(n: ClinicalNote): Json {
  return {
    resourceType: 'DocumentReference',
    id: n.id,
    meta: { security: [{ system: V3_CONFIDENTIALITY, code: noteConfidentiality(n) }] },
    status: 'current',
    type: { coding: [{ system: LOINC, code: '11506-3', display: 'Progress note' }] },
    subject: { reference: `Patient/${n.patientId}` },
    date: n.writtenAt.toISOString(),
    author: [{ reference: `Practitioner/${n.authorId}` }],
    ...(n.labels.length > 0 ? { securityLabel: n.labels.map((l) => ({ coding: [{ system: V3_ACT_CODE, code: l, display: SENSITIVITY_LABELS[l].en }] })) } : {}),
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(n.text, 'utf8').toString('base64') } }],
  };
}

export interface NoteInput {
  readonly patientId: string | null;
  readonly text: string;
  readonly labels: ClinicalNote['labels'];
  readonly problems: string[];
}

const NOTE_FIELDS = new Set(['resourceType', 'status', 'type', 'subject', 'securityLabel', 'content', 'text']);

/** A client's DocumentReference: subject, text, labels. The author, date and practice are medvault's to set. */
export function fromFhirDocumentReference(r: Json): NoteInput {
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!NOTE_FIELDS.has(k)) problems.push(`DocumentReference.${k} is set by medvault or not accepted`);
  const ref = (r.subject as Json | undefined)?.reference;
  const m = typeof ref === 'string' ? /^Patient\/(.+)$/.exec(ref) : null;
  if (!m || !isId(m[1] as string)) problems.push('DocumentReference.subject must reference Patient/{id}');
  const content = Array.isArray(r.content) ? (r.content as Json[]) : [];
  const att = content[0]?.attachment as Json | undefined;
  if (content.length !== 1 || !att || typeof att.data !== 'string') problems.push('DocumentReference.content needs exactly one attachment with data');
  const type = typeof att?.contentType === 'string' ? att.contentType : 'text/plain';
  if (!/^text\/plain(;\s*charset=utf-8)?$/i.test(type)) problems.push('DocumentReference.content[0].attachment.contentType must be text/plain');
  const text = typeof att?.data === 'string' ? Buffer.from(att.data, 'base64').toString('utf8') : '';
  if (typeof att?.data === 'string' && Buffer.from(text, 'utf8').toString('base64') !== att.data.replace(/\s/g, '')) problems.push('DocumentReference.content[0].attachment.data is not base64 UTF-8 text');
  if (text.trim() === '' || text.length > 100_000) problems.push('a note holds 1 to 100,000 characters');
  const labels: ClinicalNote['labels'][number][] = [];
  for (const l of Array.isArray(r.securityLabel) ? (r.securityLabel as Json[]) : []) {
    for (const c of Array.isArray(l.coding) ? (l.coding as Json[]) : []) {
      if (c.system === V3_ACT_CODE && typeof c.code === 'string' && isSensitivityLabel(c.code)) labels.push(c.code);
      else problems.push('DocumentReference.securityLabel: unknown sensitivity code');
    }
  }
  return { patientId: m?.[1] ?? null, text, labels: [...new Set(labels)], problems };
}

export function toFhirAppointment(a: Appointment): Json {
  return {
    resourceType: 'Appointment',
    id: a.id,
    status: a.status,
    serviceType: [{ coding: [{ system: 'https://medvault.example/fhir/CodeSystem/encounter-kind', code: a.kind }] }],
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
      ...(e.labels.length > 0 ? [{ securityLabel: e.labels.map((l) => ({ system: V3_ACT_CODE, code: l })) }] : []),
    ],
  };
}

export function searchBundle(base: string, resources: Json[], total: number | null, self: string, next: string | null, warning: string | null = null): Json {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === null ? {} : { total }),
    link: [{ relation: 'self', url: self }, ...(next ? [{ relation: 'next', url: next }] : [])],
    entry: [
      ...resources.map((r) => ({ fullUrl: `${base}/${r.resourceType as string}/${r.id as string}`, resource: r, search: { mode: 'match' } })),
      // FHIR R4 §3.1.1.5.6: an OperationOutcome with search.mode "outcome" carries warnings about the search.
      ...(warning === null ? [] : [{ resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'throttled', diagnostics: warning }] }, search: { mode: 'outcome' } }]),
    ],
  };
}
