import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../domain/index.js';
import { defaultScopes, type Decision, type Principal, type Purpose } from '../access/index.js';
import type { CareClass } from '../store/care.js';
import { claimed, noteCare, recordCare, visitScope } from './care-claims.js';

const PRACTICE = '11111111-1111-4111-8111-111111111111';
const ME = '55555555-5555-4555-8555-555555555555';
const NOW = new Date('2026-03-10T10:00:00Z');

function principal(role: Role, clientApproved = true): Principal {
  return {
    userId: ME, role, practiceId: role === 'security-officer' ? null : PRACTICE, patientId: null, sessionId: 's',
    scopes: defaultScopes(role), authTime: NOW, amr: ['pwd', 'otp'], acr: 'aal2', clientApproved,
  };
}

const allowed = (purpose: Purpose): Decision => ({
  allow: true, reason: purpose, segment: 'clinical', dbRole: 'clinical', purpose,
});
const CARE = allowed('care');
const GLASS = allowed('break-the-glass');
const PATIENT = allowed('patient');
const DENIED: Decision = { allow: false, reason: 'no-care-relationship' };
const CLASSES: (CareClass | null)[] = ['scheduled', 'standing', 'visit', null];

describe('walk-in visits in the care claims', () => {
  it('a practitioner\'s note read returns the whole record only under genuine care or break-the-glass', () => {
    for (const d of [CARE, GLASS, PATIENT, DENIED, null]) {
      for (const cls of CLASSES) {
        const glass = d?.allow === true && d.purpose === 'break-the-glass';
        const whole = glass || cls === 'scheduled' || cls === 'standing';
        const label = `${d?.allow ? d.purpose : 'denied'} ${cls}`;
        const scope = visitScope(principal('practitioner'), d, cls, NOW);
        expect(scope, label).toEqual(whole ? null : { practitionerId: ME, at: NOW });
      }
    }
  });

  it('other roles are not narrowed by a visit (their own rules decide what they read)', () => {
    for (const role of ROLES.filter((r) => r !== 'practitioner')) {
      for (const cls of CLASSES) expect(visitScope(principal(role), CARE, cls, NOW)).toBeNull();
    }
  });

  it('a visit\'s notes count like the calendar, and like standing care from a client not approved', () => {
    expect(noteCare(principal('practitioner'), CARE, 'visit')('p')).toBe('scheduled');
    const thief = principal('practitioner', false);
    expect(claimed(thief, noteCare(thief, CARE, 'visit'))('p')).toBe('standing');
    expect(noteCare(principal('practitioner'), GLASS, 'visit')('p')).toBe('none');
  });

  it('a whole-record read under a visit counts the identity as before: no care', () => {
    expect(recordCare(principal('practitioner'), CARE, 'visit')('p')).toBe('none');
    expect(recordCare(principal('practitioner'), null, 'visit')('p')).toBe('none');
    expect(recordCare(principal('practitioner'), CARE, 'scheduled')('p')).toBe('scheduled');
    expect(recordCare(principal('practitioner'), null, 'standing')('p')).toBe('standing');
    expect(recordCare(principal('patient'), PATIENT, null)('p')).toBeNull();
  });
});
