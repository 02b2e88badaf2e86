import cim10Json from '../../../src/resources/codes/cim10-gp.json?raw';
import loincJson from '../../../src/resources/codes/loinc-fr.json?raw';
import drugsJson from '../../../src/resources/codes/medicaments-gp.json?raw';
import vaccinesJson from '../../../src/resources/codes/vaccins-fr.json?raw';

/**
 * The picker lists the server ships (src/resources/codes/), read from the same files at build time:
 * one list, not a copy that drifts. They are pickers, not validation lists: the server accepts any
 * well-formed code of the system. This module is in the clinical chunk a practitioner's browser
 * loads; an assistant's never downloads it.
 */
export interface Coded {
  readonly code: string;
  readonly display: string;
}

export interface Drug extends Coded {
  /** The pharmaceutical form ("comprimé", "gélule"): the unit of a dose and of a quantity in words. */
  readonly form: string;
  readonly dose: string;
}

export interface Vaccine extends Coded {
  readonly cvx?: string;
  readonly schedule: string;
}

export interface LoincEntry extends Coded {
  readonly category: 'vital-signs' | 'laboratory';
  readonly unit?: string;
  readonly components?: readonly string[];
  readonly partOf?: string;
}

const codesOf = <T>(raw: string): readonly T[] => (JSON.parse(raw) as { codes: T[] }).codes;

export const CIM10: readonly Coded[] = codesOf<Coded>(cim10Json);
export const DRUGS: readonly Drug[] = codesOf<Drug>(drugsJson);
export const VACCINES: readonly Vaccine[] = codesOf<Vaccine>(vaccinesJson);
export const LOINC_CODES: ReadonlyMap<string, LoincEntry> = new Map(
  codesOf<LoincEntry>(loincJson).map((e) => [e.code, e]),
);

const capital = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

/** A drug as the prescription names it: "Amoxicilline 500 mg, gélule". */
export function drugLabel(d: Drug): string {
  return `${capital(d.display)} ${d.dose}, ${d.form}`;
}

/** A drug as an allergy names it: the substance, whatever its strength and form ("Amoxicilline"). */
export function substanceLabel(d: Drug): string {
  return capital(d.display);
}

/** A CIM-10 entry as the picker shows it: "I10 — Hypertension essentielle". */
export function cim10Label(c: Coded): string {
  return `${c.code} — ${c.display}`;
}

/** The UCUM unit of a vital sign's LOINC code, from the server's list (kg, cm, mm[Hg], Cel…). */
export function ucumOf(loinc: string): string {
  const unit = LOINC_CODES.get(loinc)?.unit;
  if (!unit) throw new Error(`no unit for LOINC ${loinc}`);
  return unit;
}

/** UCUM codes as people write them. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  'mm[Hg]': 'mmHg', Cel: '°C', 'kg/m2': 'kg/m²', '/min': '/min', 'm[IU]/L': 'mUI/L', 'umol/L': 'µmol/L',
  'ug/L': 'µg/L', '10*9/L': 'G/L', '10*12/L': 'T/L',
};

export function unitWords(ucum: string | undefined): string {
  if (!ucum) return '';
  return UNIT_WORDS[ucum] ?? ucum;
}
