import type { Faker } from '@faker-js/faker';
import { drawAllergies, type AllergyDraw } from './allergies.js';
import { at, PILL, PROBLEMS, type DrugChoice, type ProblemRule } from './problems.js';

/**
 * What a patient's chart is drawn from, decided once when the patient is drawn (the chart stream,
 * never the population's): problems by age and sex, allergies, the treatments that follow, and the
 * body every visit measures. Kept for each patient of a practice until its chart is written.
 */
export interface ProblemDraw {
  readonly code: string;
  readonly status: 'active' | 'resolved' | 'remission';
  /** Years before now it began, and (when over) ended. */
  readonly onsetYearsAgo: number;
  readonly endedYearsAgo: number | null;
}

export interface Body {
  /** Height z-score (the same child grows along the same centile) and adult height in cm. */
  readonly heightZ: number;
  /** Adult body mass index now (or at 18, for a child), and its drift per year. */
  readonly bmi: number;
  readonly bmiPerYear: number;
  /** A child's BMI as a multiple of the median for her age (the same centile as she grows). */
  readonly childBmi: number;
  /** Untreated systolic pressure at 20 years and its rise per year; resting heart rate. */
  readonly systolic: number;
  readonly heartRate: number;
}

export interface Profile {
  readonly patientId: string;
  readonly practiceId: string;
  /** The patient's own GP (the list they are on): the author of what no visit of the calendar wrote. */
  readonly gpId: string;
  readonly sex: 'female' | 'male';
  readonly birth: Date;
  readonly problems: readonly ProblemDraw[];
  readonly allergies: readonly AllergyDraw[];
  /** Standing treatments (ATC codes), one line each. */
  readonly drugs: readonly string[];
  readonly body: Body;
}

const YEAR = 365.25 * 86_400_000;

export function ageAt(birth: Date, t: Date | number): number {
  return ((typeof t === 'number' ? t : t.getTime()) - birth.getTime()) / YEAR;
}

function chance(g: Faker, p: number): boolean {
  return g.number.float({ min: 0, max: 1 }) < p;
}

function choose(g: Faker, c: DrugChoice): string | null {
  if (!chance(g, c.share)) return null;
  return g.helpers.weightedArrayElement(c.oneOf.map(([value, weight]) => ({ value, weight })));
}

/** Adult body mass index: log-normal around 23–26 by age (Obépi-Roche 2020: 17 % obese, 30 % overweight). */
function adultBmi(g: Faker, age: number): number {
  const median = 23.2 + 0.06 * Math.min(Math.max(age - 20, 0), 45);
  return Math.exp(Math.log(median) + 0.18 * normal(g));
}

export function normal(g: Faker): number {
  // Box–Muller on two uniform draws of the stream.
  const u = Math.max(g.number.float({ min: 0, max: 1 }), 1e-9);
  const v = g.number.float({ min: 0, max: 1 });
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function risk(rule: ProblemRule, age: number, sex: 'female' | 'male', bmi: number | null): number {
  const sexFactor = sex === 'male' ? (rule.men ?? 1) : (rule.women ?? 1);
  const [obese, over, lean] = rule.bmi ?? [1, 1, 1];
  const bmiFactor = bmi === null ? 1 : bmi >= 30 ? obese : bmi >= 25 ? over : lean;
  return at(rule.curve, age) * sexFactor * bmiFactor;
}

/** A problem with its dates: onset within the years the rule allows and the patient has lived. */
export function problemDraw(g: Faker, rule: ProblemRule, age: number, over: boolean): ProblemDraw {
  const span = Math.max(0.2, Math.min(rule.since ?? 10, age - 0.1));
  const onset = g.number.float({ min: 0.1, max: span, fractionDigits: 2 });
  const ended = over ? g.number.float({ min: 0.05, max: Math.max(0.06, onset - 0.05), fractionDigits: 2 }) : null;
  const status = over ? (rule.overStatus ?? 'resolved') : 'active';
  return { code: rule.code, status, onsetYearsAgo: onset, endedYearsAgo: ended };
}

/** The treatments of one problem; with `sure`, its first choice is taken whatever its share. */
export function drugsFor(g: Faker, rule: ProblemRule, sure: boolean): string[] {
  const out: string[] = [];
  (rule.treat ?? []).forEach((c, i) => {
    const d = choose(g, sure && i === 0 ? { ...c, share: 1 } : c);
    if (d) out.push(d);
  });
  return out;
}

/** The standing treatments of the active problems (one line per drug), and the pill for some young women. */
export function treatmentsOf(
  g: Faker, problems: readonly ProblemDraw[], sex: 'female' | 'male', age: number,
): string[] {
  const drugs = new Set<string>();
  for (const p of problems) {
    const rule = PROBLEMS.find((r) => r.code === p.code);
    if (p.status === 'active' && rule) for (const d of drugsFor(g, rule, false)) drugs.add(d);
  }
  // An NSAID is not given with an anticoagulant, a kidney or a heart failure (HAS, bon usage des AINS).
  const risky = problems.some((p) => ['N18', 'I50', 'I48'].includes(p.code) && p.status === 'active');
  if (risky) drugs.delete('M01AE01');
  if (sex === 'female' && age >= 15 && age < 50) {
    const pill = choose(g, PILL);
    if (pill) drugs.add(pill);
  }
  return [...drugs];
}

export function drawProfile(
  g: Faker, patient: { id: string; practiceId: string; sex: string; birthDate: string }, gpId: string, now: Date,
): Profile {
  const sex = patient.sex === 'female' ? 'female' : 'male';
  const birth = new Date(`${patient.birthDate}T00:00:00Z`);
  const age = ageAt(birth, now);
  const bmi = adultBmi(g, Math.max(age, 18));
  const childBmi = Math.exp(0.12 * normal(g));
  const problems: ProblemDraw[] = [];
  for (const rule of PROBLEMS) {
    const p = risk(rule, age, sex, age >= 18 ? bmi : null);
    if (p > 0 && chance(g, p)) problems.push(problemDraw(g, rule, age, chance(g, rule.over ?? 0)));
  }
  // Obesity is on the list of most obese adults: drawn from the body, not from a prevalence.
  if (age >= 18 && bmi >= 30 && chance(g, 0.7)) {
    const onset = g.number.float({ min: 0.5, max: Math.max(0.6, Math.min(15, age - 18)), fractionDigits: 2 });
    problems.push({ code: 'E66', status: 'active', onsetYearsAgo: onset, endedYearsAgo: null });
  }
  const hypertensive = problems.some((p) => p.code === 'I10');
  const body: Body = {
    heightZ: normal(g),
    bmi,
    bmiPerYear: g.number.float({ min: -0.3, max: 0.4, fractionDigits: 2 }),
    childBmi,
    systolic: 112 + (sex === 'male' ? 5 : 0) + (hypertensive ? 18 : 0) + 8 * normal(g),
    heartRate: 70 + 7 * normal(g),
  };
  return {
    patientId: patient.id, practiceId: patient.practiceId, gpId, sex, birth, problems,
    allergies: drawAllergies(g, age), drugs: treatmentsOf(g, problems, sex, age), body,
  };
}
