/**
 * The audit vocabulary: every kind of event medvault writes, by what it is about (its subject:
 * a resource type, the registry's clinical types as one, or none for the login door) and its
 * action, with the detail each kind carries. One table, read two ways:
 *
 * - by the writer (store/audit.ts `appendAuditEvents`): an event whose subject and action are not
 *   a kind here is refused (a programming error, never written), and its detail is typed by kind;
 * - by the readers (audit/disclosure.ts for detection and incident scope, the detector's replay of
 *   account events, the patient's access history): `readAuditEvent` turns a stored row into a
 *   `KnownEvent`, a union over every kind, that they read with exhaustive `switch`es — a kind added
 *   here without saying what it discloses, what it does to an account, and whether the patient sees
 *   it does not compile.
 *
 * Stored columns are unchanged (action, resource_type, detail as JSON): the kinds are what was
 * always written, now named in one place.
 */
import { REGISTRY } from '../resources/index.js';

/** How care explained an access to each patient, as the records computed it (records/care-claims.ts). */
export interface CareDetail {
  readonly unexplained?: readonly string[];
  readonly standing?: readonly string[];
  readonly scheduled?: readonly string[];
}

/** Added to every event of the records: a short fingerprint of the client (detection sees a copied session). */
export interface ClientDetail {
  readonly device?: string;
}

/** A search's ids as returned (for a Patient or Appointment search: patients; else the resources). */
export interface Returned {
  readonly returned: readonly string[];
  /** The page was cut to what the disclosure budgets left. */
  readonly cut?: boolean;
}

/** Patients named by an appointment listing outside the account's near calendar (its own further away, or others'). */
export interface CalendarDetail {
  readonly calendarOwn?: readonly string[];
  readonly calendarOthers?: readonly string[];
}

type Raw = Readonly<Record<string, unknown>>;

const idList = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : []);
const optIds = <K extends string>(d: Raw, k: K): { [P in K]?: string[] } =>
  (Array.isArray(d[k]) ? { [k]: idList(d[k]) } : {}) as { [P in K]?: string[] };
const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
const text = (x: unknown): string | null => (typeof x === 'string' ? x : null);

const care = (d: Raw): CareDetail =>
  ({ ...optIds(d, 'unexplained'), ...optIds(d, 'standing'), ...optIds(d, 'scheduled') });
const returned = (d: Raw): Returned =>
  ({ returned: idList(d.returned), ...(d.cut === true ? { cut: true as const } : {}) });
const calendar = (d: Raw): CalendarDetail => ({ ...optIds(d, 'calendarOwn'), ...optIds(d, 'calendarOthers') });
const version = (d: Raw): { version: number } => ({ version: num(d.version) });
const none = (): Record<never, never> => ({});

/** `detail.resources` of a whole-record read: type → ids. */
function byType(x: unknown): Record<string, string[]> {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return {};
  const out: Record<string, string[]> = {};
  for (const [type, v] of Object.entries(x as Raw)) {
    const list = idList(v);
    if (list.length > 0) out[type] = list;
  }
  return out;
}

/**
 * Each kind: how its detail reads back (leniently: a stored row is data, never trusted to be well
 * formed) and whether the patient's access history shows it — an access to their record by a
 * professional, not the security machinery around it.
 */
interface Kind<D> {
  readonly detail: (d: Raw) => D;
  readonly patientHistory: boolean;
}
const kind = <D>(detail: (d: Raw) => D, patientHistory: boolean): Kind<D> => ({ detail, patientHistory });
/** Shown in the patient's access history. */
const seen = true;
/** Not shown there: the security machinery around the record, not an access to it. */
const unseen = false;

export const AUDIT_EVENTS = {
  Patient: {
    read: kind(care, seen),
    /**
     * A listing (picker fields): `broad` when it lists the practice rather than finding someone;
     * `fields: 'picker'` since listings stopped carrying identities (older rows: full identities);
     * `offset` and `count`, the page asked for.
     */
    search: kind((d) => ({
      ...returned(d), ...care(d), offset: num(d.offset), count: num(d.count), broad: d.broad !== false,
      fields: d.fields === 'picker' ? 'picker' as const : 'full' as const,
      ...(d.duplicateCheck === true ? { duplicateCheck: true as const } : {}),
    }), seen),
    /** The whole record: identity, appointments (how many), the notes and resources it opened. */
    everything: kind((d) => ({
      ...care(d), appointments: num(d.appointments), notes: idList(d.notes), resources: byType(d.resources),
    }), seen),
    create: kind(none, seen),
    update: kind(version, seen),
    'break-glass': kind((d) => ({ grantId: text(d.grantId), expiresAt: text(d.expiresAt) }), seen),
    'patient.shred': kind((d) => ({ actor: text(d.actor), forced: d.forced === true }), unseen),
  },
  Appointment: {
    read: kind((d) => ({ ...calendar(d), ...care(d) }), seen),
    search: kind((d) => ({ ...returned(d), ...calendar(d), ...care(d) }), seen),
    create: kind(none, seen),
    update: kind(none, seen),
  },
  DocumentReference: {
    read: kind(care, seen),
    search: kind((d) => ({ ...returned(d), ...care(d) }), seen),
    /** A note or document; an amendment names the version it replaces. */
    create: kind((d) => ({ replaces: text(d.replaces) }), seen),
    /**
     * A status change (superseded by an amendment, or entered in error), or the note shared with
     * the patient or no longer (`shared`).
     */
    update: kind((d) => ({
      status: text(d.status), replacedBy: text(d.replacedBy),
      ...(typeof d.shared === 'boolean' ? { shared: d.shared } : {}),
    }), seen),
  },
  /** The registry's clinical types (src/resources/), one vocabulary for all. */
  clinical: {
    read: kind((d) => ({ ...version(d), ...care(d) }), seen),
    /** A search of one patient's resources (or a resource's history); the ordonnance is one. */
    search: kind((d) => ({ ...returned(d), ...care(d), ordonnance: d.ordonnance === true }), seen),
    create: kind(version, seen),
    update: kind(version, seen),
  },
  AuditEvent: {
    search: kind((d) => ({ count: num(d.count) }), unseen),
  },
  Alert: {
    search: kind((d) => ({ alerts: num(d.alerts), returned: idList(d.returned) }), unseen),
  },
  /** A sealed value that failed its integrity check (its place, nothing of its content). */
  Record: {
    'integrity-check': kind((d) => ({ field: text(d.field) }), unseen),
  },
  Account: {
    'account.create': kind(none, unseen),
    'account.approve': kind(none, unseen),
    'account.disable': kind(none, unseen),
    'account.reset-mfa': kind(none, unseen),
    'account.enrol': kind(none, unseen),
    /** Locked by the detector (`alert`), by incident containment (`incident`), or by an officer. */
    'account.lock': kind((d) => ({ alert: text(d.alert), incident: text(d.incident) }), unseen),
    'account.unlock': kind(none, unseen),
    'account.unlock-request': kind(none, unseen),
    'account.revoke-sessions': kind((d) => ({ incident: text(d.incident), sessions: num(d.sessions) }), unseen),
    'account.reset-credentials': kind((d) => ({ incident: text(d.incident) }), unseen),
    'client.approve-request': kind(none, unseen),
    'client.approve': kind(none, unseen),
    'practice.dpop-required': kind(none, unseen),
    'practice.dpop-optional': kind(none, unseen),
  },
  Practice: {
    'wave.end': kind(none, unseen),
  },
  /** The practice's agenda settings changed: visit types, opening hours, an absence (no patient in them). */
  Schedule: {
    update: kind((d) => ({ part: text(d.part) }), unseen),
  },
  Incident: {
    'incident.scope': kind((d) => ({ kind: text(d.kind), patients: num(d.patients), notes: num(d.notes) }), unseen),
    'incident.detected': kind(none, unseen),
    'incident.cnil-notified': kind(none, unseen),
    'incident.patients-notified': kind((d) => ({
      emailed: num(d.emailed), failed: num(d.failed), withoutEmail: num(d.withoutEmail),
    }), unseen),
    'incident.practitioners-notified': kind(none, unseen),
    'incident.closed': kind(none, unseen),
    'incident.note': kind(none, unseen),
    'incident.notices-approved': kind((d) => ({ patients: num(d.patients) }), unseen),
    /** Identities opened to write to the people concerned, per practice. */
    'incident.notices': kind((d) => ({ patients: num(d.patients) }), unseen),
    'incident.practitioner-notices': kind((d) => ({ patients: num(d.patients) }), unseen),
    /** A document rendered: the register, a notice letter (the patients it names), a CNIL form. */
    'incident.document': kind((d) => ({
      kind: text(d.kind), format: text(d.format), patients: idList(d.patients), notices: num(d.notices),
      export: text(d.export), practitioners: num(d.practitioners),
    }), unseen),
  },
  /** The login door and the operator's tools: no resource. */
  none: {
    login: kind(none, unseen),
    'login.password': kind(none, unseen),
    'login.mfa': kind(none, unseen),
    'token.refresh': kind(none, unseen),
    logout: kind(none, unseen),
    'step-up': kind(none, unseen),
    'account.lock': kind(none, unseen),
    'audit.repair': kind((d) => ({ treeSizes: Array.isArray(d.treeSizes) ? d.treeSizes.map(num) : [] }), unseen),
  },
} as const satisfies Record<string, Record<string, Kind<object>>>;

type Events = typeof AUDIT_EVENTS;
export type AuditSubject = keyof Events;

/** Every event kind, as the readers see it: its subject, action and typed detail. */
export type KnownEvent = {
  [S in AuditSubject]: {
    [A in keyof Events[S]]: {
      readonly subject: S;
      readonly action: A;
      readonly detail: Events[S][A] extends Kind<infer D> ? D & ClientDetail : never;
    };
  }[keyof Events[S]];
}[AuditSubject];

/** Every action written, of every subject. */
export type AuditAction = KnownEvent['action'];

/** A kind's detail as written (the readers get every field; a writer may leave out what reads back empty). */
export type AuditDetail = Partial<KnownEvent['detail']> & ClientDetail & Readonly<Record<string, unknown>>;

/** Whether a resource type is one of the registry's clinical types. */
export type ClinicalTest = (resourceType: string) => boolean;
const registered: ClinicalTest = (t) => REGISTRY.module(t) !== null;

/**
 * The subject of an event about this resource type (null resource type: `none`); null when medvault
 * has no such subject.
 */
export function subjectOf(resourceType: string | null, clinical: ClinicalTest = registered): AuditSubject | null {
  if (resourceType === null) return 'none';
  if (clinical(resourceType)) return 'clinical';
  return resourceType !== 'clinical' && resourceType !== 'none' && Object.hasOwn(AUDIT_EVENTS, resourceType)
    ? (resourceType as AuditSubject)
    : null;
}

function kindOf(subject: AuditSubject, action: string): Kind<object> | null {
  const kinds = AUDIT_EVENTS[subject] as Readonly<Record<string, Kind<object>>>;
  return Object.hasOwn(kinds, action) ? (kinds[action] as Kind<object>) : null;
}

/** Whether (resource type, action) is a kind of the vocabulary: the writer refuses any other. */
export function isAuditKind(resourceType: string | null, action: string, clinical: ClinicalTest = registered): boolean {
  const s = subjectOf(resourceType, clinical);
  return s !== null && kindOf(s, action) !== null;
}

/** A stored (or about to be stored) event read as its kind; null for a kind no release wrote (a hand-edited row). */
export function readAuditEvent(
  e: { readonly resourceType: string | null; readonly action: string; readonly detail?: unknown },
  clinical: ClinicalTest = registered,
): KnownEvent | null {
  const subject = subjectOf(e.resourceType, clinical);
  const k = subject === null ? null : kindOf(subject, e.action);
  if (subject === null || k === null) return null;
  const raw = e.detail && typeof e.detail === 'object' && !Array.isArray(e.detail) ? (e.detail as Raw) : {};
  const device = typeof raw.device === 'string' ? { device: raw.device } : {};
  return { subject, action: e.action, detail: { ...k.detail(raw), ...device } } as KnownEvent;
}

/**
 * The (resource type, action) pairs the patient's access history shows, for the store's filter:
 * the clinical subject stands for every registry type.
 */
export function patientHistoryKinds(
  clinicalTypes: readonly string[] = REGISTRY.modules.map((m) => m.type),
): { resourceType: string; action: string }[] {
  const out: { resourceType: string; action: string }[] = [];
  for (const [subject, kinds] of Object.entries(AUDIT_EVENTS) as [AuditSubject, Record<string, Kind<object>>][]) {
    const types = subject === 'clinical' ? clinicalTypes : subject === 'none' ? [] : [subject];
    for (const [action, k] of Object.entries(kinds)) {
      if (k.patientHistory) for (const resourceType of types) out.push({ resourceType, action });
    }
  }
  return out;
}

/** Reached only when a switch over kinds misses one: the compiler refuses it. */
export function unhandledKind(x: never): never {
  throw new Error(`audit event kind not handled: ${JSON.stringify(x)}`);
}

/** The actions of one subject (an account's, an incident's…). */
export type ActionOf<S extends AuditSubject> = keyof Events[S] & string;

/** The detail of one kind, as its readers get it. */
export type DetailOf<S extends AuditSubject, A extends ActionOf<S>> = Events[S][A] extends Kind<infer D> ? D : never;

/**
 * A registry type's name, as the records hold it once its module is found (records/resources.ts):
 * an event about it is of the clinical subject, told apart from the others by its type.
 */
export type ClinicalType = string & { readonly clinicalType: unique symbol };

type TypeOf<S extends AuditSubject> = S extends 'none' ? null : S extends 'clinical' ? ClinicalType : S;

/**
 * One event's kind as a writer gives it: its resource type and action, and that kind's detail — each
 * field optional where it reads back empty, no field another kind's (object literals are checked).
 */
export type AuditKindInput = {
  [S in AuditSubject]: {
    [A in ActionOf<S>]: {
      readonly resourceType: TypeOf<S>;
      readonly action: A;
      readonly detail?: Partial<DetailOf<S, A>> & ClientDetail;
    };
  }[ActionOf<S>];
}[AuditSubject];
