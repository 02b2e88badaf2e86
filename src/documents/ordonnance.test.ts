import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentError } from './errors.js';
import { ordonnancePdf, type OrdonnanceInput, type OrdonnanceLine } from './ordonnance.js';

const dir = mkdtempSync(join(tmpdir(), 'ordonnance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pages of a PDF as text, laid out as printed (poppler's pdftotext). */
function pages(pdf: Buffer): string[] {
  const file = join(dir, 'o.pdf');
  writeFileSync(file, pdf);
  const text = execFileSync('/usr/bin/pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  // pdftotext ends every page with a form feed; no-break spaces read as spaces.
  return text.replace(/\u00a0/g, ' ').split('\f').slice(0, -1);
}

const paracetamol: OrdonnanceLine = {
  drug: 'PARACÉTAMOL 1 g comprimé',
  dosage: '1 comprimé 3 fois par jour si douleur',
  duration: '5 jours',
  quantity: '1 boîte',
  substitutable: true,
};
const levothyroxine: OrdonnanceLine = {
  drug: 'LÉVOTHYROXINE SODIQUE 75 µg comprimé sécable',
  dosage: '1 comprimé le matin à jeun',
  duration: '3 mois',
  substitutable: false,
};

function input(over: Partial<OrdonnanceInput> = {}): OrdonnanceInput {
  return {
    practice: {
      name: 'Cabinet médical des Tilleuls',
      addressLines: ['12 rue de l’Église'],
      postalCode: '69003',
      city: 'Lyon',
      phone: '04 78 12 34 56',
      finess: '690012345',
    },
    prescriber: {
      title: 'Dr', givenName: 'Hélène', familyName: 'Lefèvre', specialty: 'Médecine générale',
      rpps: '10101234567', amNumber: '691234567',
    },
    patient: { givenName: 'Jérôme', familyName: 'Testeur', birthDate: '1961-03-12', sex: 'male', weightKg: 72 },
    date: new Date('2026-12-07T09:30:00Z'),
    lines: [paracetamol, levothyroxine],
    reference: 'doc-7f3c2a1e-9b4d-4e8a-a1f2-3c5d7e9f0a1b',
    ...over,
  };
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('ordonnancePdf', () => {
  it('prints a two-line prescription: prescriber, practice, date, patient, lines, signature', async () => {
    const [page, ...more] = pages(await ordonnancePdf(input()));
    expect(more).toEqual([]);
    for (const expected of [
      'Dr Hélène LEFÈVRE', 'Médecine générale', 'RPPS n° 10101234567', 'AM n° 691234567',
      'Cabinet médical des Tilleuls', '12 rue de l’Église', '69003 LYON', 'Tél. 04 78 12 34 56', 'FINESS n° 690012345',
      'Le 7 décembre 2026', 'Patient : Jérôme TESTEUR', 'Né le 12/03/1961', 'Poids : 72 kg', 'ORDONNANCE',
      '1.', 'PARACÉTAMOL 1 g comprimé', '1 comprimé 3 fois par jour si douleur', 'Durée : 5 jours — Quantité : 1 boîte',
      '2.', 'LÉVOTHYROXINE SODIQUE 75 µg comprimé sécable', '1 comprimé le matin à jeun', 'Durée : 3 mois',
      'Signature du prescripteur', 'Réf. doc-7f3c2a1e-9b4d-4e8a-a1f2-3c5d7e9f0a1b',
      'Document généré par medvault — page 1/1',
    ]) {
      expect(page).toContain(expected);
    }
    expect(page).not.toContain('Née le');
    expect(page).not.toContain('À renouveler');
    expect(page).not.toContain('affection de longue durée');
  });

  it('prints "Non substituable" under the non-substitutable line only', async () => {
    const [page = ''] = pages(await ordonnancePdf(input()));
    expect(count(page, 'Non substituable')).toBe(1);
    const first = page.indexOf('PARACÉTAMOL');
    const second = page.indexOf('LÉVOTHYROXINE');
    const mention = page.indexOf('Non substituable');
    expect(first).toBeGreaterThan(0);
    expect(mention).toBeGreaterThan(second);
    expect(mention).toBeLessThan(page.indexOf('1 comprimé le matin à jeun'));
  });

  it('lays the page out in order: head, date, patient, title, lines, renewals, signature, footer', async () => {
    const [page = ''] = pages(await ordonnancePdf(input({ renewals: 2 })));
    const order = [
      'Dr Hélène LEFÈVRE', 'FINESS n°', 'Le 7 décembre 2026', 'Patient :', 'ORDONNANCE', 'PARACÉTAMOL', 'LÉVOTHYROXINE',
      'À renouveler 2 fois', 'Signature du prescripteur', 'page 1/1',
    ].map((s) => page.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('writes the birth line for the patient’s sex, the weight with a decimal comma, the ALD mention', async () => {
    const text = async (over: Partial<OrdonnanceInput['patient']>, rest: Partial<OrdonnanceInput> = {}) =>
      pages(await ordonnancePdf(input({ patient: { ...input().patient, ...over }, ...rest }))).join('');
    expect(await text({ sex: 'female' })).toContain('Née le 12/03/1961');
    expect(await text({ sex: 'unknown' })).toContain('Né(e) le 12/03/1961');
    expect(await text({ sex: 'other' })).toContain('Né(e) le 12/03/1961');
    expect(await text({ weightKg: 3.45, birthDate: '2026-09-01' })).toContain('Poids : 3,45 kg');
    expect(await text({ weightKg: null })).not.toContain('Poids');
    const ald = await text({}, { ald: true });
    expect(ald).toContain('Prescriptions relatives au traitement de l’affection de longue durée');
  });

  it('dates the prescription on the day it is in France, "1er" for the first of the month', async () => {
    const [page] = pages(await ordonnancePdf(input({ date: new Date('2026-12-31T23:30:00Z') })));
    expect(page).toContain('Le 1er janvier 2027');
  });

  it('breaks many lines over pages, each with the header in short form and its page number', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => ({
      ...levothyroxine,
      drug: `MÉDICAMENT NUMÉRO ${i + 1} comprimé`,
    }));
    const printed = pages(await ordonnancePdf(input({ lines, renewals: 3 })));
    expect(printed.length).toBeGreaterThanOrEqual(2);
    printed.forEach((page, i) => {
      expect(page).toContain(`Document généré par medvault — page ${i + 1}/${printed.length}`);
      expect(page).toContain('Dr Hélène LEFÈVRE');
      expect(page).toContain('Patient : Jérôme TESTEUR');
      if (i > 0) expect(page).toContain('Ordonnance du 7 décembre 2026 (suite)');
    });
    const all = printed.join('');
    for (let n = 1; n <= 25; n++) expect(count(all, `MÉDICAMENT NUMÉRO ${n} comprimé`)).toBe(1);
    expect(count(all, 'Non substituable')).toBe(25);
    const last = printed.at(-1) ?? '';
    expect(last).toContain('À renouveler 3 fois');
    expect(last).toContain('Signature du prescripteur');
    expect(count(all, 'Signature du prescripteur')).toBe(1);
  });

  it('wraps a long drug name instead of running off the page', async () => {
    const drug = 'AMOXICILLINE ACIDE CLAVULANIQUE 1 g/125 mg poudre pour suspension buvable en sachet-dose adulte';
    const [page = ''] = pages(await ordonnancePdf(input({ lines: [{ ...paracetamol, drug }] })));
    const words = page.replace(/\s+/g, ' ');
    expect(words).toContain('AMOXICILLINE ACIDE CLAVULANIQUE');
    expect(words).toContain('sachet-dose adulte');
    expect(page.split('\n').some((l) => l.includes('AMOXICILLINE') && l.includes('sachet-dose adulte'))).toBe(false);
  });

  it('keeps every glyph of accented and typographic text, spelling what the font lacks', async () => {
    const line = { ...paracetamol, drug: 'SŒUR cœur l’oreille Łódź', note: 'TSH ≥ 4 μUI/mL, 💊 matin' };
    const [page] = pages(await ordonnancePdf(input({ lines: [line] })));
    expect(page).toContain('SŒUR cœur l’oreille Lódz');
    expect(page).toContain('TSH >= 4 µUI/mL, ? matin');
  });

  it('gives the same bytes for the same input, uncompressed and dated from the prescription', async () => {
    const a = await ordonnancePdf(input());
    const b = await ordonnancePdf(input());
    expect(a.equals(b)).toBe(true);
    expect(a.subarray(0, 8).toString('latin1')).toBe('%PDF-1.7');
    expect(a.includes('/FlateDecode')).toBe(false);
    expect(a.includes('(D:20261207093000Z)')).toBe(true);
    const later = await ordonnancePdf(input({ date: new Date('2026-12-08T09:30:00Z') }));
    expect(later.equals(a)).toBe(false);
  });
});

describe('ordonnancePdf refuses what cannot be printed', () => {
  const refusals: [string, Partial<OrdonnanceInput>, RegExp][] = [
    ['no line', { lines: [] }, /aucune ligne de prescription/],
    ['more than 30 lines', { lines: Array.from({ length: 31 }, () => paracetamol) }, /plus de 30 lignes/],
    [
      'an empty drug name',
      { lines: [paracetamol, { ...levothyroxine, drug: '  ' }] },
      /^Ordonnance non valide : ligne 2, le nom du médicament est vide\.$/,
    ],
    ['a missing dosage', { lines: [{ ...paracetamol, dosage: '' }] }, /ligne 1, la posologie est vide/],
    ['an invalid date', { date: new Date('nope') }, /la date n’est pas une date/],
    ['renewals out of range', { renewals: 12 }, /renouvellements/],
    ['a fractional renewal count', { renewals: 1.5 }, /renouvellements/],
    ['a drug name longer than a page can hold', { lines: [{ ...paracetamol, drug: 'A'.repeat(201) }] }, /dépasse 200/],
  ];
  it.each(refusals)('%s', async (_what, over, message) => {
    await expect(ordonnancePdf(input(over))).rejects.toThrow(message);
  });

  it('refuses a bad patient or prescriber with a message naming the field, not its value', async () => {
    const cases: [OrdonnanceInput, RegExp, string][] = [
      [input({ patient: { ...input().patient, birthDate: '1961-02-30' } }), /date de naissance/, '1961-02-30'],
      [input({ patient: { ...input().patient, birthDate: '2027-01-01' } }), /après la date/, '2027'],
      [input({ patient: { ...input().patient, familyName: ' ' } }), /le nom du patient est vide/, 'Jérôme'],
      [input({ patient: { ...input().patient, weightKg: -4 } }), /le poids/, '-4'],
      [input({ prescriber: { ...input().prescriber, rpps: '1010123456' } }), /RPPS doit comporter 11 chiffres/, '1010'],
      [input({ practice: { ...input().practice, finess: '69X' } }), /FINESS/, '69X'],
    ];
    for (const [bad, message, value] of cases) {
      const error: unknown = await ordonnancePdf(bad).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DocumentError);
      const text = (error as DocumentError).message;
      expect(text).toMatch(message);
      expect(text).toMatch(/^Ordonnance non valide : [^\n]+\.$/);
      expect(text).not.toContain(value);
      expect((error as DocumentError).status).toBe(400);
    }
  });

  it('prints 30 lines, the most it accepts', async () => {
    const printed = pages(await ordonnancePdf(input({ lines: Array.from({ length: 30 }, () => paracetamol) })));
    expect(count(printed.join(''), 'PARACÉTAMOL 1 g comprimé')).toBe(30);
  });
});
