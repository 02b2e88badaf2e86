import type { Me } from './api.js';

/**
 * Reading and writing a DocumentReference as the server gives and takes it
 * (src/fhir/document-reference.ts): a typed note's text is inline (`text/plain`, base64); a
 * document (PDF, JPEG, PNG) is described by a search — its bytes at `$content` — and whole only when
 * read by itself. A note is never rewritten: an amendment is a new note that `replaces` the earlier
 * one (FHIR R4 DocumentReference.relatesTo), which becomes `superseded`; a withdrawal moves it to
 * `entered-in-error`. Both are its author's alone.
 */
export type NoteStatus = 'current' | 'superseded' | 'entered-in-error';

const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** Whether this DocumentReference is typed text (a note), not a document. */
export function isTypedNote(n: any): boolean {
  return /^text\/plain\b/i.test(n?.content?.[0]?.attachment?.contentType ?? 'text/plain');
}

export function statusOf(n: any): NoteStatus {
  return n?.status === 'superseded' || n?.status === 'entered-in-error' ? n.status : 'current';
}

/** A typed note's text (UTF-8, base64 in `attachment.data`). */
export function noteText(n: any): string {
  const b64: string | undefined = n?.content?.[0]?.attachment?.data;
  if (!b64) return '';
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function encodeText(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The id of the note this one amends, if it is an amendment. */
export function replacedId(n: any): string | null {
  const r = (n?.relatesTo ?? []).find((x: any) => x.code === 'replaces')?.target?.reference;
  return typeof r === 'string' && r.startsWith('DocumentReference/') ? r.slice('DocumentReference/'.length) : null;
}

/** The practitioner who wrote the note. */
export function authorOf(n: any): string | null {
  const r = n?.author?.[0]?.reference;
  return typeof r === 'string' && r.startsWith('Practitioner/') ? r.slice('Practitioner/'.length) : null;
}

/**
 * Whether the person may amend or withdraw the note: its author, while it is current. The server
 * decides (anyone else is refused); the page only leaves out buttons that would be refused.
 */
export function mayChange(n: any, me: Me): boolean {
  return me.role === 'practitioner' && authorOf(n) === me.userId && statusOf(n) === 'current';
}

/** The sensitivity labels a note was written with (HIV, PSY…). */
export function labelsOf(n: any): string[] {
  return (n?.securityLabel ?? []).flatMap((l: any) => l.coding ?? [])
    .filter((c: any) => c.system === V3_ACT).map((c: any) => c.code as string);
}

/** A typed note, or its amendment when `replaces` names the note it corrects (kept, marked superseded). */
export function typedNote(patientId: string, text: string, labels: readonly string[], replaces?: any): object {
  // An amendment keeps the kind of the note it corrects (a progress note, a letter…).
  const kind = replaces?.type?.coding?.[0];
  return {
    resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patientId}` },
    ...(kind ? { type: { coding: [{ system: kind.system, code: kind.code }] } } : {}),
    ...(replaces
      ? { relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${replaces.id}` } }] }
      : {}),
    ...(labels.length > 0 ? { securityLabel: [{ coding: labels.map((code) => ({ system: V3_ACT, code })) }] } : {}),
    content: [{ attachment: { contentType: 'text/plain', data: encodeText(text) } }],
  };
}

/**
 * The one patch a note accepts (JSON Patch, RFC 6902): withdrawn, `entered-in-error`, after a test
 * that it is still current — a note amended or withdrawn meanwhile is refused, not withdrawn twice.
 */
export const WITHDRAWAL = [
  { op: 'test', path: '/status', value: 'current' },
  { op: 'replace', path: '/status', value: 'entered-in-error' },
] as const;
