import type { ClinicalNote, Id, SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';
import { insertMany } from './rows.js';

interface NoteRow {
  id: string; practice_id: string; patient_id: string; author_id: string; written_at: Date; labels: string[]; body: string;
}

function rowToNote(r: NoteRow): ClinicalNote {
  return {
    id: r.id, practiceId: r.practice_id, patientId: r.patient_id, authorId: r.author_id,
    writtenAt: new Date(r.written_at), labels: r.labels as SensitivityLabel[], text: r.body,
  };
}

/** The clinical segment: notes. Only usable in a transaction scoped to the clinical role and one practice. */
export class ClinicalRepository {
  constructor(private readonly tx: Tx) {
    if (tx.scope.role !== 'clinical' || tx.scope.practiceId === null) {
      throw new SegmentError('the clinical repository needs a clinical-scoped transaction with a practice');
    }
  }

  private get practiceId(): Id {
    return this.tx.scope.practiceId as Id;
  }

  insertNotes(notes: readonly ClinicalNote[]): Promise<number> {
    return insertMany(
      this.tx,
      'clinical.notes',
      ['id', 'practice_id', 'patient_id', 'author_id', 'written_at', 'labels', 'body'],
      notes.map((n) => ({
        id: n.id, practice_id: n.practiceId, patient_id: n.patientId, author_id: n.authorId,
        written_at: n.writtenAt.toISOString(), labels: n.labels, body: n.text,
      })),
    );
  }

  async note(id: Id): Promise<ClinicalNote | null> {
    const r = await this.tx.query<NoteRow>(
      'SELECT id, practice_id, patient_id, author_id, written_at, labels, body FROM clinical.notes WHERE practice_id = $1 AND id = $2',
      [this.practiceId, id],
    );
    return r.rows[0] ? rowToNote(r.rows[0]) : null;
  }

  async notesOf(patientId: Id): Promise<ClinicalNote[]> {
    const r = await this.tx.query<NoteRow>(
      `SELECT id, practice_id, patient_id, author_id, written_at, labels, body FROM clinical.notes
        WHERE practice_id = $1 AND patient_id = $2 ORDER BY written_at DESC, id`,
      [this.practiceId, patientId],
    );
    return r.rows.map(rowToNote);
  }
}
