import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPrintable, pdfText } from './pdf-text.js';

const printable = [...Array(0x180).keys()].filter(isPrintable).map((cp) => String.fromCodePoint(cp));
const extras = ['œ', 'Œ', '’', '‘', '“', '”', '…', '–', '—', '€', '•', 'Š', 'ž'];

describe('pdfText', () => {
  it('keeps the French typography the font has: œ, apostrophes, guillemets, dashes, ellipsis, euro', () => {
    const text = 'Cœur, Œdème, l’oreille, « deux », 1–2 fois — “stop”… 12 €, 5 µg, naïve, Ça';
    expect(pdfText(text)).toBe(text);
  });

  it('spells what the font lacks: comparison signs, Greek mu, letters of other alphabets', () => {
    expect(pdfText('TSH ≥ 4 et ≤ 10 μg')).toBe('TSH >= 4 et <= 10 µg');
    expect(pdfText('Łódź, Dvořák, Ştefan')).toBe('Lódz, Dvorák, Stefan');
    expect(pdfText('8 h → 20 h, 1⁄2 cp, −5')).toBe("8 h -> 20 h, 1/2 cp, -5");
  });

  it('marks a character with no spelling with a visible "?" instead of dropping it', () => {
    expect(pdfText('Ω 漢 💊 x')).toBe('? ? ? x');
  });

  it('turns the narrow no-break space of French punctuation into a no-break space', () => {
    expect(pdfText('Durée\u202f: 5 jours')).toBe('Durée\u00a0: 5 jours');
  });

  it('composes decomposed accents (a name typed on a Mac) instead of losing the mark', () => {
    expect(pdfText('He\u0301le\u0300ne')).toBe('Hélène');
  });

  it('drops invisible controls and collapses whitespace; keeps line breaks only where asked', () => {
    expect(pdfText(' a\u0000b\u200b\u00adc\t\td \r\n e ')).toBe('abc d e');
    expect(pdfText('matin\r\n\r\nsoir', { multiline: true })).toBe('matin\nsoir');
  });

  it('never yields a character the font cannot draw (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.boolean(), (s, multiline) => {
        for (const ch of pdfText(s, { multiline })) {
          expect(ch === '\n' ? multiline : isPrintable(ch.codePointAt(0) ?? 0)).toBe(true);
        }
      }),
    );
  });

  it('leaves text the font can draw unchanged (property)', () => {
    const word = fc.array(fc.constantFrom(...printable.filter((c) => c.trim() !== ''), ...extras), { minLength: 1 });
    fc.assert(
      fc.property(fc.array(word.map((w) => w.join('')), { minLength: 1, maxLength: 6 }), (words) => {
        const s = words.join(' ');
        expect(pdfText(s)).toBe(s);
      }),
    );
  });
});
