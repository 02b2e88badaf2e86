import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../domain/index.js';
import { decide, fourEyes, type Action, type DecisionContext, type Resource, type ResourceType } from './policy.js';
import type { Principal } from './principal.js';
import { defaultScopes } from './scopes.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const PATIENT = '33333333-3333-4333-8333-333333333333';
const OTHER_PATIENT = '44444444-4444-4444-8444-444444444444';

function principal(role: Role, extra: Partial<Principal> = {}): Principal {
  return {
    userId: '55555555-5555-4555-8555-555555555555', role, practiceId: role === 'security-officer' ? null : A,
    patientId: role === 'patient' ? PATIENT : null, sessionId: 's', scopes: defaultScopes(role), authTime: new Date(0),
    amr: ['pwd', 'otp'], acr: 'aal2', ...extra,
  };
}

const ACTIONS: Action[] = ['read', 'search', 'create', 'update', 'break-glass', 'manage-accounts', 'lock-accounts'];
const TYPES: ResourceType[] = [
  'Patient', 'Appointment', 'DocumentReference', 'Practitioner', 'Organization', 'AuditEvent', 'Account', 'Alert', 'Incident',
  'Schedule',
];
const CONTEXTS: Record<string, DecisionContext> = {
  none: { careRelationship: false, breakGlass: false, freshAuthentication: false },
  care: { careRelationship: true, breakGlass: false, freshAuthentication: false },
  glass: { careRelationship: false, breakGlass: true, freshAuthentication: false },
  fresh: { careRelationship: false, breakGlass: false, freshAuthentication: true },
};

/**
 * The rules of the access issue, written independently of the implementation: for each role,
 * which (type, action, relationship) is allowed inside the role's own practice and own record.
 */
function expected(role: Role, type: ResourceType, action: Action, rel: keyof typeof CONTEXTS): boolean {
  const reads = action === 'read' || action === 'search';
  const adminTypes = ['Patient', 'Appointment', 'Practitioner', 'Organization'];
  switch (role) {
    case 'security-officer':
      return (type === 'AuditEvent' && reads) || ((type === 'Alert' || type === 'Incident') && action !== 'manage-accounts') || (type === 'Account' && action === 'lock-accounts');
    case 'patient':
      // Her notes: a search (of the shared ones only); a read of one needs the note shared (tested below).
      if (type === 'DocumentReference') return action === 'search';
      return reads && ['Patient', 'Appointment', 'AuditEvent', 'Practitioner', 'Organization'].includes(type);
    case 'practice-admin':
      // The accounts, the practice and its staff, and the agenda's settings (visit types, hours, absences).
      if (type === 'Schedule') return reads || action === 'create' || action === 'update';
      return (type === 'Account' && action === 'manage-accounts') || ((type === 'Organization' || type === 'Practitioner') && reads);
    case 'assistant':
      if (type === 'Schedule') return reads;
      return adminTypes.includes(type) && (reads || ((action === 'create' || action === 'update') && (type === 'Patient' || type === 'Appointment')));
    case 'practitioner':
      if (action === 'break-glass') return type === 'Patient' && rel === 'fresh';
      if (type === 'Schedule') return reads;
      if (type === 'DocumentReference') return (reads || action === 'create') && (rel === 'care' || rel === 'glass');
      return adminTypes.includes(type) && (reads || ((action === 'create' || action === 'update') && (type === 'Patient' || type === 'Appointment')));
  }
}

describe('the access policy', () => {
  const cases = ROLES.flatMap((role) => TYPES.flatMap((type) => ACTIONS.flatMap((action) => Object.keys(CONTEXTS).map((rel) => ({ role, type, action, rel })))));

  it.each(cases)('$role $action $type ($rel)', ({ role, type, action, rel }) => {
    const platformWide = type === 'Alert' || type === 'Incident';
    const r: Resource = { type, practiceId: platformWide ? null : A, patientId: PATIENT };
    const d = decide(principal(role), action, r, CONTEXTS[rel]!);
    expect(d.allow).toBe(expected(role, type, action, rel as keyof typeof CONTEXTS));
    if (d.allow && type === 'DocumentReference') expect(d.dbRole).toBe('clinical');
    if (d.allow && d.segment === 'admin') expect(d.dbRole).toBe('admin');
  });

  it('asks for step-up, not a plain refusal, when break-the-glass lacks a fresh second factor', () => {
    const d = decide(principal('practitioner'), 'break-glass', { type: 'Patient', practiceId: A, patientId: PATIENT }, CONTEXTS.none!);
    expect(d).toEqual({ allow: false, reason: 'step-up-required', stepUp: true });
  });

  it('lets scopes narrow and never widen', () => {
    const r: Resource = { type: 'DocumentReference', practiceId: A, patientId: PATIENT };
    expect(decide(principal('practitioner', { scopes: ['user/Patient.read'] }), 'read', r, CONTEXTS.care!)).toMatchObject({ allow: false, reason: 'scope' });
    expect(decide(principal('practitioner', { scopes: ['user/DocumentReference.rs'] }), 'read', r, CONTEXTS.care!).allow).toBe(true);
    expect(decide(principal('practitioner', { scopes: ['user/*.read'] }), 'create', r, CONTEXTS.care!)).toMatchObject({ allow: false, reason: 'scope' });
    // A scope cannot give an assistant clinical content, nor a patient another patient.
    expect(decide(principal('assistant', { scopes: ['user/*.*', 'user/DocumentReference.read'] }), 'read', r, CONTEXTS.care!).allow).toBe(false);
    expect(decide(principal('patient', { scopes: ['patient/*.*'] }), 'read', { ...r, patientId: OTHER_PATIENT }, CONTEXTS.care!).allow).toBe(false);
  });

  it('never allows anything of another practice, for 10,000 random principals and resources', () => {
    const roleArb = fc.constantFrom<Role>(...ROLES);
    const practice = fc.constantFrom(A, B);
    const anyScopes = fc.subarray(['user/*.read', 'user/*.write', 'user/*.*', 'patient/*.read', 'user/Patient.read', 'user/DocumentReference.rs', 'system/*.*']);
    fc.assert(
      fc.property(
        roleArb, practice, practice, fc.constantFrom(...TYPES), fc.constantFrom(...ACTIONS), fc.constantFrom(PATIENT, OTHER_PATIENT),
        fc.boolean(), fc.boolean(), fc.boolean(), anyScopes,
        (role, mine, theirs, type, action, patientId, care, glass, fresh, scopes) => {
          const p = principal(role, { practiceId: role === 'security-officer' ? null : mine, scopes });
          const r: Resource = { type, practiceId: theirs, patientId };
          const d = decide(p, action, r, { careRelationship: care, breakGlass: glass, freshAuthentication: fresh });
          if (role === 'security-officer') {
            // Platform-wide, but never the records of any practice.
            if (d.allow) expect(['AuditEvent', 'Account', 'Alert', 'Incident']).toContain(type);
          } else if (theirs !== mine) {
            expect(d.allow).toBe(false);
          }
          // The practice's professionals and the practice itself are no patient's: a patient reads them.
          const aboutAPatient = type !== 'Practitioner' && type !== 'Organization';
          if (role === 'patient' && patientId !== PATIENT && aboutAPatient) expect(d.allow).toBe(false);
          if (d.allow && type === 'DocumentReference') expect(['practitioner', 'patient']).toContain(role);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('notes shared with the patient', () => {
  const note: Resource = { type: 'DocumentReference', practiceId: A, patientId: PATIENT };
  const none = CONTEXTS.none!;

  it('lets a patient read her own note only when it is shared, and binds her search to the shared ones', () => {
    expect(decide(principal('patient'), 'read', note, { ...none, sharedWithPatient: true })).toMatchObject({
      allow: true, dbRole: 'clinical', purpose: 'patient',
    });
    expect(decide(principal('patient'), 'read', note, { ...none, sharedWithPatient: false }))
      .toEqual({ allow: false, reason: 'not-shared' });
    // Unknown is not shared: fail closed.
    expect(decide(principal('patient'), 'read', note, none)).toEqual({ allow: false, reason: 'not-shared' });
    expect(decide(principal('patient'), 'search', note, none)).toMatchObject({ allow: true, only: 'shared-with-patient' });
    // Never another patient's, shared or not; never a write.
    const theirs = { ...note, patientId: OTHER_PATIENT };
    expect(decide(principal('patient'), 'read', theirs, { ...none, sharedWithPatient: true }).allow).toBe(false);
    expect(decide(principal('patient'), 'search', theirs, none).allow).toBe(false);
    for (const action of ['create', 'update', 'share'] as const) {
      expect(decide(principal('patient'), action, note, { ...none, sharedWithPatient: true }).allow).toBe(false);
    }
  });

  it('lets only the author share, while she treats the patient — not under break-the-glass', () => {
    const author = { authorOfNote: true };
    expect(decide(principal('practitioner'), 'share', note, { ...CONTEXTS.care!, ...author })).toMatchObject({
      allow: true, purpose: 'care', dbRole: 'clinical',
    });
    expect(decide(principal('practitioner'), 'share', note, { ...CONTEXTS.care!, authorOfNote: false }))
      .toEqual({ allow: false, reason: 'not-the-author' });
    expect(decide(principal('practitioner'), 'share', note, CONTEXTS.care!)).toEqual({ allow: false, reason: 'not-the-author' });
    expect(decide(principal('practitioner'), 'share', note, { ...CONTEXTS.glass!, ...author }))
      .toEqual({ allow: false, reason: 'no-care-relationship' });
    expect(decide(principal('practitioner'), 'share', note, { ...none, ...author }).allow).toBe(false);
    for (const role of ROLES.filter((r) => r !== 'practitioner')) {
      expect(decide(principal(role), 'share', note, { ...CONTEXTS.care!, ...author }).allow, role).toBe(false);
    }
    expect(decide(principal('practitioner'), 'share', { type: 'Patient', practiceId: A, patientId: PATIENT },
      { ...CONTEXTS.care!, ...author }).allow).toBe(false);
  });

  it('never lets a patient read a note not shared, for 5,000 random contexts and scopes', () => {
    fc.assert(fc.property(
      fc.constantFrom<Action>(...ACTIONS, 'share'), fc.constantFrom(PATIENT, OTHER_PATIENT), fc.boolean(), fc.boolean(),
      fc.option(fc.boolean(), { nil: undefined }), fc.subarray(['patient/*.read', 'patient/*.*', 'user/*.*']),
      (action, patientId, care, glass, shared, scopes) => {
        const ctx = { careRelationship: care, breakGlass: glass, freshAuthentication: true, sharedWithPatient: shared };
        const d = decide(principal('patient', { scopes }), action, { ...note, patientId }, ctx);
        if (!d.allow) return;
        expect(patientId).toBe(PATIENT);
        expect(action === 'search' ? d.only : shared).toBe(action === 'search' ? 'shared-with-patient' : true);
      },
    ), { numRuns: 5_000 });
  });
});

describe('fourEyes: one person asks, another confirms', () => {
  it('a first call asks, the same person again only asks again, another person confirms', () => {
    expect(fourEyes('a', [])).toBe('ask');
    expect(fourEyes('a', ['a'])).toBe('asked-again');
    expect(fourEyes('b', ['a'])).toBe('confirm');
    expect(fourEyes('a', ['a', 'b'])).toBe('confirm');
  });

  it('refuses any part in an action on one\'s own account, asked or not', () => {
    expect(fourEyes('a', [], true)).toBe('refuse');
    expect(fourEyes('a', ['b'], true)).toBe('refuse');
  });
});
