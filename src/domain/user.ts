import type { Id } from './ids.js';

export const ROLES = ['practitioner', 'assistant', 'practice-admin', 'security-officer', 'patient'] as const;
export type Role = (typeof ROLES)[number];

export type AccountStatus = 'active' | 'disabled' | 'locked' | 'pending';

/**
 * An account. Professionals belong to one practice; the platform's security officers belong
 * to none (practiceId null); a patient account is tied to one patient record.
 */
export interface User {
  readonly id: Id;
  readonly practiceId: Id | null;
  readonly username: string;
  readonly role: Role;
  readonly familyName: string;
  readonly givenName: string;
  /** RPPS number of a health professional (11 digits), the national professional id. */
  readonly rpps: string | null;
  /** For a patient account: the patient record it may see. */
  readonly patientId: Id | null;
  readonly status: AccountStatus;
}

/** Roles that must use a second factor (TOTP) to log in. */
export function requiresSecondFactor(role: Role): boolean {
  return role === 'practitioner' || role === 'practice-admin' || role === 'security-officer';
}

/** An RPPS number: 11 digits whose last is a Luhn check digit (ANS, "identifiant RPPS"). */
export function isValidRpps(value: string): boolean {
  return /^[0-9]{11}$/.test(value) && luhnValid(value);
}

export function luhnCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

function luhnValid(value: string): boolean {
  return luhnCheckDigit(value.slice(0, -1)) === Number(value[value.length - 1]);
}
