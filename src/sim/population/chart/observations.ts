import type { Json } from '../../../resources/index.js';
import { loinc } from './codes.js';
import { LOINC, OBSERVATION_CATEGORY, OBSERVATION_INTERPRETATION, UCUM } from './systems.js';
import type { Measured } from './vitals.js';

/**
 * Observations as the R4 vital signs profile and a French result sheet write them: one LOINC code,
 * a UCUM quantity, the laboratory's reference range and its H/L flag when a value is out of it.
 */
export type Flag = 'H' | 'L' | 'N' | 'A';
const FLAG_NAMES: Record<Flag, string> = { H: 'Élevé', L: 'Bas', N: 'Normal', A: 'Anormal' };

export interface Common {
  readonly patientId: string;
  readonly at: Date;
  readonly encounterId: string | null;
}

function base(c: Common, category: 'vital-signs' | 'laboratory', code: string): Json {
  const display = loinc(code).display;
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{
      coding: [{
        system: OBSERVATION_CATEGORY, code: category,
        display: category === 'vital-signs' ? 'Signes vitaux' : 'Laboratoire',
      }],
    }],
    code: { coding: [{ system: LOINC, code, display }], text: display },
    subject: { reference: `Patient/${c.patientId}` },
    ...(c.encounterId ? { encounter: { reference: `Encounter/${c.encounterId}` } } : {}),
    effectiveDateTime: c.at.toISOString(),
  };
}

const quantity = (value: number, unit: string, code: string) => ({ value, unit, system: UCUM, code });
const part = (code: string) => ({ coding: [{ system: LOINC, code, display: loinc(code).display }] });

export function flagOf(value: number, range: { low?: number; high?: number } | undefined): Flag {
  if (range?.high !== undefined && value > range.high) return 'H';
  if (range?.low !== undefined && value < range.low) return 'L';
  return 'N';
}

export function interpretation(flag: Flag): Json[] {
  return [{ coding: [{ system: OBSERVATION_INTERPRETATION, code: flag, display: FLAG_NAMES[flag] }] }];
}

/** A laboratory result in the list's usual unit, with its reference range and flag (or the one given). */
export function labResult(c: Common, code: string, value: number, unitText: string, flag?: Flag): Json {
  const entry = loinc(code);
  const ucum = entry.unit as string;
  const range = entry.range;
  const bound = (v: number | undefined) => (v === undefined ? {} : quantity(v, unitText, ucum));
  return {
    ...base(c, 'laboratory', code),
    valueQuantity: quantity(value, unitText, ucum),
    ...(range ? {
      referenceRange: [{
        ...(range.low !== undefined ? { low: bound(range.low) } : {}),
        ...(range.high !== undefined ? { high: bound(range.high) } : {}),
      }],
    } : {}),
    interpretation: interpretation(flag ?? flagOf(value, range)),
  };
}

/** A result given in words or as a concept (a screening test, a viral load below its threshold). */
export function labFinding(c: Common, code: string, value: { concept?: Json; text?: string }, flag: Flag): Json {
  return {
    ...base(c, 'laboratory', code),
    ...(value.concept ? { valueCodeableConcept: value.concept } : { valueString: value.text }),
    interpretation: interpretation(flag),
  };
}

function vital(c: Common, code: string, value: number, unit: string, ucum: string): Json {
  return { ...base(c, 'vital-signs', code), valueQuantity: quantity(value, unit, ucum) };
}

/**
 * The vital signs a visit records: weight always, height for a child (and for an adult once in the
 * window), BMI from two years, the blood pressure panel from sixteen, heart rate, head circumference
 * before two. A home visit has no scale: pressure and pulse only.
 */
export function vitalSigns(c: Common, m: Measured, opts: { height: boolean; scale: boolean }): Json[] {
  const out: Json[] = [];
  if (opts.scale) {
    out.push(vital(c, '29463-7', m.weightKg, 'kg', 'kg'));
    if (opts.height) out.push(vital(c, '8302-2', m.heightCm, 'cm', 'cm'));
    if (m.bmi !== null) out.push(vital(c, '39156-5', m.bmi, 'kg/m²', 'kg/m2'));
    if (m.headCm !== null) out.push(vital(c, '9843-4', m.headCm, 'cm', 'cm'));
  }
  if (m.systolic !== null && m.diastolic !== null) {
    const high = m.systolic >= 140 || m.diastolic >= 90; // ESH 2023: office hypertension
    out.push({
      ...base(c, 'vital-signs', '85354-9'),
      ...(high ? { interpretation: interpretation('H') } : {}),
      component: [
        { code: part('8480-6'), valueQuantity: quantity(m.systolic, 'mmHg', 'mm[Hg]') },
        { code: part('8462-4'), valueQuantity: quantity(m.diastolic, 'mmHg', 'mm[Hg]') },
      ],
    });
  }
  out.push(vital(c, '8867-4', m.heartRate, '/min', '/min'));
  return out;
}
