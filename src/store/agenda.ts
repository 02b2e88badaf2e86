import type { Appointment, Id } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';

/** A kind of visit the practice books: its name, length and colour on the agenda (no patient in it). */
export interface VisitType {
  readonly id: Id;
  readonly label: string;
  readonly minutes: number;
  readonly colour: string;
  readonly kind: 'consultation' | 'home-visit' | 'teleconsultation';
  readonly active: boolean;
}

/** Opening hours of one weekday (1 = Monday … 7 = Sunday), local time "HH:MM". */
export interface OpeningHours {
  readonly practitionerId: Id | null;
  readonly weekday: number;
  readonly opens: string;
  readonly closes: string;
}

export interface Absence {
  readonly id: Id;
  readonly practitionerId: Id;
  readonly start: Date;
  readonly end: Date;
}

/** One stored version of an appointment (the database writes one at each change). */
export interface AppointmentVersion {
  readonly version: number;
  readonly practitionerId: Id;
  readonly start: Date;
  readonly end: Date;
  readonly status: string;
  readonly visitTypeId: Id | null;
  readonly cancelReason: string | null;
  readonly changedBy: Id | null;
  readonly changedAt: Date;
}

/** The statuses that hold a practitioner's time: a cancelled or missed visit frees its slot. */
const HOLDING = `status IN ('booked', 'arrived', 'fulfilled')`;

const hhmm = (t: string): string => t.slice(0, 5);

/**
 * The practice's agenda settings and the checks a booking passes: visit types, opening hours,
 * absences, overlaps. Only in an admin-scoped transaction of one practice (RLS holds it there too).
 */
export class AgendaRepository {
  constructor(private readonly tx: Tx) {
    if (tx.scope.role !== 'admin' || tx.scope.practiceId === null) {
      throw new SegmentError('the agenda needs an admin-scoped transaction with a practice');
    }
  }

  private get practiceId(): Id {
    return this.tx.scope.practiceId as Id;
  }

  async visitTypes(): Promise<VisitType[]> {
    const r = await this.tx.query<{
      id: string; label: string; minutes: number; colour: string; kind: VisitType['kind']; active: boolean;
    }>(
      `SELECT id, label, minutes, colour, kind, active FROM admin.visit_types
        WHERE practice_id = $1 ORDER BY position, label, id`,
      [this.practiceId],
    );
    return r.rows.map((x) => ({ ...x, minutes: Number(x.minutes) }));
  }

  /** Writes the practice's visit types in this order; a type left out is kept but no longer offered. */
  async saveVisitTypes(types: readonly VisitType[]): Promise<void> {
    await this.tx.query(
      'UPDATE admin.visit_types SET active = false WHERE practice_id = $1 AND NOT (id = ANY($2::uuid[]))',
      [this.practiceId, types.map((t) => t.id)],
    );
    let position = 0;
    for (const t of types) {
      await this.tx.query(
        `INSERT INTO admin.visit_types (practice_id, id, label, minutes, colour, kind, active, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (practice_id, id) DO UPDATE SET label = EXCLUDED.label, minutes = EXCLUDED.minutes,
           colour = EXCLUDED.colour, kind = EXCLUDED.kind, active = EXCLUDED.active, position = EXCLUDED.position`,
        [this.practiceId, t.id, t.label, t.minutes, t.colour, t.kind, t.active, position++],
      );
    }
  }

  async openingHours(): Promise<OpeningHours[]> {
    const r = await this.tx.query<{ practitioner_id: string | null; weekday: number; opens: string; closes: string }>(
      `SELECT practitioner_id, weekday, opens::text AS opens, closes::text AS closes FROM admin.opening_hours
        WHERE practice_id = $1 ORDER BY practitioner_id NULLS FIRST, weekday, opens`,
      [this.practiceId],
    );
    return r.rows.map((x) => ({
      practitionerId: x.practitioner_id, weekday: Number(x.weekday), opens: hhmm(x.opens), closes: hhmm(x.closes),
    }));
  }

  /** Replaces the hours of the practice (`practitionerId` null) or of one practitioner. */
  async setOpeningHours(
    practitionerId: Id | null, hours: readonly Omit<OpeningHours, 'practitionerId'>[],
  ): Promise<void> {
    await this.tx.query(
      'DELETE FROM admin.opening_hours WHERE practice_id = $1 AND practitioner_id IS NOT DISTINCT FROM $2::uuid',
      [this.practiceId, practitionerId],
    );
    for (const h of hours) {
      await this.tx.query(
        `INSERT INTO admin.opening_hours (practice_id, practitioner_id, weekday, opens, closes)
           VALUES ($1, $2, $3, $4::time, $5::time)`,
        [this.practiceId, practitionerId, h.weekday, h.opens, h.closes],
      );
    }
  }

  async absences(from: Date, to: Date): Promise<Absence[]> {
    const r = await this.tx.query<{ id: string; practitioner_id: string; starts_at: Date; ends_at: Date }>(
      `SELECT id, practitioner_id, starts_at, ends_at FROM admin.absences
        WHERE practice_id = $1 AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at, id`,
      [this.practiceId, from.toISOString(), to.toISOString()],
    );
    return r.rows.map((x) => ({
      id: x.id, practitionerId: x.practitioner_id, start: new Date(x.starts_at), end: new Date(x.ends_at),
    }));
  }

  async addAbsence(a: Absence, by: Id): Promise<void> {
    await this.tx.query(
      `INSERT INTO admin.absences (practice_id, id, practitioner_id, starts_at, ends_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)`,
      [this.practiceId, a.id, a.practitionerId, a.start.toISOString(), a.end.toISOString(), by],
    );
  }

  async removeAbsence(id: Id): Promise<boolean> {
    const r = await this.tx.query(
      'DELETE FROM admin.absences WHERE practice_id = $1 AND id = $2', [this.practiceId, id],
    );
    return r.rowCount > 0;
  }

  /**
   * Holds the practitioner's agenda until the transaction ends: two bookings of the same slot sent
   * at once are checked one after the other, so the second sees the first.
   */
  async lockPractitioner(practitionerId: Id): Promise<void> {
    await this.tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7)) AS ok', [`agenda|${practitionerId}`]);
  }

  /** The practitioner's appointments that hold time in [start, end), other than `exceptId`. */
  async overlapping(
    practitionerId: Id, start: Date, end: Date, exceptId: Id | null,
  ): Promise<{ start: Date; end: Date }[]> {
    const r = await this.tx.query<{ starts_at: Date; ends_at: Date }>(
      `SELECT starts_at, ends_at FROM admin.appointments
        WHERE practice_id = $1 AND practitioner_id = $2 AND ${HOLDING}
          AND starts_at < $4 AND ends_at > $3 AND ($5::uuid IS NULL OR id <> $5::uuid)
        ORDER BY starts_at LIMIT 5`,
      [this.practiceId, practitionerId, start.toISOString(), end.toISOString(), exceptId],
    );
    return r.rows.map((x) => ({ start: new Date(x.starts_at), end: new Date(x.ends_at) }));
  }

  /** An appointment's place in the agenda now (null: none such in the practice). */
  async current(id: Id): Promise<{ practitionerId: Id; start: Date; end: Date; status: Appointment['status'] } | null> {
    type Row = { practitioner_id: string; starts_at: Date; ends_at: Date; status: Appointment['status'] };
    const r = await this.tx.query<Row>(
      'SELECT practitioner_id, starts_at, ends_at, status FROM admin.appointments WHERE practice_id = $1 AND id = $2',
      [this.practiceId, id],
    );
    const x = r.rows[0];
    if (!x) return null;
    const [start, end] = [new Date(x.starts_at), new Date(x.ends_at)];
    return { practitionerId: x.practitioner_id, start, end, status: x.status };
  }

  /** Every version of an appointment, newest first. */
  async versions(id: Id): Promise<AppointmentVersion[]> {
    const r = await this.tx.query<{
      version: number; practitioner_id: string; starts_at: Date; ends_at: Date; status: string;
      visit_type_id: string | null; cancel_reason: string | null; changed_by: string | null; changed_at: Date;
    }>(
      `SELECT version, practitioner_id, starts_at, ends_at, status, visit_type_id, cancel_reason, changed_by, changed_at
         FROM admin.appointment_versions WHERE practice_id = $1 AND id = $2 ORDER BY version DESC`,
      [this.practiceId, id],
    );
    return r.rows.map((x) => ({
      version: Number(x.version), practitionerId: x.practitioner_id, start: new Date(x.starts_at),
      end: new Date(x.ends_at), status: x.status, visitTypeId: x.visit_type_id, cancelReason: x.cancel_reason,
      changedBy: x.changed_by, changedAt: new Date(x.changed_at),
    }));
  }
}
