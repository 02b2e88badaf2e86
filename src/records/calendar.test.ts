import { describe, expect, it } from 'vitest';
import type { Principal } from '../access/index.js';
import type { Appointment } from '../domain/index.js';
import { Detector } from '../detect/engine.js';
import { DEFAULT_THRESHOLDS } from '../detect/rules.js';
import type { DisclosedPatient } from '../detect/index.js';
import { namedBy, nearCalendar } from './calendar.js';

const NOW = new Date('2026-03-10T10:00:00Z'); // a Tuesday
const DAY = 86_400_000;

const principal = (role: Principal['role'], userId = 'doc-a'): Principal => ({
  userId, role, practiceId: 'p', patientId: null, sessionId: 's', scopes: [], authTime: NOW, amr: ['pwd', 'otp'], acr: 'x', clientApproved: true,
});

const appt = (patientId: string, practitionerId: string, daysFromNow: number): Appointment => ({
  id: `${patientId}-${practitionerId}-${daysFromNow}`, practiceId: 'p', patientId, practitionerId,
  start: new Date(NOW.getTime() + daysFromNow * DAY), end: new Date(NOW.getTime() + daysFromNow * DAY + 1_200_000), status: 'booked', kind: 'consultation',
});

const listed = (ids: readonly string[], calendarListing: 'own' | 'others'): DisclosedPatient[] =>
  ids.map((patientId) => ({ patientId, care: null, identity: false, listed: null, notes: [], sensitive: false, calendarListing }));

describe('how an appointment listing names its patients', () => {
  it('the near calendar runs from the start of the day 3 days back to 8 days ahead', () => {
    expect(nearCalendar(NOW)).toEqual({ from: new Date('2026-03-07T00:00:00Z'), to: new Date('2026-03-18T00:00:00Z') });
  });

  it('a practitioner: the own near calendar is free; own further away, and any colleague\'s, are counted', () => {
    const out = namedBy(principal('practitioner'), [appt('p1', 'doc-a', 0), appt('p2', 'doc-a', -20), appt('p3', 'doc-b', 1), appt('p4', 'doc-b', -60)], NOW);
    expect(out).toEqual([
      { patientId: 'p1', listing: null }, { patientId: 'p2', listing: 'own' }, { patientId: 'p3', listing: 'others' }, { patientId: 'p4', listing: 'others' },
    ]);
  });

  it('an assistant: every doctor\'s near calendar is free, the rest counted as others\'', () => {
    const out = namedBy(principal('assistant', 'desk'), [appt('p1', 'doc-a', 7), appt('p2', 'doc-b', -1), appt('p3', 'doc-b', 9), appt('p4', 'doc-a', -4)], NOW);
    expect(out.map((x) => x.listing)).toEqual([null, null, 'others', 'others']);
  });

  it('a patient the page names near is not counted, whatever else names them; own before others', () => {
    const p = principal('practitioner');
    expect(namedBy(p, [appt('p1', 'doc-b', -90), appt('p1', 'doc-a', 2)], NOW)).toEqual([{ patientId: 'p1', listing: null }]);
    expect(namedBy(p, [appt('p1', 'doc-b', -90), appt('p1', 'doc-a', -30)], NOW)).toEqual([{ patientId: 'p1', listing: 'own' }]);
  });
});

describe('the calendar budgets (FACTS.md workloads)', () => {
  const T = NOW;
  it('a doctor pages a month of her own calendar (≈ 400 patients outside the near window): admitted', () => {
    const d = new Detector();
    const month = Array.from({ length: 400 }, (_, i) => `own-${i}`);
    for (let i = 0; i < month.length; i += 50) {
      expect(d.admit('doc', 'practitioner', 'p', listed(month.slice(i, i + 50), 'own'), T).stop).toBeNull();
    }
    expect(d.state('doc', T).response).toBe('allow');
  });

  it('a practitioner is shown no more than 110 patients of other calendars a day, then is suspended', () => {
    const d = new Detector();
    const a = d.admit('doc', 'practitioner', 'p', listed(Array.from({ length: 200 }, (_, i) => `x-${i}`), 'others'), T);
    expect(a.admitted).toBe(DEFAULT_THRESHOLDS.calendarOthersPerDay);
    expect(a.stop?.rule).toBe('calendar-others-day');
    expect(d.state('doc', T).response).toBe('suspend');
  });

  it('the own calendar and others\' together: 450 a day, 600 a week', () => {
    const day = new Detector();
    const a = day.admit('doc', 'practitioner', 'p', listed(Array.from({ length: 500 }, (_, i) => `own-${i}`), 'own'), T);
    expect(a).toMatchObject({ admitted: 450, stop: { rule: 'calendar-day' } });
    const week = new Detector();
    expect(week.admit('doc', 'practitioner', 'p', listed(Array.from({ length: 400 }, (_, i) => `own-${i}`), 'own'), T).stop).toBeNull();
    const later = new Date(T.getTime() + 2 * DAY);
    const b = week.admit('doc', 'practitioner', 'p', listed(Array.from({ length: 300 }, (_, i) => `more-${i}`), 'own'), later);
    expect(b).toMatchObject({ admitted: 200, stop: { rule: 'calendar-week' } });
  });

  it('an assistant\'s budgets are four times larger; patients seen again cost nothing', () => {
    const d = new Detector();
    const ids = Array.from({ length: 440 }, (_, i) => `slot-${i}`);
    expect(d.admit('desk', 'assistant', 'p', listed(ids, 'others'), T).stop).toBeNull();
    expect(d.admit('desk', 'assistant', 'p', listed(ids, 'others'), T).stop).toBeNull();
    expect(d.admit('desk', 'assistant', 'p', listed(['one-more'], 'others'), T).stop?.rule).toBe('calendar-others-day');
  });

  it('the replay counts what the audit events say the ledger counted', () => {
    const d = new Detector();
    const ids = Array.from({ length: 110 }, (_, i) => `x-${i}`);
    d.observe({
      at: T, userId: 'doc', sessionId: 's', practiceId: 'p', action: 'search', outcome: 'success', patientId: null, returned: [], labels: [],
      reason: null, sourceIp: null, role: 'practitioner', calendarListed: ids, calendarOthers: ids,
    });
    expect(d.admit('doc', 'practitioner', 'p', listed(['x-0'], 'others'), T).stop).toBeNull();
    expect(d.admit('doc', 'practitioner', 'p', listed(['new'], 'others'), T).stop?.rule).toBe('calendar-others-day');
  });
});
