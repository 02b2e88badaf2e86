import { createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, StoreLocation } from '../store/index.js';
import { AuditLog } from '../store/audit-log.js';
import { holdsMedvault } from '../store/probe.js';

/**
 * Key material handled as what it is: a key file readable by others, a key that an
 * initialised database has used and that is now missing, or a damaged key file, is named with
 * what to do — at start (the server refuses) and by `medvault keys check` (without starting).
 * medvault creates keys only when it initialises a new database.
 */
export interface KeyFinding {
  readonly file: string;
  readonly problem: string;
  /** The command that fixes it, when there is one. */
  readonly fix?: string;
}

/** The key files a medvault data folder holds (relative to DIR/keys). */
export const KEY_FILES = { keyring: 'keyring.json', audit: 'audit-signing.pem', token: 'token-signing.pem' } as const;

/** Files and folders under the keys folder that group or others may read, and damaged key files. */
export function checkKeyFiles(keysDir: string, provider: 'local' | 'pkcs11'): KeyFinding[] {
  const out: KeyFinding[] = [];
  if (!existsSync(keysDir)) return out;
  const walk = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      if ((st.mode & 0o077) !== 0) out.push({ file: path, problem: `is open to group or others (mode ${(st.mode & 0o777).toString(8)})`, fix: `chmod 700 ${path}` });
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if ((st.mode & 0o077) !== 0) {
      out.push({ file: path, problem: `is readable by group or others (mode ${(st.mode & 0o777).toString(8)})`, fix: `chmod 600 ${path}` });
    }
  };
  walk(keysDir);
  for (const pem of [KEY_FILES.audit, KEY_FILES.token]) {
    const path = join(keysDir, pem);
    if (!existsSync(path)) continue;
    try {
      createPrivateKey(readFileSync(path, 'utf8'));
    } catch {
      out.push({ file: path, problem: 'is damaged (not a private key in PEM): restore it from the backup' });
    }
  }
  const ring = join(keysDir, KEY_FILES.keyring);
  if (provider === 'local' && existsSync(ring)) {
    try {
      const f = JSON.parse(readFileSync(ring, 'utf8')) as { format?: unknown; keys?: unknown };
      if (f.format !== 'medvault-keyring/1' || !Array.isArray(f.keys)) throw new Error('format');
    } catch {
      out.push({ file: ring, problem: 'is damaged (not a medvault keyring): restore it from the backup' });
    }
  }
  return out;
}

/** Whether the database already holds a medvault (migrated before): its keys then exist somewhere. */
export async function databaseInitialised(location: StoreLocation): Promise<boolean> {
  if (location.kind === 'pglite') return location.dir !== null && existsSync(join(location.dir, 'PG_VERSION'));
  // Unreachable: false, and the start fails later with its own message.
  return holdsMedvault(location.url);
}

/**
 * Keys an initialised database has used and that are missing: medvault never replaces them (a new
 * audit key would make every later head fail verification, a new keyring would leave every sealed
 * value unreadable, a new token key would end every session).
 */
export function missingKeys(keysDir: string, provider: 'local' | 'pkcs11'): KeyFinding[] {
  const out: KeyFinding[] = [];
  const need = provider === 'local' ? [KEY_FILES.keyring, KEY_FILES.audit, KEY_FILES.token] : [KEY_FILES.audit, KEY_FILES.token];
  for (const name of need) {
    const path = join(keysDir, name);
    if (!existsSync(path)) out.push({ file: path, problem: 'is missing, but the database was initialised with it: restore it from the backup (medvault creates keys only for a new database)' });
  }
  return out;
}

/** One line per finding, for the operator. */
export function describeFinding(f: KeyFinding): string {
  return `${f.file} ${f.problem}${f.fix ? ` (run: ${f.fix})` : ''}`;
}

/** The key id that signed the audit log's last tree head, if any. */
export async function signedWith(db: Database): Promise<string | null> {
  const scope = { role: 'securityReader', practiceId: null, platform: true } as const;
  return db.transaction(scope, (tx) => new AuditLog(tx).lastTreeHeadKeyId());
}
