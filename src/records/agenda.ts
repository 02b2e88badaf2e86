import { randomUUID } from 'node:crypto';
import { decide, type Decision } from '../access/index.js';
import type { Appointment } from '../domain/index.js';
import type { Tx } from '../store/index.js';
import {
  AgendaRepository, type Absence, type AppointmentVersion, type OpeningHours, type VisitType,
} from '../store/agenda.js';
import { RecordError, refusalFor } from './errors.js';
import { NO_FACTS, type Audited } from './core.js';
import { NoteRecords } from './notes.js';

export type { Absence, AppointmentVersion, OpeningHours, VisitType } from '../store/agenda.js';

/** The practice's local time: French practices (overseas departments would need their own zone). */
export const PRACTICE_TIME_ZONE = 'Europe/Paris';

/** How late a booking may start and still be a booking rather than a visit recorded afterwards. */
const PAST_GRACE_MS = 15 * 60_000;
/** How early a visit may be marked arrived, seen or missed. */
const STATUS_AHEAD_MS = 60 * 60_000;
/**
 * The longest visit: a day's consultation or a long home visit, never more. A visit of days or a
 * year would show on every day of the agenda between, and is nothing a practice books.
 */
const LONGEST_VISIT_MS = 12 * 60 * 60_000;

/** One weekday's hours, for the practice or one practitioner. */
type WeekdayHours = Omit<OpeningHours, 'practitionerId'>;

export interface AgendaSettings {
  readonly visitTypes: VisitType[];
  readonly hours: OpeningHours[];
  readonly absences: Absence[];
}

/** An appointment's state before a change (none: a new booking). */
export interface BookingBefore {
  readonly practitionerId: string;
  readonly start: Date;
  readonly end: Date;
  readonly status: Appointment['status'];
}

const local = new Intl.DateTimeFormat('en-GB', {
  timeZone: PRACTICE_TIME_ZONE, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  year: 'numeric', month: '2-digit', day: '2-digit',
});
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** A moment as the practice's wall clock reads it: ISO weekday, date and "HH:MM". */
export function wallClock(at: Date): { weekday: number; day: string; time: string } {
  const parts = Object.fromEntries(local.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    weekday: WEEKDAYS[parts.weekday as string] ?? 0,
    day: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
  };
}

const hhmm = (at: Date): string => wallClock(at).time;
/** Whether a status says what became of the visit (arrived, seen, missed): only near its time. */
const marksAttendance = (s: Appointment['status']): boolean => s !== 'booked' && s !== 'cancelled';
const holds = (s: Appointment['status']): boolean => s === 'booked' || s === 'arrived' || s === 'fulfilled';

/**
 * The agenda's settings (visit types, opening hours, absences: set by the practice admin, read by
 * the practice's staff) and the rules a booking meets: no overlap with the practitioner's other
 * visits, not in the past (a practitioner records a visit that happened as `fulfilled`), inside the
 * opening hours when the practice has set them, not during an absence. Refusals say why in French.
 */
export class AgendaRecords extends NoteRecords {
  protected agendaOf(tx: Tx): AgendaRepository {
    return new AgendaRepository(tx);
  }

  private schedule(action: 'read' | 'update'): Decision {
    return decide(this.principal, action, { type: 'Schedule', practiceId: this.principal.practiceId }, NO_FACTS);
  }

  private async settingsWrite(part: string, work: (repo: AgendaRepository, tx: Tx) => Promise<boolean>): Promise<void> {
    const a: Audited & { resourceType: 'Schedule' } = {
      action: 'update', resourceType: 'Schedule', resourceId: null, patientId: null, detail: { part },
    };
    const d = this.schedule('update');
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const ok = await this.run('admin', async (tx) => {
      if (!(await work(this.agendaOf(tx), tx))) return false;
      await this.audit(tx, [this.event(d, a, 'success', d.reason, 'admin')]);
      return true;
    });
    if (!ok) return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
  }

  /** Visit types, opening hours and the absences of [from, to). */
  async agendaSettings(from: Date, to: Date): Promise<AgendaSettings> {
    const d = this.schedule('read');
    if (!d.allow) throw refusalFor(d.reason);
    return this.run('admin', async (tx) => {
      const repo = this.agendaOf(tx);
      const visitTypes = await repo.visitTypes();
      const hours = await repo.openingHours();
      return { visitTypes, hours, absences: await repo.absences(from, to) };
    }, 'read');
  }

  saveVisitTypes(types: readonly VisitType[]): Promise<void> {
    return this.settingsWrite('visit-types', async (repo) => {
      await repo.saveVisitTypes(types);
      return true;
    });
  }

  /** The practice's hours (`practitionerId` null) or one practitioner's own. */
  setOpeningHours(practitionerId: string | null, hours: readonly WeekdayHours[]): Promise<void> {
    return this.settingsWrite('opening-hours', async (repo, tx) => {
      if (practitionerId !== null && !(await this.isPractitioner(tx, practitionerId))) return false;
      await repo.setOpeningHours(practitionerId, hours);
      return true;
    });
  }

  async addAbsence(a: { practitionerId: string; start: Date; end: Date }): Promise<Absence> {
    const absence = { ...a, id: randomUUID() };
    await this.settingsWrite('absence', async (repo, tx) => {
      if (!(await this.isPractitioner(tx, a.practitionerId))) return false;
      await repo.addAbsence(absence, this.principal.userId);
      return true;
    });
    return absence;
  }

  removeAbsence(id: string): Promise<void> {
    return this.settingsWrite('absence', (repo) => repo.removeAbsence(id));
  }

  private async isPractitioner(tx: Tx, id: string): Promise<boolean> {
    return (await this.admin(tx).users()).some((u) => u.id === id && u.role === 'practitioner');
  }

  /**
   * What keeps a booking (or a change of one) out of the agenda, in French; empty when it fits.
   * Called in the booking's transaction, with the practitioner's agenda held (`lockPractitioner`):
   * two bookings of one slot sent at once are checked one after the other.
   */
  protected async bookingProblems(
    tx: Tx, next: Appointment, before: BookingBefore | null,
  ): Promise<string[]> {
    const repo = this.agendaOf(tx);
    const now = this.ctx.now.getTime();
    const problems: string[] = [];
    // Placed: the visit takes a start in the practitioner's agenda (booked, re-booked after a
    // cancellation, moved to another time or practitioner). Only that can be "in the past": a visit
    // under way that runs late is lengthened, not booked again.
    const placed = before === null || before.practitionerId !== next.practitionerId
      || before.start.getTime() !== next.start.getTime() || (!holds(before.status) && holds(next.status));
    const moved = placed || (before !== null && before.end.getTime() !== next.end.getTime());
    if (moved && next.end.getTime() - next.start.getTime() > LONGEST_VISIT_MS) {
      problems.push('un rendez-vous dure au plus 12 heures');
    }
    // A visit enters the agenda booked (or arrived, or seen when a doctor records it afterwards):
    // "missed" and "cancelled" say what became of a visit that was booked, and such a visit takes no
    // time, so a new one of them would skip every check of the agenda.
    if (before === null && !holds(next.status)) {
      problems.push('un rendez-vous est d’abord pris, puis marqué absent ou annulé');
    } else if (marksAttendance(next.status) && next.start.getTime() > now + STATUS_AHEAD_MS) {
      problems.push('un rendez-vous à venir ne peut pas encore être marqué arrivé, vu ou absent');
    }
    if (next.visitTypeId) {
      const known = (await repo.visitTypes()).find((t) => t.id === next.visitTypeId);
      if (!known || (!known.active && before === null)) {
        problems.push('ce type de consultation n’existe pas au cabinet');
      }
    }
    if (!moved || !holds(next.status)) return problems;
    // A visit that happened, recorded afterwards by a practitioner: the past is its place.
    const recorded = next.status === 'fulfilled' && this.principal.role === 'practitioner';
    if (!recorded && placed && next.start.getTime() < now - PAST_GRACE_MS) {
      problems.push('ce créneau est passé : un médecin enregistre une consultation passée comme « vue »');
    }
    await repo.lockPractitioner(next.practitionerId);
    const clash = await repo.overlapping(next.practitionerId, next.start, next.end, before ? next.id : null);
    if (clash[0]) {
      const other = `${hhmm(clash[0].start)}–${hhmm(clash[0].end)}`;
      problems.push(`ce créneau chevauche un autre rendez-vous du médecin (${other})`);
    }
    if (recorded) return problems;
    const away = (await repo.absences(next.start, next.end)).find((x) => x.practitionerId === next.practitionerId);
    if (away) problems.push('le médecin est absent à ce moment');
    if (next.kind !== 'home-visit' && !fitsHours(await repo.openingHours(), next)) {
      problems.push('ce créneau est en dehors des heures d’ouverture');
    }
    return problems;
  }

  /** Every version of an appointment, newest first: who moved, cancelled or marked it, and when. */
  protected appointmentVersionsIn(tx: Tx, id: string): Promise<AppointmentVersion[]> {
    return this.agendaOf(tx).versions(id);
  }
}

/**
 * Whether an appointment lies inside its practitioner's opening hours (their own if they have
 * any, else the practice's) on its day. No hours set at all: the practice has not used the
 * feature, and every time is open.
 */
export function fitsHours(
  all: readonly OpeningHours[], a: Pick<Appointment, 'practitionerId' | 'start' | 'end'>,
): boolean {
  const own = all.filter((h) => h.practitionerId === a.practitionerId);
  const hours = own.length > 0 ? own : all.filter((h) => h.practitionerId === null);
  if (hours.length === 0) return true;
  const from = wallClock(a.start);
  const to = wallClock(new Date(a.end.getTime() - 1));
  if (from.day !== to.day) return false;
  const last = to.time;
  return hours.some((h) => h.weekday === from.weekday && h.opens <= from.time && last < h.closes);
}
