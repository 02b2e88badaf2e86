import { randomBytes, randomUUID } from 'node:crypto';
import type { Role, User } from '../domain/index.js';
import { AdminRepository, appendAuditEvents, type Database, type Tx } from '../store/index.js';
import { AccountRepository, type AccountState } from '../store/accounts.js';
import { EnrolmentRepository } from '../store/enrolment.js';
import type { ActionOf } from '../audit/events.js';
import type { Vault } from '../vault/index.js';
import { AccountClients } from './account-clients.js';
import type { AuthService } from './auth.js';
import { AccessError } from './errors.js';
import { hashPassword } from './password.js';
import { decide } from './policy.js';
import type { Principal } from './principal.js';
import { hashSecret } from './tokens.js';

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

/**
 * What the practice admin gets for a new account or a reset: a one-time link for the user, never
 * the user's password or second-factor secret (an admin must not be able to mint
 * working credentials). The link expires; the account is usable only once its user has redeemed
 * the link and a second person has approved it.
 */
export interface Enrolment {
  readonly id: string;
  readonly username: string;
  readonly enrolmentUrl: string;
  readonly expiresAt: string;
  readonly approvalRequired: boolean;
}

/** Who may approve a new account besides the admin who created it (MEDVAULT_ACCOUNT_APPROVERS). */
export type Approvers = 'security-officer' | 'practice-admin' | 'either';

/**
 * An account as its practice's admin lists it: whether its user enrolled, whether a second person
 * approved it, and whether the admin asking may approve it (not its creator, not the holder of its
 * latest link: the same rule `approve` applies).
 */
export interface AccountOverview extends User {
  readonly enrolled: boolean;
  readonly approved: boolean;
  readonly mayApprove: boolean;
}

/** How long an enrolment link stays good. */
export const ENROLMENT_TTL_MS = 72 * 3_600_000;

/** Account events that detection turns into alerts (creation, approval, second-factor reset). */
export type AccountEventSink = (userId: string, practiceId: string, what: 'created' | 'approved' | 'reset' | 'dpop-relaxed') => void;

/**
 * Account management for practice admins: create, approve, disable, reset the second factor.
 * Each action is decided by the policy, done as the admin role inside the practice, and audited
 * with it. Creations and resets hand out enrolment links; approvals need a second person.
 */
export class AccountService {
  /** The practice's clients: listed, approved by two admins, refused. */
  readonly clients: AccountClients;

  constructor(
    private readonly db: Database,
    private readonly vault: Vault,
    private readonly auth: AuthService,
    private readonly clock: () => Date,
    private readonly o: { publicUrl: string; approvers: Approvers; onEvent?: AccountEventSink } = { publicUrl: 'http://127.0.0.1:8080', approvers: 'either' },
  ) {
    this.clients = new AccountClients(db, auth, clock);
  }

  private practiceOf(p: Principal): string {
    const d = decide(p, 'manage-accounts', { type: 'Account', practiceId: p.practiceId }, { careRelationship: false, breakGlass: false, freshAuthentication: false });
    if (!d.allow || p.practiceId === null) throw new AccessError('forbidden');
    return p.practiceId;
  }

  private audit(tx: Tx, p: Principal, action: ActionOf<'Account'>, targetId: string, reason: string) {
    return appendAuditEvents(tx, [
      {
        id: randomUUID(), at: this.clock(), practiceId: p.practiceId, userId: p.userId, role: p.role, sessionId: p.sessionId,
        sourceIp: null, action, resourceType: 'Account', resourceId: targetId, patientId: null, segment: p.role === 'security-officer' ? 'security' : 'admin', labels: [],
        purpose: p.role === 'security-officer' ? 'security' : 'admin', outcome: 'success', reason,
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

  /** The practice's accounts with where each stands (enrolled, approved) and whether `p` may approve it. */
  async overview(p: Principal): Promise<AccountOverview[]> {
    const practiceId = this.practiceOf(p);
    const { users, states } = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => ({
      users: await new AdminRepository(tx, this.vault.admin(practiceId)).users(),
      states: await new AccountRepository(tx).states(),
    }));
    const byId = new Map<string, AccountState>(states.map((x) => [x.userId, x]));
    return users.filter((u) => u.role !== 'patient').map((u) => {
      const st = byId.get(u.id);
      if (st === undefined) return { ...u, enrolled: false, approved: false, mayApprove: false };
      const another = st.createdBy !== p.userId && st.linkBy !== p.userId;
      const approved = st.approvedAt !== null;
      const mayApprove = u.status === 'pending' && !approved && another && this.o.approvers !== 'security-officer';
      return { ...u, enrolled: st.enrolledAt !== null, approved, mayApprove };
    });
  }

  /** A one-time link (its token stored hashed); the user redeems it at /auth/enrol. */
  private async newLink(
    accounts: AccountRepository, userId: string, purpose: 'create' | 'reset', by: string,
  ): Promise<{ url: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + ENROLMENT_TTL_MS);
    // Earlier links of this account stop working.
    await accounts.expireLinks(userId, now);
    await accounts.addLink({
      id: randomUUID(), userId, tokenHash: hashSecret(token), purpose, createdBy: by, createdAt: now, expiresAt,
    });
    return { url: `${this.o.publicUrl.replace(/\/$/, '')}/#/enrol/${token}`, expiresAt };
  }

  async create(p: Principal, n: NewAccount): Promise<Enrolment> {
    const practiceId = this.practiceOf(p);
    const id = randomUUID();
    const link = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const repo = new AdminRepository(tx, this.vault.admin(practiceId));
      // No usable password until the user sets one: a random one nobody is told.
      await repo.insertUsers([
        { id, practiceId, username: n.username, role: n.role, familyName: n.familyName, givenName: n.givenName, rpps: n.rpps, patientId: null, status: 'pending', passwordHash: await hashPassword(randomBytes(32).toString('base64url')), totpSecret: null },
      ]);
      const accounts = new AccountRepository(tx);
      await accounts.setCreatedBy(id, p.userId);
      const l = await this.newLink(accounts, id, 'create', p.userId);
      await this.audit(tx, p, 'account.create', id, `created ${n.role} (pending enrolment and approval)`);
      return l;
    });
    this.o.onEvent?.(id, practiceId, 'created');
    return { id, username: n.username, enrolmentUrl: link.url, expiresAt: link.expiresAt.toISOString(), approvalRequired: true };
  }

  /**
   * A second person approves a pending account: a security officer, or a practice admin of the
   * practice other than the one who created it (as MEDVAULT_ACCOUNT_APPROVERS allows). The
   * account becomes active once its user has also enrolled.
   */
  async approve(p: Principal, userId: string): Promise<{ status: 'active' | 'pending' }> {
    const byOfficer = p.role === 'security-officer';
    if (byOfficer ? this.o.approvers === 'practice-admin' : this.o.approvers === 'security-officer') throw new AccessError('forbidden');
    const d = byOfficer
      ? decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, { careRelationship: false, breakGlass: false, freshAuthentication: false })
      : decide(p, 'manage-accounts', { type: 'Account', practiceId: p.practiceId }, { careRelationship: false, breakGlass: false, freshAuthentication: false });
    if (!d.allow) throw new AccessError('forbidden');
    const out = await this.db.transaction({ role: 'platform', practiceId: null, platform: true }, async (tx) => {
      const enrolment = new EnrolmentRepository(tx);
      const t = await enrolment.approvalFacts(userId);
      if (!t || t.approvedAt !== null || t.status !== 'pending') return null;
      // The second person: never whoever created the account or handed out its enrolment link
      // (a reset's link too: the admin who holds it could otherwise redeem it and approve it),
      // and an admin only of the same practice.
      const another = t.createdBy !== p.userId && t.linkBy !== p.userId;
      if (!another || (!byOfficer && t.practiceId !== p.practiceId)) return null;
      const status = t.enrolledAt !== null ? 'active' : 'pending';
      await enrolment.approve(userId, this.clock(), p.userId, status);
      await this.audit(tx, p, 'account.approve', userId, `approved by a ${p.role}`);
      return { status, practiceId: t.practiceId } as const;
    });
    if (out === null) throw new AccessError('forbidden');
    this.o.onEvent?.(userId, out.practiceId, 'approved');
    this.auth.forgetAccount();
    return { status: out.status };
  }
  /** An account of the practice that a practice admin manages (not a patient's), or null. */
  private async target(accounts: AccountRepository, userId: string): Promise<{ role: Role; status: string } | null> {
    const t = await accounts.account(userId);
    return t && t.role !== 'patient' ? t : null;
  }

  /** Disables an account and ends its sessions at once. */
  async disable(p: Principal, userId: string): Promise<void> {
    const practiceId = this.practiceOf(p);
    if (userId === p.userId) throw new AccessError('forbidden'); // an admin does not lock themselves out
    const found = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const accounts = new AccountRepository(tx);
      if (!(await this.target(accounts, userId))) return false;
      await accounts.disable(userId);
      await this.audit(tx, p, 'account.disable', userId, 'disabled by the practice admin');
      return true;
    });
    if (!found) throw new AccessError('forbidden');
    await this.auth.revokeAllSessions(userId, 'account disabled');
  }

  /**
   * PUT /admin/practice/dpop: whether the practice requires DPoP-bound sessions (RFC 9449). Bearer
   * clients an account approved stay allowed (a standard FHIR client). Audited; relaxing it alerts.
   */
  async setDpopRequired(p: Principal, required: boolean): Promise<{ dpopRequired: boolean }> {
    const practiceId = this.practiceOf(p);
    await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      await new AccountRepository(tx).setDpopRequired(required);
      await this.audit(tx, p, required ? 'practice.dpop-required' : 'practice.dpop-optional', p.userId, required ? 'the practice now requires DPoP-bound sessions' : 'the practice no longer requires DPoP-bound sessions');
    });
    if (!required) this.o.onEvent?.(p.userId, practiceId, 'dpop-relaxed');
    // Sessions are checked again at once: bearer sessions of clients not approved end now.
    this.auth.forgetSessions();
    return { dpopRequired: required };
  }

  /**
   * A second-factor reset: the old TOTP, the recovery codes and every session stop working, and
   * the user sets up a new factor (and password) through an enrolment link. The admin never sees
   * the new secret.
   */
  async resetSecondFactor(p: Principal, userId: string): Promise<{ enrolmentUrl: string; expiresAt: string }> {
    const practiceId = this.practiceOf(p);
    const link = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const accounts = new AccountRepository(tx);
      if (!(await this.target(accounts, userId))) return null;
      // The account is pending again and needs a new approval by a second person: whoever holds
      // the link (the admin, until the user redeems it) must not be able to take the account over.
      await accounts.resetSecondFactor(userId);
      await accounts.replaceRecoveryCodes(userId, []);
      const l = await this.newLink(accounts, userId, 'reset', p.userId);
      await this.audit(tx, p, 'account.reset-mfa', userId, 'second factor reset by the practice admin (enrolment link)');
      return l;
    });
    if (!link) throw new AccessError('forbidden');
    await this.auth.revokeAllSessions(userId, 'second factor reset');
    await this.auth.forgetClients(userId);
    this.auth.forgetAccount();
    this.o.onEvent?.(userId, practiceId, 'reset');
    return { enrolmentUrl: link.url, expiresAt: link.expiresAt.toISOString() };
  }
}
