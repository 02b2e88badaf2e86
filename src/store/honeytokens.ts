import type { Tx } from './database.js';

/**
 * Honeytokens (audit.honeytokens): decoy patients no one has a reason to open, and VIP patients
 * whose every access is watched. The seed writes them as the audit writer; detection reads them
 * as the security reader with platform scope.
 */

/** Every honeytoken: the patient and its kind ('decoy' or 'vip'). */
export async function honeytokens(tx: Tx): Promise<{ patient_id: string; kind: string }[]> {
  const r = await tx.query<{ patient_id: string; kind: string }>('SELECT patient_id, kind FROM audit.honeytokens');
  return r.rows;
}

/** Marks these patients of the practice as decoys (the column's default kind), one statement each. */
export async function addDecoys(tx: Tx, practiceId: string, patientIds: readonly string[]): Promise<void> {
  for (const id of patientIds) {
    await tx.query('INSERT INTO audit.honeytokens (patient_id, practice_id) VALUES ($1, $2)', [id, practiceId]);
  }
}

/** Marks these patients of the practice as VIPs, one statement each. */
export async function addVips(tx: Tx, practiceId: string, patientIds: readonly string[]): Promise<void> {
  for (const id of patientIds) {
    await tx.query(
      "INSERT INTO audit.honeytokens (patient_id, practice_id, kind) VALUES ($1, $2, 'vip')", [id, practiceId],
    );
  }
}
