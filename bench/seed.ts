/**
 * bench/seed — seeds 100,000 patients with a year of appointments and notes, on the embedded
 * database (PGlite, files in a temporary folder) and on PostgreSQL (MEDVAULT_BENCH_DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/test, in a database of its own), and prints
 * patients per second for each. Identity secrets and notes are sealed by the vault (local
 * keyring), as in production.
 *
 *   npm run bench:seed [-- --patients 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { onEachDatabase } from './databases.js';
import { hashPassword } from '../src/access/index.js';
import { seedDemo } from '../src/sim/seed.js';
import { openStore, type StoreLocation } from '../src/store/index.js';
import { openVault } from '../src/vault/index.js';

const { values } = parseArgs({ options: { patients: { type: 'string' }, only: { type: 'string' } } });
const PATIENTS = Number(values.patients ?? 100_000);
const PER_PRACTICE = 4_000;
const PRACTICES = Math.max(2, Math.round(PATIENTS / PER_PRACTICE));

async function run(name: string, location: StoreLocation) {
  const { db } = await openStore(location);
  const keys = mkdtempSync(join(tmpdir(), 'medvault-bench-keys-'));
  const vault = openVault(keys, { provider: 'local', passphrase: null, requirePassphrase: false });
  const t0 = performance.now();
  const r = await seedDemo(db, {
    seed: 1,
    practices: PRACTICES,
    patientsPerPractice: Math.round(PATIENTS / PRACTICES),
    now: new Date('2026-03-10T10:00:00Z'),
    visitHistoryDays: 365,
    hashPassword,
    vault,
  });
  const s = (performance.now() - t0) / 1000;
  await db.close();
  rmSync(keys, { recursive: true, force: true });
  const c = r.counts;
  console.log(
    `${name.padEnd(10)} ${c.patients} patients, ${c.appointments} appointments, ${c.notes} notes, ${r.users.length} accounts in ${s.toFixed(1)} s` +
      ` → ${Math.round(c.patients / s)} patients/s, ${Math.round((c.patients + c.appointments + c.notes + c.careRelationships) / s)} rows/s`,
  );
}

console.log(`bench/seed: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
await onEachDatabase(values.only, run);
