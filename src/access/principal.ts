import type { Role } from '../domain/index.js';
import { STEP_UP_MAX_AGE_S } from './policy.js';

/** Who is asking: built from a verified access token and its live server-side session. */
export interface Principal {
  readonly userId: string;
  readonly role: Role;
  /** null for the platform's security officers. */
  readonly practiceId: string | null;
  /** For a patient account: the patient it is. */
  readonly patientId: string | null;
  readonly sessionId: string;
  /** SMART-style scopes granted to the token; they narrow what the role allows. */
  readonly scopes: readonly string[];
  /** When the user last proved a second factor (or strong OIDC login). */
  readonly authTime: Date;
  /** Authentication methods (RFC 8176): pwd, otp, mfa, or the OIDC provider's. */
  readonly amr: readonly string[];
  readonly acr: string;
  /**
   * The fingerprint of the client that opened the session (its user agent; a missing one has a
   * fingerprint too). A request from another client with this session's token is a copied token.
   */
  readonly client?: string;
  /**
   * Whether the account approved the client this session was opened from (its first client, or
   * one approved from an approved client or by a security officer). From a client not approved,
   * the calendar explains nothing: a thief's own client reads like standing care.
   */
  readonly clientApproved?: boolean;
  /**
   * For a bearer session: the network it was opened from (or moved to after a step-up). A token
   * used from another network may be a copy: a fresh second factor is asked before any data.
   */
  readonly network?: string;
  /** The DPoP key the token is bound to (RFC 9449): every request must prove it holds that key. */
  readonly dpopJkt?: string;
}

const FRESH_MS = STEP_UP_MAX_AGE_S * 1000;

/** Whether the session's authentication used a second factor (RFC 8176 `mfa`, or `otp`). */
export function secondFactorUsed(p: Pick<Principal, 'amr'>): boolean {
  return p.amr.includes('mfa') || p.amr.includes('otp');
}

/** An authentication (of any factor) within the last five minutes: enough to approve one's own client. */
export function freshAuthentication(p: Pick<Principal, 'authTime'>, now: Date): boolean {
  return now.getTime() - p.authTime.getTime() <= FRESH_MS;
}

/**
 * The one definition of a fresh second factor: given within the last five minutes and, with
 * `since` (a wave's start), at or after it. Break-the-glass and a wave's step-up ask for this.
 */
export function freshSecondFactor(p: Pick<Principal, 'authTime' | 'amr'>, now: Date, since?: Date): boolean {
  return secondFactorUsed(p) && freshAuthentication(p, now) && (since === undefined || p.authTime >= since);
}
