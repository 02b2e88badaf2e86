import { createRequire } from 'node:module';
import type { SensitivityLabel } from '../domain/index.js';
import { ATC, ICD10, LOINC, SNOMED } from './systems.js';
import type { Json } from './module.js';

/**
 * The sensitivity labels a coded element carries: an HIV problem (ICD-10 B20–B24), an
 * antiretroviral (ATC J05AR…), an HIV viral load (LOINC 20447-9) are labelled like an HIV note,
 * so that the ledger weighs them and the incident documents name them. The classes are data
 * (codes/sensitive.json, with their sources).
 */
interface Classes {
  icd10: { from: string; to: string; label: SensitivityLabel }[];
  /** Codes whose block is not sensitive but which are (O98.7 HIV in pregnancy, Z20.6 contact with HIV). */
  icd10Codes: { code: string; label: SensitivityLabel }[];
  /** Names of these conditions, for codes medvault does not list and for concepts given in words. */
  words: { pattern: string; label: SensitivityLabel }[];
  atc: { prefix: string; label: SensitivityLabel }[];
  loinc: { code: string; label: SensitivityLabel }[];
  snomed: { code: string; label: SensitivityLabel }[];
}
const classes = createRequire(import.meta.url)('./codes/sensitive.json') as Classes;
const words = classes.words.map((w) => ({ re: new RegExp(w.pattern, 'iu'), label: w.label }));

/** The labels the words of a text carry (a display, a concept's text): "Infection VIH", "sevrage méthadone". */
export function labelsOfWords(text: unknown): SensitivityLabel[] {
  if (typeof text !== 'string' || text === '') return [];
  return words.filter((w) => w.re.test(text)).map((w) => w.label);
}

/** The label of one coding, if its code falls in a sensitive class. */
export function labelOf(system: unknown, code: unknown): SensitivityLabel | null {
  if (typeof code !== 'string') return null;
  if (system === ICD10) {
    const upper = code.toUpperCase();
    // A listed code, or a subdivision of it (Z20.6 covers Z20.60).
    const within = (c: { code: string }) => upper.replace('.', '').startsWith(c.code.replace('.', ''));
    const exact = classes.icd10Codes.find(within);
    if (exact) return exact.label;
    const block = upper.replace('.', '').slice(0, 3);
    return classes.icd10.find((c) => block >= c.from && block <= c.to)?.label ?? null;
  }
  if (system === ATC) return classes.atc.find((c) => code.toUpperCase().startsWith(c.prefix))?.label ?? null;
  if (system === LOINC) return classes.loinc.find((c) => c.code === code)?.label ?? null;
  if (system === SNOMED) return classes.snomed.find((c) => c.code === code)?.label ?? null;
  return null;
}

/** The labels of every coding of these CodeableConcepts (or Codings). */
export function labelsOfConcepts(concepts: readonly unknown[]): SensitivityLabel[] {
  const out = new Set<SensitivityLabel>();
  for (const c of concepts) {
    if (!c || typeof c !== 'object') continue;
    const o = c as Json;
    const codings = Array.isArray(o.coding) ? (o.coding as Json[]) : [o];
    for (const x of codings) {
      const l = labelOf(x.system, x.code);
      if (l) out.add(l);
      for (const w of labelsOfWords(x.display)) out.add(w);
    }
    // A concept's words label it too: a code medvault does not list, or a concept given in words only.
    for (const w of labelsOfWords(o.text)) out.add(w);
  }
  return [...out];
}
