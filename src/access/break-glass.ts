import { randomUUID } from 'node:crypto';
import { appendAuditEvents, type Database, type Sql } from '../store/index.js';
import {
  breakGlassGrants, hasBreakGlassGrant, insertBreakGlassGrant, patientInPractice, type StoredBreakGlassGrant,
} from '../store/break-glass.js';
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
export async function breakTheGlass(
  db: Database, p: Principal, patientId: string, reason: string, now: Date, ip: string | null = null,
): Promise<BreakGlassGrant> {
  const fresh = freshSecondFactor(p, now);
  const d = decide(p, 'break-glass', { type: 'Patient', practiceId: p.practiceId, patientId }, { careRelationship: false, breakGlass: false, freshAuthentication: fresh });
  if (!d.allow) throw new AccessError(d.reason === 'step-up-required' ? 'step_up_required' : 'forbidden');
  const practiceId = p.practiceId as string;
  return db.transaction({ role: 'clinical', practiceId }, async (tx) => {
    if (!(await patientInPractice(tx, practiceId, patientId))) throw new AccessError('forbidden');
    const grant = { id: randomUUID(), patientId, expiresAt: new Date(now.getTime() + BREAK_GLASS_TTL_MS) };
    await insertBreakGlassGrant(tx, {
      id: grant.id, practiceId, userId: p.userId, patientId, sessionId: p.sessionId, reason, grantedAt: now,
      expiresAt: grant.expiresAt,
    });
    await appendAuditEvents(tx, [
      {
        id: randomUUID(), at: now, practiceId, userId: p.userId, role: p.role, sessionId: p.sessionId, sourceIp: ip,
        action: 'break-glass', resourceType: 'Patient', resourceId: patientId, patientId, segment: 'clinical', labels: [],
        purpose: 'break-the-glass', outcome: 'success', reason, detail: { grantId: grant.id, expiresAt: grant.expiresAt.toISOString() },
      },
    ]);
    return grant;
  });
}

/** Whether an unexpired grant covers this practitioner and patient (for the policy's context). */
export async function hasBreakGlass(tx: Sql, practiceId: string, userId: string, patientId: string, now: Date): Promise<boolean> {
  return hasBreakGlassGrant(tx, practiceId, userId, patientId, now);
}

/** A grant as the security officer reviews it: the stored grant. */
export type BreakGlassReview = StoredBreakGlassGrant;

/** Grants awaiting the security officer's review, across practices (security reader, platform scope). */
export async function breakGlassForReview(db: Database, p: Principal): Promise<BreakGlassReview[]> {
  const d = decide(p, 'read', { type: 'Alert', practiceId: null }, { careRelationship: false, breakGlass: false, freshAuthentication: false });
  if (!d.allow) throw new AccessError('forbidden');
  return db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) => breakGlassGrants(tx));
}
