import type { Id } from './ids.js';

export const APPOINTMENT_STATUSES = ['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export type AppointmentKind = 'consultation' | 'home-visit' | 'teleconsultation';

export interface Appointment {
  readonly id: Id;
  readonly practiceId: Id;
  readonly patientId: Id;
  readonly practitionerId: Id;
  readonly start: Date;
  readonly end: Date;
  readonly status: AppointmentStatus;
  readonly kind: AppointmentKind;
  /** The practice's visit type it was booked as (admin.visit_types), if any. */
  readonly visitTypeId?: Id | null;
  /** Why it was cancelled: a code of HL7's appointment-cancellation-reason (never free text). */
  readonly cancelReason?: string | null;
  /** Its version (1 when booked, one more at each change) and when it was written, as read back. */
  readonly version?: number;
  readonly updatedAt?: Date;
}

/** Consultation lengths from DREES (2019): 18 min in the office, 37 min at home. */
export const TYPICAL_MINUTES: Record<AppointmentKind, number> = {
  consultation: 18,
  'home-visit': 37,
  teleconsultation: 15,
};
