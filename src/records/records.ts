import { decide } from '../access/index.js';
import type { Appointment, ClinicalNote } from '../domain/index.js';
import { type StoredPatient } from '../store/index.js';
import { RecordError, refusalFor } from './errors.js';
import { noteCareOf } from './facts.js';
import { recordCare, visitScope } from './care-claims.js';
import { NO_FACTS, type Audited } from './core.js';
import { ResourceRecords } from './resources.js';

/**
 * The records of one request (core.ts says how each operation is decided, run, audited and
 * counted), by area: patients, notes, appointments, clinical resources, the whole record.
 */
export class Records extends ResourceRecords {
  // ─── the whole record ($everything, GDPR art. 15 and 20) ──────────────────────────────────
  async everything(patientId: string): Promise<{ patient: StoredPatient; appointments: Appointment[]; notes: ClinicalNote[] | null }> {
    const a: Audited = { action: 'everything', resourceType: 'Patient', resourceId: patientId, patientId };
    const d = decide(this.principal, 'read', this.patientResource(patientId), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const clinicalPossible = decide(this.principal, 'read', { type: 'DocumentReference', practiceId: this.principal.practiceId, patientId }, { ...NO_FACTS, careRelationship: true }).allow;
    const r = await this.run(clinicalPossible ? 'clinical' : 'admin', async (tx) => {
      const cls = this.principal.role === 'practitioner' ? await noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now) : null;
      const notesDecision = clinicalPossible ? await this.noteDecision(tx, patientId, 'read', this.principal.role === 'practitioner' ? cls !== null : undefined) : null;
      const withNotes = notesDecision?.allow === true;
      // Identity and appointments are read in the admin segment, notes in the clinical one.
      if (tx.scope.role !== 'admin') await tx.enter({ role: 'admin', practiceId: this.practiceId });
      const admin = this.admin(tx);
      const patient = await admin.patient(patientId);
      if (!patient) return { kind: 'missing' as const };
      if (patient.shredded) return { kind: 'gone' as const };
      const appointments = await admin.appointments({ patientId, from: new Date(0), to: new Date('9999-12-31T00:00:00Z') });
      let notes: ClinicalNote[] | null = null;
      if (withNotes) {
        await tx.enter({ role: 'clinical', practiceId: this.practiceId });
        notes = await this.clinical(tx).notesOf(patientId, visitScope(this.principal, notesDecision, cls, this.ctx.now));
      }
      // The whole record leaves whole or not at all: the identity and every note, counted by the ledger.
      const care = withNotes || this.principal.role === 'practitioner' ? recordCare(this.principal, withNotes ? notesDecision : null, cls) : await this.careFor(tx, [patientId]);
      const ids = (notes ?? []).map((n) => n.id);
      const ok = this.admit([{ patientId, identity: true, listed: null, notes: ids, sensitive: (notes ?? []).some((n) => n.labels.length > 0) }], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal };
      const labels = [...new Set((notes ?? []).flatMap((n) => n.labels))];
      await this.audit(tx, [
        this.event(withNotes ? notesDecision : d, { ...a, labels, detail: { appointments: appointments.length, notes: notes === null ? null : ids, ...this.careDetail([patientId], care) } }, 'success', withNotes && notesDecision?.allow ? notesDecision.reason : d.reason, withNotes ? 'clinical' : 'admin'),
      ]);
      return { kind: 'ok' as const, patient, appointments, notes };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'gone') return this.refuse(a, 'the record was erased (crypto-shredded)', new RecordError('gone'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return { patient: r.patient, appointments: r.appointments, notes: r.notes };
  }
}
