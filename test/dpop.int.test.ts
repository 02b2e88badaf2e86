import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, totp, userOf, type TestApp } from './helpers/app.js';

/** DPoP (RFC 9449): tokens bound to the client's key, useless when copied alone. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ patients: 20 });
});
afterAll(async () => t?.close());

const ORIGIN = 'http://localhost';

async function newKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return {
    proof: async (method: string, path: string, o: { token?: string; iat?: number; jti?: string; htu?: string } = {}) =>
      new SignJWT({ htm: method, htu: o.htu ?? `${ORIGIN}${path}`, jti: o.jti ?? randomUUID(), ...(o.token ? { ath: createHash('sha256').update(o.token).digest('base64url') } : {}) })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt(o.iat ?? Math.floor(t.now().getTime() / 1000))
        .sign(privateKey),
  };
}

describe('DPoP-bound sessions', () => {
  it('binds a session opened with a proof, and refuses its token without a proof from that key', async () => {
    const key = await newKey();
    const u = userOf(t.seeded, 'practitioner');
    t.advance(31_000);
    const l = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password }, headers: { dpop: await key.proof('POST', '/auth/login') } });
    expect(l.statusCode).toBe(200);
    const m = await t.app.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await totp(u.totpSecret!, t.now()) }, headers: { dpop: await key.proof('POST', '/auth/mfa') } });
    expect(m.statusCode).toBe(200);
    expect(m.json().token_type).toBe('DPoP');
    const token = m.json().access_token as string;
    expect((decodeJwt(token).cnf as { jkt: string }).jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const path = `/fhir/Practitioner/${u.fhirId}`;
    const good = await t.app.inject({ method: 'GET', url: path, headers: { authorization: `DPoP ${token}`, dpop: await key.proof('GET', path, { token }) } });
    expect(good.statusCode).toBe(200);

    // The token copied alone, as Bearer or with a proof from another key, for another URL, replayed or stale: refused.
    const other = await newKey();
    const replayed = await key.proof('GET', path, { token });
    expect((await t.app.inject({ method: 'GET', url: path, headers: { authorization: `DPoP ${token}`, dpop: replayed } })).statusCode).toBe(200);
    const refused = [
      { authorization: `Bearer ${token}` },
      { authorization: `DPoP ${token}` },
      { authorization: `DPoP ${token}`, dpop: await other.proof('GET', path, { token }) },
      { authorization: `DPoP ${token}`, dpop: replayed },
      { authorization: `DPoP ${token}`, dpop: await key.proof('GET', '/fhir/Patient', { token }) },
      { authorization: `DPoP ${token}`, dpop: await key.proof('POST', path, { token }) },
      { authorization: `DPoP ${token}`, dpop: await key.proof('GET', path, { token, htu: `https://evil.example${path}` }) },
      { authorization: `DPoP ${token}`, dpop: await key.proof('GET', path, { token: 'another token' }) },
      { authorization: `DPoP ${token}`, dpop: await key.proof('GET', path, { token, iat: Math.floor(t.now().getTime() / 1000) - 600 }) },
      { authorization: `DPoP ${token}`, dpop: 'not.a.proof' },
    ];
    for (const [i, headers] of refused.entries()) {
      const r = await t.app.inject({ method: 'GET', url: path, headers });
      expect(r.statusCode, String(i)).toBe(401);
      expect(r.headers['www-authenticate'], String(i)).toMatch(/DPoP error="invalid_dpop_proof"/);
    }

    // Refreshing needs a proof from the same key.
    const refresh = m.json().refresh_token as string;
    expect((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refresh } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refresh }, headers: { dpop: await other.proof('POST', '/auth/refresh') } })).statusCode).toBe(401);
    const r = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refresh }, headers: { dpop: await key.proof('POST', '/auth/refresh') } });
    expect(r.statusCode).toBe(200);
    expect(r.json().token_type).toBe('DPoP');
  });

  it('keeps plain bearer tokens for clients that do not do DPoP', async () => {
    const u = userOf(t.seeded, 'assistant');
    t.advance(31_000);
    const l = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password } });
    const m = l.json().mfa_required ? await t.app.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await totp(u.totpSecret!, t.now()) } }) : l;
    expect(m.json().token_type).toBe('Bearer');
    expect((await t.app.inject({ method: 'GET', url: '/fhir/Appointment?_count=1', headers: { authorization: `Bearer ${m.json().access_token}` } })).statusCode).toBe(200);
    // A bearer token presented with the DPoP scheme is not accepted (RFC 9449 §7.2).
    expect((await t.app.inject({ method: 'GET', url: '/fhir/Appointment?_count=1', headers: { authorization: `DPoP ${m.json().access_token}` } })).statusCode).toBe(401);
  });

  it('refuses a login whose proof is invalid', async () => {
    const u = userOf(t.seeded, 'practitioner', 1);
    const r = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password }, headers: { dpop: 'garbage' } });
    expect(r.statusCode).toBe(401);
    expect(r.json().resourceType).toBe('OperationOutcome');
  });
});
