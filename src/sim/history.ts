import { createHash } from 'node:crypto';
import type { Appointment, ClinicalNote } from '../domain/index.js';
import type { AuditEventInput } from '../store/index.js';

/**
 * Benign audit history for the seeded visits, so that a fresh demo server starts with a
 * month of ordinary use behind every account (the detector replays it at start): the
 * assistant's booking (a name search, then the identity), the practitioner's chart opened before
 * the visit and the note written during it. Deterministic: ids are derived from the visit.
 */
function uuidFrom(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function visitHistory(
  appointments: readonly Appointment[],
  notes: readonly ClinicalNote[],
  assistants: readonly string[],
  since: Date,
  now: Date,
): AuditEventInput[] {
  const noteOf = new Map(notes.map((n) => [`${n.patientId}|${n.authorId}|${n.writtenAt.toISOString().slice(0, 10)}`, n]));
  const out: AuditEventInput[] = [];
  const base = (at: Date, userId: string, role: string, practiceId: string, ip: string) => ({
    at, practiceId, userId, role, sessionId: uuidFrom('session', userId, at.toISOString().slice(0, 10)), sourceIp: ip, labels: [] as const, outcome: 'success' as const,
  });
  for (const a of appointments) {
    if (a.start < since || a.start > now || a.status === 'cancelled') continue;
    const t = a.start.getTime();
    if (assistants.length > 0) {
      const assistant = assistants[Math.abs(hashInt(a.id)) % assistants.length] as string;
      const booked = new Date(t - (1 + (Math.abs(hashInt(a.id + 'b')) % 9)) * 86_400_000);
      if (booked >= since) {
        out.push({ ...base(booked, assistant, 'assistant', a.practiceId, '10.20.0.2'), id: uuidFrom(a.id, 'search'), action: 'search', resourceType: 'Patient', resourceId: null, patientId: null, segment: 'admin', purpose: 'admin', reason: 'administrative data of the practice', detail: { returned: [a.patientId], broad: false } });
        out.push({ ...base(new Date(booked.getTime() + 60_000), assistant, 'assistant', a.practiceId, '10.20.0.2'), id: uuidFrom(a.id, 'book'), action: 'read', resourceType: 'Patient', resourceId: a.patientId, patientId: a.patientId, segment: 'admin', purpose: 'admin', reason: 'administrative data of the practice' });
      }
    }
    const doc = a.practitionerId;
    out.push({ ...base(new Date(t - 10 * 60_000), doc, 'practitioner', a.practiceId, '10.20.0.1'), id: uuidFrom(a.id, 'chart'), action: 'read', resourceType: 'Patient', resourceId: a.patientId, patientId: a.patientId, segment: 'admin', purpose: 'admin', reason: 'administrative data of the practice', detail: { unexplained: [] } });
    const note = noteOf.get(`${a.patientId}|${doc}|${new Date(t).toISOString().slice(0, 10)}`);
    if (note) {
      out.push({ ...base(note.writtenAt, doc, 'practitioner', a.practiceId, '10.20.0.1'), id: uuidFrom(a.id, 'note'), action: 'create', resourceType: 'DocumentReference', resourceId: note.id, patientId: a.patientId, segment: 'clinical', purpose: 'care', reason: 'care relationship', labels: note.labels });
    }
  }
  return out.sort((x, y) => x.at.getTime() - y.at.getTime());
}

function hashInt(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}
