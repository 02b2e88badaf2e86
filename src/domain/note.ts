import type { Id } from './ids.js';
import type { SensitivityLabel } from './labels.js';

/** A clinical note: free text written by a practitioner about a patient. */
export interface ClinicalNote {
  readonly id: Id;
  readonly practiceId: Id;
  readonly patientId: Id;
  readonly authorId: Id;
  readonly writtenAt: Date;
  readonly text: string;
  readonly labels: readonly SensitivityLabel[];
}

/** The highest confidentiality a note carries (HL7 v3 Confidentiality): R when any label, else N. */
export function noteConfidentiality(note: Pick<ClinicalNote, 'labels'>): 'N' | 'R' {
  return note.labels.length > 0 ? 'R' : 'N';
}
