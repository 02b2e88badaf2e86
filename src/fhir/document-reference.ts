import type { ClinicalNote, DocumentContentType, DocumentKind } from '../domain/index.js';
import {
  DEFAULT_DOCUMENT_KIND, documentHash, isDocumentContentType, isId, isSensitivityLabel, MAX_DOCUMENT_BYTES,
  MAX_TITLE_CHARS, noteConfidentiality, SENSITIVITY_LABELS, sniffContentType,
} from '../domain/index.js';
import { LOINC, V3_ACT_CODE, V3_CONFIDENTIALITY } from './codes.js';

type Json = Record<string, unknown>;

/** Each kind of note as LOINC names it (the Document Ontology's kinds a French record uses most). */
export const DOCUMENT_KIND_CODES: Readonly<Record<DocumentKind, { code: string; display: string }>> = {
  'progress-note': { code: '11506-3', display: 'Progress note' },
  letter: { code: '34133-9', display: 'Summary of episode note' }, // the « courrier » between doctors
  'lab-report': { code: '11502-2', display: 'Laboratory report' },
  'imaging-report': { code: '18748-4', display: 'Diagnostic imaging study' },
};
const KIND_BY_CODE = new Map(Object.entries(DOCUMENT_KIND_CODES).map(([k, v]) => [v.code, k as DocumentKind]));

/**
 * The mark of a note its author shared with the patient (FHIR R4 Meta.tag: a workflow tag, which
 * does not change what the resource means). Set and unset by `$share`, never by writing the tag.
 */
export const SHARING_SYSTEM = 'https://medvault.example/fhir/CodeSystem/sharing';
export const SHARED_WITH_PATIENT_TAG = { system: SHARING_SYSTEM, code: 'patient', display: 'Partagé avec le patient' };

/**
 * Where a document's bytes are served raw (its Attachment.url, relative to the FHIR base, when
 * they are not inline).
 */
export const documentUrl = (noteId: string) => `Binary/${noteId}`;

/**
 * A note as a DocumentReference. A document comes whole when the note was read whole (its bytes
 * inline in `data`), else described, with the `url` its bytes are served at.
 */
export function toFhirDocumentReference(n: ClinicalNote): Json {
  const replaces = (id: string) => ({ code: 'replaces', target: { reference: `DocumentReference/${id}` } });
  const securityLabel = (l: ClinicalNote['labels'][number]) =>
    ({ coding: [{ system: V3_ACT_CODE, code: l, display: SENSITIVITY_LABELS[l].en }] });
  const kind = DOCUMENT_KIND_CODES[n.kind ?? DEFAULT_DOCUMENT_KIND];
  const title = n.title === undefined ? {} : { title: n.title };
  const d = n.document;
  const attachment = d === undefined
    ? { contentType: 'text/plain; charset=utf-8', data: Buffer.from(n.text, 'utf8').toString('base64'), ...title }
    : {
        contentType: d.contentType,
        ...(d.bytes === undefined ? { url: documentUrl(n.id) } : { data: Buffer.from(d.bytes).toString('base64') }),
        size: d.size, hash: d.hash, ...title,
      };
  return {
    resourceType: 'DocumentReference',
    id: n.id,
    meta: {
      security: [{ system: V3_CONFIDENTIALITY, code: noteConfidentiality(n) }],
      ...(n.sharedWithPatient === true ? { tag: [SHARED_WITH_PATIENT_TAG] } : {}),
    },
    status: n.status ?? 'current',
    type: { coding: [{ system: LOINC, code: kind.code, display: kind.display }] },
    subject: { reference: `Patient/${n.patientId}` },
    date: n.writtenAt.toISOString(),
    author: [{ reference: `Practitioner/${n.authorId}` }],
    ...(n.replaces === undefined ? {} : { relatesTo: [replaces(n.replaces)] }),
    ...(n.labels.length > 0 ? { securityLabel: n.labels.map(securityLabel) } : {}),
    content: [{ attachment }],
  };
}

export interface NoteInput {
  readonly patientId: string | null;
  /** Typed text; empty for a document. */
  readonly text: string;
  readonly labels: ClinicalNote['labels'];
  readonly kind: DocumentKind;
  readonly title: string | null;
  readonly document: { readonly contentType: DocumentContentType; readonly bytes: Buffer } | null;
  /** The note this one amends (relatesTo `replaces`). */
  readonly replaces: string | null;
  readonly problems: string[];
}

const NOTE_FIELDS = new Set([
  'resourceType', 'status', 'type', 'subject', 'securityLabel', 'content', 'text', 'relatesTo',
]);
/** The path of the one attachment a note carries, as problems name it. */
const ATTACHMENT = 'DocumentReference.content[0].attachment';
const ATTACHMENT_FIELDS = new Set(['contentType', 'data', 'title', 'size', 'hash']);
const TEXT_PLAIN = /^text\/plain(;\s*charset=utf-8)?$/i;

/**
 * Strict base64 (RFC 4648 §4, padded, no whitespace), by a linear scan: a regular expression
 * over megabytes overflows V8's backtracking stack.
 */
function isBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  for (let i = 0; i < s.length - pad; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!ok) return false;
  }
  return true;
}
const MIB = MAX_DOCUMENT_BYTES / (1024 * 1024);

/** The document kind a `type` names (one LOINC coding of the four), a problem, or the default when absent. */
function kindOf(type: unknown, problems: string[]): DocumentKind {
  if (type === undefined) return DEFAULT_DOCUMENT_KIND;
  const codings = Array.isArray((type as Json).coding) ? ((type as Json).coding as Json[]) : [];
  const kindOfCoding = (c: Json) =>
    (c.system === LOINC && typeof c.code === 'string' ? KIND_BY_CODE.get(c.code) : undefined);
  const kinds = codings.map(kindOfCoding);
  if (codings.length !== 1 || kinds[0] === undefined) {
    const codes = Object.values(DOCUMENT_KIND_CODES).map((k) => k.code).join(', ');
    problems.push(`DocumentReference.type must be one LOINC coding: ${codes}`);
    return DEFAULT_DOCUMENT_KIND;
  }
  return kinds[0];
}

/**
 * The note an amendment replaces (`relatesTo: [{ code: 'replaces', target: DocumentReference/{id} }]`),
 * or a problem.
 */
function replacesOf(relatesTo: unknown, problems: string[]): string | null {
  if (relatesTo === undefined) return null;
  const list = Array.isArray(relatesTo) ? (relatesTo as Json[]) : [];
  const ref = (list[0]?.target as Json | undefined)?.reference;
  const m = typeof ref === 'string' ? /^DocumentReference\/(.+)$/.exec(ref) : null;
  if (list.length !== 1 || list[0]?.code !== 'replaces' || !m || !isId(m[1] as string)) {
    problems.push("DocumentReference.relatesTo must be one { code: 'replaces', target: DocumentReference/{id} }");
    return null;
  }
  return m[1] as string;
}

/**
 * A document's bytes from `attachment.data`: strict base64, at most MAX_DOCUMENT_BYTES decoded
 * (measured before decoding), the declared format checked against the bytes' magic number, and
 * the `size` and `hash` a client may send checked against the bytes.
 */
function documentOf(att: Json, contentType: DocumentContentType, problems: string[]): Buffer | null {
  const data = (att.data as string).replace(/\s/g, '');
  if (!isBase64(data)) {
    problems.push('DocumentReference.content[0].attachment.data is not base64');
    return null;
  }
  const decoded = (data.length / 4) * 3 - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
  if (decoded > MAX_DOCUMENT_BYTES) {
    problems.push(`a document holds at most ${MIB} MiB (${MAX_DOCUMENT_BYTES} bytes) once decoded`);
    return null;
  }
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) problems.push('a document holds at least one byte');
  const sniffed = sniffContentType(bytes);
  if (bytes.length > 0 && sniffed !== contentType) {
    problems.push(`${ATTACHMENT}.data is not ${contentType}: its bytes are ${sniffed ?? 'of no accepted format'}`);
  }
  if (att.size !== undefined && att.size !== bytes.length) problems.push(`${ATTACHMENT}.size is not the size of data`);
  if (att.hash !== undefined && att.hash !== documentHash(bytes)) {
    problems.push(`${ATTACHMENT}.hash is not the SHA-1 of data`);
  }
  return bytes;
}

/**
 * A client's DocumentReference: subject, typed text or a document (PDF, JPEG, PNG), title, kind,
 * labels, and the note it amends. The author, date, status and practice are medvault's to set
 * (a note is written `current`; amending or withdrawing it moves its status).
 */
export function fromFhirDocumentReference(r: Json): NoteInput {
  const problems: string[] = [];
  for (const k of Object.keys(r)) {
    if (!NOTE_FIELDS.has(k)) problems.push(`DocumentReference.${k} is set by medvault or not accepted`);
  }
  if (r.status !== undefined && r.status !== 'current') {
    problems.push('DocumentReference.status: a note is written current');
  }
  const ref = (r.subject as Json | undefined)?.reference;
  const m = typeof ref === 'string' ? /^Patient\/(.+)$/.exec(ref) : null;
  if (!m || !isId(m[1] as string)) problems.push('DocumentReference.subject must reference Patient/{id}');
  const content = Array.isArray(r.content) ? (r.content as Json[]) : [];
  const att = (content[0]?.attachment ?? {}) as Json;
  if (content.length !== 1 || typeof att.data !== 'string') {
    problems.push('DocumentReference.content needs exactly one attachment with its data inline (attachment.data)');
  }
  for (const k of Object.keys(att)) {
    if (!ATTACHMENT_FIELDS.has(k)) problems.push(`DocumentReference.content[0].attachment.${k} is not accepted`);
  }
  const title = typeof att.title === 'string' ? att.title.trim() : null;
  if (att.title !== undefined && (title === null || title.length === 0 || [...title].length > MAX_TITLE_CHARS)) {
    problems.push(`DocumentReference.content[0].attachment.title holds 1 to ${MAX_TITLE_CHARS} characters`);
  }
  const declared = typeof att.contentType === 'string' ? att.contentType.trim().toLowerCase() : 'text/plain';
  let text = '';
  let document: NoteInput['document'] = null;
  if (isDocumentContentType(declared)) {
    const bytes = typeof att.data === 'string' ? documentOf(att, declared, problems) : null;
    if (bytes !== null) document = { contentType: declared, bytes };
  } else if (TEXT_PLAIN.test(declared)) {
    text = typeof att.data === 'string' ? Buffer.from(att.data, 'base64').toString('utf8') : '';
    if (typeof att.data === 'string' && Buffer.from(text, 'utf8').toString('base64') !== att.data.replace(/\s/g, '')) {
      problems.push('DocumentReference.content[0].attachment.data is not base64 UTF-8 text');
    }
    if (text.trim() === '' || text.length > 100_000) problems.push('a note holds 1 to 100,000 characters');
    const described = att.size !== undefined || att.hash !== undefined;
    if (described) problems.push('size and hash describe a document, not typed text');
  } else {
    problems.push('DocumentReference.content[0].attachment.contentType must be '
      + 'text/plain, application/pdf, image/jpeg or image/png');
  }
  const labels: ClinicalNote['labels'][number][] = [];
  for (const l of Array.isArray(r.securityLabel) ? (r.securityLabel as Json[]) : []) {
    for (const c of Array.isArray(l.coding) ? (l.coding as Json[]) : []) {
      if (c.system === V3_ACT_CODE && typeof c.code === 'string' && isSensitivityLabel(c.code)) labels.push(c.code);
      else problems.push('DocumentReference.securityLabel: unknown sensitivity code');
    }
  }
  return {
    patientId: m?.[1] ?? null, text, labels: [...new Set(labels)], kind: kindOf(r.type, problems), title, document,
    replaces: replacesOf(r.relatesTo, problems), problems,
  };
}
