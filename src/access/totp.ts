import { randomBytes } from 'node:crypto';
import { generateSecret, verify } from 'otplib';
import { hashSecret } from './tokens.js';

/**
 * TOTP (RFC 6238, 30-second steps, 6 digits), accepting the previous and the next step for
 * clock drift; a step once used is refused afterwards (replay, RFC 6238 §5.2). Recovery codes: ten
 * one-time codes of 60 random bits, stored as SHA-256 (their entropy makes a slow hash unnecessary).
 */
export async function checkTotp(
  secret: string, code: string, now: Date, afterStep: number | null,
): Promise<number | null> {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const r = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: 30,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return r.valid ? (r as { timeStep: number }).timeStep : null;
}

/**
 * A code's fate against the account's last used step: a step after it (`ok`), the very step
 * already used and still within the window (`replayed`: the right code typed twice, on two
 * devices, say), or anything else (`wrong`). Only a code equal to the consumed step's is a
 * replay, so a guesser is not spared a count: he would have to guess that code (one in a million)
 * to be answered `replayed`, and what he would learn is a code that no longer opens anything.
 * An older step within the window is `wrong`, as the drift allowance only serves steps not yet used.
 */
export type TotpCheck = { readonly kind: 'ok'; readonly step: number } | { readonly kind: 'replayed' | 'wrong' };

export async function verifyTotp(secret: string, code: string, now: Date, lastStep: number | null): Promise<TotpCheck> {
  const step = await checkTotp(secret, code, now, lastStep);
  if (step !== null) return { kind: 'ok', step };
  if (lastStep === null) return { kind: 'wrong' };
  return (await checkTotp(secret, code, now, null)) === lastStep ? { kind: 'replayed' } : { kind: 'wrong' };
}

export function newTotpSecret(): string {
  return generateSecret();
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function newRecoveryCodes(n = 10): string[] {
  return Array.from({ length: n }, () => {
    const b = randomBytes(12);
    const chars = Array.from(b, (x) => ALPHABET[x % ALPHABET.length]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

export function normaliseRecoveryCode(code: string): string {
  return code.trim().toLowerCase().replace(/[^a-z0-9]/g, '').replace(/^(.{4})(.{4})(.{4})$/, '$1-$2-$3');
}

export function isRecoveryCodeShape(code: string): boolean {
  return /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/.test(normaliseRecoveryCode(code));
}

export const hashRecoveryCode = (code: string) => hashSecret(`medvault-recovery/v1|${normaliseRecoveryCode(code)}`);
