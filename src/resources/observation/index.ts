import { LOINC, OBSERVATION_CATEGORY, OBSERVATION_INTERPRETATION, SNOMED, UCUM } from '../systems.js';
import { Problems } from '../check.js';
import { concept, list, loincChecked, snomedConcept } from '../elements.js';
import { labelsOfConcepts } from '../labels.js';
import type { Json, ResourceModule } from '../module.js';
import { LOINC_ENTRIES, VITAL_SIGNS } from './loinc.js';
import {
  absentReason, components, interpretation, labelledConcepts, referenceRanges, valueQuantity,
} from './values.js';

/**
 * Observation — vital signs (the R4 vital signs profile: weight, height, BMI, blood pressure panel,
 * heart and breathing rates, temperature, SpO2, head circumference) and laboratory results, coded
 * in LOINC with their values in UCUM. An HIV viral load or screening test is labelled like an HIV
 * note, whatever its result: that the test was done is disclosed.
 */
const STATUS = [
  'registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown',
] as const;
const CATEGORIES = ['vital-signs', 'laboratory'] as const;
const VALUES = ['valueQuantity', 'valueCodeableConcept', 'valueString'] as const;
const ACCEPTED = [
  'status', 'category', 'code', 'subject', 'encounter', 'effectiveDateTime', ...VALUES, 'dataAbsentReason',
  'interpretation', 'note', 'referenceRange', 'component',
];
/** The performer is the author medvault records; the narrative is generated. */
const SERVER_OWNED = ['performer', 'text'];
/** Statuses under which an observation may have no value yet, or never. */
const WITHOUT_VALUE = ['registered', 'cancelled', 'entered-in-error'];

export const observation: ResourceModule = {
  type: 'Observation',
  title: { fr: "Résultats et mesures", en: 'Results and measurements' },
  segment: 'clinical',
  ledger: 'clinical',
  // Vital signs are results too: one category per module.
  category: { code: 'results', fr: "résultats d'analyses", en: 'test results' },
  interactions: ['read', 'vread', 'create', 'update', 'search-type', 'history-instance'],
  search: [
    { name: 'code', index: 'token' },
    { name: 'category', index: 'token' },
    { name: 'status', index: 'token' },
    { name: 'date', index: 'date' },
    { name: 'encounter', index: 'reference' },
  ],
  date: 'Observation.effective',
  patient: 'Observation.subject',
  serverOwned: SERVER_OWNED,
  author: (practitioner) => ({ performer: [practitioner] }),
  audit: ['read', 'search', 'create', 'update'],
  check(r: Json, now: Date) {
    const p = new Problems('Observation');
    p.only(r, ACCEPTED, SERVER_OWNED);
    const patientId = p.reference(r.subject, 'subject', 'Patient', true);
    p.reference(r.encounter, 'encounter', 'Encounter', false);
    const status = p.code(r.status, 'status', STATUS, true);
    if (r.category === undefined) p.add(`category is required (${CATEGORIES.join(' or ')})`);
    const kinds = list(p, r.category, 'category', 2)
      .map((c, i) => p.status(c, `category[${i}]`, OBSERVATION_CATEGORY, CATEGORIES, true));
    const vital = kinds.includes('vital-signs');
    if (vital && kinds.includes('laboratory')) p.add('category: vital-signs or laboratory, not both');

    const codings = concept(p, r.code, 'code', { [LOINC]: loincChecked }, true);
    if (codings.length > 1) p.add('code holds one LOINC coding');
    const entry = codings.length === 1 ? LOINC_ENTRIES.get(codings[0]!.code as string) : undefined;
    if (entry?.partOf) p.add(`code: this code is a component of the panel ${entry.partOf}`);
    else if (vital && codings.length === 1 && entry?.category !== 'vital-signs') {
      p.add(`code: a vital sign is one of ${VITAL_SIGNS.join(', ')}`);
    } else if (!vital && entry?.category === 'vital-signs') p.add('category: this code is a vital sign (vital-signs)');

    // The vital signs profile requires effective[x]; medvault dates every observation.
    p.past(r.effectiveDateTime, 'effectiveDateTime', now, true);

    const values = VALUES.filter((k) => r[k] !== undefined);
    if (values.length > 1) p.add('value[x]: one value only');
    if (r.dataAbsentReason !== undefined && values.length > 0) {
      p.add('dataAbsentReason must be absent when a value is present (R4 obs-6)');
    }
    absentReason(p, r.dataAbsentReason, 'dataAbsentReason');
    if (entry?.components) {
      if (values.length > 0) p.add("value[x]: a panel's values are in its components (R4 obs-7)");
      components(p, r.component, entry);
    } else {
      if (r.component !== undefined) p.add('component is accepted in a blood pressure panel only');
      // R4 vs-2: without components, a value or the reason it is missing.
      if (values.length === 0 && r.dataAbsentReason === undefined && status && !WITHOUT_VALUE.includes(status)) {
        p.add('value[x] or dataAbsentReason is required (R4 vs-2)');
      }
    }
    if (entry?.category === 'vital-signs' && (r.valueCodeableConcept !== undefined || r.valueString !== undefined)) {
      p.add("value[x]: a vital sign's value is a valueQuantity");
    }
    if (entry?.qualitative && r.valueQuantity !== undefined) {
      p.add('valueQuantity: this test tells a presence; its value is a valueCodeableConcept');
    }
    const unit = r.valueQuantity === undefined ? null : valueQuantity(p, r.valueQuantity, 'valueQuantity', entry);
    concept(p, r.valueCodeableConcept, 'valueCodeableConcept', { [SNOMED]: snomedConcept }, false, true);
    p.text(r.valueString, 'valueString', 2000);
    if (r.referenceRange !== undefined && r.valueQuantity === undefined) {
      p.add('referenceRange is accepted with a valueQuantity');
    } else referenceRanges(p, r.referenceRange, unit);
    interpretation(p, r.interpretation, 'interpretation');
    p.notes(r.note, 'note');
    return { problems: p.list, patientId };
  },
  labels: (r: Json) => labelsOfConcepts(labelledConcepts(r)),
  example: (patientId: string, _practitionerId: string, at: Date) => ({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'vital-signs', display: 'Signes vitaux' }] }],
    code: { coding: [{ system: LOINC, code: '85354-9', display: 'Pression artérielle' }], text: 'Pression artérielle' },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: at.toISOString(),
    interpretation: [{ coding: [{ system: OBSERVATION_INTERPRETATION, code: 'H', display: 'Élevé' }] }],
    component: [
      {
        code: { coding: [{ system: LOINC, code: '8480-6', display: 'Pression artérielle systolique' }] },
        valueQuantity: { value: 148, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
      },
      {
        code: { coding: [{ system: LOINC, code: '8462-4', display: 'Pression artérielle diastolique' }] },
        valueQuantity: { value: 92, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
      },
    ],
    note: [{ text: 'Mesure au cabinet, assis, après cinq minutes de repos ; contrôle par automesure à prévoir.' }],
  }),
};
