import type { Id } from './ids.js';
import type { SensitivityLabel } from './labels.js';
import type { DocumentKind, NoteDocument, NoteStatus } from './document.js';

/** A clinical note: free text written by a practitioner about a patient. */
export interface ClinicalNote {
  readonly id: Id;
  readonly practiceId: Id;
  readonly patientId: Id;
  readonly authorId: Id;
  readonly writtenAt: Date;
  readonly text: string;
  readonly labels: readonly SensitivityLabel[];
  /** Absent: current (a note written before statuses, or not read with its status). */
  readonly status?: NoteStatus;
  /** Absent: a progress note. */
  readonly kind?: DocumentKind;
  readonly title?: string;
  /** The earlier note this one amends (it is then superseded, its text kept). */
  readonly replaces?: Id;
  /** A document (PDF, image) in place of typed text; the note's `text` is then empty. */
  readonly document?: NoteDocument;
  /** Marked by its author to be shown to the patient in her portal (absent: not shared). */
  readonly sharedWithPatient?: boolean;
}

/** The highest confidentiality a note carries (HL7 v3 Confidentiality): R when any label, else N. */
export function noteConfidentiality(note: Pick<ClinicalNote, 'labels'>): 'N' | 'R' {
  return note.labels.length > 0 ? 'R' : 'N';
}
