import { CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, ICD10, SNOMED } from '../systems.js';
import { icd10Code, Problems, snomedCode } from '../check.js';
import { labelsOfConcepts } from '../labels.js';
import type { Json, ResourceModule } from '../module.js';

/**
 * Condition — the problem list: CIM-10 (ICD-10) codes, SNOMED CT where the client has them; active
 * or resolved. An HIV, psychiatric or addiction problem carries the label a note about it would.
 */
const CLINICAL = ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'] as const;
const VERIFICATION = [
  'unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error',
] as const;
const CATEGORY = ['problem-list-item', 'encounter-diagnosis'] as const;
const ACCEPTED = [
  'clinicalStatus', 'verificationStatus', 'category', 'severity', 'code', 'subject', 'encounter',
  'onsetDateTime', 'abatementDateTime', 'recordedDate', 'note',
];

export const condition: ResourceModule = {
  type: 'Condition',
  title: { fr: 'Problèmes de santé', en: 'Problem list' },
  segment: 'clinical',
  ledger: 'clinical',
  category: { code: 'problems', fr: 'problèmes de santé', en: 'health problems' },
  interactions: ['read', 'vread', 'create', 'update', 'search-type', 'history-instance'],
  search: [
    { name: 'code', index: 'token' },
    { name: 'clinical-status', index: 'token' },
    { name: 'category', index: 'token' },
    { name: 'onset-date', index: 'date' },
    { name: 'encounter', index: 'reference' },
  ],
  date: 'Condition.onset.ofType(dateTime) | Condition.recordedDate',
  patient: 'Condition.subject',
  serverOwned: ['recorder', 'asserter', 'text'],
  author: (practitioner) => ({ recorder: practitioner }),
  audit: ['read', 'search', 'create', 'update'],
  check(r: Json, now: Date) {
    const p = new Problems('Condition');
    p.only(r, ACCEPTED, this.serverOwned);
    const patientId = p.reference(r.subject, 'subject', 'Patient', true);
    p.reference(r.encounter, 'encounter', 'Encounter', false);
    p.coded(r.code, 'code', { [ICD10]: icd10Code, [SNOMED]: snomedCode }, true);
    const clinical = p.status(r.clinicalStatus, 'clinicalStatus', CONDITION_CLINICAL, CLINICAL, true);
    const verification = p.status(
      r.verificationStatus, 'verificationStatus', CONDITION_VERIFICATION, VERIFICATION, false,
    );
    for (const [i, c] of (Array.isArray(r.category) ? (r.category as Json[]) : []).entries()) {
      p.status(c, `category[${i}]`, CONDITION_CATEGORY, CATEGORY, true);
    }
    const onset = p.past(r.onsetDateTime, 'onsetDateTime', now, false);
    const abated = p.past(r.abatementDateTime, 'abatementDateTime', now, false);
    p.past(r.recordedDate, 'recordedDate', now, false);
    // R4 invariants con-4 and con-5: an abated problem is not active; a refuted one has no clinical status.
    if (abated && clinical && ['active', 'recurrence', 'relapse'].includes(clinical)) {
      p.add('abatementDateTime: an abated problem is inactive, in remission or resolved');
    }
    if (verification === 'entered-in-error' && r.clinicalStatus !== undefined) {
      p.add('clinicalStatus must be absent when entered-in-error');
    }
    if (onset && abated && abated < onset) p.add('abatementDateTime is before onsetDateTime');
    p.notes(r.note, 'note');
    return { problems: p.list, patientId };
  },
  labels: (r: Json) => labelsOfConcepts([r.code]),
  example: (patientId: string, _practitionerId: string, at: Date) => ({
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: 'active' }] },
    verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: 'confirmed' }] },
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'problem-list-item' }] }],
    code: {
      coding: [{ system: ICD10, code: 'I10', display: 'Hypertension essentielle' }],
      text: 'Hypertension artérielle',
    },
    subject: { reference: `Patient/${patientId}` },
    onsetDateTime: at.toISOString().slice(0, 10),
  }),
};
