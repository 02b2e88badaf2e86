import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
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

export class FilePatientKeyStore implements PatientKeyStore {
  private readonly practices = new Map<string, Map<string, WrappedPatientKey>>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(practiceId: string): string {
    if (!UUID.test(practiceId)) throw new Error('practice id expected');
    return join(this.dir, `${practiceId}.keys`);
  }

  private load(practiceId: string): Map<string, WrappedPatientKey> {
    let m = this.practices.get(practiceId);
    if (m) return m;
    m = new Map();
    const path = this.file(practiceId);
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
    return this.load(practiceId).get(patientId) ?? null;
  }

  async putMany(practiceId: string, entries: readonly { patientId: string; key: WrappedPatientKey }[]): Promise<void> {
    if (entries.length === 0) return;
    const m = this.load(practiceId);
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
  }

  async destroy(practiceId: string, patientId: string): Promise<boolean> {
    const m = this.load(practiceId);
    if (!m.delete(patientId)) return false;
    const text = [...m].map(([id, k]) => `${id} ${k.version} ${k.wrapped.toString('base64')}\n`).join('');
    writeFileAtomicSync(this.file(practiceId), text);
    return true;
  }
}
