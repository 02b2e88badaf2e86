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
    // A session, a recovery code and a break-the-glass grant in each practice (access tables).
    await db.transaction({ role: 'platform', practiceId: p.id }, async (tx) => {
      const u = await tx.query<{ id: string }>("SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'practitioner' LIMIT 1", [p.id]);
      const userId = u.rows[0]!.id;
      const sessionId = randomUUID();
      await tx.query(
        `INSERT INTO admin.sessions (id, practice_id, user_id, created_at, auth_time, amr, acr, scopes, expires_at, refresh_hash)
         VALUES ($1, $2, $3, $4, $4, '{pwd,otp}', 'aal2', '{user/*.read}', $4::timestamptz + interval '1 hour', '\\x00')`,
        [sessionId, p.id, userId, NOW.toISOString()],
      );
      await tx.query("INSERT INTO admin.recovery_codes (id, practice_id, user_id, code_hash) VALUES ($1, $2, $3, '\\x01')", [randomUUID(), p.id, userId]);
      // An enrolment link (spent) in each practice.
      await tx.query(
        `INSERT INTO admin.enrolments (id, practice_id, user_id, token_hash, purpose, created_by, created_at, expires_at, redeemed_at)
         VALUES ($1, $2, $3, $4, 'reset', $3, $5, $5::timestamptz + interval '1 hour', $5)`,
        [randomUUID(), p.id, userId, Buffer.from(randomUUID()), NOW.toISOString()],
      );
      await tx.enter({ role: 'clinical', practiceId: p.id });
      const patient = await tx.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 LIMIT 1', [p.id]);
      await tx.query(
        `INSERT INTO admin.break_glass (id, practice_id, user_id, patient_id, session_id, reason, granted_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, 'fixture: urgence vitale', $6, $6::timestamptz + interval '1 hour')`,
        [randomUUID(), p.id, userId, patient.rows[0]!.id, sessionId, NOW.toISOString()],
      );
    });
    await db.transaction({ role: 'auditWriter', practiceId: p.id }, (tx) =>
      tx.query(
        `INSERT INTO audit.alerts (id, practice_id, at, user_id, response, findings) VALUES ($1, $2, $3, $4, 'alert', '[]')`,
        [randomUUID(), p.id, NOW.toISOString(), randomUUID()],
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

/** A backend's store and a fresh vault, with one cleanup for both (the integration suites' setup). */
export async function openWithVault(backend: { open(): Promise<import('../../src/store/index.js').OpenedStore & { cleanup(): Promise<void> }> }) {
  const opened = await backend.open();
  const keys = makeVault();
  return {
    db: opened.db,
    driver: opened.driver,
    keys,
    async cleanup() {
      await opened.cleanup();
      await keys.cleanup();
    },
  };
}
