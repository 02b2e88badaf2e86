import { randomUUID } from 'node:crypto';
import { decide, type Resource } from '../access/index.js';
import type { Appointment } from '../domain/index.js';
import { RecordError, refusalFor } from './errors.js';
import { listingOf, namedBy, nearCalendar } from './calendar.js';
import { NO_FACTS, type Audited, type Page } from './core.js';
import { AgendaRecords, type AppointmentVersion } from './agenda.js';

/** The whole calendar, from the epoch to the end of time: where an appointment is found by its id. */
const ALL_TIME = { from: new Date(0), to: new Date('9999-12-31T00:00:00Z') };

/** An appointment as booked or moved: its id only when it already exists. */
interface AppointmentInput {
  id?: string; patientId: string; practitionerId: string; start: Date; end: Date;
  status: Appointment['status']; kind: Appointment['kind'];
  visitTypeId?: string | null; cancelReason?: string | null;
}

/** The calendar: appointments read, listed and booked. */
export class AppointmentRecords extends AgendaRecords {
  // ─── appointments ────────────────────────────────────────────────────────────────────────
  async readAppointment(id: string): Promise<Appointment> {
    const a: Audited = { action: 'read', resourceType: 'Appointment', resourceId: id, patientId: null };
    const r = await this.run('admin', async (tx) => {
      const patientOf = await this.admin(tx).appointmentPatient(id);
      if (patientOf === null) return null;
      const found = { patient_id: patientOf };
      const d = decide(this.principal, 'read', this.appointmentResource(found.patient_id), NO_FACTS);
      if (!d.allow) return { d, patientId: found.patient_id };
      const ofPatient = await this.admin(tx).appointments({ patientId: found.patient_id, ...ALL_TIME });
      const appt = ofPatient.find((x) => x.id === id)!;
      const care = await this.careFor(tx, [found.patient_id]);
      // An appointment beyond the near calendar names its patient like a listing does (calendar.ts).
      const listing = listingOf(this.principal, appt, nearCalendar(this.ctx.now));
      const pid = found.patient_id;
      const calendar = listing === null ? {} : { [listing === 'own' ? 'calendarOwn' : 'calendarOthers']: [pid] };
      if (listing !== null) {
        const named = { patientId: pid, identity: false, listed: null, notes: [], sensitive: false };
        const ok = this.admit([{ ...named, calendarListing: listing }], care);
        if (ok.refusal) return { d, patientId: pid, refusal: ok.refusal };
      }
      const detail = { ...calendar, ...this.careDetail([pid], care) };
      await this.audit(tx, [this.event(d, { ...a, patientId: pid, detail }, 'success', d.reason, 'admin')]);
      return { d, appt, patientId: found.patient_id };
    }, 'read');
    if (r === null) return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if ('refusal' in r && r.refusal) {
      return this.refuse({ ...a, patientId: r.patientId }, 'disclosure budget reached', r.refusal);
    }
    if (!r.d.allow || !('appt' in r) || r.appt === undefined) {
      return this.refuse({ ...a, patientId: r.patientId }, r.d.allow ? '' : r.d.reason, new RecordError('not_found'));
    }
    return r.appt;
  }

  /**
   * A page of appointments. Each names its patient: beyond the account's near calendar the page is
   * a listing of who is a patient, counted by the ledger per distinct patient (calendar.ts); a page
   * is cut to what the budgets leave, and none left refuses the search. `excluded`: FHIR `ne` dates.
   */
  async searchAppointments(q: {
    patientId?: string; practitionerId?: string; from: Date; to: Date; excluded?: readonly { from: Date; to: Date }[];
    limit: number; offset: number;
  }): Promise<Page<Appointment>> {
    const patientId = this.principal.role === 'patient' ? (this.principal.patientId as string) : q.patientId;
    const othersAsked = q.patientId !== undefined && q.patientId !== patientId;
    if (this.principal.role === 'patient' && othersAsked) return { items: [], more: false };
    const whose = patientId ?? null;
    const a: Audited = { action: 'search', resourceType: 'Appointment', resourceId: null, patientId: whose };
    const d = decide(this.principal, 'search', this.appointmentResource(whose), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const r = await this.run('admin', async (tx) => {
      const filter = {
        ...(patientId ? { patientId } : {}), ...(q.practitionerId ? { practitionerId: q.practitionerId } : {}),
        from: q.from, to: q.to,
      };
      const excluded = q.excluded ?? [];
      const outside = (x: Appointment) => !excluded.some((e) => x.start >= e.from && x.start < e.to);
      const all = (await this.admin(tx).appointments(filter)).filter(outside);
      let page = all.slice(q.offset, q.offset + q.limit);
      const named = namedBy(this.principal, page, this.ctx.now);
      const care = await this.careFor(tx, named.map((n) => n.patientId));
      const ok = this.admit(named.map((n) => ({
        patientId: n.patientId, identity: false, listed: null, notes: [], sensitive: false,
        ...(n.listing ? { calendarListing: n.listing } : {}),
      })), care);
      if (ok.refusal && ok.admitted === 0 && named.length > 0) return { kind: 'over' as const, refusal: ok.refusal };
      // The page is cut before the first appointment of the first patient the budgets do not leave.
      const admitted = new Set(named.slice(0, ok.admitted).map((n) => n.patientId));
      const cut = ok.admitted < named.length;
      if (cut) page = page.slice(0, page.findIndex((x) => !admitted.has(x.patientId)));
      const returned = [...new Set(page.map((x) => x.patientId))];
      const listed = (l: string) =>
        named.filter((n) => n.listing === l && admitted.has(n.patientId)).map((n) => n.patientId);
      const calendar = { calendarOwn: listed('own'), calendarOthers: listed('others') };
      const detail = { returned, ...calendar, ...(cut ? { cut: true } : {}), ...this.careDetail(returned, care) };
      await this.audit(tx, [this.event(d, { ...a, detail }, 'success', d.reason, 'admin')]);
      const more = !cut && all.length > q.offset + q.limit;
      return { kind: 'ok' as const, page: { items: page, more, ...(cut ? { cut: true } : {}) } };
    }, 'read');
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return r.page;
  }

  /**
   * Books an appointment, or changes one (moves, cancels, marks it arrived, seen or missed). The
   * agenda's rules are checked in the same transaction, the practitioner's agenda held
   * (agenda.ts); a refusal says why in French (409). The database keeps every version.
   */
  async saveAppointment(input: AppointmentInput, expected: number | null = null): Promise<Appointment> {
    const id = input.id ?? randomUUID();
    const action = input.id ? 'update' : 'create';
    const a: Audited = { action, resourceType: 'Appointment', resourceId: id, patientId: input.patientId };
    const d = decide(this.principal, action, this.appointmentResource(input.patientId), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    // A cancellation says why (HL7 appointment-cancellation-reason); a client that does not: "other".
    const cancelReason = input.status === 'cancelled' ? (input.cancelReason ?? 'other') : null;
    const appt: Appointment = { ...input, id, practiceId: this.practiceId, cancelReason };
    const r = await this.run('admin', async (tx) => {
      if (!(await this.admin(tx).bookable(input.patientId, input.practitionerId))) return { kind: 'missing' as const };
      const before = input.id ? await this.agendaOf(tx).current(input.id) : null;
      if (input.id && !before) return { kind: 'missing' as const };
      const problems = await this.bookingProblems(tx, appt, before);
      if (problems.length > 0) return { kind: 'refused' as const, problems };
      const booked = { by: this.principal.userId, at: this.ctx.now };
      let version = 1;
      if (input.id) {
        const written = await this.admin(tx).updateAppointment(appt, booked.by, booked.at, expected);
        // It was there (`before`): another version than If-Match named.
        if (written === null) throw new RecordError('version_conflict');
        version = written;
      } else {
        await this.admin(tx).insertAppointments([appt], booked);
      }
      await this.audit(tx, [this.event(d, a, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, version };
    });
    if (r.kind === 'missing') {
      const missing = 'patient, practitioner or appointment not found in the practice';
      return this.refuse(a, missing, new RecordError('not_found'));
    }
    if (r.kind === 'refused') return this.refuse(a, 'the agenda cannot take it', new RecordError('agenda', r.problems));
    return { ...appt, version: r.version, updatedAt: this.ctx.now };
  }

  /** Every version of one appointment, newest first, read as the appointment is (policy, ledger, audit). */
  async appointmentHistory(id: string): Promise<{ appointment: Appointment; versions: AppointmentVersion[] }> {
    const appointment = await this.readAppointment(id);
    const versions = await this.run('admin', (tx) => this.appointmentVersionsIn(tx, id), 'read');
    return { appointment, versions };
  }

  /** An appointment of the patient (or of none: a search of the practice's calendar), as the policy sees it. */
  private appointmentResource(patientId: string | null): Resource {
    return { type: 'Appointment', practiceId: this.principal.practiceId, patientId };
  }

}
