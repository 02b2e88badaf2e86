import { randomBytes } from 'node:crypto';

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

export class CursorStore {
  private readonly cursors = new Map<string, Cursor & { expires: number }>();

  put(c: Cursor): string {
    const now = Date.now();
    if (this.cursors.size > 50_000) for (const [k, v] of this.cursors) if (v.expires < now) this.cursors.delete(k);
    const id = randomBytes(18).toString('base64url');
    this.cursors.set(id, { ...c, expires: now + TTL_MS });
    return id;
  }

  get(id: string, userId: string, kind: string): Cursor | null {
    const c = this.cursors.get(id);
    if (!c || c.expires < Date.now() || c.userId !== userId || c.kind !== kind) return null;
    return c;
  }
}
