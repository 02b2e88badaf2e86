import { verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database, OpenedStore } from '../store/index.js';
import type { AuditSigner } from './signing.js';
import { PLATFORM_KEY_SCOPE } from '../store/index.js';
import { AuditLog } from '../store/audit-log.js';
import type { KeyProvider } from '../vault/index.js';
import { AUDIT_KEY_LABEL } from './chain.js';
import type { EventIntegrity, HeadCorrection } from './verify.js';

/**
 * The audit key: events are authenticated when written with a key derived from the key
 * provider (the platform's index key, in the keyring or the HSM), never stored in the database.
 * `create` says whether a missing platform key may be made (the server, at start) or not (a
 * read-only verification, which then has no key).
 */
export async function auditKey(provider: KeyProvider, create: boolean): Promise<Buffer | null> {
  if (!create && !(await provider.list()).some((k) => k.practiceId === PLATFORM_KEY_SCOPE && k.purpose === 'index')) return null;
  return provider.mac(PLATFORM_KEY_SCOPE, Buffer.from(AUDIT_KEY_LABEL));
}

/**
 * From which event on every event carries a MAC, as signed by the audit key in a file outside the
 * database (DIR/audit/audit-mac.json): whoever can write the database can change or delete
 * `meta.audit_mac`, not this file (an attack showed it: with the row moved, a forged row
 * passed verification, and a restart then signed it into a head).
 */
interface MacRecordFile {
  readonly sinceSeq: number;
  readonly enabledAt: string;
  readonly keyId: string;
  readonly signature: string;
}

function macRecordMessage(sinceSeq: number, enabledAt: string): Buffer {
  return Buffer.from(`medvault-audit-mac/v1|${sinceSeq}|${enabledAt}`);
}

/** The key id that signed the record of when MACs began, if there is one (read, not verified). */
export function macRecordKeyId(path: string): string | null {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as MacRecordFile).keyId ?? null;
  } catch {
    return null;
  }
}

/** The signed record of when MACs began, or null if there is no file; a file that does not verify is an error naming it. */
export function readMacRecord(path: string, publicKey: KeyObject): { sinceSeq: number } | null {
  if (!existsSync(path)) return null;
  let r: MacRecordFile;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as MacRecordFile;
  } catch {
    throw new Error(`${path} is damaged (not JSON)`);
  }
  let ok: boolean;
  try {
    ok = Number.isSafeInteger(r.sinceSeq) && verify(null, macRecordMessage(r.sinceSeq, r.enabledAt), publicKey, Buffer.from(r.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`${path} does not verify against the audit signing key: it was altered`);
  return { sinceSeq: r.sinceSeq };
}

/**
 * Turns event MACs on for this database (once) and keeps the database's record of it in step with
 * the signed file: from the next sequence number on, every event must carry a MAC. Run by the owner
 * connection at start, before the server writes anything. A record in the database that differs
 * from the signed file stops the start (the log was altered); a missing one is restored from it.
 */
export async function enableAuditMacs(store: OpenedStore, key: Buffer, at: Date, record?: { file: string; signer: AuditSigner }): Promise<void> {
  const signed = record ? readMacRecord(record.file, record.signer.publicKey) : null;
  const inDb = await store.driver.transaction((q) => new AuditLog(q).macStart());
  if (signed && inDb !== null && inDb !== signed.sinceSeq) {
    throw new Error(`meta.audit_mac says event MACs begin at #${inDb}, the signed record ${record!.file} says #${signed.sinceSeq}: the audit log was altered (run medvault audit verify)`);
  }
  let since = inDb ?? signed?.sinceSeq ?? null;
  if (inDb === null) {
    const started = await store.driver.transaction((q) => new AuditLog(q).startMacs(at, signed?.sinceSeq ?? null));
    since = Number(started ?? since);
  }
  if (record && signed === null && since !== null) {
    const enabledAt = at.toISOString();
    mkdirSync(dirname(record.file), { recursive: true, mode: 0o700 });
    writeFileSync(record.file, JSON.stringify({ sinceSeq: since, enabledAt, keyId: record.signer.keyId, signature: record.signer.sign(macRecordMessage(since, enabledAt)).toString('base64') }) + '\n', { mode: 0o600 });
  }
  store.db.useAuditKey(key);
}

/**
 * What verification needs to authenticate events: the key, and from which event on a MAC is due —
 * from the signed file when there is one (the database's row must then agree), else the row.
 */
export async function eventIntegrity(db: Database, key: Buffer | null, record?: { file: string; publicKey: KeyObject }): Promise<EventIntegrity> {
  const scope = { role: 'securityReader', practiceId: null, platform: true } as const;
  const inDb = await db.transaction(scope, (tx) => new AuditLog(tx).macStart());
  const signed = record ? readMacRecord(record.file, record.publicKey) : null;
  if (signed && inDb !== signed.sinceSeq) {
    throw new Error(`meta.audit_mac ${inDb === null ? 'is missing' : `says event MACs begin at #${inDb}`}, the signed record says #${signed.sinceSeq}: the audit log was altered`);
  }
  const since = signed?.sinceSeq ?? inDb;
  if (since !== null && key === null) throw new Error('the audit log carries MACs since event #' + since + ' but the audit key is missing from the key provider');
  return { key, sinceSeq: since };
}

/** The signed corrections of tree heads (`medvault audit repair`). */
export async function readCorrections(db: Database): Promise<HeadCorrection[]> {
  const scope = { role: 'securityReader', practiceId: null, platform: true } as const;
  return db.transaction(scope, (tx) => new AuditLog(tx).headCorrections());
}
