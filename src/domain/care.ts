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

export interface CareWindow {
  /** How long before the appointment the chart may be opened. */
  readonly beforeMs: number;
  /** How long after the appointment it may still be opened (results, letters, write-up). */
  readonly afterMs: number;
}

/** Default window: two days before, thirty days after. Configurable per deployment. */
export const DEFAULT_CARE_WINDOW: CareWindow = { beforeMs: 2 * 86_400_000, afterMs: 30 * 86_400_000 };

export function appointmentCareSpan(start: Date, end: Date, window: CareWindow): { startsAt: Date; endsAt: Date } {
  return { startsAt: new Date(start.getTime() - window.beforeMs), endsAt: new Date(end.getTime() + window.afterMs) };
}

export function isCareRelationshipActive(rel: Pick<CareRelationship, 'startsAt' | 'endsAt'>, at: Date): boolean {
  return rel.startsAt.getTime() <= at.getTime() && (rel.endsAt === null || at.getTime() <= rel.endsAt.getTime());
}

/** Whether any of the relationships lets `practitionerId` read `patientId`'s clinical record at `at`. */
export function hasCareRelationship(
  relationships: readonly Pick<CareRelationship, 'patientId' | 'practitionerId' | 'startsAt' | 'endsAt'>[],
  practitionerId: Id,
  patientId: Id,
  at: Date,
): boolean {
  return relationships.some(
    (r) => r.practitionerId === practitionerId && r.patientId === patientId && isCareRelationshipActive(r, at),
  );
}
