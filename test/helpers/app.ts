import { PassThrough } from 'node:stream';
import type { Backend } from './backends.js';
import { generate } from 'otplib';
import { hashPassword, LoginThrottle, MemoryThrottleStore, generateTokenKeys, type ThrottlePolicy } from '../../src/access/index.js';
import { buildServer, createServices, type Services } from '../../src/server/index.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../../src/detect/index.js';
import type { Mailer } from '../../src/incident/index.js';
import { AuditStatus, newAuditSigner } from '../../src/audit/index.js';
import { seedDemo, type DemoUser, type SeedResult } from '../../src/sim/seed.js';
import { AdminRepository, openStore, type OpenedStore, type StoredPatient } from '../../src/store/index.js';
import { makeVault, NOW } from './fixtures.js';
import { logSink, recordPhi } from './phi-log.js';

export interface TestApp {
  app: ReturnType<typeof buildServer>;
  services: Services;
  store: OpenedStore;
  seeded: SeedResult;
  logs(): string;
  /** Moves the app's clock (TOTP steps, token expiry, throttling windows). */
  advance(ms: number): void;
  now(): Date;
  close(): Promise<void>;
}

/** The test apps' /metrics credential. */
export const METRICS_TOKEN = 'test-metrics-credential';

/** A medvault app on the embedded database with two seeded practices and real Argon2id passwords. */
/** Thresholds so high that detection never steps in: for tests of everything but detection. */
export const NO_DETECTION: Partial<Thresholds> = Object.fromEntries(Object.keys(DEFAULT_THRESHOLDS).map((k) => [k, 1e9])) as Partial<Thresholds>;

export async function startTestApp(opts: { throttle?: Partial<ThrottlePolicy>; clock?: () => Date; patients?: number; thresholds?: Partial<Thresholds>; alertWebhook?: string; mailer?: Mailer; backend?: Backend } = {}): Promise<TestApp> {
  // The HTTP suites run on both databases; the embedded one by default.
  const opened = opts.backend ? await opts.backend.open() : null;
  const store = opened ?? (await openStore({ kind: 'pglite', dir: null }));
  const keys = makeVault();
  const phi: string[] = [];
  const seeded = await seedDemo(store.db, {
    seed: 42, practices: 2, patientsPerPractice: opts.patients ?? 40, now: NOW, visitHistoryDays: 10, hashPassword, vault: keys.vault,
    onPatients: (ps) => {
      for (const p of ps) phi.push(p.birthFamilyName, ...(p.usedFamilyName ? [p.usedFamilyName] : []), ...(p.nir ? [p.nir] : []), ...(p.email ? [p.email] : []));
    },
  });
  const throttle = new LoginThrottle(new MemoryThrottleStore(), {
    windowMs: 15 * 60_000, freeAccountFailures: 5, freeAddressFailures: 30, baseDelayS: 30, maxDelayS: 900, ...opts.throttle,
  });
  let at = Date.now();
  const clock = opts.clock ?? (() => new Date(at));
  const services = await createServices({ db: store.db, vault: keys.vault, keysDir: keys.dir, tokenKeys: generateTokenKeys(), throttle, clock, thresholds: opts.thresholds ?? NO_DETECTION, alertWebhook: opts.alertWebhook ?? null,
    contact: { dpoName: 'Camille Test-DPO', dpoEmail: 'dpo@medvault.test', operator: 'medvault test host' }, mailer: opts.mailer ?? null,
    auditStatus: new AuditStatus(store.db, newAuditSigner().publicKey, null, clock),
  });
  const stream = new PassThrough();
  let captured = '';
  stream.on('data', (d) => (captured += d));
  stream.pipe(logSink('app'));
  recordPhi(phi);
  const app = buildServer({ state: { services }, version: 'test', logLevel: 'info', logStream: stream, clock, metricsToken: METRICS_TOKEN });
  await app.ready();
  return {
    app, services, store, seeded, logs: () => captured,
    advance: (ms: number) => (at += ms),
    now: clock,
    async close() {
      await app.close();
      await services.close();
      if (opened) await opened.cleanup();
      else await store.db.close();
      await keys.cleanup();
    },
  };
}

export function userOf(seeded: SeedResult, role: DemoUser['role'], practiceIndex = 0): DemoUser {
  const practiceId = role === 'security-officer' ? null : seeded.practices[practiceIndex]!.id;
  const u = seeded.users.find((x) => x.role === role && x.practiceId === practiceId);
  if (!u) throw new Error(`no ${role} in practice ${practiceIndex}`);
  return u;
}

/** The second security officer (four eyes: unlocks, notices that name patients). */
export function secondOfficer(seeded: SeedResult): DemoUser {
  const u = seeded.users.filter((x) => x.role === 'security-officer')[1];
  if (!u) throw new Error('no second security officer');
  return u;
}

export async function totp(secret: string, at = new Date()): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

/** Logs in (password, then TOTP when asked) and returns the token response. */
export async function login(t: TestApp, u: DemoUser, ip = '127.0.0.1'): Promise<{ access_token: string; refresh_token: string }> {
  t.advance(31_000); // a TOTP step is good once: each login uses a new one
  const r = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password }, remoteAddress: ip });
  if (r.statusCode !== 200) throw new Error(`login ${r.statusCode} ${r.body}`);
  const body = r.json();
  if (!body.mfa_required) return body;
  const m = await t.app.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: body.mfa_token, code: await totp(u.totpSecret!, t.now()) }, remoteAddress: ip });
  if (m.statusCode !== 200) throw new Error(`mfa ${m.statusCode} ${m.body}`);
  return m.json();
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * A practice's patients as the product opens them (identities are sealed: a test
 * that needs a real name or birth date reads it through the repository, not from a clear column).
 * Ordered by id.
 */
export async function patientsOf(t: { readonly services: Services }, practiceId: string): Promise<StoredPatient[]> {
  return t.services.db.transaction({ role: 'admin', practiceId }, (tx) => new AdminRepository(tx, t.services.vault.admin(practiceId)).searchPatients({ limit: 1_000_000 }));
}
