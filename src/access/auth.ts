import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { requiresSecondFactor, type Role } from '../domain/index.js';
import { appendAuditEvents, AuthRepository, PLATFORM_KEY_SCOPE, type AuditEventInput, type Database, type LoginAccount, type SessionRow, type Tx } from '../store/index.js';
import type { ActionOf } from '../audit/events.js';
import type { Vault } from '../vault/index.js';
import { AccessError } from './errors.js';
import { clientFingerprint, clientOf } from './clients.js';
import { MemoryEphemeralStore, type EphemeralStore } from './ephemeral.js';
import { hashPassword, verifyPassword } from './password.js';
import { freshAuthentication, type Principal } from './principal.js';
import { defaultScopes } from './scopes.js';
import { decide, fourEyes } from './policy.js';
import { LoginThrottle, SECOND_FACTOR } from './throttle.js';
import { ACCESS_TOKEN_TTL_S, AccessTokenVerifier, hashSecret, newRefreshToken, signAccessToken, type TokenKeys } from './tokens.js';
import { hashRecoveryCode, isRecoveryCodeShape, verifyTotp } from './totp.js';
import { SessionStates, type SessionState } from './session-states.js';

export interface TokenResponse {
  readonly access_token: string;
  /** `DPoP` when the session is bound to a DPoP key (RFC 9449 §5), else `Bearer`. */
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly refresh_token: string;
  readonly scope: string;
}

export type LoginResult = { readonly mfa_required: true; readonly mfa_token: string } | TokenResponse;

export interface RequestMeta {
  readonly ip: string;
  readonly userAgent: string | null;
  /** The thumbprint of the DPoP key that signed this request's proof (RFC 9449), if it had one. */
  readonly dpopJkt?: string | null;
}

export interface AuthOptions {
  readonly db: Database;
  readonly vault: Vault;
  readonly keys: TokenKeys;
  readonly throttle: LoginThrottle;
  readonly clock: () => Date;
  /** Absolute session lifetime; default 12 hours (a working day). */
  readonly sessionTtlS?: number;
  /** Where second-factor challenges wait (Redis when instances share the load); in memory by default. */
  readonly ephemeral?: EphemeralStore;
}

const MFA_TTL_MS = 5 * 60_000;

/** A bearer session of a client the account did not approve, in a practice that requires DPoP. */
function bearerRefused(s: Pick<SessionRow, 'dpopRequired' | 'dpopJkt' | 'clientApproved'>): boolean {
  return s.dpopRequired && s.dpopJkt === null && !s.clientApproved;
}

const MFA_ATTEMPTS = 5;

/** What a second-factor code turned out to be: a method that holds, the right code reused, or wrong. */
type FactorCheck = 'otp' | 'recovery' | 'replayed' | 'wrong';

/** The audit outcome and reason of a checked code (`what` names the factor: "second factor", "fresh second factor"). */
function factorAudit(check: FactorCheck, what: string): { outcome: 'success' | 'denied'; reason: string } {
  switch (check) {
    case 'otp':
    case 'recovery':
      return { outcome: 'success', reason: `${what}: ${check}` };
    case 'replayed':
      return { outcome: 'denied', reason: 'code of a step already used' };
    case 'wrong':
      return { outcome: 'denied', reason: 'wrong code' };
    default:
      return check satisfies never;
  }
}
/**
 * Authentication: passwords, second factors, sessions and tokens. Every outcome that concerns an
 * account is audited in the transaction that decides it.
 */
export class AuthService {
  /** Second-factor challenges between password and code (shared by instances through Redis). */
  private readonly pending: EphemeralStore;
  private readonly verifier: AccessTokenVerifier;
  private readonly sessions: SessionStates;
  private dummyHash: Promise<string>;
  /** Told when an account is locked for guessing its second factor (detection raises the alert). */
  onSecondFactorLock: (userId: string, practiceId: string | null, wrongCodes: number) => void = () => undefined;
  /** Told when an account that already has approved clients logs in from one it never used (detection alerts). */
  onNewClient: (userId: string, practiceId: string | null) => void = () => undefined;
  /** Told when a bearer session moved to another network after a step-up (detection alerts). */
  onSessionMoved: (userId: string, practiceId: string | null, sessionId: string) => void = () => undefined;
  /** Told when a session opens (the detector learns the address the account works from). */
  onSession: (userId: string, practiceId: string | null, role: string, ip: string) => void = () => undefined;
  /** Told when a security officer approves a client of an account (a wave stops asking it for a step-up). */
  onOfficerApproval: (userId: string) => void = () => undefined;

  constructor(private readonly o: AuthOptions) {
    this.pending = o.ephemeral ?? new MemoryEphemeralStore(() => o.clock().getTime());
    this.verifier = new AccessTokenVerifier(o.keys);
    this.sessions = new SessionStates((asked, at) => this.readSessionStates(asked, at), () => this.now());
    // Unknown usernames are checked against this, so that they cost what a real account costs.
    this.dummyHash = hashPassword(randomBytes(16).toString('hex'));
  }

  private now(): Date {
    return this.o.clock();
  }

  private door<T>(fn: (repo: AuthRepository, tx: Tx) => Promise<T>): Promise<T> {
    return this.o.db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) => fn(new AuthRepository(tx), tx));
  }

  private event(
    a: Pick<LoginAccount, 'id' | 'practiceId' | 'role'> | null, action: ActionOf<'none'>,
    outcome: AuditEventInput['outcome'], reason: string, meta: RequestMeta | null, sessionId: string | null = null,
  ): AuditEventInput {
    return {
      id: randomUUID(), at: this.now(), practiceId: a?.practiceId ?? null, userId: a?.id ?? null, role: a?.role ?? null, sessionId,
      sourceIp: meta?.ip ?? null, action, resourceType: null, resourceId: null, patientId: null, segment: 'auth', labels: [],
      purpose: 'security', outcome, reason,
    };
  }

  /** A client of an account approved, or its approval asked: the account is the event's resource. */
  private clientEvent(
    by: Pick<LoginAccount, 'id' | 'practiceId' | 'role'>, action: 'client.approve-request' | 'client.approve',
    reason: string, meta: RequestMeta, sessionId: string, target: { id: string; practiceId: string | null },
  ): AuditEventInput {
    return {
      id: randomUUID(), at: this.now(), practiceId: target.practiceId, userId: by.id, role: by.role, sessionId,
      sourceIp: meta.ip ?? null, action, resourceType: 'Account', resourceId: target.id, patientId: null,
      segment: 'auth', labels: [], purpose: 'security', outcome: 'success', reason,
    };
  }

  private async audit(tx: Tx, events: AuditEventInput[]): Promise<void> {
    const back = tx.scope;
    await appendAuditEvents(tx, events);
    await tx.enter(back);
  }

  /** POST /auth/login. Same body and the same work whether or not the account exists. */
  async login(username: string, password: string, meta: RequestMeta): Promise<LoginResult> {
    const key = username.toLowerCase();
    const now = this.now();
    const wait = await this.o.throttle.retryAfter(key, meta.ip, now.getTime());
    if (wait > 0) throw new AccessError('throttled', wait);
    const account = await this.door((repo) => repo.accountByUsername(key));
    const ok = await verifyPassword(account?.passwordHash ?? (await this.dummyHash), password);
    if (!account || !ok) {
      await this.o.throttle.failure(key, meta.ip, now.getTime());
      await this.door((_r, tx) => this.audit(tx, [this.event(account, 'login', 'denied', 'invalid credentials', meta)]));
      throw new AccessError('invalid_credentials');
    }
    await this.o.throttle.success(key, meta.ip);
    if (account.status !== 'active') {
      await this.door((_r, tx) => this.audit(tx, [this.event(account, 'login', 'denied', `account ${account.status}`, meta)]));
      throw new AccessError(account.status === 'locked' ? 'account_locked' : account.status === 'pending' ? 'account_pending' : 'account_disabled');
    }
    if (account.totpSealed !== null || requiresSecondFactor(account.role)) {
      const token = randomBytes(32).toString('base64url');
      await this.pending.set(`mfa:${hashSecret(token).toString('base64')}`, account.id, MFA_TTL_MS);
      await this.door((_r, tx) => this.audit(tx, [this.event(account, 'login.password', 'success', 'second factor required', meta)]));
      return { mfa_required: true, mfa_token: token };
    }
    return this.startSession(account, ['pwd'], 'aal1', meta);
  }

  /**
   * Checks a TOTP or recovery code for an account, consuming it: the method if it holds,
   * 'replayed' for the right TOTP code of a step already used (not a guess: see verifyTotp), else 'wrong'.
   */
  private async secondFactor(repo: AuthRepository, account: LoginAccount, code: string): Promise<FactorCheck> {
    const now = this.now();
    if (isRecoveryCodeShape(code) && !/^[0-9]{6}$/.test(code)) {
      return (await repo.useRecoveryCode(account.id, hashRecoveryCode(code), now)) ? 'recovery' : 'wrong';
    }
    if (account.totpSealed === null) return 'wrong';
    const secret = await this.o.vault.admin(account.practiceId ?? PLATFORM_KEY_SCOPE).open(null, account.id, 'user.totp', account.totpSealed);
    const r = await verifyTotp(secret, code, now, account.totpLastStep);
    if (r.kind !== 'ok') return r.kind;
    // Another request used this step (or a later one) since the account was read: the other
    // device's login with the same right code won the race.
    return (await repo.useTotpStep(account.id, r.step)) ? 'otp' : 'replayed';
  }

  /** Refuses before a code is evaluated when the account's second-factor guesses are spent (throttle.ts SECOND_FACTOR). */
  private async secondFactorGate(userId: string, ip?: string): Promise<void> {
    const now = this.now().getTime();
    const wait = await this.o.throttle.secondFactorWait(userId, now);
    if (wait === 'locked') throw new AccessError('account_locked');
    if (wait > 0 && ip !== undefined) {
      // Wrong codes sent from elsewhere (someone who has the password) do not slow the account's
      // own desk: from an address it logged in from, the code is evaluated (the count still locks).
      const account = await this.door((repo) => repo.accountById(userId));
      if (account && (await this.o.throttle.knowsAddress(account.username.toLowerCase(), ip, now))) return;
    }
    if (wait > 0) throw new AccessError('throttled', wait);
  }

  /** Counts a wrong code; at the limit the account is locked, its sessions end, and detection alerts. */
  private async secondFactorFailed(account: Pick<LoginAccount, 'id' | 'practiceId' | 'role'>, meta: RequestMeta | null): Promise<void> {
    const n = await this.o.throttle.secondFactorFailure(account.id, this.now().getTime());
    if (n < SECOND_FACTOR.lockAt) return;
    await this.door(async (repo, tx) => {
      await repo.setStatus(account.id, 'locked');
      await this.audit(tx, [this.event(account, 'account.lock', 'success', `${n} wrong second-factor codes in 24 hours`, meta)]);
    });
    await this.revokeAllSessions(account.id, 'second factor guessed');
    this.forgetAccount();
    this.onSecondFactorLock(account.id, account.practiceId, n);
  }

  /** A security officer's unlock: the second-factor count starts again. */
  secondFactorReset(userId: string): Promise<void> {
    return this.o.throttle.secondFactorReset(userId);
  }

  /** POST /auth/mfa. */
  async mfa(mfaToken: string, code: string, meta: RequestMeta): Promise<TokenResponse> {
    const now = this.now();
    const id = `mfa:${hashSecret(mfaToken).toString('base64')}`;
    const userId = await this.pending.get(id);
    if (userId === null || (await this.pending.incr(`${id}:attempts`, MFA_TTL_MS)) > MFA_ATTEMPTS) {
      await this.pending.delete(id);
      throw new AccessError('mfa_invalid');
    }
    await this.secondFactorGate(userId, meta.ip);
    const result = await this.door(async (repo, tx) => {
      const account = await repo.accountById(userId);
      if (!account || account.status !== 'active') return { account, check: 'wrong' as const };
      const check = await this.secondFactor(repo, account, code);
      const a = factorAudit(check, 'second factor');
      await this.audit(tx, [this.event(account, 'login.mfa', a.outcome, a.reason, meta)]);
      return { account, check };
    });
    // The right code, typed again in its step: refused, but not a guess — nothing is counted, and
    // the challenge stays open for the next code.
    if (result.account && result.check === 'replayed') throw new AccessError('totp_replayed');
    if (!result.account || (result.check !== 'otp' && result.check !== 'recovery')) {
      if (result.account && result.account.status !== 'active') throw new AccessError(result.account.status === 'locked' ? 'account_locked' : 'account_disabled');
      if (result.account) {
        await this.o.throttle.failure(result.account.username.toLowerCase(), meta.ip, now.getTime());
        await this.secondFactorFailed(result.account, meta);
      }
      throw new AccessError('mfa_invalid');
    }
    await this.pending.delete(id);
    return this.startSession(result.account, ['pwd', result.check, 'mfa'], 'aal2', meta);
  }

  /** A new session and its first token pair. OIDC logins arrive here too. */
  async startSession(account: LoginAccount, amr: string[], acr: string, meta: RequestMeta, scopes = defaultScopes(account.role)): Promise<TokenResponse> {
    const now = this.now();
    const sessionId = randomUUID();
    const refresh = newRefreshToken(sessionId);
    const client = clientOf(meta);
    const seen = await this.door(async (repo, tx) => {
      // A practice that requires DPoP takes bearer clients only once the account approved them;
      // such a client is never an account's first (it would approve itself).
      const required = account.practiceId !== null && !meta.dpopJkt && (await repo.practiceRequiresDpop(account.practiceId));
      const c = await repo.seeClient(account.id, account.practiceId, client.key, client.label, now, !required);
      // A client the practice admin refused opens no session again (its sessions ended at the refusal).
      if (c.refused) {
        await this.audit(tx, [this.event(account, 'login', 'denied', 'this client was refused by the practice admin', meta)]);
        return { ...c, refused: 'client' as const };
      }
      if (required && !c.approved) {
        await this.audit(tx, [this.event(account, 'login', 'denied', 'the practice requires DPoP and this bearer client is not approved', meta)]);
        return { ...c, refused: 'dpop' as const };
      }
      await repo.createSession({
        id: sessionId, practiceId: account.practiceId, userId: account.id, createdAt: now, authTime: now, amr, acr, scopes,
        expiresAt: new Date(now.getTime() + (this.o.sessionTtlS ?? 12 * 3600) * 1000), refreshHash: refresh.hash,
        sourceIp: meta.ip, userAgent: meta.userAgent, dpopJkt: meta.dpopJkt ?? null, client: client.key,
      });
      const how = c.approved ? (c.first ? 'first client, approved' : 'approved client') : c.fresh ? 'new client, not approved' : 'client not approved';
      await this.audit(tx, [this.event(account, 'login', 'success', `session opened (${amr.join('+')}; ${how})`, meta, sessionId)]);
      return { ...c, refused: null };
    });
    if (seen.fresh && !seen.approved) this.onNewClient(account.id, account.practiceId);
    if (seen.refused === 'client') throw new AccessError('client_refused');
    if (seen.refused === 'dpop') throw new AccessError('dpop_required');
    this.onSession(account.id, account.practiceId, account.role, meta.ip);
    // Every factor passed from this address: guesses from elsewhere never slow it down (throttle.ts).
    await this.o.throttle.loggedIn(account.username.toLowerCase(), meta.ip, now.getTime());
    return this.tokens(account, sessionId, now, amr, acr, scopes, refresh.token, meta.dpopJkt ?? null);
  }

  private async tokens(a: Pick<LoginAccount, 'id' | 'role' | 'practiceId' | 'patientId'>, sid: string, authTime: Date, amr: string[], acr: string, scopes: string[], refresh: string, jkt: string | null): Promise<TokenResponse> {
    const access = await signAccessToken(
      this.o.keys,
      { sub: a.id, sid, role: a.role, pid: a.practiceId, pat: a.patientId, scope: scopes.join(' '), auth_time: Math.floor(authTime.getTime() / 1000), acr, amr, ...(jkt ? { cnf: { jkt } } : {}) },
      this.now(),
    );
    return { access_token: access, token_type: jkt ? 'DPoP' : 'Bearer', expires_in: ACCESS_TOKEN_TTL_S, refresh_token: refresh, scope: scopes.join(' ') };
  }

  /**
   * POST /auth/refresh: rotation with reuse detection. A refresh token is good once; presenting
   * an older one means it was copied, and the whole session is revoked.
   */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenResponse> {
    const sessionId = refreshToken.split('.')[0] ?? '';
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(sessionId)) throw new AccessError('refresh_invalid');
    const now = this.now();
    const out = await this.door(async (repo, tx) => {
      const s = await repo.session(sessionId, true);
      if (!s || s.revokedAt !== null || s.expiresAt <= now) return null;
      const account = await repo.accountById(s.userId);
      if (!account || account.status !== 'active') return null;
      if (bearerRefused(s)) {
        await this.audit(tx, [this.event(account, 'token.refresh', 'denied', 'the practice requires DPoP and this bearer client is not approved', meta, s.id)]);
        return null;
      }
      // A DPoP-bound session refreshes only with a proof from its own key (RFC 9449 §5).
      if (s.dpopJkt !== null && meta.dpopJkt !== s.dpopJkt) {
        await this.audit(tx, [this.event(account, 'token.refresh', 'denied', 'refresh without the session\'s DPoP key', meta, s.id)]);
        return null;
      }
      const presented = hashSecret(refreshToken);
      if (!timingSafeEqual(presented, s.refreshHash)) {
        // Only one of this session's own earlier tokens is a reuse (someone holds a copy): the
        // session ends. Anything else is a forgery and ends nothing.
        if (s.previousRefreshHashes.some((h) => h.length === presented.length && timingSafeEqual(h, presented))) {
          await repo.revokeSession(s.id, now, 'refresh token reused');
          this.forget(s.id);
          await this.audit(tx, [this.event(account, 'token.refresh', 'denied', 'refresh token reused: session revoked', meta, s.id)]);
        } else {
          await this.audit(tx, [this.event(account, 'token.refresh', 'denied', 'unknown refresh token', meta, s.id)]);
        }
        return null;
      }
      const next = newRefreshToken(s.id);
      await repo.rotateRefresh(s.id, next.hash);
      return { account, s, refresh: next.token };
    });
    if (out === null) throw new AccessError('refresh_invalid');
    return this.tokens(out.account, out.s.id, out.s.authTime, out.s.amr, out.s.acr, out.s.scopes, out.refresh, out.s.dpopJkt);
  }

  /** Bearer token → principal, refusing a token whose session is revoked, expired or whose account is not active. */
  async authenticate(bearer: string): Promise<Principal> {
    const now = this.now();
    let claims;
    try {
      claims = await this.verifier.verify(bearer, now);
    } catch {
      throw new AccessError('token_invalid');
    }
    const cachedState = await this.sessions.get(claims.sid, claims.sub, now.getTime());
    const state = cachedState.sub === claims.sub ? cachedState.ok : 'revoked';
    if (state === 'locked') throw new AccessError('account_locked');
    if (state === 'disabled') throw new AccessError('account_disabled');
    if (state !== 'ok') throw new AccessError('session_revoked');
    return {
      userId: claims.sub, role: claims.role as Role, practiceId: claims.pid, patientId: claims.pat, sessionId: claims.sid,
      scopes: claims.scope.split(' ').filter(Boolean), authTime: new Date(claims.auth_time * 1000), amr: claims.amr, acr: claims.acr,
      ...(cachedState.client ? { client: cachedState.client } : {}),
      clientApproved: cachedState.approved === true,
      ...(cachedState.network && !claims.cnf?.jkt ? { network: cachedState.network } : {}),
      ...(claims.cnf?.jkt ? { dpopJkt: claims.cnf.jkt } : {}),
    };
  }

  /**
   * Whether a principal's session still stands (not ended, its account neither locked nor
   * disabled), as the token check would find it now: a Bundle's entries ask before each is served.
   */
  async stillLive(p: Principal): Promise<void> {
    const now = this.now();
    const s = await this.sessions.get(p.sessionId, p.userId, now.getTime());
    const state = s.sub === p.userId ? s.ok : 'revoked';
    if (state === 'locked') throw new AccessError('account_locked');
    if (state === 'disabled') throw new AccessError('account_disabled');
    if (state !== 'ok') throw new AccessError('session_revoked');
  }

  /** The states of these sessions as of `at`, in one statement (SessionStates caches them). */
  private async readSessionStates(asked: readonly { sid: string; sub: string }[], at: Date): Promise<Map<string, SessionState>> {
    const found = await this.door((repo) => repo.sessionStates(asked));
    const out = new Map<string, SessionState>();
    for (const { sid, sub } of asked) {
      const f = found.get(sid);
      const s = f?.session ?? null;
      // A locked or disabled account says so, whatever became of its sessions.
      if (!f || f.accountStatus === null) out.set(sid, { ok: 'revoked' });
      else if (f.accountStatus === 'locked' || f.accountStatus === 'disabled') out.set(sid, { ok: f.accountStatus });
      // A practice that requires DPoP keeps no bearer session of a client it did not approve,
      // including those opened before it required it.
      else if (!s || s.revokedAt !== null || s.expiresAt <= at || s.userId !== sub || bearerRefused(s)) out.set(sid, { ok: 'revoked' });
      else {
        const network = s.client?.startsWith('agent:') ? /@(.+)$/.exec(s.client)?.[1] : undefined;
        out.set(sid, { ok: 'ok', client: clientFingerprint(s.userAgent), approved: s.clientApproved, ...(network ? { network } : {}) });
      }
    }
    return out;
  }

  private forget(sid?: string): void {
    this.sessions.forget(sid);
  }

  /** POST /auth/logout. */
  async logout(p: Principal, meta: RequestMeta): Promise<void> {
    await this.door(async (repo, tx) => {
      await repo.revokeSession(p.sessionId, this.now(), 'logout');
      await this.audit(tx, [this.event({ id: p.userId, practiceId: p.practiceId, role: p.role }, 'logout', 'success', 'session closed', meta, p.sessionId)]);
    });
    this.forget(p.sessionId);
  }

  /** POST /auth/step-up: a fresh second factor on the current session (RFC 9470). */
  async stepUp(p: Principal, code: string, meta: RequestMeta): Promise<TokenResponse> {
    const now = this.now();
    await this.secondFactorGate(p.userId);
    let movedTo: string | null = null;
    const out = await this.door(async (repo, tx) => {
      const account = await repo.accountById(p.userId);
      const s = await repo.session(p.sessionId, true);
      if (!account || !s || s.revokedAt !== null) return null;
      const check = await this.secondFactor(repo, account, code);
      const a = factorAudit(check, 'fresh second factor');
      await this.audit(tx, [this.event(account, 'step-up', a.outcome, a.reason, meta, p.sessionId)]);
      if (check === 'replayed') return 'replayed' as const;
      if (check === 'wrong') return null;
      // A bearer session used from another network is bound to the client it is now (a new client
      // of the account, not approved unless it already was): the second factor proved the person,
      // not the device. Never to a client the practice admin refused: the session stays as it was.
      const moved = s.dpopJkt === null ? clientOf(meta) : null;
      if (moved !== null && s.client !== moved.key) {
        if ((await repo.seeClient(account.id, account.practiceId, moved.key, moved.label, now, false)).refused) {
          return 'client-refused' as const;
        }
        await repo.rebindClient(s.id, moved.key);
        movedTo = moved.key;
      }
      const amr = [...new Set([...s.amr, check, 'mfa'])];
      await repo.refreshAuthTime(s.id, now, amr);
      const next = newRefreshToken(s.id);
      await repo.rotateRefresh(s.id, next.hash);
      return { account, s, amr, refresh: next.token };
    });
    if (out === 'replayed') throw new AccessError('totp_replayed');
    if (out === 'client-refused') throw new AccessError('client_refused');
    if (out !== null) this.forget(p.sessionId);
    if (out !== null && movedTo !== null) this.onSessionMoved(p.userId, p.practiceId, p.sessionId);
    if (out === null) {
      // A session's guesses count against its address (across accounts); the account's own count is SECOND_FACTOR.
      await this.o.throttle.failure(null, meta.ip, now.getTime());
      await this.secondFactorFailed({ id: p.userId, practiceId: p.practiceId, role: p.role }, meta);
      throw new AccessError('mfa_invalid');
    }
    return this.tokens(out.account, out.s.id, now, out.amr, 'aal2', out.s.scopes, out.refresh, out.s.dpopJkt);
  }

  /** GET /me/clients: the clients the account has used, which are approved, and which is this one. */
  async clients(p: Principal, userId = p.userId): Promise<{ clients: { client: string; kind: 'browser key' | 'program'; network: string | null; label: string | null; firstSeen: string; lastSeen: string; approved: boolean; approvedVia: string | null; current: boolean }[] }> {
    // Another account's clients: a security officer's read (ids and user agents; no patient).
    if (userId !== p.userId && !decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, { careRelationship: false, breakGlass: false, freshAuthentication: false }).allow) throw new AccessError('forbidden');
    const { rows, current } = await this.door(async (repo) => ({ rows: await repo.clients(userId), current: (await repo.session(p.sessionId))?.client ?? null }));
    // From a client the account has not approved, only that client: the others' user agents and
    // networks are what a thief would copy to pass for them (found by an outside attack).
    const shown = userId === p.userId && p.clientApproved !== true ? rows.filter((c) => c.client === current) : rows;
    return {
      clients: shown.map((c) => ({
        client: c.client, kind: c.client.startsWith('dpop:') ? ('browser key' as const) : ('program' as const), network: /@(.+)$/.exec(c.client)?.[1] ?? null, label: c.label, firstSeen: c.firstSeen.toISOString(), lastSeen: c.lastSeen.toISOString(), approved: c.approvedAt !== null, approvedVia: c.approvedVia, current: c.client === current,
      })),
    };
  }

  /**
   * POST /me/clients/approve: the user approves a client they used, from a client already approved
   * and with a fresh second factor (a thief on his own client cannot approve it; on the doctor's,
   * he would need the doctor's workstation). Audited; an alert follows (detection).
   */
  async approveClient(p: Principal, client: string, meta: RequestMeta): Promise<void> {
    if (p.clientApproved !== true) throw new AccessError('client_not_approved');
    if (!freshAuthentication(p, this.now())) throw new AccessError('step_up_required');
    await this.approve({ id: p.userId, practiceId: p.practiceId, role: p.role }, p.userId, client, 'user', meta, p.sessionId);
  }

  /** A security officer approves an account's client (the user called from a new workstation). Audited. */
  async approveClientAsOfficer(officer: Principal, userId: string, client: string, meta: RequestMeta): Promise<'approved' | 'pending'> {
    if (!decide(officer, 'lock-accounts', { type: 'Account', practiceId: null }, { careRelationship: false, breakGlass: false, freshAuthentication: false }).allow) throw new AccessError('forbidden');
    // Four eyes (the policy's, as for unlocks): an approved client reads the calendar as the doctor
    // does, so one stolen officer account must not hand a thief's client to a stolen doctor. Never
    // one's own (another officer approves it, or the officer from her own approved client); the
    // first officer asks (audited), a different one within a day approves.
    const key = `client-approval:${userId}:${client}`;
    const asked = await this.pending.get(key);
    const step = fourEyes(officer.userId, asked === null ? [] : [asked], officer.userId === userId);
    if (step === 'refuse') throw new AccessError('forbidden');
    if (step !== 'confirm') {
      const known = await this.door((repo) => repo.clients(userId));
      const row = known.find((c) => c.client === client);
      if (!row || row.approvedAt !== null) throw new AccessError('client_unknown');
      await this.pending.set(key, officer.userId, 24 * 3_600_000);
      await this.door(async (repo, tx) => {
        const target = await repo.accountById(userId);
        const by = { id: officer.userId, practiceId: officer.practiceId, role: officer.role };
        const reason = 'a security officer asked to approve a client of the account; a second officer must confirm';
        const of = { id: userId, practiceId: target?.practiceId ?? null };
        await this.audit(tx, [this.clientEvent(by, 'client.approve-request', reason, meta, officer.sessionId, of)]);
      });
      return 'pending';
    }
    await this.approve({ id: officer.userId, practiceId: officer.practiceId, role: officer.role }, userId, client, 'officer', meta, officer.sessionId);
    await this.pending.delete(key);
    return 'approved';
  }

  private async approve(by: Pick<LoginAccount, 'id' | 'practiceId' | 'role'>, userId: string, client: string, via: 'user' | 'officer', meta: RequestMeta, sessionId: string): Promise<void> {
    const done = await this.door(async (repo, tx) => {
      if (!(await repo.approveClient(userId, client, by.id, via, this.now()))) return false;
      const target = await repo.accountById(userId);
      const reason = via === 'user'
        ? 'the user approved a client from an approved one'
        : 'a security officer approved a client of the account';
      const of = { id: userId, practiceId: target?.practiceId ?? by.practiceId };
      await this.audit(tx, [this.clientEvent(by, 'client.approve', reason, meta, sessionId, of)]);
      return true;
    });
    if (!done) throw new AccessError('client_unknown');
    // Sessions opened from that client see the approval at their next request.
    this.forget();
    if (via === 'officer') this.onOfficerApproval(userId);
  }

  /** A second-factor reset starts the account's clients over (the next login approves its own). */
  async forgetClients(userId: string): Promise<void> {
    await this.door((repo) => repo.forgetClients(userId));
    this.forget();
  }

  /** Ends every session of an account at once (lock, disable, credential reset). */
  async revokeAllSessions(userId: string, reason: string): Promise<number> {
    const ids = await this.door((repo) => repo.revokeSessionsOf(userId, this.now(), reason));
    for (const id of ids) this.forget(id);
    return ids.length;
  }

  /** Drops the cached state of every session (an account's status changed). */
  forgetAccount(): void {
    this.forget();
  }

  /** Forgets cached session states so the next request re-reads them (another instance revoked one). */
  forgetSessions(): void {
    this.forget();
  }
}
