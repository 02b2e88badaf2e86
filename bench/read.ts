/**
 * bench/read — the real read path on PostgreSQL: authenticated, authorised (care relationship),
 * audited in the same transaction, decrypted, FHIR-mapped GET /fhir/Patient/{id} and
 * GET /fhir/DocumentReference/{id}, and the searches of one patient's problem list and vital signs
 * (GET /fhir/Condition?patient=…, GET /fhir/Observation?patient=…&category=vital-signs), spread over
 * hundreds of practitioner sessions each reading patients it cares for — beside a bare Fastify + pg
 * one-row select in the same run.
 * Also `audit verify` throughput over the audit log the run produced.
 *
 *   npm run bench:read [-- --practices 100 --seconds 20 --connections 50 --warmup 5 --pause-during-bare]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generate } from 'otplib';
import pg from 'pg';
import { auditRows, verifyAuditLog, newAuditSigner, loadOrCreateAuditSigner } from '../src/audit/index.js';
import { hashPassword, loadOrCreateTokenKeys } from '../src/access/index.js';
import { seedDemo } from '../src/sim/seed.js';
import { openStore } from '../src/store/index.js';
import { openVault } from '../src/vault/index.js';
import { readLoads, type ReadRequest } from './read-loads.js';

const { values } = parseArgs({
  options: {
    practices: { type: 'string' }, seconds: { type: 'string' }, connections: { type: 'string' },
    warmup: { type: 'string' }, 'pause-during-bare': { type: 'boolean' }, rounds: { type: 'string' },
  },
});
const PRACTICES = Number(values.practices ?? 100);
const SECONDS = Number(values.seconds ?? 20);
const CONNECTIONS = Number(values.connections ?? 50);
// Seconds of load on the medvault server before the measured runs (its caches, the database's plans
// and buffers warm, the logins' after-effects done); not counted.
const WARMUP = Number(values.warmup ?? 0);
// The medvault server stopped (SIGSTOP) while the bare server is measured: what it does in the
// background (timers, deferred audit work) then takes nothing from the baseline, which otherwise
// depends on the build under test (15 % apart between builds).
const PAUSE = values['pause-during-bare'] === true;
// The measured loads run in this many rounds (each load SECONDS / ROUNDS per round, the order turned
// by one each round): a shared machine's slow minute then falls on every load alike, and each ratio
// is the median of its rounds' (each round's own bare rate).
const ROUNDS = Math.max(1, Number(values.rounds ?? 1));
const UA = 'medvault-bench/1';
const PG_URL = process.env.MEDVAULT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type BenchRequest = ReadRequest;

function start(
  cmd: string[], env: Record<string, string>, ready: RegExp,
): Promise<{ child: ChildProcess; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cmd, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const on = (d: Buffer) => {
      out += d;
      if (ready.test(out)) resolve({ child, out: () => out });
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
  });
}

/** CPU seconds (user + system) these processes have used; a process gone meanwhile counts as 0. */
function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // not on Linux, or the process ended
    }
  }
  return ticks / 100;
}

/** The machine's busy CPU seconds (all cores, from /proc/stat). */
function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
    return (f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100;
  } catch {
    return 0;
  }
}

/** The server whose CPU a load is charged with (its process id). */
let watched: number | null = null;

/** What bench/load-generator answers. */
interface Generated {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number; errors: number; statusCodeStats: Record<string, { count: number }>; cpuSeconds: number;
}

/** Runs autocannon in its own process (bench/load-generator.ts says why) and reads its result. */
async function generateLoad(url: string, requests: BenchRequest[], seconds: number): Promise<Generated> {
  const file = join(data, `load-${process.hrtime.bigint()}.json`);
  writeFileSync(file, JSON.stringify({ url, connections: CONNECTIONS, seconds, requests }));
  const script = join(process.cwd(), 'dist-bench/bench/load-generator.js');
  // MEDVAULT_BENCH_GENERATOR_PROFILE=DIR: a CPU profile of each load generator, in DIR.
  const prof = process.env.MEDVAULT_BENCH_GENERATOR_PROFILE;
  const args = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, script, file] : [script, file];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  rmSync(file, { force: true });
  if (code !== 0) throw new Error(`the load generator exited ${code}`);
  return JSON.parse(out) as Generated;
}

async function load(name: string, url: string, requests: BenchRequest[], seconds = SECONDS) {
  const w = watched;
  const before = w ? { server: cpuSeconds([w]), machine: machineBusySeconds() } : null;
  const r = await generateLoad(url, requests, seconds);
  const non2xx = r.non2xx;
  const codes = Object.entries(r.statusCodeStats)
    .filter(([c]) => !c.startsWith('2')).map(([c, v]) => `${c}×${v.count}`).join(' ');
  const rate = Math.round(r.requests.average).toString().padStart(6);
  const counts = `${r.requests.total} requests, ${non2xx} non-2xx${codes ? ` [${codes}]` : ''}, ${r.errors} errors`;
  // CPU per request of the server and of PostgreSQL: what the load costs, less noisy than its rate
  // on a shared machine.
  // The rest of the machine's busy time, less the load generator's, is PostgreSQL's and the background's.
  const ms = (s: number) => ((s * 1e3) / r.requests.total).toFixed(2);
  const server = w && before ? cpuSeconds([w]) - before.server : 0;
  const rest = before ? machineBusySeconds() - before.machine - server - r.cpuSeconds : 0;
  const cpu = w && before && r.requests.total > 0
    ? `; CPU per request: server ${ms(server)} ms, rest ${ms(rest)} ms, load generator ${ms(r.cpuSeconds)} ms` : '';
  console.log(`${name.padEnd(44)} ${rate} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  (${counts})${cpu}`);
  return { ...r, cpu: { server, rest } };
}

type Measured = Awaited<ReturnType<typeof load>>;

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const name = `medvault_bench_read_${process.pid}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const dbUrl = Object.assign(new URL(PG_URL), { pathname: `/${name}` }).toString();
const data = mkdtempSync(join(tmpdir(), 'medvault-bench-read-'));
const children: ChildProcess[] = [];
try {
  const machine = `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}`;
  const run = `${PRACTICES} practices, ${CONNECTIONS} connections, ${SECONDS} s each`;
  console.log(`bench/read: ${new Date().toISOString()}, ${machine}, ${run}`);
  const { db } = await openStore({ kind: 'postgres', url: dbUrl });
  const vault = openVault(join(data, 'keys'), { provider: 'local', passphrase: null, requirePassphrase: false });
  // The keys a medvault is initialised with (the server creates keys only for a new database).
  loadOrCreateAuditSigner(join(data, 'keys', 'audit-signing.pem'));
  loadOrCreateTokenKeys(join(data, 'keys', 'token-signing.pem'));
  const seeded = await seedDemo(db, {
    seed: 5, practices: PRACTICES, patientsPerPractice: 300, now: new Date(), visitHistoryDays: 30, hashPassword, vault,
  });
  await db.close();
  await vault.provider.close();

  const profileDir = process.env.MEDVAULT_BENCH_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const urlSuffix = process.env.MEDVAULT_BENCH_SERVER_URL_SUFFIX;
  const serverEnv = {
    DATABASE_URL: urlSuffix ? dbUrl + urlSuffix : dbUrl, MEDVAULT_LOG_LEVEL: 'warn',
    MEDVAULT_SLOW_REQUEST_MS: process.env.MEDVAULT_SLOW_REQUEST_MS ?? '1000', LOG_FORMAT: 'json',
    MEDVAULT_PG_POOL_SIZE: process.env.MEDVAULT_PG_POOL_SIZE ?? '30',
  };
  const serve = [...profile, join(process.cwd(), 'bin/medvault.js'), 'serve', '--data', data, '--port', '0'];
  const server = await start(serve, serverEnv, /serving \d+ practices at (http:\/\/\S+)/);
  children.push(server.child);
  const base = /serving \d+ practices at (http:\/\/\S+)/.exec(server.out())![1]!;

  // Hundreds of sessions: every practitioner logs in (password, then TOTP).
  const practitioners = seeded.users.filter((u) => u.role === 'practitioner');
  const tokens = new Map<string, string>();
  const jsonHeaders = { 'content-type': 'application/json', 'user-agent': UA };
  for (const u of practitioners) {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST', headers: jsonHeaders, body: JSON.stringify({ username: u.username, password: u.password }),
    });
    const l = (await login.json()) as { mfa_token: string };
    const code = await generate({ secret: u.totpSecret! });
    const mfa = await fetch(`${base}/auth/mfa`, {
      method: 'POST', headers: jsonHeaders, body: JSON.stringify({ mfa_token: l.mfa_token, code }),
    });
    const m = (await mfa.json()) as { access_token: string };
    tokens.set(u.fhirId!, m.access_token);
  }
  const loaded = await readLoads(dbUrl, tokens, UA);
  const { patient: patientReqs, document: noteReqs, condition: conditionReqs, observation: observationReqs } = loaded;
  const ids = loaded.patientIds;
  console.log(`${tokens.size} practitioner sessions, ${patientReqs.length} distinct patient reads, `
    + `${noteReqs.length} note reads in the rotation`);

  const bareServer = join(process.cwd(), 'dist-bench/bench/bare-server.js');
  const bare = await start([bareServer], { DATABASE_URL: dbUrl }, /listening (\d+)/);
  children.push(bare.child);
  const bareUrl = `http://127.0.0.1:${/listening (\d+)/.exec(bare.out())![1]}`;
  const bareReqs = ids.map((id) => ({ method: 'GET' as const, path: `/patient/${id}`, headers: {} }));

  // The warm-up runs every measured load in turn (each request path compiled and its caches filled
  // alike), so that none is measured warmer than another.
  const warm = [patientReqs, noteReqs, observationReqs, conditionReqs];
  for (const reqs of WARMUP > 0 ? warm : []) await load(`warm-up (${WARMUP / 4} s, not counted)`, base, reqs, WARMUP / 4);
  watched = server.child.pid!;
  const bareLoad = async (label: string) => {
    if (PAUSE) server.child.kill('SIGSTOP');
    watched = bare.child.pid!;
    try {
      return await load(label, bareUrl, bareReqs);
    } finally {
      watched = server.child.pid!;
      if (PAUSE) server.child.kill('SIGCONT');
    }
  };
  const b1 = await bareLoad(`bare Fastify + pg, one-row select${PAUSE ? ' (medvault paused)' : ''}`);
  // MEDVAULT_BENCH_NOTES_FIRST=1 measures the note reads first (to tell a first-phase effect from the
  // read itself).
  const notesFirst = process.env.MEDVAULT_BENCH_NOTES_FIRST === '1';
  // MEDVAULT_BENCH_SEARCHES_FIRST=1 measures the two searches first, then the reads (the order's effect).
  const searchesFirst = process.env.MEDVAULT_BENCH_SEARCHES_FIRST === '1';
  const searches = async () => [
    await load('medvault GET /fhir/Observation?patient=&category=vital-signs', base, observationReqs),
    await load('medvault GET /fhir/Condition?patient=', base, conditionReqs),
  ] as const;
  // MEDVAULT_BENCH_ONLY=observation (or condition, document, patient) measures that load alone beside
  // bare: a CPU profile (MEDVAULT_BENCH_PROFILE) then shows what that request costs and nothing else.
  const only = process.env.MEDVAULT_BENCH_ONLY;
  const loads = { observation: observationReqs, condition: conditionReqs, document: noteReqs, patient: patientReqs };
  const all = async () => {
    const early = searchesFirst ? await searches() : null;
    const n0 = notesFirst ? await load('medvault GET /fhir/DocumentReference/{id}', base, noteReqs) : null;
    const p = await load('medvault GET /fhir/Patient/{id}', base, patientReqs);
    const n = n0 ?? (await load('medvault GET /fhir/DocumentReference/{id}', base, noteReqs));
    const [obs, cond] = early ?? (await searches());
    const b2 = await bareLoad(`bare Fastify + pg, one-row select (again)${PAUSE ? ' (medvault paused)' : ''}`);
    const bareAvg = (b1.requests.average + b2.requests.average) / 2;
    const ratio = (r: { requests: { average: number } }) => (r.requests.average / bareAvg).toFixed(3);
    console.log(`ratio to bare: Patient ${ratio(p)}, DocumentReference ${ratio(n)}, `
      + `Condition search ${ratio(cond)}, Observation search ${ratio(obs)}`);
  };
  // --rounds R: every load R times, SECONDS / R each, the order turned by one each round; each round's
  // ratios to that round's bare rate, and their medians.
  const rounds = async () => {
    const named = [
      ['Patient', 'medvault GET /fhir/Patient/{id}', patientReqs],
      ['DocumentReference', 'medvault GET /fhir/DocumentReference/{id}', noteReqs],
      ['Observation search', 'medvault GET /fhir/Observation?patient=&category=vital-signs', observationReqs],
      ['Condition search', 'medvault GET /fhir/Condition?patient=', conditionReqs],
    ] as const;
    const each = SECONDS / ROUNDS;
    const ratios = new Map<string, number[]>(named.map(([k]) => [k, []]));
    const cpu = new Map<string, { server: number; rest: number; requests: number }>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...named.slice(round % named.length), ...named.slice(0, round % named.length)];
      const got = new Map<string, Measured>();
      const b = await bareLoad(`round ${round + 1}: bare Fastify + pg`);
      for (const [k, label, reqs] of order) got.set(k, await load(`round ${round + 1}: ${label}`, base, reqs, each));
      for (const [k] of named) {
        const m = got.get(k)!;
        ratios.get(k)!.push(m.requests.average / b.requests.average);
        const c = cpu.get(k) ?? { server: 0, rest: 0, requests: 0 };
        cpu.set(k, { server: c.server + m.cpu.server, rest: c.rest + m.cpu.rest, requests: c.requests + m.requests.total });
      }
    }
    const med = (k: string) => median(ratios.get(k)!);
    console.log(`ratio to bare (median of ${ROUNDS} rounds): `
      + named.map(([k]) => `${k} ${med(k).toFixed(3)} [${ratios.get(k)!.map((x) => x.toFixed(3)).join(' ')}]`).join(', '));
    const doc = ratios.get('DocumentReference')!;
    for (const k of ['Observation search', 'Condition search']) {
      const per = ratios.get(k)!.map((x, i) => x / doc[i]!);
      console.log(`${k} / DocumentReference, round by round: ${per.map((x) => x.toFixed(2)).join(' ')} `
        + `(median ${median(per).toFixed(2)})`);
    }
    const per = (k: string, f: 'server' | 'rest') => ((cpu.get(k)![f] * 1e3) / cpu.get(k)!.requests).toFixed(2);
    console.log(`CPU per request over the rounds — server: ${named.map(([k]) => `${k} ${per(k, 'server')} ms`).join(', ')}; `
      + `rest: ${named.map(([k]) => `${k} ${per(k, 'rest')} ms`).join(', ')}`);
  };
  if (!only) await (ROUNDS > 1 ? rounds() : all());
  else {
    const reqs = loads[only as keyof typeof loads];
    if (!reqs) throw new Error('MEDVAULT_BENCH_ONLY: observation, condition, document or patient');
    const r = await load(`medvault ${only} alone`, base, reqs);
    const b2 = await bareLoad('bare Fastify + pg, one-row select (again)');
    const bareAvg = (b1.requests.average + b2.requests.average) / 2;
    console.log(`ratio to bare: ${only} ${(r.requests.average / bareAvg).toFixed(3)}`);
  }
  // What the searches returned (the seeded charts): entries per response over 100 of the rotation's
  // requests (a spread of patients), and how many of them were empty.
  for (const [label, list] of [['Condition', conditionReqs], ['Observation', observationReqs]] as const) {
    const sample = list.filter((_, i) => i % Math.max(1, Math.floor(list.length / 100)) === 0).slice(0, 100);
    let entries = 0;
    let empty = 0;
    for (const r of sample) {
      const body = (await (await fetch(base + r.path, { headers: r.headers })).json()) as { entry?: unknown[] };
      entries += body.entry?.length ?? 0;
      if (!body.entry?.length) empty++;
    }
    const mean = sample.length ? (entries / sample.length).toFixed(1) : '0';
    console.log(`${label} search: ${mean} entries per response on average over ${sample.length}, ${empty} empty`);
  }

  // Requests the server logged as slow (MEDVAULT_SLOW_REQUEST_MS): where they stalled, by route.
  const slow = new Map<string, { n: number; auth: number[]; total: number[] }>();
  for (const line of server.out().split('\n')) {
    if (!line.includes('"slow request"')) continue;
    const e = JSON.parse(line) as { method: string; route: string; status: number; ms: number; authMs: number | null };
    const k = `${e.method} ${e.route} ${e.status}`;
    const s = slow.get(k) ?? { n: 0, auth: [], total: [] };
    s.n++;
    s.auth.push(e.authMs ?? 0);
    s.total.push(e.ms);
    slow.set(k, s);
  }
  for (const [k, s] of slow) {
    console.log(`slow requests ${k}: ${s.n}, total median ${median(s.total)} ms, token check median ${median(s.auth)} ms `
      + `(max ${Math.max(...s.auth)})`);
  }
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.on('exit', r));
  // audit verify throughput over the log this run wrote.
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const t0 = performance.now();
  const rows = [];
  for await (const r of auditRows(c.query.bind(c) as never, 20_000)) rows.push(r);
  const readMs = performance.now() - t0;
  const t1 = performance.now();
  const result = await verifyAuditLog(rows, [], newAuditSigner().publicKey);
  const verifyMs = performance.now() - t1;
  await c.end();
  const perSecond = (ms: number) => Math.round(result.events / (ms / 1000));
  console.log(`audit verify: ${result.events} events, chain + tree ${perSecond(verifyMs)} events/s `
    + `(reading them from PostgreSQL: ${perSecond(readMs)} events/s), ok=${result.ok}`);
} finally {
  for (const ch of children) ch.kill('SIGKILL');
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(data, { recursive: true, force: true });
}
