import { randomUUID } from 'node:crypto';
import { appendAuditEvents, type Database, type Tx } from '../store/index.js';
import { EnrolmentRepository, type PendingEnrolment } from '../store/enrolment.js';
import type { Vault } from '../vault/index.js';
import { AccessError } from './errors.js';
import { hashPassword } from './password.js';
import type { LoginThrottle } from './throttle.js';
import { hashSecret } from './tokens.js';
import { checkTotp, hashRecoveryCode, newRecoveryCodes, newTotpSecret } from './totp.js';

/** The shortest password a user may choose (NIST SP 800-63B asks for at least 8; we ask 12). */
export const MIN_PASSWORD_LENGTH = 12;

/** An enrolment link that is good now (the store's), and whether a second person approved its account. */
type Pending = Omit<PendingEnrolment, 'approvedAt'> & { readonly approved: boolean };

/**
 * The user's side of an enrolment link: the user, and only the user, sets the password
 * and the second factor. `start` shows the new TOTP secret to whoever holds the link; `complete`
 * takes the password and a code from the new authenticator (proof it was set up), then the link is
 * spent. The account becomes active when a second person has also approved it.
 */
export class EnrolmentService {
  constructor(
    private readonly db: Database,
    private readonly vault: Vault,
    private readonly throttle: LoginThrottle,
    private readonly clock: () => Date,
    private readonly issuer = 'medvault',
  ) {}

  private door<T>(fn: (repo: EnrolmentRepository, tx: Tx) => Promise<T>): Promise<T> {
    const scope = { role: 'platform', practiceId: null, platform: true } as const;
    return this.db.transaction(scope, (tx) => fn(new EnrolmentRepository(tx), tx));
  }

  private async pending(repo: EnrolmentRepository, token: string): Promise<Pending> {
    const e = await repo.pending(hashSecret(token), this.clock());
    if (!e) throw new AccessError('enrolment_invalid');
    const { approvedAt, ...rest } = e;
    return { ...rest, approved: approvedAt !== null };
  }

  /** A new TOTP secret for the authenticator app (each call replaces the previous one). */
  async start(token: string): Promise<{ username: string; totpSecret: string; otpauthUri: string }> {
    return this.door(async (repo) => {
      const e = await this.pending(repo, token);
      const secret = newTotpSecret();
      const sealed = await this.vault.admin(e.practiceId).seal(null, e.userId, 'user.totp', secret);
      await repo.offerTotp(e.id, sealed);
      const label = encodeURIComponent(`${this.issuer}:${e.username}`);
      return { username: e.username, totpSecret: secret, otpauthUri: `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(this.issuer)}&algorithm=SHA1&digits=6&period=30` };
    });
  }

  /** The password and a first code; returns the recovery codes (shown once) and the account's status. */
  async complete(token: string, password: string, code: string): Promise<{ recoveryCodes: string[]; status: 'active' | 'pending' }> {
    if (password.length < MIN_PASSWORD_LENGTH) throw new AccessError('weak_password');
    const hash = await hashPassword(password);
    const now = this.clock();
    const first = await this.door((repo) => this.pending(repo, token));
    const wait = await this.throttle.secondFactorWait(first.userId, now.getTime());
    if (wait === 'locked') throw new AccessError('account_locked');
    if (wait > 0) throw new AccessError('throttled', wait);
    const out = await this.door(async (repo, tx) => {
      const e = await this.pending(repo, token);
      if (e.totpSealed === null) throw new AccessError('enrolment_invalid');
      const secret = await this.vault.admin(e.practiceId).open(null, e.userId, 'user.totp', e.totpSealed);
      const step = await checkTotp(secret, code, now, null);
      if (step === null) return null;
      const codes = newRecoveryCodes();
      const status = e.approved ? 'active' : 'pending';
      await repo.enrol(e.userId, { passwordHash: hash, totpSealed: e.totpSealed, totpStep: step, at: now, status });
      // Earlier recovery codes are spent (the login door may mark codes used, not delete them).
      await repo.spendRecoveryCodes(e.userId, now);
      await repo.addRecoveryCodes(e.practiceId, e.userId, codes.map(hashRecoveryCode));
      await repo.redeem(e.id, now);
      await appendAuditEvents(tx, [{
        id: randomUUID(), at: now, practiceId: e.practiceId, userId: e.userId, role: e.role, sessionId: null, sourceIp: null, action: 'account.enrol',
        resourceType: 'Account', resourceId: e.userId, patientId: null, segment: 'auth', labels: [], purpose: 'security', outcome: 'success',
        reason: e.approved ? 'password and second factor set by the user' : 'password and second factor set by the user; awaiting approval',
      }]);
      return { recoveryCodes: codes, status } as const;
    });
    if (out === null) {
      await this.throttle.secondFactorFailure(first.userId, now.getTime());
      throw new AccessError('mfa_invalid');
    }
    return out;
  }
}
