import { randomUUID } from 'node:crypto';
import type { Appointment, CareRelationship, ClinicalNote } from '../domain/index.js';

/**
 * What a demo patient with a portal account finds there: her doctor (her declared treating
 * doctor, or one is declared), a visit three weeks ago and one next week, the letter her doctor
 * wrote after the visit and shared with her, and the doctor's working note, not shared — so the
 * portal shows something real, and shows that what is not shared stays out of it.
 */
export interface PortalContent {
  readonly care: CareRelationship[];
  readonly appointments: Appointment[];
  readonly notes: ClinicalNote[];
  /** The notes to mark shared with the patient once written. */
  readonly shared: string[];
}

const DAY = 86_400_000;

/** A time of day on the day `days` from `now` (UTC hours: 08:30 UTC is 09:30 or 10:30 in Paris). */
function dayAt(now: Date, days: number, hour: number, minute: number): Date {
  const d = new Date(now.getTime() + days * DAY);
  d.setUTCHours(hour, minute, 0, 0);
  return d;
}

export function portalContent(
  practiceId: string, patientId: string, practitionerId: string, declared: boolean, now: Date,
): PortalContent {
  const past = dayAt(now, -21, 8, 30);
  const next = dayAt(now, 6, 9, 0);
  const visit = (start: Date, status: Appointment['status']): Appointment => ({
    id: randomUUID(), practiceId, patientId, practitionerId, start, end: new Date(start.getTime() + 20 * 60_000),
    status, kind: 'consultation',
  });
  const writtenAt = new Date(past.getTime() + 40 * 60_000);
  const letter: ClinicalNote = {
    id: randomUUID(), practiceId, patientId, authorId: practitionerId, writtenAt, labels: [], status: 'current',
    kind: 'letter', title: 'Compte rendu de consultation',
    text: 'Consultation de suivi. Tension artérielle 128/82 mmHg, examen clinique sans particularité. '
      + 'Poursuite du traitement habituel. Bilan sanguin à faire avant le prochain rendez-vous.',
  };
  const working: ClinicalNote = {
    id: randomUUID(), practiceId, patientId, authorId: practitionerId, writtenAt: new Date(writtenAt.getTime() + 60_000),
    labels: [], status: 'current', kind: 'progress-note',
    text: 'Note de travail : hypothèse à confirmer au prochain bilan, ne pas communiquer avant les résultats.',
  };
  const care: CareRelationship[] = declared ? [] : [{
    id: randomUUID(), practiceId, patientId, practitionerId, kind: 'treating',
    startsAt: new Date(now.getTime() - 365 * DAY), endsAt: null, appointmentId: null,
  }];
  return {
    care, appointments: [visit(past, 'fulfilled'), visit(next, 'booked')], notes: [letter, working], shared: [letter.id],
  };
}
