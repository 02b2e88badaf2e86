import { randomBytes } from 'node:crypto';
import type { EphemeralStore } from '../access/index.js';

/**
 * Opaque paging: a search's parameters stay on the server, and the Bundle's links carry only a
 * random cursor — so a name or a NIR searched for never travels in a link (nor in a log of one).
 * A cursor belongs to the user who made it and lives ten minutes.
 */
export interface Cursor {
  readonly userId: string;
  readonly kind: string;
  readonly params: Record<string, string>;
  readonly offset: number;
  readonly count: number;
}

const TTL_MS = 10 * 60_000;

/** Cursors live in the ephemeral store (Redis when several instances serve, so any of them can follow a link). */
export class CursorStore {
  constructor(private readonly store: EphemeralStore) {}

  async put(c: Cursor): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    await this.store.set(`cursor:${id}`, JSON.stringify(c), TTL_MS);
    return id;
  }

  async get(id: string, userId: string, kind: string): Promise<Cursor | null> {
    if (!/^[A-Za-z0-9_-]{24}$/.test(id)) return null;
    const raw = await this.store.get(`cursor:${id}`);
    if (raw === null) return null;
    const c = JSON.parse(raw) as Cursor;
    return c.userId === userId && c.kind === kind ? c : null;
  }
}
