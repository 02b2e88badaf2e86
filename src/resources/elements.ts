import { createRequire } from 'node:module';
import type { Problems } from './check.js';
import type { Json } from './module.js';
import { UCUM } from './systems.js';

/**
 * Checks of FHIR data types that several clinical modules share, beside check.ts: objects with only
 * known fields, CodeableConcepts coded from known systems (or text only where a module allows it),
 * Quantities in UCUM, Durations, Periods, and the check digits of LOINC and SNOMED CT identifiers.
 * Problems name the path, never the value a client sent (a code is health data; problems are logged).
 */

/** Checks the value is an object with only these fields; returns it, or null with a problem. */
export function fields(p: Problems, v: unknown, path: string, allowed: readonly string[]): Json | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    p.add(`${path} must be an object`);
    return null;
  }
  for (const k of Object.keys(v)) if (!allowed.includes(k)) p.add(`${path}.${k} is not accepted`);
  return v as Json;
}

/** An array of at most `max` items (absent: empty). */
export function list(p: Problems, v: unknown, path: string, max: number): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length === 0 || v.length > max) {
    p.add(`${path} holds 1 to ${max} items`);
    return [];
  }
  return v;
}

/** An integer from `low` to `high`, when present. */
export function integer(p: Problems, v: unknown, path: string, low: number, high: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < low || v > high) {
    p.add(`${path} is an integer from ${low} to ${high}`);
  }
}

/** Systems a concept accepts, each with the test its codes must pass. */
export type Systems = Readonly<Record<string, (code: string) => boolean>>;

/**
 * A CodeableConcept whose codings all come from these systems: a coding of another system is
 * refused, since medvault could neither label nor check it. With `textOnly`, a concept with no
 * coding and a text is accepted (an allergy to "pollen de bouleau" that no list codes).
 * Returns the codings of known systems with a valid code.
 */
export function concept(
  p: Problems, v: unknown, path: string, systems: Systems, required: boolean, textOnly = false,
): Json[] {
  if (v === undefined) {
    if (required) p.add(`${path} is required`);
    return [];
  }
  const c = fields(p, v, path, ['coding', 'text']);
  if (!c) return [];
  if (c.text !== undefined) p.text(c.text, `${path}.text`, 500);
  const names = Object.keys(systems).join(' or ');
  const valid: Json[] = [];
  list(p, c.coding, `${path}.coding`, 10).forEach((x, i) => {
    const coding = fields(p, x, `${path}.coding[${i}]`, ['system', 'code', 'display']);
    if (!coding) return;
    const test = typeof coding.system === 'string' ? systems[coding.system] : undefined;
    if (!test) p.add(`${path}.coding[${i}].system must be ${names}`);
    else if (typeof coding.code !== 'string' || !test(coding.code)) {
      p.add(`${path}.coding[${i}].code is not a valid code of its system`);
    } else valid.push(coding);
    if (coding.display !== undefined) p.text(coding.display, `${path}.coding[${i}].display`, 500);
  });
  if (c.coding === undefined) {
    if (!textOnly) p.add(`${path} needs a coding from ${names}`);
    else if (c.text === undefined) p.add(`${path} needs a coding from ${names}, or a text`);
  }
  return valid;
}

// ─── UCUM ─────────────────────────────────────────────────────────────────────────────────────

interface UcumUtils {
  validateUnitString(unit: string, suggest?: boolean): { status: string; ucumCode: string | null };
  convertUnitTo(from: string, value: number, to: string): { status: string; toVal: number | null };
}
let ucum: UcumUtils | null = null;

/** The LHC's UCUM library (the NLM's reference implementation), loaded at first use: its tables are large. */
function ucumUtils(): UcumUtils {
  if (ucum) return ucum;
  const lib = createRequire(import.meta.url)('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } };
  ucum = lib.UcumLhcUtils.getInstance();
  return ucum;
}

/** A UCUM unit code exactly as written (the library trims spaces; a code with spaces is not one). */
export function ucumValid(code: string): boolean {
  const r = ucumUtils().validateUnitString(code, false);
  return r.status === 'valid' && r.ucumCode === code;
}

/** The value in another unit, or null when the two are not commensurable (kg and mm[Hg]). */
export function convert(value: number, from: string, to: string): number | null {
  // Arbitrary units (m[IU]/L, {INR}, {copies}/mL) have no conversion, not even to themselves: a
  // value already in the unit asked for needs none.
  if (from === to) return value;
  const r = ucumUtils().convertUnitTo(from, value, to);
  return r.status === 'succeeded' && typeof r.toVal === 'number' ? r.toVal : null;
}

/** A Quantity as checked: its value, and its UCUM code when it has one. */
export interface Measured {
  readonly value: number;
  readonly ucum: string | null;
}

/**
 * A Quantity (R4 SimpleQuantity: no comparator). A UCUM code with its system, or, with
 * `unitText`, only a unit in words ("comprimé", "sachet": forms UCUM cannot write). R4 qty-3: a
 * code needs its system.
 */
export function quantity(p: Problems, v: unknown, path: string, unitText: boolean): Measured | null {
  if (v === undefined) return null;
  const q = fields(p, v, path, ['value', 'unit', 'system', 'code']);
  if (!q) return null;
  if (typeof q.value !== 'number' || !Number.isFinite(q.value)) {
    p.add(`${path}.value is required`);
    return null;
  }
  if (q.unit !== undefined) p.text(q.unit, `${path}.unit`, 50);
  if (q.system === undefined && q.code === undefined) {
    if (unitText && q.unit !== undefined) return { value: q.value, ucum: null };
    p.add(`${path} needs a UCUM unit (system ${UCUM} and code)${unitText ? ', or a unit in words' : ''}`);
    return null;
  }
  if (q.system !== UCUM || typeof q.code !== 'string' || !ucumValid(q.code)) {
    p.add(`${path} needs a valid UCUM code with system ${UCUM}`);
    return null;
  }
  return { value: q.value, ucum: q.code };
}

/**
 * A UCUM Quantity commensurable with `unit`, whose value in that unit lies in [low, high]: a
 * weight in kg, g or [lb_av], not in mm[Hg]; not 5000 kg. Returns the value in `unit`.
 */
export function measure(
  p: Problems, v: unknown, path: string, unit: string, low: number, high: number,
): number | null {
  const q = quantity(p, v, path, false);
  if (!q || q.ucum === null) return null;
  const value = convert(q.value, q.ucum, unit);
  if (value === null) {
    p.add(`${path}: the unit must be commensurable with ${unit}`);
    return null;
  }
  if (value < low || value > high) p.add(`${path}: the value is outside ${low} to ${high} ${unit}`);
  return value;
}

/** The units of time R4 allows in a Timing and a Duration (value set units-of-time), in days. */
export const TIME_UNITS: Readonly<Record<string, number>> = {
  s: 1 / 86_400, min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30.4375, a: 365.25,
};

/** A Duration: R4 drt-1, a value needs a UCUM code of time. Returns it in days. */
export function duration(p: Problems, v: unknown, path: string): number | null {
  if (v === undefined) return null;
  const q = fields(p, v, path, ['value', 'unit', 'system', 'code']);
  if (!q) return null;
  const days = typeof q.code === 'string' ? TIME_UNITS[q.code] : undefined;
  if (typeof q.value !== 'number' || !(q.value > 0) || q.system !== UCUM || days === undefined) {
    p.add(`${path} needs a positive value and a UCUM unit of time (${Object.keys(TIME_UNITS).join(', ')})`);
    return null;
  }
  if (q.unit !== undefined) p.text(q.unit, `${path}.unit`, 50);
  return q.value * days;
}

// ─── dates ────────────────────────────────────────────────────────────────────────────────────

/**
 * A FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD, or with a time) as an instant — its start, for a
 * partial date — or null when it is none: JavaScript's Date rolls 2023-02-29 over to 1 March, so the
 * day written must be a day of that month.
 */
export function calendarInstant(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const d = new Date(v.length === 4 ? `${v}-01-01` : v.length === 7 ? `${v}-01` : v);
  if (Number.isNaN(d.getTime())) return null;
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (ymd) {
    const [y, m, day] = [Number(ymd[1]), Number(ymd[2]), Number(ymd[3])];
    if (m < 1 || m > 12 || day < 1 || day > new Date(Date.UTC(y, m, 0)).getUTCDate()) return null;
  }
  return d;
}

/** A FHIR date or dateTime as an instant (its start, for a partial date), or null with a problem. */
export function instant(p: Problems, v: unknown, path: string): Date | null {
  const d = calendarInstant(v);
  if (!d) {
    p.add(`${path} is not a date`);
    return null;
  }
  return d;
}

/** A Period; R4 per-1: its start is not after its end. */
export function period(p: Problems, v: unknown, path: string): { start: Date | null; end: Date | null } {
  const none = { start: null, end: null };
  if (v === undefined) return none;
  const o = fields(p, v, path, ['start', 'end']);
  if (!o) return none;
  const start = o.start === undefined ? null : instant(p, o.start, `${path}.start`);
  const end = o.end === undefined ? null : instant(p, o.end, `${path}.end`);
  if (start && end && end < start) p.add(`${path}.end is before its start`);
  return { start, end };
}

// ─── check digits ─────────────────────────────────────────────────────────────────────────────

/** LOINC's mod-10 check digit (LOINC Users' Guide, "Calculating Mod 10 check digits"). */
export function loincChecked(code: string): boolean {
  const m = /^([0-9]{1,7})-([0-9])$/.exec(code);
  if (!m) return false;
  const digits = (m[1] as string).split('').reverse().map(Number);
  let sum = 0;
  digits.forEach((d, i) => {
    const x = i % 2 === 0 ? d * 2 : d;
    sum += x > 9 ? x - 9 : x;
  });
  return (10 - (sum % 10)) % 10 === Number(m[2]);
}

/** Verhoeff's dihedral group D5 (the multiplication table) and its permutation of the digits. */
const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P1 = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
/** The permutation at position i is P1 composed i times: derived, since one wrong copied entry refuses real codes. */
const VERHOEFF_P: number[][] = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]];
for (let i = 1; i < 8; i++) VERHOEFF_P.push(VERHOEFF_P[i - 1]!.map((d) => VERHOEFF_P1[d]!));

/**
 * A SNOMED CT concept identifier: 6 to 18 digits, a concept's partition (the two digits before the
 * last: 00, or 10 in an extension) and its Verhoeff check digit (SNOMED CT Technical Implementation
 * Guide, 6.2 and 6.5). Every SNOMED CT code of the R4 value sets passes it (codes.test.ts).
 */
export function snomedConcept(code: string): boolean {
  if (!/^[1-9][0-9]{5,17}$/.test(code) || !['00', '10'].includes(code.slice(-3, -1))) return false;
  let c = 0;
  code.split('').reverse().map(Number).forEach((d, i) => {
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![d]!]!;
  });
  return c === 0;
}
