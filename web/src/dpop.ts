import { SignJWT } from 'jose';

/**
 * DPoP (RFC 9449) in the browser: the session's tokens are bound to a key pair whose private half
 * is a non-extractable WebCrypto key — script on the page can use it but never read it out, so a
 * token copied from this workstation is useless anywhere else. The key is kept in this origin's
 * IndexedDB (a CryptoKey is stored as such, still non-extractable) so that a reload keeps the
 * session. Where WebCrypto is not available (a page not served from a secure context), no proof
 * is made and the server issues plain bearer tokens.
 */
interface Key {
  readonly privateKey: CryptoKey;
  readonly jwk: JsonWebKey;
}

const DB = 'medvault';
const STORE = 'keys';

function idb<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(STORE, mode);
      const r = f(tx.objectStore(STORE));
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
      tx.oncomplete = () => open.result.close();
    };
  });
}

let key: Promise<Key | null> | null = null;
const SLOT = 'medvault.dpop-slot';

/** Which account's key this tab uses: set at login, kept for reloads of the tab. */
function slot(): string {
  try {
    return sessionStorage.getItem(SLOT) ?? 'dpop';
  } catch {
    return 'dpop';
  }
}

async function loadOrCreate(): Promise<Key | null> {
  if (!globalThis.crypto?.subtle || typeof indexedDB === 'undefined') return null;
  const name = slot();
  try {
    const kept = await idb<{ privateKey: CryptoKey; jwk: JsonWebKey } | undefined>('readonly', (s) => s.get(name));
    if (kept?.privateKey && kept.jwk) return kept;
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const full = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const jwk: JsonWebKey = { kty: full.kty, crv: full.crv, x: full.x, y: full.y };
    await idb('readwrite', (s) => s.put({ privateKey: pair.privateKey, jwk }, name));
    return { privateKey: pair.privateKey, jwk };
  } catch {
    return null;
  }
}

/**
 * The key of this browser for one account (at login): kept from one login to the next, so that
 * the browser stays the client the account approved (a new key at each login made the
 * doctor's own workstation a new, unapproved client every morning); one key per account, so that
 * two people sharing a workstation do not share a key.
 */
export async function selectDpopKey(username: string): Promise<void> {
  try {
    sessionStorage.setItem(SLOT, `dpop:${username.trim().toLowerCase()}`);
  } catch {
    // no session storage: the default slot
  }
  key = null;
}

function base64url(bytes: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A proof for one request (RFC 9449 §4.2), bound to the access token when one is sent; null without WebCrypto. */
export async function dpopProof(method: string, path: string, accessToken?: string): Promise<string | null> {
  key ??= loadOrCreate();
  const k = await key;
  if (k === null) return null;
  const htu = `${location.origin}${path.split('?')[0]!.split('#')[0]}`;
  const ath = accessToken ? base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))) : undefined;
  return new SignJWT({ htm: method, htu, jti: crypto.randomUUID(), ...(ath ? { ath } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: k.jwk as Record<string, string> })
    .setIssuedAt()
    .sign(k.privateKey);
}
