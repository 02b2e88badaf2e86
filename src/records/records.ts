import { decide, type Resource } from '../access/index.js';
import type { Appointment, ClinicalNote } from '../domain/index.js';
import type { SealedResource, StoredPatient } from '../store/index.js';
import type { NoteForDecision } from '../store/clinical.js';
import { REGISTRY } from '../resources/index.js';
import { RecordError, refusalFor } from './errors.js';
import { noteCareOf } from './facts.js';
import { recordCare, visitScope } from './care-claims.js';
import { NO_FACTS, type Audited } from './core.js';
import { ResourceRecords, type OpenedResource } from './resources.js';

/**
 * The records of one request (core.ts says how each operation is decided, run, audited and
 * counted), by area: patients, notes, appointments, clinical resources, the whole record.
 */
export class Records extends ResourceRecords {
  // ─── the whole record ($everything, GDPR art. 15 and 20) ──────────────────────────────────
  async everything(patientId: string): Promise<{
    patient: StoredPatient; appointments: Appointment[]; notes: ClinicalNote[] | null; resources: OpenedResource[];
  }> {
    const a: Audited = { action: 'everything', resourceType: 'Patient', resourceId: patientId, patientId };
    const d = decide(this.principal, 'read', this.patientResource(patientId), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const theirNotes: Resource = { type: 'DocumentReference', practiceId: this.principal.practiceId, patientId };
    // The notes are listed, as a search lists them: a patient's, only those shared with her.
    const clinicalPossible = decide(this.principal, 'search', theirNotes, { ...NO_FACTS, careRelationship: true }).allow;
    const r = await this.run(clinicalPossible ? 'clinical' : 'admin', async (tx) => {
      const cls = this.principal.role === 'practitioner'
        ? await noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now)
        : null;
      const careKnown = this.principal.role === 'practitioner' ? cls !== null : undefined;
      const notesDecision = clinicalPossible ? await this.noteDecision(tx, patientId, 'search', careKnown) : null;
      const withNotes = notesDecision?.allow === true;
      // Identity and appointments are read in the admin segment, notes in the clinical one.
      if (tx.scope.role !== 'admin') await tx.enter({ role: 'admin', practiceId: this.practiceId });
      const admin = this.admin(tx);
      const patient = await admin.patient(patientId);
      if (!patient) return { kind: 'missing' as const };
      if (patient.shredded) return { kind: 'gone' as const };
      const appointments = await admin.appointments({
        patientId, from: new Date(0), to: new Date('9999-12-31T00:00:00Z'),
      });
      let sealedNotes: NoteForDecision[] | null = null;
      let sealed: SealedResource[] = [];
      if (withNotes) {
        // Notes and the registry's types, still sealed: labels opened to count, bodies after the ledger.
        await tx.enter({ role: 'clinical', practiceId: this.practiceId });
        const visitOf = visitScope(this.principal, notesDecision, cls, this.ctx.now);
        const sharedOnly = notesDecision.allow && notesDecision.only === 'shared-with-patient';
        sealedNotes = await this.clinical(tx).sealedNotesOf(patientId, visitOf, null, null, sharedOnly);
        sealed = await this.resources(tx).ofPatient(patientId, REGISTRY.modules.map((m) => m.type), visitOf);
      }
      // The whole record leaves whole or not at all: the identity, every note and resource, counted by
      // the ledger.
      const care = withNotes || this.principal.role === 'practitioner'
        ? recordCare(this.principal, withNotes ? notesDecision : null, cls)
        : await this.careFor(tx, [patientId]);
      const ids = (sealedNotes ?? []).map((n) => n.id as string);
      const sensitive = [...(sealedNotes ?? []), ...sealed].some((n) => n.labels.length > 0);
      const resourceIds = [...new Set(sealed.map((x) => x.id))];
      const ok = this.admit([{
        patientId, identity: true, listed: null, notes: ids, resources: resourceIds, sensitive,
      }], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal };
      const notes = sealedNotes === null ? null : await Promise.all(sealedNotes.map((n) => n.open()));
      const resources: OpenedResource[] = [];
      for (const x of sealed) resources.push({ ...x, body: await x.open() });
      const labels = [...new Set([...(sealedNotes ?? []), ...sealed].flatMap((n) => n.labels))];
      const byType: Record<string, string[]> = {};
      for (const x of sealed) (byType[x.type] ??= []).push(x.id);
      const detail = {
        appointments: appointments.length, ...(notes === null ? {} : { notes: ids }),
        ...(resourceIds.length > 0 ? { resources: byType } : {}), ...this.careDetail([patientId], care),
      };
      const decision = withNotes ? notesDecision : d;
      const reason = withNotes && notesDecision?.allow ? notesDecision.reason : d.reason;
      const segment = withNotes ? 'clinical' : 'admin';
      await this.audit(tx, [this.event(decision, { ...a, labels, detail }, 'success', reason, segment)]);
      return { kind: 'ok' as const, patient, appointments, notes, resources };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'gone') return this.refuse(a, 'the record was erased (crypto-shredded)', new RecordError('gone'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return { patient: r.patient, appointments: r.appointments, notes: r.notes, resources: r.resources };
  }
}
