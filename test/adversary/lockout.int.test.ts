import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoUser } from '../../src/sim/seed.js';
import { BACKENDS } from '../helpers/backends.js';
import { call, login, startServer, user, type Reply, type Server } from './harness.js';
import { recordFigure } from './figures.js';

/**
 * Lockout that a stranger cannot cause (OWASP Authentication Cheat Sheet: slow the source down,
 * do not lock the account out), and a second factor typed twice in its 30-second step (RFC 6238
 * §5.2: the server refuses the replay) that is not counted as a guess. Different sources are
 * different loopback addresses: Linux takes any 127.0.0.0/8 address as a local source, and the
 * server (no trusted proxy) sees the socket's address.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DOCTOR_ADDRESS = '127.0.0.1';

/** One HTTP request from a chosen local address (the harness binds the socket to it). */
function callFrom(s: Server, from: string, method: string, path: string, o: { body?: unknown; ua?: string } = {}): Promise<Reply> {
  return call(s, method, path, { ...o, from });
}

const codeNow = (s: Server, u: DemoUser) => generate({ secret: u.totpSecret!, epoch: Math.floor(s.now().getTime() / 1000) });
const diagnostics = (r: Reply) => String((r.body.issue as { diagnostics?: string }[] | undefined)?.[0]?.diagnostics ?? '');

describe.each(BACKENDS)('lockout ($name)', (backend) => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 40 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a stranger\'s 20 wrong passwords from another address: the doctor logs in from her usual address, the stranger waits', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0, 0);
    // She has worked from her usual address before.
    expect(await login(s, doctor)).not.toBeNull();
    const stranger = '127.0.0.2';
    const statuses: number[] = [];
    let retryAfter = 0;
    let doctorRefused = 0;
    // Three rounds: the stranger's guesses, then at once her own login (password and second factor)
    // from her usual address, in the next TOTP step.
    for (const guesses of [7, 7, 6]) {
      s.advance(31_000);
      for (let i = 0; i < guesses; i++) {
        const r = await callFrom(s, stranger, 'POST', '/auth/login', { body: { username: doctor.username, password: `guess-${statuses.length}` }, ua: 'curl/8' });
        statuses.push(r.status);
        if (r.status === 429) retryAfter = Math.max(retryAfter, Number(r.headers.get('retry-after') ?? 0));
      }
      const l = await callFrom(s, DOCTOR_ADDRESS, 'POST', '/auth/login', { body: { username: doctor.username, password: doctor.password } });
      const m = l.status === 200 ? await callFrom(s, DOCTOR_ADDRESS, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code: await codeNow(s, doctor) } }) : l;
      if (m.status !== 200) doctorRefused++;
    }
    const strangerThrottled = statuses.filter((x) => x === 429).length;
    recordFigure(backend.name, 'stranger: 20 wrong passwords for a doctor from another address', { strangerThrottled, retryAfter, doctorRefused });
    expect(doctorRefused).toBe(0);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    // Five free, then one more each time the wait is over (30 s, then 60 s): the rest wait.
    expect(strangerThrottled).toBe(14);
    expect(retryAfter).toBeGreaterThan(0);
  });

  it('someone with the password types wrong codes from elsewhere: the doctor\'s own login at her desk is not slowed (regression: 429 at /auth/mfa)', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 1, 0);
    expect(await login(s, doctor)).not.toBeNull();
    s.advance(31_000);
    let evaluated = 0;
    for (let i = 0; i < 4; i++) {
      const from = `127.0.${40 + i}.9`;
      const l = await callFrom(s, from, 'POST', '/auth/login', { body: { username: doctor.username, password: doctor.password }, ua: 'curl/8' });
      if (l.status !== 200) continue;
      const m = await callFrom(s, from, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code: '000000' }, ua: 'curl/8' });
      if (m.status === 401) evaluated++;
    }
    const l = await callFrom(s, DOCTOR_ADDRESS, 'POST', '/auth/login', { body: { username: doctor.username, password: doctor.password } });
    const m = await callFrom(s, DOCTOR_ADDRESS, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code: await codeNow(s, doctor) } });
    recordFigure(backend.name, 'password holder\'s wrong codes from elsewhere, then the doctor at her desk', { evaluated, doctorStatus: m.status });
    expect(evaluated).toBeGreaterThanOrEqual(3);
    expect(m.status).toBe(200);
  });

  it('the same code typed on two devices in one TOTP step: refused as already used, not counted as a guess', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 0, 1);
    const laptop = 'Mozilla/5.0 (Macintosh) medvault-laptop';
    let counted = 0;
    let doctorRefused = 0;
    let reuseRefused = 0;
    for (let round = 0; round < 10; round++) {
      s.advance(31_000);
      const a = await call(s, 'POST', '/auth/login', { body: { username: doctor.username, password: doctor.password } });
      const b = await call(s, 'POST', '/auth/login', { body: { username: doctor.username, password: doctor.password }, ua: laptop });
      expect([a.status, b.status]).toEqual([200, 200]);
      const code = await codeNow(s, doctor);
      const first = await call(s, 'POST', '/auth/mfa', { body: { mfa_token: a.body.mfa_token, code } });
      if (first.status !== 200) doctorRefused++;
      const again = await call(s, 'POST', '/auth/mfa', { body: { mfa_token: b.body.mfa_token, code }, ua: laptop });
      if (again.status === 401) counted++;
      if (again.status === 400 && diagnostics(again) === 'code déjà utilisé — attendez le suivant') reuseRefused++;
    }
    // Not one step closer to a lock: the three free wrong codes are all still there, and only then
    // does the account make a guesser wait. A wrong code is still a guess. (The guesser is
    // elsewhere: wrong codes from her own desk are counted but not slowed.)
    s.advance(31_000);
    const away = '127.0.50.9';
    const l = await callFrom(s, away, 'POST', '/auth/login', { body: { username: doctor.username, password: doctor.password } });
    const wrong: number[] = [];
    for (let i = 0; i < 4; i++) wrong.push((await callFrom(s, away, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code: String(314159 + i) } })).status);
    const status = (await s.store.driver.transaction((q) => q.query<{ status: string }>('SELECT status FROM admin.users WHERE username = $1', [doctor.username]))).rows[0]!.status;
    const freeWrongCodesLeft = wrong.findIndex((x) => x !== 401);
    recordFigure(backend.name, 'two devices, one TOTP step, 10 times', { counted, reuseRefused, doctorRefused, freeWrongCodesLeft, locked: status === 'locked' ? 1 : 0 });
    expect(counted).toBe(0);
    expect(reuseRefused).toBe(10);
    expect(doctorRefused).toBe(0);
    expect(status).toBe('active');
    expect(wrong).toEqual([401, 401, 401, 429]);
  });

  it('a guesser spread over 250 addresses is throttled account-wide; the doctor at her usual address is not', async () => {
    await s.fresh();
    const doctor = user(s, 'practitioner', 1, 0);
    expect(await login(s, doctor)).not.toBeNull();
    const start = s.now().getTime();
    let evaluated = 0;
    let throttled = 0;
    let doctorRefused = 0;
    let doctorLogins = 0;
    let nextDoctor = start + 10 * MINUTE;
    // One hour of a guesser who honours Retry-After and never uses an address twice in a row.
    for (let i = 0; s.now().getTime() - start < HOUR; i++) {
      const from = `127.0.2.${(i % 250) + 1}`;
      const r = await callFrom(s, from, 'POST', '/auth/login', { body: { username: doctor.username, password: `spread-${i}` }, ua: 'curl/8' });
      if (r.status === 401) evaluated++;
      else if (r.status === 429) {
        throttled++;
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        s.advance(Number(r.headers.get('retry-after')) * 1000);
      } else throw new Error(`unexpected ${r.status}`);
      s.advance(1000);
      if (s.now().getTime() >= nextDoctor) {
        doctorLogins++;
        if ((await login(s, doctor)) === null) doctorRefused++;
        nextDoctor += 10 * MINUTE;
      }
    }
    // The price: right after one of his guesses, her password from an address she never logged in
    // from waits too (slowed, never locked).
    for (let i = 0; ; i++) {
      const r = await callFrom(s, `127.0.3.${i + 1}`, 'POST', '/auth/login', { body: { username: doctor.username, password: `last-${i}` } });
      if (r.status === 401) break;
      s.advance(Number(r.headers.get('retry-after')) * 1000);
    }
    const away = await callFrom(s, '127.0.0.9', 'POST', '/auth/login', { body: { username: doctor.username, password: doctor.password } });
    const newAddressWait = away.status === 429 ? Number(away.headers.get('retry-after')) : 0;
    recordFigure(backend.name, 'guesser over 250 addresses for one hour', { evaluated, throttled, doctorLogins, doctorRefused, newAddressWait });
    expect(throttled).toBeGreaterThan(0);
    // At most what the account-wide budget for unknown addresses lets through in an hour (docs/access.md).
    expect(evaluated).toBeLessThanOrEqual(15);
    expect(doctorLogins).toBeGreaterThanOrEqual(5);
    expect(doctorRefused).toBe(0);
    expect(newAddressWait).toBeGreaterThan(0);
    expect(newAddressWait).toBeLessThanOrEqual(900);
  });
});
