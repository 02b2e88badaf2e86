import { isClinical } from '../access/index.js';
import { disclosed, type Disclosed } from '../audit/disclosure.js';
import type { AuditEventInput } from '../store/index.js';
import type { AccessEvent } from './features.js';

/** The facts of an audit event the detector reads (as stored, or as about to be stored). */
type EventFields = 'id' | 'at' | 'resourceId' | 'sessionId' | 'practiceId' | 'outcome' | 'patientId'
  | 'labels' | 'reason' | 'sourceIp' | 'role' | 'purpose';

export type AccessFacts = Pick<AuditEventInput, EventFields> & {
  /** As stored: the vocabulary (audit/events.ts) reads it. */
  readonly action: string;
  readonly resourceType: string | null;
  readonly userId: string | null;
  /** As stored: any JSON (the vocabulary reads it). */
  readonly detail?: unknown;
};

/**
 * An audit event as the detector sees it: who, when, which patients — read from the one
 * vocabulary of what an event disclosed (audit/disclosure.ts), as incident scoping reads it.
 */
export function toAccess(e: AccessFacts): AccessEvent {
  const ds = disclosed(e);
  const of = (f: (x: Disclosed) => boolean) => ds.filter(f).map((x) => x.patientId);
  // Appointments name their patient by reference only: a colleague's calendar is not held
  // against a doctor. What counts is an identity, a listing or a note.
  const charted = (x: Disclosed) => x.notes.length > 0 || Object.keys(x.resources ?? {}).length > 0;
  const counted = (x: Disclosed) => x.identity !== null || charted(x);
  const opened = (x: Disclosed) => x.identity === 'full' || charted(x);
  const found = of((x) => x.listing === 'found');
  const cared = ds.some((x) => x.care !== null && x.care !== 'own');
  return {
    id: e.id, at: e.at, userId: e.userId as string, sessionId: e.sessionId, practiceId: e.practiceId, action: e.action,
    outcome: e.outcome, patientId: e.patientId, returned: of((x) => x.listing === 'broad'),
    ...(found.length > 0 ? { found } : {}), labels: e.labels, reason: e.reason, sourceIp: e.sourceIp, role: e.role,
    device: deviceOf(e.detail),
    // Of the patients touched, those no care relationship explains (unknown for roles without care).
    // Charts opened (an identity, notes): a listing's picker fields have budgets of their own.
    ...(cared ? { unexplained: of((x) => opened(x) && x.care === 'none') } : {}),
    identities: of((x) => x.identity === 'full' && x.care !== 'scheduled'),
    scheduled: of((x) => x.care === 'scheduled'),
    calendar: of((x) => x.care === 'scheduled' && (counted(x) || x.listing === 'broad')),
    standing: of((x) => opened(x) && x.care === 'standing'),
    noCareNotes: ds.filter((x) => x.breakGlass).flatMap((x) => x.notes),
    // Only a Patient search looks for patients; a search inside one patient's compartment reads their chart.
    discovery: e.action === 'search' && e.resourceType === 'Patient',
    writes: e.resourceType === 'Patient' || e.resourceType === 'Appointment',
    chartWrite: e.resourceType !== null && isClinical(e.resourceType),
    // What the ledger's calendar budgets counted (a restart or another instance rebuilds them).
    calendarListed: of((x) => x.calendarListing !== undefined),
    calendarOthers: of((x) => x.calendarListing === 'others'),
  };
}

/** The client fingerprint the records add to an event's detail (audit/events.ts ClientDetail). */
function deviceOf(detail: unknown): string | null {
  const d = detail && typeof detail === 'object' ? (detail as { device?: unknown }).device : undefined;
  return typeof d === 'string' ? d : null;
}
