import { randomBytes, randomUUID } from 'node:crypto';
import { requiresSecondFactor, type Role, type User } from '../domain/index.js';
import { AdminRepository, appendAuditEvents, type Database, type Tx } from '../store/index.js';
import type { Vault } from '../vault/index.js';
import type { AuthService } from './auth.js';
import { AccessError } from './errors.js';
import { hashPassword } from './password.js';
import { decide } from './policy.js';
import type { Principal } from './principal.js';
import { hashRecoveryCode, newRecoveryCodes, newTotpSecret } from './totp.js';

/** Roles a practice admin may create: the practice's own staff, never platform roles or patients. */
export const MANAGEABLE_ROLES = ['practitioner', 'assistant', 'practice-admin'] as const;
export type ManageableRole = (typeof MANAGEABLE_ROLES)[number];

export interface NewAccount {
  readonly username: string;
  readonly role: ManageableRole;
  readonly familyName: string;
  readonly givenName: string;
  readonly rpps: string | null;
}

export interface Enrolment {
  readonly id: string;
  readonly username: string;
  /** Shown once; the user must change it. */
  readonly initialPassword: string;
  readonly totpSecret: string | null;
  readonly recoveryCodes: string[];
}

/**
 * Account management for practice admins: create, disable, reset the second factor. Each action
 * is decided by the policy, done as the admin role inside the practice, and audited with it.
 */
export class AccountService {
  constructor(
    private readonly db: Database,
    private readonly vault: Vault,
    private readonly auth: AuthService,
    private readonly clock: () => Date,
  ) {}

  private practiceOf(p: Principal): string {
    const d = decide(p, 'manage-accounts', { type: 'Account', practiceId: p.practiceId }, { careRelationship: false, breakGlass: false, freshAuthentication: false });
    if (!d.allow || p.practiceId === null) throw new AccessError('forbidden');
    return p.practiceId;
  }

  private audit(tx: Tx, p: Principal, action: string, targetId: string, reason: string) {
    return appendAuditEvents(tx, [
      {
        id: randomUUID(), at: this.clock(), practiceId: p.practiceId, userId: p.userId, role: p.role, sessionId: p.sessionId,
        sourceIp: null, action, resourceType: 'Account', resourceId: targetId, patientId: null, segment: 'admin', labels: [],
        purpose: 'admin', outcome: 'success', reason,
      },
    ]);
  }

  async list(p: Principal): Promise<User[]> {
    const practiceId = this.practiceOf(p);
    return this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const users = await new AdminRepository(tx, this.vault.admin(practiceId)).users();
      return users.filter((u) => u.role !== 'patient');
    });
  }

  async create(p: Principal, n: NewAccount): Promise<Enrolment> {
    const practiceId = this.practiceOf(p);
    const initialPassword = randomBytes(14).toString('base64url').slice(0, 18);
    const totpSecret = requiresSecondFactor(n.role as Role) ? newTotpSecret() : null;
    const id = randomUUID();
    const codes = totpSecret ? newRecoveryCodes() : [];
    await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const repo = new AdminRepository(tx, this.vault.admin(practiceId));
      await repo.insertUsers([
        { id, practiceId, username: n.username, role: n.role, familyName: n.familyName, givenName: n.givenName, rpps: n.rpps, patientId: null, status: 'active', passwordHash: await hashPassword(initialPassword), totpSecret },
      ]);
      await this.storeRecoveryCodes(tx, practiceId, id, codes);
      await this.audit(tx, p, 'account.create', id, `created ${n.role}`);
    });
    return { id, username: n.username, initialPassword, totpSecret, recoveryCodes: codes };
  }

  private async storeRecoveryCodes(tx: Tx, practiceId: string, userId: string, codes: string[]): Promise<void> {
    await tx.query('DELETE FROM admin.recovery_codes WHERE practice_id = $1 AND user_id = $2', [practiceId, userId]);
    for (const c of codes) {
      await tx.query('INSERT INTO admin.recovery_codes (id, practice_id, user_id, code_hash) VALUES ($1, $2, $3, $4)', [randomUUID(), practiceId, userId, hashRecoveryCode(c)]);
    }
  }

  private async target(tx: Tx, practiceId: string, userId: string): Promise<{ role: Role; status: string } | null> {
    const r = await tx.query<{ role: Role; status: string }>('SELECT role, status FROM admin.users WHERE practice_id = $1 AND id = $2', [practiceId, userId]);
    const t = r.rows[0];
    return t && t.role !== 'patient' ? t : null;
  }

  /** Disables an account and ends its sessions at once. */
  async disable(p: Principal, userId: string): Promise<void> {
    const practiceId = this.practiceOf(p);
    if (userId === p.userId) throw new AccessError('forbidden'); // an admin does not lock themselves out
    const found = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      if (!(await this.target(tx, practiceId, userId))) return false;
      await tx.query("UPDATE admin.users SET status = 'disabled' WHERE practice_id = $1 AND id = $2", [practiceId, userId]);
      await this.audit(tx, p, 'account.disable', userId, 'disabled by the practice admin');
      return true;
    });
    if (!found) throw new AccessError('forbidden');
    await this.auth.revokeAllSessions(userId, 'account disabled');
  }

  /** A new TOTP secret and new recovery codes; the old ones and every session stop working. */
  async resetSecondFactor(p: Principal, userId: string): Promise<{ totpSecret: string; recoveryCodes: string[] }> {
    const practiceId = this.practiceOf(p);
    const totpSecret = newTotpSecret();
    const codes = newRecoveryCodes();
    const found = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      if (!(await this.target(tx, practiceId, userId))) return false;
      const sealed = await this.vault.admin(practiceId).seal(null, userId, 'user.totp', totpSecret);
      await tx.query('UPDATE admin.users SET totp_sealed = $3, totp_last_step = NULL WHERE practice_id = $1 AND id = $2', [practiceId, userId, sealed]);
      await this.storeRecoveryCodes(tx, practiceId, userId, codes);
      await this.audit(tx, p, 'account.reset-mfa', userId, 'second factor reset by the practice admin');
      return true;
    });
    if (!found) throw new AccessError('forbidden');
    await this.auth.revokeAllSessions(userId, 'second factor reset');
    return { totpSecret, recoveryCodes: codes };
  }
}
