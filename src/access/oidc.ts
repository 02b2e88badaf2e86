import * as client from 'openid-client';
import type { AuthService, RequestMeta, TokenResponse } from './auth.js';
import { AccessError } from './errors.js';
import { AuthRepository, type Database } from '../store/index.js';

/**
 * OpenID Connect login for health professionals, shaped like Pro Santé Connect: discovery,
 * authorization code with PKCE (S256), state and nonce, `acr_values=eidas1` asked for and the ID
 * token's `acr` checked; the national professional id (`SubjectNameID` = "8" + RPPS) names the
 * medvault account. A state is good for one callback only, for ten minutes.
 */
export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** Allow an http issuer (tests, a local provider). */
  readonly allowInsecure?: boolean;
  readonly requiredAcr?: string;
}

interface PendingLogin {
  readonly verifier: string;
  readonly nonce: string;
  readonly expires: number;
}

const STATE_TTL_MS = 10 * 60_000;

export class OidcLogin {
  private readonly pending = new Map<string, PendingLogin>();

  private constructor(
    private readonly config: client.Configuration,
    private readonly o: OidcConfig,
    private readonly auth: AuthService,
    private readonly db: Database,
  ) {}

  get redirectUri(): string {
    return this.o.redirectUri;
  }

  static async discover(o: OidcConfig, auth: AuthService, db: Database): Promise<OidcLogin> {
    const config = await client.discovery(new URL(o.issuer), o.clientId, o.clientSecret, undefined, o.allowInsecure ? { execute: [client.allowInsecureRequests] } : undefined);
    return new OidcLogin(config, o, auth, db);
  }

  /** The provider's authorization URL for a new login attempt. */
  async start(): Promise<string> {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const now = Date.now();
    for (const [k, v] of this.pending) if (v.expires < now) this.pending.delete(k);
    this.pending.set(state, { verifier, nonce, expires: now + STATE_TTL_MS });
    return client
      .buildAuthorizationUrl(this.config, {
        redirect_uri: this.o.redirectUri,
        scope: 'openid scope_all',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        acr_values: this.o.requiredAcr ?? 'eidas1',
      })
      .toString();
  }

  /** The callback: exchanges the code, checks state, nonce and acr, and opens a medvault session. */
  async finish(callbackUrl: URL, meta: RequestMeta): Promise<TokenResponse> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    const login = this.pending.get(state);
    this.pending.delete(state); // one use, even when what follows fails
    if (!login || login.expires < Date.now()) throw new AccessError('oidc_failed');
    let claims: client.IDToken | undefined;
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(this.config, callbackUrl, {
        pkceCodeVerifier: login.verifier,
        expectedState: state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      accessToken = tokens.access_token;
    } catch {
      throw new AccessError('oidc_failed');
    }
    if (!claims || claims.acr !== (this.o.requiredAcr ?? 'eidas1')) throw new AccessError('oidc_failed');
    let subjectNameId: unknown = (claims as Record<string, unknown>).SubjectNameID;
    if (typeof subjectNameId !== 'string') {
      try {
        const info = await client.fetchUserInfo(this.config, accessToken, claims.sub);
        subjectNameId = info.SubjectNameID;
      } catch {
        throw new AccessError('oidc_failed');
      }
    }
    // Pro Santé Connect's national id for an RPPS professional is "8" followed by the RPPS number.
    const m = typeof subjectNameId === 'string' ? /^8([0-9]{11})$/.exec(subjectNameId) : null;
    if (!m) throw new AccessError('oidc_unknown_professional');
    const account = await this.db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) => new AuthRepository(tx).accountByRpps(m[1] as string));
    if (!account || account.role !== 'practitioner') throw new AccessError('oidc_unknown_professional');
    if (account.status !== 'active') throw new AccessError(account.status === 'locked' ? 'account_locked' : 'account_disabled');
    // eIDAS substantial (the card or the e-CPS app) counts as a second factor.
    return this.auth.startSession(account, ['oidc', 'mfa'], 'eidas1', meta);
  }
}
