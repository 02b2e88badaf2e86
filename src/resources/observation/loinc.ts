import { createRequire } from 'node:module';

/**
 * The LOINC codes medvault knows (codes/loinc-fr.json): every vital sign it accepts, with its unit
 * and the range outside which a value is a typing error, and the common laboratory tests of
 * French general practice with their usual unit, which a result's unit must be commensurable with.
 */
export interface LoincEntry {
  readonly code: string;
  readonly display: string;
  readonly category: 'vital-signs' | 'laboratory';
  /** The usual UCUM unit; a vital sign's value is converted to it before its range is checked. */
  readonly unit?: string;
  /** A vital sign's plausible values, in `unit`. */
  readonly plausible?: readonly [number, number];
  /** A laboratory test's usual adult reference range, in `unit` (indicative). */
  readonly range?: { readonly low?: number; readonly high?: number };
  /** A panel's component codes (the blood pressure panel). */
  readonly components?: readonly string[];
  /** The panel a component is recorded in, never alone. */
  readonly partOf?: string;
  /** A presence or absence (a screening test): its value is a concept, not a quantity. */
  readonly qualitative?: boolean;
}

const list = createRequire(import.meta.url)('../codes/loinc-fr.json') as { codes: LoincEntry[] };

export const LOINC_ENTRIES: ReadonlyMap<string, LoincEntry> = new Map(list.codes.map((e) => [e.code, e]));

/** The vital signs' codes, standing alone (the panel, not its components). */
export const VITAL_SIGNS: readonly string[] = list.codes
  .filter((e) => e.category === 'vital-signs' && e.partOf === undefined)
  .map((e) => e.code);

export const BLOOD_PRESSURE = '85354-9';
export const SYSTOLIC = '8480-6';
export const DIASTOLIC = '8462-4';
