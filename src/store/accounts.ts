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

/** Where an account stands between its creation and its use, and who handed out its links. */
export interface AccountState {
  readonly userId: string;
  readonly enrolledAt: Date | null;
  readonly approvedAt: Date | null;
  readonly createdBy: string | null;
  /** Who handed out the account's latest enrolment link (null: none). */
  readonly linkBy: string | null;
}

/** A client an account of the practice used, with its approval, refusal and pending request. */
export interface PracticeClient {
  readonly userId: string;
  readonly client: string;
  readonly label: string | null;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly approvedAt: Date | null;
  readonly approvedVia: string | null;
  readonly refusedAt: Date | null;
  /** The admin who asked for its approval, while the request is good. */
  readonly askedBy: string | null;
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

  /** Every account's enrolment and approval facts, for the admin's list. */
  async states(): Promise<AccountState[]> {
    const r = await this.tx.query<{
      id: string; enrolled_at: Date | null; approved_at: Date | null; created_by: string | null; link_by: string | null;
    }>(
      `SELECT u.id, u.enrolled_at, u.approved_at, u.created_by,
              (SELECT e.created_by FROM admin.enrolments e
                WHERE e.practice_id = u.practice_id AND e.user_id = u.id ORDER BY e.created_at DESC LIMIT 1) AS link_by
         FROM admin.users u WHERE u.practice_id = $1`,
      [this.practiceId],
    );
    return r.rows.map((x) => ({
      userId: x.id, enrolledAt: x.enrolled_at, approvedAt: x.approved_at, createdBy: x.created_by, linkBy: x.link_by,
    }));
  }

  /** The practice's clients (one account's when `userId` is given), the most recently used first. */
  async clients(now: Date, userId: string | null = null): Promise<PracticeClient[]> {
    const r = await this.tx.query<{
      user_id: string; client: string; label: string | null; first_seen: Date; last_seen: Date;
      approved_at: Date | null; approved_via: string | null; refused_at: Date | null; asked_by: string | null;
    }>(
      `SELECT c.user_id, c.client, c.label, c.first_seen, c.last_seen, c.approved_at, c.approved_via, c.refused_at,
              r.asked_by
         FROM admin.clients c
         LEFT JOIN admin.client_requests r ON r.user_id = c.user_id AND r.client = c.client AND r.expires_at > $3
        WHERE c.practice_id = $1 AND ($2::uuid IS NULL OR c.user_id = $2)
        ORDER BY c.last_seen DESC LIMIT 500`,
      [this.practiceId, userId, now.toISOString()],
    );
    return r.rows.map((x) => ({
      userId: x.user_id, client: x.client, label: x.label, firstSeen: new Date(x.first_seen),
      lastSeen: new Date(x.last_seen), approvedAt: x.approved_at === null ? null : new Date(x.approved_at),
      approvedVia: x.approved_via, refusedAt: x.refused_at === null ? null : new Date(x.refused_at),
      askedBy: x.asked_by,
    }));
  }

  /** Records an admin's request to approve a client (replacing an earlier one of the same client). */
  async askClientApproval(userId: string, client: string, by: string, at: Date, expiresAt: Date): Promise<void> {
    await this.tx.query(
      `INSERT INTO admin.client_requests (practice_id, user_id, client, asked_by, asked_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id, client) DO UPDATE SET asked_by = EXCLUDED.asked_by, asked_at = EXCLUDED.asked_at,
         expires_at = EXCLUDED.expires_at`,
      [this.practiceId, userId, client, by, at.toISOString(), expiresAt.toISOString()],
    );
  }

  /** Drops the request to approve a client. */
  async dropClientRequest(userId: string, client: string): Promise<void> {
    await this.tx.query(
      'DELETE FROM admin.client_requests WHERE practice_id = $1 AND user_id = $2 AND client = $3',
      [this.practiceId, userId, client],
    );
  }

  /** Approves a client waiting (neither approved nor refused); false if there is none such. */
  async approveClient(userId: string, client: string, by: string, at: Date): Promise<boolean> {
    const r = await this.tx.query(
      `UPDATE admin.clients SET approved_at = $4, approved_by = $5, approved_via = 'admin'
        WHERE practice_id = $1 AND user_id = $2 AND client = $3 AND approved_at IS NULL AND refused_at IS NULL`,
      [this.practiceId, userId, client, at.toISOString(), by],
    );
    return r.rowCount === 1;
  }

  /** Refuses a client (an approved one loses its approval); false if the account never used it. */
  async refuseClient(userId: string, client: string, by: string, at: Date): Promise<boolean> {
    const r = await this.tx.query(
      `UPDATE admin.clients SET approved_at = NULL, approved_by = NULL, approved_via = NULL, refused_at = $4,
              refused_by = $5
        WHERE practice_id = $1 AND user_id = $2 AND client = $3`,
      [this.practiceId, userId, client, at.toISOString(), by],
    );
    return r.rowCount === 1;
  }

  /** Ends the account's sessions opened from this client; returns how many. */
  async revokeClientSessions(userId: string, client: string, at: Date, reason: string): Promise<number> {
    const r = await this.tx.query(
      `UPDATE admin.sessions SET revoked_at = $4, revoked_reason = $5
        WHERE practice_id = $1 AND user_id = $2 AND client = $3 AND revoked_at IS NULL RETURNING id`,
      [this.practiceId, userId, client, at.toISOString(), reason],
    );
    return r.rows.length;
  }
}
