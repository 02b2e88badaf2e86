/**
 * bench/seal — `medvault keys seal` on a large database an older medvault left (issue 14): its
 * time, a kill -9 part-way and the resumed run, and what is left in clear afterwards.
 *
 *   npm run bench:seal [-- --patients 100000 --kill-at 0.4 --batch-size 500 --only postgres|pglite]
 *
 * 1. One practice of N patients is seeded as today's medvault writes it, then turned into what a
 *    medvault before issue 14 left: identities in the clear columns, no beacons, note labels in
 *    clear (every 50th note labelled HIV), tables rewritten and checkpointed.
 * 2. `medvault keys seal` runs as the operator runs it (the built CLI, a child process) and is
 *    killed with SIGKILL once its progress passes the given share of the patients; it is run again
 *    to the end.
 * 3. Afterwards: rows with a clear value (SQL), patients' family names found in a dump of the
 *    database (pg_dump, or the PGlite folder's files, WAL included) and, on PostgreSQL when its data
 *    folder is readable, in the tables' own files; and beacon search against a plain reference over
 *    the same names, for 200 prefixes.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { onEachDatabase } from './databases.js';
import { seedDemo } from '../src/sim/seed.js';
import { normalisedNameMatches, normaliseName, type Patient } from '../src/domain/index.js';
import { AdminRepository, openStore, type StoreLocation } from '../src/store/index.js';
import { openVault } from '../src/vault/index.js';

const { values } = parseArgs({ options: { patients: { type: 'string' }, 'kill-at': { type: 'string' }, 'batch-size': { type: 'string' }, only: { type: 'string' } } });
const PATIENTS = Number(values.patients ?? 100_000);
const KILL_AT = Number(values['kill-at'] ?? 0.4);
const BATCH = values['batch-size'] ?? '500';
const fast = async (password: string) => `bench-only:${password.length}`;

/** The words (runs of letters, lower case) of a stream of bytes read as UTF-8, chunk by chunk (dumps are hundreds of MB). */
function wordsOf(chunks: Iterable<Buffer>): Set<string> {
  const words = new Set<string>();
  const decoder = new StringDecoder('utf8');
  let carry = '';
  const take = (text: string, final: boolean) => {
    const all = (carry + text).toLowerCase();
    const cut = final ? all.length : all.search(/\p{L}*$/u);
    for (const m of all.slice(0, cut).matchAll(/\p{L}{6,}/gu)) words.add(m[0]);
    carry = all.slice(cut);
  };
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i += 1 << 24) take(decoder.write(chunk.subarray(i, i + (1 << 24))), false);
  take(decoder.end(), true);
  return words;
}

/** Every file under a folder (a PGlite data folder: tables, WAL, everything). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** How many of the needles (one word each, lower case) are words of the bytes, in any case. */
function found(chunks: Iterable<Buffer>, needles: readonly string[]): number {
  const words = wordsOf(chunks);
  return needles.filter((n) => words.has(n)).length;
}

/** `medvault keys seal` as the operator runs it; killed with SIGKILL once `killAfter` patients are reported sealed (null: to the end). */
function runSeal(dataDir: string, env: Record<string, string>, killAfter: number | null): Promise<{ ms: number; killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(process.cwd(), 'bin/medvault.js'), 'keys', 'seal', '--data', dataDir, '--batch-size', BATCH], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let killed = false;
    const on = (d: Buffer) => {
      out += d;
      const last = [...out.matchAll(/sealing [0-9a-f-]+: (\d+) patients/g)].pop();
      if (killAfter !== null && !killed && last && Number(last[1]) >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!killed && code !== 0) reject(new Error(`keys seal exited ${code ?? signal}: ${out.slice(-500)}`));
      else resolve({ ms: performance.now() - t0, killed, out });
    });
  });
}

async function one(dbName: string, location: StoreLocation) {
  const dataDir = mkdtempSync(join(tmpdir(), 'medvault-bench-seal-'));
  const pgliteDir = join(dataDir, 'pgdata');
  const where: StoreLocation = location.kind === 'pglite' ? { kind: 'pglite', dir: pgliteDir } : location;
  const env: Record<string, string> = location.kind === 'postgres' ? { DATABASE_URL: location.url } : {};
  const vault = openVault(join(dataDir, 'keys'), { provider: 'local', passphrase: null, requirePassphrase: false });
  try {
    // 1. Today's database, then what an older medvault left.
    const clear: Patient[] = [];
    let practiceId = '';
    {
      const { db, driver } = await openStore(where);
      const t0 = performance.now();
      const seeded = await seedDemo(db, {
        seed: 5, practices: 1, patientsPerPractice: PATIENTS, now: new Date('2026-03-10T10:00:00Z'), visitHistoryDays: 30, hashPassword: fast, vault,
        onPatients: (ps) => clear.push(...ps),
      });
      practiceId = seeded.practices[0]!.id;
      console.log(`${dbName}: seeded ${seeded.counts.patients} patients, ${seeded.counts.notes} notes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const t1 = performance.now();
      await driver.transaction(async (sql) => {
        for (let i = 0; i < clear.length; i += 5_000) {
          const c = clear.slice(i, i + 5_000);
          await sql.query(
            `UPDATE admin.patients p SET identity_sealed = NULL, birth_family_name = t.bf, used_family_name = t.uf, given_names = string_to_array(t.gn, '|'),
                    used_given_name = t.ug, sex = t.sx, birth_date = t.bd::date, birthplace_insee = t.bp, identity_status = t.st, vip = t.vip, deceased_date = t.dd::date
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[])
                    AS t(id, bf, uf, gn, ug, sx, bd, bp, st, vip, dd)
              WHERE p.id = t.id`,
            [c.map((p) => p.id), c.map((p) => p.birthFamilyName), c.map((p) => p.usedFamilyName), c.map((p) => p.givenNames.join('|')), c.map((p) => p.usedGivenName),
              c.map((p) => p.sex), c.map((p) => p.birthDate), c.map((p) => p.birthplaceInsee), c.map((p) => p.identityStatus), c.map((p) => p.vip), c.map((p) => p.deceasedDate)],
          );
        }
        await sql.query(`UPDATE clinical.notes SET labels_sealed = NULL, labels = CASE WHEN abs(hashtext(id::text)) % 50 = 0 THEN ARRAY['HIV'] ELSE '{}' END`);
        await sql.query('DELETE FROM admin.patient_beacons');
        await sql.query('UPDATE admin.practices SET beacon_bits = NULL');
      });
      await driver.maintenance('VACUUM FULL admin.patients, clinical.notes, admin.patient_beacons');
      await driver.maintenance('CHECKPOINT');
      console.log(`${''.padEnd(dbName.length)}  made it an older database (clear identities and labels, no beacons) in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      await db.close();
    }
    await vault.provider.close();

    // Needles: patients' family names of 6 letters or more that staff, practices and the schema do not use.
    const open = await openStore(where);
    const staff = (await open.driver.transaction((q) => q.query<{ s: string }>(
      "SELECT (SELECT string_agg(family_name || ' ' || given_name, ' ') FROM admin.users) || ' ' || (SELECT string_agg(name || ' ' || city, ' ') FROM admin.practices) AS s"))).rows[0]!.s.toLowerCase();
    await open.db.close();
    const needles = [...new Set(clear.map((p) => p.birthFamilyName.toLowerCase()))].filter((n) => /^\p{L}{6,}$/u.test(n) && !staff.includes(n) && !/^[a-f]+$/.test(n)).slice(0, 2_000);
    const relationFiles = async (): Promise<string[]> => {
      if (location.kind !== 'postgres') return [];
      const { driver, db } = await openStore(where);
      try {
        const r = await driver.transaction((q) => q.query<{ dir: string; f: string }>(
          "SELECT current_setting('data_directory') AS dir, pg_relation_filepath(c) AS f FROM unnest(ARRAY['admin.patients', 'clinical.notes', 'admin.patient_beacons']::regclass[]) AS c"));
        return r.rows.map((x) => join(x.dir, x.f)).flatMap((base) => {
          const out: string[] = [];
          for (let seg = 0; existsSync(seg === 0 ? base : `${base}.${seg}`); seg++) out.push(seg === 0 ? base : `${base}.${seg}`);
          return out;
        });
      } catch {
        return [];
      } finally {
        await db.close();
      }
    };
    const copy = (): Buffer[] =>
      location.kind === 'postgres'
        ? [execFileSync('pg_dump', ['--no-owner', location.url], { maxBuffer: 2 ** 32 })]
        : filesUnder(pgliteDir).map((f) => readFileSync(f));
    const tableBytes = async (): Promise<Buffer[] | null> => {
      const files = await relationFiles();
      try {
        return files.length === 0 ? null : files.map((f) => readFileSync(f));
      } catch {
        return null;
      }
    };
    const beforeCopy = found(copy(), needles);
    const beforeTables = await tableBytes();
    console.log(`${''.padEnd(dbName.length)}  before: ${beforeCopy} of ${needles.length} family names in the ${location.kind === 'postgres' ? 'pg_dump' : 'data folder'}${beforeTables ? `, ${found(beforeTables, needles)} in the tables' files` : ''}`);

    // 2. keys seal, killed part-way, then run to the end.
    const first = await runSeal(dataDir, env, Math.floor(PATIENTS * KILL_AT));
    const counted = async () => {
      const { driver, db } = await openStore(where);
      try {
        return (await driver.transaction((q) => q.query<{ sealed: number; clear: number; notes: number; labels: number; beacons: number }>(
          `SELECT (SELECT count(*)::int FROM admin.patients WHERE identity_sealed IS NOT NULL) AS sealed,
                  (SELECT count(*)::int FROM admin.patients WHERE identity_sealed IS NULL OR birth_family_name IS NOT NULL OR used_family_name IS NOT NULL
                      OR given_names IS NOT NULL OR used_given_name IS NOT NULL OR sex IS NOT NULL OR birth_date IS NOT NULL OR birthplace_insee IS NOT NULL
                      OR identity_status IS NOT NULL OR vip IS NOT NULL OR deceased_date IS NOT NULL) AS clear,
                  (SELECT count(*)::int FROM clinical.notes WHERE labels_sealed IS NULL OR labels <> '{}') AS notes,
                  (SELECT count(*)::int FROM clinical.notes WHERE labels_sealed IS NOT NULL) AS labels,
                  (SELECT count(*)::int FROM admin.patient_beacons) AS beacons`))).rows[0]!;
      } finally {
        await db.close();
      }
    };
    const mid = await counted();
    console.log(`${''.padEnd(dbName.length)}  keys seal: ${first.killed ? 'killed (SIGKILL)' : 'finished before the kill'} after ${(first.ms / 1000).toFixed(1)} s with ${mid.sealed} patients sealed, ${mid.clear} clear`);
    const second = await runSeal(dataDir, env, null);
    const summary = /sealed (\d+) patient identities and (\d+) note label lists[^(]*\(([\d.]+) s\)/.exec(second.out);
    const after = await counted();
    console.log(`${''.padEnd(dbName.length)}  keys seal again: ${summary ? `${summary[1]} patients and ${summary[2]} label lists sealed in ${summary[3]} s` : '?'}, ${(second.ms / 1000).toFixed(1)} s with VACUUM FULL and CHECKPOINT`);
    console.log(`${''.padEnd(dbName.length)}  total ${((first.ms + second.ms) / 1000).toFixed(1)} s for ${PATIENTS} patients (${Math.round(PATIENTS / ((first.ms + second.ms) / 1000))} patients/s, both runs, process start-up included)`);
    const afterTables = await tableBytes();
    console.log(`${''.padEnd(dbName.length)}  after: ${after.clear} patients and ${after.notes} notes with a clear value, ${after.sealed} identities and ${after.labels} label lists sealed, ${after.beacons} beacons; ` +
      `${found(copy(), needles)} of ${needles.length} family names in the ${location.kind === 'postgres' ? 'pg_dump' : 'data folder'}${afterTables ? `, ${found(afterTables, needles)} in the tables' files` : ''}`);

    // 3. Beacon search against a plain reference over the same names.
    const v2 = openVault(join(dataDir, 'keys'), { provider: 'local', passphrase: null, requirePassphrase: false });
    const { db } = await openStore(where);
    try {
      const names = clear.map((p) => ({ id: p.id, names: [p.birthFamilyName, p.usedFamilyName ?? ''].map(normaliseName) }));
      let rng = 7;
      const next = () => ((rng = (rng * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      let same = 0;
      let checked = 0;
      for (let i = 0; i < 200; i++) {
        const p = clear[Math.floor(next() * clear.length)]!;
        const term = [...p.birthFamilyName].slice(0, 3 + Math.floor(next() * 4)).join('');
        const t = normaliseName(term);
        const want = new Set(names.filter((n) => n.names.some((x) => normalisedNameMatches(x, t))).map((n) => n.id));
        const got = await db.transaction({ role: 'admin', practiceId }, (tx) => new AdminRepository(tx, v2.admin(practiceId)).searchPatients({ family: term, limit: 1_000_000 }));
        checked++;
        if (got.length === want.size && got.every((g) => want.has(g.id))) same++;
      }
      console.log(`${''.padEnd(dbName.length)}  search after the seal: ${same} of ${checked} family prefixes give the reference's patients`);
    } finally {
      await db.close();
      await v2.provider.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`bench/seal: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${PATIENTS} patients, kill at ${KILL_AT}, batches of ${BATCH}`);
await onEachDatabase(values.only ?? 'postgres', (name, location) => one(name, location));
