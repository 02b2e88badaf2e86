import { randomUUID } from 'node:crypto';
import { seedDemo, type SeedResult } from '../../src/sim/seed.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAuditEvents, type Database } from '../../src/store/index.js';
import { openVault, type Vault } from '../../src/vault/index.js';

/** A vault on a fresh local keyring (no passphrase) in a temporary folder. */
export function makeVault(): { vault: Vault; dir: string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'medvault-keys-'));
  const vault = openVault(dir, { provider: 'local', passphrase: null, requirePassphrase: false });
  return {
    vault,
    dir,
    async cleanup() {
      await vault.provider.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A cheap stand-in for Argon2id where a test needs accounts but never logs in. */
export const fastHash = async (password: string) => `test-only:${password.length}`;

export const NOW = new Date('2026-03-10T10:00:00Z');

/** Two small practices with staff, patients, appointments, notes, and audit rows in each. */
export async function seedTwoPractices(db: Database, vault: Vault, patientsPerPractice = 40): Promise<SeedResult> {
  const seeded = await seedDemo(db, {
    vault,
    seed: 7,
    practices: 2,
    patientsPerPractice,
    now: NOW,
    visitHistoryDays: 20,
    hashPassword: fastHash,
  });
  for (const p of seeded.practices) {
    // A finished rotation job, so that every table of the keys segment has rows in each practice.
    await db.transaction({ role: 'platform', practiceId: p.id }, (tx) =>
      tx.query(
        `INSERT INTO keys.rotations (id, practice_id, purpose, from_version, to_version, status, started_at, finished_at)
         VALUES ($1, $2, 'admin', 1, 1, 'done', $3, $3)`,
        [randomUUID(), p.id, NOW.toISOString()],
      ),
    );
    await db.transaction({ role: 'admin', practiceId: p.id }, (tx) =>
      appendAuditEvents(tx, [
        {
          id: randomUUID(), at: NOW, practiceId: p.id, userId: null, role: 'practitioner', sessionId: null, sourceIp: '127.0.0.1',
          action: 'read', resourceType: 'Patient', resourceId: null, patientId: null, segment: 'admin', labels: [],
          purpose: 'care', outcome: 'success', reason: 'fixture',
        },
      ]),
    );
  }
  return seeded;
}
