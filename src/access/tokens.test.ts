import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TTL_S, AccessTokenVerifier, generateTokenKeys, signAccessToken, type AccessClaims } from './tokens.js';

const claims: AccessClaims = {
  sub: '00000000-0000-4000-8000-000000000001', sid: '00000000-0000-4000-8000-000000000002', role: 'practitioner',
  pid: '00000000-0000-4000-8000-000000000003', pat: null, scope: 'user/*.read', auth_time: 1_800_000_000, acr: 'aal2', amr: ['pwd', 'otp'],
};
const t0 = new Date('2027-01-15T09:00:00Z');

describe('AccessTokenVerifier: a token verified once is not verified again, but its time rules hold on every use', () => {
  it('accepts a good token again from memory, and refuses it once expired (and after a restart of the cache)', async () => {
    const keys = generateTokenKeys();
    const v = new AccessTokenVerifier(keys);
    const token = await signAccessToken(keys, claims, t0);
    expect((await v.verify(token, t0)).sub).toBe(claims.sub);
    // Within its life: from memory, the same claims.
    const later = new Date(t0.getTime() + (ACCESS_TOKEN_TTL_S - 1) * 1000);
    expect((await v.verify(token, later)).sid).toBe(claims.sid);
    // At its expiry (exp = iat + TTL): refused, though it was cached.
    await expect(v.verify(token, new Date(t0.getTime() + ACCESS_TOKEN_TTL_S * 1000))).rejects.toThrow();
    // Before it was issued (a clock gone back): refused too.
    await expect(v.verify(token, new Date(t0.getTime() - 2000))).rejects.toThrow();
  });

  it('never caches a refusal or lets a cached token vouch for a different one', async () => {
    const keys = generateTokenKeys();
    const v = new AccessTokenVerifier(keys);
    const token = await signAccessToken(keys, claims, t0);
    await v.verify(token, t0);
    const [h, p, sig] = token.split('.') as [string, string, string];
    // The same header and signature with other claims (a role raised): verified, and refused.
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'security-officer' })).toString('base64url')}.${sig}`;
    await expect(v.verify(forged, t0)).rejects.toThrow();
    await expect(v.verify(forged, t0)).rejects.toThrow();
    // A token of another installation's key is refused.
    const other = await signAccessToken(generateTokenKeys(), claims, t0);
    await expect(v.verify(other, t0)).rejects.toThrow();
  });

  it('is bounded: past its size the oldest token is forgotten and verified afresh', async () => {
    const keys = generateTokenKeys();
    const v = new AccessTokenVerifier(keys, 2);
    const a = await signAccessToken(keys, { ...claims, sid: 'a' }, t0);
    const b = await signAccessToken(keys, { ...claims, sid: 'b' }, t0);
    const c = await signAccessToken(keys, { ...claims, sid: 'c' }, t0);
    for (const t of [a, b, c]) await v.verify(t, t0);
    const held = (v as unknown as { verified: Map<string, unknown> }).verified;
    expect(held.size).toBe(2);
    expect(held.has(a)).toBe(false);
    expect((await v.verify(a, t0)).sid).toBe('a');
  });
});
