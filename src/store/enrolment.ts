import type { Tx } from './database.js';
import { SegmentError } from './admin.js';
import { insertRecoveryCodes } from './accounts.js';

/** An enrolment link that is good now, with its account. */
export interface PendingEnrolment {
  readonly id: string;
  readonly practiceId: string;
  readonly userId: string;
  readonly username: string;
  readonly role: string;
  /** The TOTP secret offered to the user (sealed), once `start` has run. */
  readonly totpSealed: Buffer | null;
  readonly approvedAt: Date | null;
}

/** What deciding a second person's approval needs to know of an account. */
export interface ApprovalFacts {
  readonly practiceId: string;
  readonly createdBy: string | null;
  /** Who handed out the account's latest enrolment link. */
  readonly linkBy: string | null;
  readonly status: string;
  readonly enrolledAt: Date | null;
  readonly approvedAt: Date | null;
}

/**
 * The enrolment of an account, across practices: its user redeems a link (password, second
 * factor, recovery codes) and a second person approves it. Only in a platform-scoped transaction
 * (platform role, platform flag), like the login door: the link's holder has no practice yet.
 */
export class EnrolmentRepository {
  constructor(private readonly tx: Tx) {
    if (tx.scope.role !== 'platform' || tx.scope.platform !== true) {
      throw new SegmentError('enrolment needs platform scope');
    }
  }

  /** The link with this token hash if it is unredeemed, unexpired at `now` and its account pending; else null. */
  async pending(tokenHash: Buffer, now: Date): Promise<PendingEnrolment | null> {
    const r = await this.tx.query<{
      id: string; practice_id: string; user_id: string; username: string; role: string; totp_sealed: Buffer | null;
      approved_at: Date | null;
    }>(
      `SELECT e.id, e.practice_id, e.user_id, u.username, u.role, e.totp_sealed, u.approved_at
         FROM admin.enrolments e JOIN admin.users u ON u.id = e.user_id
        WHERE e.token_hash = $1 AND e.redeemed_at IS NULL AND e.expires_at > $2 AND u.status = 'pending'`,
      [tokenHash, now.toISOString()],
    );
    const e = r.rows[0];
    if (!e) return null;
    return {
      id: e.id, practiceId: e.practice_id, userId: e.user_id, username: e.username, role: e.role,
      totpSealed: e.totp_sealed, approvedAt: e.approved_at,
    };
  }

  /** Keeps the TOTP secret offered to the link's holder (sealed), replacing an earlier one. */
  async offerTotp(enrolmentId: string, sealed: Buffer): Promise<void> {
    await this.tx.query('UPDATE admin.enrolments SET totp_sealed = $2 WHERE id = $1', [enrolmentId, sealed]);
  }

  /** Sets the account's password, second factor and last TOTP step, enrolled `at`, with this status. */
  async enrol(
    userId: string,
    e: { passwordHash: string; totpSealed: Buffer; totpStep: number; at: Date; status: 'active' | 'pending' },
  ): Promise<void> {
    await this.tx.query(
      `UPDATE admin.users SET password_hash = $2, totp_sealed = $3, totp_last_step = $4, enrolled_at = $5, status = $6
        WHERE id = $1`,
      [userId, e.passwordHash, e.totpSealed, e.totpStep, e.at.toISOString(), e.status],
    );
  }

  /** Marks the account's unused recovery codes used (the login door may mark codes used, not delete them). */
  async spendRecoveryCodes(userId: string, at: Date): Promise<void> {
    await this.tx.query(
      'UPDATE admin.recovery_codes SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL', [userId, at.toISOString()],
    );
  }

  /** Stores new recovery codes (hashed) for the account, one statement each. */
  addRecoveryCodes(practiceId: string, userId: string, codeHashes: readonly Buffer[]): Promise<void> {
    return insertRecoveryCodes(this.tx, practiceId, userId, codeHashes);
  }

  /** The link is spent. */
  async redeem(enrolmentId: string, at: Date): Promise<void> {
    await this.tx.query('UPDATE admin.enrolments SET redeemed_at = $2 WHERE id = $1', [enrolmentId, at.toISOString()]);
  }

  /** The account as an approval sees it, with who handed out its latest link (null: none such). */
  async approvalFacts(userId: string): Promise<ApprovalFacts | null> {
    const r = await this.tx.query<{
      practice_id: string; created_by: string | null; link_by: string | null; status: string; enrolled_at: Date | null;
      approved_at: Date | null;
    }>(
      `SELECT u.practice_id, u.created_by, u.status, u.enrolled_at, u.approved_at,
              (SELECT e.created_by FROM admin.enrolments e
                WHERE e.user_id = u.id ORDER BY e.created_at DESC LIMIT 1) AS link_by
         FROM admin.users u WHERE u.id = $1`, [userId],
    );
    const t = r.rows[0];
    if (!t) return null;
    return {
      practiceId: t.practice_id, createdBy: t.created_by, linkBy: t.link_by, status: t.status,
      enrolledAt: t.enrolled_at, approvedAt: t.approved_at,
    };
  }

  /** Records the approval of the account by `by`, `at`, and sets its status. */
  async approve(userId: string, at: Date, by: string, status: 'active' | 'pending'): Promise<void> {
    await this.tx.query(
      'UPDATE admin.users SET approved_at = $2, approved_by = $3, status = $4 WHERE id = $1',
      [userId, at.toISOString(), by, status],
    );
  }
}
