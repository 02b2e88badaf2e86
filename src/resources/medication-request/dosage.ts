import type { Problems } from '../check.js';
import { duration, fields, integer, list, quantity, TIME_UNITS } from '../elements.js';

/**
 * A Dosage of a prescription line: the words the patient reads ("1 comprimé le matin") and the
 * same in structure, which the pharmacist's software and the interaction checks read: how often
 * (Timing.repeat), how much (doseAndRate.doseQuantity, in UCUM or in a unit of presentation such
 * as "comprimé"), for how long (boundsDuration).
 */
const DOSAGE = ['sequence', 'text', 'patientInstruction', 'timing', 'asNeededBoolean', 'doseAndRate'];
const REPEAT = ['frequency', 'period', 'periodUnit', 'boundsDuration'];

function repeat(p: Problems, v: unknown, path: string): number | null {
  const r = fields(p, v, path, REPEAT);
  if (!r) return null;
  integer(p, r.frequency, `${path}.frequency`, 1, 24);
  const period = r.period;
  if (period !== undefined && !(typeof period === 'number' && period > 0)) p.add(`${path}.period must be positive`);
  // R4 tim-2: a period needs its unit (value set units-of-time, a required binding).
  if (r.period !== undefined && r.periodUnit === undefined) p.add(`${path}.periodUnit is required with a period`);
  if (r.periodUnit !== undefined) p.code(r.periodUnit, `${path}.periodUnit`, Object.keys(TIME_UNITS), true);
  if (r.frequency !== undefined && r.period === undefined) p.add(`${path}.period is required with a frequency`);
  return duration(p, r.boundsDuration, `${path}.boundsDuration`);
}

/** Checks one dosage; returns the treatment's length in days when it states one. */
export function dosage(p: Problems, v: unknown, path: string): number | null {
  const d = fields(p, v, path, DOSAGE);
  if (!d) return null;
  integer(p, d.sequence, `${path}.sequence`, 1, 10);
  if (d.text === undefined) p.add(`${path}.text is required (the dosage in words, as printed)`);
  p.text(d.text, `${path}.text`, 1000);
  p.text(d.patientInstruction, `${path}.patientInstruction`, 1000);
  let days: number | null = null;
  if (d.timing !== undefined) {
    const t = fields(p, d.timing, `${path}.timing`, ['repeat']);
    if (t && t.repeat === undefined) p.add(`${path}.timing.repeat is required`);
    else if (t) days = repeat(p, t.repeat, `${path}.timing.repeat`);
  } else if (d.asNeededBoolean !== true) {
    p.add(`${path}.timing is required unless the drug is taken as needed (asNeededBoolean)`);
  }
  list(p, d.doseAndRate, `${path}.doseAndRate`, 3).forEach((x, i) => {
    const at = `${path}.doseAndRate[${i}]`;
    const dr = fields(p, x, at, ['doseQuantity']);
    if (!dr) return;
    if (dr.doseQuantity === undefined) p.add(`${at}.doseQuantity is required`);
    const q = quantity(p, dr.doseQuantity, `${at}.doseQuantity`, true);
    if (q && q.value <= 0) p.add(`${at}.doseQuantity must be positive`);
  });
  return days;
}
