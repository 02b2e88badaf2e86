import pg from 'pg';

/** A request of a read load: one practitioner's session asking one of its patients. */
export type ReadRequest = { method: 'GET'; path: string; headers: Record<string, string> };

/** The loads bench/read and bench/read-cost measure, and the patient of each Patient read. */
export interface ReadLoads {
  readonly patient: ReadRequest[];
  readonly document: ReadRequest[];
  readonly observation: ReadRequest[];
  readonly condition: ReadRequest[];
  readonly patientIds: string[];
}

/**
 * What each practitioner may read: patients it is the treating doctor of, and one note of each,
 * read as the database owner; then the four loads, practitioners interleaved so that consecutive
 * requests come from different sessions. Each reads at most 25 of its patients (in rotation): the
 * daily budget of reads under standing care, so that every read is served and goes through the
 * disclosure ledger. `tokens`: each practitioner's access token, by its FHIR id.
 */
export async function readLoads(dbUrl: string, tokens: ReadonlyMap<string, string>, ua: string): Promise<ReadLoads> {
  const owner = new pg.Client({ connectionString: dbUrl });
  await owner.connect();
  const care = await owner.query<{ practitioner_id: string; patient_id: string; note_id: string | null }>(
    `SELECT c.practitioner_id, c.patient_id,
            (SELECT n.id FROM clinical.notes n WHERE n.patient_id = c.patient_id LIMIT 1) note_id
       FROM admin.care_relationships c WHERE c.kind = 'treating'`,
  ).finally(() => owner.end());
  const byDoc = new Map<string, typeof care.rows>();
  for (const r of care.rows) byDoc.set(r.practitioner_id, [...(byDoc.get(r.practitioner_id) ?? []), r]);
  const out: ReadLoads = { patient: [], document: [], observation: [], condition: [], patientIds: [] };
  for (let round = 0; round < 40; round++) {
    for (const [docId, list] of byDoc) {
      const token = tokens.get(docId);
      if (token === undefined) continue;
      const item = list[round % Math.min(list.length, 25)]!;
      // A session is bound to the client that opened it: the same user agent as the login.
      const headers = { authorization: `Bearer ${token}`, 'user-agent': ua };
      const get = (path: string): ReadRequest => ({ method: 'GET', path, headers });
      out.patient.push(get(`/fhir/Patient/${item.patient_id}`));
      if (item.note_id) out.document.push(get(`/fhir/DocumentReference/${item.note_id}`));
      out.condition.push(get(`/fhir/Condition?patient=${item.patient_id}`));
      out.observation.push(get(`/fhir/Observation?patient=${item.patient_id}&category=vital-signs&_count=20`));
      out.patientIds.push(item.patient_id);
    }
  }
  return out;
}
