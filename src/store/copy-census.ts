import type { SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';

/**
 * Counts of what one practice's rows hold, for scoping a copy of database tables (incident/copy.ts):
 * how many rows, how many patients they concern, and which of them are still in clear (an older
 * database that `medvault keys seal` has not reached). Each function runs in the scope it names,
 * for one practice; numbers only, never a value of a row.
 */

/** What a label count says: a sensitivity label and how many distinct patients carry it. */
export interface LabelCount {
  label: SensitivityLabel;
  n: number;
}

async function count(tx: Tx, sql: string, practiceId: string): Promise<number> {
  const r = await tx.query<{ n: number }>(sql, [practiceId]);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * The administrative segment's counts (admin role): patients, those with an identity in clear
 * (rows not sealed yet if `patients` were copied; portal accounts an older medvault gave the
 * patient's name if `users` were), appointments, and their patients (all, and those in clear).
 */
export async function adminCensus(
  tx: Tx, practiceId: string, copied: { patients: boolean; users: boolean },
): Promise<{ p: number; pClear: number; a: number; withAppts: number; withApptsClear: number }> {
  return {
    p: await count(tx, 'SELECT count(*)::int AS n FROM admin.patients WHERE practice_id = $1', practiceId),
    pClear: (await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM admin.patients p
        WHERE p.practice_id = $1
          AND (($2::boolean AND p.identity_sealed IS NULL AND p.birth_family_name IS NOT NULL)
          OR ($3::boolean AND EXISTS (SELECT 1 FROM admin.users u
                WHERE u.practice_id = p.practice_id AND u.patient_id = p.id AND u.role = 'patient'
                  AND (u.family_name <> '' OR u.given_name <> ''))))`,
      [practiceId, copied.patients, copied.users])).rows[0]?.n ?? 0,
    a: await count(tx, 'SELECT count(*)::int AS n FROM admin.appointments WHERE practice_id = $1', practiceId),
    withAppts: await count(tx,
      'SELECT count(DISTINCT patient_id)::int AS n FROM admin.appointments WHERE practice_id = $1', practiceId),
    withApptsClear: await count(tx, `SELECT count(DISTINCT a.patient_id)::int AS n
                                      FROM admin.appointments a JOIN admin.patients p ON p.id = a.patient_id
                                      WHERE a.practice_id = $1 AND p.identity_sealed IS NULL`, practiceId),
  };
}

/**
 * The clinical segment's counts (clinical role): notes, break-the-glass reasons typed (free
 * text), patients with notes, and per label the patients whose labels are in clear (notes not
 * sealed yet, of patients whose identity is in clear too unless the keys are compromised).
 */
export async function clinicalCensus(
  tx: Tx, practiceId: string, keysCompromised: boolean,
): Promise<{ n: number; reasons: number; withNotes: number; l: LabelCount[] }> {
  return {
    n: await count(tx, 'SELECT count(*)::int AS n FROM clinical.notes WHERE practice_id = $1', practiceId),
    reasons: await count(tx,
      `SELECT count(*)::int AS n FROM admin.break_glass WHERE practice_id = $1 AND reason <> ''`, practiceId),
    withNotes: await count(tx,
      'SELECT count(DISTINCT patient_id)::int AS n FROM clinical.notes WHERE practice_id = $1', practiceId),
    l: (await tx.query<LabelCount>(
      `SELECT label, count(DISTINCT n.patient_id)::int AS n
        FROM clinical.notes n JOIN admin.patients p ON p.id = n.patient_id, unnest(n.labels) AS label
        WHERE n.practice_id = $1 AND n.labels_sealed IS NULL AND ($2::boolean OR p.identity_sealed IS NULL)
        GROUP BY label`, [practiceId, keysCompromised],
    )).rows,
  };
}

/** The practice's accounts (admin role). */
export function accountCount(tx: Tx, practiceId: string): Promise<number> {
  return count(tx, 'SELECT count(*)::int AS n FROM admin.users WHERE practice_id = $1', practiceId);
}

/**
 * The practice's audit events (security reader, platform scope): how many, how many shreds with
 * a reason typed, and per label the patients the log pairs with it.
 */
export async function auditCensus(
  tx: Tx, practiceId: string,
): Promise<{ n: number; shreds: number; labelled: LabelCount[] }> {
  return {
    n: await count(tx, 'SELECT count(*)::int AS n FROM audit.events WHERE practice_id = $1', practiceId),
    shreds: await count(tx, `SELECT count(*)::int AS n FROM audit.events
      WHERE practice_id = $1 AND action = 'patient.shred' AND coalesce(reason, '') <> ''`, practiceId),
    labelled: (await tx.query<LabelCount>(
      `SELECT label, count(DISTINCT e.patient_id)::int AS n FROM audit.events e, unnest(e.labels) AS label
        WHERE e.practice_id = $1 AND e.patient_id IS NOT NULL GROUP BY label`, [practiceId],
    )).rows,
  };
}

/** The practice's clinical resources per type: rows and distinct patients (clinical role). */
export async function resourcesByType(
  tx: Tx, practiceId: string,
): Promise<{ type: string; n: number; patients: number }[]> {
  const r = await tx.query<{ type: string; n: number; patients: number }>(
    `SELECT type, count(*)::int AS n, count(DISTINCT patient_id)::int AS patients
      FROM clinical.resources WHERE practice_id = $1 GROUP BY type`,
    [practiceId],
  );
  return r.rows;
}
