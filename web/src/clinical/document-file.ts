import { T } from '../i18n.js';
import { fmtNumber, LOINC } from './basics.js';

/**
 * A document as the server accepts it (src/domain/document.ts, src/fhir/document-reference.ts):
 * a PDF, a JPEG or a PNG of at most 5 MiB, its format the one its bytes show (their magic number,
 * not the file's name or what the browser guesses), a title of 1 to 200 characters and a LOINC
 * kind. The page refuses what the server would, before sending megabytes it would refuse.
 */
export type DocumentType = 'application/pdf' | 'image/jpeg' | 'image/png';

export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;
export const MAX_TITLE_CHARS = 200;

/**
 * How each format's bytes begin. PDF: `%PDF-` (ISO 32000-1 §7.5.2). JPEG: SOI `FF D8` then a
 * marker's `FF` (ITU-T T.81 §B.1.1.3). PNG: the 8-byte signature (ISO/IEC 15948 §5.2).
 */
const SIGNATURES: readonly (readonly [DocumentType, readonly number[]])[] = [
  ['application/pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
];

/** The format the bytes show, or null: the only types the page ever gives a blob it displays. */
export function sniff(bytes: Uint8Array): DocumentType | null {
  for (const [type, sig] of SIGNATURES) {
    if (bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b)) return type;
  }
  return null;
}

/** The four kinds the server knows, by their LOINC code, in the reader's words. */
export const KINDS: readonly (readonly [code: string, fr: string, en: string])[] = [
  ['34133-9', 'Courrier', 'Letter'],
  ['11502-2', 'Compte rendu de biologie', 'Laboratory report'],
  ['18748-4', 'Compte rendu d’imagerie', 'Imaging report'],
  ['11506-3', 'Note d’évolution', 'Progress note'],
];

export function kindName(doc: any): string {
  const code = (doc?.type?.coding ?? []).find((c: any) => c.system === LOINC)?.code;
  const k = KINDS.find(([c]) => c === code);
  return k ? T(k[1], k[2]) : '—';
}

export function typeName(type: string | undefined): string {
  if (type === 'application/pdf') return 'PDF';
  if (type === 'image/jpeg') return T('Image JPEG', 'JPEG image');
  if (type === 'image/png') return T('Image PNG', 'PNG image');
  return '—';
}

/** A size in the reader's units: octets, Ko, Mo in French (of 1024). */
export function sizeText(bytes: number | undefined): string {
  if (typeof bytes !== 'number') return '—';
  if (bytes < 1024) return `${bytes} ${T('octets', 'bytes')}`;
  if (bytes < 1024 * 1024) return `${fmtNumber(Math.round((bytes / 1024) * 10) / 10)} ${T('Ko', 'KB')}`;
  return `${fmtNumber(Math.round((bytes / (1024 * 1024)) * 10) / 10)} ${T('Mo', 'MB')}`;
}

/** A file the server would take, with its format; or the reason it would refuse it, in words. */
export async function checkFile(f: File): Promise<{ type: DocumentType } | { problem: string }> {
  if (f.size === 0) return { problem: T('Ce fichier est vide.', 'This file is empty.') };
  if (f.size > MAX_DOCUMENT_BYTES) {
    return {
      problem: T(`Ce fichier fait ${sizeText(f.size)} : un document fait au plus 5 Mo.`,
        `This file is ${sizeText(f.size)}: a document holds at most 5 MB.`),
    };
  }
  const type = sniff(new Uint8Array(await f.slice(0, 8).arrayBuffer()));
  if (type === null) {
    return {
      problem: T('Ce fichier n’est ni un PDF, ni une image JPEG ou PNG : il ne peut pas être ajouté au dossier.',
        'This file is neither a PDF nor a JPEG or PNG image: it cannot be added to the record.'),
    };
  }
  return { type };
}

/** A file's bytes in base64 (what `attachment.data` carries), read by the browser in one piece. */
export function base64Of(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const url = String(r.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });
}

/** A title from a file's name: without its extension, its separators as spaces. */
export function titleFrom(name: string): string {
  return name.replace(/\.[^.]+$/, '').replace(/[_]+/g, ' ').trim().slice(0, MAX_TITLE_CHARS);
}

/** The name a downloaded document is saved under: its title, without what a file system refuses. */
export function downloadName(title: string, type: string | undefined): string {
  const ext = type === 'application/pdf' ? '.pdf' : type === 'image/jpeg' ? '.jpg' : type === 'image/png' ? '.png' : '';
  const base = title.replace(/[\\/:*?"<>|]+|\p{Cc}+/gu, ' ').trim().slice(0, 120) || 'document';
  return `${base}${ext}`;
}

/** The DocumentReference that uploads a document for the patient. */
export function documentBody(
  patientId: string, type: DocumentType, data: string, title: string, kind: string, labels: readonly string[],
): object {
  const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
  return {
    resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patientId}` },
    type: { coding: [{ system: LOINC, code: kind }] },
    ...(labels.length > 0 ? { securityLabel: [{ coding: labels.map((code) => ({ system: V3_ACT, code })) }] } : {}),
    content: [{ attachment: { contentType: type, data, title: title.trim() } }],
  };
}
