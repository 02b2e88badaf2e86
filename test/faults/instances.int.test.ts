import { join } from 'node:path';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTokenKeys, hashPassword, LoginThrottle, MemoryThrottleStore } from '../../src/access/index.js';
import { composeNir } from '../../src/domain/index.js';
import { INS_NIR_SYSTEM } from '../../src/fhir/codes.js';
import { buildServer, createServices } from '../../src/server/index.js';
import { seedDemo, type DemoUser } from '../../src/sim/seed.js';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { LocalKeyProvider, shredPatient, Vault } from '../../src/vault/index.js';
import { NO_DETECTION } from '../helpers/app.js';
import { createPostgresDatabase } from '../helpers/backends.js';
import { makeVault, NOW } from '../helpers/fixtures.js';
import { recordFigure } from '../adversary/figures.js';
import { REDIS_URL, runs } from '../helpers/needs.js';

/**
 * Several instances for real: two medvault instances, each with its own vault and its
 * own caches, on one PostgreSQL and one keyring. A patient created on one is read on the other at
 * once (regression: VAULT_KEY_DESTROYED, a 500, until the other restarted — the patient keys were
 * per-process files); a patient shredded by the operator while an instance holds its key in memory
 * stops opening there at once (regression: served for minutes from the cache).
 */
const REDIS = REDIS_URL ?? '';

describe.runIf(runs('two instances, one database', { postgres: true, redis: true }))('two instances, one database', () => {
  let database: { url: string; drop(): Promise<void> };
  const stores: OpenedStore[] = [];
  const closers: (() => Promise<void>)[] = [];
  const bases: string[] = [];
  let users: DemoUser[];
  let at = NOW.getTime();
  const clock = () => new Date(at);
  const keys = makeVault();
  const saved = process.env.MEDVAULT_DETECTION_SYNC_MS;
  const prefix = `mvtest-instances-${process.pid}-${Date.now()}:`;

  beforeAll(async () => {
    process.env.MEDVAULT_DETECTION_SYNC_MS = '300';
    database = await createPostgresDatabase();
    const first = await openStore({ kind: 'postgres', url: database.url });
    stores.push(first);
    users = (await seedDemo(first.db, { seed: 4, practices: 1, patientsPerPractice: 40, now: NOW, visitHistoryDays: 7, hashPassword, vault: keys.vault })).users;
    const tokenKeys = generateTokenKeys();
    for (let i = 0; i < 2; i++) {
      const store = i === 0 ? first : await openStore({ kind: 'postgres', url: database.url });
      if (i > 0) stores.push(store);
      // Each instance its own vault over the shared keyring: nothing shared in memory.
      const vault = new Vault(LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null }));
      const services = await createServices({
        // Several instances share Redis (without it, the second would refuse to start).
        db: store.db, vault, keysDir: keys.dir, tokenKeys, clock, thresholds: NO_DETECTION, redisUrl: REDIS, redisPrefix: prefix,
        throttle: new LoginThrottle(new MemoryThrottleStore()),
        contact: { dpoName: 'DPO', dpoEmail: 'dpo@medvault.test', operator: 'test' }, mailer: null,
      });
      const app = buildServer({ state: { services }, version: 'test', logLevel: 'silent', clock });
      await app.listen({ host: '127.0.0.1', port: 0 });
      bases.push(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
      closers.push(async () => {
        await app.close();
        await services.close();
        await vault.provider.close();
      });
    }
  }, 180_000);

  afterAll(async () => {
    process.env.MEDVAULT_DETECTION_SYNC_MS = saved;
    for (const c of closers) await c().catch(() => undefined);
    for (const s of stores) await s.db.close().catch(() => undefined);
    await database?.drop();
    await keys.cleanup();
  });

  const call = async (base: string, method: string, path: string, token: string, body?: unknown) => {
    const r = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const login = async (base: string, u: DemoUser): Promise<string> => {
    at += 31_000;
    const post = async (path: string, body: unknown) => (await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, string>>;
    const l = await post('/auth/login', { username: u.username, password: u.password });
    if (l.access_token) return l.access_token; // an account without a second factor
    const m = await post('/auth/mfa', { mfa_token: l.mfa_token, code: await generate({ secret: u.totpSecret!, epoch: Math.floor(at / 1000) }) });
    return m.access_token!;
  };

  it('a patient created on one instance is read with its sealed identity on the other at once', async () => {
    const [a, b] = bases as [string, string];
    const assistant = users.find((u) => u.role === 'assistant')!;
    const nir = composeNir({ sexDigit: 1, year: 77, month: 3, birthplace: '13055', serial: 412 });
    const created = await call(a, 'POST', '/fhir/Patient', await login(a, assistant), {
      resourceType: 'Patient', identifier: [{ system: INS_NIR_SYSTEM, value: nir }], name: [{ family: 'Instances', given: ['Deux'] }],
      gender: 'male', birthDate: '1977-03-02', telecom: [{ system: 'email', value: 'deux.instances@example.fr' }],
    });
    expect(created.status).toBe(201);
    const onB = await call(b, 'GET', `/fhir/Patient/${created.body.id as string}`, await login(b, assistant));
    expect(onB.status).toBe(200);
    expect(JSON.stringify(onB.body)).toContain(nir);
    expect(JSON.stringify(onB.body)).toContain('deux.instances@example.fr');
  });

  it('a patient shredded by the operator stops opening at once on an instance that held the key in memory', async () => {
    const [a, b] = bases as [string, string];
    const doctor = users.find((u) => u.role === 'practitioner')!;
    const treated = await stores[0]!.driver.transaction((q) => q.query<{ patient_id: string }>(
      `SELECT c.patient_id FROM admin.care_relationships c WHERE c.practitioner_id = $1 AND c.kind = 'treating'
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = c.patient_id) LIMIT 1`, [doctor.fhirId]));
    const patientId = treated.rows[0]!.patient_id;
    const note = await call(a, 'POST', '/fhir/DocumentReference', await login(a, doctor), {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patientId}` },
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Consultation de suivi.').toString('base64') } }],
    });
    expect(note.status).toBe(201);
    const onB = await login(b, doctor);
    const path = `/fhir/DocumentReference/${note.body.id as string}`;
    expect((await call(b, 'GET', path, onB)).status).toBe(200); // B now holds the patient's key in memory

    // The operator's command, another process with its own vault.
    const operator = new Vault(LocalKeyProvider.open({ path: join(keys.dir, 'keyring.json'), passphrase: null }));
    const done = await shredPatient(stores[0]!.db, operator, { practiceId: doctor.practiceId!, patientId, reason: 'demande du patient', force: true, actor: 'test', now: clock() }, { settleMs: 50 });
    await operator.provider.close();
    expect(done.epoch.destroyed.length).toBeGreaterThan(0);
    // At once: the note's statement reads the key row too, and finds none — that wins over B's memory
    // (regression, found by an outside review: B served the note from its cache until its audit sync).
    expect((await call(b, 'GET', path, onB)).status).toBe(410);
    // And a read that does not go through the note statement (B's memory itself) is cleared by the sync.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await call(b, 'GET', path, onB)).status).toBe(410);
    // And the other patients of the practice, moved to the new key version, still open on both.
    const other = await stores[0]!.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT n.id FROM clinical.notes n JOIN admin.care_relationships c ON c.patient_id = n.patient_id AND c.practitioner_id = $1 AND c.kind = 'treating'
        WHERE n.patient_id <> $2 LIMIT 1`, [doctor.fhirId, patientId]));
    for (const base of [a, b]) expect((await call(base, 'GET', `/fhir/DocumentReference/${other.rows[0]!.id}`, base === b ? onB : await login(a, doctor))).status).toBe(200);
  });
});

/**
 * Without a shared store, budgets counted apart would multiply what a thief gets (27 + 25 identities
 * for one thief on two instances): the second instance refuses to start, and says why; the first
 * goes on, and when it stops the database can be claimed again.
 */
describe.runIf(runs('two instances without Redis', { postgres: true }))('two instances without Redis', () => {
  it('the second refuses to start, with the reason; a thief on the first gets its budget once', async () => {
    const database = await createPostgresDatabase();
    const keys = makeVault();
    const stores: OpenedStore[] = [];
    try {
      const open = async () => {
        const store = await openStore({ kind: 'postgres', url: database.url });
        stores.push(store);
        return store;
      };
      const first = await open();
      const seeded = await seedDemo(first.db, { seed: 5, practices: 1, patientsPerPractice: 80, now: NOW, visitHistoryDays: 7, hashPassword, vault: keys.vault });
      let at = NOW.getTime();
      const clock = () => new Date(at);
      const make = async (store: OpenedStore) => createServices({
        db: store.db, vault: keys.vault, keysDir: keys.dir, tokenKeys: generateTokenKeys(), clock,
        throttle: new LoginThrottle(new MemoryThrottleStore()), contact: { dpoName: 'DPO', dpoEmail: 'dpo@medvault.test', operator: 'test' }, mailer: null,
      });
      const a = await make(first);
      const second = await open();
      await expect(make(second)).rejects.toThrow(/another medvault instance serves this database.*MEDVAULT_REDIS_URL/);
      // The one instance: a thief reading strangers is held at his budget.
      const app = buildServer({ state: { services: a }, version: 'test', logLevel: 'silent', clock });
      const doctor = seeded.users.find((u) => u.role === 'practitioner')!;
      at += 31_000;
      const l = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: doctor.username, password: doctor.password }, headers: { 'user-agent': 'thief' } });
      const m = await app.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await generate({ secret: doctor.totpSecret!, epoch: Math.floor(at / 1000) }) }, headers: { 'user-agent': 'thief' } });
      const token = m.json().access_token as string;
      const ids = await first.driver.transaction((q) => q.query<{ id: string }>(
        `SELECT p.id FROM admin.patients p WHERE NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $1)
            AND NOT EXISTS (SELECT 1 FROM admin.appointments x WHERE x.patient_id = p.id AND x.practitioner_id = $1)
            AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) LIMIT 40`, [doctor.fhirId]));
      let identities = 0;
      for (const { id } of ids.rows) {
        const r = await app.inject({ method: 'GET', url: `/fhir/Patient/${id}`, headers: { authorization: `Bearer ${token}`, 'user-agent': 'thief' } });
        if (r.statusCode === 200) identities++;
      }
      recordFigure('postgres', 'two instances without Redis: one thief', { identities, secondInstanceStarted: 0 });
      expect(identities).toBeLessThanOrEqual(25);
      await app.close();
      await a.close();
      // The first stopped: another may start.
      const b = await make(second);
      await b.close();
    } finally {
      for (const st of stores) await st.db.close().catch(() => undefined);
      await database.drop();
      await keys.cleanup();
    }
  }, 120_000);
});
