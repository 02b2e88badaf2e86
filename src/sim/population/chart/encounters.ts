import type { AppointmentKind } from '../../../domain/index.js';
import type { Json } from '../../../resources/index.js';
import { listedLabel } from './codes.js';
import { ENCOUNTER_CLASS, ICD10, SNOMED } from './systems.js';

/**
 * A fulfilled visit of the calendar and what its note was about, and what that reason means for
 * the chart: its CIM-10 code (the problems list's where there is one), the problem it shows the
 * patient has (a follow-up of hypertension is a hypertensive's), and what is prescribed or given.
 */
export interface Visit {
  readonly appointmentId: string;
  readonly patientId: string;
  readonly practitionerId: string;
  readonly start: Date;
  readonly end: Date;
  readonly kind: AppointmentKind;
  readonly motif: string;
}

/** A short treatment a reason calls for (its line in treatments.ts). */
export type Acute = 'antibiotic' | 'child-antibiotic' | 'analgesic' | 'dermocorticoid' | 'doxycycline';

export interface Reason {
  readonly code: string | null;
  readonly text: string;
  /** The problem the visit shows, added to the list if it is not there. */
  readonly problem?: string;
  /** The standing treatments are renewed at this visit. */
  readonly renews?: boolean;
  readonly acute?: Acute;
  /** A vaccine is given. */
  readonly vaccinates?: boolean;
}

/** The reasons of notes.ts, by motif. */
export const REASONS: Readonly<Record<string, Reason>> = {
  'rhinopharyngite': { code: 'J06.9', text: 'Rhinopharyngite aiguë', acute: 'analgesic' },
  'angine': { code: 'J02.9', text: 'Angine', acute: 'antibiotic' },
  'otite': { code: 'H66.9', text: 'Otite moyenne aiguë', acute: 'child-antibiotic' },
  'gastro-entérite': { code: 'A09.9', text: 'Gastro-entérite aiguë' },
  'lombalgie': { code: 'M54.5', text: 'Lombalgie aiguë', acute: 'analgesic' },
  'suivi HTA': { code: 'I10', text: 'Suivi de l’hypertension artérielle', problem: 'I10', renews: true },
  'suivi diabète de type 2': { code: 'E11', text: 'Suivi du diabète de type 2', problem: 'E11', renews: true },
  'renouvellement d\'ordonnance': { code: 'Z76.0', text: 'Renouvellement d’ordonnance', renews: true },
  'vaccination': { code: null, text: 'Vaccination', vaccinates: true },
  'certificat de non contre-indication au sport': {
    code: 'Z02.5', text: 'Certificat de non contre-indication au sport',
  },
  'bronchite aiguë': { code: 'J20.9', text: 'Bronchite aiguë' },
  'entorse de cheville': { code: 'S93.4', text: 'Entorse de cheville', acute: 'analgesic' },
  'conjonctivite': { code: 'H10.9', text: 'Conjonctivite' },
  'eczéma': { code: 'L20', text: 'Poussée de dermatite atopique', problem: 'L20', acute: 'dermocorticoid' },
  'insomnie': { code: 'G47.0', text: 'Insomnie' },
  'suivi infection VIH': { code: 'Z21', text: 'Suivi de l’infection par le VIH', problem: 'Z21', renews: true },
  'épisode dépressif': { code: 'F32', text: 'Épisode dépressif', problem: 'F32' },
  'consommation d\'alcool': { code: 'F10.2', text: 'Trouble de l’usage de l’alcool', problem: 'F10.2' },
  'traitement de substitution aux opiacés': {
    code: 'F11.2', text: 'Traitement de substitution aux opiacés', problem: 'F11.2', renews: true,
  },
  'dépistage IST': { code: 'A56', text: 'Dépistage des infections sexuellement transmissibles', acute: 'doxycycline' },
  'contraception et orientation sexuelle': { code: 'Z30.0', text: 'Contraception et santé sexuelle' },
  'violences conjugales': { code: 'T74.1', text: 'Violences conjugales' },
};

export function reasonOf(motif: string): Reason {
  return REASONS[motif] ?? { code: null, text: motif };
}

const CLASSES: Record<AppointmentKind, readonly [string, string]> = {
  'consultation': ['AMB', 'Consultation au cabinet'],
  'home-visit': ['HH', 'Visite à domicile'],
  'teleconsultation': ['VR', 'Téléconsultation'],
};
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

/** The consultation: its mode, its practitioner, its appointment and its reason. */
export function encounterResource(v: Visit): Json {
  const [cls, clsName] = CLASSES[v.kind];
  const r = reasonOf(v.motif);
  return {
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: ENCOUNTER_CLASS, code: cls, display: clsName },
    type: [{ coding: [{ system: SNOMED, code: '11429006', display: 'Consultation' }], text: clsName }],
    subject: { reference: `Patient/${v.patientId}` },
    participant: [{
      type: [{ coding: [{ system: PARTICIPATION, code: 'PPRF', display: 'Médecin consulté' }] }],
      individual: { reference: `Practitioner/${v.practitionerId}` },
    }],
    appointment: [{ reference: `Appointment/${v.appointmentId}` }],
    period: { start: v.start.toISOString(), end: v.end.toISOString() },
    reasonCode: [r.code
      ? { coding: [{ system: ICD10, code: r.code, display: listedLabel(r.code) ?? r.text }], text: r.text }
      : { text: r.text }],
  };
}
