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
  count(key: string, windowMs: number, now: number): Promise<number>;
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

  async count(key: string, windowMs: number, now: number): Promise<number> {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list.length;
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
  private readonly lastFailure = new Map<string, number>();

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
    const a = await this.store.count(`acct:${account}`, this.policy.windowMs, now);
    const ip = await this.store.count(`addr:${address}`, this.policy.windowMs, now);
    const wait = Math.max(this.delay(a, this.policy.freeAccountFailures), this.delay(ip, this.policy.freeAddressFailures));
    if (wait === 0) return 0;
    const since = (now - Math.max(this.lastFailure.get(`acct:${account}`) ?? 0, this.lastFailure.get(`addr:${address}`) ?? 0)) / 1000;
    return Math.max(0, Math.ceil(wait - since));
  }

  async failure(account: string, address: string, now: number): Promise<void> {
    await this.store.fail(`acct:${account}`, this.policy.windowMs, now);
    await this.store.fail(`addr:${address}`, this.policy.windowMs, now);
    this.lastFailure.set(`acct:${account}`, now);
    this.lastFailure.set(`addr:${address}`, now);
  }

  async success(account: string): Promise<void> {
    await this.store.reset(`acct:${account}`);
  }
}
