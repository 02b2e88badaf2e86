import { randomUUID } from 'node:crypto';
import { seedDemo, type SeedResult } from '../../src/sim/seed.js';
import { appendAuditEvents, type Database } from '../../src/store/index.js';

/** A cheap stand-in for Argon2id where a test needs accounts but never logs in. */
export const fastHash = async (password: string) => `test-only:${password.length}`;

export const NOW = new Date('2026-03-10T10:00:00Z');

/** Two small practices with staff, patients, appointments, notes, and audit rows in each. */
export async function seedTwoPractices(db: Database, patientsPerPractice = 40): Promise<SeedResult> {
  const seeded = await seedDemo(db, {
    seed: 7,
    practices: 2,
    patientsPerPractice,
    now: NOW,
    visitHistoryDays: 20,
    hashPassword: fastHash,
  });
  for (const p of seeded.practices) {
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
