import type { Tx } from './database.js';
import type { SealerQuery } from './sealing.js';

/**
 * Patient erasure keys as stored (keys.patient_keys): a row per patient, the key wrapped under a
 * version of the practice's `patient` KEK. Read and written in the transaction of the request that
 * needs them (the admin or clinical role, row-level security bounding them to the practice);
 * deleted by a shred; moved under a new KEK version by the closing of a key epoch (platform role),
 * which then raises the practice's floor (keys.patient_kek_floor) so that no key is created under
 * an older version.
 */

/** A patient's key as stored: the KEK version it is wrapped under and the wrapped bytes. */
export interface PatientKeyRow {
  readonly version: number;
  readonly wrapped: Buffer;
}

/** A stored key with its patient: the rows an epoch moves. */
export interface PatientKeyEntry {
  readonly patientId: string;
  readonly key: PatientKeyRow;
}

/** Keys inserted per statement. */
const CHUNK = 1000;

/** The patient's key row; null if there is none (shredded, or never created). */
export async function patientKeyRow(
  q: SealerQuery, practiceId: string, patientId: string,
): Promise<PatientKeyRow | null> {
  const r = await q.query<{ kek_version: number; wrapped: Buffer }>(
    'SELECT kek_version, wrapped FROM keys.patient_keys WHERE practice_id = $1 AND patient_id = $2',
    [practiceId, patientId],
  );
  const row = r.rows[0];
  return row ? { version: Number(row.kek_version), wrapped: Buffer.from(row.wrapped) } : null;
}

/**
 * Inserts new keys, a thousand per statement. `keepExisting`: a patient that has a row already
 * keeps it as it is (moving old key files in); otherwise such a row fails the insert.
 */
export async function insertPatientKeys(
  q: SealerQuery, practiceId: string, entries: readonly PatientKeyEntry[], keepExisting: boolean,
): Promise<void> {
  const onConflict = keepExisting ? ' ON CONFLICT (practice_id, patient_id) DO NOTHING' : '';
  for (let i = 0; i < entries.length; i += CHUNK) {
    const chunk = entries.slice(i, i + CHUNK);
    await q.query(
      `INSERT INTO keys.patient_keys (practice_id, patient_id, kek_version, wrapped)
           SELECT $1, p, v, w FROM unnest($2::uuid[], $3::int[], $4::bytea[]) AS t(p, v, w)${onConflict}`,
      [practiceId, chunk.map((e) => e.patientId), chunk.map((e) => e.key.version), chunk.map((e) => e.key.wrapped)],
    );
  }
}

/** Deletes the patient's key row (a shred, in its transaction, admin role). */
export async function deletePatientKey(tx: Tx, practiceId: string, patientId: string): Promise<void> {
  await tx.query('DELETE FROM keys.patient_keys WHERE practice_id = $1 AND patient_id = $2', [practiceId, patientId]);
}

/**
 * The practice's key rows wrapped under another version than `version`, in patient order: up to
 * `limit` of them, or all (null).
 */
export async function patientKeysNotUnder(
  tx: Tx, practiceId: string, version: number, limit: number | null,
): Promise<PatientKeyEntry[]> {
  const r = await tx.query<{ patient_id: string; kek_version: number; wrapped: Buffer }>(
    `SELECT patient_id, kek_version, wrapped FROM keys.patient_keys
      WHERE practice_id = $1 AND kek_version <> $2 ORDER BY patient_id${limit === null ? '' : ' LIMIT $3'}`,
    limit === null ? [practiceId, version] : [practiceId, version, limit],
  );
  return r.rows.map((row) => ({
    patientId: row.patient_id, key: { version: Number(row.kek_version), wrapped: Buffer.from(row.wrapped) },
  }));
}

/** Writes keys wrapped anew over the practice's rows of their patients, in one statement (none if empty). */
export async function updatePatientKeys(
  tx: Tx, practiceId: string, entries: readonly PatientKeyEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `UPDATE keys.patient_keys k SET kek_version = t.v, wrapped = t.w
       FROM unnest($2::uuid[], $3::int[], $4::bytea[]) AS t(p, v, w)
          WHERE k.practice_id = $1 AND k.patient_id = t.p`,
    [practiceId, entries.map((e) => e.patientId), entries.map((e) => e.key.version), entries.map((e) => e.key.wrapped)],
  );
}

/**
 * Locks keys.patient_keys until the transaction ends (SHARE ROW EXCLUSIVE): waits for the
 * transactions writing keys now (a creation under an old version included) and holds off new ones.
 */
export async function lockPatientKeys(tx: Tx): Promise<void> {
  await tx.query('LOCK TABLE keys.patient_keys IN SHARE ROW EXCLUSIVE MODE');
}

/**
 * Raises the practice's lowest accepted `patient` KEK version to `version` (never lowers it): a key
 * created later under an older version is refused, not stored unopenable.
 */
export async function raisePatientKekFloor(tx: Tx, practiceId: string, version: number): Promise<void> {
  await tx.query(
    `INSERT INTO keys.patient_kek_floor (practice_id, min_version) VALUES ($1, $2)
         ON CONFLICT (practice_id) DO UPDATE
           SET min_version = GREATEST(keys.patient_kek_floor.min_version, EXCLUDED.min_version)`,
    [practiceId, version],
  );
}
