import { randomUUID } from 'node:crypto';
import { AccessError } from '../access/errors.js';
import type { Decision } from '../access/index.js';
import type { ClinicalNote, DocumentContentType, DocumentKind, NoteStatus, SensitivityLabel } from '../domain/index.js';
import { DEFAULT_DOCUMENT_KIND, documentHash } from '../domain/index.js';
import { isShreddedKeyError, type Tx } from '../store/index.js';
import type { NotePlace } from '../store/clinical.js';
import { RecordError, refusalFor } from './errors.js';
import { noteCareOf } from './facts.js';
import { visitScope } from './care-claims.js';
import { cutOf, type Audited, type Page } from './core.js';
import { PatientRecords } from './patients.js';

/** What a new note holds besides its text and labels: its kind, title, a document, the note it amends. */
export interface NoteExtras {
  readonly kind?: DocumentKind;
  readonly title?: string | null;
  /** A document (PDF, image) in place of typed text: its format already checked against its bytes. */
  readonly document?: { readonly contentType: DocumentContentType; readonly bytes: Uint8Array } | null;
  /** The note this one amends: a current note of the same patient, written by the same author. */
  readonly replaces?: string | null;
}

/** Why a note may not be amended or withdrawn by this account, audited and thrown; null when it may. */
type NotAmendable = { reason: string; error: AccessError | RecordError } | null;

/**
 * Clinical notes and documents (DocumentReference). A note is never rewritten: it is amended by a
 * new note that replaces it, or withdrawn (entered in error), by its author only — the one whose
 * name the record shows under it.
 */
export class NoteRecords extends PatientRecords {

  /** A note whole: its text, or its document with the bytes (also what `$content` and `Binary` serve). */
  async readNote(id: string): Promise<ClinicalNote> {
    const a: Audited = { action: 'read', resourceType: 'DocumentReference', resourceId: id, patientId: null };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      // The note's patient, labels, sealed body and (for a practitioner) the care fact, in one
      // statement; the body is opened only once the policy and the ledger have decided.
      const reader = this.principal.role === 'practitioner' ? this.principal.userId : null;
      const row = await this.clinical(tx).noteForDecision(id, reader, this.ctx.now, { whole: true });
      if (!row) return { kind: 'missing' as const };
      const knownCare = this.principal.role === 'practitioner' ? row.care !== null : undefined;
      const facts = { sharedWithPatient: row.sharedWithPatient };
      const d = await this.noteDecision(tx, row.patientId, 'read', knownCare, facts);
      if (!d.allow) return { kind: 'denied' as const, d, patientId: row.patientId };
      const care = this.noteCare(d, row.care);
      const sensitive = row.labels.length > 0;
      const disclosed = { patientId: row.patientId, identity: false, listed: null, notes: [id], sensitive };
      const ok = this.admit([disclosed], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal, patientId: row.patientId };
      const note = await row.open().catch((e: unknown) => {
        if (isShreddedKeyError(e)) throw new RecordError('gone');
        throw e;
      });
      const detail = this.careDetail([row.patientId], care);
      const read = { ...a, patientId: row.patientId, labels: row.labels, detail };
      await this.audit(tx, [this.event(d, read, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, note };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse({ ...a, patientId: r.patientId }, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.refuseBy({ ...a, patientId: r.patientId }, r.d);
    return r.note;
  }

  /** A patient's notes, newest first, of the given statuses (null: all); documents described, their bytes left out. */
  async notesOf(
    patientId: string,
    page: { offset: number; limit: number } = { offset: 0, limit: 1_000_000 },
    statuses: readonly NoteStatus[] | null = null,
  ): Promise<Page<ClinicalNote>> {
    const a: Audited = { action: 'search', resourceType: 'DocumentReference', resourceId: null, patientId };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      if (!(await this.resources(tx).patientExists(patientId))) return { kind: 'missing' as const };
      const cls = await this.careClassOf(tx, patientId);
      const knownCare = this.principal.role === 'practitioner' ? cls !== null : undefined;
      const d = await this.noteDecision(tx, patientId, 'search', knownCare);
      if (!d.allow) return { kind: 'denied' as const, d };
      // Paged in SQL, counted by the ledger, and only what it admits is opened.
      const visitOf = visitScope(this.principal, d, cls, this.ctx.now);
      const onePast = { limit: page.limit + 1, offset: page.offset };
      const sharedOnly = d.only === 'shared-with-patient';
      const found = await this.clinical(tx).sealedNotesOf(patientId, visitOf, onePast, statuses, sharedOnly)
        .catch((e: unknown) => {
          if (isShreddedKeyError(e)) throw new RecordError('gone');
          throw e;
        });
      let sealed = found.slice(0, page.limit);
      const care = this.noteCare(d, cls);
      const disclosed = (n: (typeof sealed)[number]) =>
        ({ patientId, identity: false, listed: null, notes: [n.id as string], sensitive: n.labels.length > 0 });
      const ok = this.admit(sealed.map(disclosed), care);
      if (ok.refusal && ok.admitted === 0) return { kind: 'over' as const, refusal: ok.refusal };
      const cut = ok.admitted < sealed.length;
      sealed = sealed.slice(0, ok.admitted);
      const notes = await Promise.all(sealed.map((n) => n.open())).catch((e: unknown) => {
        if (isShreddedKeyError(e)) throw new RecordError('gone');
        throw e;
      });
      const labels = [...new Set(notes.flatMap((n) => n.labels))];
      const returned = notes.map((n) => n.id);
      const detail = { returned, ...(cut ? { cut: true } : {}), ...this.careDetail([patientId], care) };
      await this.audit(tx, [this.event(d, { ...a, labels, detail }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, notes, more: !cut && found.length > page.limit, cut: cutOf(cut, ok.refusal) };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.refuseBy(a, r.d);
    return { items: r.notes, more: r.more, ...r.cut };
  }

  /**
   * Writes a note: typed text or a document, by a practitioner who may write for the patient. With
   * `replaces`, an amendment: the earlier note (hers, current, of this patient) becomes superseded
   * in the same transaction, its text kept; both are audited, the create naming what it replaces.
   */
  async createNote(
    patientId: string, text: string, labels: readonly SensitivityLabel[], extras: NoteExtras = {},
  ): Promise<ClinicalNote> {
    const id = randomUUID();
    const replaces = extras.replaces ?? null;
    const a: Audited = {
      action: 'create', resourceType: 'DocumentReference', resourceId: id, patientId, labels,
      ...(replaces === null ? {} : { detail: { replaces } }),
    };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      if (!(await this.resources(tx).patientExists(patientId, true))) return { kind: 'missing' as const };
      const d = await this.writeDecision(tx, patientId);
      if (!d.allow) return { kind: 'denied' as const, d };
      const replaced = replaces === null ? null : await this.clinical(tx).notePlace(replaces);
      if (replaces !== null) {
        const refused = this.notAmendable(replaced, patientId);
        if (refused !== null) return { kind: 'refused' as const, refused };
      }
      const doc = extras.document ?? null;
      const attached = doc === null ? null
        : { contentType: doc.contentType, size: doc.bytes.length, hash: documentHash(doc.bytes), bytes: doc.bytes };
      const note: ClinicalNote = {
        id, practiceId: this.practiceId, patientId, authorId: this.principal.userId, writtenAt: this.ctx.now,
        text, labels,
        status: 'current', kind: extras.kind ?? DEFAULT_DOCUMENT_KIND,
        ...(extras.title ? { title: extras.title } : {}),
        ...(replaces === null ? {} : { replaces }),
        ...(attached === null ? {} : { document: attached }),
      };
      await this.clinical(tx).insertNotes([note]);
      // An amendment of a note the patient could read stays readable to her: its correction with it.
      if (replaced?.sharedWithPatient === true) await this.clinical(tx).shareNote(id, true);
      const events = [this.event(d, a, 'success', d.reason, 'clinical')];
      if (replaces !== null) {
        // Locked and found current by notePlace: the move cannot fail but by a bug; then nothing commits.
        if (!(await this.clinical(tx).retireNote(replaces, 'superseded'))) throw new RecordError('unprocessable');
        const retired: Audited = {
          action: 'update', resourceType: 'DocumentReference', resourceId: replaces, patientId,
          detail: { status: 'superseded', replacedBy: id },
        };
        events.push(this.event(d, retired, 'success', d.reason, 'clinical'));
      }
      await this.audit(tx, events);
      const shared = replaced?.sharedWithPatient === true ? { sharedWithPatient: true } : {};
      return { kind: 'ok' as const, note: { ...note, ...shared } };
    });
    if (r.kind === 'missing') return this.refuse(a, 'patient not found in the practice', new RecordError('not_found'));
    if (r.kind === 'refused') return this.refuse(a, r.refused.reason, r.refused.error);
    if (r.kind === 'denied') return this.refuseBy(a, r.d);
    // The document's bytes are the client's own: the answer describes it, its bytes at its URL.
    const { document, ...rest } = r.note;
    if (document === undefined) return rest;
    return { ...rest, document: { contentType: document.contentType, size: document.size, hash: document.hash } };
  }

  /**
   * Withdraws a note (FHIR status `entered-in-error`: written about the wrong patient, say): by its
   * author, who may still write for the patient; the note is kept, marked, and audited.
   */
  async withdrawNote(id: string): Promise<void> {
    const a: Audited = {
      action: 'update', resourceType: 'DocumentReference', resourceId: id, patientId: null,
      detail: { status: 'entered-in-error' },
    };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const place = await this.clinical(tx).notePlace(id);
      if (place === null) return { kind: 'missing' as const };
      const d = await this.writeDecision(tx, place.patientId);
      if (!d.allow) return { kind: 'denied' as const, d, patientId: place.patientId };
      const refused = this.notAmendable(place, place.patientId);
      if (refused !== null) return { kind: 'refused' as const, refused, patientId: place.patientId };
      if (!(await this.clinical(tx).retireNote(id, 'entered-in-error'))) throw new RecordError('unprocessable');
      await this.audit(tx, [this.event(d, { ...a, patientId: place.patientId }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const };
    });
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'refused') return this.refuse({ ...a, patientId: r.patientId }, r.refused.reason, r.refused.error);
    if (r.kind === 'denied') return this.refuseBy({ ...a, patientId: r.patientId }, r.d);
  }

  /**
   * Shares a note with its patient — her portal then lists it and opens it — or stops sharing it:
   * by its author, while she treats the patient (the policy decides), audited as a change of the
   * note; nothing of it is opened. Only a current note is shared: a replaced or withdrawn one is not
   * the record's word any more.
   */
  async shareNote(id: string, shared: boolean): Promise<void> {
    const a: Audited = {
      action: 'update', resourceType: 'DocumentReference', resourceId: id, patientId: null, detail: { shared },
    };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const place = await this.clinical(tx).notePlace(id);
      if (place === null) return { kind: 'missing' as const };
      const mine = { authorOfNote: place.authorId === this.principal.userId };
      const d = await this.noteDecision(tx, place.patientId, 'share', undefined, mine);
      if (!d.allow) return { kind: 'denied' as const, d, patientId: place.patientId };
      if (shared && place.status !== 'current') return { kind: 'retired' as const, patientId: place.patientId };
      if (!(await this.clinical(tx).shareNote(id, shared))) throw new RecordError('unprocessable');
      await this.audit(tx, [this.event(d, { ...a, patientId: place.patientId }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const };
    });
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'denied') return this.refuseBy({ ...a, patientId: r.patientId }, r.d);
    if (r.kind === 'retired') {
      const error = new RecordError('unprocessable', ['only a current note is shared with the patient']);
      return this.refuse({ ...a, patientId: r.patientId }, 'the note is no longer current', error);
    }
  }

  /** Whether this account may write a note for the patient now (care, a visit, or break-the-glass). */
  private async writeDecision(tx: Tx, patientId: string) {
    const practitioner = this.principal.role === 'practitioner';
    const cls = await this.careClassOf(tx, patientId);
    return this.noteDecision(tx, patientId, 'create', practitioner ? cls !== null : undefined);
  }

  /** A practitioner's care of the patient now, as notes see it; null for any other account. */
  private async careClassOf(tx: Tx, patientId: string) {
    if (this.principal.role !== 'practitioner') return null;
    return noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now);
  }

  /** Refuses as the policy decided (an allowing decision here is refused as forbidden). */
  private refuseBy(a: Audited, d: Decision): Promise<never> {
    return this.refuse(a, d.allow ? '' : d.reason, d.allow ? new AccessError('forbidden') : refusalFor(d.reason));
  }

  /**
   * Only a current note of the patient is amended or withdrawn, and only by its author: the
   * record shows who wrote what, and a colleague who disagrees writes a note of her own.
   */
  private notAmendable(place: NotePlace | null, patientId: string): NotAmendable {
    if (place === null || place.patientId !== patientId) {
      const error = new RecordError('unprocessable', ['relatesTo: no such note of this patient']);
      return { reason: 'the note amended is not a note of this patient', error };
    }
    if (place.authorId !== this.principal.userId) {
      return { reason: 'only its author amends or withdraws a note', error: new AccessError('forbidden') };
    }
    if (place.status !== 'current') {
      const why = 'the note is no longer current: amend the note that replaced it';
      const error = new RecordError('unprocessable', [why]);
      return { reason: 'the note is no longer current', error };
    }
    return null;
  }
}
