import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../domain/index.js';
import { decide, type Action, type DecisionContext, type Resource, type ResourceType } from './policy.js';
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
const TYPES: ResourceType[] = ['Patient', 'Appointment', 'DocumentReference', 'Practitioner', 'Organization', 'AuditEvent', 'Account', 'Alert', 'Incident'];
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
      return reads && ['Patient', 'Appointment', 'DocumentReference', 'AuditEvent'].includes(type);
    case 'practice-admin':
      return (type === 'Account' && action === 'manage-accounts') || (type === 'Organization' && reads);
    case 'assistant':
      return adminTypes.includes(type) && (reads || ((action === 'create' || action === 'update') && (type === 'Patient' || type === 'Appointment')));
    case 'practitioner':
      if (action === 'break-glass') return type === 'Patient' && rel === 'fresh';
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
          if (role === 'patient' && patientId !== PATIENT) expect(d.allow).toBe(false);
          if (d.allow && type === 'DocumentReference') expect(['practitioner', 'patient']).toContain(role);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
