import { createHash, generateKeyPairSync, randomBytes, type KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { jwtVerify, SignJWT } from 'jose';
import { writeFileAtomicSync } from '../vault/files.js';
import type { Role } from '../domain/index.js';

/**
 * Access tokens: short-lived (15 minutes at most) EdDSA JWTs naming their server-side session.
 * A token is only as good as its session: revoking the session refuses the token at once.
 */
export const ACCESS_TOKEN_TTL_S = 900;
const ISSUER = 'medvault';

export interface TokenKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function generateTokenKeys(): TokenKeys {
  return generateKeyPairSync('ed25519');
}

/** The token-signing key of this installation, kept beside the keyring (mode 0600). */
export function loadOrCreateTokenKeys(path: string): TokenKeys {
  if (existsSync(path)) {
    const privateKey = createPrivateKey(readFileSync(path, 'utf8'));
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  const keys = generateTokenKeys();
  writeFileAtomicSync(path, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  return keys;
}

export interface AccessClaims {
  readonly sub: string;
  readonly sid: string;
  readonly role: Role;
  readonly pid: string | null;
  readonly pat: string | null;
  readonly scope: string;
  readonly auth_time: number;
  readonly acr: string;
  readonly amr: string[];
  /** RFC 9449 §6: the DPoP key the token is bound to. */
  readonly cnf?: { readonly jkt: string };
}

export async function signAccessToken(keys: TokenKeys, claims: AccessClaims, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_S)
    .setJti(randomBytes(12).toString('base64url'))
    .sign(keys.privateKey);
}

export async function verifyAccessToken(keys: TokenKeys, token: string, now: Date): Promise<AccessClaims> {
  const { payload } = await jwtVerify(token, keys.publicKey, {
    issuer: ISSUER,
    algorithms: ['EdDSA'],
    typ: 'at+jwt',
    currentDate: now,
    maxTokenAge: ACCESS_TOKEN_TTL_S,
    requiredClaims: ['sub', 'sid', 'exp', 'iat'],
  });
  return payload as unknown as AccessClaims;
}

/**
 * Access tokens as verified by this process: a token whose signature and claims were checked once
 * is not checked again (an Ed25519 verification was the largest single cost of a read).
 * Keyed by the whole token, so a token that differs in any byte is verified afresh; only tokens
 * that passed go in; the time rules (expiry, the token's age) are applied again on every use.
 * Bounded: past `entries`, the oldest goes (it is verified again if it comes back).
 */
export class AccessTokenVerifier {
  private readonly verified = new Map<string, AccessClaims & { readonly exp: number; readonly iat: number }>();

  constructor(
    private readonly keys: TokenKeys,
    private readonly entries = 20_000,
  ) {}

  async verify(token: string, now: Date): Promise<AccessClaims> {
    const s = Math.floor(now.getTime() / 1000);
    const known = this.verified.get(token);
    if (known !== undefined) {
      // jose's rules: expired at exp (no tolerance); too old past iat + the lifetime; not yet issued.
      if (s < known.exp && s - known.iat <= ACCESS_TOKEN_TTL_S && known.iat <= s) return known;
      this.verified.delete(token);
    }
    const claims = (await verifyAccessToken(this.keys, token, now)) as AccessClaims & { exp: number; iat: number };
    if (this.entries > 0) {
      this.verified.set(token, claims);
      if (this.verified.size > this.entries) this.verified.delete(this.verified.keys().next().value as string);
    }
    return claims;
  }
}

/** Refresh tokens: "<session id>.<random>"; only their SHA-256 is stored. */
export function newRefreshToken(sessionId: string): { token: string; hash: Buffer } {
  const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashSecret(token) };
}

export function hashSecret(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
