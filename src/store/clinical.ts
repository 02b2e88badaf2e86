import type { ClinicalNote, Id, SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';
import { byteaText, insertMany } from './rows.js';
import { careClassSql, type CareClass } from './care.js';
import type { NoteSealer } from './sealing.js';

interface NoteRow {
  id: string; practice_id: string; patient_id: string; author_id: string; written_at: Date; labels: string[]; body_sealed: Buffer;
  pk_version: number | null; pk_wrapped: Buffer | null;
}

const NOTE_SELECT = `id, practice_id, patient_id, author_id, written_at, labels, body_sealed,
  (SELECT k.kek_version FROM keys.patient_keys k WHERE k.practice_id = clinical.notes.practice_id AND k.patient_id = clinical.notes.patient_id) AS pk_version,
  (SELECT k.wrapped FROM keys.patient_keys k WHERE k.practice_id = clinical.notes.practice_id AND k.patient_id = clinical.notes.patient_id) AS pk_wrapped`;

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

  /** Opens a note; a shredded patient's note fails with the vault's VAULT_KEY_DESTROYED. */
  private async open(r: NoteRow): Promise<ClinicalNote> {
    this.vault.knownKey(r.patient_id, r.pk_version === null || r.pk_wrapped === null ? null : { version: Number(r.pk_version), wrapped: Buffer.from(r.pk_wrapped) });
    return {
      id: r.id, practiceId: r.practice_id, patientId: r.patient_id, authorId: r.author_id,
      writtenAt: new Date(r.written_at), labels: r.labels as SensitivityLabel[],
      text: await this.vault.openNote(r.patient_id, r.id, r.body_sealed),
    };
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
        written_at: n.writtenAt.toISOString(), labels: n.labels,
        body_sealed: byteaText(await this.vault.sealNote(n.patientId, n.id, n.text)),
      });
    }
    return insertMany(this.tx, 'clinical.notes', ['id', 'practice_id', 'patient_id', 'author_id', 'written_at', 'labels', 'body_sealed'], rows);
  }

  async note(id: Id): Promise<ClinicalNote | null> {
    const r = await this.tx.query<NoteRow>(
      `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND id = $2`,
      [this.practiceId, id],
    );
    return r.rows[0] ? this.open(r.rows[0]) : null;
  }

  /**
   * A note's patient and labels, the reading practitioner's care class for that patient (null for
   * other roles, or without care), and its sealed body — in one statement. The body is opened only
   * when the caller calls `open`, after the policy has decided.
   */
  async noteForDecision(id: Id, practitionerId: Id | null, at: Date): Promise<{ patientId: Id; labels: SensitivityLabel[]; care: CareClass | null; open: () => Promise<ClinicalNote> } | null> {
    const r = await this.tx.query<NoteRow & { care: CareClass | null }>(
      practitionerId === null
        ? `SELECT ${NOTE_SELECT}, NULL::text AS care FROM clinical.notes WHERE practice_id = $1 AND id = $2`
        : `SELECT ${NOTE_SELECT}, ${careClassSql('clinical.notes.patient_id', '$1', '$3', '$4::timestamptz')} AS care FROM clinical.notes WHERE practice_id = $1 AND id = $2`,
      practitionerId === null ? [this.practiceId, id] : [this.practiceId, id, practitionerId, at.toISOString()],
    );
    const row = r.rows[0];
    if (!row) return null;
    return { patientId: row.patient_id, labels: row.labels as SensitivityLabel[], care: row.care, open: () => this.open(row) };
  }

  async notesOf(patientId: Id): Promise<ClinicalNote[]> {
    const r = await this.tx.query<NoteRow>(
      `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND patient_id = $2 ORDER BY written_at DESC, id`,
      [this.practiceId, patientId],
    );
    const out: ClinicalNote[] = [];
    for (const row of r.rows) out.push(await this.open(row));
    return out;
  }
}
