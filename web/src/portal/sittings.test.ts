import { describe, expect, it } from 'vitest';

// The web app's catalogue reads the chosen language from the browser's storage: French here.
Object.assign(globalThis, { localStorage: { getItem: () => 'fr', setItem: () => undefined } });
const { sittings } = await import('./sittings.js');

/** An AuditEvent as the portal receives it: who, when, what, why. */
const ev = (id: string, at: string, who: string, what = 'read', purpose = 'TREAT') => ({
  id, recorded: at, subtype: [{ code: what }], purposeOfEvent: [{ coding: [{ code: purpose }] }],
  agent: [{ who: { display: who }, type: { coding: [{ code: 'practitioner' }] } }],
});

describe('the portal\'s accesses, as sittings', () => {
  it('folds one professional\'s accesses of a consultation into one line, from the first to the last', () => {
    const s = sittings([
      ev('5', '2026-12-07T10:40:00Z', 'Dr Martin'),
      ev('4', '2026-12-07T10:20:00Z', 'Dr Martin', 'search', 'HOPERAT'),
      ev('3', '2026-12-07T10:02:00Z', 'Dr Martin'),
      ev('2', '2026-12-07T09:00:00Z', 'Dr Martin'),
      ev('1', '2026-12-07T08:55:00Z', 'Mme Durand'),
    ]);
    expect(s.map((x) => [x.first.id, x.last.id, x.count])).toEqual([['3', '5', 3], ['2', '2', 1], ['1', '1', 1]]);
    expect(s[0]!.whats.length).toBe(2);
    expect(s[0]!.whys.length).toBe(2);
  });

  it('keeps an emergency access on a line of its own', () => {
    const s = sittings([
      ev('3', '2026-12-07T10:40:00Z', 'Dr Martin'),
      ev('2', '2026-12-07T10:35:00Z', 'Dr Martin', 'read', 'ETREAT'),
      ev('1', '2026-12-07T10:30:00Z', 'Dr Martin'),
    ]);
    expect(s.map((x) => x.count)).toEqual([1, 1, 1]);
    expect(s[1]!.last.glass).toBe(true);
  });
});
