import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, runs } from '../../test/helpers/needs.js';
import { DEFAULT_THROTTLE, LoginThrottle, MemoryThrottleStore, RedisThrottleStore, sourceOf, type ThrottleStore } from './throttle.js';

/** The same rules on both stores: in memory, and in Redis as instances share them. */
const redisUp = runs("the throttle's Redis store (the memory store still runs)", { redis: true });
const redis = new Redis(REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
redis.on('error', () => undefined);
if (redisUp) await redis.connect();
const prefix = `medvault-test:${randomBytes(6).toString('hex')}:`;

afterAll(async () => {
  if (!redisUp) return;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const STORES: { name: string; make: () => ThrottleStore }[] = [
  { name: 'memory', make: () => new MemoryThrottleStore() },
  ...(redisUp ? [{ name: 'redis', make: () => new RedisThrottleStore(redis, `${prefix}${randomBytes(4).toString('hex')}:`) }] : []),
];

const T0 = Date.UTC(2026, 2, 3, 8, 0, 0);
const MIN = 60_000;
const DOC = 'dr.martin';
const HOME = '192.0.2.10';

describe.each(STORES)('login throttle ($name store)', ({ make }) => {
  /** A throttle whose account has logged in from HOME at T0. */
  async function withDoctor(): Promise<LoginThrottle> {
    const t = new LoginThrottle(make());
    await t.loggedIn(DOC, HOME, T0);
    return t;
  }

  it('a stranger\'s wrong passwords slow the stranger down, never the account\'s known address', async () => {
    const t = await withDoctor();
    for (let i = 0; i < 20; i++) {
      if ((await t.retryAfter(DOC, '203.0.113.5', T0 + i)) === 0) await t.failure(DOC, '203.0.113.5', T0 + i);
    }
    expect(await t.retryAfter(DOC, '203.0.113.5', T0 + 20)).toBe(30);
    expect(await t.retryAfter(DOC, HOME, T0 + 20)).toBe(0);
  });

  it('the account\'s own address has its own budget: five free failures, then 30 s doubling', async () => {
    const t = await withDoctor();
    for (let i = 0; i < 5; i++) await t.failure(DOC, HOME, T0);
    expect(await t.retryAfter(DOC, HOME, T0)).toBe(30);
    await t.failure(DOC, HOME, T0 + 30_000);
    expect(await t.retryAfter(DOC, HOME, T0 + 30_000)).toBe(60);
    // The right password from there starts that count again; the account-wide one is untouched.
    await t.success(DOC, HOME);
    expect(await t.retryAfter(DOC, HOME, T0 + 30_000)).toBe(0);
  });

  it('a guesser spread over many addresses: five free failures for the account, then every unknown address waits', async () => {
    const t = await withDoctor();
    for (let i = 0; i < 5; i++) {
      expect(await t.retryAfter(DOC, `198.51.100.${i}`, T0)).toBe(0);
      await t.failure(DOC, `198.51.100.${i}`, T0);
    }
    expect(await t.retryAfter(DOC, '198.51.100.99', T0)).toBe(30);
    expect(await t.retryAfter(DOC, HOME, T0)).toBe(0);
    // A success does not give the guesser his free failures back (it would, each time she logs in).
    await t.success(DOC, HOME);
    expect(await t.retryAfter(DOC, '198.51.100.99', T0 + 1000)).toBe(29);
  });

  it('failures from a known address do not count account-wide', async () => {
    const t = await withDoctor();
    for (let i = 0; i < 4; i++) await t.failure(DOC, HOME, T0);
    await t.failure(DOC, '198.51.100.1', T0);
    expect(await t.retryAfter(DOC, '198.51.100.2', T0)).toBe(0);
  });

  it('an address failing against many accounts waits after 30 failures in 15 minutes', async () => {
    const t = new LoginThrottle(make());
    for (let i = 0; i < 30; i++) await t.failure(`user${i}`, '203.0.113.9', T0);
    expect(await t.retryAfter('someone.else', '203.0.113.9', T0)).toBe(30);
    expect(await t.retryAfter('someone.else', '203.0.113.9', T0 + 15 * MIN)).toBe(0);
  });

  it('an unknown account is throttled like a real one (no enumeration through the limiter)', async () => {
    const t = new LoginThrottle(make());
    for (let i = 0; i < 5; i++) await t.failure('ghost', `198.51.100.${i}`, T0);
    expect(await t.retryAfter('ghost', '198.51.100.50', T0)).toBe(30);
  });

  it('forgets an address after 90 days without a login from it, and keeps the newest 50', async () => {
    const t = await withDoctor();
    expect(await t.knowsAddress(DOC, HOME, T0 + DEFAULT_THROTTLE.knownAddressMs - 1)).toBe(true);
    expect(await t.knowsAddress(DOC, HOME, T0 + DEFAULT_THROTTLE.knownAddressMs)).toBe(false);
    for (let i = 0; i < 50; i++) await t.loggedIn(DOC, `10.0.0.${i}`, T0 + 1 + i);
    expect(await t.knowsAddress(DOC, HOME, T0 + 100)).toBe(false);
    expect(await t.knowsAddress(DOC, '10.0.0.0', T0 + 100)).toBe(true);
    expect(await t.knowsAddress(DOC, '10.0.0.49', T0 + 100)).toBe(true);
  });

  it('bounds a patient guesser on unknown addresses: about 12 passwords in the first hour, about 100 a day', async () => {
    const t = await withDoctor();
    let now = T0;
    const evaluated: number[] = [];
    for (let i = 0; now < T0 + 24 * 60 * MIN; i++) {
      const from = `198.51.${Math.floor(i / 250) % 250}.${i % 250}`;
      const wait = await t.retryAfter(DOC, from, now);
      if (wait > 0) {
        now += wait * 1000;
        continue;
      }
      await t.failure(DOC, from, now);
      evaluated.push(now);
      now += 1000;
    }
    const firstHour = evaluated.filter((x) => x < T0 + 60 * MIN).length;
    expect(firstHour).toBe(12);
    expect(evaluated.length).toBeLessThanOrEqual(105);
    expect(await t.retryAfter(DOC, HOME, now)).toBe(0);
  });
});

describe('the source an address stands for', () => {
  it('is an IPv4 address itself, also when mapped into IPv6', () => {
    expect(sourceOf('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('is the /64 of an IPv6 address (privacy addresses change inside it)', () => {
    expect(sourceOf('2001:db8:1:2:a:b:c:d')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:0db8::5')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
  });

  it('throttles every address of one /64 together', async () => {
    const t = new LoginThrottle(new MemoryThrottleStore());
    for (let i = 0; i < 5; i++) await t.failure(DOC, `2001:db8:1:2::${i + 1}`, T0);
    expect(await t.retryAfter(DOC, '2001:db8:1:2:ffff::9', T0)).toBe(30);
  });
});
