import type { Tx } from './database.js';

/**
 * What a shred reads and clears besides the patient's key (patient-key-rows.ts): the patient row,
 * locked for the shred's transaction (admin role), and the search beacons of the patient's
 * clinical rows (clinical role). Table and column names come from the resource registry's list of
 * what a shred clears, never from a request; they are checked to be plain SQL names.
 */

/** A patient as a shred decides on it: when the record was created, and whether it is shredded already. */
export interface ShredCandidate {
  /** The record's creation date, 'YYYY-MM-DD'. */
  readonly createdOn: string;
  readonly shreddedAt: Date | null;
}

/** A table whose rows hold a patient's search beacons, and the column holding them. */
export interface BeaconTable {
  readonly table: string;
  readonly column: string;
}

const NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** The practice's patient, locked FOR UPDATE until the transaction ends; null if there is none. */
export async function patientForShred(
  tx: Tx, practiceId: string, patientId: string,
): Promise<ShredCandidate | null> {
  const r = await tx.query<{ created_on: string; shredded_at: Date | null }>(
    `SELECT created_at::date AS created_on, shredded_at FROM admin.patients
      WHERE practice_id = $1 AND id = $2 FOR UPDATE`,
    [practiceId, patientId],
  );
  const p = r.rows[0];
  return p ? { createdOn: p.created_on, shreddedAt: p.shredded_at } : null;
}

/** Empties the patient's beacons in this table (rows of the practice). */
export async function clearPatientBeacons(
  tx: Tx, t: BeaconTable, practiceId: string, patientId: string,
): Promise<void> {
  for (const name of [t.table, t.column]) {
    if (!NAME.test(name)) throw new Error(`not a SQL name of a beacon table: ${JSON.stringify(name)}`);
  }
  const clear = `UPDATE ${t.table} SET ${t.column} = '{}' WHERE practice_id = $1 AND patient_id = $2`;
  await tx.query(clear, [practiceId, patientId]);
}
