/**
 * bench/read-cost — what one request of each read path costs the server's process, in process and
 * without sockets between client and server: the same app as `medvault serve` (PostgreSQL, sealed
 * data, care relationships, ledger, audit) answering Fastify's `inject`, a few requests in flight,
 * the loads interleaved in short rounds so that a shared machine's slow moments fall on each alike.
 * It reports the app's CPU per request (this process: the route, policy, ledger, opening, FHIR,
 * the pg client) and the rest of the machine's busy time per request (PostgreSQL and background).
 * bench/read measures the same paths over HTTP with their throughput; this one tells which path
 * costs more and, with `--cpu-prof`, where.
 *
 *   npm run bench:read-cost [-- --practices 20 --rounds 10 --requests 400 --parallel 4]
 *   MEDVAULT_BENCH_ONLY=observation node --cpu-prof dist-bench/bench/read-cost.js   # one path's profile
 *   MEDVAULT_BENCH_ONLY=document,obsempty,obsfull node dist-bench/bench/read-cost.js  # loads named
 * Also: MEDVAULT_BENCH_PROFILE=FILE (a CPU profile of the measured rounds only), MEDVAULT_BENCH_COUNT=1
 * (transactions and statements per request), MEDVAULT_BENCH_DUMP=DIR (one answer of each load, headers
 * and body), MEDVAULT_BENCH_KEEP=1 (the seeded database is left for EXPLAIN).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generate } from 'otplib';
import pg from 'pg';
import { hashPassword, loadOrCreateTokenKeys } from '../src/access/index.js';
import { auditKey, AuditStatus, enableAuditMacs, loadOrCreateAuditSigner } from '../src/audit/index.js';
import { buildServer, createServices } from '../src/server/index.js';
import { seedDemo } from '../src/sim/seed.js';
import { openStore } from '../src/store/index.js';
import { openVault } from '../src/vault/index.js';
import { readLoads } from './read-loads.js';

const { values } = parseArgs({
  options: {
    practices: { type: 'string' }, rounds: { type: 'string' }, requests: { type: 'string' },
    parallel: { type: 'string' },
  },
});
const PRACTICES = Number(values.practices ?? 20);
const ROUNDS = Number(values.rounds ?? 10);
const PER_ROUND = Number(values.requests ?? 400);
const PARALLEL = Number(values.parallel ?? 4);
const PG_URL = process.env.MEDVAULT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const UA = 'medvault-bench/1';

/** The machine's busy CPU seconds (all cores: everything but idle, iowait and steal). */
function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.slice(0, 7).reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100;
}


const name = `medvault_bench_cost_${process.pid}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const dbUrl = Object.assign(new URL(PG_URL), { pathname: `/${name}` }).toString();
const data = mkdtempSync(join(tmpdir(), 'medvault-bench-cost-'));
try {
  console.log(`bench/read-cost: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × `
    + `${cpus()[0]?.model}, ${PRACTICES} practices, ${ROUNDS} rounds × ${PER_ROUND} requests per load, `
    + `${PARALLEL} in flight`);
  const store = await openStore({ kind: 'postgres', url: dbUrl });
  const keysDir = join(data, 'keys');
  const vault = openVault(keysDir, { provider: 'local', passphrase: null, requirePassphrase: false });
  const signer = loadOrCreateAuditSigner(join(keysDir, 'audit-signing.pem'));
  const tokenKeys = loadOrCreateTokenKeys(join(keysDir, 'token-signing.pem'));
  const seeded = await seedDemo(store.db, {
    seed: 5, practices: PRACTICES, patientsPerPractice: 300, now: new Date(), visitHistoryDays: 30, hashPassword, vault,
  });
  // As `medvault serve`: the audit log's records carry their MAC.
  await enableAuditMacs(store, (await auditKey(vault.provider, true))!, new Date(), {
    file: join(data, 'audit-mac.json'), signer,
  });
  const services = await createServices({
    db: store.db, vault, keysDir, tokenKeys, auditStatus: new AuditStatus(store.db, signer.publicKey, null),
    contact: { dpoName: 'DPO', dpoEmail: 'dpo@medvault.test', operator: 'bench' },
  });
  const app = buildServer({ state: { services }, version: 'bench', logLevel: 'warn' });
  await app.ready();

  const tokens = new Map<string, string>();
  for (const u of seeded.users.filter((x) => x.role === 'practitioner')) {
    const headers = { 'content-type': 'application/json', 'user-agent': UA };
    const l = await app.inject({ method: 'POST', url: '/auth/login', headers, payload: { username: u.username, password: u.password } });
    const code = await generate({ secret: u.totpSecret! });
    const m = await app.inject({ method: 'POST', url: '/auth/mfa', headers, payload: { mfa_token: l.json().mfa_token, code } });
    tokens.set(u.fhirId!, m.json().access_token as string);
  }
  const { patientIds: _ids, ...base } = await readLoads(dbUrl, tokens, UA);
  // The Observation load split by what its searches find: most of the rotation's patients have no
  // vitals in the seeded window (an empty page), the others a page of several.
  const loads = {
    ...base,
    obsempty: [] as typeof base.observation,
    obsfull: [] as typeof base.observation,
  };
  const entries = new Map<string, number>();
  for (const r of base.observation) {
    if (!entries.has(r.path)) {
      const x = await app.inject({ method: 'GET', url: r.path, headers: r.headers });
      entries.set(r.path, (x.json().entry ?? []).length);
    }
    (entries.get(r.path)! > 0 ? loads.obsfull : loads.obsempty).push(r);
  }
  const full = [...entries.values()].filter((n) => n > 0);
  const mean = (full.reduce((a, b) => a + b, 0) / Math.max(1, full.length)).toFixed(1);
  console.log(`Observation search: ${full.length} of ${entries.size} patients with vitals, ${mean} entries each`);
  const only = process.env.MEDVAULT_BENCH_ONLY;
  const names = only ? only.split(',') : Object.keys(loads);
  if (only && !names.every((n) => n in loads)) throw new Error(`MEDVAULT_BENCH_ONLY: one or more of ${Object.keys(loads).join(', ')}`);
  const cursor = new Map<string, number>(names.map((n) => [n, 0]));
  // Transactions and statements per request (MEDVAULT_BENCH_COUNT=1): each is a round trip or two.
  const counts = { tx: 0, q: 0 };
  if (process.env.MEDVAULT_BENCH_COUNT === '1') {
    const d = store.driver as { transaction: (fn: (s: { query: (...a: unknown[]) => unknown }) => unknown, f?: unknown) => unknown };
    const tx = d.transaction.bind(d);
    d.transaction = (fn, f) => {
      counts.tx++;
      return tx((s) => fn(new Proxy(s, {
        get: (o, k) => (k === 'query' ? (...a: unknown[]) => { counts.q++; return o.query(...a); } : Reflect.get(o, k)),
      })), f);
    };
  }
  const totals = new Map<string, { app: number; rest: number; n: number; bad: number; ms: number }>();
  /** K requests of a load, PARALLEL in flight, continuing its rotation. */
  const run = async (load: string, k: number) => {
    const list = loads[load as keyof typeof loads];
    let bad = 0;
    let left = k;
    const worker = async () => {
      while (left-- > 0) {
        const i = cursor.get(load)!;
        cursor.set(load, (i + 1) % list.length);
        const r = await app.inject({ method: 'GET', url: list[i]!.path, headers: list[i]!.headers });
        if (r.statusCode !== 200) bad++;
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return bad;
  };
  // Warm-up: each load a round's worth, not counted.
  for (const n of names) await run(n, PER_ROUND);
  // MEDVAULT_BENCH_PROFILE=FILE: a CPU profile of the measured rounds only (not the seeding).
  const profiling = process.env.MEDVAULT_BENCH_PROFILE ? new (await import('node:inspector/promises')).Session() : null;
  if (profiling) {
    profiling.connect();
    await profiling.post('Profiler.enable');
    await profiling.post('Profiler.start');
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
    for (const n of order) {
      const own = process.cpuUsage();
      const busy = machineBusySeconds();
      const t = performance.now();
      counts.tx = 0;
      counts.q = 0;
      const bad = await run(n, PER_ROUND);
      const ms = performance.now() - t;
      const used = process.cpuUsage(own);
      const appS = (used.user + used.system) / 1e6;
      const restS = machineBusySeconds() - busy - appS;
      if (process.env.MEDVAULT_BENCH_COUNT === '1') {
        await new Promise((r) => setTimeout(r, 300)); // the audit batcher's flush
        console.log(`${n}: ${(counts.tx / PER_ROUND).toFixed(2)} transactions, ${(counts.q / PER_ROUND).toFixed(2)} statements per request`);
        counts.tx = 0;
        counts.q = 0;
      }
      const c = totals.get(n) ?? { app: 0, rest: 0, n: 0, bad: 0, ms: 0 };
      totals.set(n, { app: c.app + appS, rest: c.rest + restS, n: c.n + PER_ROUND, bad: c.bad + bad, ms: c.ms + ms });
    }
  }
  if (profiling) {
    const { profile } = await profiling.post('Profiler.stop');
    writeFileSync(process.env.MEDVAULT_BENCH_PROFILE!, JSON.stringify(profile));
  }
  for (const [n, c] of totals) {
    if (process.env.MEDVAULT_BENCH_DUMP) {
      const l = loads[n as keyof typeof loads];
      const x = await app.inject({ method: 'GET', url: l[0]!.path, headers: l[0]!.headers });
      writeFileSync(`${process.env.MEDVAULT_BENCH_DUMP}/${n}.json`, `${JSON.stringify(x.headers)}\n${x.body}`);
    }
    const per = (s: number) => ((s * 1e3) / c.n).toFixed(3);
    console.log(`${n.padEnd(12)} app ${per(c.app)} ms/request, rest ${per(c.rest)} ms/request, `
      + `${Math.round(c.n / (c.ms / 1e3))} requests/s in process, ${c.bad} not 200 of ${c.n}`);
  }
  await app.close();
  await services.close();
  await store.db.close();
  await vault.provider.close();
} finally {
  // MEDVAULT_BENCH_KEEP=1 leaves the seeded database for EXPLAIN (its name is printed).
  if (process.env.MEDVAULT_BENCH_KEEP === '1') console.log(`kept database ${name}`);
  else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(data, { recursive: true, force: true });
}
