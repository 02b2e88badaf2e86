import type { Faker } from '@faker-js/faker';
import { ageAt, normal, type Profile } from './profile.js';

/**
 * What a visit measures, coherent for a patient over time: a child grows along one centile, an
 * adult keeps her height and drifts slowly in weight, a hypertensive's pressure is high unless
 * treated, a beta-blocker slows the heart. Medians: WHO child growth standards and the French
 * AFPA–CRESS/Inserm 2018 curves, rounded; adults: Esteban 2015 (SpF).
 */
export interface Measured {
  readonly weightKg: number;
  readonly heightCm: number;
  readonly bmi: number | null;
  readonly systolic: number | null;
  readonly diastolic: number | null;
  readonly heartRate: number;
  readonly headCm: number | null;
}

/** [age in years, median height in cm, median BMI]: boys and girls together until 11. */
const GROWTH: readonly (readonly [number, number, number])[] = [
  [0, 50, 13.4], [0.25, 61, 16.3], [0.5, 67, 17.2], [1, 75, 17.0], [1.5, 82, 16.5], [2, 87, 16.2],
  [3, 96, 15.8], [4, 103, 15.5], [5, 110, 15.3], [6, 116, 15.3], [8, 128, 15.8], [10, 138, 16.6],
  [12, 150, 17.8], [14, 161, 19.2], [16, 168, 20.4], [18, 171, 21.3],
];
/** Median head circumference (cm) from birth to two years (WHO). */
const HEAD: readonly (readonly [number, number])[] = [
  [0, 34.5], [0.25, 40], [0.5, 43], [1, 46], [1.5, 47.5], [2, 48.5],
];
const ADULT_HEIGHT = { male: 176, female: 163 } as const;

/** Column `col` of a table by its first column, linear in between and flat beyond its ends. */
function interpolate(table: readonly (readonly number[])[], x: number, col: number): number {
  const cell = (row: number, c: number) => (table[row] as readonly number[])[c] as number;
  if (x <= cell(0, 0)) return cell(0, col);
  for (let i = 1; i < table.length; i++) {
    const [x0, x1] = [cell(i - 1, 0), cell(i, 0)];
    if (x <= x1) return cell(i - 1, col) + ((cell(i, col) - cell(i - 1, col)) * (x - x0)) / (x1 - x0);
  }
  return cell(table.length - 1, col);
}

/** Height at an age: the growth median on the patient's centile, joining her adult height at 18. */
function heightAt(p: Profile, age: number): number {
  const adult = ADULT_HEIGHT[p.sex] + p.body.heightZ * (p.sex === 'male' ? 7 : 6.5);
  if (age >= 18) return adult - Math.max(0, age - 70) * 0.1;
  const median = interpolate(GROWTH, age, 1);
  // Past 11, boys and girls part towards their adult medians.
  const sexShift = age <= 11 ? 0 : ((ADULT_HEIGHT[p.sex] - 171) * (age - 11)) / 7;
  return (median + sexShift) * (1 + 0.04 * p.body.heightZ);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The measurements of one visit at `at`: the patient's body then, plus the day's variation drawn from
 * the visit's own stream (the same visit measures the same, whoever asks).
 */
export function measure(g: Faker, p: Profile, at: Date, now: Date): Measured {
  const age = ageAt(p.birth, at);
  const height = heightAt(p, age);
  const years = (at.getTime() - now.getTime()) / (365.25 * 86_400_000);
  const bmi = age >= 18
    ? p.body.bmi + p.body.bmiPerYear * years
    : interpolate(GROWTH, age, 2) * p.body.childBmi;
  const weight = Math.max(2.5, bmi * (height / 100) ** 2 + 0.6 * normal(g));
  const has = (atc: string) => p.drugs.includes(atc);
  const treated = ['C08CA01', 'C09AA05', 'C09AA04', 'C09CA01', 'C09CA04', 'C03AA03'].some(has);
  const adultPressure = age >= 16;
  const systolic = adultPressure
    ? p.body.systolic + 0.45 * Math.max(0, age - 20) - (treated ? 14 : 0) + 7 * normal(g)
    : null;
  const diastolic = systolic === null ? null : 0.5 * systolic + 16 - 0.15 * Math.max(0, age - 60) + 4 * normal(g);
  const restingChild = age < 1 ? 125 : age < 3 ? 110 : age < 6 ? 100 : age < 12 ? 88 : age < 18 ? 78 : 0;
  const heartRate = (restingChild > 0 ? restingChild + (p.body.heartRate - 70) : p.body.heartRate)
    - (has('C07AB07') ? 10 : 0) + 5 * normal(g);
  return {
    weightKg: round(weight, age < 2 ? 2 : 1),
    heightCm: round(height, 1),
    bmi: age >= 2 ? round(weight / (height / 100) ** 2, 1) : null,
    systolic: systolic === null ? null : Math.round(Math.min(Math.max(systolic, 85), 220)),
    diastolic: diastolic === null ? null : Math.round(Math.min(Math.max(diastolic, 45), 125)),
    heartRate: Math.round(Math.min(Math.max(heartRate, 40), 180)),
    headCm: age < 2 ? round(interpolate(HEAD, age, 1) * (1 + 0.03 * p.body.heightZ), 1) : null,
  };
}
