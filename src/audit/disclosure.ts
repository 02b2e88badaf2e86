import { detectorChannels, REGISTRY } from '../resources/index.js';
import {
  AUDIT_EVENTS, readAuditEvent, unhandledKind, type AuditSubject, type CalendarDetail, type CareDetail,
} from './events.js';

/**
 * What an audited access disclosed — the one reading of an audit event that both of its readers
 * use: the detector and the disclosure ledger's replay (what to count), and incident scoping (what
 * to tell the patients and the CNIL). Each resource type an event may name is a case of one
 * exhaustive `switch`: a new type added to `AUDITED_TYPES` without saying what its events disclose
 * does not compile, instead of being silently ignored.
 */

/** The resource types an audit event may name besides the registry's (null: the login door). */
export const AUDITED_TYPES = (Object.keys(AUDIT_EVENTS) as AuditSubject[])
  .filter((s): s is Exclude<AuditSubject, 'clinical' | 'none'> => s !== 'clinical' && s !== 'none');
export type AuditedType = (typeof AUDITED_TYPES)[number];

/**
 * The registry's clinical types (src/resources/) are audited too; what their events disclose comes
 * from the registry's channel table (`detectorChannels`), one reading for every type it serves.
 */
const CHANNELS = detectorChannels(REGISTRY);

/** The facts of an audit event that say what it disclosed (as stored, or as about to be stored). */
export interface EventFacts {
  readonly action: string;
  readonly outcome: string;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly patientId: string | null;
  readonly purpose: string | null;
  readonly labels: readonly string[];
  /** As stored: any JSON, read through the vocabulary. */
  readonly detail?: unknown;
}

/**
 * How a care relationship explains the access, as the records recorded it: an appointment near
 * (`scheduled`), a standing relationship only (`standing`), none (`none`, break-the-glass included),
 * the patient's own record (`own`); null where the account's role has no care relationships.
 */
export type Care = 'scheduled' | 'standing' | 'none' | 'own' | null;

/** One patient an access disclosed something of. */
export interface Disclosed {
  readonly patientId: string;
  /**
   * `full`: identity, NIR, address and contacts (a read of this patient); `listed`: picker fields in a
   * search's list; null: none.
   */
  readonly identity: 'full' | 'listed' | null;
  /** A broad listing of the practice, or found by a specific criterion (only for `listed`). */
  readonly listing: 'broad' | 'found' | null;
  /** The patient's appointments (dates, practitioner) were disclosed. */
  readonly appointments: boolean;
  /** Clinical notes disclosed. */
  readonly notes: readonly string[];
  /** Clinical resources disclosed (the registry's types), by type. */
  readonly resources?: Readonly<Record<string, readonly string[]>>;
  /** Their sensitivity labels (of the notes and resources). */
  readonly labels: readonly string[];
  readonly care: Care;
  readonly breakGlass: boolean;
  /**
   * Named by an appointment listing outside the account's near calendar — by its own calendar
   * further away (`own`) or by other doctors' (`others`) — as the records counted it in the ledger.
   */
  readonly calendarListing?: 'own' | 'others';
}

/** How care explains an access to each patient, from the event's purpose and the care the records recorded. */
function careOf(e: EventFacts, d: CareDetail): (patientId: string) => Care {
  const unexplained = d.unexplained ? new Set(d.unexplained) : null;
  const standing = new Set(d.standing ?? []);
  const scheduled = new Set(d.scheduled ?? []);
  return (patientId) => {
    if (e.purpose === 'patient') return 'own';
    if (e.purpose === 'break-the-glass') return 'none';
    // What the records computed for each patient, when they did; else the policy's purpose.
    if (unexplained !== null) {
      return unexplained.has(patientId) ? 'none' : standing.has(patientId) ? 'standing' : 'scheduled';
    }
    if (e.purpose === 'care') return standing.has(patientId) ? 'standing' : 'scheduled';
    // An assistant: the patients the calendar expects.
    return scheduled.has(patientId) ? 'scheduled' : null;
  };
}

type Part = Omit<Disclosed, 'patientId' | 'care' | 'breakGlass'>;
const NOTHING: Part = { identity: null, listing: null, appointments: false, notes: [], labels: [] };

/**
 * Appointments disclosed, named by a listing outside the account's near calendar (its own further
 * away, or others').
 */
function calendarPart(d: CalendarDetail): (patientId: string) => Part {
  const own = new Set(d.calendarOwn ?? []);
  const others = new Set(d.calendarOthers ?? []);
  return (p) => ({
    ...NOTHING, appointments: true,
    ...(own.has(p) ? { calendarListing: 'own' as const } : others.has(p) ? { calendarListing: 'others' as const } : {}),
  });
}

/**
 * What one access disclosed, patient by patient, read through the audit vocabulary
 * (audit/events.ts): every kind is a case, so a kind added there without saying what it discloses
 * does not compile. Refused accesses disclose nothing; writes disclose nothing (they are counted as
 * writes by the detector); nor do the kinds about accounts, incidents and the log itself, which
 * name patients by id at most.
 */
export function disclosed(e: EventFacts, channels: ReturnType<typeof detectorChannels> = CHANNELS): Disclosed[] {
  if (e.outcome !== 'success') return [];
  const ev = readAuditEvent(e, (t) => channels[t] !== undefined);
  if (ev === null) return []; // a kind no release wrote (a hand-edited row): nothing known
  const glass = e.purpose === 'break-the-glass';
  const each = (patients: readonly string[], d: CareDetail, part: (p: string) => Part): Disclosed[] => {
    const care = careOf(e, d);
    return patients.map((p) => ({ patientId: p, care: care(p), breakGlass: glass, ...part(p) }));
  };
  const one = (d: CareDetail, part: Part): Disclosed[] => (e.patientId ? each([e.patientId], d, () => part) : []);
  switch (ev.subject) {
    case 'clinical': {
      // A clinical resource: a read names one, a search the ones it returned (ids, as for notes).
      const type = e.resourceType as string;
      if (channels[type]?.[ev.action] !== 'clinical') return [];
      switch (ev.action) {
        case 'read': {
          const list = e.resourceId ? [e.resourceId] : [];
          return list.length > 0 ? one(ev.detail, { ...NOTHING, resources: { [type]: list }, labels: e.labels }) : [];
        }
        // A search of the patient's chart, even one that found nothing: its answer discloses too
        // (the ledger counted it so); the type names the chart searched, the list what it returned.
        case 'search':
          return one(ev.detail, { ...NOTHING, resources: { [type]: ev.detail.returned }, labels: e.labels });
        case 'create':
        case 'update':
          return [];
        default:
          return unhandledKind(ev);
      }
    }
    case 'Patient':
      switch (ev.action) {
        case 'read':
          return one(ev.detail, { ...NOTHING, identity: 'full' });
        case 'everything': {
          const { notes, resources } = ev.detail;
          const clinical = notes.length > 0 || Object.keys(resources).length > 0;
          return one(ev.detail, {
            ...NOTHING, identity: 'full', appointments: ev.detail.appointments > 0, notes,
            labels: clinical ? e.labels : [], ...(Object.keys(resources).length > 0 ? { resources } : {}),
          });
        }
        case 'search': {
          // Listings carry picker fields only, and say so (`fields`); a listing recorded before
          // carried full identities.
          const listing = ev.detail.broad ? 'broad' : 'found';
          const identity = ev.detail.fields === 'picker' ? 'listed' : 'full';
          return each(ev.detail.returned, ev.detail, () => ({ ...NOTHING, identity, listing }));
        }
        case 'create':
        case 'update':
        case 'break-glass': // a grant: what it lets in is counted when it is read
        case 'patient.shred':
          return [];
        default:
          return unhandledKind(ev);
      }
    case 'Appointment':
      switch (ev.action) {
        case 'read':
          return e.patientId ? each([e.patientId], ev.detail, calendarPart(ev.detail)) : [];
        case 'search':
          return each(ev.detail.returned, ev.detail, calendarPart(ev.detail));
        case 'create':
        case 'update':
          return [];
        default:
          return unhandledKind(ev);
      }
    case 'DocumentReference':
      switch (ev.action) {
        case 'read':
          return one(ev.detail, { ...NOTHING, notes: e.resourceId ? [e.resourceId] : [], labels: e.labels });
        case 'search': {
          const notes = ev.detail.returned;
          return notes.length > 0 ? one(ev.detail, { ...NOTHING, notes, labels: e.labels }) : [];
        }
        case 'create':
        case 'update':
          return [];
        default:
          return unhandledKind(ev);
      }
    // The audit log and alerts name patients by id only (a reference, not their data); accounts,
    // incidents, the practice and its agenda settings, the login door: no patient's data.
    case 'AuditEvent':
    case 'Alert':
    case 'Record':
    case 'Account':
    case 'Practice':
    case 'Schedule':
    case 'Incident':
    case 'none':
      return [];
    default:
      return unhandledKind(ev);
  }
}
