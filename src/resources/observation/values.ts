import type { Problems } from '../check.js';
import { concept, convert, fields, list, loincChecked, measure, quantity } from '../elements.js';
import type { Json } from '../module.js';
import { LOINC, OBSERVATION_INTERPRETATION } from '../systems.js';
import { DIASTOLIC, LOINC_ENTRIES, SYSTOLIC, type LoincEntry } from './loinc.js';

/**
 * The values of an Observation: a quantity in UCUM checked against what the code measures, its
 * reference range and interpretation, a missing value's reason, and a panel's components.
 */
const DATA_ABSENT = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
const ABSENT_REASONS = [
  'unknown', 'asked-unknown', 'temp-unknown', 'not-asked', 'asked-declined', 'masked', 'not-applicable',
  'unsupported', 'as-text', 'error', 'not-a-number', 'negative-infinity', 'positive-infinity', 'not-performed',
  'not-permitted',
];
/** The v3 interpretations a French result sheet uses: normal, high, low, critically high or low, abnormal. */
const INTERPRETATIONS = ['N', 'H', 'L', 'HH', 'LL', 'A'];

export function absentReason(p: Problems, v: unknown, path: string): void {
  concept(p, v, path, { [DATA_ABSENT]: (c) => ABSENT_REASONS.includes(c) }, false, true);
}

export function interpretation(p: Problems, v: unknown, path: string): void {
  list(p, v, path, 3).forEach((c, i) => {
    concept(p, c, `${path}[${i}]`, { [OBSERVATION_INTERPRETATION]: (x) => INTERPRETATIONS.includes(x) }, true);
  });
}

/**
 * A valueQuantity for this code: a vital sign in a unit commensurable with its own and within
 * its plausible range (a weight in g or [lb_av] is converted to kg; 5000 kg is refused); a listed
 * test in a unit commensurable with its usual one (a creatinine in umol/L, not in g/L: LOINC
 * codes the substance and the mass concentrations apart) and not negative; any other test in UCUM.
 * Returns the UCUM unit of the value.
 */
export function valueQuantity(p: Problems, v: unknown, path: string, entry: LoincEntry | undefined): string | null {
  if (entry?.unit && entry.plausible) {
    const [low, high] = entry.plausible;
    return measure(p, v, path, entry.unit, low, high) === null ? null : entry.unit;
  }
  const q = quantity(p, v, path, false);
  if (!q || q.ucum === null) return null;
  if (entry?.unit && convert(1, q.ucum, entry.unit) === null) {
    p.add(`${path}: the unit must be commensurable with ${entry.unit}`);
    return null;
  }
  if (entry && q.value < 0) p.add(`${path}.value is negative`);
  return q.ucum;
}

/** Reference ranges in the value's unit; R4 obs-3: a low, a high or a text; low not above high. */
export function referenceRanges(p: Problems, v: unknown, unit: string | null): void {
  list(p, v, 'referenceRange', 3).forEach((x, i) => {
    const path = `referenceRange[${i}]`;
    const r = fields(p, x, path, ['low', 'high', 'text']);
    if (!r) return;
    if (r.low === undefined && r.high === undefined && r.text === undefined) {
      p.add(`${path} needs a low, a high or a text (R4 obs-3)`);
    }
    p.text(r.text, `${path}.text`, 500);
    const bound = (b: 'low' | 'high'): number | null => {
      const q = quantity(p, r[b], `${path}.${b}`, false);
      if (!q || q.ucum === null || unit === null) return null;
      const inUnit = convert(q.value, q.ucum, unit);
      if (inUnit === null) p.add(`${path}.${b}: the unit must be commensurable with the value's`);
      return inUnit;
    };
    const low = bound('low');
    const high = bound('high');
    if (low !== null && high !== null && low > high) p.add(`${path}.low is above its high`);
  });
}

/**
 * A panel's components (the blood pressure panel: systolic and diastolic, each once, each a
 * quantity or a reason for its absence, R4 vs-3), and a systolic above the diastolic.
 */
export function components(p: Problems, v: unknown, panel: LoincEntry): void {
  const parts = panel.components ?? [];
  const values = new Map<string, number | null>();
  if (v === undefined) p.add(`component is required: ${parts.join(' and ')}`);
  list(p, v, 'component', parts.length).forEach((x, i) => {
    const path = `component[${i}]`;
    const c = fields(p, x, path, ['code', 'valueQuantity', 'dataAbsentReason', 'interpretation']);
    if (!c) return;
    const code = concept(p, c.code, `${path}.code`, { [LOINC]: loincChecked }, true)[0]?.code as string | undefined;
    const part = code === undefined ? undefined : LOINC_ENTRIES.get(code);
    if (!code || part?.partOf !== panel.code) {
      p.add(`${path}.code must be one of ${parts.join(', ')}`);
      return;
    }
    if (values.has(code)) p.add(`${path}: ${code} is recorded twice`);
    if (c.valueQuantity !== undefined && c.dataAbsentReason !== undefined) {
      p.add(`${path}.dataAbsentReason must be absent when a value is present (R4 obs-6)`);
    }
    if (c.valueQuantity === undefined && c.dataAbsentReason === undefined) {
      p.add(`${path} needs a valueQuantity or a dataAbsentReason (R4 vs-3)`);
    }
    const [low, high] = part.plausible ?? [-Infinity, Infinity];
    const value = c.valueQuantity === undefined ? null : measure(p, c.valueQuantity, `${path}.valueQuantity`,
      part.unit ?? '1', low, high);
    values.set(code, value);
    absentReason(p, c.dataAbsentReason, `${path}.dataAbsentReason`);
    interpretation(p, c.interpretation, `${path}.interpretation`);
  });
  for (const part of parts) if (v !== undefined && !values.has(part)) p.add(`component: ${part} is required`);
  const systolic = values.get(SYSTOLIC);
  const diastolic = values.get(DIASTOLIC);
  if (typeof systolic === 'number' && typeof diastolic === 'number' && systolic <= diastolic) {
    p.add('component: the systolic pressure must be above the diastolic');
  }
}

/** The codes a resource's labels are read from: its code, its components' codes and a coded value. */
export function labelledConcepts(r: Json): unknown[] {
  const parts = Array.isArray(r.component) ? (r.component as Json[]) : [];
  return [r.code, ...parts.map((c) => c?.code), r.valueCodeableConcept];
}
