import { detectorChannels, REGISTRY } from '../resources/index.js';

/**
 * What an audited access disclosed — the one reading of an audit event that both of its readers
 * use: the detector and the disclosure ledger's replay (what to count), and incident scoping (what
 * to tell the patients and the CNIL). Each resource type an event may name is a case of one
 * exhaustive `switch`: a new type added to `AUDITED_TYPES` without saying what its events disclose
 * does not compile, instead of being silently ignored (issue 12).
 */

/** The resource types an audit event may name (null: an authentication event). */
export const AUDITED_TYPES = ['Patient', 'Appointment', 'DocumentReference', 'Practitioner', 'Organization', 'AuditEvent', 'Account', 'Alert', 'Incident'] as const;
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
  readonly detail?: Record<string, unknown> | null | undefined;
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
  /** `full`: identity, NIR, address and contacts (a read of this patient); `listed`: picker fields in a search's list; null: none. */
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

const ids = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : []);

/** `detail.resources` of a whole-record read: type → ids, for the registry's types only. */
function resourcesOf(x: unknown): Record<string, string[]> {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return {};
  const out: Record<string, string[]> = {};
  for (const [type, v] of Object.entries(x as Record<string, unknown>)) {
    const list = ids(v);
    if (CHANNELS[type] !== undefined && list.length > 0) out[type] = list;
  }
  return out;
}

/**
 * Reached only for a resource type outside AUDITED_TYPES: the compiler refuses a known type
 * without a case; a stored value no release wrote (a hand-edited row) discloses nothing known.
 */
function unknownType(_t: never): Disclosed[] {
  return [];
}

/** What one access disclosed, patient by patient. Refused accesses disclose nothing. */
export function disclosed(e: EventFacts, channels: ReturnType<typeof detectorChannels> = CHANNELS): Disclosed[] {
  if (e.outcome !== 'success') return [];
  const d = e.detail ?? {};
  const unexplained = Array.isArray(d.unexplained) ? new Set(ids(d.unexplained)) : null;
  const standing = new Set(ids(d.standing));
  const scheduled = new Set(ids(d.scheduled));
  const glass = e.purpose === 'break-the-glass';
  /** Care for a patient, from the event's purpose and what the records wrote in its detail. */
  const care = (patientId: string): Care => {
    if (e.purpose === 'patient') return 'own';
    if (glass) return 'none';
    // What the records computed for each patient, when they did; else the policy's purpose.
    if (unexplained !== null) return unexplained.has(patientId) ? 'none' : standing.has(patientId) ? 'standing' : 'scheduled';
    if (e.purpose === 'care') return standing.has(patientId) ? 'standing' : 'scheduled';
    // An assistant: the patients the calendar expects.
    return scheduled.has(patientId) ? 'scheduled' : null;
  };
  const one = (x: Omit<Disclosed, 'patientId' | 'care' | 'breakGlass'>): Disclosed[] =>
    e.patientId ? [{ patientId: e.patientId, care: care(e.patientId), breakGlass: glass, ...x }] : [];
  const channel = e.resourceType === null ? undefined : channels[e.resourceType];
  if (channel !== undefined) {
    // A clinical resource: a read names one, a search the ones it returned (ids, as for notes).
    const kind = channel[e.action as 'read' | 'search'];
    if (kind !== 'clinical') return []; // written, not disclosed (create, update)
    const list = e.action === 'read' ? (e.resourceId ? [e.resourceId] : []) : ids(d.returned);
    const resources = { [e.resourceType as string]: list };
    if (list.length === 0) return [];
    return one({ identity: null, listing: null, appointments: false, notes: [], resources, labels: e.labels });
  }
  const type = e.resourceType as AuditedType | null;
  switch (type) {
    case 'Patient':
      switch (e.action) {
        case 'read':
          return one({ identity: 'full', listing: null, appointments: false, notes: [], labels: [] });
        case 'everything': {
          const notes = ids(d.notes);
          const resources = resourcesOf(d.resources);
          const clinical = notes.length > 0 || Object.keys(resources).length > 0;
          const appointments = Number(d.appointments) > 0;
          return one({
            identity: 'full', listing: null, appointments, notes, labels: clinical ? e.labels : [],
            ...(Object.keys(resources).length > 0 ? { resources } : {}),
          });
        }
        case 'search': {
          // Listings carry picker fields only (name, birth date, sex) since issue 12, and say so
          // (`detail.fields`); a listing recorded before carried full identities.
          const listing = d.broad === false ? 'found' : 'broad';
          const identity = d.fields === 'picker' ? 'listed' : 'full';
          return ids(d.returned).map((p) => ({ patientId: p, identity, listing, appointments: false, notes: [], labels: [], care: care(p), breakGlass: glass }));
        }
        default:
          return []; // create, update: written, not disclosed
      }
    case 'Appointment': {
      const own = new Set(ids(d.calendarOwn));
      const others = new Set(ids(d.calendarOthers));
      const listing = (p: string | null): Pick<Disclosed, 'calendarListing'> => {
        if (p !== null && own.has(p)) return { calendarListing: 'own' };
        return p !== null && others.has(p) ? { calendarListing: 'others' } : {};
      };
      switch (e.action) {
        case 'read':
          return one({ identity: null, listing: null, appointments: true, notes: [], labels: [],
            ...listing(e.patientId) });
        case 'search':
          return ids(d.returned).map((p) => ({
            patientId: p, identity: null, listing: null, appointments: true, notes: [], labels: [],
            care: care(p), breakGlass: glass,
            ...listing(p),
          }));
        default:
          return [];
      }
    }
    case 'DocumentReference':
      switch (e.action) {
        case 'read':
          return one({ identity: null, listing: null, appointments: false, notes: e.resourceId ? [e.resourceId] : [], labels: e.labels });
        case 'search': {
          const notes = ids(d.returned);
          return notes.length > 0 ? one({ identity: null, listing: null, appointments: false, notes, labels: e.labels }) : [];
        }
        default:
          return [];
      }
    // The staff directory, the practice, accounts, incidents: no patient's data. The audit log
    // and alerts name patients by id only (a reference, not their data).
    case 'Practitioner':
    case 'Organization':
    case 'Account':
    case 'Incident':
    case 'AuditEvent':
    case 'Alert':
    case null:
      return [];
    default:
      return unknownType(type);
  }
}
