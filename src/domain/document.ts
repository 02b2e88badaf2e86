import { createHash } from 'node:crypto';

/**
 * Clinical documents: what a note may carry besides typed text — a letter, a scan, a laboratory or
 * imaging report, kept as received (PDF or image) — and the life of a note in the record: current,
 * replaced by an amendment, or withdrawn by its author. A note is never rewritten: the record keeps
 * what was written and who corrected it, so an amendment is a new note that names the one it
 * replaces (FHIR R4 DocumentReference.relatesTo `replaces`), and the earlier one is `superseded`.
 */

/** A note's status (FHIR R4 DocumentReference.status, the document-reference-status value set). */
export type NoteStatus = 'current' | 'superseded' | 'entered-in-error';
export const NOTE_STATUSES: readonly NoteStatus[] = ['current', 'superseded', 'entered-in-error'];

export function isNoteStatus(x: unknown): x is NoteStatus {
  return typeof x === 'string' && (NOTE_STATUSES as readonly string[]).includes(x);
}

/** What kind of document a note is; the FHIR mapping gives each its LOINC code. */
export type DocumentKind = 'progress-note' | 'letter' | 'lab-report' | 'imaging-report';
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['progress-note', 'letter', 'lab-report', 'imaging-report'];
/** A note that does not say what it is: a consultation's progress note, as every note was before documents. */
export const DEFAULT_DOCUMENT_KIND: DocumentKind = 'progress-note';

/** The formats a document may have: what the web viewer shows, and nothing that runs. */
export type DocumentContentType = 'application/pdf' | 'image/jpeg' | 'image/png';
export const DOCUMENT_CONTENT_TYPES: readonly DocumentContentType[] = ['application/pdf', 'image/jpeg', 'image/png'];

export function isDocumentContentType(x: unknown): x is DocumentContentType {
  return typeof x === 'string' && (DOCUMENT_CONTENT_TYPES as readonly string[]).includes(x);
}

/** At most 5 MiB of document (decoded): a scanned letter or a report, not an imaging study. */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;
/** At most this many characters of title. */
export const MAX_TITLE_CHARS = 200;

/**
 * How each format's bytes begin. PDF: the header `%PDF-` (ISO 32000-1 §7.5.2; readers tolerate
 * leading junk, medvault does not). JPEG: SOI `FF D8` then a marker's `FF` (ITU-T T.81 §B.1.1.3).
 * PNG: the whole 8-byte signature (ISO/IEC 15948 §5.2, RFC 2083 §3.1).
 */
const SIGNATURES: Readonly<Record<DocumentContentType, readonly number[]>> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d],
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
};

/** The format the bytes themselves show (their magic number), or null: never what a client says they are. */
export function sniffContentType(bytes: Uint8Array): DocumentContentType | null {
  for (const type of DOCUMENT_CONTENT_TYPES) {
    const sig = SIGNATURES[type];
    if (bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b)) return type;
  }
  return null;
}

/** A note's document: described always; its bytes only when the note was opened whole (a read). */
export interface NoteDocument {
  readonly contentType: DocumentContentType;
  /** Bytes, decoded. */
  readonly size: number;
  /** SHA-1 of the bytes, base64 (FHIR R4 Attachment.hash). */
  readonly hash: string;
  readonly bytes?: Uint8Array;
}

/** SHA-1 of a document's bytes, base64: what FHIR R4 Attachment.hash holds (a checksum, not a seal). */
export function documentHash(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('base64');
}
