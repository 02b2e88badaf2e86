import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { EphemeralStore } from '../access/index.js';

/**
 * Opaque paging: a search's parameters stay on the server, and the Bundle's links carry only a
 * random cursor — so a name or a NIR searched for never travels in a link (nor in a log of one).
 * A cursor belongs to the user who made it and lives ten minutes.
 *
 * The shared store (Redis when several instances serve) holds the cursor sealed (AES-256-GCM)
 * under a key that only the link carries (search criteria never sit in a shared cache in
 * clear). The store's entry is named by a hash of the link's id, so the store alone can neither
 * read the criteria nor find the key.
 */
export interface Cursor {
  readonly userId: string;
  readonly kind: string;
  readonly params: Record<string, string>;
  readonly offset: number;
  readonly count: number;
}

const TTL_MS = 10 * 60_000;
/** A link's cursor: 18 random bytes naming the entry, 32 the key (base64url, 24 + 43 characters). */
const SHAPE = /^([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{43})$/;

const entry = (id: string) => `cursor:${createHash('sha256').update(id).digest('base64url')}`;

export class CursorStore {
  constructor(private readonly store: EphemeralStore) {}

  async put(c: Cursor): Promise<string> {
    // One draw for the entry's name, its key and the IV (every search's self link makes one).
    const random = randomBytes(18 + 32 + 12);
    const id = random.subarray(0, 18).toString('base64url');
    const key = random.subarray(18, 50);
    const iv = random.subarray(50);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(c), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    await this.store.set(entry(id), sealed.toString('base64'), TTL_MS);
    return `${id}.${key.toString('base64url')}`;
  }

  async get(link: string, userId: string, kind: string): Promise<Cursor | null> {
    const m = SHAPE.exec(link);
    if (!m) return null;
    const [, id, key] = m as unknown as [string, string, string];
    const raw = await this.store.get(entry(id));
    if (raw === null) return null;
    try {
      const b = Buffer.from(raw, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'base64url'), b.subarray(0, 12));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(b.subarray(b.length - 16));
      const c = JSON.parse(Buffer.concat([decipher.update(b.subarray(12, b.length - 16)), decipher.final()]).toString('utf8')) as Cursor;
      return c.userId === userId && c.kind === kind ? c : null;
    } catch {
      return null; // a wrong key: as if there were no such page
    }
  }
}
