import { AdminRepository, ClinicalRepository, PlatformRepository, type Database } from '../store/index.js';
import { practiceBeaconBits, practicePatientCount } from '../store/practice-facts.js';
import type { Vault } from './vault.js';

/** `--beacon-bits` asked for a practice whose beacons already have another length. */
export class BeaconLengthError extends Error {
  override readonly name = 'BeaconLengthError';
  constructor(readonly practiceId: string, readonly bits: number) {
    super(`practice ${practiceId} already has ${bits}-bit beacons (a practice's length is fixed by its first beacons)`);
  }
}

export interface SealProgress {
  readonly practiceId: string;
  /** Patients and notes sealed so far in this practice by this run. */
  readonly patients: number;
  readonly notes: number;
}

export interface SealOptions {
  readonly practiceIds?: readonly string[];
  readonly batchSize?: number;
  /**
   * The beacon length of practices that have none yet (default: from each practice's size); refused
   * (BeaconLengthError) before anything is sealed if a practice already has another.
   */
  readonly beaconBits?: number;
  readonly onProgress?: (p: SealProgress) => void;
}

/**
 * `medvault keys seal`: seals the clear identities and note labels an older medvault stored,
 * practice by practice, in batches of one transaction each. Nothing is remembered
 * between batches but the rows themselves — a row is clear until its batch commits — so a run
 * killed at any point (kill -9 included) resumes by running again, and a server may serve
 * meanwhile: it reads both forms and writes only the sealed one.
 */
export async function sealClearIdentities(db: Database, vault: Vault, opts: SealOptions = {}): Promise<SealProgress[]> {
  const batch = opts.batchSize ?? 500;
  const practiceIds =
    opts.practiceIds ??
    (await db.transaction(
      { role: 'platform', practiceId: null, platform: true }, (tx) => new PlatformRepository(tx).practices(),
    )).map((p) => p.id);
  // A length asked for is checked against every practice before anything is sealed: a run that
  // stopped half-way on a refusal would leave the rest clear and skip the rewrite.
  if (opts.beaconBits !== undefined) {
    for (const practiceId of practiceIds) {
      const bits = await db.transaction({ role: 'admin', practiceId }, (tx) => practiceBeaconBits(tx, practiceId));
      if (bits !== null && bits !== opts.beaconBits) throw new BeaconLengthError(practiceId, bits);
    }
  }
  const out: SealProgress[] = [];
  for (const practiceId of practiceIds) {
    let patients = 0;
    let notes = 0;
    await db.transaction({ role: 'admin', practiceId }, async (tx) => {
      const repo = new AdminRepository(tx, vault.admin(practiceId));
      if (opts.beaconBits !== undefined) await repo.setBeaconBits(opts.beaconBits);
      const bits = await repo.beaconBits(await practicePatientCount(tx, practiceId));
      // A practice's beacons all have one length, fixed by its first ones: a different one asked is
      // refused, not ignored.
      if (opts.beaconBits !== undefined && bits !== opts.beaconBits) throw new BeaconLengthError(practiceId, bits);
    });
    for (;;) {
      const n = await db.transaction({ role: 'admin', practiceId }, (tx) =>
        new AdminRepository(tx, vault.admin(practiceId)).sealClearIdentities(batch),
      );
      if (n === 0) break;
      patients += n;
      opts.onProgress?.({ practiceId, patients, notes });
    }
    for (;;) {
      const n = await db.transaction({ role: 'clinical', practiceId }, (tx) =>
        new ClinicalRepository(tx, vault.clinical(practiceId)).sealClearLabels(batch),
      );
      if (n === 0) break;
      notes += n;
      opts.onProgress?.({ practiceId, patients, notes });
    }
    out.push({ practiceId, patients, notes });
  }
  return out;
}
