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

/**
 * Second-factor guesses, per account across challenges, sessions and addresses (login and
 * step-up alike): a 6-digit code has a million values, so what bounds a guesser is how many codes
 * are evaluated. Three wrong codes are free, then each waits twice as long as the one before
 * (30 s … 15 min); the tenth wrong code in 24 hours locks the account — whoever is guessing knows
 * the password (or holds a session), so the account is compromised — and a security officer
 * unlocks it. A correct password or code does not clear the count: it only ages out. At most
 * 10 wrong codes are evaluated per account per day.
 */
export const SECOND_FACTOR = { windowMs: 24 * 3_600_000, free: 3, baseDelayS: 30, maxDelayS: 900, lockAt: 10 } as const;

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

  /** Before a second-factor code of this account is evaluated: seconds to wait (0: go on), or 'locked'. */
  async secondFactorWait(userId: string, now: number): Promise<number | 'locked'> {
    const r = await this.store.recent(`2fa:${userId}`, SECOND_FACTOR.windowMs, now);
    if (r.count >= SECOND_FACTOR.lockAt) return 'locked';
    if (r.count < SECOND_FACTOR.free) return 0;
    const wait = Math.min(SECOND_FACTOR.maxDelayS, SECOND_FACTOR.baseDelayS * 2 ** (r.count - SECOND_FACTOR.free));
    return Math.max(0, Math.ceil(wait - (now - r.last) / 1000));
  }

  /** A wrong second-factor code of this account; returns the wrong codes counted in 24 hours. */
  secondFactorFailure(userId: string, now: number): Promise<number> {
    return this.store.fail(`2fa:${userId}`, SECOND_FACTOR.windowMs, now);
  }

  /** A security officer's unlock starts the count again. */
  async secondFactorReset(userId: string): Promise<void> {
    await this.store.reset(`2fa:${userId}`);
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
