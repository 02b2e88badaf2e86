import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './errors.js';

/**
 * Makes sure the data folder exists and is writable, by creating it and writing a probe file,
 * before anything else is written there.
 */
export function prepareDataDir(dir: string): string {
  const abs = resolve(dir);
  try {
    const s = statSync(abs, { throwIfNoEntry: false });
    if (s !== undefined && !s.isDirectory()) throw new CliError(`data folder ${abs} is not a folder`);
    mkdirSync(abs, { recursive: true, mode: 0o700 });
    const probe = join(abs, `.write-probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as { code?: string }).code ?? 'error';
    throw new CliError(`data folder ${abs} is not writable (${code})`);
  }
  return abs;
}

/**
 * One server per embedded database: PGlite has no locking of its own, and two writers would
 * corrupt it. The lock names the holder's pid; a lock whose process is gone is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, 'medvault.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw new CliError(`cannot lock data folder ${dir}`);
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new CliError(`data folder ${dir} is in use by another medvault process (pid ${pid})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new CliError(`cannot lock data folder ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Writes a file whole or not at all: a temporary file, then a rename. */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}
