import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUDITED_TYPES, disclosed, type EventFacts } from './disclosure.js';

const base: EventFacts = { action: 'read', outcome: 'success', resourceType: 'Patient', resourceId: null, patientId: 'p1', purpose: 'admin', labels: [], detail: null };

describe('what an audit event disclosed', () => {
  it('reads a patient as a full identity, explained by the care the records recorded', () => {
    expect(disclosed({ ...base, detail: { unexplained: [] } })).toEqual([{ patientId: 'p1', identity: 'full', listing: null, appointments: false, notes: [], labels: [], care: 'scheduled', breakGlass: false }]);
    expect(disclosed({ ...base, detail: { unexplained: [], standing: ['p1'] } })[0]!.care).toBe('standing');
    expect(disclosed({ ...base, detail: { unexplained: ['p1'] } })[0]!.care).toBe('none');
    expect(disclosed(base)[0]!.care).toBeNull(); // an assistant: no care relationships
    expect(disclosed({ ...base, purpose: 'patient' })[0]!.care).toBe('own');
  });

  it('tells picker listings from the full listings recorded before them, broad from found', () => {
    const search = { ...base, action: 'search', patientId: null };
    const now = disclosed({ ...search, detail: { returned: ['a', 'b'], broad: true, fields: 'picker' } });
    expect(now.map((x) => [x.patientId, x.identity, x.listing])).toEqual([['a', 'listed', 'broad'], ['b', 'listed', 'broad']]);
    expect(disclosed({ ...search, detail: { returned: ['a'], broad: false } })[0]).toMatchObject({ identity: 'full', listing: 'found' });
  });

  it('counts break-the-glass notes as notes without care, and appointments by reference', () => {
    const g = disclosed({ ...base, resourceType: 'DocumentReference', action: 'search', purpose: 'break-the-glass', labels: ['HIV'], detail: { returned: ['n1', 'n2'] } });
    expect(g).toEqual([{ patientId: 'p1', identity: null, listing: null, appointments: false, notes: ['n1', 'n2'], labels: ['HIV'], care: 'none', breakGlass: true }]);
    const a = disclosed({ ...base, resourceType: 'Appointment', action: 'search', patientId: null, detail: { returned: ['a'], unexplained: ['a'] } });
    expect(a).toEqual([{ patientId: 'a', identity: null, listing: null, appointments: true, notes: [], labels: [], care: 'none', breakGlass: false }]);
  });

  it('discloses nothing for refusals, writes, and the types that carry no patient data', () => {
    expect(disclosed({ ...base, outcome: 'denied' })).toEqual([]);
    expect(disclosed({ ...base, action: 'create' })).toEqual([]);
    for (const t of ['Practitioner', 'Organization', 'Account', 'Incident', 'AuditEvent', 'Alert', null]) expect(disclosed({ ...base, resourceType: t })).toEqual([]);
  });

  it('never names a patient the event does not name (property)', () => {
    fc.assert(fc.property(
      fc.constantFrom<string | null>(...AUDITED_TYPES, null), fc.constantFrom('read', 'search', 'everything', 'create'), fc.option(fc.constantFrom('p1', 'p2'), { nil: null }),
      fc.array(fc.constantFrom<string>('p1', 'p2', 'p3')), fc.constantFrom('admin', 'care', 'break-the-glass', 'patient', null),
      (type, action, patientId, returned, purpose) => {
        const named = new Set([...(patientId ? [patientId] : []), ...returned]);
        for (const d of disclosed({ ...base, resourceType: type, action, patientId, purpose, detail: { returned } })) expect(named.has(d.patientId)).toBe(true);
      },
    ));
  });
});
