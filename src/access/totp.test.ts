import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { newTotpSecret, verifyTotp } from './totp.js';

/** Which codes count as a replay (not a guess) and which as wrong: RFC 6238 §5.2 and §6. */
const T0 = Date.UTC(2026, 2, 3, 8, 0, 15);
const STEP = 30_000;
const stepOf = (ms: number) => Math.floor(ms / STEP);

describe('verifyTotp', () => {
  const secret = newTotpSecret();
  const codeAt = (ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

  it('takes the code of a step after the last used one, and says which step', async () => {
    expect(await verifyTotp(secret, await codeAt(T0), new Date(T0), stepOf(T0) - 1)).toEqual({ kind: 'ok', step: stepOf(T0) });
    expect(await verifyTotp(secret, await codeAt(T0), new Date(T0), null)).toEqual({ kind: 'ok', step: stepOf(T0) });
  });

  it('calls the code of the step already used a replay, within its window', async () => {
    const used = stepOf(T0);
    expect(await verifyTotp(secret, await codeAt(T0), new Date(T0 + 5000), used)).toEqual({ kind: 'replayed' });
    // The next step, the consumed one still within the drift allowance.
    expect(await verifyTotp(secret, await codeAt(T0), new Date(T0 + STEP), used)).toEqual({ kind: 'replayed' });
  });

  it('calls anything else wrong: a guess, an older step, or the used step once out of its window', async () => {
    const used = stepOf(T0);
    const right = await codeAt(T0);
    const guess = right === '000000' ? '000001' : '000000';
    expect(await verifyTotp(secret, guess, new Date(T0), used)).toEqual({ kind: 'wrong' });
    // The previous step's code: right an instant ago, but older than the step used.
    expect(await verifyTotp(secret, await codeAt(T0 - STEP), new Date(T0), used)).toEqual({ kind: 'wrong' });
    expect(await verifyTotp(secret, right, new Date(T0 + 3 * STEP), used)).toEqual({ kind: 'wrong' });
    expect(await verifyTotp(secret, 'abcdef', new Date(T0), used)).toEqual({ kind: 'wrong' });
  });
});
