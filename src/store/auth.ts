import type { Role } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';

/**
 * The login door: account lookup by username across practices, sessions, second-factor state.
 * Only in a platform-scoped transaction (platform role, platform flag): it is the one place that
 * reads accounts of every practice, and it never reaches patients or notes.
 */
export interface LoginAccount {
  readonly id: string;
  readonly practiceId: string | null;
  readonly patientId: string | null;
  readonly username: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly totpSealed: Buffer | null;
  readonly totpLastStep: number | null;
  readonly status: 'active' | 'disabled' | 'locked' | 'pending';
  readonly rpps: string | null;
}

export interface SessionRow {
  readonly id: string;
  readonly practiceId: string | null;
  readonly userId: string;
  readonly authTime: Date;
  readonly amr: string[];
  readonly acr: string;
  readonly scopes: string[];
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly refreshHash: Buffer;
  readonly refreshGeneration: number;
  /** The DPoP key thumbprint the session is bound to (RFC 9449), if any. */
  readonly dpopJkt: string | null;
  /** Hashes of the session's earlier refresh tokens. */
  readonly previousRefreshHashes: readonly Buffer[];
  /** The user agent of the client that opened the session (a session is bound to it). */
  readonly userAgent: string | null;
  /** The client the session was opened from (see access/clients.ts), and whether the account approved it. */
  readonly client: string | null;
  readonly clientApproved: boolean;
  /** The session's practice requires DPoP (a bearer session then lives only from an approved client). */
  readonly dpopRequired: boolean;
}

/** A client an account has used (admin.clients). */
export interface ClientRow {
  readonly client: string;
  readonly label: string | null;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly approvedAt: Date | null;
  readonly approvedVia: 'first' | 'user' | 'officer' | null;
}

const ACCOUNT = `id, practice_id, patient_id, username, role, password_hash, totp_sealed, totp_last_step, status, rpps`;

function account(r: Record<string, unknown>): LoginAccount {
  return {
    id: r.id as string, practiceId: r.practice_id as string | null, patientId: r.patient_id as string | null,
    username: r.username as string, role: r.role as Role, passwordHash: r.password_hash as string,
    totpSealed: r.totp_sealed as Buffer | null, totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
    status: r.status as LoginAccount['status'], rpps: r.rpps as string | null,
  };
}

function session(r: Record<string, unknown>): SessionRow {
  return {
    id: r.id as string, practiceId: r.practice_id as string | null, userId: r.user_id as string, authTime: r.auth_time as Date,
    amr: r.amr as string[], acr: r.acr as string, scopes: r.scopes as string[], expiresAt: r.expires_at as Date,
    revokedAt: r.revoked_at as Date | null, refreshHash: r.refresh_hash as Buffer, refreshGeneration: r.refresh_generation as number,
    userAgent: (r.user_agent as string | null | undefined) ?? null,
    previousRefreshHashes: (r.previous_refresh_hashes as Buffer[] | null | undefined) ?? [],
    dpopJkt: (r.dpop_jkt as string | null | undefined) ?? null,
    client: (r.client as string | null | undefined) ?? null,
    clientApproved: r.client_approved === true,
    dpopRequired: r.dpop_required === true,
  };
}

export class AuthRepository {
  constructor(private readonly tx: Tx) {
    if (tx.scope.role !== 'platform' || tx.scope.platform !== true) throw new SegmentError('the login door needs platform scope');
  }

  async accountByUsername(username: string): Promise<LoginAccount | null> {
    const r = await this.tx.query(`SELECT ${ACCOUNT} FROM admin.users WHERE username = $1`, [username]);
    return r.rows[0] ? account(r.rows[0]) : null;
  }

  async accountById(id: string): Promise<LoginAccount | null> {
    const r = await this.tx.query(`SELECT ${ACCOUNT} FROM admin.users WHERE id = $1`, [id]);
    return r.rows[0] ? account(r.rows[0]) : null;
  }

  async accountByRpps(rpps: string): Promise<LoginAccount | null> {
    const r = await this.tx.query(`SELECT ${ACCOUNT} FROM admin.users WHERE rpps = $1`, [rpps]);
    return r.rows[0] ? account(r.rows[0]) : null;
  }

  /** Records the TOTP time step just used, refusing one not after the last (replay). */
  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const r = await this.tx.query(
      'UPDATE admin.users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)',
      [userId, step],
    );
    return r.rowCount === 1;
  }

  async useRecoveryCode(userId: string, codeHash: Buffer, at: Date): Promise<boolean> {
    const r = await this.tx.query(
      `UPDATE admin.recovery_codes SET used_at = $3 WHERE id = (
         SELECT id FROM admin.recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL LIMIT 1)`,
      [userId, codeHash, at.toISOString()],
    );
    return r.rowCount === 1;
  }

  async createSession(s: Omit<SessionRow, 'revokedAt' | 'refreshGeneration' | 'previousRefreshHashes' | 'clientApproved' | 'dpopRequired'> & { createdAt: Date; sourceIp: string | null; userAgent: string | null }): Promise<void> {
    await this.tx.query(
      `INSERT INTO admin.sessions (id, practice_id, user_id, created_at, auth_time, amr, acr, scopes, expires_at, refresh_hash, source_ip, user_agent, dpop_jkt, client)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [s.id, s.practiceId, s.userId, s.createdAt.toISOString(), s.authTime.toISOString(), s.amr, s.acr, s.scopes, s.expiresAt.toISOString(),
        s.refreshHash, s.sourceIp, s.userAgent?.slice(0, 300) ?? null, s.dpopJkt, s.client],
    );
  }

  async session(id: string, forUpdate = false): Promise<SessionRow | null> {
    const r = await this.tx.query(
      `SELECT s.id, s.practice_id, s.user_id, s.auth_time, s.amr, s.acr, s.scopes, s.expires_at, s.revoked_at, s.refresh_hash, s.refresh_generation, s.user_agent,
              s.previous_refresh_hashes, s.dpop_jkt, s.client,
              EXISTS (SELECT 1 FROM admin.clients c WHERE c.user_id = s.user_id AND c.client = s.client AND c.approved_at IS NOT NULL) AS client_approved,
              COALESCE((SELECT p.dpop_required FROM admin.practices p WHERE p.id = s.practice_id), false) AS dpop_required
         FROM admin.sessions s WHERE s.id = $1${forUpdate ? ' FOR UPDATE OF s' : ''}`,
      [id],
    );
    return r.rows[0] ? session(r.rows[0]) : null;
  }

  /**
   * What the token check needs of many sessions at once (one statement, however many sessions
   * expire together): for each (session, account) pair a token names, the account's status (null
   * if there is none) and the session (null if there is none), with whether its client is
   * approved and whether its practice requires DPoP.
   */
  async sessionStates(pairs: readonly { sid: string; sub: string }[]): Promise<Map<string, { accountStatus: LoginAccount['status'] | null; session: SessionRow | null }>> {
    const r = await this.tx.query(
      `SELECT q.sid, u.status AS account_status, s.id, s.practice_id, s.user_id, s.auth_time, s.amr, s.acr, s.scopes, s.expires_at, s.revoked_at,
              s.refresh_hash, s.refresh_generation, s.user_agent, s.previous_refresh_hashes, s.dpop_jkt, s.client,
              EXISTS (SELECT 1 FROM admin.clients c WHERE c.user_id = s.user_id AND c.client = s.client AND c.approved_at IS NOT NULL) AS client_approved,
              COALESCE((SELECT p.dpop_required FROM admin.practices p WHERE p.id = s.practice_id), false) AS dpop_required
         FROM unnest($1::uuid[], $2::uuid[]) AS q(sid, sub)
         LEFT JOIN admin.users u ON u.id = q.sub
         LEFT JOIN admin.sessions s ON s.id = q.sid`,
      [pairs.map((p) => p.sid), pairs.map((p) => p.sub)],
    );
    return new Map(r.rows.map((row) => [
      row.sid as string,
      { accountStatus: (row.account_status as LoginAccount['status'] | null) ?? null, session: row.id ? session(row) : null },
    ]));
  }

  /**
   * Records that an account logs in from a client; an account that has approved no client yet
   * (never used, or its second factor was reset) approves its first one. Serialised per account.
   * Returns whether the client is approved, and whether the account had never seen it.
   */
  async seeClient(
    userId: string, practiceId: string | null, client: string, label: string | null, at: Date, mayBeFirst = true,
  ): Promise<{ approved: boolean; fresh: boolean; first: boolean; refused: boolean }> {
    await this.tx.query('SELECT 1 FROM admin.users WHERE id = $1 FOR UPDATE', [userId]);
    const any = await this.tx.query('SELECT 1 FROM admin.clients WHERE user_id = $1 AND approved_at IS NOT NULL LIMIT 1', [userId]);
    const first = mayBeFirst && any.rows.length === 0;
    const r = await this.tx.query<{ approved: boolean; fresh: boolean; refused: boolean }>(
      `INSERT INTO admin.clients (practice_id, user_id, client, label, first_seen, last_seen, approved_at, approved_via)
       VALUES ($1, $2, $3, $4, $5, $5, CASE WHEN $6::boolean THEN $5::timestamptz END, CASE WHEN $6::boolean THEN 'first' END)
       ON CONFLICT (user_id, client) DO UPDATE SET last_seen = EXCLUDED.last_seen,
         approved_at = COALESCE(admin.clients.approved_at, EXCLUDED.approved_at), approved_via = COALESCE(admin.clients.approved_via, EXCLUDED.approved_via)
       RETURNING approved_at IS NOT NULL AS approved, xmax = 0 AS fresh, refused_at IS NOT NULL AS refused`,
      [practiceId, userId, client, label?.slice(0, 200) ?? null, at.toISOString(), first],
    );
    const row = r.rows[0]!;
    return { approved: row.approved, fresh: row.fresh, first: first && row.approved, refused: row.refused };
  }

  async clients(userId: string): Promise<ClientRow[]> {
    const r = await this.tx.query<Record<string, unknown>>(
      'SELECT client, label, first_seen, last_seen, approved_at, approved_via FROM admin.clients WHERE user_id = $1 ORDER BY last_seen DESC LIMIT 50',
      [userId],
    );
    return r.rows.map((x) => ({
      client: x.client as string, label: x.label as string | null, firstSeen: new Date(x.first_seen as Date), lastSeen: new Date(x.last_seen as Date),
      approvedAt: x.approved_at === null ? null : new Date(x.approved_at as Date), approvedVia: x.approved_via as ClientRow['approvedVia'],
    }));
  }

  /** Approves a client the account has used; false if the account never used it (or it is approved already). */
  async approveClient(userId: string, client: string, by: string, via: 'user' | 'officer', at: Date): Promise<boolean> {
    const r = await this.tx.query(
      'UPDATE admin.clients SET approved_at = $3, approved_by = $4, approved_via = $5 WHERE user_id = $1 AND client = $2 AND approved_at IS NULL',
      [userId, client, at.toISOString(), by, via],
    );
    return r.rowCount === 1;
  }

  /** A second-factor reset starts the account's clients over: the next login approves its client. */
  async forgetClients(userId: string): Promise<void> {
    await this.tx.query('UPDATE admin.clients SET approved_at = NULL, approved_by = NULL, approved_via = NULL WHERE user_id = $1', [userId]);
  }

  async practiceRequiresDpop(practiceId: string): Promise<boolean> {
    const r = await this.tx.query<{ dpop_required: boolean }>('SELECT dpop_required FROM admin.practices WHERE id = $1', [practiceId]);
    return r.rows[0]?.dpop_required === true;
  }

  async rotateRefresh(id: string, newHash: Buffer): Promise<void> {
    // The token being replaced joins the session's history (the last 20 are kept): presenting it
    // again is a reuse; a token never issued is not.
    await this.tx.query(
      `UPDATE admin.sessions SET previous_refresh_hashes = (array_prepend(refresh_hash, previous_refresh_hashes))[1:20],
              refresh_hash = $2, refresh_generation = refresh_generation + 1 WHERE id = $1`,
      [id, newHash],
    );
  }

  /** Binds a session to another client (a bearer session moved to another network, after a step-up). */
  async rebindClient(id: string, client: string): Promise<void> {
    await this.tx.query('UPDATE admin.sessions SET client = $2 WHERE id = $1', [id, client]);
  }

  async refreshAuthTime(id: string, at: Date, amr: string[]): Promise<void> {
    await this.tx.query('UPDATE admin.sessions SET auth_time = $2, amr = $3 WHERE id = $1', [id, at.toISOString(), amr]);
  }

  async revokeSession(id: string, at: Date, reason: string): Promise<boolean> {
    const r = await this.tx.query('UPDATE admin.sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL', [id, at.toISOString(), reason]);
    return r.rowCount === 1;
  }

  /** Revokes every live session of an account (lock, disable, credential reset); returns their ids. */
  async revokeSessionsOf(userId: string, at: Date, reason: string): Promise<string[]> {
    const r = await this.tx.query<{ id: string }>(
      'UPDATE admin.sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
      [userId, at.toISOString(), reason],
    );
    return r.rows.map((x) => x.id);
  }

  async setStatus(userId: string, status: LoginAccount['status']): Promise<boolean> {
    // A lock does not overwrite a disabled account (an unlock would then re-enable a departed employee).
    const r = await this.tx.query(`UPDATE admin.users SET status = $2 WHERE id = $1${status === 'locked' ? " AND status <> 'disabled'" : ''}`, [userId, status]);
    return r.rowCount === 1;
  }

  /**
   * Lifts a lock: the account is active again (a disabled or pending account stays so: an unlock
   * lifts locks, it does not re-enable a departed employee) — unless it went through enrolment and is not
   * approved (a second-factor reset while it was locked): it goes back to `pending`, to be
   * redeemed by its user and approved by a second person (regression: lock, reset, unlock made it
   * active with no second factor and no approval).
   */
  async reactivate(userId: string): Promise<boolean> {
    const r = await this.tx.query(
      `UPDATE admin.users u SET status = CASE WHEN u.status <> 'locked' THEN u.status
                                              WHEN u.approved_at IS NULL AND EXISTS (SELECT 1 FROM admin.enrolments e WHERE e.user_id = u.id) THEN 'pending' ELSE 'active' END
        WHERE u.id = $1`,
      [userId],
    );
    return r.rowCount === 1;
  }
}
