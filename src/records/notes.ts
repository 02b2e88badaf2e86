import { randomUUID } from 'node:crypto';
import { AccessError } from '../access/errors.js';
import type { ClinicalNote, SensitivityLabel } from '../domain/index.js';
import { isShreddedKeyError } from '../store/index.js';
import { RecordError, refusalFor } from './errors.js';
import { noteCareOf } from './facts.js';
import { visitScope } from './care-claims.js';
import { cutOf, type Audited, type Page } from './core.js';
import { PatientRecords } from './patients.js';

/** Clinical notes (DocumentReference). */
export class NoteRecords extends PatientRecords {

  async readNote(id: string): Promise<ClinicalNote> {
    const a: Audited = { action: 'read', resourceType: 'DocumentReference', resourceId: id, patientId: null };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      // The note's patient, labels, sealed body and (for a practitioner) the care fact, in one
      // statement; the body is opened only once the policy and the ledger have decided.
      const row = await this.clinical(tx).noteForDecision(id, this.principal.role === 'practitioner' ? this.principal.userId : null, this.ctx.now);
      if (!row) return { kind: 'missing' as const };
      const d = await this.noteDecision(tx, row.patientId, 'read', this.principal.role === 'practitioner' ? row.care !== null : undefined);
      if (!d.allow) return { kind: 'denied' as const, d, patientId: row.patientId };
      const care = this.noteCare(d, row.care);
      const ok = this.admit([{ patientId: row.patientId, identity: false, listed: null, notes: [id], sensitive: row.labels.length > 0 }], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal, patientId: row.patientId };
      const note = await row.open().catch((e: unknown) => {
        if (isShreddedKeyError(e)) throw new RecordError('gone');
        throw e;
      });
      await this.audit(tx, [this.event(d, { ...a, patientId: row.patientId, labels: row.labels, detail: this.careDetail([row.patientId], care) }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, note };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse({ ...a, patientId: r.patientId }, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.refuse({ ...a, patientId: r.patientId }, r.d.allow ? '' : r.d.reason, r.d.allow ? new AccessError('forbidden') : refusalFor(r.d.reason));
    return r.note;
  }

  async notesOf(patientId: string, page: { offset: number; limit: number } = { offset: 0, limit: 1_000_000 }): Promise<Page<ClinicalNote>> {
    const a: Audited = { action: 'search', resourceType: 'DocumentReference', resourceId: null, patientId };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      if (!(await this.resources(tx).patientExists(patientId))) return { kind: 'missing' as const };
      const cls = this.principal.role === 'practitioner' ? await noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now) : null;
      const d = await this.noteDecision(tx, patientId, 'search', this.principal.role === 'practitioner' ? cls !== null : undefined);
      if (!d.allow) return { kind: 'denied' as const, d };
      // Paged in SQL, counted by the ledger, and only what it admits is opened.
      const visitOf = visitScope(this.principal, d, cls, this.ctx.now);
      const found = await this.clinical(tx).sealedNotesOf(patientId, visitOf, { limit: page.limit + 1, offset: page.offset })
        .catch((e: unknown) => {
          if (isShreddedKeyError(e)) throw new RecordError('gone');
          throw e;
        });
      let sealed = found.slice(0, page.limit);
      const care = this.noteCare(d, cls);
      const ok = this.admit(sealed.map((n) => ({ patientId, identity: false, listed: null, notes: [n.id as string], sensitive: n.labels.length > 0 })), care);
      if (ok.refusal && ok.admitted === 0) return { kind: 'over' as const, refusal: ok.refusal };
      const cut = ok.admitted < sealed.length;
      sealed = sealed.slice(0, ok.admitted);
      const notes = await Promise.all(sealed.map((n) => n.open())).catch((e: unknown) => {
        if (isShreddedKeyError(e)) throw new RecordError('gone');
        throw e;
      });
      const labels = [...new Set(notes.flatMap((n) => n.labels))];
      await this.audit(tx, [this.event(d, { ...a, labels, detail: { returned: notes.map((n) => n.id), ...(cut ? { cut: true } : {}), ...this.careDetail([patientId], care) } }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, notes, more: !cut && found.length > page.limit, cut: cutOf(cut, ok.refusal) };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.refuse(a, r.d.allow ? '' : r.d.reason, r.d.allow ? new AccessError('forbidden') : refusalFor(r.d.reason));
    return { items: r.notes, more: r.more, ...r.cut };
  }

  async createNote(patientId: string, text: string, labels: readonly SensitivityLabel[]): Promise<ClinicalNote> {
    const id = randomUUID();
    const a: Audited = { action: 'create', resourceType: 'DocumentReference', resourceId: id, patientId, labels };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      if (!(await this.resources(tx).patientExists(patientId, true))) return { kind: 'missing' as const };
      const cls = this.principal.role === 'practitioner' ? await noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now) : null;
      const d = await this.noteDecision(tx, patientId, 'create', this.principal.role === 'practitioner' ? cls !== null : undefined);
      if (!d.allow) return { kind: 'denied' as const, d };
      const note: ClinicalNote = { id, practiceId: this.practiceId, patientId, authorId: this.principal.userId, writtenAt: this.ctx.now, text, labels };
      await this.clinical(tx).insertNotes([note]);
      await this.audit(tx, [this.event(d, a, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, note };
    });
    if (r.kind === 'missing') return this.refuse(a, 'patient not found in the practice', new RecordError('not_found'));
    if (r.kind === 'denied') return this.refuse(a, r.d.allow ? '' : r.d.reason, r.d.allow ? new AccessError('forbidden') : refusalFor(r.d.reason));
    return r.note;
  }

}
