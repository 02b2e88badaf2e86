/**
 * The problems a French GP's list holds, with how often each is on a patient's problem list by age
 * and sex, and the treatment that follows it. Prevalences are of known (diagnosed) problems in the
 * general population; each cites its source. A curve is [age, share] points, linear in between and
 * flat beyond its ends; `men` and `women` multiply it.
 */
export type Curve = readonly (readonly [number, number])[];

/** A drug choice: with this probability, one of these ATC codes (weighted). */
export interface DrugChoice {
  readonly share: number;
  readonly oneOf: readonly (readonly [string, number])[];
}

export interface ProblemRule {
  /** The CIM-10 code, from cim10-gp.json. */
  readonly code: string;
  readonly curve: Curve;
  readonly men?: number;
  readonly women?: number;
  /** Of those who have had it, the share whose problem is over (resolved, or in remission for a cancer). */
  readonly over?: number;
  readonly overStatus?: 'resolved' | 'remission';
  /** Body mass index weighs on it (type 2 diabetes, hypertension): relative risk when obese, overweight, lean. */
  readonly bmi?: readonly [number, number, number];
  /** Treatments while it is active. */
  readonly treat?: readonly DrugChoice[];
  /** Years before "now" it may have started (its onset), at most. */
  readonly since?: number;
}

const adults = (p: number): Curve => [[17, 0], [18, p], [75, p], [76, p * 0.8]];

export const PROBLEMS: readonly ProblemRule[] = [
  // Esteban 2015 (Santé publique France, BEH 2018 n° 10): 30.6 % of 18–74-year-olds are hypertensive,
  // about two in three after 65; obesity doubles the risk. ~85 % of those who know it are treated.
  {
    code: 'I10', curve: [[20, 0.03], [30, 0.07], [40, 0.15], [50, 0.32], [60, 0.5], [65, 0.57], [75, 0.63], [85, 0.68]],
    men: 1.1, women: 0.9, bmi: [1.5, 1.1, 0.8], since: 25,
    treat: [
      { share: 0.85, oneOf: [['C08CA01', 4], ['C09AA05', 2], ['C09AA04', 2], ['C09CA01', 1], ['C09CA04', 1]] },
      { share: 0.35, oneOf: [['C03AA03', 2], ['C09CA01', 1], ['C08CA01', 1]] },
    ],
  },
  // Santé publique France 2022: 5.3 % of the population treated for diabetes (3.8 million), over 90 %
  // of type 2, up to one man in five at 75–79; metformin first (HAS 2024).
  {
    code: 'E11', curve: [[25, 0.004], [35, 0.011], [45, 0.03], [55, 0.065], [65, 0.1], [75, 0.135], [85, 0.12]],
    men: 1.25, women: 0.75, bmi: [2.2, 1.1, 0.55], since: 20,
    treat: [
      { share: 0.88, oneOf: [['A10BA02', 1]] },
      { share: 0.3, oneOf: [['A10BB09', 1], ['A10BH01', 1]] },
    ],
  },
  // Type 1 is about 6 % of treated diabetes (SpF, Entred 2019): ~0.3 % of the population.
  {
    code: 'E10', curve: [[4, 0.001], [12, 0.003], [80, 0.003]], since: 40,
    treat: [{ share: 1, oneOf: [['A10AE04', 1]] }],
  },
  // Esteban 2015: 23 % of 18–74-year-olds have an LDL of 1.6 g/L or more; about half of those known are on a statin.
  {
    code: 'E78.0', curve: [[20, 0.02], [40, 0.1], [55, 0.22], [65, 0.3], [85, 0.28]], since: 20,
    treat: [{ share: 0.55, oneOf: [['C10AA05', 3], ['C10AA07', 2]] }],
  },
  // ANSM 2017 (Levothyrox): about 3 million people take levothyroxine, four in five of them women.
  {
    code: 'E03.9', curve: [[10, 0.003], [20, 0.02], [40, 0.06], [60, 0.11], [80, 0.14]], women: 1, men: 0.2, since: 30,
    treat: [{ share: 1, oneOf: [['H03AA01', 1]] }],
  },
  // Obesity (E66) is recorded from the patient's body mass index (profile.ts), not drawn here.
  // IRDES / SpF: asthma in ~6.7 % of adults and ~9 % of children; a reliever for all, a controller for ~45 %.
  {
    code: 'J45', curve: [[2, 0.03], [5, 0.09], [15, 0.09], [30, 0.07], [80, 0.06]], since: 40,
    treat: [{ share: 1, oneOf: [['R03AC02', 1]] }, { share: 0.45, oneOf: [['R03AK07', 1]] }],
  },
  // SpF (BPCO, 2019): 5–10 % of adults over 45, two thirds of them undiagnosed.
  {
    code: 'J44', curve: [[44, 0], [45, 0.015], [65, 0.04], [80, 0.05]], men: 1.4, women: 0.7, since: 15,
    treat: [{ share: 0.9, oneOf: [['R03AC02', 1]] }],
  },
  // Baromètre santé 2021 (SpF, BEH 2023): 12.5 % of 18–75-year-olds had a characterised depressive
  // episode within the year, women more than men: ~10 % active on the list, and past episodes over
  // (ESEMeD: ~20 % over a lifetime); about two thirds of those known take an SSRI.
  {
    code: 'F32', curve: [[14, 0], [16, 0.06], [18, 0.14], [75, 0.13], [85, 0.1]],
    women: 1.2, men: 0.75, over: 0.3, since: 10,
    treat: [{ share: 0.65, oneOf: [['N06AB06', 1], ['N06AB10', 1]] }],
  },
  // ESEMeD France (Lépine 2005): generalised anxiety in ~2 % a year, ~6 % over a lifetime.
  {
    code: 'F41.1', curve: adults(0.03), women: 1.3, men: 0.7, over: 0.3, since: 10,
    treat: [{ share: 0.35, oneOf: [['N06AB10', 1]] }, { share: 0.3, oneOf: [['N05BA12', 1], ['N05BA08', 1]] }],
  },
  // OFDT / Inserm: about 1.5 million people dependent on alcohol (~3 % of adults), three in four men;
  // few are known to their GP; acamprosate is prescribed to a minority.
  {
    code: 'F10.2', curve: [[17, 0], [20, 0.015], [45, 0.025], [65, 0.02], [80, 0.01]],
    men: 1.5, women: 0.5, over: 0.2, since: 15,
    treat: [{ share: 0.2, oneOf: [['N07BB03', 1]] }],
  },
  // Baromètre santé 2022 (SpF): 24.5 % of 18–75-year-olds smoke daily and about a third of them tried
  // to stop within the year: the dependence is on the list of those, nicotine replacement for a third.
  {
    code: 'F17.2', curve: [[15, 0], [18, 0.09], [50, 0.09], [75, 0.04], [85, 0.02]],
    men: 1.15, women: 0.85, over: 0.25, since: 20,
    treat: [{ share: 0.35, oneOf: [['N07BA01', 1]] }],
  },
  // OFDT 2022: ~180,000 people on opioid substitution (~0.3 % of 18–64), mostly men, buprenorphine for most.
  {
    code: 'F11.2', curve: [[19, 0], [20, 0.004], [59, 0.004], [65, 0.001]], men: 1.5, women: 0.5, since: 15,
    treat: [{ share: 1, oneOf: [['N07BC01', 1]] }],
  },
  // HAS (2007, guide ALD 23): schizophrenia in ~0.6 % of adults; bipolar disorder in 1–2.5 % (HAS 2014).
  {
    code: 'F20', curve: adults(0.006), men: 1.3, women: 0.7, since: 30,
    treat: [{ share: 0.9, oneOf: [['N05AX12', 1]] }],
  },
  { code: 'F31', curve: adults(0.012), since: 30, treat: [{ share: 0.6, oneOf: [['N05AN01', 1]] }] },
  // SpF 2023: about 200,000 people live with HIV (~0.3 %), two thirds men; nearly all treated, most
  // with a single-tablet regimen. Most are Z21 (asymptomatic); B20 where AIDS was ever declared.
  {
    code: 'Z21', curve: [[19, 0], [20, 0.004], [70, 0.004], [80, 0.0015]], men: 1.4, women: 0.6, since: 30,
    treat: [{ share: 0.97, oneOf: [['J05AR20', 1]] }],
  },
  {
    code: 'B20', curve: [[24, 0], [25, 0.0006], [75, 0.0006]], men: 1.4, women: 0.6, since: 30,
    treat: [{ share: 1, oneOf: [['J05AR20', 1]] }],
  },
  // SpF (Brouard 2019): ~133,000 viraemic hepatitis C in 2016, cured since by direct antivirals for most.
  { code: 'B18.2', curve: [[29, 0], [30, 0.003], [75, 0.003]], over: 0.7, since: 25 },
  // HAS 2014 / SpF: atrial fibrillation in ~1.5 % of adults, 10 % after 80: an anticoagulant, a beta-blocker.
  {
    code: 'I48', curve: [[50, 0], [55, 0.01], [65, 0.03], [75, 0.07], [85, 0.12]], men: 1.2, women: 0.8, since: 15,
    treat: [{ share: 0.9, oneOf: [['B01AF02', 2], ['B01AF01', 1]] }, { share: 0.6, oneOf: [['C07AB07', 1]] }],
  },
  // Assurance maladie, cartographie des pathologies 2021: ~1.9 million treated for coronary disease.
  {
    code: 'I25.9', curve: [[40, 0], [45, 0.01], [55, 0.03], [65, 0.07], [75, 0.11], [85, 0.14]],
    men: 1.5, women: 0.5, since: 20,
    treat: [
      { share: 0.9, oneOf: [['B01AC06', 1]] }, { share: 0.85, oneOf: [['C10AA05', 1]] },
      { share: 0.6, oneOf: [['C07AB07', 1]] },
    ],
  },
  // SpF (insuffisance cardiaque, 2020): ~1.5 million patients, ~10 % of those over 70.
  {
    code: 'I50', curve: [[55, 0], [60, 0.01], [70, 0.03], [80, 0.08], [90, 0.12]], since: 10,
    treat: [
      { share: 0.85, oneOf: [['C03CA01', 1]] },
      { share: 0.7, oneOf: [['C07AB07', 1]] },
      { share: 0.6, oneOf: [['C09AA05', 1]] },
    ],
  },
  // REIN / HAS 2021: chronic kidney disease in ~10 % of adults, known for the minority with a DFG below 60.
  { code: 'N18', curve: [[55, 0], [60, 0.02], [70, 0.05], [80, 0.12], [90, 0.18]], since: 10 },
  // PPIs are taken by a quarter of the population each year (ANSM 2018); chronic reflux in ~8 % of adults.
  {
    code: 'K21', curve: [[17, 0], [20, 0.03], [50, 0.08], [70, 0.12]], over: 0.3, since: 15,
    treat: [{ share: 0.8, oneOf: [['A02BC01', 2], ['A02BC02', 1], ['A02BC05', 1]] }],
  },
  // SFEMC: migraine in 15–20 % of adults, three women for one man; an NSAID for the attacks.
  {
    code: 'G43', curve: [[10, 0.02], [15, 0.06], [45, 0.08], [65, 0.03]], women: 1.5, men: 0.5, since: 30,
    treat: [{ share: 0.5, oneOf: [['M01AE01', 1]] }],
  },
  // Inserm (arthrose, 2022): knee osteoarthritis in ~10 % of those over 55, more after 70.
  {
    code: 'M17', curve: [[44, 0], [50, 0.03], [65, 0.1], [80, 0.2]], women: 1.2, men: 0.8, since: 20,
    treat: [{ share: 0.6, oneOf: [['N02BE01', 1]] }],
  },
  // HAS 2024 (ostéoporose): 39 % of women over 65, a minority diagnosed; vitamin D with its treatment.
  {
    code: 'M81', curve: [[54, 0], [60, 0.05], [70, 0.12], [85, 0.2]], women: 1, men: 0.15, since: 15,
    treat: [{ share: 0.7, oneOf: [['A11CC05', 1]] }],
  },
  // SFA: allergic rhinitis in 25–30 % of adults; known to the GP for a third; an antihistamine in season.
  {
    code: 'J30.4', curve: [[4, 0.03], [10, 0.1], [40, 0.1], [65, 0.05]], since: 30,
    treat: [{ share: 0.6, oneOf: [['R06AE07', 1], ['R06AX27', 1]] }],
  },
  // SFD: atopic dermatitis in 10–15 % of children, 2–4 % of adults; a dermocorticoid for flares.
  {
    code: 'L20', curve: [[0, 0.06], [2, 0.12], [12, 0.08], [20, 0.03], [60, 0.02]], over: 0.3, since: 20,
    treat: [{ share: 0.4, oneOf: [['D07AC01', 1]] }],
  },
  // Esteban 2015: iron deficiency anaemia in ~4 % of women of childbearing age.
  { code: 'D50', curve: [[14, 0], [15, 0.04], [49, 0.04], [55, 0.01]], women: 1, men: 0.1, over: 0.5, since: 5 },
  // Inserm / SpF: about a million people with dementia; Alzheimer's disease is recorded for most.
  { code: 'G30', curve: [[64, 0], [70, 0.01], [80, 0.06], [90, 0.15]], since: 8 },
  // SpF 2018: Parkinson's disease in ~0.3 % of the population, ~1 % after 65; levodopa for nearly all.
  {
    code: 'G20', curve: [[54, 0], [60, 0.003], [70, 0.01], [80, 0.02]], since: 12,
    treat: [{ share: 0.95, oneOf: [['N04BA02', 1]] }],
  },
  // INCa 2023: ~900,000 women have had breast cancer and ~640,000 men prostate cancer; most in remission.
  {
    code: 'C50', curve: [[39, 0], [45, 0.01], [60, 0.03], [75, 0.05]],
    women: 1, men: 0, over: 0.8, overStatus: 'remission', since: 15,
  },
  {
    code: 'C61', curve: [[54, 0], [60, 0.01], [70, 0.04], [80, 0.08]],
    women: 0, men: 1, over: 0.7, overStatus: 'remission', since: 15,
  },
];

/** The share on a curve at this age. */
export function at(curve: Curve, age: number): number {
  const first = curve[0] as readonly [number, number];
  if (age <= first[0]) return first[1];
  for (let i = 1; i < curve.length; i++) {
    const [a1, p1] = curve[i] as readonly [number, number];
    const [a0, p0] = curve[i - 1] as readonly [number, number];
    if (age <= a1) return p0 + ((p1 - p0) * (age - a0)) / (a1 - a0);
  }
  return (curve[curve.length - 1] as readonly [number, number])[1];
}

/**
 * Women 15–49 on the pill prescribed by their GP. Baromètre santé 2016 (SpF, Rahib 2017): the pill
 * is used by ~37 % of women of 15–49 concerned by contraception, about 27 % of all women of that age.
 */
export const PILL: DrugChoice = { share: 0.27, oneOf: [['G03AA07', 1]] };
