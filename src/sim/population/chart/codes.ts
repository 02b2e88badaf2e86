import { createRequire } from 'node:module';

/**
 * The code lists medvault ships (src/resources/codes/), read here so that every code the synthetic
 * charts use is one a practitioner could pick: a code missing from its list fails at load, not in a
 * chart. The lists are the resource modules' data; the registry does not export them, so they are
 * read from their files (JSON, no code of the module is reached).
 */
const require = createRequire(import.meta.url);
const read = <T>(name: string): { codes: T[] } => require(`../../../resources/codes/${name}`) as { codes: T[] };

export interface ListedCode {
  readonly code: string;
  readonly display: string;
}
export interface Drug extends ListedCode {
  readonly form: string;
  readonly dose: string;
}
export interface LabCode extends ListedCode {
  readonly unit?: string;
  readonly range?: { readonly low?: number; readonly high?: number };
}
export interface VaccineCode extends ListedCode {
  readonly cvx?: string;
}

function index<T extends ListedCode>(list: readonly T[], what: string): (code: string) => T {
  const byCode = new Map<string, T>();
  for (const c of list) if (!byCode.has(c.code)) byCode.set(c.code, c);
  return (code) => {
    const c = byCode.get(code);
    if (!c) throw new Error(`${code} is not in ${what}`);
    return c;
  };
}

const PROBLEM_LIST = read<ListedCode>('cim10-gp.json').codes;
/** A problem of cim10-gp.json (CIM-10, ATIH). */
export const problem = index(PROBLEM_LIST, 'cim10-gp.json');
/** Its label in cim10-gp.json, if the list has it (a visit's reason may be a code the list lacks). */
export function listedLabel(code: string): string | null {
  return PROBLEM_LIST.find((c) => c.code === code)?.display ?? null;
}
/** A drug of medicaments-gp.json (ATC substance, ANSM form and strength). */
export const listedDrug = index(read<Drug>('medicaments-gp.json').codes, 'medicaments-gp.json');
/** A test or vital sign of loinc-fr.json, with its usual unit and adult reference range. */
export const loinc = index(read<LabCode>('loinc-fr.json').codes, 'loinc-fr.json');
const VACCINES = read<VaccineCode>('vaccins-fr.json').codes;
const firstVaccine = index(VACCINES, 'vaccins-fr.json');

/**
 * A vaccine of vaccins-fr.json (the French schedule, ATC J07 and CVX). The list names J07CA02 twice,
 * the child's booster and the adult's (reduced doses, no CVX of its own): `adult` picks the latter.
 */
export function vaccine(code: string, adult = false): VaccineCode {
  const first = firstVaccine(code);
  return adult ? (VACCINES.filter((v) => v.code === code).at(-1) ?? first) : first;
}

/**
 * Drugs the picker list lacks but the problems below need, named as medicaments-gp.json names its
 * own (ATC/DDD Index 2025, WHO Collaborating Centre; forms and strengths from the ANSM's base de
 * données publique des médicaments). A type 1 diabetic without insulin or an HIV patient without an
 * antiretroviral would not be a chart; each code is a substance code the module accepts.
 */
const SUPPLEMENT: readonly Drug[] = [
  // The most prescribed single-tablet regimen in France (bictégravir, emtricitabine, ténofovir alafénamide).
  {
    code: 'J05AR20', display: 'emtricitabine + ténofovir alafénamide + bictégravir', form: 'comprimé',
    dose: '200 mg / 25 mg / 50 mg',
  },
  { code: 'A10AE04', display: 'insuline glargine', form: 'solution injectable en stylo', dose: '100 U/mL' },
  { code: 'N07BB03', display: 'acamprosate', form: 'comprimé gastro-résistant', dose: '333 mg' },
  { code: 'N07BC01', display: 'buprénorphine', form: 'comprimé sublingual', dose: '8 mg' },
  { code: 'N05AX12', display: 'aripiprazole', form: 'comprimé', dose: '10 mg' },
  { code: 'N05AN01', display: 'lithium', form: 'comprimé à libération prolongée', dose: '400 mg' },
  { code: 'N04BA02', display: 'lévodopa + bensérazide', form: 'gélule', dose: '100 mg / 25 mg' },
  { code: 'D07AC01', display: 'bétaméthasone', form: 'crème', dose: '0,05 %' },
  { code: 'J01AA02', display: 'doxycycline', form: 'comprimé', dose: '100 mg' },
];
const supplement = index(SUPPLEMENT, 'the charts’ supplement');

/** A drug of the picker list, or of the supplement above. */
export function drug(code: string): Drug {
  try {
    return listedDrug(code);
  } catch {
    return supplement(code);
  }
}

/** The supplement's codes, for the test that keeps it short and apart from the list. */
export const SUPPLEMENT_CODES: readonly string[] = SUPPLEMENT.map((d) => d.code);
