import type { Id } from './ids.js';

/**
 * Why a practitioner may read a patient's clinical record.
 * - `treating`: the patient declared the practitioner as médecin traitant (open-ended).
 * - `appointment`: an appointment opens a window around itself, for preparing the visit and
 *   writing it up afterwards.
 */
export type CareRelationshipKind = 'treating' | 'appointment';

export interface CareRelationship {
  readonly id: Id;
  readonly practiceId: Id;
  readonly patientId: Id;
  readonly practitionerId: Id;
  readonly kind: CareRelationshipKind;
  readonly startsAt: Date;
  /** null = open-ended (treating doctor until the declaration ends). */
  readonly endsAt: Date | null;
  /** For `appointment`: the appointment that opened it. */
  readonly appointmentId: Id | null;
}

/**
 * When a relationship explains an access is decided in one place only: the store's SQL
 * (src/store/care.ts `careClassSql`, read by src/records/facts.ts). This module holds the shape of
 * a relationship as seeded and imported, nothing that decides.
 */
