import type { DbRole } from '../store/index.js';
import { REGISTRY } from '../resources/index.js';
import type { Principal } from './principal.js';
import { scopesAllow, type ScopeAccess } from './scopes.js';

/**
 * The one place where access is decided. Pure: no I/O, no clock (the context carries "now"
 * and the facts the store looked up). Deny by default: a case no rule allows is refused.
 */
export type Action =
  | 'read' | 'search' | 'create' | 'update' | 'break-glass' | 'manage-accounts' | 'lock-accounts'
  /** Marks a note shared with its patient, or no longer (her portal shows the shared ones). */
  | 'share';

export type ResourceType =
  | 'Patient'
  | 'Appointment'
  | 'DocumentReference'
  | 'Practitioner'
  | 'Organization'
  | 'AuditEvent'
  | 'Account'
  | 'Alert'
  | 'Incident'
  /** The practice's agenda settings: visit types, opening hours, absences (no patient in them). */
  | 'Schedule'
  /** A clinical type of the resource registry (src/resources/): Condition, Observation… */
  | ClinicalType;

/** A type the registry serves; the policy treats every one of them as clinical content, like a note. */
export type ClinicalType = string & { readonly clinical?: never };

/** Clinical content: notes, and every type of the registry. */
export function isClinical(type: string): boolean {
  return type === 'DocumentReference' || REGISTRY.module(type) !== null;
}

export interface Resource {
  readonly type: ResourceType;
  /** The practice the resource belongs to; null for platform-wide resources (alerts, incidents). */
  readonly practiceId: string | null;
  /** The patient it concerns, when it concerns one. */
  readonly patientId?: string | null;
}

export interface DecisionContext {
  /** The practitioner has a care relationship with the patient now (treating, or appointment window). */
  readonly careRelationship: boolean;
  /** An unexpired break-the-glass grant covers this practitioner and patient. */
  readonly breakGlass: boolean;
  /** The second factor was proved recently enough for a sensitive step (see STEP_UP_MAX_AGE_S). */
  readonly freshAuthentication: boolean;
  /**
   * Of one note: its author shared it with the patient and it is current. Absent: not known (a
   * search, before any note is found), which lets a patient in to the shared ones only.
   */
  readonly sharedWithPatient?: boolean;
  /** Of one note: the reader wrote it. */
  readonly authorOfNote?: boolean;
}

export type Purpose = 'care' | 'break-the-glass' | 'admin' | 'patient' | 'security';
export type Segment = 'admin' | 'clinical' | 'audit' | 'security';

/**
 * What an allowing decision binds the records to: `shared-with-patient`, only the notes shared with
 * the patient (and current) may be returned — the only notes a patient reads.
 */
export type Obligation = 'shared-with-patient';

export type Decision =
  | {
    readonly allow: true; readonly reason: string; readonly segment: Segment; readonly dbRole: DbRole;
    readonly purpose: Purpose; readonly only?: Obligation;
  }
  | { readonly allow: false; readonly reason: DenyReason; readonly stepUp?: boolean };

export type DenyReason =
  | 'other-practice'
  | 'not-own-record'
  | 'role'
  | 'segment'
  | 'no-care-relationship'
  | 'scope'
  | 'step-up-required'
  | 'not-a-practitioner'
  /** A patient asked for a note of hers that was not shared with her (or is no longer current). */
  | 'not-shared'
  /** Only a note's author shares it with the patient. */
  | 'not-the-author';

/** RFC 9470 max_age for sensitive steps (break-the-glass): the second factor within 5 minutes. */
export const STEP_UP_MAX_AGE_S = 300;

/**
 * What one call of a four-eyes action does: the first person asks, a different one confirms.
 * `refuse`: this person may take no part (a client of her own account); `ask`: recorded as the
 * request; `asked-again`: she asked before and no one else has (recorded, lifts nothing);
 * `confirm`: the action is carried out.
 */
export type FourEyesStep = 'refuse' | 'ask' | 'asked-again' | 'confirm';

/**
 * Four eyes on the actions one stolen account must not do alone (RGPD Art. 32, least privilege):
 * an officer's unlock of an account (a stolen officer would give a stolen doctor back), the Art. 34
 * notices that name patients (asked by scoping the incident, confirmed by another officer), a
 * practice admin's approval of a client (a thief holding an admin's password approves his own
 * laptop). `askedBy`: who asked and has not lapsed; `own`: the action is on the person's own account.
 */
export function fourEyes(by: string, askedBy: readonly string[], own = false): FourEyesStep {
  if (own) return 'refuse';
  if (askedBy.some((x) => x !== by)) return 'confirm';
  return askedBy.includes(by) ? 'asked-again' : 'ask';
}

const ADMIN_TYPES: ReadonlySet<ResourceType> = new Set(['Patient', 'Appointment', 'Practitioner', 'Organization']);
const RECORD_ACTIONS: ReadonlySet<Action> = new Set(['read', 'search', 'create', 'update']);
const ACCESS: Record<Action, ScopeAccess> = {
  read: 'read', search: 'read', create: 'write', update: 'write', 'break-glass': 'read', 'manage-accounts': 'write', 'lock-accounts': 'write',
  share: 'write',
};

const deny = (reason: DenyReason, stepUp = false): Decision => (stepUp ? { allow: false, reason, stepUp } : { allow: false, reason });

function allow(reason: string, segment: Segment, dbRole: DbRole, purpose: Purpose): Decision {
  return { allow: true, reason, segment, dbRole, purpose };
}

/** Scopes narrow: a FHIR resource needs a matching scope (accounts and security views use the role alone). */
function scoped(p: Principal, r: Resource, action: Action, d: Decision): Decision {
  if (!d.allow) return d;
  if (r.type === 'Account' || r.type === 'Alert' || r.type === 'Incident' || r.type === 'Schedule') return d;
  const ctx = p.role === 'patient' ? 'patient' : 'user';
  return scopesAllow(p.scopes, ctx, r.type, ACCESS[action]) ? d : deny('scope');
}

export function decide(p: Principal, action: Action, r: Resource, ctx: DecisionContext): Decision {
  return scoped(p, r, action, decideByRole(p, action, r, ctx));
}

function decideByRole(p: Principal, action: Action, r: Resource, ctx: DecisionContext): Decision {
  // Platform security officers: the audit log, alerts, incidents and account locks, everywhere;
  // never the records themselves.
  if (p.role === 'security-officer') {
    if (r.type === 'AuditEvent' && (action === 'read' || action === 'search')) return allow('security officer reads the audit log', 'audit', 'securityReader', 'security');
    if ((r.type === 'Alert' || r.type === 'Incident') && action !== 'manage-accounts') return allow('security officer handles alerts and incidents', 'security', 'securityReader', 'security');
    if (r.type === 'Account' && action === 'lock-accounts') return allow('security officer contains accounts', 'security', 'platform', 'security');
    return deny(isClinical(r.type) || ADMIN_TYPES.has(r.type) ? 'segment' : 'role');
  }

  // Everyone else acts inside their own practice only.
  if (p.practiceId === null || r.practiceId !== p.practiceId) return deny('other-practice');

  if (p.role === 'patient') {
    // The professionals of her practice, by name: who she has appointments with (public in the RPPS).
    if ((r.type === 'Practitioner' || r.type === 'Organization') && (action === 'read' || action === 'search')) {
      return allow('a patient sees who treats her', 'admin', 'admin', 'patient');
    }
    if (r.patientId !== p.patientId || p.patientId === null) return deny('not-own-record');
    if (action !== 'read' && action !== 'search') return deny('role');
    if (r.type === 'Patient' || r.type === 'Appointment') return allow('a patient reads their own record', 'admin', 'admin', 'patient');
    if (r.type === 'DocumentReference') return patientNote(action, ctx);
    if (isClinical(r.type)) return allow('a patient reads their own record (CSP L1111-7)', 'clinical', 'clinical', 'patient');
    if (r.type === 'AuditEvent') return allow('a patient sees who opened their record (CSP L1111-19)', 'audit', 'securityReader', 'patient');
    return deny('role');
  }

  if (p.role === 'practice-admin') {
    if (r.type === 'Account' && action === 'manage-accounts') return allow('practice admin manages the practice accounts', 'admin', 'admin', 'admin');
    if ((r.type === 'Organization' || r.type === 'Practitioner') && (action === 'read' || action === 'search')) {
      return allow('practice admin reads the practice and its staff', 'admin', 'admin', 'admin');
    }
    if (r.type === 'Schedule' && RECORD_ACTIONS.has(action)) return allow('practice admin sets the agenda', 'admin', 'admin', 'admin');
    return deny(isClinical(r.type) ? 'segment' : 'role');
  }

  if (p.role === 'assistant' || p.role === 'practitioner') {
    if (action === 'break-glass') {
      if (r.type !== 'Patient') return deny('role');
      if (p.role !== 'practitioner') return deny('not-a-practitioner');
      if (!ctx.freshAuthentication) return deny('step-up-required', true);
      return allow('break-the-glass with a stated reason', 'clinical', 'clinical', 'break-the-glass');
    }
    if (r.type === 'Schedule') {
      if (action === 'read' || action === 'search') return allow('the agenda of the practice', 'admin', 'admin', 'admin');
      return deny('role');
    }
    if (ADMIN_TYPES.has(r.type)) {
      if (action === 'read' || action === 'search') return allow('administrative data of the practice', 'admin', 'admin', 'admin');
      if ((action === 'create' || action === 'update') && (r.type === 'Patient' || r.type === 'Appointment')) {
        return allow('registration and scheduling', 'admin', 'admin', 'admin');
      }
      return deny('role');
    }
    if (isClinical(r.type)) {
      if (p.role === 'assistant') return deny('segment');
      if (action === 'share') return shareNote(r, ctx);
      // Notes are amended by a new note; the registry's types have versions and are updated.
      const writes = r.type === 'DocumentReference' ? action === 'create' : action === 'create' || action === 'update';
      if (action !== 'read' && action !== 'search' && !writes) return deny('role');
      if (ctx.careRelationship) return allow('care relationship', 'clinical', 'clinical', 'care');
      if (ctx.breakGlass) return allow('break-the-glass grant', 'clinical', 'clinical', 'break-the-glass');
      return deny('no-care-relationship');
    }
    return deny('role');
  }

  return deny('role');
}

/**
 * A patient's notes are those her practitioner shared with her: a search lists only those (the
 * obligation binds the records, and the database again: migration 021), a read opens a note only
 * when it is one of them. A note not shared is not hers to read yet: she asks her doctor for it,
 * who answers under CSP L1111-7.
 */
function patientNote(action: Action, ctx: DecisionContext): Decision {
  const reason = 'a patient reads the notes shared with her (CSP L1111-7)';
  if (action === 'search') {
    return { allow: true, reason, segment: 'clinical', dbRole: 'clinical', purpose: 'patient', only: 'shared-with-patient' };
  }
  if (action === 'read' && ctx.sharedWithPatient === true) return allow(reason, 'clinical', 'clinical', 'patient');
  return deny(action === 'read' ? 'not-shared' : 'role');
}

/**
 * Sharing a note with the patient is her author's decision, while she treats the patient (a care
 * relationship: not break-the-glass, which opens a record for an emergency, not to publish it).
 */
function shareNote(r: Resource, ctx: DecisionContext): Decision {
  if (r.type !== 'DocumentReference') return deny('role');
  if (ctx.authorOfNote !== true) return deny('not-the-author');
  if (!ctx.careRelationship) return deny('no-care-relationship');
  return allow('the author shares a note with the patient she treats', 'clinical', 'clinical', 'care');
}
