/**
 * bench/shred — what a crypto-shred costs (issue 13): one practice of N patients on PostgreSQL
 * (MEDVAULT_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test, in a database of
 * its own) and on the embedded database; `shredPatient` deletes the key row, then closes the key
 * epoch (every other key of the practice wrapped again under a new `patient` KEK version, the old
 * version destroyed in the keyring). Prints the time of each part and the keys moved per second.
 *
 *   npm run bench:shred [-- --patients 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { onEachDatabase } from './databases.js';
import { hashPassword } from '../src/access/index.js';
import { seedDemo } from '../src/sim/seed.js';
import { openStore, type StoreLocation } from '../src/store/index.js';
import { openVault, shredPatient } from '../src/vault/index.js';

const { values } = parseArgs({ options: { patients: { type: 'string' }, only: { type: 'string' } } });
const PATIENTS = Number(values.patients ?? 10_000);

async function run(name: string, location: StoreLocation) {
  const { db, driver } = await openStore(location);
  const keys = mkdtempSync(join(tmpdir(), 'medvault-bench-keys-'));
  const vault = openVault(keys, { provider: 'local', passphrase: null, requirePassphrase: false });
  try {
    // Two practices (the demo needs two); the first holds the patients measured.
    const seeded = await seedDemo(db, { seed: 2, practices: 2, patientsPerPractice: PATIENTS, now: new Date('2026-03-10T10:00:00Z'), visitHistoryDays: 7, hashPassword, vault });
    const practiceId = seeded.practices[0]!.id;
    const target = (await driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 LIMIT 1', [practiceId]))).rows[0]!.id;
    const t0 = performance.now();
    const r = await shredPatient(db, vault, { practiceId, patientId: target, reason: 'bench', force: true, actor: 'bench', now: new Date() }, { settleMs: 0 });
    const s = (performance.now() - t0) / 1000;
    console.log(`${name.padEnd(10)} shred of 1 patient in a practice of ${PATIENTS}: ${s.toFixed(2)} s in all; ${r.epoch.rewrapped} keys moved to version ${r.epoch.toVersion} (${Math.round(r.epoch.rewrapped / s)} keys/s), destroyed version ${r.epoch.destroyed.join(', ')}`);
  } finally {
    await db.close();
    await vault.provider.close();
    rmSync(keys, { recursive: true, force: true });
  }
}

console.log(`bench/shred: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}`);
await onEachDatabase(values.only, run);
