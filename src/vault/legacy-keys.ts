import { join } from 'node:path';
import type { Database } from '../store/index.js';
import { practiceExists } from '../store/practice-facts.js';
import { readPatientKeyFiles, removePatientKeyFiles, transactionKeys } from './patient-keys.js';

/**
 * Moves the patient key files of an older medvault (DIR/keys/patients) into the
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
      practiceExists(tx, practiceId),
    );
    // Keys of a practice this database does not hold (a folder copied from elsewhere) are not imported.
    if (!known) continue;
    await db.transaction({ role: 'admin', practiceId }, (tx) => transactionKeys(tx, true).put(practiceId, entries));
    moved += entries.length;
  }
  if (files.size > 0) removePatientKeyFiles(dir);
  return moved;
}
