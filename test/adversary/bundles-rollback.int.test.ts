import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeNir } from '../../src/domain/index.js';
import { INS_NIR_SYSTEM } from '../../src/fhir/index.js';
import { REGISTRY } from '../../src/resources/index.js';
import { DetectionService, DEFAULT_THRESHOLDS } from '../../src/detect/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { asNew, bundle, call, login, newPatient, ownPatients, startServer, withNir, type Server } from './harness.js';

/**
 * What a transaction that rolls back must not take with it, and what a Bundle must not outrun: the
 * audit of what it disclosed (a duplicate-NIR answer), a suspension decided midway, the account's
 * bulk-write containment, the session's end; a NIR taken by another patient or raced for is a 4xx.
 * Found by attacking POST /fhir; each failed before the fix it guards.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely
type Json = Record<string, any>;
const THIEF_UA = 'Mozilla/5.0 (Windows NT 10.0) thief';
const HOUR = 3_600_000;

describe.each(BACKENDS)('FHIR Bundles: what a rollback must not take with it ($name)', (backend) => {
  // Races need two connections at once: PostgreSQL's pool. PGlite serves one connection, so these
  // tests exist for PostgreSQL only (not registered for PGlite rather than reported skipped there).
  const onPostgres = (name: string, fn: () => Promise<void>) => {
    if (backend.name === 'postgres') it(name, fn);
  };
  let s: Server;
  beforeAll(async () => {
    s = await startServer(backend, { practices: 3, patients: 80 });
  });
  afterAll(async () => {
    await s?.close();
  });
  const doctor = (n: number) => {
    const all = s.seeded.users.filter((u) => u.role === 'practitioner');
    return all[n % all.length]!;
  };
  const count = async (sql: string, args: unknown[]) =>
    Number((await s.store.driver.transaction((q) => q.query<{ n: string }>(sql, args))).rows[0]!.n);
  const auditsOf = (userId: string) => count('SELECT count(*) n FROM audit.events WHERE user_id = $1', [userId]);
  /** The identity a thief writes around any NIR so that it passes the NIR/identity check. */
  const identityFor = (id: string, nir: string): Json => ({
    resourceType: 'Patient', id, gender: Number(nir[0]) % 2 === 1 ? 'male' : 'female',
    birthDate: `19${nir.slice(1, 3)}-${nir.slice(3, 5)}-15`,
    identifier: [{ system: INS_NIR_SYSTEM, value: nir }], name: [{ use: 'official', family: 'Sonde', given: ['Paul'] }],
  });

  // H1 ─ the duplicate-NIR answer of a create is audited outside a Bundle, not inside a transaction.
  it('H1: "this NIR is already a patient here" is audited, also when asked in a transaction', async () => {
    await s.fresh();
    const victim = doctor(0);
    const token = (await login(s, victim, THIEF_UA))!;
    const [a, b] = await withNir(s, victim.practiceId!);
    let before = await auditsOf(victim.fhirId!);
    const direct = await call(s, 'POST', '/fhir/Patient', { token, ua: THIEF_UA, body: asNew(a!) });
    expect(direct.status).toBe(422);
    expect(await auditsOf(victim.fhirId!)).toBe(before + 1); // passes: audited as a NIR search
    before = await auditsOf(victim.fhirId!);
    const tx = await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('transaction', [{ resource: asNew(b!), request: { method: 'POST', url: 'Patient' } }]) });
    expect(tx.status).toBe(422); // the same answer…
    expect(await auditsOf(victim.fhirId!)).toBe(before + 1);
  });

  // H2 ─ a ledger stop inside a transaction: the alert and the session revocation join the unit and roll back.
  it('H2: a suspension decided inside a transaction is stored, ends the sessions and survives a restart', async () => {
    await s.fresh();
    const victim = doctor(1);
    const token = (await login(s, victim, THIEF_UA))!;
    const known = await withNir(s, victim.practiceId!);
    expect(known.length).toBeGreaterThan(DEFAULT_THRESHOLDS.unapprovedFoundPerHour + 1);
    const st: number[] = [];
    for (const p of known.slice(0, DEFAULT_THRESHOLDS.unapprovedFoundPerHour + 3)) {
      const r = await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('transaction', [{ resource: asNew(p), request: { method: 'POST', url: 'Patient' } }]) });
      st.push(r.status);
    }
    await s.services.detection.settle();
    expect(st.at(-1)).toBe(401);
    expect(s.services.detection.detector.state(victim.fhirId!, s.now()).response).toBe('suspend');
    // Stored, the session ended, and a restart remembers it (it was rolled back with the transaction on PGlite).
    expect(await count(`SELECT count(*) n FROM audit.alerts WHERE user_id = $1 AND response = 'suspend'`, [victim.fhirId])).toBeGreaterThan(0);
    expect(await count('SELECT count(*) n FROM admin.sessions WHERE user_id = $1 AND revoked_at IS NULL', [victim.fhirId])).toBe(0);
    const restarted = new DetectionService(s.services.db, s.services.auth, s.now);
    await restarted.load();
    try {
      expect(restarted.detector.state(victim.fhirId!, s.now()).response).toBe('suspend');
    } finally {
      await restarted.close();
    }
  });

  // H3 ─ PUT Patient with a NIR another patient holds: a 500 (unique index), and through a transaction
  // with a failing tail an unaudited, unbudgeted oracle of who is a patient of the practice.
  it('H3: a NIR already taken is a 4xx on update, and no transaction tells taken from free NIRs without an audit row', async () => {
    await s.fresh();
    const victim = doctor(2);
    const token = (await login(s, victim, THIEF_UA))!;
    const [mine, ...others] = await withNir(s, victim.practiceId!);
    const direct = await call(s, 'PUT', `/fhir/Patient/${mine!.id}`, { token, ua: THIEF_UA, body: identityFor(mine!.id, others[0]!.nir!) });
    expect(direct.status).toBe(422);
    const taken = others.slice(1, 21).map((p) => p.nir!);
    const free = Array.from({ length: 20 }, (_, i) => composeNir({ sexDigit: 1 + (i % 2), year: 40 + i, month: 1 + (i % 12), birthplace: '99350', serial: 900 + i }));
    const before = await auditsOf(victim.fhirId!);
    let right = 0;
    const fives: number[] = [];
    for (const [nir, isTaken] of [...taken.map((n) => [n, true] as const), ...free.map((n) => [n, false] as const)]) {
      const r = await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('transaction', [
        { resource: identityFor(mine!.id, nir), request: { method: 'PUT', url: `Patient/${mine!.id}` } },
        // A tail that always fails, before any audit (validation): the probe is rolled back.
        { resource: { resourceType: 'Patient', id: mine!.id, gender: 'x' }, request: { method: 'PUT', url: `Patient/${mine!.id}` } },
      ]) });
      const said = /^Bundle\.entry\[0\]/.test(String((r.body as Json).issue?.[0]?.diagnostics));
      if (said === isTaken) right++;
      if (r.status >= 500) fives.push(r.status);
    }
    expect(fives).toEqual([]);
    // A taken NIR is answered by the duplicate check: a NIR search that found a patient, audited (and
    // kept through the rollback) and counted by the ledger like any other. A free one names no patient.
    expect(right).toBeGreaterThan(0);
    const audited = await count(
      `SELECT count(*) n FROM audit.events WHERE user_id = $1 AND action = 'search' AND detail->>'duplicateCheck' = 'true'`,
      [victim.fhirId],
    );
    expect(audited).toBe(taken.length + 1); // and the direct PUT's
    expect(await auditsOf(victim.fhirId!) - before).toBeGreaterThanOrEqual(taken.length);
  });

  // H5 ─ the grant outlives the session: entries keep being served after a logout.
  onPostgres('H5: a session ended while its Bundle runs serves no further entry', async () => {
    await s.fresh();
    const victim = doctor(4);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const running = call(s, 'POST', '/fhir', { token, body: bundle('batch', Array.from({ length: 800 }, () => ({ request: { method: 'GET', url: `Patient/${own[0]}` } }))) });
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(s, 'POST', '/auth/logout', { token })).status).toBe(204);
    const loggedOut = Date.now();
    const r = await running;
    expect(Date.now() - loggedOut).toBeLessThan(5_000);
    expect((await call(s, 'GET', '/fhir/Practitioner', { token })).status).toBe(401);
    const last = (r.body.entry as Json[]).at(-1)!.response.status as string;
    expect(last).toMatch(/^401/);
  });

  // H6 ─ containment of bulk writes counts only after commit: one transaction writes far past it.
  it('H6: one transaction creates no more patients than the bulk-creation containment lets through one by one', async () => {
    await s.fresh();
    const victim = doctor(5);
    const token = (await login(s, victim, THIEF_UA))!;
    const patients = () => count('SELECT count(*) n FROM admin.patients WHERE practice_id = $1', [victim.practiceId]);
    const before = await patients();
    await call(s, 'POST', '/fhir', { token, ua: THIEF_UA, body: bundle('transaction',
      Array.from({ length: 100 }, (_, i) => ({ resource: newPatient(100 + i), request: { method: 'POST', url: 'Patient' } }))) });
    expect(await patients() - before).toBeLessThanOrEqual(DEFAULT_THRESHOLDS.createsPerHourSuspend + 1);
  });

  // H7 ─ a long transaction widens the race between the duplicate check and the unique index.
  onPostgres('H7: a create racing a transaction that registers the same NIR is a 4xx, not a 500', async () => {
    await s.fresh();
    const victim = doctor(6);
    const token = (await login(s, victim))!;
    const own = await ownPatients(s, victim);
    const cond = REGISTRY.module('Condition')!.example(own[0]!, victim.fhirId!, new Date(s.now().getTime() - HOUR)) as Json;
    const long = call(s, 'POST', '/fhir', { token, body: bundle('transaction', [
      { resource: newPatient(504), request: { method: 'POST', url: 'Patient' } },
      ...Array.from({ length: 150 }, () => ({ resource: cond, request: { method: 'POST', url: 'Condition' } })),
    ]) });
    await new Promise((r) => setTimeout(r, 200));
    const racing = await call(s, 'POST', '/fhir/Patient', { token, body: newPatient(504) });
    expect((await long).status).toBe(200);
    expect(racing.status).toBeLessThan(500);
  });
});
