import { ApiError } from './api.js';
import { lang } from './i18n.js';

/**
 * A refusal in the reader's language. The server words its refusals in French, with their reason
 * (a detector rule: counts and windows) and what to do, so in French they are shown as they are;
 * in English the app says what happened from the error's stable code, and keeps the server's
 * reason beside it (it cannot translate a rule's sentence it does not know).
 */
export function refusalText(e: ApiError): string {
  if (lang() === 'fr') return e.message;
  const said = ` (Server: “${e.message}”)`;
  switch (e.code) {
    case 'invalid_credentials':
    case 'mfa_invalid':
      return 'Wrong username, password or code.';
    case 'totp_replayed':
      return 'Code already used — wait for the next one.';
    case 'throttled':
      return `Too many attempts or accesses in a short time: try again in ${waitEn(e.retryAfter)}.${said}`;
    case 'practice_budget':
      return `The practice's accounts together reached one of its shared limits: try again in ${waitEn(e.retryAfter)}. Your account is not at fault.${said}`;
    case 'session_suspended':
      return `This account was suspended: call the platform's security officer to restore it.${said}`;
    case 'account_locked':
      return `This account is locked: only the platform's security officer can unlock it.${said}`;
    case 'account_disabled':
      return 'This account is disabled.';
    case 'session_revoked':
    case 'token_invalid':
      return 'Your session has ended: sign in again.';
    case 'step_up_required':
      return `Confirm your second factor.${said}`;
    case 'forbidden':
      return 'Your account may not do this.';
    default:
      return e.message;
  }
}

/** A Retry-After in English words (seconds, then minutes, as the server counts them). */
function waitEn(seconds: number | null): string {
  if (seconds === null) return 'a few minutes';
  if (seconds < 60) return `${seconds} seconds`;
  const min = Math.ceil(seconds / 60);
  return min === 1 ? '1 minute' : `${min} minutes`;
}

/** The title of the notice a session's end opens with. */
export function endTitle(e: ApiError, T: (fr: string, en: string) => string): string {
  if (e.code === 'session_suspended') return T('Compte suspendu', 'Account suspended');
  if (e.code === 'account_locked') return T('Compte verrouillé', 'Account locked');
  return T('Session terminée', 'Session ended');
}
