import type { ClinicalNote, DocumentKind, Id, NoteDocument, NoteStatus, SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';
import { byteaText, insertMany } from './rows.js';
import { noteCareForNoteSql, visitNoteSql, type CareClass } from './care.js';
import { isShreddedKeyError, type NotePart, type NoteSealer } from './sealing.js';
import { padded } from './padding.js';

interface NoteRow {
  id: string; practice_id: string; patient_id: string; author_id: string; written_at: Date;
  labels: string[]; labels_sealed: Buffer | null; body_sealed: Buffer;
  status: NoteStatus; meta_sealed: Buffer | null;
  /** Marked shared with the patient by its author (migration 021). */
  shared_with_patient: boolean;
  /** Selected only to read a note whole (a document's bytes: up to 5 MiB, padded). */
  attachment_sealed?: Buffer | null;
  pk_version: number | null; pk_wrapped: Buffer | null;
}

/**
 * A note's description, sealed as `note.meta` (notes written before documents have none: a
 * progress note of typed text). A document's true size is here; its sealed bytes are padded.
 */
interface NoteMeta {
  readonly kind: DocumentKind;
  readonly title?: string;
  readonly replaces?: Id;
  readonly document?: Omit<NoteDocument, 'bytes'>;
}

/** A visit's notes only: those the practitioner wrote in her open visit with the patient (care.ts). */
type VisitOf = { practitionerId: Id; at: Date } | null;
type NotePage = { limit: number; offset: number } | null;

/** A note as an amendment or a withdrawal checks it: whose, by whom, and whether still current. */
export interface NotePlace {
  readonly id: Id;
  readonly patientId: Id;
  readonly authorId: Id;
  readonly status: NoteStatus;
  readonly sharedWithPatient: boolean;
}

/** The key of a `clinical.notes` row's patient, as `k`: the FROM and WHERE of a correlated subquery. */
const NOTE_PATIENT_KEY = `FROM keys.patient_keys k
    WHERE k.practice_id = clinical.notes.practice_id AND k.patient_id = clinical.notes.patient_id`;

const NOTE_SELECT = `id, practice_id, patient_id, author_id, written_at, labels, labels_sealed, body_sealed, status,
  meta_sealed, shared_with_patient,
  (SELECT k.kek_version ${NOTE_PATIENT_KEY}) AS pk_version,
  (SELECT k.wrapped ${NOTE_PATIENT_KEY}) AS pk_wrapped`;

/** A note as the policy decides on it: its patient, labels and the reader's care, its body still sealed. */
export interface NoteForDecision {
  readonly id?: Id;
  readonly patientId: Id;
  readonly labels: SensitivityLabel[];
  readonly care: CareClass | null;
  /** Its author, and whether it is shared with the patient and current (what a patient may read). */
  readonly authorId: Id;
  readonly sharedWithPatient: boolean;
  open(): Promise<ClinicalNote>;
}

/**
 * Names the patient whose own session this transaction serves: from then on the database shows it
 * only her notes shared with her and current, and refuses any write of a note (migration 021).
 */
export async function enterAsPatient(tx: Tx, patientId: Id | null): Promise<void> {
  // No patient named is no note at all: the nil UUID is nobody's.
  const who = patientId ?? '00000000-0000-0000-0000-000000000000';
  await tx.query("SELECT set_config('medvault.patient_reader', $1, true)", [who]);
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

  /**
   * Opens a note (its labels too, unless already opened), with its description and, when the row
   * was read whole, its document's bytes; a shredded patient's note fails with the vault's
   * VAULT_KEY_DESTROYED.
   */
  private async open(r: NoteRow, labels?: SensitivityLabel[]): Promise<ClinicalNote> {
    this.know(r);
    const openPart = (part: NotePart, sealed: Buffer) => this.vault.openNotePart(r.patient_id, r.id, part, sealed);
    const meta = r.meta_sealed === null ? null
      : JSON.parse((await openPart('note.meta', r.meta_sealed)).toString('utf8')) as NoteMeta;
    const attached = (r.attachment_sealed ?? null) !== null;
    if (attached && !meta?.document) throw new SegmentError('a document without its description');
    const bytes = r.attachment_sealed && meta?.document
      ? (await openPart('note.attachment', r.attachment_sealed)).subarray(0, meta.document.size)
      : null;
    return {
      id: r.id, practiceId: r.practice_id, patientId: r.patient_id, authorId: r.author_id,
      writtenAt: new Date(r.written_at), labels: labels ?? (await this.labels(r)),
      text: await this.vault.openNote(r.patient_id, r.id, r.body_sealed),
      status: r.status,
      ...(r.shared_with_patient ? { sharedWithPatient: true } : {}),
      ...(meta === null ? {} : { kind: meta.kind }),
      ...(meta?.title === undefined ? {} : { title: meta.title }),
      ...(meta?.replaces === undefined ? {} : { replaces: meta.replaces }),
      ...(meta?.document === undefined ? {} : { document: { ...meta.document, ...(bytes === null ? {} : { bytes }) } }),
    };
  }

  private know(r: NoteRow): void {
    const key = r.pk_version === null || r.pk_wrapped === null ? null
      : { version: Number(r.pk_version), wrapped: Buffer.from(r.pk_wrapped) };
    this.vault.knownKey(r.patient_id, key);
  }

  /**
   * A note's sensitivity labels, opened under the clinical key (clear only in a row `medvault keys
   * seal` has not reached).
   */
  private async labels(r: NoteRow): Promise<SensitivityLabel[]> {
    if (r.labels_sealed === null) return r.labels as SensitivityLabel[];
    return JSON.parse(await this.vault.openLabels(r.patient_id, r.id, r.labels_sealed)) as SensitivityLabel[];
  }

  private get practiceId(): Id {
    return this.tx.scope.practiceId as Id;
  }

  /**
   * Writes new notes (current). Every part is sealed: text, labels, the description (kind, title,
   * the note amended, a document's format, size and hash: sealed for every note, so that which
   * notes are letters or amendments does not show) and a document's bytes, padded (padding.ts).
   */
  async insertNotes(notes: readonly ClinicalNote[]): Promise<number> {
    const rows = [];
    let written = 0;
    for (const n of notes) {
      if (n.practiceId !== this.practiceId) throw new SegmentError('a note of another practice');
      const { bytes, ...document } = n.document ?? {};
      if (n.document && !bytes) throw new SegmentError("a document is written with its bytes");
      const meta: NoteMeta = {
        kind: n.kind ?? 'progress-note', ...(n.title === undefined ? {} : { title: n.title }),
        ...(n.replaces === undefined ? {} : { replaces: n.replaces }),
        ...(n.document ? { document: document as Omit<NoteDocument, 'bytes'> } : {}),
      };
      const sealed = {
        labels_sealed: await this.vault.sealLabels(n.patientId, n.id, JSON.stringify(n.labels)),
        body_sealed: await this.vault.sealNote(n.patientId, n.id, n.text),
        meta_sealed: await this.vault.sealNotePart(n.patientId, n.id, 'note.meta', JSON.stringify(meta)),
      };
      const row = {
        id: n.id, practice_id: n.practiceId, patient_id: n.patientId, author_id: n.authorId,
        written_at: n.writtenAt.toISOString(),
      };
      if (bytes) {
        // A document travels as a bound bytea parameter, not inside a JSON batch (up to 5 MiB).
        const attachment = await this.vault.sealNotePart(n.patientId, n.id, 'note.attachment', padded(bytes));
        written += (await this.tx.query(
          `INSERT INTO clinical.notes (id, practice_id, patient_id, author_id, written_at,
             labels_sealed, body_sealed, meta_sealed, attachment_sealed)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            row.id, row.practice_id, row.patient_id, row.author_id, row.written_at,
            sealed.labels_sealed, sealed.body_sealed, sealed.meta_sealed, attachment,
          ],
        )).rowCount;
        continue;
      }
      rows.push({
        ...row, labels_sealed: byteaText(sealed.labels_sealed), body_sealed: byteaText(sealed.body_sealed),
        meta_sealed: byteaText(sealed.meta_sealed),
      });
    }
    const columns = [
      'id', 'practice_id', 'patient_id', 'author_id', 'written_at', 'labels_sealed', 'body_sealed', 'meta_sealed',
    ];
    return written + (await insertMany(this.tx, 'clinical.notes', columns, rows));
  }

  /**
   * A note's patient, author and status, locked until the transaction ends (an amendment or a
   * withdrawal decides on them, then moves the status): nothing of it is opened.
   */
  async notePlace(id: Id): Promise<NotePlace | null> {
    type PlaceRow = { id: string; patient_id: string; author_id: string; status: NoteStatus; shared: boolean };
    const r = await this.tx.query<PlaceRow>(
      `SELECT id, patient_id, author_id, status, shared_with_patient AS shared
         FROM clinical.notes WHERE practice_id = $1 AND id = $2 FOR UPDATE`,
      [this.practiceId, id],
    );
    const row = r.rows[0];
    if (!row) return null;
    return {
      id: row.id, patientId: row.patient_id, authorId: row.author_id, status: row.status, sharedWithPatient: row.shared,
    };
  }

  /** Marks a note shared with its patient, or no longer; false when no such note. Nothing of it is opened. */
  async shareNote(id: Id, shared: boolean): Promise<boolean> {
    const r = await this.tx.query(
      'UPDATE clinical.notes SET shared_with_patient = $3 WHERE practice_id = $1 AND id = $2',
      [this.practiceId, id, shared],
    );
    return r.rowCount === 1;
  }

  /**
   * Moves a current note to `superseded` (an amendment replaced it) or `entered-in-error`; false
   * if it was no longer current. The note itself is untouched (migration 018's trigger).
   */
  async retireNote(id: Id, status: Exclude<NoteStatus, 'current'>): Promise<boolean> {
    const r = await this.tx.query(
      "UPDATE clinical.notes SET status = $3 WHERE practice_id = $1 AND id = $2 AND status = 'current'",
      [this.practiceId, id, status],
    );
    return r.rowCount === 1;
  }

  /**
   * One batch of `medvault keys seal` (an older database): seals the clear labels of up to `limit`
   * notes (an empty list too: which notes have labels must not show) and empties the clear
   * column. A shredded patient's notes are only emptied (no key is left to seal under). Returns
   * how many notes it changed; 0 when none is left.
   */
  async sealClearLabels(limit: number): Promise<number> {
    const gone = await this.tx.query(
      `UPDATE clinical.notes n SET labels = '{}'
        WHERE n.practice_id = $1 AND n.labels_sealed IS NULL AND n.labels <> '{}'
          AND NOT EXISTS (SELECT 1 FROM keys.patient_keys k
            WHERE k.practice_id = n.practice_id AND k.patient_id = n.patient_id)`,
      [this.practiceId],
    );
    const r = await this.tx.query<NoteRow>(
      `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE practice_id = $1 AND labels_sealed IS NULL
          AND EXISTS (SELECT 1 ${NOTE_PATIENT_KEY})
        ORDER BY id LIMIT $2 FOR UPDATE`,
      [this.practiceId, limit],
    );
    for (const row of r.rows) {
      this.know(row);
      const sealed = await this.vault.sealLabels(row.patient_id, row.id, JSON.stringify(row.labels));
      await this.tx.query(
        `UPDATE clinical.notes SET labels_sealed = $3, labels = '{}' WHERE practice_id = $1 AND id = $2`,
        [this.practiceId, row.id, sealed],
      );
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
  async noteForDecision(
    id: Id, practitionerId: Id | null, at: Date, o: { whole?: boolean } = {},
  ): Promise<NoteForDecision | null> {
    // Whole: with the document's bytes (a read); else its description only.
    const cols = o.whole === true ? `${NOTE_SELECT}, attachment_sealed` : NOTE_SELECT;
    const r = await this.tx.query<NoteRow & { care: CareClass | null }>(
      practitionerId === null
        ? `SELECT ${cols}, NULL::text AS care FROM clinical.notes WHERE practice_id = $1 AND id = $2`
        : `SELECT ${cols}, ${noteCareForNoteSql('clinical.notes', '$1', '$3', '$4::timestamptz')} AS care
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
    return {
      patientId: row.patient_id, labels, care: row.care, authorId: row.author_id,
      sharedWithPatient: row.shared_with_patient && row.status === 'current', open: () => this.open(row, labels),
    };
  }

  /**
   * A patient's notes, newest first, still sealed: their labels opened (the ledger weighs them),
   * each opened only by its `open` (text and description; a document's bytes stay in the database),
   * once the ledger has admitted it. `visitOf`: only the notes that practitioner wrote in her open
   * visit with the patient (care.ts), for a reader whom a visit, not genuine care, lets in;
   * `statuses`: only notes of these statuses (null: all); `sharedOnly`: only the current notes
   * shared with the patient (what she reads of her record).
   */
  async sealedNotesOf(
    patientId: Id, visitOf: VisitOf = null, page: NotePage = null, statuses: readonly NoteStatus[] | null = null,
    sharedOnly = false,
  ): Promise<NoteForDecision[]> {
    const out: NoteForDecision[] = [];
    for (const row of await this.rowsOf(patientId, visitOf, page, statuses, sharedOnly)) {
      this.know(row);
      const labels = await this.labels(row);
      const shared = row.shared_with_patient && row.status === 'current';
      out.push({
        id: row.id, patientId: row.patient_id, labels, care: null, authorId: row.author_id, sharedWithPatient: shared,
        open: () => this.open(row, labels),
      });
    }
    return out;
  }

  /** A patient's notes, newest first, opened (text and description). `visitOf` as for sealedNotesOf. */
  async notesOf(patientId: Id, visitOf: VisitOf = null): Promise<ClinicalNote[]> {
    const out: ClinicalNote[] = [];
    for (const row of await this.rowsOf(patientId, visitOf, null, null, false)) out.push(await this.open(row));
    return out;
  }

  private async rowsOf(
    patientId: Id, visitOf: VisitOf, page: NotePage, statuses: readonly NoteStatus[] | null, sharedOnly: boolean,
  ): Promise<NoteRow[]> {
    const params: unknown[] = [this.practiceId, patientId];
    const where = ['practice_id = $1', 'patient_id = $2'];
    if (visitOf !== null) {
      params.push(visitOf.practitionerId, visitOf.at.toISOString());
      where.push(visitNoteSql('clinical.notes', '$1', `$${params.length - 1}`, `$${params.length}::timestamptz`));
    }
    if (statuses !== null) {
      params.push(statuses);
      where.push(`status = ANY($${params.length}::text[])`);
    }
    if (sharedOnly) where.push("shared_with_patient AND status = 'current'");
    const count = (x: number) => Math.max(0, Math.trunc(x));
    const paging = page === null ? '' : ` LIMIT ${count(page.limit)} OFFSET ${count(page.offset)}`;
    const r = await this.tx.query<NoteRow>(
      `SELECT ${NOTE_SELECT} FROM clinical.notes WHERE ${where.join(' AND ')} ORDER BY written_at DESC, id${paging}`,
      params,
    );
    return r.rows;
  }
}
