import type { Tx } from './database.js';

/**
 * Key rotation jobs (keys.rotations): one running job per practice and purpose, its target KEK
 * version, the keyset cursor of its walk (a sealed table → the last key rewrapped, or 'done') and
 * how many values it rewrapped, committed with each batch so that a killed rotation resumes. Every
 * function runs as the platform role in the practice's scope (row-level security bounds the table
 * to it).
 */

/** What a job rotates: a sealing purpose's KEK, or the practice's patient-key epoch. */
export type RotationPurpose = 'admin' | 'clinical' | 'patient';

/** A job still running, as a process that joins or resumes it reads it. */
export interface RunningRotation {
  readonly id: string;
  readonly toVersion: number;
  readonly cursor: Record<string, string>;
  readonly rewrapped: number;
}

/** A job as `medvault keys status` shows it: the latest of a practice and purpose. */
export interface LatestRotation {
  readonly status: 'running' | 'done';
  readonly toVersion: number;
  readonly rewrapped: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
}

export class KeyRotations {
  constructor(private readonly tx: Tx) {}

  /**
   * Waits for, then holds until the transaction ends, the advisory lock of this practice and
   * purpose: one job at a time across processes (a second one waits, then joins the first).
   */
  async lock(practiceId: string, purpose: RotationPurpose): Promise<void> {
    await this.tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`medvault-rotation|${practiceId}|${purpose}`]);
  }

  /** The practice's running job of this purpose, if any. */
  async running(practiceId: string, purpose: RotationPurpose): Promise<RunningRotation | null> {
    const r = await this.tx.query<{
      id: string; to_version: number; cursor: Record<string, string>; rewrapped: number;
    }>(
      `SELECT id, to_version, cursor, rewrapped FROM keys.rotations
        WHERE practice_id = $1 AND purpose = $2 AND status = 'running'`,
      [practiceId, purpose],
    );
    const open = r.rows[0];
    return open ? { id: open.id, toVersion: open.to_version, cursor: open.cursor, rewrapped: open.rewrapped } : null;
  }

  /** Records a new running job from one KEK version to another, started at `startedAt`. */
  async start(job: {
    id: string; practiceId: string; purpose: RotationPurpose; fromVersion: number; toVersion: number; startedAt: Date;
  }): Promise<void> {
    await this.tx.query(
      `INSERT INTO keys.rotations (id, practice_id, purpose, from_version, to_version, status, started_at)
       VALUES ($1, $2, $3, $4, $5, 'running', $6)`,
      [job.id, job.practiceId, job.purpose, job.fromVersion, job.toVersion, job.startedAt.toISOString()],
    );
  }

  /** Writes a job's cursor and count; `done` also marks it finished at `at`. */
  async saveProgress(
    id: string, cursor: Record<string, string>, rewrapped: number, done: boolean, at: Date,
  ): Promise<void> {
    await this.tx.query(
      `UPDATE keys.rotations SET cursor = $2, rewrapped = $3, status = $4, finished_at = $5 WHERE id = $1`,
      [id, JSON.stringify(cursor), rewrapped, done ? 'done' : 'running', done ? at.toISOString() : null],
    );
  }

  /** The purposes of the practice's jobs left running (a crash, a kill). */
  async runningPurposes(practiceId: string): Promise<RotationPurpose[]> {
    const r = await this.tx.query<{ purpose: RotationPurpose }>(
      "SELECT purpose FROM keys.rotations WHERE practice_id = $1 AND status = 'running'", [practiceId],
    );
    return r.rows.map((x) => x.purpose);
  }

  /** The practice's latest job of this purpose (by start), running or done; null if it never rotated. */
  async latest(practiceId: string, purpose: RotationPurpose): Promise<LatestRotation | null> {
    const r = await this.tx.query<{
      status: 'running' | 'done'; to_version: number; rewrapped: number; started_at: Date; finished_at: Date | null;
    }>(
      `SELECT status, to_version, rewrapped, started_at, finished_at FROM keys.rotations
        WHERE practice_id = $1 AND purpose = $2 ORDER BY started_at DESC LIMIT 1`,
      [practiceId, purpose],
    );
    const j = r.rows[0];
    if (!j) return null;
    return {
      status: j.status, toVersion: j.to_version, rewrapped: j.rewrapped,
      startedAt: j.started_at, finishedAt: j.finished_at,
    };
  }
}
