import {
  createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, type KeyObject,
} from 'node:crypto';
import type { EphemeralStore } from '../access/index.js';

/**
 * Opaque paging: a search's parameters stay out of its links in clear, and the Bundle's links carry
 * only a cursor — so a name or a NIR searched for never travels in a link (nor in a log of one).
 * A cursor belongs to the user who made it and lives ten minutes.
 *
 * A cursor is the search itself (user, type, parameters, offset, expiry) sealed with AES-256-GCM
 * under the installation's cursor key, derived from its token-signing key: every instance opens
 * the links of every other, and nothing is stored — a search's self link costs no write to a shared
 * store (Redis with several instances) and no memory. A search whose parameters are too long for a
 * link (a POST _search with many values) is kept in the shared store instead, sealed under a key
 * that only the link carries, its entry named by a hash of the link's id: the store alone can
 * neither read the criteria nor find the key.
 */
export interface Cursor {
  readonly userId: string;
  readonly kind: string;
  readonly params: Record<string, string>;
  readonly offset: number;
  readonly count: number;
}

const TTL_MS = 10 * 60_000;
/** A stored cursor's link: 18 random bytes naming the entry, 32 the key (base64url, 24 + 43 characters). */
const STORED = /^([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{43})$/;
/** A sealed cursor's link: IV, ciphertext and tag, base64url (no dot). */
const SEALED = /^[A-Za-z0-9_-]{40,1400}$/;
/** Above this many bytes of criteria, a cursor is stored rather than carried by its link. */
const LINK_LIMIT = 384;
const AAD = Buffer.from('medvault/v1/page-cursor');

const entry = (id: string) => `cursor:${createHash('sha256').update(id).digest('base64url')}`;

/** What a sealed cursor holds: the cursor and when it stops working (ms since the epoch). */
type Sealed = { u: string; k: string; p: Record<string, string>; o: number; c: number; e: number };

/** The installation's cursor key: HKDF-SHA-256 of its token-signing key, for this purpose only. */
export function cursorKey(tokenSigning: KeyObject): Buffer {
  const ikm = tokenSigning.export({ format: 'der', type: 'pkcs8' });
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'medvault/v1/page-cursor-key', 32));
}

export class CursorStore {
  /** The key as a key object: imported once, not on every link (every search makes one). */
  private readonly key: KeyObject;

  constructor(
    private readonly store: EphemeralStore,
    key: Buffer,
    private readonly clock: () => Date,
  ) {
    this.key = createSecretKey(key);
  }

  async put(c: Cursor): Promise<string> {
    const at = this.clock().getTime();
    const sealed: Sealed = { u: c.userId, k: c.kind, p: c.params, o: c.offset, c: c.count, e: at + TTL_MS };
    const json = Buffer.from(JSON.stringify(sealed), 'utf8');
    // Padded to the limit (JSON allows trailing spaces): every sealed link has one length, which
    // would otherwise tell how long the name, email or code searched for was.
    if (json.length <= LINK_LIMIT) return seal(this.key, padded(json), AAD, ivs.next()).toString('base64url');
    // One draw for the entry's name, its key and the IV.
    const random = randomBytes(18 + 32);
    const id = random.subarray(0, 18).toString('base64url');
    const key = random.subarray(18, 50);
    await this.store.set(entry(id), seal(key, json, Buffer.from(id), ivs.next()).toString('base64'), TTL_MS);
    return `${id}.${key.toString('base64url')}`;
  }

  async get(link: string, userId: string, kind: string): Promise<Cursor | null> {
    let c: Sealed | null = null;
    const m = STORED.exec(link);
    if (m) {
      const [, id, key] = m as unknown as [string, string, string];
      const raw = await this.store.get(entry(id));
      if (raw !== null) c = open(Buffer.from(key, 'base64url'), Buffer.from(raw, 'base64'), Buffer.from(id));
    } else if (SEALED.test(link)) {
      // Only the canonical spelling of the bytes: a last character changed in its unused bits would
      // otherwise decode to the same cursor (one link, several spellings).
      const bytes = Buffer.from(link, 'base64url');
      if (bytes.toString('base64url') === link) c = open(this.key, bytes, AAD);
    }
    if (c === null || c.u !== userId || c.k !== kind || !(c.e > this.clock().getTime())) return null;
    return { userId: c.u, kind: c.k, params: c.p, offset: c.o, count: c.c };
  }
}

function padded(json: Buffer): Buffer {
  const out = Buffer.alloc(LINK_LIMIT, 0x20);
  json.copy(out);
  return out;
}

/**
 * Random 96-bit IVs, drawn 256 at a time: one call to the random source per 256 links rather than
 * one per link. Each IV is used once (GCM's limit for random IVs, 2^32 messages per key, is far).
 */
class IvPool {
  private pool = Buffer.alloc(0);
  private at = 0;

  next(): Buffer {
    if (this.at + 12 > this.pool.length) {
      this.pool = randomBytes(12 * 256);
      this.at = 0;
    }
    this.at += 12;
    return this.pool.subarray(this.at - 12, this.at);
  }
}
const ivs = new IvPool();

function seal(key: Buffer | KeyObject, plaintext: Buffer, aad: Buffer, iv: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The cursor a sealed value holds, or null: a wrong key, a changed byte or not a cursor. */
function open(key: Buffer | KeyObject, b: Buffer, aad: Buffer): Sealed | null {
  if (b.length < 12 + 16 + 2) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
    decipher.setAAD(aad);
    decipher.setAuthTag(b.subarray(b.length - 16));
    const text = Buffer.concat([decipher.update(b.subarray(12, b.length - 16)), decipher.final()]).toString('utf8');
    const c = JSON.parse(text) as Sealed;
    const fields = typeof c.u === 'string' && typeof c.k === 'string' && typeof c.o === 'number';
    return fields && typeof c.c === 'number' && typeof c.e === 'number' && typeof c.p === 'object' ? c : null;
  } catch {
    return null; // as if there were no such page
  }
}
