import { ENCOUNTER_CLASS, ICD10, SNOMED } from '../systems.js';
import { icd10Code, Problems } from '../check.js';
import { concept, fields, list, period, snomedConcept } from '../elements.js';
import { labelsOfConcepts } from '../labels.js';
import type { Json, ResourceModule } from '../module.js';

/**
 * Encounter — a consultation: at the practice, at home or by video; planned, in progress,
 * finished or cancelled; its reason in CIM-10, SNOMED CT or words. The reason carries the labels
 * a note would (a visit for an HIV follow-up). R4 Encounter has no `note`: what was said belongs
 * in the notes and the other resources, not in an invented element.
 */
const STATUS = ['planned', 'in-progress', 'finished', 'cancelled', 'entered-in-error'] as const;
/** v3-ActCode: ambulatory (at the practice), home health (a home visit), virtual (a teleconsultation). */
const CLASSES = ['AMB', 'HH', 'VR'] as const;
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
/** Attender, primary and secondary performer, consultant, participant. */
const PARTICIPANT_TYPES = ['ATND', 'PPRF', 'SPRF', 'CON', 'PART'];
const REASONS = { [ICD10]: icd10Code, [SNOMED]: snomedConcept };
const ACCEPTED = ['status', 'class', 'type', 'subject', 'participant', 'appointment', 'period', 'reasonCode'];
/** The narrative is generated. The author is recorded by medvault; a client may still name the practitioner. */
const SERVER_OWNED = ['text'];
/** A date written without its time zone may be a day ahead of the server's clock. */
const SKEW = 86_400_000;

function participants(p: Problems, v: unknown): void {
  list(p, v, 'participant', 10).forEach((x, i) => {
    const path = `participant[${i}]`;
    const part = fields(p, x, path, ['type', 'individual']);
    if (!part) return;
    p.reference(part.individual, `${path}.individual`, 'Practitioner', true);
    list(p, part.type, `${path}.type`, 3).forEach((t, j) => {
      concept(p, t, `${path}.type[${j}]`, { [PARTICIPATION]: (c) => PARTICIPANT_TYPES.includes(c) }, true);
    });
  });
}

export const encounter: ResourceModule = {
  type: 'Encounter',
  title: { fr: 'Consultations', en: 'Encounters' },
  segment: 'clinical',
  ledger: 'clinical',
  category: { code: 'consultations', fr: 'consultations', en: 'consultations' },
  interactions: ['read', 'vread', 'create', 'update', 'search-type', 'history-instance'],
  search: [
    { name: 'status', index: 'token' },
    { name: 'class', index: 'token' },
    { name: 'reason-code', index: 'token' },
    { name: 'date', index: 'date' },
  ],
  date: 'Encounter.period',
  patient: 'Encounter.subject',
  serverOwned: SERVER_OWNED,
  // The consultation names its practitioners in `participant`; the author is in the audit and the version.
  author: () => ({}),
  audit: ['read', 'search', 'create', 'update'],
  check(r: Json, now: Date) {
    const p = new Problems('Encounter');
    p.only(r, ACCEPTED, SERVER_OWNED);
    const patientId = p.reference(r.subject, 'subject', 'Patient', true);
    const status = p.code(r.status, 'status', STATUS, true);
    // R4: class is a Coding (1..1), not a CodeableConcept.
    if (r.class === undefined) p.add(`class is required (${CLASSES.join(', ')})`);
    else {
      const c = fields(p, r.class, 'class', ['system', 'code', 'display']);
      if (c && (c.system !== ENCOUNTER_CLASS || !CLASSES.includes(c.code as (typeof CLASSES)[number]))) {
        p.add(`class must be one of ${CLASSES.join(', ')} (${ENCOUNTER_CLASS})`);
      }
      if (c?.display !== undefined) p.text(c.display, 'class.display', 200);
    }
    list(p, r.type, 'type', 3).forEach((t, i) => concept(p, t, `type[${i}]`, { [SNOMED]: snomedConcept }, true, true));
    participants(p, r.participant);
    list(p, r.appointment, 'appointment', 3).forEach((a, i) => {
      p.reference(a, `appointment[${i}]`, 'Appointment', true);
    });
    list(p, r.reasonCode, 'reasonCode', 10).forEach((c, i) => concept(p, c, `reasonCode[${i}]`, REASONS, true, true));

    // The clinical date is the period's start: required, and only a planned consultation lies ahead.
    const { start, end } = period(p, r.period, 'period');
    if ((r.period as Json | undefined)?.start === undefined) p.add('period.start is required');
    const ahead = (d: Date | null) => d !== null && d.getTime() > now.getTime() + SKEW;
    if (status !== 'planned' && status !== 'cancelled') {
      if (ahead(start)) p.add('period.start is in the future (only a planned consultation is ahead)');
      if (ahead(end)) p.add('period.end is in the future');
    }
    if (status === 'planned' && start && start.getTime() < now.getTime() - SKEW) {
      p.add('period.start: a planned consultation is not in the past');
    }
    if (status === 'in-progress' && end) p.add('period.end: a consultation in progress has not ended');
    return { problems: p.list, patientId };
  },
  labels: (r: Json) => labelsOfConcepts([
    ...(Array.isArray(r.reasonCode) ? (r.reasonCode as unknown[]) : []),
    ...(Array.isArray(r.type) ? (r.type as unknown[]) : []),
  ]),
  example: (patientId: string, practitionerId: string, at: Date) => ({
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: ENCOUNTER_CLASS, code: 'AMB', display: 'Consultation au cabinet' },
    type: [{ coding: [{ system: SNOMED, code: '11429006', display: 'Consultation' }], text: 'Consultation' }],
    subject: { reference: `Patient/${patientId}` },
    participant: [{
      type: [{ coding: [{ system: PARTICIPATION, code: 'PPRF', display: 'Médecin consulté' }] }],
      individual: { reference: `Practitioner/${practitionerId}` },
    }],
    period: { start: new Date(at.getTime() - 20 * 60_000).toISOString(), end: at.toISOString() },
    reasonCode: [{
      coding: [{ system: ICD10, code: 'I10', display: 'Hypertension essentielle' }],
      text: 'Suivi de l’hypertension artérielle, renouvellement du traitement',
    }],
  }),
};
