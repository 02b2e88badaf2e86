import { ALLERGY_CLINICAL, ATC, SNOMED } from '../systems.js';
import { atcCode, Problems } from '../check.js';
import { concept, fields, list, snomedConcept } from '../elements.js';
import { labelsOfConcepts } from '../labels.js';
import type { Json, ResourceModule } from '../module.js';

/**
 * AllergyIntolerance — allergies and intolerances: a substance in SNOMED CT, a drug in ATC, or a
 * text when no list codes it (an allergy to "pollen de bouleau"). Its labels come from the
 * substance and the reactions: an allergy to abacavir (ATC J05AF06) says as much as an HIV note.
 */
const VERIFICATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
/** Required bindings of R4: allergyintolerance-clinical and allergyintolerance-verification. */
const CLINICAL = ['active', 'inactive', 'resolved'] as const;
const VERIFICATION = ['unconfirmed', 'confirmed', 'refuted', 'entered-in-error'] as const;
const TYPE = ['allergy', 'intolerance'] as const;
const CATEGORY = ['food', 'medication', 'environment', 'biologic'] as const;
const CRITICALITY = ['low', 'high', 'unable-to-assess'] as const;
const SEVERITY = ['mild', 'moderate', 'severe'] as const;
const SUBSTANCES = { [SNOMED]: snomedConcept, [ATC]: atcCode };
const MANIFESTATIONS = { [SNOMED]: snomedConcept };
const ACCEPTED = [
  'clinicalStatus', 'verificationStatus', 'type', 'category', 'criticality', 'code', 'patient', 'encounter',
  'onsetDateTime', 'recordedDate', 'lastOccurrence', 'note', 'reaction',
];
/** The recorder and asserter are the author medvault records; the narrative is generated. */
const SERVER_OWNED = ['recorder', 'asserter', 'text'];
const REACTION = ['substance', 'manifestation', 'description', 'onset', 'severity', 'note'];

function reaction(p: Problems, v: unknown, path: string, now: Date): void {
  const x = fields(p, v, path, REACTION);
  if (!x) return;
  concept(p, x.substance, `${path}.substance`, SUBSTANCES, false, true);
  // R4: a reaction has at least one manifestation (AllergyIntolerance.reaction.manifestation 1..*).
  if (x.manifestation === undefined) p.add(`${path}.manifestation is required`);
  list(p, x.manifestation, `${path}.manifestation`, 10).forEach((m, i) => {
    concept(p, m, `${path}.manifestation[${i}]`, MANIFESTATIONS, true, true);
  });
  p.text(x.description, `${path}.description`, 1000);
  p.past(x.onset, `${path}.onset`, now, false);
  p.code(x.severity, `${path}.severity`, SEVERITY, false);
  p.notes(x.note, `${path}.note`);
}

export const allergyIntolerance: ResourceModule = {
  type: 'AllergyIntolerance',
  title: { fr: 'Allergies et intolérances', en: 'Allergies and intolerances' },
  segment: 'clinical',
  ledger: 'clinical',
  category: { code: 'allergies', fr: 'allergies', en: 'allergies' },
  interactions: ['read', 'vread', 'create', 'update', 'search-type', 'history-instance'],
  search: [
    { name: 'code', index: 'token' },
    { name: 'clinical-status', index: 'token' },
    { name: 'category', index: 'token' },
    { name: 'date', index: 'date' },
  ],
  // R4's `date` search parameter reads recordedDate (not the onset): the clinical date is the same.
  date: 'AllergyIntolerance.recordedDate',
  patient: 'AllergyIntolerance.patient',
  serverOwned: SERVER_OWNED,
  author: (practitioner) => ({ recorder: practitioner }),
  audit: ['read', 'search', 'create', 'update'],
  check(r: Json, now: Date) {
    const p = new Problems('AllergyIntolerance');
    p.only(r, ACCEPTED, SERVER_OWNED);
    const patientId = p.reference(r.patient, 'patient', 'Patient', true);
    p.reference(r.encounter, 'encounter', 'Encounter', false);
    const substance = concept(p, r.code, 'code', SUBSTANCES, true, true);
    const verification = p.status(r.verificationStatus, 'verificationStatus', VERIFICATION_SYSTEM, VERIFICATION, false);
    // R4 invariants ait-1 and ait-2: a clinical status, except on an entry made in error.
    if (verification === 'entered-in-error') {
      if (r.clinicalStatus !== undefined) p.add('clinicalStatus must be absent when entered-in-error (R4 ait-2)');
    } else p.status(r.clinicalStatus, 'clinicalStatus', ALLERGY_CLINICAL, CLINICAL, true);
    p.code(r.type, 'type', TYPE, false);
    p.code(r.criticality, 'criticality', CRITICALITY, false);
    const categories = list(p, r.category, 'category', CATEGORY.length);
    categories.forEach((c, i) => p.code(c, `category[${i}]`, CATEGORY, true));
    if (new Set(categories).size !== categories.length) p.add('category names a category twice');
    if (substance.some((c) => c.system === ATC) && categories.length > 0 && !categories.includes('medication')) {
      p.add('category: a substance coded in ATC is a medication');
    }
    const onset = p.past(r.onsetDateTime, 'onsetDateTime', now, false);
    // Required here though optional in R4: it is the date the `date` search and the lists read.
    const recorded = p.past(r.recordedDate, 'recordedDate', now, true);
    p.past(r.lastOccurrence, 'lastOccurrence', now, false);
    if (onset && recorded && onset.getTime() > recorded.getTime() + 86_400_000) {
      p.add('onsetDateTime is after recordedDate');
    }
    list(p, r.reaction, 'reaction', 10).forEach((x, i) => reaction(p, x, `reaction[${i}]`, now));
    p.notes(r.note, 'note');
    return { problems: p.list, patientId };
  },
  labels(r: Json) {
    const reactions = Array.isArray(r.reaction) ? (r.reaction as Json[]) : [];
    return labelsOfConcepts([
      r.code,
      ...reactions.map((x) => x?.substance),
      ...reactions.flatMap((x) => (Array.isArray(x?.manifestation) ? (x.manifestation as unknown[]) : [])),
    ]);
  },
  example: (patientId: string, _practitionerId: string, at: Date) => ({
    resourceType: 'AllergyIntolerance',
    clinicalStatus: { coding: [{ system: ALLERGY_CLINICAL, code: 'active' }] },
    verificationStatus: { coding: [{ system: VERIFICATION_SYSTEM, code: 'confirmed' }] },
    type: 'allergy',
    category: ['medication'],
    criticality: 'high',
    code: { coding: [{ system: ATC, code: 'J01CA04', display: 'amoxicilline' }], text: 'Amoxicilline' },
    patient: { reference: `Patient/${patientId}` },
    onsetDateTime: `${at.getUTCFullYear() - 3}-06`,
    recordedDate: at.toISOString().slice(0, 10),
    reaction: [{
      manifestation: [{ coding: [{ system: SNOMED, code: '126485001', display: 'Urticaire' }], text: 'Urticaire' }],
      severity: 'moderate',
    }],
    note: [{ text: 'Urticaire généralisée deux heures après la première prise ; pas de nouvelle exposition depuis.' }],
  }),
};
