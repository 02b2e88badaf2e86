/**
 * bench/search — name-prefix patient search on sealed identities through keyed beacons (issue 14),
 * beside the clear-column search it replaced, in the same run on the same patients: p50/p99 at
 * each practice size, and the seeding rate (sealing and beacons included).
 *
 *   npm run bench:search [-- --sizes 2000,100000 --queries 300 --only postgres|pglite]
 *
 * The clear baseline is the query medvault ran before issue 14 (LIKE on lower(name) with its
 * indexes, ordered and limited in SQL) over a copy of the same names in a table of its own; it
 * opens nothing, where the sealed search opens every candidate's identity and the page's secrets.
 * Queries: a random patient's family name cut to 3–6 letters, as a user types it; 21 rows asked
 * (a page of 20 and whether more follow), both sides in the same transaction frame, alternated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { onEachDatabase } from './databases.js';
import { seedDemo } from '../src/sim/seed.js';
import type { Patient } from '../src/domain/index.js';
import { AdminRepository, openStore, type StoreLocation } from '../src/store/index.js';
import { openVault } from '../src/vault/index.js';

const { values } = parseArgs({ options: { sizes: { type: 'string' }, queries: { type: 'string' }, only: { type: 'string' } } });
const SIZES = (values.sizes ?? '2000,100000').split(',').map(Number);
const QUERIES = Number(values.queries ?? 300);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fast = async (password: string) => `bench-only:${password.length}`;

/** A deterministic generator, so that both sides get the same queries. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function one(dbName: string, location: StoreLocation, size: number) {
  const { db, driver } = await openStore(location);
  const keys = mkdtempSync(join(tmpdir(), 'medvault-bench-keys-'));
  const vault = openVault(keys, { provider: 'local', passphrase: null, requirePassphrase: false });
  try {
    const clear: Patient[] = [];
    const t0 = performance.now();
    const seeded = await seedDemo(db, {
      seed: 3, practices: 1, patientsPerPractice: size, now: new Date('2026-03-10T10:00:00Z'), visitHistoryDays: 1, hashPassword: fast, vault,
      onPatients: (ps) => clear.push(...ps),
    });
    const seedS = (performance.now() - t0) / 1000;
    const practiceId = seeded.practices[0]!.id;
    const mine = clear.filter((p) => p.practiceId === practiceId);
    // The clear baseline: the columns and indexes of before issue 14, on a table of its own.
    await driver.transaction(async (sql) => {
      await sql.exec(`CREATE TABLE public.bench_clear (id uuid PRIMARY KEY, practice_id uuid NOT NULL, birth_family_name text NOT NULL, used_family_name text, given_names text[] NOT NULL, birth_date date NOT NULL);
        GRANT SELECT ON public.bench_clear TO medvault_admin;`);
      for (let i = 0; i < mine.length; i += 5_000) {
        const c = mine.slice(i, i + 5_000);
        await sql.query(
          `INSERT INTO public.bench_clear SELECT a, b, c, d, string_to_array(e, '|'), f::date FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(a, b, c, d, e, f)`,
          [c.map((p) => p.id), c.map((p) => p.practiceId), c.map((p) => p.birthFamilyName), c.map((p) => p.usedFamilyName), c.map((p) => p.givenNames.join('|')), c.map((p) => p.birthDate)],
        );
      }
      await sql.exec(`CREATE INDEX bench_clear_family ON public.bench_clear (practice_id, lower(birth_family_name));
        CREATE INDEX bench_clear_used ON public.bench_clear (practice_id, lower(used_family_name));`);
    });
    // A database in service has been through autovacuum: visibility maps set (index-only scans)
    // and statistics current. Right after a bulk seed it has not, on either side.
    for (const table of ['public.bench_clear', 'admin.patient_beacons', 'admin.patients']) await driver.maintenance(`VACUUM ANALYZE ${table}`);
    const next = rng(size);
    const terms = Array.from({ length: QUERIES }, () => {
      const p = mine[Math.floor(next() * mine.length)]!;
      const name = p.usedFamilyName ?? p.birthFamilyName;
      return [...name].slice(0, 3 + Math.floor(next() * 4)).join('');
    });
    const sealedMs: number[] = [];
    const clearMs: number[] = [];
    let found = 0;
    const sealed = async (term: string) => {
      const t = performance.now();
      const r = await db.transaction({ role: 'admin', practiceId }, (tx) => new AdminRepository(tx, vault.admin(practiceId)).searchPatients({ family: term, limit: 21 }));
      sealedMs.push(performance.now() - t);
      found += r.length;
    };
    const plain = async (term: string) => {
      const like = term.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
      const t = performance.now();
      await db.transaction({ role: 'admin', practiceId }, (tx) => tx.query(
        `SELECT id, birth_family_name, used_family_name, given_names, birth_date FROM public.bench_clear
          WHERE practice_id = $1 AND (lower(birth_family_name) LIKE $2 OR lower(used_family_name) LIKE $2)
          ORDER BY lower(coalesce(used_family_name, birth_family_name)), id LIMIT 21`, [practiceId, like]));
      clearMs.push(performance.now() - t);
    };
    // Plans warm on other terms, then two passes over the same queries, alternating which side
    // goes first: the first pass opens identities this process has not opened yet (a fresh
    // server), the second finds them in the vault's identity cache (a server in use).
    for (const term of terms.slice(0, 20).map((t) => t.slice(0, 2) + 'zq')) {
      await sealed(term);
      await plain(term);
    }
    const passes: { sealed: number[]; clear: number[] }[] = [];
    for (let pass = 0; pass < 2; pass++) {
      sealedMs.length = 0;
      clearMs.length = 0;
      found = 0;
      for (const [i, term] of terms.entries()) {
        if (i % 2 === 0) {
          await sealed(term);
          await plain(term);
        } else {
          await plain(term);
          await sealed(term);
        }
      }
      passes.push({ sealed: [...sealedMs], clear: [...clearMs] });
    }
    const beacons = await driver.transaction((sql) => sql.query<{ n: number; d: number; bits: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT beacon)::int AS d, (SELECT beacon_bits FROM admin.practices WHERE id = $1)::int AS bits FROM admin.patient_beacons WHERE practice_id = $1', [practiceId]));
    const b = beacons.rows[0]!;
    console.log(`${dbName.padEnd(9)} ${String(size).padStart(7)} patients: seeded at ${Math.round(seeded.counts.patients / seedS)} patients/s (${seedS.toFixed(1)} s, all practices' rows); ${b.bits}-bit beacons, ${(b.n / mine.length).toFixed(1)} per patient, ${b.d} distinct values`);
    for (const [i, p] of passes.entries()) {
      console.log(`${''.padEnd(9)} ${i === 0 ? 'first pass' : 'second pass'}: name prefix (3–6 letters), ${QUERIES} queries, ${(found / QUERIES).toFixed(1)} rows each: sealed p50 ${pct(p.sealed, 50).toFixed(2)} ms p99 ${pct(p.sealed, 99).toFixed(2)} ms | clear p50 ${pct(p.clear, 50).toFixed(2)} ms p99 ${pct(p.clear, 99).toFixed(2)} ms | p50 ratio ${(pct(p.sealed, 50) / pct(p.clear, 50)).toFixed(2)}`);
    }
  } finally {
    await db.close();
    await vault.provider.close();
    rmSync(keys, { recursive: true, force: true });
  }
}

console.log(`bench/search: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}`);
for (const size of SIZES) await onEachDatabase(values.only ?? 'postgres', (name, location) => one(name, location, size));
