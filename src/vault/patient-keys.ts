import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { insertPatientKeys, patientKeyRow } from '../store/patient-key-rows.js';
import type { SealerQuery } from '../store/sealing.js';

/**
 * Per-patient erasure keys, wrapped under the practice's `patient` KEK (held by the key provider,
 * never the database). They live in the database (`keys.patient_keys`, through
 * store/patient-key-rows.ts): every instance reads the same rows, a key row commits in the same
 * transaction as its patient, and is read in the transaction of the request that needs it.
 * Shredding deletes the row and closes the practice's key epoch (closePatientKeyEpoch,
 * vault/rotation.ts), which destroys the KEK version that any backup's copy of the row was wrapped
 * under.
 */
export interface WrappedPatientKey {
  readonly version: number;
  readonly wrapped: Buffer;
}

/** Where a vault reads patient keys from: a transaction's rows, or memory (tools and unit tests). */
export interface PatientKeySource {
  get(practiceId: string, patientId: string): Promise<WrappedPatientKey | null>;
  /** Stores new keys (in the same transaction as their patients, for the database). */
  put(practiceId: string, entries: readonly { patientId: string; key: WrappedPatientKey }[]): Promise<void>;
  /** What a statement of the same transaction already read of a patient's key row (saves a round trip). */
  know?(practiceId: string, patientId: string, key: WrappedPatientKey | null): void;
  /** What the transaction read of the row, if it did: null is "no row" (shredded), undefined "not read". */
  known?(practiceId: string, patientId: string): WrappedPatientKey | null | undefined;
}

/** What a source reads and writes key rows through: a transaction (the store's Tx). */
export type KeyRowsQuery = SealerQuery;

/**
 * Patient keys read and written through a transaction of the request (row-level security applies).
 * `keepExisting`: a put leaves a row that exists already as it is (moving old key files in).
 */
export function transactionKeys(q: KeyRowsQuery, keepExisting = false): PatientKeySource {
  // Rows read with the records themselves (the patient or note statement selects its key row too).
  const known = new Map<string, WrappedPatientKey | null>();
  return {
    know(practiceId, patientId, key) {
      known.set(`${practiceId}|${patientId}`, key);
    },
    known(practiceId, patientId) {
      return known.get(`${practiceId}|${patientId}`);
    },
    async get(practiceId, patientId) {
      const seen = known.get(`${practiceId}|${patientId}`);
      if (seen !== undefined) return seen;
      return patientKeyRow(q, practiceId, patientId);
    },
    async put(practiceId, entries) {
      await insertPatientKeys(q, practiceId, entries, keepExisting);
    },
  };
}

/** Keys in memory: for tools and unit tests that run a vault without a database. */
export class MemoryPatientKeys implements PatientKeySource {
  private readonly keys = new Map<string, WrappedPatientKey>();

  async get(practiceId: string, patientId: string): Promise<WrappedPatientKey | null> {
    return this.keys.get(`${practiceId}|${patientId}`) ?? null;
  }

  async put(practiceId: string, entries: readonly { patientId: string; key: WrappedPatientKey }[]): Promise<void> {
    for (const e of entries) this.keys.set(`${practiceId}|${e.patientId}`, e.key);
  }

  delete(practiceId: string, patientId: string): boolean {
    return this.keys.delete(`${practiceId}|${patientId}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The key files of an older medvault (DIR/keys/patients/<practice>.keys, a line
 * "patientId version base64" per patient): what they hold, per practice. Read once, by the
 * start that moves them into the database and then removes them (a file left behind would keep
 * a copy of a key that a later shred destroys).
 */
export function readPatientKeyFiles(dir: string): Map<string, { patientId: string; key: WrappedPatientKey }[]> {
  const out = new Map<string, { patientId: string; key: WrappedPatientKey }[]>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const m = /^(.{36})\.keys$/.exec(name);
    if (!m || !UUID.test(m[1]!)) continue;
    const entries: { patientId: string; key: WrappedPatientKey }[] = [];
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      const [patientId, version, b64] = line.split(' ');
      if (patientId && UUID.test(patientId) && version && /^\d+$/.test(version) && b64) {
        entries.push({ patientId, key: { version: Number(version), wrapped: Buffer.from(b64, 'base64') } });
      }
    }
    out.set(m[1]!, entries);
  }
  return out;
}

/** Removes the old key files once their keys are in the database. */
export function removePatientKeyFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
