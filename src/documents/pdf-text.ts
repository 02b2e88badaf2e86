/**
 * Text for the standard PDF fonts. PDFKit writes Helvetica with WinAnsiEncoding (Windows-1252):
 * Latin-1 plus a few typographic characters (œ, Œ, ’, “, ”, …, –, —, €). A character outside that
 * set is not dropped by PDFKit but written as a multi-byte code that shifts and corrupts the
 * characters around it. So every string goes through `pdfText` before it reaches the page:
 * what the font can show stays, the rest becomes its nearest ASCII spelling, and what has none
 * becomes a visible '?' rather than a silent gap in a prescription.
 */

/** The Unicode characters above Latin-1 that Windows-1252 (and so the PDF's font) can show. */
const CP1252_EXTRA = new Set([
  0x0152, 0x0153, 0x0160, 0x0161, 0x0178, 0x017d, 0x017e, 0x0192, 0x02c6, 0x02dc, 0x2013, 0x2014, 0x2018, 0x2019,
  0x201a, 0x201c, 0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac, 0x2122,
]);

/** Spellings for characters the font lacks but prescriptions meet: doses, ranges, other scripts. */
const SPELLINGS: Readonly<Record<string, string>> = {
  '\u03bc': '\u00b5', // Greek mu, often typed for micro (µg): the micro sign is in the font
  '\u2264': '<=',
  '\u2265': '>=',
  '\u2260': '!=',
  '\u2248': '~',
  '\u2192': '->',
  '\u2190': '<-',
  '\u2212': '-',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2015': '\u2014',
  '\u2032': "'",
  '\u2033': '"',
  '\u2044': '/',
  '\u2153': '1/3',
  '\u2154': '2/3',
  '\u215b': '1/8',
  '\u0141': 'L',
  '\u0142': 'l',
  '\u0110': 'D',
  '\u0111': 'd',
  '\u0131': 'i',
};

/** Whether the standard fonts show this code point (printable Latin-1 or one of the extras). */
export function isPrintable(cp: number): boolean {
  if (cp >= 0x20 && cp <= 0x7e) return true;
  // U+00AD (soft hyphen) is left out: PDFKit's line breaking treats it as a break opportunity.
  if (cp >= 0xa0 && cp <= 0xff) return cp !== 0xad;
  return CP1252_EXTRA.has(cp);
}

function spell(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (isPrintable(cp)) return ch;
  const known = SPELLINGS[ch];
  if (known !== undefined) return known;
  // Unicode spaces (the narrow no-break space French puts before ':' among them) keep the meaning
  // of a space; the no-break ones stay unbreakable.
  if (/^[\u202f\u2007\u2060\ufeff]$/u.test(ch)) return '\u00a0';
  if (/^\s$/u.test(ch)) return ' ';
  if (/^\p{Cc}$/u.test(ch) || ch === '\u00ad' || /^\p{Cf}$/u.test(ch)) return '';
  // A letter with a mark the font lacks (ő, č, ş…): its base letter plus any mark the font has.
  const bare = ch.normalize('NFD').replace(/\p{M}/gu, '');
  if (bare !== ch && [...bare].every((c) => isPrintable(c.codePointAt(0) ?? 0))) return bare;
  return '?';
}

/**
 * A string the standard fonts can draw without losing a glyph. Line breaks are kept when the
 * field may span lines (a dosage schedule), otherwise they become spaces.
 */
export function pdfText(value: string, options: { readonly multiline?: boolean } = {}): string {
  const text = value.normalize('NFC').replace(/\r\n?/g, '\n');
  let out = '';
  for (const ch of text) {
    if (ch === '\n' || ch === '\t') out += options.multiline && ch === '\n' ? '\n' : ' ';
    else out += spell(ch);
  }
  const lines = out.split('\n').map((l) => l.replace(/ {2,}/g, ' ').trim());
  return (options.multiline ? lines.filter((l) => l !== '') : lines).join('\n');
}
