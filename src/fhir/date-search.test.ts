import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateCondition, DATE_PREFIXES, meets, parseDateValue, type DatePrefix } from './date-search.js';

/**
 * The oracle, written apart from the parser: at a value's precision, an instant in UTC compares
 * with the value as the ISO 8601 strings compare once cut to that precision (four-digit years sort
 * as text). R4 §3.1.1.4: eq/ne equal or not, ge/le/gt/lt as ordered, sa as gt and eb as lt for a
 * point in time.
 */
const PRECISION = { year: 4, month: 7, day: 10, minute: 16, second: 19 } as const;
type Precision = keyof typeof PRECISION;

function oracle(prefix: DatePrefix, value: string, t: Date): boolean {
  const cut = t.toISOString().slice(0, value.length);
  switch (prefix) {
    case 'eq': return cut === value;
    case 'ne': return cut !== value;
    case 'ge': return cut >= value;
    case 'le': return cut <= value;
    case 'gt': case 'sa': return cut > value;
    case 'lt': case 'eb': return cut < value;
  }
}

const instant = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2040-12-31T23:59:59Z'), noInvalidDate: true });
const precision = fc.constantFrom<Precision>('year', 'month', 'day', 'minute', 'second');
const prefix = fc.constantFrom(...DATE_PREFIXES);
/** A value near the instant (so that equal, before and after all happen), at a precision, with its prefix. */
const valueNear = (t: Date) =>
  fc.tuple(prefix, precision, fc.integer({ min: -3, max: 3 }), fc.constantFrom(1, 60_000, 3_600_000, 86_400_000, 2_678_400_000)).map(([p, prec, k, step]) => {
    const v = new Date(t.getTime() + k * step).toISOString().slice(0, PRECISION[prec]);
    return { prefix: p, text: prec === 'minute' || prec === 'second' ? `${v}Z` : v, bare: v };
  });

describe('FHIR date search values', () => {
  it('matches an instant as the oracle does, for every prefix and precision', () => {
    fc.assert(
      fc.property(instant.chain((t) => fc.tuple(fc.constant(t), valueNear(t), fc.boolean())), ([t, v, explicitEq]) => {
        const raw = v.prefix === 'eq' && !explicitEq ? v.text : `${v.prefix}${v.text}`;
        const c = dateCondition('date', [raw]);
        expect(c.ok, raw).toBe(true);
        if (!c.ok) return;
        expect(meets(c.value, t), `${raw} at ${t.toISOString()}`).toBe(oracle(v.prefix, v.bare, t));
      }),
      { numRuns: 3000 },
    );
  });

  it('ANDs repeated values: ge…&le… is the range between them', () => {
    fc.assert(
      fc.property(instant.chain((t) => fc.tuple(fc.constant(t), valueNear(t), valueNear(t))), ([t, a, b]) => {
        const c = dateCondition('date', [`${a.prefix}${a.text}`, `${b.prefix}${b.text}`]);
        expect(c.ok).toBe(true);
        if (!c.ok) return;
        expect(meets(c.value, t)).toBe(oracle(a.prefix, a.bare, t) && oracle(b.prefix, b.bare, t));
      }),
      { numRuns: 2000 },
    );
  });

  it('a bare day is the whole day; a week asked as a FHIR client does', () => {
    const c = dateCondition('date', ['ge2026-12-01', 'le2026-12-07']);
    expect(c).toEqual({ ok: true, value: { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-08T00:00:00Z'), excluded: [] } });
    const d = dateCondition('date', ['2026-12-01']);
    expect(d).toEqual({ ok: true, value: { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z'), excluded: [] } });
    const m = dateCondition('date', ['2024-02']);
    expect(m.ok && m.value.to).toEqual(new Date('2024-03-01T00:00:00Z'));
    const y = dateCondition('date', ['gt2026']);
    expect(y.ok && y.value.from).toEqual(new Date('2027-01-01T00:00:00Z'));
  });

  it('reads a time zone offset, and a time without one as UTC', () => {
    const p = parseDateValue('date', '2026-12-01T10:00+02:00');
    expect(p.ok && p.value.range).toEqual({ from: new Date('2026-12-01T08:00:00Z'), to: new Date('2026-12-01T08:01:00Z') });
    const u = parseDateValue('date', 'lt2026-12-01T10:00:30');
    expect(u.ok && u.value).toEqual({ prefix: 'lt', range: { from: new Date('2026-12-01T10:00:30Z'), to: new Date('2026-12-01T10:00:31Z') } });
    const f = parseDateValue('date', '2026-12-01T10:00:30.25Z');
    expect(f.ok && f.value.range.to.getTime() - f.value.range.from.getTime()).toBe(10);
  });

  it('ne excludes the value\'s range, whatever else is asked', () => {
    const c = dateCondition('date', ['ge2026-12-01', 'le2026-12-07', 'ne2026-12-03']);
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(meets(c.value, new Date('2026-12-03T09:00:00Z'))).toBe(false);
    expect(meets(c.value, new Date('2026-12-04T09:00:00Z'))).toBe(true);
    expect(meets(c.value, new Date('2026-12-08T00:00:00Z'))).toBe(false);
  });

  it('refuses what is not a date, an unsupported prefix, and years a database cannot keep, naming the parameter', () => {
    for (const bad of [
      '', 'ap2026-12-01', 'xx2026-12-01', 'GE2026-12-01', '2026-13-01', '2025-02-29', '2026-04-31', '2026-12-01T24:00Z', '2026-12-01T10',
      '2026-12-01T10:00+15:00', '9999-12-31', 'gt9999-12-31', '0000-01-01', '26-12-01', '2026-12-01 10:00', '2026-12-01T10:00:00ZZ', '20261201',
      '2026-12-01,2026-12-02', `2026-12-01${'0'.repeat(200)}`,
    ]) {
      const c = dateCondition('date', [bad]);
      expect(c.ok, bad).toBe(false);
      if (!c.ok) expect(c.problem.startsWith('date : ')).toBe(true);
    }
    const ap = dateCondition('date', ['ap2026-12-01']);
    expect(!ap.ok && ap.problem).toContain('ap');
    expect(dateCondition('date', ['2024-02-29']).ok).toBe(true);
    expect(dateCondition('date', ['0001-01-01', 'le9998-12-31']).ok).toBe(true);
    expect(dateCondition('date', ['ge2026', 'le2027', 'ne2026-06', 'ne2026-07', 'ne2026-08']).ok).toBe(false);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }), (values) => {
      const c = dateCondition('date', values);
      expect(typeof c.ok).toBe('boolean');
    }), { numRuns: 2000 });
  });
});
