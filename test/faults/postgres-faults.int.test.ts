import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { NO_DETECTION } from '../helpers/app.js';
import { call, Session, startServer, user, type Server } from '../adversary/harness.js';
import { recordFigure } from '../adversary/figures.js';
import { postgresBinaries, startOwnPostgres, type OwnPostgres } from './own-postgres.js';
import { runs } from '../helpers/needs.js';

/**
 * PostgreSQL faults under load, on a server the test starts, kills, freezes and
 * restarts: medvault never dies, answers 503 with Retry-After (never a hang, never a 500) while
 * the database is away, says so on /readyz, serves again by itself when it returns, and loses no
 * acknowledged write — each with exactly one audit event.
 */
const initdb = { path: `${postgresBinaries() ?? '/usr/lib/postgresql/<version>/bin'}/initdb`, install: 'apt-get install postgresql' };
describe.runIf(runs('PostgreSQL goes away under load', { files: [initdb] }))('PostgreSQL goes away under load', () => {
  let db: OwnPostgres;
  let s: Server;
  const saved = { ...process.env };

  beforeAll(async () => {
    // Short timeouts so that a frozen database gives 503s within seconds (production: 15 s + 5 s).
    process.env.MEDVAULT_PG_STATEMENT_TIMEOUT_MS = '1500';
    process.env.MEDVAULT_PG_CONNECT_TIMEOUT_MS = '1000';
    process.env.MEDVAULT_PG_POOL_SIZE = '10';
    db = await startOwnPostgres();
    s = await startServer(
      {
        name: 'postgres',
        async open() {
          const store = await openStore({ kind: 'postgres', url: db.url });
          return { ...store, cleanup: () => store.db.close() };
        },
      },
      { practices: 1, patients: 40, thresholds: NO_DETECTION },
    );
  }, 180_000);

  afterAll(async () => {
    process.env = saved;
    await s?.close().catch(() => undefined);
    await db?.destroy();
  });

  /** Writers and readers in parallel until told to stop; every answer is classified. */
  function load(session: Session, patientIds: readonly string[]) {
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    let slowest = 0;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const t0 = Date.now();
        const r =
          i % 2 === 0
            ? await session.request('POST', '/fhir/Patient', { resourceType: 'Patient', gender: 'female', birthDate: '1984-05-06', name: [{ family: `Faultload${w}x${i}`, given: ['Ana'] }] }).catch(() => null)
            : await session.request('GET', `/fhir/Patient/${patientIds[i % patientIds.length]}`).catch(() => null);
        slowest = Math.max(slowest, Date.now() - t0);
        const status = r?.status ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (r && r.status === 201) acknowledged.push(String(r.body.id));
        if (r && r.status === 503) expect(r.headers.get('retry-after')).toBe('2');
        if (status !== 200 && status !== 201) await new Promise((x) => setTimeout(x, 100));
      }
    };
    const running = Promise.all([0, 1, 2, 3].map(worker));
    return {
      acknowledged, statuses,
      slowest: () => slowest,
      async end() {
        stop = true;
        await running;
      },
    };
  }

  async function until(ok: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    while (!(await ok())) {
      if (Date.now() - t0 > timeoutMs) throw new Error('did not recover in time');
      await new Promise((r) => setTimeout(r, 25));
    }
    return Date.now() - t0;
  }

  async function checkAcknowledged(ids: readonly string[]): Promise<void> {
    const r = await s.store.driver.transaction((q) =>
      q.query<{ id: string; n: number }>(
        `SELECT p.id, (SELECT count(*)::int FROM audit.events e WHERE e.action = 'create' AND e.resource_type = 'Patient' AND e.resource_id::text = p.id::text AND e.outcome = 'success') n
           FROM admin.patients p WHERE p.id = ANY($1::uuid[])`,
        [ids],
      ),
    );
    expect(r.rows.length).toBe(ids.length);
    for (const row of r.rows) expect(row.n, `audit events of ${row.id}`).toBe(1);
  }

  // Real patients only: a decoy (audit.honeytokens) read locks the account, as it should.
  const patients = async () =>
    (await s.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.patients p WHERE NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY id LIMIT 20'))).rows.map((r) => r.id);
  const ready = async () => (await call(s, 'GET', '/readyz')).status === 200;

  for (const fault of ['kill -9', 'fast stop'] as const) {
    it(`${fault} of PostgreSQL under load: 503s, never a crash or a 500; serves again by itself; no acknowledged write lost`, async () => {
      const session = new Session(s, user(s, 'assistant', 0));
      await session.tokens();
      const l = load(session, await patients());
      await new Promise((r) => setTimeout(r, 600));
      if (fault === 'kill -9') db.kill9();
      else await db.stopFast();
      await new Promise((r) => setTimeout(r, 800));
      expect((await call(s, 'GET', '/readyz')).status).toBe(503);
      await db.start();
      const back = await until(ready, 15_000);
      const served = await until(async () => (await session.request('GET', `/fhir/Patient/${(await patients())[0]}`)).status === 200, 15_000);
      await new Promise((r) => setTimeout(r, 300));
      await l.end();
      recordFigure('postgres', `faults: PostgreSQL ${fault} under load`, { readyAfterMs: back, servedAfterMs: back + served, ...Object.fromEntries([...l.statuses].map(([k, v]) => [`status${k}`, v])), acknowledged: l.acknowledged.length });
      // Only successes and 503s: never a 500, a dropped connection, or anything else.
      expect([...l.statuses.keys()].sort()).toEqual([200, 201, 503]);
      expect(l.statuses.get(503) ?? 0).toBeGreaterThan(0);
      expect(l.acknowledged.length).toBeGreaterThan(0);
      expect(back + served).toBeLessThan(5_000);
      await checkAcknowledged(l.acknowledged);
    });
  }

  it('a frozen PostgreSQL (SIGSTOP): bounded 503s, not hung clients; /readyz says so; thawed, it serves again', async () => {
    const session = new Session(s, user(s, 'assistant', 0));
    await session.tokens();
    const ids = await patients();
    const l = load(session, ids);
    await new Promise((r) => setTimeout(r, 400));
    db.freeze();
    const t0 = Date.now();
    const during = await call(s, 'GET', `/fhir/Patient/${ids[0]}`, { token: await session.tokens() });
    const waited = Date.now() - t0;
    expect(during.status).toBe(503);
    expect((await call(s, 'GET', '/readyz')).status).toBe(503);
    // Frozen longer than any single timeout: every request is still answered within the deadline.
    await new Promise((r) => setTimeout(r, 6000));
    db.thaw();
    const back = await until(async () => (await session.request('GET', `/fhir/Patient/${ids[1]}`)).status === 200, 20_000);
    await l.end();
    recordFigure('postgres', 'faults: PostgreSQL frozen under load', { answeredWithinMs: waited, servedAfterThawMs: back, slowestMs: l.slowest(), ...Object.fromEntries([...l.statuses].map(([k, v]) => [`status${k}`, v])), acknowledged: l.acknowledged.length });
    // The request deadline (connect 1 s + one round trip 3 s) bounds every wait, however long the
    // freeze. (An outside review saw 503s after 8–13 s and 200s after 15 s under another load; this
    // load did not reproduce them without the deadline: the bound is checked, the cause not shown.)
    expect(waited).toBeLessThan(5_000);
    expect(l.slowest()).toBeLessThan(5_500);
    expect(l.statuses.get(500) ?? 0).toBe(0);
    await checkAcknowledged(l.acknowledged);
  });
});
