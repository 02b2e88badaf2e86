import type { ClinicalNote, Id, SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';
import { byteaText, insertMany } from './rows.js';
import { noteCareForNoteSql, visitNoteSql, type CareClass } from './care.js';
import { isShreddedKeyError, type NoteSealer } from './sealing.js';

interface NoteRow {
  id: string; practice_id: string; patient_id: string; author_id: string; written_at: Date; labels: string[]; labels_sealed: Buffer | null; body_sealed: Buffer;
  pk_version: number | null; pk_wrapped: Buffer | null;
}

const NOTE_SELECT = `id, practice_id, patient_id, author_id, written_at, labels, labels_sealed, body_sealed,
  (SELECT k.kek_version FROM keys.patient_keys k WHERE k.practice_id = clinical.notes.practice_id AND k.patient_id = clinical.notes.patient_id) AS pk_version,
  (SELECT k.wrapped FROM keys.patient_keys k WHERE k.practice_id = clinical.notes.practice_id AND k.patient_id = clinical.notes.patient_id) AS pk_wrapped`;

/** A note as the policy decides on it: its patient, labels and the reader's care, its body still sealed. */
export interface NoteForDecision {
  readonly id?: Id;
  readonly patientId: Id;
  readonly labels: SensitivityLabel[];
  readonly care: CareClass | null;
  open(): Promise<ClinicalNote>;
}

/** The clinical segment: notes. Only usable in a transaction scoped to the clinical role and one practice. */
export class ClinicalRepository {
  private readonly vault: NoteSealer;

  constructor(
    private readonly tx: Tx,
    sealer: NoteSealer,
  ) {
    // Patient keys are read (and, for new patients, written) in this transaction.
    this.vault = sealer.inTransaction(tx);
    if (tx.scope.role !== 'clinical' || tx.scope.practiceId === null) {
      throw new SegmentError('the clinical repository needs a clinical-scoped transaction with a practice');
    }
    if (sealer.practiceId !== tx.scope.practiceId) throw new SegmentError("the vault handle is another practice's");
  }

  /** Opens a note (its labels too, unless already opened); a shredded patient's note fails with the vault's VAULT_KEY_DESTROYED. */
  private async open(r: NoteRow, labels?: SensitivityLabel[]): Promise<ClinicalNote> {
    this.know(r);
    return {
      id: r.id, practiceId: r.practice_id, patientId: r.patient_id, authorId: r.author_id,
      writtenAt: new Date(r.written_at), labels: labels ?? (await this.labels(r)),
      text: await this.vault.openNote(r.patient_id, r.id, r.body_sealed),
    };
  }

  private know(r: NoteRow): void {
    this.vault.knownKey(r.patient_id, r.pk_version === null || r.pk_wrapped === null ? null : { version: Number(r.pk_version), wrapped: Buffer.from(r.pk_wrapped) });
  }

  /** A note's sensitivity labels, opened under the clinical key (clear only in a row `medvault keys seal` has not reached). */
  private async labels(r: NoteRow): Promise<SensitivityLabel[]> {
    if (r.labels_sealed === null) return r.labels as SensitivityLabel[];
    return JSON.parse(await this.vault.openLabels(r.patient_id, r.id, r.labels_sealed)) as SensitivityLabel[];
  }

  private get practiceId(): Id {
    return this.tx.scope.practiceId as Id;
  }

  async insertNotes(notes: readonly ClinicalNote[]): Promise<number> {
    const rows = [];
    for (const n of notes) {
      if (n.practiceId !== this.practiceId) throw new SegmentError('a note of another practice');
      rows.push({
        id: n.id, practice_id: n.practiceId, patient_id: n.patientId, author_id: n.authorId,
        written_at: n.writtenAt.toISOString(),
        labels_sealed: byteaText(await this.vault.sealLabels(n.patientId, n.id, JSON.stringify(n.labels))),
        body_sealed: byteaText(await this.vault.sealNote(n.patientId, n.id, n.text)),
      });
    }
    return insertMany(this.tx, 'clinical.notes', ['id', 'practice_id', 'patient_id', 'author_id', 'written_at', 'labels_sealed', 'body_sealed'], rows);
  }

  /**
   * One batch of `medvault keys seal` (an older database): seals the clear labels of up to `limit`
   * notes (an empty list too: which notes have labels must not show) and empties the clear
   * column. A shredded patient's notes are only emptied (no key is left to seal under). Returns
   * how many notes it changed; 0 when none is left.
   */
  async sealClearLabels(limit: number): Promise<number> {
    const gone = await this.tx.query(
      `UPDATE clinical.notes n SET labels = '{}' WHERE n.practice_id = $1 AND n.labels_sealed IS NULL AND n.labels <> '{}'
          AND NOT EXISTS (SELECT 1 FROM keys.patient_keys k WHERE k.practice_id = n.practice_id AND k.patient_id = n.patient_id)`,
      [this.practiceId],
    );
    const r = await this.tx.query<NoteRow>(
      `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND labels_sealed IS NULL
          AND EXISTS (SELECT 1 FROM keys.patient_keys k WHERE k.practice_id = clinical.notes.practice_id AND k.patient_id = clinical.notes.patient_id)
        ORDER BY id LIMIT $2 FOR UPDATE`,
      [this.practiceId, limit],
    );
    for (const row of r.rows) {
      this.know(row);
      const sealed = await this.vault.sealLabels(row.patient_id, row.id, JSON.stringify(row.labels));
      await this.tx.query(`UPDATE clinical.notes SET labels_sealed = $3, labels = '{}' WHERE practice_id = $1 AND id = $2`, [this.practiceId, row.id, sealed]);
    }
    return gone.rowCount + r.rows.length;
  }

  async note(id: Id): Promise<ClinicalNote | null> {
    const r = await this.tx.query<NoteRow>(
      `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND id = $2`,
      [this.practiceId, id],
    );
    return r.rows[0] ? this.open(r.rows[0]) : null;
  }

  /**
   * A note's patient and labels, the reading practitioner's care for this note (null for other
   * roles, or without care: a visit covers only the notes she wrote in it), and its sealed body —
   * in one statement. The labels are opened here (the ledger weighs a sensitive note more); the
   * body only when the caller calls `open`, after the policy has decided. A shredded patient's
   * note has no labels left (its `open` fails).
   */
  async noteForDecision(id: Id, practitionerId: Id | null, at: Date): Promise<NoteForDecision | null> {
    const r = await this.tx.query<NoteRow & { care: CareClass | null }>(
      practitionerId === null
        ? `SELECT ${NOTE_SELECT}, NULL::text AS care FROM clinical.notes WHERE practice_id = $1 AND id = $2`
        : `SELECT ${NOTE_SELECT}, ${noteCareForNoteSql('clinical.notes', '$1', '$3', '$4::timestamptz')} AS care
             FROM clinical.notes WHERE practice_id = $1 AND id = $2`,
      practitionerId === null ? [this.practiceId, id] : [this.practiceId, id, practitionerId, at.toISOString()],
    );
    const row = r.rows[0];
    if (!row) return null;
    this.know(row);
    const labels = await this.labels(row).catch((e: unknown) => {
      if (isShreddedKeyError(e)) return [];
      throw e;
    });
    // The body opens with the labels already opened for the decision (not a second time); a
    // shredded patient's labels came back empty, and its body fails to open as it must.
    return { patientId: row.patient_id, labels, care: row.care, open: () => this.open(row, labels) };
  }

  /**
   * A patient's notes, newest first, still sealed: their labels opened (the ledger weighs them),
   * each body opened only by its `open`, once the ledger has admitted it. `visitOf` as for notesOf.
   */
  async sealedNotesOf(
    patientId: Id, visitOf: { practitionerId: Id; at: Date } | null = null, page: { limit: number; offset: number } | null = null,
  ): Promise<NoteForDecision[]> {
    const paging = page === null ? '' : ` LIMIT ${Math.max(0, Math.trunc(page.limit))} OFFSET ${Math.max(0, Math.trunc(page.offset))}`;
    const r = await this.tx.query<NoteRow>(
      visitOf === null
        ? `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND patient_id = $2 ORDER BY written_at DESC, id${paging}`
        : `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND patient_id = $2
              AND ${visitNoteSql('clinical.notes', '$1', '$3', '$4::timestamptz')} ORDER BY written_at DESC, id${paging}`,
      visitOf === null ? [this.practiceId, patientId] : [this.practiceId, patientId, visitOf.practitionerId, visitOf.at.toISOString()],
    );
    const out: NoteForDecision[] = [];
    for (const row of r.rows) {
      this.know(row);
      const labels = await this.labels(row);
      out.push({ id: row.id, patientId: row.patient_id, labels, care: null, open: () => this.open(row, labels) });
    }
    return out;
  }

  /**
   * A patient's notes, newest first. `visitOf`: only the notes that practitioner wrote in her open
   * visit with the patient (care.ts), for a reader whom a visit, not genuine care, lets in.
   */
  async notesOf(patientId: Id, visitOf: { practitionerId: Id; at: Date } | null = null): Promise<ClinicalNote[]> {
    const r = await this.tx.query<NoteRow>(
      visitOf === null
        ? `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND patient_id = $2
            ORDER BY written_at DESC, id`
        : `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND patient_id = $2
              AND ${visitNoteSql('clinical.notes', '$1', '$3', '$4::timestamptz')} ORDER BY written_at DESC, id`,
      visitOf === null
        ? [this.practiceId, patientId]
        : [this.practiceId, patientId, visitOf.practitionerId, visitOf.at.toISOString()],
    );
    const out: ClinicalNote[] = [];
    for (const row of r.rows) out.push(await this.open(row));
    return out;
  }
}
