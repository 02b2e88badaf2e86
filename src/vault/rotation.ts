import { randomUUID } from 'node:crypto';
import { PlatformRepository, type Database, type DbRole, type Tx } from '../store/index.js';
import { decodeEnvelope, envelopeKekVersion, type SealPurpose } from './envelope.js';
import type { Vault } from './vault.js';
import { REGISTRY, sealedTables, type Registry } from '../resources/index.js';

/**
 * Key rotation: a new KEK version becomes active (new values are wrapped under it at once),
 * then every stored data key of the purpose is unwrapped and wrapped again under it, in small
 * transactions, without decrypting any record body. Progress (a keyset cursor per table) is
 * committed with each batch, so a rotation killed at any point resumes where it stopped.
 */
interface SealedTable {
  readonly table: string;
  readonly role: DbRole;
  readonly columns: readonly string[];
  /** The unique column the walk is ordered by and updates by (default `id`; a version's `vid` where ids repeat). */
  readonly key?: string;
  /**
   * Columns of large values (documents, up to 5 MiB): read by their envelope's head only and
   * rewrapped in place in SQL (`overlay`), so that a batch never holds their bodies in memory.
   */
  readonly large?: readonly string[];
}

/** Enough of an envelope to hold its head (11 bytes, the wrapped key — 60 bytes at most today —, then 92). */
const HEAD_BYTES = 1024;

/** The sealed tables and columns of each purpose; the clinical ones include every type of the registry given. */
export function sealedTablesOf(registry: Registry = REGISTRY): Record<SealPurpose, readonly SealedTable[]> {
  return {
  admin: [
    { table: 'admin.patients', role: 'admin', columns: ['identity_sealed', 'nir_sealed', 'email_sealed', 'phone_sealed', 'mobile_sealed', 'address_sealed'] },
    { table: 'admin.users', role: 'admin', columns: ['totp_sealed'] },
  ],
  clinical: [
    { table: 'clinical.notes', role: 'clinical', columns: ['labels_sealed', 'body_sealed', 'meta_sealed', 'attachment_sealed'], large: ['attachment_sealed'] },
    // Every type of the resource registry, from the registry: a new type cannot be skipped here.
    ...sealedTables(registry).map((t) => ({ table: t.table, role: t.role, columns: t.columns, key: 'vid' })),
  ],
  };
}

const SEALED = sealedTablesOf();

/** The columns a walk selects: a large one by its head only. */
const selected = (t: SealedTable) =>
  t.columns.map((c) => (t.large?.includes(c) ? `substring(${c} from 1 for ${HEAD_BYTES}) AS ${c}` : c)).join(', ');

/** The KEK version of a sealed column, read in SQL from the envelope header (bytes 5–8). */
const versionOf = (col: string) =>
  `((get_byte(${col}, 5)::bigint << 24) | (get_byte(${col}, 6) << 16) | (get_byte(${col}, 7) << 8) | get_byte(${col}, 8))`;

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

async function jobFor(db: Database, vault: Vault, practiceId: string, purpose: SealPurpose | 'patient', now: Date): Promise<Job> {
  return db.transaction({ role: 'platform', practiceId }, async (tx) => {
    // One job at a time per practice and purpose, across processes: a second one waits here, then
    // finds the first running and joins it (rather than making a second new version).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`medvault-rotation|${practiceId}|${purpose}`]);
    const r = await tx.query<{ id: string; to_version: number; cursor: Record<string, string>; rewrapped: number }>(
      "SELECT id, to_version, cursor, rewrapped FROM keys.rotations WHERE practice_id = $1 AND purpose = $2 AND status = 'running'",
      [practiceId, purpose],
    );
    const open = r.rows[0];
    if (open) return { id: open.id, practiceId, purpose, toVersion: open.to_version, cursor: open.cursor, rewrapped: open.rewrapped, resumed: true };
    const from = await vault.provider.activeVersion(practiceId, purpose);
    const to = await vault.provider.createVersion(practiceId, purpose);
    const id = randomUUID();
    await tx.query(
      `INSERT INTO keys.rotations (id, practice_id, purpose, from_version, to_version, status, started_at) VALUES ($1, $2, $3, $4, $5, 'running', $6)`,
      [id, practiceId, purpose, from, to, now.toISOString()],
    );
    return { id, practiceId, purpose, toVersion: to, cursor: {}, rewrapped: 0, resumed: false };
  });
}

async function saveProgress(tx: Tx, job: Job, done: boolean, now: Date): Promise<void> {
  await tx.enter({ role: 'platform', practiceId: job.practiceId });
  await tx.query(
    `UPDATE keys.rotations SET cursor = $2, rewrapped = $3, status = $4, finished_at = $5 WHERE id = $1`,
    [job.id, JSON.stringify(job.cursor), job.rewrapped, done ? 'done' : 'running', done ? now.toISOString() : null],
  );
}

/** Rewraps the given rows' columns that are not yet under the target version; returns how many. */
async function rewrapRows(tx: Tx, vault: Vault, job: Job, t: SealedTable, rows: Record<string, unknown>[]): Promise<number> {
  const admin = vault.keyAdministration();
  let n = 0;
  for (const row of rows) {
    const sets: string[] = [];
    const params: unknown[] = [job.practiceId, row.id];
    for (const col of t.columns) {
      const sealed = row[col] as Buffer | null;
      if (sealed === null || envelopeKekVersion(sealed) === job.toVersion) continue;
      const next = await admin.rewrap(job.practiceId, job.purpose as SealPurpose, sealed);
      if (t.large?.includes(col)) {
        // `sealed` is the value's first bytes: its head, then the start of the body. The new head
        // replaces the old one in place; the body (IV, tag, ciphertext) stays as it is.
        const body = decodeEnvelope(sealed).ciphertext.length;
        params.push(next.subarray(0, next.length - body), sealed.length - body);
        sets.push(`${col} = overlay(${col} placing $${params.length - 1}::bytea from 1 for $${params.length}::int)`);
      } else {
        params.push(next);
        sets.push(`${col} = $${params.length}`);
      }
      n++;
    }
    if (sets.length > 0) await tx.query(`UPDATE ${t.table} SET ${sets.join(', ')} WHERE practice_id = $1 AND ${t.key ?? 'id'} = $2`, params);
  }
  return n;
}

async function rotateOne(db: Database, vault: Vault, job: Job, opts: RotationOptions): Promise<void> {
  const batch = opts.batchSize ?? 500;
  const now = () => opts.now?.() ?? new Date();
  const report = () =>
    opts.onProgress?.({ practiceId: job.practiceId, purpose: job.purpose, toVersion: job.toVersion, rewrapped: job.rewrapped, resumed: job.resumed });
  // Main pass: keyset order by id, the cursor committed with each batch.
  for (const t of SEALED[job.purpose as SealPurpose]) {
    for (;;) {
      const after = job.cursor[t.table] ?? '00000000-0000-0000-0000-000000000000';
      if (after === 'done') break;
      const more = await db.transaction({ role: t.role, practiceId: job.practiceId }, async (tx) => {
        const r = await tx.query<Record<string, unknown>>(
          // FOR NO KEY UPDATE: a row updated meanwhile (a new name, new labels) is read after that
          // commit, never written back as it was; inserts that only reference the row (notes,
          // appointments, grants) are not held up. Rows locked in id order, as in the sweep.
          `SELECT ${t.key ?? 'id'} AS id, ${selected(t)} FROM ${t.table} WHERE practice_id = $1 AND ${t.key ?? 'id'} > $2
            ORDER BY ${t.key ?? 'id'} LIMIT $3 FOR NO KEY UPDATE`,
          [job.practiceId, after, batch],
        );
        job.rewrapped += await rewrapRows(tx, vault, job, t, r.rows);
        job.cursor[t.table] = r.rows.length < batch ? 'done' : String(r.rows[r.rows.length - 1]?.id);
        await saveProgress(tx, job, false, now());
        return r.rows.length === batch;
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
      const stale = t.columns.map((c) => `(${c} IS NOT NULL AND ${versionOf(c)} <> $2)`).join(' OR ');
      const found = await db.transaction({ role: t.role, practiceId: job.practiceId }, async (tx) => {
        const r = await tx.query<Record<string, unknown>>(
          `SELECT ${t.key ?? 'id'} AS id, ${selected(t)} FROM ${t.table} WHERE practice_id = $1 AND (${stale})
            ORDER BY ${t.key ?? 'id'} LIMIT $3 FOR NO KEY UPDATE`,
          [job.practiceId, job.toVersion, batch],
        );
        job.rewrapped += await rewrapRows(tx, vault, job, t, r.rows);
        await saveProgress(tx, job, false, now());
        return r.rows.length;
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
    (await db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) => new PlatformRepository(tx).practices())).map((p) => p.id);
  const out: RotationProgress[] = [];
  for (const practiceId of practiceIds) {
    if (opts.purposes?.includes('patient' as never)) throw new Error('patient keys change epoch through closePatientKeyEpoch');
    for (const purpose of opts.purposes ?? (['admin', 'clinical'] as const)) {
      const job = await jobFor(db, vault, practiceId, purpose, opts.now?.() ?? new Date());
      await rotateOne(db, vault, job, opts);
      out.push({ practiceId, purpose, toVersion: job.toVersion, rewrapped: job.rewrapped, resumed: job.resumed });
    }
  }
  return out;
}

/** Resumes every rotation left running (a crash, a kill): what a starting server does in the background. */
export async function resumeRotations(db: Database, vault: Vault, opts: Omit<RotationOptions, 'practiceIds' | 'purposes'> = {}): Promise<number> {
  const practices = await db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) => new PlatformRepository(tx).practices());
  let resumed = 0;
  for (const p of practices) {
    const running = await db.transaction({ role: 'platform', practiceId: p.id }, (tx) =>
      tx.query<{ purpose: SealPurpose | 'patient' }>("SELECT purpose FROM keys.rotations WHERE practice_id = $1 AND status = 'running'", [p.id]),
    );
    for (const r of running.rows) {
      if (r.purpose === 'patient') await closePatientKeyEpoch(db, vault, p.id, opts);
      else await rotateKeys(db, vault, { ...opts, practiceIds: [p.id], purposes: [r.purpose] });
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
  readonly rotation: { status: 'running' | 'done'; toVersion: number; rewrapped: number; startedAt: Date; finishedAt: Date | null } | null;
}

/** Versions and progress per practice and purpose: `medvault keys status`. */
export async function keyStatus(db: Database, vault: Vault): Promise<KeyStatusLine[]> {
  const practices = await db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) => new PlatformRepository(tx).practices());
  const keks = await vault.provider.list();
  const out: KeyStatusLine[] = [];
  for (const p of practices) {
    for (const purpose of ['admin', 'clinical'] as const) {
      const active = keks.find((k) => k.practiceId === p.id && k.purpose === purpose && k.state === 'active')?.version ?? 0;
      let behind = 0;
      let total = 0;
      for (const t of SEALED[purpose]) {
        const r = await db.transaction({ role: t.role, practiceId: p.id }, (tx) =>
          tx.query<{ behind: number; total: number }>(
            `SELECT ${t.columns.map((c) => `count(*) FILTER (WHERE ${c} IS NOT NULL AND ${versionOf(c)} <> $2)`).join(' + ')} AS behind,
                    ${t.columns.map((c) => `count(${c})`).join(' + ')} AS total
               FROM ${t.table} WHERE practice_id = $1`,
            [p.id, active],
          ),
        );
        behind += Number(r.rows[0]?.behind ?? 0);
        total += Number(r.rows[0]?.total ?? 0);
      }
      const job = await db.transaction({ role: 'platform', practiceId: p.id }, (tx) =>
        tx.query<{ status: 'running' | 'done'; to_version: number; rewrapped: number; started_at: Date; finished_at: Date | null }>(
          'SELECT status, to_version, rewrapped, started_at, finished_at FROM keys.rotations WHERE practice_id = $1 AND purpose = $2 ORDER BY started_at DESC LIMIT 1',
          [p.id, purpose],
        ),
      );
      const j = job.rows[0];
      out.push({
        practiceId: p.id,
        practice: p.name,
        purpose,
        activeVersion: active,
        behind,
        total,
        rotation: j ? { status: j.status, toVersion: j.to_version, rewrapped: Number(j.rewrapped), startedAt: j.started_at, finishedAt: j.finished_at } : null,
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
     * deleted (rewrapped by it, or created after it), so a fresh epoch follows (regression, found by
     * an outside review: a pre-shred backup opened the second patient shredded after a kill -9).
     */
    fresh?: boolean;
  } = {},
): Promise<EpochResult> {
  const first = await closeEpochOnce(db, vault, practiceId, opts);
  if (!opts.fresh || !first.resumed) return first;
  const next = await closeEpochOnce(db, vault, practiceId, opts);
  return { ...next, rewrapped: first.rewrapped + next.rewrapped, destroyed: [...first.destroyed, ...next.destroyed], resumed: true };
}

async function closeEpochOnce(db: Database, vault: Vault, practiceId: string, opts: Omit<RotationOptions, 'practiceIds' | 'purposes'>): Promise<EpochResult> {
  const batch = opts.batchSize ?? 500;
  const now = () => opts.now?.() ?? new Date();
  const job = await jobFor(db, vault, practiceId, 'patient', now());
  const admin = vault.keyAdministration();
  const report = () => opts.onProgress?.({ practiceId, purpose: 'patient', toVersion: job.toVersion, rewrapped: job.rewrapped, resumed: job.resumed });
  const rewrapSome = async (tx: Tx, limit: number | null): Promise<number> => {
    const r = await tx.query<{ patient_id: string; kek_version: number; wrapped: Buffer }>(
      `SELECT patient_id, kek_version, wrapped FROM keys.patient_keys WHERE practice_id = $1 AND kek_version <> $2 ORDER BY patient_id${limit === null ? '' : ' LIMIT $3'}`,
      limit === null ? [practiceId, job.toVersion] : [practiceId, job.toVersion, limit],
    );
    const moved: { id: string; version: number; wrapped: Buffer }[] = [];
    for (const row of r.rows) {
      const k = await admin.rewrapPatientKey(practiceId, Number(row.kek_version), Buffer.from(row.wrapped), job.toVersion);
      moved.push({ id: row.patient_id, ...k });
    }
    if (moved.length > 0) {
      await tx.query(
        `UPDATE keys.patient_keys k SET kek_version = t.v, wrapped = t.w FROM unnest($2::uuid[], $3::int[], $4::bytea[]) AS t(p, v, w)
          WHERE k.practice_id = $1 AND k.patient_id = t.p`,
        [practiceId, moved.map((m) => m.id), moved.map((m) => m.version), moved.map((m) => m.wrapped)],
      );
    }
    job.rewrapped += r.rows.length;
    return r.rows.length;
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
      await tx.query('LOCK TABLE keys.patient_keys IN SHARE ROW EXCLUSIVE MODE');
      const n = await rewrapSome(tx, null);
      if (n > 0) {
        await saveProgress(tx, job, false, now());
        return n; // committed first: a version is destroyed only once no committed key needs it
      }
      await tx.query(
        `INSERT INTO keys.patient_kek_floor (practice_id, min_version) VALUES ($1, $2)
         ON CONFLICT (practice_id) DO UPDATE SET min_version = GREATEST(keys.patient_kek_floor.min_version, EXCLUDED.min_version)`,
        [practiceId, job.toVersion],
      );
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
