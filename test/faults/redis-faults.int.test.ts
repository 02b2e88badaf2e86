import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTokenKeys, hashPassword, LoginThrottle, MemoryThrottleStore } from '../../src/access/index.js';
import { buildServer, createServices, type Services } from '../../src/server/index.js';
import { seedDemo, type DemoUser } from '../../src/sim/seed.js';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { NO_DETECTION } from '../helpers/app.js';
import { createPostgresDatabase } from '../helpers/backends.js';
import { makeVault, NOW } from '../helpers/fixtures.js';
import { recordFigure } from '../adversary/figures.js';
import { runs } from '../helpers/needs.js';

/**
 * Redis as a dependency with a contract, with two instances on one PostgreSQL and a
 * Redis the test starts, kills and restarts: while Redis is away, logins fail at once with a
 * clear 503 and /readyz says so; an account contained on one instance during the outage is
 * contained on the other afterwards (regression: the bus dropped the events, and the thief read
 * on the other instance).
 */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const needs = { postgres: true, programs: ['redis-server'] };
describe.runIf(runs('Redis goes away with two instances', needs))('Redis goes away with two instances', () => {
  let port: number;
  let redis: ChildProcess | null = null;
  let database: { url: string; drop(): Promise<void> };
  const stores: OpenedStore[] = [];
  const instances: { services: Services; base: string; close(): Promise<void> }[] = [];
  let users: DemoUser[];
  let at = NOW.getTime();
  const clock = () => new Date(at);
  const keys = makeVault();
  const saved = process.env.MEDVAULT_DETECTION_SYNC_MS;

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => {
        const c = createServer();
        c.once('error', () => r(true)); // in use: redis listens
        c.listen(port, '127.0.0.1', () => c.close(() => r(false)));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  };
  const killRedis = async () => {
    const r = redis;
    redis = null;
    if (!r) return;
    const gone = new Promise((x) => r.once('exit', x));
    r.kill('SIGKILL');
    await gone;
  };

  beforeAll(async () => {
    process.env.MEDVAULT_DETECTION_SYNC_MS = '300';
    port = await freePort();
    await startRedis();
    database = await createPostgresDatabase();
    const first = await openStore({ kind: 'postgres', url: database.url });
    stores.push(first);
    users = (await seedDemo(first.db, { seed: 3, practices: 1, patientsPerPractice: 40, now: NOW, visitHistoryDays: 7, hashPassword, vault: keys.vault })).users;
    const tokenKeys = generateTokenKeys();
    for (let i = 0; i < 2; i++) {
      const store = i === 0 ? first : await openStore({ kind: 'postgres', url: database.url });
      if (i > 0) stores.push(store);
      const services = await createServices({
        db: store.db, vault: keys.vault, keysDir: keys.dir, tokenKeys, clock, redisUrl: `redis://127.0.0.1:${port}`, redisPrefix: `mvtest-${port}:`,
        // A small daily budget, so that a few reads contain the account.
        thresholds: { ...NO_DETECTION, patientsPerDay: 5 },
        throttle: new LoginThrottle(new MemoryThrottleStore()),
        contact: { dpoName: 'DPO', dpoEmail: 'dpo@medvault.test', operator: 'test' }, mailer: null,
      });
      const app = buildServer({ state: { services }, version: 'test', logLevel: 'silent', clock });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const a = app.server.address() as { port: number };
      instances.push({ services, base: `http://127.0.0.1:${a.port}`, close: async () => { await app.close(); await services.close(); } });
    }
  }, 180_000);

  afterAll(async () => {
    process.env.MEDVAULT_DETECTION_SYNC_MS = saved;
    for (const i of instances) await i.close().catch(() => undefined);
    for (const s of stores) await s.db.close().catch(() => undefined);
    await killRedis();
    await database?.drop();
    await keys.cleanup();
  });

  const call = async (base: string, method: string, path: string, body?: unknown, token?: string) => {
    const r = await fetch(base + path, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, string> };
  };
  const login = async (base: string, u: DemoUser) => {
    at += 31_000;
    const l = await call(base, 'POST', '/auth/login', { username: u.username, password: u.password });
    if (l.status !== 200) return { status: l.status, token: null };
    const m = await call(base, 'POST', '/auth/mfa', { mfa_token: l.body.mfa_token, code: await generate({ secret: u.totpSecret!, epoch: Math.floor(at / 1000) }) });
    return { status: m.status, token: m.status === 200 ? m.body.access_token! : null };
  };

  it('503 at once while Redis is away, /readyz says so; an account contained on one instance meanwhile is contained on the other', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const doctor = users.find((u) => u.role === 'practitioner')!;
    const session = await login(a.base, doctor);
    expect(session.status).toBe(200);
    const patients = (await stores[0]!.driver.transaction((q) =>
      q.query<{ id: string }>('SELECT id FROM admin.patients p WHERE NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY id LIMIT 8'),
    )).rows.map((r) => r.id);

    await killRedis();
    // Logins need the shared challenge store: a clear 503 at once, not a 500 after seconds.
    const t0 = Date.now();
    const refused = await call(a.base, 'POST', '/auth/login', { username: doctor.username, password: doctor.password });
    const waited = Date.now() - t0;
    expect(refused.status).toBe(503);
    expect(waited).toBeLessThan(3_000);
    expect((await call(a.base, 'GET', '/readyz')).status).toBe(503);
    expect((await call(b.base, 'GET', '/readyz')).body.status).toBe('redis unavailable');

    // The thief reads during the outage on both instances until the budget contains the account.
    // The instances no longer hear each other's admissions at once: one of them (the one that
    // claimed the database) serves patient data, the other answers 503 — the budget is not doubled.
    await new Promise((r) => setTimeout(r, 300)); // both noticed the outage
    let served = 0;
    let elsewhere = 0;
    const servedBy = new Map<string, number>();
    for (const id of patients) {
      for (const base of [a.base, b.base]) {
        const r = await call(base, 'GET', `/fhir/Patient/${id}`, undefined, session.token!);
        if (r.status === 200) {
          served++;
          servedBy.set(base, (servedBy.get(base) ?? 0) + 1);
        }
        if (r.status === 503) elsewhere++;
      }
    }
    // One instance served the budget; the other served nothing (503, then 401 once the session the
    // first suspended is revoked).
    expect(served).toBe(5);
    expect(servedBy.size).toBe(1);
    expect(elsewhere).toBeGreaterThanOrEqual(5);
    expect([a, b].filter((x) => x.services.servesPatientData())).toHaveLength(1);
    await a.services.detection.settle();
    await b.services.detection.settle();

    await startRedis();
    const back = Date.now();
    while ((await call(b.base, 'GET', '/readyz')).status !== 200 || (await call(a.base, 'GET', '/readyz')).status !== 200) {
      if (Date.now() - back > 15_000) throw new Error('instances did not see Redis again');
      await new Promise((r) => setTimeout(r, 50));
    }
    const readyAfterMs = Date.now() - back;
    // The thief logs in again on instance B: whatever he gets, no patient's data.
    await new Promise((r) => setTimeout(r, 800)); // more than the sync interval
    const again = await login(b.base, doctor);
    const onB = again.token ? (await call(b.base, 'GET', `/fhir/Patient/${patients[0]}`, undefined, again.token)).status : again.status;
    expect(onB).not.toBe(200);
    expect([401, 403]).toContain(onB);
    expect(a.services.servesPatientData() && b.services.servesPatientData()).toBe(true);
    recordFigure('postgres', 'faults: Redis killed and restarted, two instances', { loginRefusedWithinMs: waited, servedDuringOutage: served, answered503DuringOutage: elsewhere, readyAfterRedisMs: readyAfterMs, servedOnOtherInstanceAfter: 0 });
  });
});
