import { entries, get } from '../api.js';

/**
 * What the portal reads, each a request of the patient's own (the server answers with her record
 * only, and audits each read): the practice's practitioners by name, her appointments, the notes
 * and documents her practitioners shared with her, and who opened her record.
 */
export async function practitionerNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const p of entries(await get('/fhir/Practitioner?_count=100'))) {
    const n = p.name?.[0];
    if (n) names.set(p.id, [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' '));
  }
  return names;
}

/** The practitioner an appointment is with, or a document's author: a `Practitioner/{id}` reference's id. */
export function practitionerOf(refs: { reference?: string }[]): string | null {
  const r = refs.map((x) => x.reference).find((x) => typeof x === 'string' && x.startsWith('Practitioner/'));
  return r ? r.slice('Practitioner/'.length) : null;
}

export async function appointments(patientId: string): Promise<any[]> {
  const all = entries(await get(`/fhir/Appointment?patient=${patientId}&_count=100`));
  return all.sort((a, b) => String(a.start).localeCompare(String(b.start)));
}

export async function sharedDocuments(patientId: string): Promise<any[]> {
  return entries(await get(`/fhir/DocumentReference?patient=${patientId}&_count=50`));
}

export async function accesses(patientId: string, count = 100): Promise<any[]> {
  return entries(await get(`/fhir/AuditEvent?patient=${patientId}&_count=${count}`));
}
