import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { padded, padmeLength } from './padding.js';

describe('Padmé padding of sealed documents', () => {
  it('matches the paper\'s examples and keeps short lengths', () => {
    // PETS 2019 §4.2: lengths 0..8 are unchanged; 9 → 10 (E = 3, S = 2: one low bit cleared).
    expect([0, 1, 2, 3, 7, 8].map(padmeLength)).toEqual([0, 1, 2, 3, 7, 8]);
    expect(padmeLength(9)).toBe(10);
    expect(padmeLength(5 * 1024 * 1024)).toBe(5 * 1024 * 1024);
    expect(padmeLength(5 * 1024 * 1024 - 1)).toBe(5 * 1024 * 1024);
  });

  it('never shortens, adds at most 12 %, and rounds to a multiple of 2^(E - S)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 8 * 1024 * 1024 }), (n) => {
      const p = padmeLength(n);
      const e = Math.floor(Math.log2(n));
      const s = Math.floor(Math.log2(e)) + 1;
      expect(p).toBeGreaterThanOrEqual(n);
      expect((p - n) / n).toBeLessThanOrEqual(0.12);
      expect(p % 2 ** (e - s)).toBe(0);
      expect(p - n).toBeLessThan(2 ** (e - s));
      if (n >= 2 ** 20) expect((p - n) / n).toBeLessThan(0.0313);
    }));
  });

  it('leaks a size class: documents of near sizes seal to one length', () => {
    const lengths = new Set(Array.from({ length: 1000 }, (_, i) => padmeLength(3_000_000 + i * 97)));
    expect(lengths.size).toBeLessThan(5);
    const b = padded(Buffer.from('%PDF-1.7'));
    expect(b.subarray(0, 8).toString()).toBe('%PDF-1.7');
    expect(b.length).toBe(8);
  });
});
