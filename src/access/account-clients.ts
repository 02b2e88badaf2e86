import { randomUUID } from 'node:crypto';
import { appendAuditEvents, type Database, type Tx } from '../store/index.js';
import { AccountRepository, type PracticeClient } from '../store/accounts.js';
import type { ActionOf } from '../audit/events.js';
import type { AuthService } from './auth.js';
import { AccessError } from './errors.js';
import { decide, fourEyes } from './policy.js';
import type { Principal } from './principal.js';

/** How long an admin's request to approve a client waits for a second admin. */
export const CLIENT_REQUEST_TTL_MS = 24 * 3_600_000;

/** What an admin's call to approve a client does: refused, recorded as a request, or the approval. */
export type ClientApprovalStep = 'refuse' | 'ask' | 'confirm';

/**
 * Four eyes on a practice admin's approval of a client (a browser or program an account used), as
 * the policy rules it (`fourEyes`): never a client of one's own account, and an approval is two
 * admins' — the first asks (asking again is asking), a different one confirms.
 */
export function clientApprovalStep(by: string, owner: string, askedBy: string | null): ClientApprovalStep {
  const step = fourEyes(by, askedBy === null ? [] : [askedBy], by === owner);
  return step === 'asked-again' ? 'ask' : step;
}

/** A client as the practice admin sees it: its state and the user agent it named (no patient data). */
export interface AdminClient {
  readonly userId: string;
  readonly client: string;
  readonly kind: 'browser key' | 'program';
  readonly network: string | null;
  readonly label: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly state: 'approved' | 'refused' | 'waiting';
  readonly approvedVia: string | null;
  /** Whether an admin asked to approve it; and whether that admin is the one asking now. */
  readonly asked: boolean;
  readonly askedByMe: boolean;
}

function shown(c: PracticeClient, me: string): AdminClient {
  const state = c.approvedAt !== null ? 'approved' : c.refusedAt !== null ? 'refused' : 'waiting';
  return {
    userId: c.userId, client: c.client, kind: c.client.startsWith('dpop:') ? 'browser key' : 'program',
    network: /@(.+)$/.exec(c.client)?.[1] ?? null, label: c.label, firstSeen: c.firstSeen.toISOString(),
    lastSeen: c.lastSeen.toISOString(), state, approvedVia: c.approvedVia,
    asked: state === 'waiting' && c.askedBy !== null, askedByMe: state === 'waiting' && c.askedBy === me,
  };
}

/**
 * The practice admin's view of the practice's clients: list them, approve one (four eyes), refuse
 * one (its sessions end at once). Decided by the policy (manage-accounts), done as the admin role
 * inside the practice, audited in the same transaction.
 */
export class AccountClients {
  constructor(
    private readonly db: Database,
    private readonly auth: AuthService,
    private readonly clock: () => Date,
  ) {}

  private practiceOf(p: Principal): string {
    const none = { careRelationship: false, breakGlass: false, freshAuthentication: false };
    const d = decide(p, 'manage-accounts', { type: 'Account', practiceId: p.practiceId }, none);
    if (!d.allow || p.practiceId === null) throw new AccessError('forbidden');
    return p.practiceId;
  }

  private audit(tx: Tx, p: Principal, action: ActionOf<'Account'>, targetId: string, reason: string) {
    return appendAuditEvents(tx, [{
      id: randomUUID(), at: this.clock(), practiceId: p.practiceId, userId: p.userId, role: p.role,
      sessionId: p.sessionId, sourceIp: null, action, resourceType: 'Account', resourceId: targetId, patientId: null,
      segment: 'admin', labels: [], purpose: 'admin', outcome: 'success', reason,
    }]);
  }

  /** The practice's clients, or one account's. */
  async list(p: Principal, userId: string | null = null): Promise<AdminClient[]> {
    const practiceId = this.practiceOf(p);
    const rows = await this.db.transaction({ role: 'admin', practiceId }, (tx) =>
      new AccountRepository(tx).clients(this.clock(), userId));
    return rows.map((c) => shown(c, p.userId));
  }

  /** An admin's approval: the first asks (202 at the edge), a second admin confirms. */
  async approve(p: Principal, userId: string, client: string): Promise<'pending' | 'approved'> {
    const practiceId = this.practiceOf(p);
    const out = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const repo = new AccountRepository(tx);
      const now = this.clock();
      const account = await repo.account(userId);
      if (account === null || account.role === 'patient') return 'forbidden' as const;
      const c = (await repo.clients(now, userId)).find((x) => x.client === client);
      if (!c || c.approvedAt !== null || c.refusedAt !== null) return 'unknown' as const;
      const step = clientApprovalStep(p.userId, userId, c.askedBy);
      if (step === 'refuse') return 'forbidden' as const;
      if (step === 'ask') {
        await repo.askClientApproval(userId, client, p.userId, now, new Date(now.getTime() + CLIENT_REQUEST_TTL_MS));
        const why = 'a practice admin asked to approve a client of the account; a second admin must confirm';
        await this.audit(tx, p, 'client.approve-request', userId, why);
        return 'pending' as const;
      }
      if (!(await repo.approveClient(userId, client, p.userId, now))) return 'unknown' as const;
      await repo.dropClientRequest(userId, client);
      await this.audit(tx, p, 'client.approve', userId, 'a second practice admin confirmed the approval of a client');
      return 'approved' as const;
    });
    if (out === 'forbidden') throw new AccessError('forbidden');
    if (out === 'unknown') throw new AccessError('client_unknown');
    // Sessions opened from that client see the approval at their next request.
    if (out === 'approved') this.auth.forgetSessions();
    return out;
  }

  /** Refuses a client (one person suffices: it only takes access away); its sessions end at once. */
  async refuse(p: Principal, userId: string, client: string): Promise<void> {
    const practiceId = this.practiceOf(p);
    const done = await this.db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const repo = new AccountRepository(tx);
      const account = await repo.account(userId);
      if (account === null || account.role === 'patient') return false;
      const now = this.clock();
      if (!(await repo.refuseClient(userId, client, p.userId, now))) return false;
      await repo.dropClientRequest(userId, client);
      const ended = await repo.revokeClientSessions(userId, client, now, 'client refused by the practice admin');
      await this.audit(tx, p, 'account.revoke-sessions', userId, `a practice admin refused a client (${ended} ` +
        `sessions ended)`);
      return true;
    });
    if (!done) throw new AccessError('client_unknown');
    this.auth.forgetSessions();
  }
}
