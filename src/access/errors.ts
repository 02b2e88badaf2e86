import { CatalogError } from '../errors.js';

/**
 * The access error catalogue: a stable code, the HTTP status it becomes at the edge, and a
 * message fit for the client (deliberately vague where detail would help an attacker).
 */
export const ACCESS_ERRORS = {
  invalid_credentials: { status: 401, message: 'Invalid username or password.' },
  mfa_invalid: { status: 401, message: 'Invalid or expired second-factor code.' },
  // The right code, already used in its 30-second step (RFC 6238 §5.2): not a guess, and the person
  // at the keyboard is told what to do. 400, not 401: the web app reads a 401 as a wrong code (or,
  // on a session, as the session's end); it shows a 400's message as it is.
  totp_replayed: { status: 400, message: 'code déjà utilisé — attendez le suivant' },
  throttled: { status: 429, message: 'Too many attempts. Try again later.' },
  practice_budget: { status: 429, message: 'Le cabinet, tous comptes confondus, a atteint l\'un de ses plafonds partagés : réessayez plus tard (Retry-After). Votre compte n\'est pas en cause ; le responsable sécurité a été prévenu.' },
  account_locked: { status: 403, message: 'This account is locked. A security officer must unlock it.' },
  account_disabled: { status: 403, message: 'This account is disabled.' },
  account_pending: { status: 403, message: 'This account is not active yet: it must be enrolled by its user and approved by a second person.' },
  enrolment_invalid: { status: 400, message: 'This enrolment link is invalid, expired or already used.' },
  weak_password: { status: 400, message: 'Choose a password of at least 12 characters.' },
  token_missing: { status: 401, message: 'An access token is required.' },
  token_invalid: { status: 401, message: 'The access token is invalid or expired.' },
  dpop_invalid: { status: 401, message: 'The DPoP proof is missing, invalid or replayed.' },
  dpop_required: { status: 401, message: 'This practice requires DPoP-bound sessions: use a client that signs DPoP proofs, or have this client approved first from one you already use.' },
  client_not_approved: { status: 403, message: 'Only a client this account already uses, with a fresh second factor, can approve another one.' },
  client_unknown: { status: 404, message: 'This account has no such client waiting for approval.' },
  session_revoked: { status: 401, message: 'This session has ended. Log in again.' },
  session_suspended: { status: 401, message: 'This session was suspended. Log in again.' },
  refresh_invalid: { status: 401, message: 'The refresh token is invalid or was already used.' },
  step_up_required: { status: 401, message: 'A fresh second factor is required for this action.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  oidc_failed: { status: 401, message: 'The identity provider login could not be completed.' },
  oidc_unknown_professional: { status: 403, message: 'No medvault account is linked to this professional identity.' },
  oidc_disabled: { status: 404, message: 'No identity provider is configured.' },
} as const;

export type AccessErrorCode = keyof typeof ACCESS_ERRORS;

export class AccessError extends CatalogError<AccessErrorCode> {
  override readonly name = 'AccessError';
  constructor(
    code: AccessErrorCode,
    /** Seconds, for 429 Retry-After. */
    readonly retryAfter?: number,
    /** Why, for the user and the officer alike (a rule's reason: no patient data). */
    readonly why?: string,
  ) {
    super(code, ACCESS_ERRORS);
  }
}
