import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './files.js';

/**
 * Per-patient erasure keys, wrapped under the practice's `patient` KEK, kept by the key side and
 * never in the database: destroying an entry here makes the patient's sealed values unreadable
 * in the live database and in every database backup, which hold only what the key opens.
 *
 * One file per practice, a line per patient ("patientId version base64"); a destruction
 * rewrites the file without the line (temporary file, fsync, rename), so the wrapped key does
 * not stay in it.
 */
export interface WrappedPatientKey {
  readonly version: number;
  readonly wrapped: Buffer;
}

export interface PatientKeyStore {
  get(practiceId: string, patientId: string): Promise<WrappedPatientKey | null>;
  putMany(practiceId: string, entries: readonly { patientId: string; key: WrappedPatientKey }[]): Promise<void>;
  /** Removes the key; returns whether there was one. */
  destroy(practiceId: string, patientId: string): Promise<boolean>;
}

const UUID = /^[0-9a-f-]{36}$/;

/** How often a practice's file is checked for changes made by another process (ms). */
const RECHECK_MS = 1000;

export class FilePatientKeyStore implements PatientKeyStore {
  private readonly practices = new Map<string, Map<string, WrappedPatientKey>>();
  /** What each practice's file looked like when it was read (another instance may append or destroy). */
  private readonly seen = new Map<string, { stamp: string; checkedAt: number }>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(practiceId: string): string {
    if (!UUID.test(practiceId)) throw new Error('practice id expected');
    return join(this.dir, `${practiceId}.keys`);
  }

  private stamp(path: string): string {
    try {
      const st = statSync(path);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return 'none';
    }
  }

  /**
   * The practice's keys, re-read when the file changed since (issue 13: several instances share the
   * keys folder; a record created on one was unreadable on another until it restarted, and a key
   * destroyed on one was still served by another). A miss always re-checks the file, so a key just
   * written elsewhere is never reported as destroyed; a hit re-checks at most once a second.
   */
  private load(practiceId: string, miss = false): Map<string, WrappedPatientKey> {
    const path = this.file(practiceId);
    let m = this.practices.get(practiceId);
    if (m) {
      const seen = this.seen.get(practiceId);
      const now = Date.now();
      if (!miss && seen && now - seen.checkedAt < RECHECK_MS) return m;
      const stamp = this.stamp(path);
      if (seen && seen.stamp === stamp) {
        seen.checkedAt = now;
        return m;
      }
    }
    m = new Map();
    this.seen.set(practiceId, { stamp: this.stamp(path), checkedAt: Date.now() });
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line === '') continue;
        const [patientId, version, b64] = line.split(' ');
        if (patientId && version && b64) m.set(patientId, { version: Number(version), wrapped: Buffer.from(b64, 'base64') });
      }
    }
    this.practices.set(practiceId, m);
    return m;
  }

  async get(practiceId: string, patientId: string): Promise<WrappedPatientKey | null> {
    return this.load(practiceId).get(patientId) ?? this.load(practiceId, true).get(patientId) ?? null;
  }

  /**
   * Runs fn holding the practice file's lock (a lock file created exclusively), so that an append
   * by one instance and a destruction's rewrite by another cannot lose each other's lines.
   */
  private locked<T>(practiceId: string, fn: () => T): T {
    const lock = `${this.file(practiceId)}.lock`;
    const until = Date.now() + 5000;
    let fd: number | null = null;
    while (fd === null) {
      try {
        fd = openSync(lock, 'wx', 0o600);
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST') throw e;
        // A lock left by a process killed while holding it is older than any honest holder.
        try {
          if (Date.now() - statSync(lock).mtimeMs > 10_000) rmSync(lock, { force: true });
        } catch {
          // gone meanwhile
        }
        if (Date.now() > until) throw new Error(`the patient key file of practice ${practiceId} stays locked (${lock})`, { cause: e });
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
    try {
      return fn();
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }

  async putMany(practiceId: string, entries: readonly { patientId: string; key: WrappedPatientKey }[]): Promise<void> {
    if (entries.length === 0) return;
    this.locked(practiceId, () => this.append(practiceId, entries));
  }

  private append(practiceId: string, entries: readonly { patientId: string; key: WrappedPatientKey }[]): void {
    // In step with the file first (another instance may have appended): the stamp recorded after
    // this append must describe everything the map holds.
    const m = this.load(practiceId, true);
    const text = entries.map((e) => `${e.patientId} ${e.key.version} ${e.key.wrapped.toString('base64')}\n`).join('');
    const path = this.file(practiceId);
    if (!existsSync(path)) appendFileSync(path, '', { mode: 0o600 });
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, text);
      fsyncSync(fd); // a key must be durable before the record that needs it commits
    } finally {
      closeSync(fd);
    }
    for (const e of entries) m.set(e.patientId, e.key);
    this.seen.set(practiceId, { stamp: this.stamp(path), checkedAt: Date.now() });
  }

  async destroy(practiceId: string, patientId: string): Promise<boolean> {
    return this.locked(practiceId, () => this.rewriteWithout(practiceId, patientId));
  }

  private rewriteWithout(practiceId: string, patientId: string): boolean {
    // What the file holds now, other instances' appends included: the rewrite must keep them.
    const m = this.load(practiceId, true);
    if (!m.delete(patientId)) return false;
    const text = [...m].map(([id, k]) => `${id} ${k.version} ${k.wrapped.toString('base64')}\n`).join('');
    writeFileAtomicSync(this.file(practiceId), text);
    this.seen.set(practiceId, { stamp: this.stamp(this.file(practiceId)), checkedAt: Date.now() });
    return true;
  }
}
