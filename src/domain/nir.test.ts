import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeNir, isValidNir, nirKey, nirMatchesIdentity, normaliseNir, parseNir } from './nir.js';

describe('NIR key', () => {
  it('matches published examples', () => {
    // INSEE's worked example: 1 84 12 76 451 089, key 46.
    expect(nirKey('1841276451089')).toBe(46);
    expect(isValidNir('1 84 12 76 451 089 46')).toBe(true);
    expect(isValidNir('184127645108946')).toBe(true);
  });

  it('replaces 2A by 19 and 2B by 18 for Corsica', () => {
    const a = '2850' + '22A004' + '123'; // woman, 1985-02, Ajaccio (2A004), serial 123
    const body = a.slice(0, 13);
    const viaNumber = 97 - (Number(body.replace('2A', '19')) % 97);
    expect(nirKey(body)).toBe(viaNumber);
    expect(isValidNir(body + String(viaNumber).padStart(2, '0'))).toBe(true);
    const b = '1790' + '62B033' + '001';
    const keyB = 97 - (Number(b.replace('2B', '18')) % 97);
    expect(parseNir(b + String(keyB).padStart(2, '0'))).toMatchObject({ ok: true, parts: { birthplace: '2B033' } });
    // The same digits with 19 instead of 2A form another number and another key.
    expect(nirKey(body.replace('2A', '19'))).toBe(viaNumber);
    expect(isValidNir(body + String((viaNumber % 97) + 1).padStart(2, '0'))).toBe(false);
  });

  it('names what is wrong', () => {
    expect(parseNir('18412764510894')).toEqual({ ok: false, reason: 'length' });
    expect(parseNir('1841276451089466')).toEqual({ ok: false, reason: 'length' });
    expect(parseNir('18412764510X946')).toEqual({ ok: false, reason: 'characters' });
    expect(parseNir('584127645108946')).toEqual({ ok: false, reason: 'sex' });
    expect(parseNir('184137645108946')).toMatchObject({ ok: false, reason: 'month' });
    expect(parseNir('184007645108946')).toMatchObject({ ok: false, reason: 'month' });
    expect(parseNir('184127645108947')).toEqual({ ok: false, reason: 'key' });
    expect(parseNir('184120045108946')).toMatchObject({ ok: false, reason: 'birthplace' });
    expect(normaliseNir(' 1.84-12 ')).toBe('18412');
  });
});

const place = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 95 }), fc.integer({ min: 1, max: 990 })).map(([d, c]) => String(d).padStart(2, '0') + String(c).padStart(3, '0')),
  fc.tuple(fc.constantFrom('2A', '2B'), fc.integer({ min: 1, max: 366 })).map(([d, c]) => d + String(c).padStart(3, '0')),
  fc.tuple(fc.integer({ min: 971, max: 976 }), fc.integer({ min: 1, max: 99 })).map(([d, c]) => String(d) + String(c).padStart(2, '0')),
  fc.integer({ min: 100, max: 999 }).map((c) => `99${c}`),
);
const validParts = fc.record({
  sexDigit: fc.constantFrom(1, 2),
  year: fc.integer({ min: 0, max: 99 }),
  month: fc.integer({ min: 1, max: 12 }),
  birthplace: place,
  serial: fc.integer({ min: 1, max: 999 }),
});

describe('NIR properties', () => {
  it('accepts every well-formed NIR, with or without separators', () => {
    fc.assert(
      fc.property(validParts, (p) => {
        const nir = composeNir(p);
        expect(parseNir(nir)).toMatchObject({ ok: true, parts: { ...p } });
        const spaced = `${nir.slice(0, 1)} ${nir.slice(1, 3)} ${nir.slice(3, 5)} ${nir.slice(5, 7)} ${nir.slice(7, 10)} ${nir.slice(10, 13)} ${nir.slice(13)}`;
        expect(isValidNir(spaced)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects any other key', () => {
    fc.assert(
      fc.property(validParts, fc.integer({ min: 1, max: 96 }), (p, shift) => {
        const nir = composeNir(p);
        const key = Number(nir.slice(13));
        const wrong = ((key - 1 + shift) % 97) + 1;
        expect(parseNir(nir.slice(0, 13) + String(wrong).padStart(2, '0'))).toEqual({ ok: false, reason: 'key' });
      }),
      { numRuns: 2000 },
    );
  });

  it('detects every single-digit substitution', () => {
    // 97 is prime and above 10, so changing one digit always changes the remainder.
    fc.assert(
      fc.property(validParts, fc.nat(14), fc.integer({ min: 1, max: 9 }), (p, pos, delta) => {
        const nir = composeNir(p);
        const ch = nir[pos] as string;
        if (!/[0-9]/.test(ch)) return;
        const mutated = nir.slice(0, pos) + String((Number(ch) + delta) % 10) + nir.slice(pos + 1);
        expect(isValidNir(mutated)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects wrong lengths, letters and impossible months', () => {
    fc.assert(
      fc.property(validParts, fc.integer({ min: 0, max: 30 }), (p, len) => {
        const nir = composeNir(p);
        if (len !== 15) expect(isValidNir(nir.repeat(3).slice(0, len))).toBe(false);
      }),
    );
    fc.assert(
      fc.property(validParts, fc.nat(14), fc.constantFrom('A', 'Z', 'x', 'O', '#'), (p, pos, letter) => {
        const nir = composeNir(p);
        if (pos === 5 || pos === 6) return; // 2A/2B live there; covered by the Corsica cases
        expect(isValidNir(nir.slice(0, pos) + letter + nir.slice(pos + 1))).toBe(false);
      }),
    );
    fc.assert(
      fc.property(
        validParts,
        fc.oneof(fc.constant(0), fc.integer({ min: 13, max: 19 }), fc.integer({ min: 21, max: 29 }), fc.integer({ min: 43, max: 49 })),
        (p, month) => {
          // A correct key on an impossible month is still refused.
          expect(parseNir(composeNir({ ...p, month }))).toMatchObject({ ok: false, reason: 'month' });
        },
      ),
    );
  });

  it('checks the traits a NIR encodes', () => {
    const nir = composeNir({ sexDigit: 2, year: 85, month: 2, birthplace: '2A004', serial: 123 });
    expect(nirMatchesIdentity(nir, { sex: 'female', birthDate: '1985-02-14', birthplaceInsee: '2A004' })).toBe(true);
    expect(nirMatchesIdentity(nir, { sex: 'male', birthDate: '1985-02-14', birthplaceInsee: '2A004' })).toBe(false);
    expect(nirMatchesIdentity(nir, { sex: 'female', birthDate: '1986-02-14', birthplaceInsee: '2A004' })).toBe(false);
    expect(nirMatchesIdentity(nir, { sex: 'female', birthDate: '1985-03-14', birthplaceInsee: '2A004' })).toBe(false);
    expect(nirMatchesIdentity(nir, { sex: 'female', birthDate: '1985-02-14', birthplaceInsee: '75114' })).toBe(false);
  });
});
