import { isIPv4, isIPv6 } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
/**
 * Failed-login throttling (OWASP Authentication Cheat Sheet: slow the source down, do not lock the
 * account out — a lock on failures alone would let anyone lock a doctor out). Wrong passwords
 * count against what sends them: the address (across accounts), and the account from that
 * address. An account also keeps the addresses it has logged in from; guesses from elsewhere
 * never slow those down. Guessers spread over many addresses share one account-wide budget that
 * only addresses the account never succeeded from have to pass. Past a budget's free failures,
 * each attempt waits 30 s, doubling with each further failure, up to 15 minutes (429 and
 * Retry-After). State is behind an interface so that several API instances share it (Redis).
 */
export interface ThrottleStore {
  /** Adds a failure; returns the failures counted in the window. */
  fail(key: string, windowMs: number, now: number): Promise<number>;
  /** The failures counted in the window, and when the last one was (0 if none). */
  recent(key: string, windowMs: number, now: number): Promise<{ count: number; last: number }>;
  reset(key: string): Promise<void>;
  /** Remembers a member of a set (an address an account logged in from) for ttlMs, keeping the newest `max`. */
  remember(key: string, member: string, ttlMs: number, max: number, now: number): Promise<void>;
  /** Whether the set holds this member, remembered less than ttlMs ago. */
  knows(key: string, member: string, ttlMs: number, now: number): Promise<boolean>;
}

export class MemoryThrottleStore implements ThrottleStore {
  private readonly failures = new Map<string, number[]>();
  private readonly sets = new Map<string, Map<string, number>>();

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

  async remember(key: string, member: string, ttlMs: number, max: number, now: number): Promise<void> {
    const set = this.sets.get(key) ?? new Map<string, number>();
    set.delete(member);
    set.set(member, now); // insertion order is recency order: the oldest go first
    for (const [m, at] of set) if (set.size > max || now - at >= ttlMs) set.delete(m);
    this.sets.delete(key);
    this.sets.set(key, set);
    if (this.sets.size > 100_000) this.sets.delete(this.sets.keys().next().value as string);
  }

  async knows(key: string, member: string, ttlMs: number, now: number): Promise<boolean> {
    const at = this.sets.get(key)?.get(member);
    return at !== undefined && now - at < ttlMs;
  }
}

export interface ThrottlePolicy {
  /** Window of the counts per address and per account-and-address. */
  readonly windowMs: number;
  /**
   * Free failures per account: from one address, and from all the addresses the account never
   * logged in from, together (over accountWindowMs).
   */
  readonly freeAccountFailures: number;
  /** Free failures per address, whatever the accounts. */
  readonly freeAddressFailures: number;
  /** Window of the account-wide count of failures from unknown addresses. */
  readonly accountWindowMs: number;
  /** How long an address an account logged in from stays known (each login renews it). */
  readonly knownAddressMs: number;
  readonly baseDelayS: number;
  readonly maxDelayS: number;
}

/**
 * Per address and per account-and-address: 5 (account) and 30 (address) free failures in 15
 * minutes. Account-wide, for unknown addresses: 5 free failures over 24 hours, so that a guesser
 * on many addresses is evaluated about 12 times in his first hour and ~100 times a day at most
 * (one per 15 minutes once the delay is at its cap). An address stays known 90 days.
 */
export const DEFAULT_THROTTLE: ThrottlePolicy = {
  windowMs: 15 * 60_000, freeAccountFailures: 5, freeAddressFailures: 30, accountWindowMs: 24 * 3_600_000,
  knownAddressMs: 90 * 24 * 3_600_000, baseDelayS: 30, maxDelayS: 900,
};

/** The addresses an account remembers, at most (the newest). */
const KNOWN_ADDRESSES_MAX = 50;

/**
 * The source an address stands for: an IPv4 address itself (IPv4-mapped IPv6 included), an IPv6
 * address's /64 — one subscriber's LAN (RFC 6177), within which privacy addresses (RFC 8981)
 * change every day and an attacker holds 2^64 of them.
 */
export function sourceOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const missing = Array<string>(8 - left.length - right.length).fill('0');
  const groups = ip.includes('::') ? [...left, ...missing, ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

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
  private readonly policy: ThrottlePolicy;

  constructor(
    private readonly store: ThrottleStore,
    policy: Partial<ThrottlePolicy> = {},
  ) {
    this.policy = { ...DEFAULT_THROTTLE, ...policy };
  }

  private delay(failures: number, free: number): number {
    if (failures < free) return 0;
    return Math.min(this.policy.maxDelayS, this.policy.baseDelayS * 2 ** (failures - free));
  }

  /** Seconds left of a budget's delay, 0 if none. */
  private left(r: { count: number; last: number }, free: number, now: number): number {
    const wait = this.delay(r.count, free);
    return wait === 0 ? 0 : Math.max(0, Math.ceil(wait - (now - r.last) / 1000));
  }

  private knows(account: string, source: string, now: number): Promise<boolean> {
    return this.store.knows(`known:${account}`, source, this.policy.knownAddressMs, now);
  }

  /**
   * Seconds to wait before another attempt for this account from this address, 0 if none. The
   * account-wide budget is not asked of an address the account has logged in from.
   */
  async retryAfter(account: string, address: string, now: number): Promise<number> {
    const p = this.policy;
    const src = sourceOf(address);
    const [ip, pair, known] = await Promise.all([
      this.store.recent(`addr:${src}`, p.windowMs, now),
      this.store.recent(`pair:${account}|${src}`, p.windowMs, now),
      this.knows(account, src, now),
    ]);
    const acct = known ? null : await this.store.recent(`acct:${account}`, p.accountWindowMs, now);
    return Math.max(
      this.left(ip, p.freeAddressFailures, now),
      this.left(pair, p.freeAccountFailures, now),
      acct === null ? 0 : this.left(acct, p.freeAccountFailures, now),
    );
  }

  /**
   * A wrong password (or code) for this account from this address. The account-wide count takes
   * only failures from addresses the account never logged in from: the doctor's own typing
   * mistakes do not bring a stranger's guesses closer to slowing her down, nor the reverse.
   * Without an account (a guess on a session), only the address counts.
   */
  async failure(account: string | null, address: string, now: number): Promise<void> {
    const p = this.policy;
    const src = sourceOf(address);
    if (account === null) {
      await this.store.fail(`addr:${src}`, p.windowMs, now);
      return;
    }
    const known = await this.knows(account, src, now);
    await Promise.all([
      this.store.fail(`addr:${src}`, p.windowMs, now),
      this.store.fail(`pair:${account}|${src}`, p.windowMs, now),
      ...(known ? [] : [this.store.fail(`acct:${account}`, p.accountWindowMs, now)]),
    ]);
  }

  /**
   * The right password from this address: its own count for the account starts again. The
   * account-wide count does not (it only ages out): a guesser on many addresses would otherwise
   * get fresh free guesses each time the doctor logs in.
   */
  async success(account: string, address: string): Promise<void> {
    await this.store.reset(`pair:${account}|${sourceOf(address)}`);
  }

  /** A session opened from this address (every factor passed): the account knows it from now on. */
  async loggedIn(account: string, address: string, now: number): Promise<void> {
    const p = this.policy;
    await this.store.remember(`known:${account}`, sourceOf(address), p.knownAddressMs, KNOWN_ADDRESSES_MAX, now);
  }

  /** Whether this account has logged in from this address (within knownAddressMs). */
  knowsAddress(account: string, address: string, now: number): Promise<boolean> {
    return this.knows(account, sourceOf(address), now);
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
 * failure times per key, trimmed to the window, expiring with it; one sorted set of known addresses
 * per account. Keys name an account or an address, never patient data.
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
    const r = await this.redis
      .multi()
      .zremrangebyscore(k, '-inf', now - windowMs)
      .zcard(k)
      .zrange(k, '-1', '-1', 'WITHSCORES')
      .exec();
    const last = r?.[2]?.[1] as string[] | undefined;
    return { count: Number(r?.[1]?.[1] ?? 0), last: last && last.length === 2 ? Number(last[1]) : 0 };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  /** One sorted set per account: address → last login time, trimmed to the TTL and the newest `max`. */
  async remember(key: string, member: string, ttlMs: number, max: number, now: number): Promise<void> {
    const k = this.prefix + key;
    await this.redis
      .multi()
      .zadd(k, now, member)
      .zremrangebyscore(k, '-inf', now - ttlMs)
      .zremrangebyrank(k, 0, -(max + 1))
      .pexpire(k, ttlMs)
      .exec();
  }

  async knows(key: string, member: string, ttlMs: number, now: number): Promise<boolean> {
    const at = await this.redis.zscore(this.prefix + key, member);
    return at !== null && now - Number(at) < ttlMs;
  }
}
