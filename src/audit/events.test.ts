import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendAuditEvents, type AuditEventInput, type Tx } from '../store/index.js';
import { disclosed } from './disclosure.js';
import {
  AUDIT_EVENTS, isAuditKind, patientHistoryKinds, readAuditEvent, subjectOf, type AuditSubject,
} from './events.js';

/** Every (resource type, action) the vocabulary knows, the clinical subject as Condition. */
const kinds = (Object.entries(AUDIT_EVENTS) as [AuditSubject, object][]).flatMap(([subject, actions]) =>
  Object.keys(actions).map((action) => ({
    resourceType: subject === 'none' ? null : subject === 'clinical' ? 'Condition' : subject, action,
  })));

/** An event as a caller could build it past the types (a cast, plain JavaScript): the writer still checks it. */
const event = (over: Readonly<Record<string, unknown>>): AuditEventInput => ({
  id: '00000000-0000-4000-8000-000000000001', at: new Date('2026-12-07T10:00:00Z'), practiceId: null, userId: null,
  role: null, sessionId: null, sourceIp: null, action: 'read', resourceType: 'Patient', resourceId: null,
  patientId: null,
  segment: null, labels: [], purpose: null, outcome: 'success', reason: null, ...over,
}) as unknown as AuditEventInput;

describe('the audit vocabulary', () => {
  it('knows the registry types as one clinical subject, and nothing it does not list', () => {
    expect(subjectOf('Condition')).toBe('clinical');
    expect(subjectOf('Observation')).toBe('clinical');
    expect(subjectOf(null)).toBe('none');
    expect(subjectOf('DocumentReference')).toBe('DocumentReference');
    // The vocabulary's own names for its subjects are not resource types a row may carry.
    for (const t of ['clinical', 'none', 'Practitioner', 'FamilyMemberHistory', 'toString', '__proto__']) {
      expect(subjectOf(t)).toBeNull();
    }
    expect(isAuditKind('Condition', 'read')).toBe(true);
    expect(isAuditKind('Condition', 'everything')).toBe(false);
    expect(isAuditKind('Patient', 'delete')).toBe(false);
    expect(isAuditKind(null, 'read')).toBe(false);
    expect(isAuditKind('Account', 'constructor')).toBe(false);
  });

  it('reads any stored detail back as its kind, whatever the row holds (property)', () => {
    fc.assert(fc.property(fc.constantFrom(...kinds), fc.jsonValue(), (k, detail) => {
      const ev = readAuditEvent({ ...k, detail });
      expect(ev).not.toBeNull();
      expect(ev!.action).toBe(k.action);
      // Every patient the readers derive is a string the row named.
      const facts = { ...k, outcome: 'success', resourceId: 'r1', patientId: 'p1', purpose: 'care', labels: [] };
      for (const d of disclosed({ ...facts, detail: detail as Record<string, unknown> })) {
        expect(typeof d.patientId).toBe('string');
        expect(JSON.stringify(detail).includes(d.patientId) || d.patientId === 'p1').toBe(true);
      }
    }));
  });

  it('types each kind\'s detail: ids stay ids, numbers numbers, flags flags', () => {
    const search = readAuditEvent({
      resourceType: 'Patient', action: 'search',
      detail: { returned: ['a', 7, null, 'b'], broad: false, fields: 'picker', unexplained: ['a'], device: 'd1' },
    });
    expect(search).toEqual({
      subject: 'Patient', action: 'search',
      detail: {
        returned: ['a', 'b'], offset: 0, count: 0, broad: false, fields: 'picker', unexplained: ['a'], device: 'd1',
      },
    });
    const everything = readAuditEvent({
      resourceType: 'Patient', action: 'everything',
      detail: { appointments: '3', notes: ['n1'], resources: { Condition: ['c1'], Observation: [] } },
    });
    expect(everything?.detail).toEqual({ appointments: 0, notes: ['n1'], resources: { Condition: ['c1'] } });
    expect(readAuditEvent({ resourceType: 'Observation', action: 'search', detail: { returned: ['o1'] } })?.detail)
      .toEqual({ returned: ['o1'], ordonnance: false });
  });

  it('says for every kind whether the patient sees it: accesses to the record, not the machinery', () => {
    const shown = new Set(patientHistoryKinds(['Condition']).map((k) => `${k.resourceType}.${k.action}`));
    for (const k of ['Patient.read', 'Patient.everything', 'Patient.break-glass', 'Condition.search',
      'Condition.create', 'DocumentReference.read', 'Appointment.search']) expect(shown.has(k)).toBe(true);
    for (const k of ['AuditEvent.search', 'Alert.search', 'Account.account.lock', 'Patient.patient.shred',
      'Incident.incident.notices', 'Record.integrity-check']) expect(shown.has(k)).toBe(false);
  });

  it('refuses to write an event of no known kind: the access fails rather than go unread', async () => {
    const statements: string[] = [];
    const tx = { auditKey: null, atCommit: (sql: string) => statements.push(sql) } as unknown as Tx;
    await appendAuditEvents(tx, [event({ action: 'read', resourceType: 'Condition' })]);
    expect(statements).toHaveLength(1);
    await expect(appendAuditEvents(tx, [event({ resourceType: 'Condition', action: 'everything' })])).rejects.toThrow();
    await expect(appendAuditEvents(tx, [event({ resourceType: 'FamilyMemberHistory' })])).rejects.toThrow();
    // One bad event of a batch: none of it is written.
    const batch = [event({}), event({ resourceType: 'clinical' })];
    await expect(appendAuditEvents(tx, batch)).rejects.toThrow();
    expect(statements).toHaveLength(1);
  });
});
