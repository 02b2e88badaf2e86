import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
/**
 * Failed-login throttling, per account and per source address (OWASP Authentication Cheat
 * Sheet: slow down, do not lock out on failures alone — a lock would let anyone lock a doctor
 * out). After a few failures the account answers 429 with a Retry-After that doubles with each
 * further failure, up to 15 minutes; an address failing against many accounts is throttled too.
 * State is behind an interface so that several API instances can share it (Redis).
 */
export interface ThrottleStore {
  /** Adds a failure; returns the failures counted in the window. */
  fail(key: string, windowMs: number, now: number): Promise<number>;
  /** The failures counted in the window, and when the last one was (0 if none). */
  recent(key: string, windowMs: number, now: number): Promise<{ count: number; last: number }>;
  reset(key: string): Promise<void>;
}

export class MemoryThrottleStore implements ThrottleStore {
  private readonly failures = new Map<string, number[]>();

  async fail(key: string, windowMs: number, now: number): Promise<number> {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < windowMs);
    list.push(now);
    this.failures.set(key, list);
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value as string);
    return list.length;
  }

  async recent(key: string, windowMs: number, now: number): Promise<{ count: number; last: number }> {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return { count: list.length, last: list.length > 0 ? Math.max(...list) : 0 };
  }

  async reset(key: string): Promise<void> {
    this.failures.delete(key);
  }
}

export interface ThrottlePolicy {
  readonly windowMs: number;
  readonly freeAccountFailures: number;
  readonly freeAddressFailures: number;
  readonly baseDelayS: number;
  readonly maxDelayS: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = { windowMs: 15 * 60_000, freeAccountFailures: 5, freeAddressFailures: 30, baseDelayS: 30, maxDelayS: 900 };

export class LoginThrottle {
  constructor(
    private readonly store: ThrottleStore,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
  ) {}

  private delay(failures: number, free: number): number {
    if (failures < free) return 0;
    return Math.min(this.policy.maxDelayS, this.policy.baseDelayS * 2 ** (failures - free));
  }

  /** Seconds to wait before another attempt for this account from this address, 0 if none. */
  async retryAfter(account: string, address: string, now: number): Promise<number> {
    const [a, ip] = await Promise.all([this.store.recent(`acct:${account}`, this.policy.windowMs, now), this.store.recent(`addr:${address}`, this.policy.windowMs, now)]);
    const wait = Math.max(this.delay(a.count, this.policy.freeAccountFailures), this.delay(ip.count, this.policy.freeAddressFailures));
    if (wait === 0) return 0;
    const since = (now - Math.max(a.last, ip.last)) / 1000;
    return Math.max(0, Math.ceil(wait - since));
  }

  async failure(account: string, address: string, now: number): Promise<void> {
    await Promise.all([this.store.fail(`acct:${account}`, this.policy.windowMs, now), this.store.fail(`addr:${address}`, this.policy.windowMs, now)]);
  }

  async success(account: string): Promise<void> {
    await this.store.reset(`acct:${account}`);
  }
}

/**
 * The same counts in Redis (MEDVAULT_REDIS_URL), shared by every API instance: one sorted set of
 * failure times per key, trimmed to the window, expiring with it. Keys name an account id or an
 * address, never a person's data.
 */
export class RedisThrottleStore implements ThrottleStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'medvault:login-failures:',
  ) {}

  async fail(key: string, windowMs: number, now: number): Promise<number> {
    const k = this.prefix + key;
    const r = await this.redis
      .multi()
      .zremrangebyscore(k, '-inf', now - windowMs)
      .zadd(k, now, `${now}:${randomUUID()}`)
      .zcard(k)
      .pexpire(k, windowMs)
      .exec();
    return Number(r?.[2]?.[1] ?? 0);
  }

  async recent(key: string, windowMs: number, now: number): Promise<{ count: number; last: number }> {
    const k = this.prefix + key;
    const r = await this.redis.multi().zremrangebyscore(k, '-inf', now - windowMs).zcard(k).zrange(k, '-1', '-1', 'WITHSCORES').exec();
    const last = r?.[2]?.[1] as string[] | undefined;
    return { count: Number(r?.[1]?.[1] ?? 0), last: last && last.length === 2 ? Number(last[1]) : 0 };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
