import type { Redis } from 'ioredis';

/**
 * Short-lived server-side state that every API instance must see: second-factor challenges
 * between password and code, paging cursors. Values are identifiers and search parameters
 * (kept server-side so that they never travel in a link); each entry expires on its own.
 */
export interface EphemeralStore {
  set(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  /** Adds one to a counter (created at 1 with this lifetime) and returns it. */
  incr(key: string, ttlMs: number): Promise<number>;
}

/** One instance: a map, swept as it grows. */
export class MemoryEphemeralStore implements EphemeralStore {
  private readonly entries = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly max = 100_000,
  ) {}

  /** When a full map may next be scanned for expired entries. */
  private nextScan = 0;

  private sweep(now: number): void {
    if (this.entries.size < this.max) return;
    // A scan of the whole map at most once a second: a map full of live entries (a busy instance's
    // paging cursors) would otherwise be scanned at every new entry.
    if (now >= this.nextScan) {
      for (const [k, v] of this.entries) if (v.expires <= now) this.entries.delete(k);
      this.nextScan = now + 1_000;
    }
    // Still full of live entries: drop the oldest rather than grow without bound.
    while (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const now = this.clock();
    this.sweep(now);
    this.entries.set(key, { value, expires: now + ttlMs });
  }

  async get(key: string): Promise<string | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expires <= this.clock()) {
      this.entries.delete(key);
      return null;
    }
    return e.value;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    const current = await this.get(key);
    const n = (current === null ? 0 : Number(current)) + 1;
    if (current === null) await this.set(key, String(n), ttlMs);
    else this.entries.get(key)!.value = String(n);
    return n;
  }
}

/** Redis (MEDVAULT_REDIS_URL): entries with PX lifetimes under one prefix. */
export class RedisEphemeralStore implements EphemeralStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'medvault:ephemeral:',
  ) {}

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'PX', ttlMs);
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    const k = this.prefix + key;
    const r = await this.redis.multi().set(k, '0', 'PX', ttlMs, 'NX').incr(k).exec();
    return Number(r?.[1]?.[1] ?? 0);
  }
}
