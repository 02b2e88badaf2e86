import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountWindow, DistinctWindow, FewDistinct, HOUR, MINUTE } from './features.js';

describe('sliding windows', () => {
  it('count the distinct values whose last sighting is within the window, like a naive scan', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.integer({ min: 0, max: 40 * MINUTE })), { maxLength: 80 }), fc.integer({ min: 0, max: 30 * MINUTE }), (steps, extra) => {
        const w = new DistinctWindow([10 * MINUTE, HOUR]);
        const last = new Map<string, number>();
        let t = 0;
        for (const [k, dt] of steps) {
          t += dt;
          w.add(k, t);
          last.set(k, t);
        }
        const now = t + extra;
        for (const win of [10 * MINUTE, HOUR]) {
          const naive = [...last.values()].filter((x) => now - x <= win).length;
          expect(w.count(win, now)).toBe(naive);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('sums counts over minute buckets within the window', () => {
    const c = new CountWindow(HOUR);
    c.add(0);
    c.add(30 * MINUTE, 2);
    c.add(59 * MINUTE);
    expect(c.sum(HOUR, 59 * MINUTE)).toBe(4);
    expect(c.sum(10 * MINUTE, 59 * MINUTE)).toBe(1);
  });

  it('say whether an add raised a count (the detector skips the rules otherwise), for both kinds of window', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 40 * MINUTE })), { maxLength: 60 }), (steps) => {
        const many = new DistinctWindow([10 * MINUTE, HOUR]);
        const few = new FewDistinct([10 * MINUTE, HOUR]);
        let t = 0;
        for (const [k, dt] of steps) {
          t += dt;
          const before = [10 * MINUTE, HOUR].map((w) => many.count(w, t));
          const beforeFew = [10 * MINUTE, HOUR].map((w) => few.count(w, t));
          many.add(k, t);
          few.add(k, t);
          const rose = [10 * MINUTE, HOUR].some((w, i) => many.count(w, t) > before[i]!);
          const roseFew = [10 * MINUTE, HOUR].some((w, i) => few.count(w, t) > beforeFew[i]!);
          expect(many.grew).toBe(rose);
          expect(few.grew).toBe(roseFew);
        }
      }),
      { numRuns: 300 },
    );
  });
});
