import type { Sql } from './driver.js';
import type { Tx } from './database.js';

/**
 * Break-the-glass grants (admin.break_glass): written in the practitioner's clinical transaction,
 * read by the policy's context, listed for the security officer (security reader, platform scope).
 */

/** A break-the-glass grant as stored (admin.break_glass). */
export interface StoredBreakGlassGrant {
  readonly id: string;
  readonly practiceId: string;
  readonly userId: string;
  readonly patientId: string;
  readonly reason: string;
  readonly grantedAt: Date;
  readonly expiresAt: Date;
  readonly reviewedAt: Date | null;
}

/** Whether the practice has this patient (admin.patients), as the clinical role sees it. */
export async function patientInPractice(tx: Tx, practiceId: string, patientId: string): Promise<boolean> {
  const r = await tx.query('SELECT 1 FROM admin.patients WHERE practice_id = $1 AND id = $2', [practiceId, patientId]);
  return r.rowCount !== 0;
}

/** Stores a grant, with the session it was asked in. */
export async function insertBreakGlassGrant(
  tx: Tx, g: Omit<StoredBreakGlassGrant, 'reviewedAt'> & { sessionId: string | null },
): Promise<void> {
  await tx.query(
    `INSERT INTO admin.break_glass (id, practice_id, user_id, patient_id, session_id, reason, granted_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      g.id, g.practiceId, g.userId, g.patientId, g.sessionId, g.reason, g.grantedAt.toISOString(),
      g.expiresAt.toISOString(),
    ],
  );
}

/** Whether an unexpired grant at `now` covers this practitioner and patient. */
export async function hasBreakGlassGrant(
  sql: Sql, practiceId: string, userId: string, patientId: string, now: Date,
): Promise<boolean> {
  const r = await sql.query(
    `SELECT 1 FROM admin.break_glass
      WHERE practice_id = $1 AND user_id = $2 AND patient_id = $3 AND expires_at > $4`,
    [practiceId, userId, patientId, now.toISOString()],
  );
  return r.rowCount > 0;
}

/** The latest 500 grants of every practice, newest first. */
export async function breakGlassGrants(tx: Tx): Promise<StoredBreakGlassGrant[]> {
  const r = await tx.query<{
    id: string; practice_id: string; user_id: string; patient_id: string; reason: string; granted_at: Date;
    expires_at: Date; reviewed_at: Date | null;
  }>(
    `SELECT id, practice_id, user_id, patient_id, reason, granted_at, expires_at, reviewed_at
       FROM admin.break_glass ORDER BY granted_at DESC LIMIT 500`,
  );
  return r.rows.map((x) => ({
    id: x.id, practiceId: x.practice_id, userId: x.user_id, patientId: x.patient_id, reason: x.reason,
    grantedAt: x.granted_at, expiresAt: x.expires_at, reviewedAt: x.reviewed_at,
  }));
}
