import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { atcCode, icd10Code } from '../check.js';
import { loincChecked, snomedConcept, ucumValid } from '../elements.js';
import { ATC, CVX, ICD10, LOINC } from '../systems.js';

/**
 * Every code list medvault ships (every file of this folder, found rather than listed) names its
 * source, and each of its codes is well-formed for its system: a typing error in a list would
 * offer doctors a code that does not exist. A new file of a new shape fails here until taught.
 */
const DIR = new URL('.', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const read = (f: string) => JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as Record<string, unknown>;

interface Entry {
  code: string;
  display: string;
  cvx?: string;
  category?: string;
  unit?: string;
  plausible?: [number, number];
  range?: { low?: number; high?: number };
  components?: string[];
  partOf?: string;
  qualitative?: boolean;
}

const WELL_FORMED: Record<string, (code: string) => boolean> = {
  [ICD10]: icd10Code,
  [ATC]: atcCode,
  [LOINC]: loincChecked,
};

it('the folder holds the lists the modules read', () => {
  for (const f of ['cim10-gp.json', 'sensitive.json', 'medicaments-gp.json', 'loinc-fr.json', 'vaccins-fr.json']) {
    expect(files).toContain(f);
  }
});

describe.each(files)('%s', (file) => {
  const data = read(file);

  it('names its source', () => {
    expect(typeof data.source).toBe('string');
    expect((data.source as string).length).toBeGreaterThan(40);
  });

  if (file === 'sensitive.json') {
    it('holds well-formed ICD-10 blocks, ATC prefixes, LOINC and SNOMED CT codes', () => {
      const d = data as unknown as {
        icd10: { from: string; to: string }[];
        atc: { prefix: string }[];
        loinc: { code: string }[];
        snomed: { code: string }[];
      };
      for (const b of d.icd10) expect(icd10Code(b.from) && icd10Code(b.to) && b.from <= b.to, b.from).toBe(true);
      for (const a of d.atc) expect(atcCode(a.prefix), a.prefix).toBe(true);
      for (const l of d.loinc) expect(loincChecked(l.code), l.code).toBe(true);
      for (const s of d.snomed) expect(snomedConcept(s.code), s.code).toBe(true);
    });
    return;
  }

  const codes = data.codes as Entry[];

  it('holds codes of a system medvault knows, each well-formed and with a display', () => {
    const valid = WELL_FORMED[data.system as string];
    expect(valid, String(data.system)).toBeDefined();
    expect(codes.length).toBeGreaterThan(10);
    for (const c of codes) {
      expect(valid!(c.code), c.code).toBe(true);
      expect(c.display.trim().length, c.code).toBeGreaterThan(0);
    }
    expect(new Set(codes.map((c) => `${c.code} ${c.display}`)).size).toBe(codes.length);
  });

  if (file === 'medicaments-gp.json') {
    it('names substances (ATC level 5) with their form and dose', () => {
      for (const c of codes as (Entry & { form: string; dose: string })[]) {
        expect(c.code, c.display).toMatch(/^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$/);
        expect(c.form.length > 0 && c.dose.length > 0, c.code).toBe(true);
      }
      expect(new Set(codes.map((c) => c.code)).size).toBe(codes.length);
    });
  }

  if (file === 'vaccins-fr.json') {
    it('holds vaccines (ATC J07) and CVX codes where one matches', () => {
      expect(data.cvx).toBe(CVX);
      for (const c of codes) {
        expect(c.code.startsWith('J07'), c.code).toBe(true);
        if (c.cvx !== undefined) expect(c.cvx, c.code).toMatch(/^[0-9]{1,3}$/);
      }
    });
  }

  if (file === 'loinc-fr.json') {
    it('gives every quantity a valid UCUM unit, ordered ranges, and panels whose parts exist', () => {
      const byCode = new Map(codes.map((c) => [c.code, c]));
      expect(byCode.size).toBe(codes.length);
      for (const c of codes) {
        expect(['vital-signs', 'laboratory'], c.code).toContain(c.category);
        if (c.unit !== undefined) expect(ucumValid(c.unit), `${c.code} ${c.unit}`).toBe(true);
        if (c.plausible) expect(c.plausible[0] < c.plausible[1], c.code).toBe(true);
        const { low, high } = c.range ?? {};
        if (low !== undefined && high !== undefined) expect(low < high, c.code).toBe(true);
        if (c.category === 'vital-signs' && !c.components) expect(c.unit && c.plausible, c.code).toBeTruthy();
        if (c.category === 'laboratory') expect(c.qualitative === true || c.unit !== undefined, c.code).toBe(true);
        for (const part of c.components ?? []) expect(byCode.get(part)?.partOf, part).toBe(c.code);
      }
      const labs = codes.filter((c) => c.category === 'laboratory');
      expect(labs.length).toBeGreaterThanOrEqual(30);
    });
  }
});
