import { randomUUID } from 'node:crypto';
import type { Id, Role } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';

/** A one-time enrolment link as stored: its token only as a hash. */
export interface NewEnrolmentLink {
  readonly id: string;
  readonly userId: string;
  readonly tokenHash: Buffer;
  readonly purpose: 'create' | 'reset';
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * Inserts an account's recovery codes (hashed), one statement each: the practice admin's reset
 * (none) and the user's enrolment (a fresh set) both write them.
 */
export async function insertRecoveryCodes(
  tx: Tx, practiceId: string, userId: string, codeHashes: readonly Buffer[],
): Promise<void> {
  for (const h of codeHashes) {
    await tx.query(
      'INSERT INTO admin.recovery_codes (id, practice_id, user_id, code_hash) VALUES ($1, $2, $3, $4)',
      [randomUUID(), practiceId, userId, h],
    );
  }
}

/**
 * A practice admin's management of the practice's accounts: who created an account, its
 * enrolment links, its status and second factor, its recovery codes, and the practice's DPoP
 * setting. Only in a transaction scoped to the admin role and one practice; every statement is
 * bounded by that practice.
 */
export class AccountRepository {
  constructor(private readonly tx: Tx) {
    if (tx.scope.role !== 'admin' || tx.scope.practiceId === null) {
      throw new SegmentError('account management needs an admin-scoped transaction with a practice');
    }
  }

  private get practiceId(): Id {
    return this.tx.scope.practiceId as Id;
  }

  /** Writes who created the account (admin.users.created_by). */
  async setCreatedBy(userId: string, by: string): Promise<void> {
    await this.tx.query(
      'UPDATE admin.users SET created_by = $3 WHERE practice_id = $1 AND id = $2', [this.practiceId, userId, by],
    );
  }

  /** Ends the account's unredeemed links that are still good (they expire `now`). */
  async expireLinks(userId: string, now: Date): Promise<void> {
    await this.tx.query(
      `UPDATE admin.enrolments SET expires_at = $3
        WHERE practice_id = $1 AND user_id = $2 AND redeemed_at IS NULL AND expires_at > $3`,
      [this.practiceId, userId, now.toISOString()],
    );
  }

  /** Stores a new enrolment link (admin.enrolments). */
  async addLink(l: NewEnrolmentLink): Promise<void> {
    await this.tx.query(
      `INSERT INTO admin.enrolments (id, practice_id, user_id, token_hash, purpose, created_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [l.id, this.practiceId, l.userId, l.tokenHash, l.purpose, l.createdBy, l.createdAt.toISOString(),
        l.expiresAt.toISOString()],
    );
  }

  /** An account of the practice: its role and status (null if the practice has no such account). */
  async account(userId: string): Promise<{ role: Role; status: string } | null> {
    const r = await this.tx.query<{ role: Role; status: string }>(
      'SELECT role, status FROM admin.users WHERE practice_id = $1 AND id = $2', [this.practiceId, userId],
    );
    return r.rows[0] ?? null;
  }

  /** Sets the account's status to disabled. */
  async disable(userId: string): Promise<void> {
    await this.tx.query(
      "UPDATE admin.users SET status = 'disabled' WHERE practice_id = $1 AND id = $2", [this.practiceId, userId],
    );
  }

  /** Whether the practice requires DPoP-bound sessions (admin.practices.dpop_required). */
  async setDpopRequired(required: boolean): Promise<void> {
    await this.tx.query('UPDATE admin.practices SET dpop_required = $2 WHERE id = $1', [this.practiceId, required]);
  }

  /**
   * Removes the account's second factor and approval: an active account is pending again (it
   * needs a new enrolment and a new approval by a second person).
   */
  async resetSecondFactor(userId: string): Promise<void> {
    await this.tx.query(
      `UPDATE admin.users SET totp_sealed = NULL, totp_last_step = NULL, approved_at = NULL, approved_by = NULL,
              status = CASE WHEN status = 'active' THEN 'pending' ELSE status END
        WHERE practice_id = $1 AND id = $2`,
      [this.practiceId, userId],
    );
  }

  /** Deletes the account's recovery codes, then stores these (hashed). */
  async replaceRecoveryCodes(userId: string, codeHashes: readonly Buffer[]): Promise<void> {
    await this.tx.query(
      'DELETE FROM admin.recovery_codes WHERE practice_id = $1 AND user_id = $2', [this.practiceId, userId],
    );
    await insertRecoveryCodes(this.tx, this.practiceId, userId, codeHashes);
  }
}
