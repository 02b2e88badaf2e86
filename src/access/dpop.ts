import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { AccessError } from './errors.js';
import type { EphemeralStore } from './ephemeral.js';

/**
 * DPoP (RFC 9449): sender-constrained tokens. The client proves, on every request, that it holds
 * the private key whose thumbprint (RFC 7638) the access token carries in `cnf.jkt`; a token
 * copied off a compromised workstation is useless without that key (the web app's key is a
 * non-extractable WebCrypto key). Plain bearer tokens stay available to clients that cannot do
 * DPoP (most FHIR clients), under the same ledger and budgets.
 */

/** How far a proof's `iat` may be from the server's clock (RFC 9449 §11.1 leaves it to the server). */
const IAT_WINDOW_S = 60;
/** Proof signature algorithms accepted (asymmetric only, §4.2). */
const ALGORITHMS = ['ES256', 'EdDSA', 'ES384', 'PS256', 'RS256'];

export interface DpopCheck {
  readonly method: string;
  /** The request's path (no query, no fragment). */
  readonly path: string;
  /** Origins the client may have addressed: the configured public URL's, and the one it used. */
  readonly origins: readonly string[];
  readonly now: Date;
  /** For a resource request: the access token the proof must be bound to (`ath`, §4.3). */
  readonly accessToken?: string;
}

/** Verifies a DPoP proof (RFC 9449 §4.3); returns the key's thumbprint, or throws `dpop_invalid`. */
export async function verifyDpopProof(proof: string, c: DpopCheck, replay: EphemeralStore): Promise<string> {
  let header;
  let payload;
  try {
    const r = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ALGORITHMS, currentDate: c.now, clockTolerance: IAT_WINDOW_S, maxTokenAge: `${IAT_WINDOW_S}s`, requiredClaims: ['jti', 'htm', 'htu', 'iat'] });
    header = r.protectedHeader;
    payload = r.payload;
  } catch {
    throw new AccessError('dpop_invalid');
  }
  if (payload.htm !== c.method || typeof payload.htu !== 'string' || typeof payload.jti !== 'string' || payload.jti.length > 200) throw new AccessError('dpop_invalid');
  let htu: URL;
  try {
    htu = new URL(payload.htu);
  } catch {
    throw new AccessError('dpop_invalid');
  }
  // §4.3: the URI without query and fragment.
  if (htu.pathname !== c.path || !c.origins.includes(htu.origin)) throw new AccessError('dpop_invalid');
  if (c.accessToken !== undefined && payload.ath !== createHash('sha256').update(c.accessToken).digest('base64url')) throw new AccessError('dpop_invalid');
  // §11.1: a proof is good once (kept as long as it could be accepted, shared by every instance).
  if ((await replay.incr(`dpop-jti:${createHash('sha256').update(payload.jti).digest('base64url')}`, 2 * IAT_WINDOW_S * 1000 + 5_000)) > 1) throw new AccessError('dpop_invalid');
  return calculateJwkThumbprint(header.jwk!, 'sha256');
}
