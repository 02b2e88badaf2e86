import type { Faker } from '@faker-js/faker';
import type { Json } from '../../../resources/index.js';
import { drug } from './codes.js';
import { ATC, SNOMED } from './systems.js';

/**
 * Allergies, 10–20 % of a list: a drug for ~10 % of adults (EAACI 2019: one person in ten reports a
 * penicillin allergy, most not confirmed), a food for 6–8 % of children and ~3 % of adults (ANSES,
 * EAACI food allergy guidelines 2014), latex for a few.
 */
export interface AllergyDraw {
  readonly category: 'medication' | 'food' | 'environment';
  /** ATC for a drug, SNOMED CT for a food or latex. */
  readonly system: string;
  readonly code: string;
  readonly name: string;
  readonly reaction: { readonly code: string; readonly name: string };
  readonly criticality: 'low' | 'high';
  readonly onsetYearsAgo: number;
}

interface Rule {
  readonly category: AllergyDraw['category'];
  readonly system: string;
  readonly code: string;
  readonly name: string;
  /** Share of children (< 15) and of adults who have it. */
  readonly child: number;
  readonly adult: number;
  readonly reactions: readonly (readonly [string, string])[];
}

const URTICARIA = ['126485001', 'Urticaire'] as const;
const ANAPHYLAXIS = ['39579001', 'Anaphylaxie'] as const;
const RASH = ['271807003', 'Éruption cutanée'] as const;
const ANGIOEDEMA = ['41291007', 'Angio-œdème'] as const;
const VOMITING = ['422400008', 'Vomissements'] as const;
const ITCHING = ['418290006', 'Prurit'] as const;

const RULES: readonly Rule[] = [
  {
    category: 'medication', system: ATC, code: 'J01CA04', name: 'Amoxicilline', child: 0.03, adult: 0.07,
    reactions: [URTICARIA, RASH, ANGIOEDEMA],
  },
  {
    category: 'medication', system: ATC, code: 'M01AE01', name: 'Ibuprofène', child: 0.003, adult: 0.015,
    reactions: [URTICARIA, ANGIOEDEMA],
  },
  {
    category: 'medication', system: ATC, code: 'B01AC06', name: 'Acide acétylsalicylique', child: 0, adult: 0.005,
    reactions: [URTICARIA, ANGIOEDEMA],
  },
  {
    category: 'food', system: SNOMED, code: '3718001', name: 'Lait de vache', child: 0.015, adult: 0.002,
    reactions: [URTICARIA, VOMITING],
  },
  {
    category: 'food', system: SNOMED, code: '102263004', name: 'Œuf', child: 0.015, adult: 0.003,
    reactions: [URTICARIA, VOMITING],
  },
  {
    category: 'food', system: SNOMED, code: '256349002', name: 'Arachide', child: 0.015, adult: 0.007,
    reactions: [URTICARIA, ANGIOEDEMA, ANAPHYLAXIS],
  },
  {
    category: 'food', system: SNOMED, code: '227493005', name: 'Noix de cajou', child: 0.005, adult: 0.005,
    reactions: [URTICARIA, ANGIOEDEMA],
  },
  {
    category: 'food', system: SNOMED, code: '44027008', name: 'Fruits de mer', child: 0.002, adult: 0.012,
    reactions: [URTICARIA, VOMITING, ANAPHYLAXIS],
  },
  {
    category: 'environment', system: SNOMED, code: '111088007', name: 'Latex', child: 0, adult: 0.005,
    reactions: [ITCHING, URTICARIA],
  },
];

export function drawAllergies(g: Faker, age: number): AllergyDraw[] {
  const out: AllergyDraw[] = [];
  for (const r of RULES) {
    if (g.number.float({ min: 0, max: 1 }) >= (age < 15 ? r.child : r.adult)) continue;
    const [code, name] = g.helpers.arrayElement(r.reactions);
    out.push({
      category: r.category, system: r.system, code: r.code, name: r.name, reaction: { code, name },
      criticality: code === ANAPHYLAXIS[0] || code === ANGIOEDEMA[0] ? 'high' : 'low',
      onsetYearsAgo: g.number.float({ min: 0.1, max: Math.max(0.2, age - 0.1), fractionDigits: 2 }),
    });
  }
  return out;
}

/** Whether a patient may not take this drug (a penicillin allergy rules out amoxicillin and its combinations). */
export function allergicTo(allergies: readonly AllergyDraw[], atc: string): boolean {
  return allergies.some((a) => a.category === 'medication' && atc.startsWith(a.code.slice(0, 5)));
}

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

export function allergyResource(a: AllergyDraw, patientId: string, recorded: Date, onset: Date): Json {
  const display = a.system === ATC ? drug(a.code).display : a.name;
  return {
    resourceType: 'AllergyIntolerance',
    clinicalStatus: { coding: [{ system: CLINICAL, code: 'active' }] },
    // Most reported drug allergies are never tested (EAACI 2019): unconfirmed until they are.
    verificationStatus: {
      coding: [{ system: VERIFICATION, code: a.category === 'medication' ? 'unconfirmed' : 'confirmed' }],
    },
    type: 'allergy',
    category: [a.category],
    criticality: a.criticality,
    code: { coding: [{ system: a.system, code: a.code, display }], text: a.name },
    patient: { reference: `Patient/${patientId}` },
    onsetDateTime: onset.toISOString().slice(0, 7),
    recordedDate: recorded.toISOString().slice(0, 10),
    reaction: [{
      manifestation: [{
        coding: [{ system: SNOMED, code: a.reaction.code, display: a.reaction.name }], text: a.reaction.name,
      }],
      severity: a.criticality === 'high' ? 'severe' : 'moderate',
    }],
  };
}
