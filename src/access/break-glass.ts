import { randomUUID } from 'node:crypto';
import { appendAuditEvents, type Database, type Sql } from '../store/index.js';
import { AccessError } from './errors.js';
import { decide } from './policy.js';
import { freshSecondFactor, type Principal } from './principal.js';

/** How long a break-the-glass grant opens a patient's clinical record. */
export const BREAK_GLASS_TTL_MS = 60 * 60_000;

export interface BreakGlassGrant {
  readonly id: string;
  readonly patientId: string;
  readonly expiresAt: Date;
}

/**
 * Break-the-glass: a practitioner opens a patient without a care relationship by stating a
 * reason, after a fresh second factor. The grant is short, audited with its reason, and listed
 * for the security officer's review.
 */
export async function breakTheGlass(db: Database, p: Principal, patientId: string, reason: string, now: Date): Promise<BreakGlassGrant> {
  const fresh = freshSecondFactor(p, now);
  const d = decide(p, 'break-glass', { type: 'Patient', practiceId: p.practiceId, patientId }, { careRelationship: false, breakGlass: false, freshAuthentication: fresh });
  if (!d.allow) throw new AccessError(d.reason === 'step-up-required' ? 'step_up_required' : 'forbidden');
  const practiceId = p.practiceId as string;
  return db.transaction({ role: 'clinical', practiceId }, async (tx) => {
    const exists = await tx.query('SELECT 1 FROM admin.patients WHERE practice_id = $1 AND id = $2', [practiceId, patientId]);
    if (exists.rowCount === 0) throw new AccessError('forbidden');
    const grant = { id: randomUUID(), patientId, expiresAt: new Date(now.getTime() + BREAK_GLASS_TTL_MS) };
    await tx.query(
      `INSERT INTO admin.break_glass (id, practice_id, user_id, patient_id, session_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [grant.id, practiceId, p.userId, patientId, p.sessionId, reason, now.toISOString(), grant.expiresAt.toISOString()],
    );
    await appendAuditEvents(tx, [
      {
        id: randomUUID(), at: now, practiceId, userId: p.userId, role: p.role, sessionId: p.sessionId, sourceIp: null,
        action: 'break-glass', resourceType: 'Patient', resourceId: patientId, patientId, segment: 'clinical', labels: [],
        purpose: 'break-the-glass', outcome: 'success', reason, detail: { grantId: grant.id, expiresAt: grant.expiresAt.toISOString() },
      },
    ]);
    return grant;
  });
}

/** Whether an unexpired grant covers this practitioner and patient (for the policy's context). */
export async function hasBreakGlass(tx: Sql, practiceId: string, userId: string, patientId: string, now: Date): Promise<boolean> {
  const r = await tx.query('SELECT 1 FROM admin.break_glass WHERE practice_id = $1 AND user_id = $2 AND patient_id = $3 AND expires_at > $4', [practiceId, userId, patientId, now.toISOString()]);
  return r.rowCount > 0;
}

export interface BreakGlassReview {
  readonly id: string;
  readonly practiceId: string;
  readonly userId: string;
  readonly patientId: string;
  readonly reason: string;
  readonly grantedAt: Date;
  readonly expiresAt: Date;
  readonly reviewedAt: Date | null;
}

/** Grants awaiting the security officer's review, across practices (security reader, platform scope). */
export async function breakGlassForReview(db: Database, p: Principal): Promise<BreakGlassReview[]> {
  const d = decide(p, 'read', { type: 'Alert', practiceId: null }, { careRelationship: false, breakGlass: false, freshAuthentication: false });
  if (!d.allow) throw new AccessError('forbidden');
  return db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
    const r = await tx.query<{ id: string; practice_id: string; user_id: string; patient_id: string; reason: string; granted_at: Date; expires_at: Date; reviewed_at: Date | null }>(
      'SELECT id, practice_id, user_id, patient_id, reason, granted_at, expires_at, reviewed_at FROM admin.break_glass ORDER BY granted_at DESC LIMIT 500',
    );
    return r.rows.map((x) => ({ id: x.id, practiceId: x.practice_id, userId: x.user_id, patientId: x.patient_id, reason: x.reason, grantedAt: x.granted_at, expiresAt: x.expires_at, reviewedAt: x.reviewed_at }));
  });
}
