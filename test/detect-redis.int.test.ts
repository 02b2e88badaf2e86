import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTokenKeys, hashPassword } from '../src/access/index.js';
import { buildServer, createServices, type Services } from '../src/server/index.js';
import { seedDemo, type SeedResult } from '../src/sim/seed.js';
import { openStore, type OpenedStore } from '../src/store/index.js';
import { createPostgresDatabase } from './helpers/backends.js';
import { makeVault, NOW } from './helpers/fixtures.js';
import { totp } from './helpers/app.js';
import { REDIS_URL, runs } from './helpers/needs.js';

/** Two API instances on one PostgreSQL database, sharing what they see through Redis. */
const REDIS = REDIS_URL ?? '';
const available = runs('two API instances sharing Redis', { postgres: true, redis: true });

describe.runIf(available)('two API instances sharing Redis', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  const stores: OpenedStore[] = [];
  let keys: ReturnType<typeof makeVault>;
  let seeded: SeedResult;
  const apps: ReturnType<typeof buildServer>[] = [];
  const servicesOf: Services[] = [];
  let prefix = '';

  beforeAll(async () => {
    database = await createPostgresDatabase();
    keys = makeVault();
    prefix = `medvault:test:${randomBytes(6).toString('hex')}:`;
    const tokenKeys = generateTokenKeys();
    for (let i = 0; i < 2; i++) {
      const store = await openStore({ kind: 'postgres', url: database.url });
      stores.push(store);
      if (i === 0) seeded = await seedDemo(store.db, { seed: 3, practices: 2, patientsPerPractice: 150, now: NOW, visitHistoryDays: 10, hashPassword, vault: keys.vault });
      const services = await createServices({ db: store.db, vault: keys.vault, keysDir: keys.dir, tokenKeys, redisUrl: REDIS, redisPrefix: prefix });
      servicesOf.push(services);
      const app = buildServer({ state: { services }, version: 'test', logLevel: 'silent' });
      await app.ready();
      apps.push(app);
    }
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const s of servicesOf) await s.close();
    for (const s of stores) await s.db.close();
    await keys?.cleanup();
    await database?.drop();
  });

  async function attack(instances: number[]): Promise<{ seen: number; status: number }> {
    const u = seeded.users.find((x) => x.role === 'practitioner' && x.practiceId === seeded.practices[instances.length === 1 ? 0 : 1]!.id)!;
    const l = await apps[0]!.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password } });
    const m = await apps[0]!.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await totp(u.totpSecret!) } });
    const token = m.json().access_token as string;
    const seen = new Set<string>();
    let status = 200;
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    // A refusal to wait (429: the account's own client cuts and waits before it holds) does not stop
    // a script; a suspension (401) does.
    for (let i = 0; i < 26 && (status === 200 || status === 429); i++) {
      const app = apps[instances[i % instances.length]!]!;
      const r = await app.inject({ method: 'GET', url: `/fhir/Patient?family=${letters[i]}&_count=20`, headers: { authorization: `Bearer ${token}` } });
      status = r.statusCode;
      if (status === 200) for (const e of r.json().entry ?? []) if (e.resource.resourceType === 'Patient') seen.add(e.resource.id);
      await new Promise((res) => setTimeout(res, 20)); // pub/sub delivery between instances
    }
    return { seen: seen.size, status };
  }

  it('stops an attack spread over both instances as fast as one instance stops it alone', async () => {
    const one = await attack([0]);
    const two = await attack([0, 1]);
    expect(one.status).toBe(401);
    expect(two.status).toBe(401);
    // Each instance alone would have let the attacker see more.
    expect(two.seen).toBeLessThanOrEqual(one.seen + 5);
    expect(two.seen).toBeLessThanOrEqual(25);
  });

  const other = (i: number) => seeded.users.filter((x) => x.role === 'practitioner' && x.practiceId === seeded.practices[0]!.id)[i]!;

  it('counts failed logins across instances: the sixth attempt is throttled whichever instance it reaches', async () => {
    const u = other(1);
    for (let i = 0; i < 5; i++) {
      const r = await apps[i % 2]!.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: 'wrong password' } });
      expect(r.statusCode).toBe(401);
    }
    for (const app of apps) {
      const r = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password } });
      expect(r.statusCode).toBe(429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('takes the password on one instance and the second factor on the other, then follows a page link on either', async () => {
    const u = other(2);
    const l = await apps[0]!.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password } });
    expect(l.statusCode).toBe(200);
    const m = await apps[1]!.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await totp(u.totpSecret!) } });
    expect(m.statusCode).toBe(200);
    const auth = { authorization: `Bearer ${m.json().access_token as string}` };
    const first = await apps[1]!.inject({ method: 'GET', url: '/fhir/Appointment?_count=2', headers: auth });
    expect(first.statusCode).toBe(200);
    const next = (first.json().link as { relation: string; url: string }[]).find((x) => x.relation === 'next');
    expect(next).toBeDefined();
    const url = new URL(next!.url);
    const second = await apps[0]!.inject({ method: 'GET', url: `${url.pathname}${url.search}`, headers: auth });
    expect(second.statusCode).toBe(200);
    const ids = (b: { entry?: { resource: { id: string } }[] }) => (b.entry ?? []).map((e) => e.resource.id);
    expect(ids(second.json()).length).toBeGreaterThan(0);
    expect(ids(second.json()).some((id) => ids(first.json()).includes(id))).toBe(false);
    // The second factor's challenge was used up on instance 1: replaying it on instance 0 fails.
    const again = await apps[0]!.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await totp(u.totpSecret!) } });
    expect(again.statusCode).toBe(401);
  });

  it('keeps no search criterion in clear in Redis nor in a page link; either instance opens the links', async () => {
    const u = other(3) ?? other(0);
    const l = await apps[0]!.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password } });
    const m = await apps[0]!.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await totp(u.totpSecret!) } });
    const auth = { authorization: `Bearer ${m.json().access_token as string}` };
    const family = 'zyxwvut';
    const selfOf = (b: { link: { relation: string; url: string }[] }) => new URL(b.link.find((x) => x.relation === 'self')!.url);
    // A short search: its link carries it, sealed under the installation's cursor key.
    const r = await apps[0]!.inject({ method: 'GET', url: `/fhir/Patient?family=${family}&email=secret.person%40example.org&_count=1`, headers: auth });
    expect(r.statusCode).toBe(200);
    const self = selfOf(r.json());
    // A search too long for a link: kept in Redis, sealed under a key only its link carries.
    const long = `${family}${'q'.repeat(800)}`;
    const body = `family=${long}&email=secret.person%40example.org`;
    const headers = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
    const p = await apps[0]!.inject({ method: 'POST', url: '/fhir/Patient/_search', headers, payload: body });
    expect(p.statusCode).toBe(200);
    const stored = selfOf(p.json());
    expect(stored.search).toMatch(/^\?_cursor=[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{43}$/);
    const redis = new Redis(REDIS);
    try {
      const keys = await redis.keys(`${prefix}*`);
      const values = await Promise.all(keys.map(async (k) => ((await redis.type(k)) === 'string' ? ((await redis.get(k)) ?? '') : '')));
      expect(values.filter((_, i) => keys[i]!.includes('cursor:'))).toHaveLength(1);
      for (const v of [...keys, ...values, self.search, stored.search]) {
        expect(v).not.toContain(family);
        expect(v).not.toContain('secret.person');
        expect(Buffer.from(v, 'base64').toString('latin1')).not.toContain(family);
        expect(Buffer.from(v.replace(/^\?_cursor=/, ''), 'base64url').toString('latin1')).not.toContain(family);
      }
      // Both links work on the other instance; a changed character makes an expired page.
      for (const url of [self, stored]) {
        expect((await apps[1]!.inject({ method: 'GET', url: `${url.pathname}${url.search}`, headers: auth })).statusCode).toBe(200);
        const at = url.search.length - 10;
        const flipped = url.search[at] === 'A' ? 'B' : 'A';
        const forged = `${url.search.slice(0, at)}${flipped}${url.search.slice(at + 1)}`;
        expect((await apps[1]!.inject({ method: 'GET', url: `${url.pathname}${forged}`, headers: auth })).statusCode).toBe(400);
      }
    } finally {
      redis.disconnect();
    }
  });
});
