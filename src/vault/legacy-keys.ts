import { join } from 'node:path';
import type { Database } from '../store/index.js';
import { readPatientKeyFiles, removePatientKeyFiles } from './patient-keys.js';

/**
 * Moves the patient key files of a medvault before issue 13 (DIR/keys/patients) into the
 * database, once: each practice's keys are inserted (kept where a row exists already), then the
 * folder is removed — a file left behind would keep a copy of a key that a later shred destroys.
 * Returns how many keys were moved. Interrupted, it runs again at the next start.
 */
export async function movePatientKeyFilesIntoDatabase(db: Database, keysDir: string): Promise<number> {
  const dir = join(keysDir, 'patients');
  const files = readPatientKeyFiles(dir);
  let moved = 0;
  for (const [practiceId, entries] of files) {
    if (entries.length === 0) continue;
    const known = await db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) =>
      tx.query<{ n: number }>('SELECT count(*)::int AS n FROM admin.practices WHERE id = $1', [practiceId]),
    );
    // Keys of a practice this database does not hold (a folder copied from elsewhere) are not imported.
    if (Number(known.rows[0]?.n ?? 0) === 0) continue;
    await db.transaction({ role: 'admin', practiceId }, async (tx) => {
      for (let i = 0; i < entries.length; i += 1000) {
        const chunk = entries.slice(i, i + 1000);
        await tx.query(
          `INSERT INTO keys.patient_keys (practice_id, patient_id, kek_version, wrapped)
           SELECT $1, p, v, w FROM unnest($2::uuid[], $3::int[], $4::bytea[]) AS t(p, v, w)
           ON CONFLICT (practice_id, patient_id) DO NOTHING`,
          [practiceId, chunk.map((e) => e.patientId), chunk.map((e) => e.key.version), chunk.map((e) => e.key.wrapped)],
        );
      }
    });
    moved += entries.length;
  }
  if (files.size > 0) removePatientKeyFiles(dir);
  return moved;
}
