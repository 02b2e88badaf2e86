import type { Faker } from '@faker-js/faker';
import type { Json } from '../../../resources/index.js';
import { SNOMED } from './systems.js';
import { labFinding, labResult, type Common } from './observations.js';
import { ageAt, normal, type Profile } from './profile.js';

/**
 * Laboratory results of the chronic patients, as the follow-up the HAS recommends asks for them:
 * HbA1c twice a year for a diabetic (HAS 2024), creatinine with its CKD-EPI DFG and potassium under
 * an antihypertensive, a diuretic or metformin, a lipid panel under a statin or a cardiovascular
 * risk, TSH under levothyroxine or lithium, the HIV viral load twice a year, liver enzymes for an
 * alcohol dependence, blood count and ferritin for an iron deficiency. Values are coherent: the
 * DFG is computed from the creatinine, the total cholesterol by Friedewald from its parts.
 */
export interface Sitting {
  readonly at: Date;
  readonly results: Json[];
}

const active = (p: Profile, ...codes: string[]) =>
  p.problems.some((x) => codes.includes(x.code) && x.status === 'active');
const takes = (p: Profile, ...atc: string[]) => atc.some((a) => p.drugs.includes(a));

/** CKD-EPI 2021 (race-free) from a creatinine in µmol/L. */
export function ckdEpi(creatinine: number, age: number, female: boolean): number {
  const scr = creatinine / 88.4;
  const k = female ? 0.7 : 0.9;
  const a = female ? -0.241 : -0.302;
  return 142 * Math.min(scr / k, 1) ** a * Math.max(scr / k, 1) ** -1.2 * 0.9938 ** age * (female ? 1.012 : 1);
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** What one sitting measures for this patient; `hba1c` is her usual level (a diabetic's). */
function sitting(g: Faker, p: Profile, c: Common, hba1c: number | null, full: boolean): Json[] {
  const out: Json[] = [];
  const age = ageAt(p.birth, c.at);
  const female = p.sex === 'female';
  if (hba1c !== null) {
    const value = r1(Math.max(5.2, hba1c + 0.3 * normal(g)));
    out.push(labResult(c, '4548-4', value, '%'));
    if (full) out.push(labResult(c, '2345-7', r2(Math.max(0.7, 1.1 + 0.22 * (value - 6) + 0.12 * normal(g))), 'g/L'));
  }
  if (active(p, 'Z21', 'B20')) {
    const suppressed = g.number.float({ min: 0, max: 1 }) < 0.92; // ANRS: ~95 % of those treated are undetectable
    out.push(suppressed
      ? labFinding(c, '20447-9', { text: 'Indétectable (< 20 copies/mL)' }, 'N')
      : labResult(c, '20447-9', g.number.int({ min: 40, max: 900 }), 'copies/mL', 'A'));
  }
  if (!full) return out;
  const kidney = takes(p, 'A10BA02', 'N05AN01', 'C03CA01', 'C03AA03', 'C09AA05', 'C09AA04', 'C09CA01', 'C09CA04')
    || active(p, 'I10', 'I50', 'N18', 'E11', 'E10');
  if (kidney) {
    const ckd = active(p, 'N18');
    const creat = ckd
      ? (female ? 115 : 140) + 25 * normal(g)
      : (female ? 64 : 82) + 0.25 * Math.max(0, age - 40) + 10 * normal(g);
    const value = Math.round(Math.max(40, creat));
    out.push(labResult(c, '14682-9', value, 'µmol/L'));
    out.push(labResult(c, '62238-1', Math.round(Math.min(140, ckdEpi(value, age, female))), 'mL/min/1,73 m²'));
  }
  if (takes(p, 'C09AA05', 'C09AA04', 'C09CA01', 'C09CA04', 'C03CA01') || active(p, 'N18', 'I50')) {
    const k = 4.2 + (takes(p, 'C09AA05', 'C09AA04', 'C09CA01', 'C09CA04') ? 0.2 : 0) - (takes(p, 'C03CA01') ? 0.3 : 0);
    out.push(labResult(c, '2823-3', r1(k + 0.3 * normal(g)), 'mmol/L'));
  }
  if (takes(p, 'C10AA05', 'C10AA07') || active(p, 'E78.0', 'I25.9', 'E11', 'E10')) {
    const statin = takes(p, 'C10AA05', 'C10AA07');
    const ldl = Math.max(0.4, (statin ? 1.05 : active(p, 'E78.0') ? 1.85 : 1.3) + 0.25 * normal(g));
    const hdl = Math.max(0.25, (female ? 0.62 : 0.5) + 0.11 * normal(g));
    const tg = Math.exp(Math.log(active(p, 'E11') ? 1.4 : 1.0) + 0.35 * normal(g));
    out.push(labResult(c, '2093-3', r2(ldl + hdl + tg / 5), 'g/L'));
    out.push(labResult(c, '13457-7', r2(ldl), 'g/L'));
    out.push(labResult(c, '2085-9', r2(hdl), 'g/L'));
    out.push(labResult(c, '2571-8', r2(tg), 'g/L'));
  }
  if (takes(p, 'H03AA01', 'N05AN01')) out.push(labResult(c, '3016-3', r2(Math.exp(Math.log(2.0) + 0.5 * normal(g))), 'mUI/L'));
  if (active(p, 'F10.2')) {
    out.push(labResult(c, '2324-2', Math.round(Math.exp(Math.log(110) + 0.5 * normal(g))), 'UI/L'));
    out.push(labResult(c, '1920-8', Math.round(Math.max(12, 45 + 15 * normal(g))), 'UI/L'));
    out.push(labResult(c, '1742-6', Math.round(Math.max(10, 40 + 15 * normal(g))), 'UI/L'));
  }
  if (active(p, 'D50')) {
    out.push(labResult(c, '718-7', r1(10.8 + 0.6 * normal(g)), 'g/dL'));
    out.push(labResult(c, '2276-4', Math.max(2, Math.round(8 + 3 * normal(g))), 'µg/L'));
  }
  return out;
}

const NEGATIVE = { coding: [{ system: SNOMED, code: '260385009', display: 'Négatif' }], text: 'Négatif' };

/**
 * The patient's results over the last months: the latest sitting within half a year, an earlier one
 * for a diabetic or a patient with HIV (their follow-up is twice a year). HIV screening: the HAS
 * (2017) asks it of every adult once; ~3 % of 18–45-year-olds a year here, all negative.
 */
export function labSittings(g: Faker, p: Profile, now: Date): Sitting[] {
  const age = ageAt(p.birth, now);
  const diabetic = active(p, 'E11', 'E10');
  const hba1c = diabetic ? Math.min(11, Math.max(5.8, 7.1 + 0.8 * normal(g))) : null;
  const morning = (daysAgo: number) => {
    const d = new Date(now.getTime() - daysAgo * 86_400_000);
    const minute = g.number.int({ min: 30, max: 90 });
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 6, minute));
  };
  const out: Sitting[] = [];
  const latest = morning(g.number.int({ min: 3, max: 180 }));
  const c = (at: Date): Common => ({ patientId: p.patientId, at, encounterId: null });
  const first = sitting(g, p, c(latest), hba1c, true);
  if (first.length > 0) out.push({ at: latest, results: first });
  if (diabetic || active(p, 'Z21', 'B20')) {
    const earlier = new Date(latest.getTime() - g.number.int({ min: 100, max: 160 }) * 86_400_000);
    out.push({ at: earlier, results: sitting(g, p, c(earlier), hba1c, false) });
  }
  if (age >= 18 && age < 46 && !active(p, 'Z21', 'B20') && g.number.float({ min: 0, max: 1 }) < 0.03) {
    const at = morning(g.number.int({ min: 3, max: 360 }));
    out.push({ at, results: [labFinding(c(at), '56888-1', { concept: NEGATIVE }, 'N')] });
  }
  return out;
}
