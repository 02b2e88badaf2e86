import { randomUUID } from 'node:crypto';
import { PlatformRepository, type Database, type Tx } from '../store/index.js';
import { KeyRotations } from '../store/key-rotations.js';
import {
  lockPatientKeys, patientKeysNotUnder, raisePatientKekFloor, updatePatientKeys, type PatientKeyEntry,
} from '../store/patient-key-rows.js';
import { SealedColumns, type RewrappedValue, type SealedRow, type SealedTable } from '../store/sealed-columns.js';
import { decodeEnvelope, envelopeKekVersion, type SealPurpose } from './envelope.js';
import type { Vault } from './vault.js';
import { REGISTRY, sealedTables, type Registry } from '../resources/index.js';

/**
 * Key rotation: a new KEK version becomes active (new values are wrapped under it at once),
 * then every stored data key of the purpose is unwrapped and wrapped again under it, in small
 * transactions, without decrypting any record body. Progress (a keyset cursor per table) is
 * committed with each batch, so a rotation killed at any point resumes where it stopped.
 */

/** The sealed tables and columns of each purpose; the clinical ones include every type of the registry given. */
export function sealedTablesOf(registry: Registry = REGISTRY): Record<SealPurpose, readonly SealedTable[]> {
  return {
  admin: [
    {
      table: 'admin.patients', role: 'admin',
      columns: ['identity_sealed', 'nir_sealed', 'email_sealed', 'phone_sealed', 'mobile_sealed', 'address_sealed'],
    },
    { table: 'admin.users', role: 'admin', columns: ['totp_sealed'] },
  ],
  clinical: [
    {
      table: 'clinical.notes', role: 'clinical',
      columns: ['labels_sealed', 'body_sealed', 'meta_sealed', 'attachment_sealed'], large: ['attachment_sealed'],
    },
    // Every type of the resource registry, from the registry: a new type cannot be skipped here.
    ...sealedTables(registry).map((t) => ({ table: t.table, role: t.role, columns: t.columns, key: 'vid' })),
  ],
  };
}

const SEALED = sealedTablesOf();

interface Job {
  id: string;
  practiceId: string;
  purpose: SealPurpose | 'patient';
  toVersion: number;
  cursor: Record<string, string>;
  rewrapped: number;
  resumed: boolean;
}

export interface RotationProgress {
  readonly practiceId: string;
  readonly purpose: SealPurpose | 'patient';
  readonly toVersion: number;
  readonly rewrapped: number;
  readonly resumed: boolean;
}

export interface RotationOptions {
  readonly practiceIds?: readonly string[];
  readonly purposes?: readonly SealPurpose[];
  readonly batchSize?: number;
  /** Time for running servers to notice the new version before the final sweep; default 1.5 s. */
  readonly settleMs?: number;
  readonly onProgress?: (p: RotationProgress) => void;
  readonly now?: () => Date;
}

async function jobFor(
  db: Database, vault: Vault, practiceId: string, purpose: SealPurpose | 'patient', now: Date,
): Promise<Job> {
  return db.transaction({ role: 'platform', practiceId }, async (tx) => {
    const jobs = new KeyRotations(tx);
    // One job at a time per practice and purpose, across processes: a second one waits here, then
    // finds the first running and joins it (rather than making a second new version).
    await jobs.lock(practiceId, purpose);
    const open = await jobs.running(practiceId, purpose);
    if (open) return { ...open, practiceId, purpose, resumed: true };
    const from = await vault.provider.activeVersion(practiceId, purpose);
    const to = await vault.provider.createVersion(practiceId, purpose);
    const id = randomUUID();
    await jobs.start({ id, practiceId, purpose, fromVersion: from, toVersion: to, startedAt: now });
    return { id, practiceId, purpose, toVersion: to, cursor: {}, rewrapped: 0, resumed: false };
  });
}

async function saveProgress(tx: Tx, job: Job, done: boolean, now: Date): Promise<void> {
  await tx.enter({ role: 'platform', practiceId: job.practiceId });
  await new KeyRotations(tx).saveProgress(job.id, job.cursor, job.rewrapped, done, now);
}

/** Rewraps the given rows' columns that are not yet under the target version; returns how many. */
async function rewrapRows(tx: Tx, vault: Vault, job: Job, t: SealedTable, rows: SealedRow[]): Promise<number> {
  const admin = vault.keyAdministration();
  const table = new SealedColumns(tx, t);
  let n = 0;
  for (const row of rows) {
    const values: RewrappedValue[] = [];
    for (const col of t.columns) {
      const sealed = row[col] as Buffer | null;
      if (sealed === null || envelopeKekVersion(sealed) === job.toVersion) continue;
      const next = await admin.rewrap(job.practiceId, job.purpose as SealPurpose, sealed);
      if (t.large?.includes(col)) {
        // `sealed` is the value's first bytes: its head, then the start of the body. The new head
        // replaces the old one in place; the body (IV, tag, ciphertext) stays as it is.
        const body = decodeEnvelope(sealed).ciphertext.length;
        values.push({ column: col, head: next.subarray(0, next.length - body), oldHeadLength: sealed.length - body });
      } else {
        values.push({ column: col, sealed: next });
      }
      n++;
    }
    await table.rewrap(job.practiceId, row.id, values);
  }
  return n;
}

async function rotateOne(db: Database, vault: Vault, job: Job, opts: RotationOptions): Promise<void> {
  const batch = opts.batchSize ?? 500;
  const now = () => opts.now?.() ?? new Date();
  const report = () => opts.onProgress?.({
    practiceId: job.practiceId, purpose: job.purpose, toVersion: job.toVersion, rewrapped: job.rewrapped,
    resumed: job.resumed,
  });
  // Main pass: keyset order by id, the cursor committed with each batch.
  for (const t of SEALED[job.purpose as SealPurpose]) {
    for (;;) {
      const after = job.cursor[t.table] ?? '00000000-0000-0000-0000-000000000000';
      if (after === 'done') break;
      const more = await db.transaction({ role: t.role, practiceId: job.practiceId }, async (tx) => {
        // Rows locked FOR NO KEY UPDATE (a row updated meanwhile is read after that commit, never
        // written back as it was), in key order, as in the sweep.
        const rows = await new SealedColumns(tx, t).pageAfter(job.practiceId, after, batch);
        job.rewrapped += await rewrapRows(tx, vault, job, t, rows);
        job.cursor[t.table] = rows.length < batch ? 'done' : String(rows[rows.length - 1]?.id);
        await saveProgress(tx, job, false, now());
        return rows.length === batch;
      });
      report();
      if (!more) break;
    }
  }
  // Values written under the old version while the pass ran (servers refresh the active
  // version within a second): sweep until none is left, then the job is done.
  await new Promise((r) => setTimeout(r, opts.settleMs ?? 1500));
  for (const t of SEALED[job.purpose as SealPurpose]) {
    for (;;) {
      const found = await db.transaction({ role: t.role, practiceId: job.practiceId }, async (tx) => {
        const rows = await new SealedColumns(tx, t).staleRows(job.practiceId, job.toVersion, batch);
        job.rewrapped += await rewrapRows(tx, vault, job, t, rows);
        await saveProgress(tx, job, false, now());
        return rows.length;
      });
      if (found === 0) break;
    }
  }
  await db.transaction({ role: 'platform', practiceId: job.practiceId }, (tx) => saveProgress(tx, job, true, now()));
  report();
}

/** Rotates (or resumes rotating) the KEKs of the given practices and purposes. */
export async function rotateKeys(db: Database, vault: Vault, opts: RotationOptions = {}): Promise<RotationProgress[]> {
  const practiceIds =
    opts.practiceIds ??
    (await db.transaction(
      { role: 'platform', practiceId: null, platform: true }, (tx) => new PlatformRepository(tx).practices(),
    )).map((p) => p.id);
  const out: RotationProgress[] = [];
  for (const practiceId of practiceIds) {
    if (opts.purposes?.includes('patient' as never)) {
      throw new Error('patient keys change epoch through closePatientKeyEpoch');
    }
    for (const purpose of opts.purposes ?? (['admin', 'clinical'] as const)) {
      const job = await jobFor(db, vault, practiceId, purpose, opts.now?.() ?? new Date());
      await rotateOne(db, vault, job, opts);
      out.push({ practiceId, purpose, toVersion: job.toVersion, rewrapped: job.rewrapped, resumed: job.resumed });
    }
  }
  return out;
}

/** Resumes every rotation left running (a crash, a kill): what a starting server does in the background. */
export async function resumeRotations(
  db: Database, vault: Vault, opts: Omit<RotationOptions, 'practiceIds' | 'purposes'> = {},
): Promise<number> {
  const practices = await db.transaction(
    { role: 'platform', practiceId: null, platform: true }, (tx) => new PlatformRepository(tx).practices(),
  );
  let resumed = 0;
  for (const p of practices) {
    const running = await db.transaction({ role: 'platform', practiceId: p.id }, (tx) =>
      new KeyRotations(tx).runningPurposes(p.id),
    );
    for (const purpose of running) {
      if (purpose === 'patient') await closePatientKeyEpoch(db, vault, p.id, opts);
      else await rotateKeys(db, vault, { ...opts, practiceIds: [p.id], purposes: [purpose] });
      resumed++;
    }
  }
  return resumed;
}

export interface KeyStatusLine {
  readonly practiceId: string;
  readonly practice: string;
  readonly purpose: SealPurpose;
  readonly activeVersion: number;
  /** Sealed values whose data key is still under an older version. */
  readonly behind: number;
  readonly total: number;
  readonly rotation: {
    status: 'running' | 'done'; toVersion: number; rewrapped: number; startedAt: Date; finishedAt: Date | null;
  } | null;
}

/** Versions and progress per practice and purpose: `medvault keys status`. */
export async function keyStatus(db: Database, vault: Vault): Promise<KeyStatusLine[]> {
  const practices = await db.transaction(
    { role: 'platform', practiceId: null, platform: true }, (tx) => new PlatformRepository(tx).practices(),
  );
  const keks = await vault.provider.list();
  const out: KeyStatusLine[] = [];
  for (const p of practices) {
    for (const purpose of ['admin', 'clinical'] as const) {
      const active =
        keks.find((k) => k.practiceId === p.id && k.purpose === purpose && k.state === 'active')?.version ?? 0;
      let behind = 0;
      let total = 0;
      for (const t of SEALED[purpose]) {
        const c = await db.transaction({ role: t.role, practiceId: p.id }, (tx) =>
          new SealedColumns(tx, t).counts(p.id, active),
        );
        behind += c.behind;
        total += c.total;
      }
      const j = await db.transaction({ role: 'platform', practiceId: p.id }, (tx) =>
        new KeyRotations(tx).latest(p.id, purpose),
      );
      out.push({
        practiceId: p.id,
        practice: p.name,
        purpose,
        activeVersion: active,
        behind,
        total,
        rotation: j ? { ...j, rewrapped: Number(j.rewrapped) } : null,
      });
    }
  }
  return out;
}

export interface EpochResult {
  readonly practiceId: string;
  /** The `patient` KEK version every remaining key is now wrapped under. */
  readonly toVersion: number;
  readonly rewrapped: number;
  /** The versions destroyed in the key provider. */
  readonly destroyed: readonly number[];
  readonly resumed: boolean;
}

/**
 * Closes a practice's patient-key epoch (after a shred): a new `patient` KEK version,
 * every remaining patient key wrapped again under it (in committed batches; a kill resumes from the
 * rotation job), then — holding a lock that waits for and holds off every writer of the table —
 * a last check that no key is left under an older version, the floor raised (a late creation under
 * an old version is refused, not stored unopenable) and the old versions destroyed in the key
 * provider. From then on the copy of a shredded patient's key in any database backup is wrapped
 * under a key that no longer exists.
 */
export async function closePatientKeyEpoch(
  db: Database, vault: Vault, practiceId: string,
  opts: Omit<RotationOptions, 'practiceIds' | 'purposes'> & {
    /**
     * The epoch must begin after the caller's change (a shred: its key row deleted). An epoch left
     * running by an interrupted shred is finished first; its version may already wrap the key just
     * deleted (rewrapped by it, or created after it), so a fresh epoch follows (without it, a
     * pre-shred backup opened the second patient shredded after a kill -9).
     */
    fresh?: boolean;
  } = {},
): Promise<EpochResult> {
  const first = await closeEpochOnce(db, vault, practiceId, opts);
  if (!opts.fresh || !first.resumed) return first;
  const next = await closeEpochOnce(db, vault, practiceId, opts);
  return {
    ...next, rewrapped: first.rewrapped + next.rewrapped, destroyed: [...first.destroyed, ...next.destroyed],
    resumed: true,
  };
}

async function closeEpochOnce(
  db: Database, vault: Vault, practiceId: string, opts: Omit<RotationOptions, 'practiceIds' | 'purposes'>,
): Promise<EpochResult> {
  const batch = opts.batchSize ?? 500;
  const now = () => opts.now?.() ?? new Date();
  const job = await jobFor(db, vault, practiceId, 'patient', now());
  const admin = vault.keyAdministration();
  const report = () => opts.onProgress?.({
    practiceId, purpose: 'patient', toVersion: job.toVersion, rewrapped: job.rewrapped, resumed: job.resumed,
  });
  const rewrapSome = async (tx: Tx, limit: number | null): Promise<number> => {
    const rows = await patientKeysNotUnder(tx, practiceId, job.toVersion, limit);
    const moved: PatientKeyEntry[] = [];
    for (const row of rows) {
      const key = await admin.rewrapPatientKey(practiceId, row.key.version, row.key.wrapped, job.toVersion);
      moved.push({ patientId: row.patientId, key });
    }
    await updatePatientKeys(tx, practiceId, moved);
    job.rewrapped += rows.length;
    return rows.length;
  };
  // Servers pick the new version up within a second; the batches run meanwhile.
  const settled = new Promise((r) => setTimeout(r, opts.settleMs ?? 1500));
  for (;;) {
    const n = await db.transaction({ role: 'platform', practiceId }, async (tx) => {
      const done = await rewrapSome(tx, batch);
      await saveProgress(tx, job, false, now());
      return done;
    });
    report();
    if (n < batch) break;
  }
  await settled;
  const destroyed: number[] = [];
  for (;;) {
    const left = await db.transaction({ role: 'platform', practiceId }, async (tx) => {
      // Waits for the transactions writing keys now (a creation under the old version included) and
      // holds off new ones until this one ends.
      await lockPatientKeys(tx);
      const n = await rewrapSome(tx, null);
      if (n > 0) {
        await saveProgress(tx, job, false, now());
        return n; // committed first: a version is destroyed only once no committed key needs it
      }
      await raisePatientKekFloor(tx, practiceId, job.toVersion);
      await saveProgress(tx, job, true, now());
      for (const k of await vault.provider.list()) {
        if (k.practiceId === practiceId && k.purpose === 'patient' && k.version < job.toVersion) {
          await vault.provider.destroyVersion(k);
          destroyed.push(k.version);
        }
      }
      return 0;
    });
    if (left === 0) break;
  }
  report();
  return { practiceId, toVersion: job.toVersion, rewrapped: job.rewrapped, destroyed, resumed: job.resumed };
}
