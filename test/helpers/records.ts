import { readFileSync, writeFileSync } from 'node:fs';
import { AdminRepository, ClinicalRepository, type Database, type Driver } from '../../src/store/index.js';
import type { Vault } from '../../src/vault/index.js';

/** Opens every patient identity and every note through the repositories; returns the counts. */
export async function openEverything(db: Database, driver: Driver, vault: Vault): Promise<{ patients: number; notes: number; secrets: number }> {
  const rows = await driver.transaction((sql) =>
    sql.query<{ practice_id: string; id: string; kind: string }>(
      `SELECT practice_id, id, 'patient' AS kind FROM admin.patients WHERE shredded_at IS NULL
       UNION ALL SELECT n.practice_id, n.id, 'note' FROM clinical.notes n JOIN admin.patients p ON p.id = n.patient_id WHERE p.shredded_at IS NULL`,
    ),
  );
  let patients = 0;
  let notes = 0;
  let secrets = 0;
  for (const r of rows.rows) {
    if (r.kind === 'patient') {
      const p = await db.transaction({ role: 'admin', practiceId: r.practice_id }, (tx) => new AdminRepository(tx, vault.admin(r.practice_id)).patient(r.id));
      if (p === null) throw new Error('patient vanished');
      secrets += [p.nir, p.email, p.phone, p.mobile, p.address].filter((x) => x !== null).length;
      patients++;
    } else {
      const n = await db.transaction({ role: 'clinical', practiceId: r.practice_id }, (tx) => new ClinicalRepository(tx, vault.clinical(r.practice_id)).note(r.id));
      if (n === null || n.text.length === 0) throw new Error('note vanished');
      notes++;
    }
  }
  return { patients, notes, secrets };
}

/** A copy of a local keyring without its retired admin/clinical KEK versions: "the old keys are gone". */
export function keyringWithoutRetired(path: string, copyTo: string): number {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { keys: { state: string; purpose: string }[] };
  const before = file.keys.length;
  file.keys = file.keys.filter((k) => !(k.state === 'retired' && (k.purpose === 'admin' || k.purpose === 'clinical')));
  writeFileSync(copyTo, JSON.stringify(file), { mode: 0o600 });
  return before - file.keys.length;
}
